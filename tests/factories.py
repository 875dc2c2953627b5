"""Build test data through the same operations the application uses."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from exam.accounts.models import Role, RoleGrant, User
from exam.accounts.operations import create_user
from exam.candidates.models import Application, Gender
from exam.candidates.operations import apply_to_position
from exam.candidates.screening import decide_eligibility
from exam.council.models import Body, BodyKind, MemberFunction, Membership
from exam.exams.definition import create_test
from exam.exams.models import Attempt, Test
from exam.exams.papers import attempt_for, generate_papers
from exam.extensions import db
from exam.panels.models import Panel, PanelRole
from exam.panels.operations import create_panel
from exam.question_bank.interchange import Choice, QuestionData
from exam.question_bank.models import Bank, Question
from exam.question_bank.operations import (
    approve_question,
    create_bank,
    create_question,
    submit_for_review,
)
from exam.rounds.models import Position, Round, RoundStatus
from exam.rounds.operations import add_position, advance_round, create_round

PASSWORD = "mat-khau-thu-nghiem"

# Seats given by default (see ``seat_by_role``): a person made with one of these roles sits on
# that body of every round, so that a test acting "as the board" on a round made here keeps
# working now that powers come from seats. ``make.user(..., seated=False)`` opts out (their
# address starts with UNSEATED), as do the tests that build bodies themselves (tests/council).
AUTO_SEATS = {
    Role.BOARD_ADMIN: BodyKind.COUNCIL,
    Role.SUPERVISOR: BodyKind.SUPERVISORY,
    Role.INVIGILATOR: BodyKind.INVIGILATION,
    Role.PANEL_MEMBER: BodyKind.INTERVIEW,
}
UNSEATED = "unseated-"
AUTO_PANEL = "Ban phỏng vấn (thử nghiệm)"
auto_seat = {"on": True}  # switched off per test by tests/conftest.py
_counter = itertools.count(1)
T0 = dt.datetime(2026, 3, 1, 1, 0, tzinfo=dt.UTC)


class Factories:
    @staticmethod
    def user(
        *roles: Role, name: str | None = None, email: str | None = None, seated: bool = True
    ) -> User:
        """A user holding ``roles`` (a candidate if none); with a staff role, seated by
        default on the matching body of every round (``AUTO_SEATS``), unless ``seated`` is
        False: then they sit nowhere until ``make.seat``."""
        n = next(_counter)
        user = create_user(
            email or f"{'' if seated else UNSEATED}user{n}@test.example",
            name or f"Người Dùng {n}",
            PASSWORD,
            set(roles) or {Role.CANDIDATE},
            actor=None,
        )
        db.session.flush()
        return user

    @staticmethod
    def round(
        *,
        status: RoundStatus = RoundStatus.REGISTRATION_OPEN,
        opens_at: dt.datetime = T0 - dt.timedelta(days=10),
        closes_at: dt.datetime = T0 + dt.timedelta(days=20),
        board: User | None = None,
        positions: int = 1,
    ) -> Round:
        board = board or Factories.user(Role.BOARD_ADMIN)
        round_ = create_round(
            name=f"Kỳ thi tuyển {next(_counter)}",
            organisation="Bệnh viện Đa khoa Thử Nghiệm",
            registration_opens_at=opens_at,
            registration_closes_at=closes_at,
            actor=board,
        )
        for i in range(positions):
            add_position(
                round_,
                title=f"Trưởng phòng số {i + 1}",
                unit_name="Bệnh viện Đa khoa Thử Nghiệm",
                posts=1,
                standards="",
                actor=board,
            )
        while round_.status != status:
            advance_round(round_, actor=board)
        db.session.flush()
        return round_

    @staticmethod
    def seat(
        user: User,
        round_: Round,
        kind: BodyKind = BodyKind.COUNCIL,
        function: MemberFunction = MemberFunction.MEMBER,
        *,
        name: str = "",
    ) -> Membership:
        """Seat ``user`` on the round's body of ``kind`` (made if missing; an interview
        panel named ``name``), without the operations' checks: a test's set-up."""
        if kind == BodyKind.INTERVIEW:
            name = name or AUTO_PANEL
        body_id = _body_id(db.session.connection(), round_.id, kind, name)
        membership = Membership(body_id=body_id, user_id=user.id, function=function, post="")
        db.session.add(membership)
        db.session.flush()
        return membership

    @staticmethod
    def stage(round_: Round, status: RoundStatus) -> Round:
        """Put the round in ``status`` at once, as a test of that stage's work needs (the
        moves and their guards are tested in tests/rounds/)."""
        round_.status = status
        db.session.flush()
        return round_

    @staticmethod
    @contextmanager
    def in_stage(round_: Round, status: RoundStatus) -> Iterator[Round]:
        """Run an operation in its own stage, then put the round back where it was (a test
        building dossiers decided while others still apply)."""
        before = round_.status
        Factories.stage(round_, status)
        try:
            yield round_
        finally:
            Factories.stage(round_, before)

    @staticmethod
    def application(
        position: Position,
        candidate: User | None = None,
        *,
        eligible: bool | None = True,
        at: dt.datetime = T0,
        born: dt.date = dt.date(1985, 5, 17),
    ) -> Application:
        candidate = candidate or Factories.user(Role.CANDIDATE)
        with Factories.in_stage(position.round, RoundStatus.REGISTRATION_OPEN):
            application = apply_to_position(
                candidate,
                position,
                date_of_birth=born,
                gender=Gender.FEMALE,
                current_unit="Phòng Tổ chức",
                current_post="Phó Trưởng phòng",
                at=at,
            )
        if eligible is not None:
            board = Factories.user(Role.BOARD_ADMIN)
            with Factories.in_stage(position.round, RoundStatus.SCREENING):
                decide_eligibility(
                    application,
                    eligible=eligible,
                    reason="" if eligible else "Chưa đủ 12 tháng giữ chức vụ tương đương.",
                    actor=board,
                    at=at,
                )
        db.session.flush()
        return application

    @staticmethod
    def question_data(n: int, correct: int = 0, **overrides: object) -> QuestionData:
        options = [f"Phương án {letter} của câu {n}" for letter in "ABCD"]
        data = QuestionData(
            type="single_choice",
            text=f"Câu hỏi thử nghiệm số {n}: điều nào đúng?",
            difficulty="medium",
            legal_basis="Luật Viên chức số 58/2010/QH12, Điều 2",
            legal_basis_date=dt.date(2010, 11, 15),
            choices=[
                Choice(text=text, fraction=1.0 if i == correct else 0.0)
                for i, text in enumerate(options)
            ],
        )
        for key, value in overrides.items():
            setattr(data, key, value)
        return data

    @staticmethod
    def bank(questions: int = 9, *, approved: bool = True) -> Bank:
        author = Factories.user(Role.QUESTION_AUTHOR)
        reviewer = Factories.user(Role.QUESTION_AUTHOR)
        bank = create_bank(f"Ngân hàng {next(_counter)}", "", actor=author)
        for n in range(1, questions + 1):
            question = create_question(bank, Factories.question_data(n), actor=author)
            if approved:
                submit_for_review(question, actor=author)
                approve_question(question, actor=reviewer, at=T0)
        db.session.flush()
        return bank

    @staticmethod
    def approved_questions(
        bank: Bank, count: int, *, category: str = "", difficulty: str = "medium"
    ) -> list[Question]:
        """``count`` approved questions added to ``bank`` (in a category, at a difficulty)."""
        author = Factories.user(Role.QUESTION_AUTHOR)
        reviewer = Factories.user(Role.QUESTION_AUTHOR)
        made = []
        for _ in range(count):
            data = Factories.question_data(next(_counter), category=category, difficulty=difficulty)
            question = create_question(bank, data, actor=author)
            submit_for_review(question, actor=author)
            approve_question(question, actor=reviewer, at=T0)
            made.append(question)
        db.session.flush()
        return made

    @staticmethod
    def question(bank: Bank | None = None, *, author: User | None = None) -> Question:
        bank = bank or Factories.bank(0)
        author = author or Factories.user(Role.QUESTION_AUTHOR)
        question = create_question(bank, Factories.question_data(next(_counter)), actor=author)
        db.session.flush()
        return question

    @staticmethod
    def test(
        round_: Round,
        *,
        question_count: int = 3,
        duration_minutes: int = 60,
        starts_at: dt.datetime = T0 + dt.timedelta(days=30),
        papers: bool = True,
    ) -> Test:
        board = Factories.user(Role.BOARD_ADMIN)
        bank = Factories.bank(question_count * 3)
        # A test is defined before the testing stage and its papers drawn in it; the round is
        # left in testing (where the papers are sat) unless it was further on already.
        before_testing = round_.is_before(RoundStatus.TESTING)
        defined_in = round_.status if before_testing else RoundStatus.SCREENING
        with Factories.in_stage(round_, defined_in):
            test = create_test(
                round_,
                bank,
                title="Trắc nghiệm kiến thức chung",
                question_count=question_count,
                duration_minutes=duration_minutes,
                starts_at=starts_at,
                actor=board,
            )
        test.shuffle_options = False  # tests reason about option positions
        if papers:
            if before_testing:
                Factories.stage(round_, RoundStatus.TESTING)
            with Factories.in_stage(round_, RoundStatus.TESTING):
                generate_papers(test, actor=board, at=starts_at - dt.timedelta(hours=1))
        db.session.flush()
        return test

    @staticmethod
    def attempt(test: Test, application: Application) -> Attempt:
        attempt = attempt_for(test, application)
        assert attempt is not None
        return attempt

    @staticmethod
    def panel(position: Position, members: int = 3) -> Panel:
        board = Factories.user(Role.BOARD_ADMIN)
        people = [Factories.user(Role.PANEL_MEMBER) for _ in range(members)]
        seats = [(people[0], PanelRole.CHAIR)] + [(p, PanelRole.MEMBER) for p in people[1:]]
        panel = create_panel(position, f"Ban phỏng vấn {next(_counter)}", seats, actor=board)
        db.session.flush()
        return panel

    # --- rounds, candidates and eligibility (issue 3) ---------------------------------------

    @staticmethod
    def unit_tree(
        psu: str = "Bệnh viện Đa khoa Thử Nghiệm", division: str = "Phòng Tổ chức – Hành chính"
    ):
        """Hà Nội › Sở Y tế › ``psu`` › ``division`` (reusing nodes that exist); returns the
        division."""
        import sqlalchemy as sa

        from exam.rounds.models import Unit, UnitLevel
        from exam.rounds.operations import create_unit

        board = Factories.user(Role.BOARD_ADMIN)
        parent = None
        for name, level in (
            ("Thành phố Hà Nội", UnitLevel.CITY),
            ("Sở Y tế", UnitLevel.DEPARTMENT),
            (psu, UnitLevel.PUBLIC_SERVICE_UNIT),
            (division, UnitLevel.DIVISION),
        ):
            under = Unit.parent_id.is_(None) if parent is None else Unit.parent_id == parent.id
            query = sa.select(Unit).where(Unit.name == name, Unit.level == level, under)
            node = db.session.scalars(query).one_or_none()  # unique per parent
            parent = node or create_unit(name, level, parent, actor=board)
        db.session.flush()
        return parent

    @staticmethod
    def national_id(born: dt.date, gender: Gender) -> str:
        """A CCCD number consistent with the birth date and gender (province 001, Hà Nội)."""
        code = (born.year - 1900) // 100 * 2 + (0 if gender == Gender.MALE else 1)
        return f"001{code}{born.year % 100:02d}{next(_counter) % 1_000_000:06d}"

    @staticmethod
    def details(born: dt.date = dt.date(1985, 5, 17), gender: Gender = Gender.FEMALE, **changes):
        """A dossier that meets the default standards of a position of ``make.round()``."""
        import dataclasses

        from exam.candidates.operations import ApplicationDetails
        from exam.rounds.standards import (
            DegreeLevel,
            Discipline,
            PoliticalTheory,
            Rank,
            Rating,
            StateManagement,
        )

        good = ApplicationDetails(
            national_id=Factories.national_id(born, gender),
            phone="0912 345 678",
            degree_level=DegreeLevel.MASTER,
            degree_field="Quản lý bệnh viện",
            political_theory=PoliticalTheory.INTERMEDIATE,
            state_management=StateManagement.SPECIALIST,
            leadership_training=True,
            rank=Rank.GRADE_3,
            post_held_since=dt.date(2020, 1, 1),
            ratings=(Rating.GOOD, Rating.EXCELLENT, Rating.GOOD),
            discipline=Discipline.NONE,
            discipline_on=None,
            health_certificate_on=dt.date(2026, 2, 1),
        )
        return dataclasses.replace(good, **changes)

    @staticmethod
    def dossier(
        position: Position,
        candidate: User | None = None,
        *,
        at: dt.datetime = T0,
        born: dt.date = dt.date(1985, 5, 17),
        gender: Gender = Gender.FEMALE,
        documents: bool = True,
        **changes,
    ) -> Application:
        """A complete online dossier, signed, with every supporting document (a tiny PDF)."""
        from exam.candidates.eligibility import DocumentKind
        from exam.candidates.operations import DECLARATION_TEXT, add_document

        candidate = candidate or Factories.user(Role.CANDIDATE)
        # Dossiers are sent while registration is open (the round is put back after).
        with Factories.in_stage(position.round, RoundStatus.REGISTRATION_OPEN):
            application = apply_to_position(
                candidate,
                position,
                date_of_birth=born,
                gender=gender,
                current_unit="Bệnh viện Đa khoa Thử Nghiệm",
                current_post="Phó Trưởng phòng Tổ chức – Hành chính",
                details=Factories.details(born, gender, **changes),
                declaration=str(DECLARATION_TEXT),
                at=at,
            )
            if documents:
                for kind in (
                    DocumentKind.DEGREE,
                    DocumentKind.CERTIFICATES,
                    DocumentKind.CV,
                    DocumentKind.RATINGS,
                    DocumentKind.APPROVAL,
                    DocumentKind.HEALTH,
                ):
                    add_document(
                        application,
                        kind=kind,
                        filename=f"{kind.value}.pdf",
                        data=PDF_BYTES,
                        actor=candidate,
                        at=at,
                    )
        db.session.flush()
        return application

    @staticmethod
    def screened_round(eligible: int = 2, *, positions: int = 1, board: User | None = None):
        """A round in screening whose positions each have ``eligible`` eligible dossiers;
        the clock is past the registration deadline."""
        from exam.candidates.screening import decide_eligibility as decide

        board = board or Factories.user(Role.BOARD_ADMIN)
        round_ = Factories.round(positions=positions, board=board)
        dossiers = [Factories.dossier(p) for p in round_.positions for _ in range(eligible)]
        after = round_.registration_closes_at + dt.timedelta(hours=1)
        advance_round(round_, actor=board, at=after)  # registration closed
        advance_round(round_, actor=board, at=after)  # screening
        for application in dossiers:
            decide(application, eligible=True, reason="", actor=board, at=after)
        db.session.flush()
        return round_


def _body_id(connection: sa.Connection, round_id: int, kind: BodyKind, name: str = "") -> int:
    """The round's body of ``kind`` (and ``name``), inserted if missing."""
    bodies = Body.__table__
    if kind == BodyKind.INTERVIEW:
        name = name or AUTO_PANEL
    found = connection.scalar(
        sa.select(bodies.c.id).where(
            bodies.c.round_id == round_id, bodies.c.kind == kind, bodies.c.name == name
        )
    )
    if found is not None:
        return found
    return connection.execute(
        bodies.insert().values(
            round_id=round_id,
            kind=kind,
            name=name,
            decision_number=f"TEST-{kind.value}-{name or 0}-{next(_counter)}",
            decision_on=dt.date(2026, 1, 5),
            signer_name="Người Ký Thử",
            signer_title="Giám đốc",
        )
    ).inserted_primary_key[0]


