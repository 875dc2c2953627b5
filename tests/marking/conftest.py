"""A round whose papers hold an essay worth 100 points (criteria 60 + 40), sat and submitted,
with its Ban phách, its marking board and onlookers seated on its bodies."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa

from exam.accounts.models import Role, User
from exam.council.models import Body, BodyKind, MemberFunction, Membership
from exam.exams.models import Attempt, AttemptQuestion
from exam.exams.sitting import save_answer, start_attempt, submit_attempt
from exam.extensions import db
from exam.marking.models import MarkingSheet, Script
from exam.question_bank.interchange import QuestionData, RubricCriterion
from exam.question_bank.operations import create_question
from exam.rounds.models import Round

START = dt.datetime(2026, 4, 1, 1, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)
AFTER = START + dt.timedelta(days=1)
NAMES = ["Nguyễn Thị Hồng Nhung", "Trần Văn Bình", "Lê Quốc Cường"]
_numbers = itertools.count(1)


def seat_on(round_: Round, kind: BodyKind, user: User, function=MemberFunction.MEMBER) -> None:
    """A seat on the round's body of ``kind`` (set up if missing): a test's set-up, without
    the council's operations (tested in tests/council)."""
    body = db.session.scalar(sa.select(Body).where(Body.round_id == round_.id, Body.kind == kind))
    if body is None:
        body = Body(
            round_id=round_.id,
            kind=kind,
            name="",
            decision_number=f"{next(_numbers)}/QĐ-HĐTT-CHAM",
            decision_on=dt.date(2026, 3, 1),
            signer_name="Nguyễn Văn Ký",
            signer_title="Chủ tịch Hội đồng thi tuyển",
        )
        db.session.add(body)
        db.session.flush()
    db.session.add(Membership(body_id=body.id, user_id=user.id, function=function, post=""))
    db.session.flush()


@dataclass
class Essays:
    round_id: int
    attempt_ids: list[int]
    candidates: list[User]
    anonymiser: User
    head: User
    markers: list[User]  # the head first
    supervisor: User
    council: User
    essay_ids: list[int] = field(default_factory=list)

    @property
    def round(self) -> Round:
        return db.session.get(Round, self.round_id)

    def attempt(self, n: int) -> Attempt:
        return db.session.get(Attempt, self.attempt_ids[n])

    def script(self, n: int) -> Script:
        """Paper ``n``'s script of the first marking (an appeal's re-marking is another
        script of the same paper)."""
        return db.session.scalar(
            sa.select(Script).where(
                Script.attempt_id == self.attempt_ids[n], Script.remark.is_(False)
            )
        )

    def sheet(self, n: int, turn: int) -> MarkingSheet:
        return next(s for s in self.script(n).sheets if s.turn == turn)


def staff(name: str) -> User:
    from tests.factories import Factories

    # A question author's role seats them on no body by default: their seats are set here.
    return Factories.user(Role.QUESTION_AUTHOR, name=name)


def build_essays(
    make, answers: list[str] | None = None, markers: int = 4, *, leave_open: bool = False
) -> Essays:
    """``leave_open``: the last candidate starts and never submits."""
    answers = answers or [
        f"Bài làm số {n}: cải cách hành chính cần gắn với chuyển đổi số." for n in range(3)
    ]
    round_ = make.round()
    candidates = [make.user(Role.CANDIDATE, name=NAMES[n]) for n in range(len(answers))]
    applications = [make.application(round_.positions[0], c) for c in candidates]
    test = make.test(round_, question_count=2, starts_at=START)
    author = staff("Người Ra Đề")
    essay = create_question(
        test.bank,
        QuestionData(
            type="essay",
            text="Anh (chị) hãy trình bày giải pháp cải cách hành chính tại đơn vị.",
            rubric=[RubricCriterion("Nội dung", 60), RubricCriterion("Trình bày, lập luận", 40)],
            general_feedback="Nêu được ba giải pháp, mỗi giải pháp 20 điểm.",
        ),
        actor=author,
    )
    version = essay.versions[-1]
    world = Essays(
        round_id=round_.id,
        attempt_ids=[],
        candidates=candidates,
        anonymiser=staff("Phạm Ban Phách"),
        head=staff("Đỗ Trưởng Ban Chấm"),
        markers=[],
        supervisor=staff("Vũ Giám Sát"),
        council=staff("Hoàng Hội Đồng"),
    )
    seat_on(round_, BodyKind.ANONYMISATION, world.anonymiser, MemberFunction.HEAD)
    seat_on(round_, BodyKind.MARKING, world.head, MemberFunction.HEAD)
    world.markers = [world.head] + [staff(f"Thành Viên Chấm {n}") for n in range(1, markers)]
    for marker in world.markers[1:]:
        seat_on(round_, BodyKind.MARKING, marker)
    seat_on(round_, BodyKind.SUPERVISORY, world.supervisor)
    seat_on(round_, BodyKind.COUNCIL, world.council)
    for n, application in enumerate(applications):
        application.registration_number = f"{48213 + n}"  # numbers no page could hold by chance
    for candidate, application, text in zip(candidates, applications, answers, strict=True):
        attempt = make.attempt(test, application)
        item = AttemptQuestion(
            attempt=attempt,
            position=len(attempt.questions) + 1,
            question_version_id=version.id,
            option_order=[],
            points=100.0,
        )
        db.session.add(item)
        db.session.flush()
        start_attempt(
            attempt, session_code=attempt.session.code, at=START + dt.timedelta(minutes=1)
        )
        save_answer(attempt, item, text, seq=1, at=START + dt.timedelta(minutes=5))
        if not (leave_open and candidate is candidates[-1]):
            submit_attempt(attempt, actor=candidate, at=START + dt.timedelta(minutes=30))
        world.attempt_ids.append(attempt.id)
        world.essay_ids.append(item.id)
    db.session.flush()
    return world


@pytest.fixture
def essays(make) -> Essays:
    return build_essays(make)