def _seat_row(connection: sa.Connection, user_id: int, round_id: int, kind: BodyKind) -> None:
    members = Membership.__table__
    body_id = _body_id(connection, round_id, kind)
    taken = connection.scalar(
        sa.select(members.c.id).where(members.c.body_id == body_id, members.c.user_id == user_id)
    )
    if taken is None:
        connection.execute(
            members.insert().values(
                body_id=body_id, user_id=user_id, function=MemberFunction.MEMBER, post=""
            )
        )


@sa.event.listens_for(sa.orm.Session, "after_flush")
def seat_by_role(session: sa.orm.Session, _context: object) -> None:
    """Seat by default (``AUTO_SEATS``): a new round gets every staff person on its bodies,
    a new staff role seats its holder on every round. Plain inserts on the flush's own
    connection, so the flush itself is unchanged."""
    if not auto_seat["on"]:
        return
    rounds = [o for o in session.new if isinstance(o, Round)]
    grants = [o for o in session.new if isinstance(o, RoleGrant) and o.role in AUTO_SEATS]
    if not rounds and not grants:
        return
    connection = session.connection()
    seated = sa.select(RoleGrant.user_id, RoleGrant.role).join(User, User.id == RoleGrant.user_id)
    seated = seated.where(RoleGrant.role.in_(list(AUTO_SEATS)), ~User.email.startswith(UNSEATED))
    if rounds:
        people = connection.execute(seated).all()
        for round_ in rounds:
            for user_id, role in people:
                _seat_row(connection, user_id, round_.id, AUTO_SEATS[Role(role)])
    if grants:
        wanted = {g.user_id for g in grants}
        people = connection.execute(seated.where(RoleGrant.user_id.in_(wanted))).all()
        round_ids = connection.scalars(sa.select(Round.id)).all()
        for user_id, role in people:
            for round_id in round_ids:
                _seat_row(connection, user_id, round_id, AUTO_SEATS[Role(role)])


PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
