"""The demo: two rounds of Hanoi public service units, each at a stage its data agrees with.

- Round A (Bệnh viện Đa khoa Thanh Xuân, two heads of division) is on its test day: the
  registration closed ten days ago, every dossier is decided, the test began five minutes
  ago in a room with its invigilators; two candidates are answering, the others can sign in
  and sit it; the draw, the summons and the panels' set-up are the board's next steps.
- Round B (Bệnh viện Đa khoa Đống Đa, one head of department) is in its interviews: the test
  took place two weeks ago, the lot fixed the order, three of the five panel members have
  scored; two still can, and the board can then rank the candidates.

Everything is made through the same operations the pages use, so the demo also shows that
the whole path works.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from exam.accounts.models import Role, User
from exam.accounts.operations import create_user
from exam.candidates.models import Application, Gender
from exam.candidates.operations import apply_to_position
from exam.candidates.screening import decide_eligibility, draw_presentation_order
from exam.core.i18n import local_to_utc, to_local
from exam.council.models import Body, BodyKind, MemberFunction
from exam.council.operations import add_member, set_up_body
from exam.exams.definition import add_room, create_test
from exam.exams.models import Test
from exam.exams.papers import attempt_for, generate_papers
from exam.exams.sitting import save_answer, start_attempt, submit_attempt
from exam.extensions import db
from exam.panels.models import Criterion, Panel, PanelRole, Relation
from exam.panels.operations import DEFAULT_CRITERIA, create_panel, declare, seal_sheet, set_guide
from exam.panels.queries import interview_list
from exam.question_bank.formats import parse
from exam.question_bank.formats.native import parse_bank_meta
from exam.question_bank.models import Bank, QuestionStatus
from exam.question_bank.operations import (
    approve_question,
    create_bank,
    import_questions,
    submit_for_review,
)
from exam.question_bank.qtypes import get_type
from exam.question_bank.queries import approved_questions
from exam.rounds.models import Position, Round, Unit, UnitLevel
from exam.rounds.operations import add_position, advance_round, create_round, create_unit

DEMO_PASSWORD = "thituyen-2026"
BANK_DIR = Path(__file__).resolve().parent.parent / "question_bank"

STAFF = [
    ("nhansu@sonoivu.demo", "Hà Thị Minh Nguyệt", {Role.BOARD_ADMIN}),
    ("chutich@hoidong.demo", "Trần Quốc Hưng", {Role.BOARD_ADMIN}),
    ("thuky@hoidong.demo", "Lê Thị Thu Hà", {Role.BOARD_ADMIN}),
    ("giamsat@hoidong.demo", "Phạm Văn Đức", {Role.SUPERVISOR}),
    ("soande1@hoidong.demo", "Nguyễn Thị Lan Anh", {Role.QUESTION_AUTHOR}),
    ("soande2@hoidong.demo", "Đỗ Minh Tuấn", {Role.QUESTION_AUTHOR}),
    ("phongvan1@hoidong.demo", "Vũ Thị Hồng Nhung", {Role.PANEL_MEMBER}),
    ("phongvan2@hoidong.demo", "Hoàng Văn Thắng", {Role.PANEL_MEMBER}),
    ("phongvan3@hoidong.demo", "Bùi Thị Ngọc Ánh", {Role.PANEL_MEMBER}),
    ("phongvan4@hoidong.demo", "Đặng Quang Minh", {Role.PANEL_MEMBER}),
    ("phongvan5@hoidong.demo", "Ngô Thị Phương", {Role.PANEL_MEMBER}),
    ("giamthi1@hoidong.demo", "Lý Thị Thanh Tâm", {Role.INVIGILATOR}),
    ("giamthi2@hoidong.demo", "Tạ Văn Sơn", {Role.INVIGILATOR}),
    # The Ban phách and the marking board (their powers come from their seats, SEATS).
    ("phach@hoidong.demo", "Trịnh Thị Mai Phương", {Role.INVIGILATOR}),
    ("chamthi1@hoidong.demo", "Đinh Văn Khải", {Role.INVIGILATOR}),
    ("chamthi2@hoidong.demo", "Mạc Thị Thủy", {Role.INVIGILATOR}),
    ("chamthi3@hoidong.demo", "Kiều Văn Long", {Role.INVIGILATOR}),
]

# (email, name, birth date, gender, current unit, current post, position index, decision)
CANDIDATES = [
    (
        "an.nguyen@ungvien.demo",
        "Nguyễn Văn An",
        dt.date(1982, 3, 14),
        Gender.MALE,
        "Phòng Tổ chức – Hành chính",
        "Phó Trưởng phòng",
        0,
        "eligible",
    ),
    (
        "binh.tran@ungvien.demo",
        "Trần Thị Bình",
        dt.date(1985, 7, 2),
        Gender.FEMALE,
        "Khoa Khám bệnh",
        "Điều dưỡng trưởng",
        0,
        "eligible",
    ),
    (
        "cuong.le@ungvien.demo",
        "Lê Mạnh Cường",
        dt.date(1979, 11, 20),
        Gender.MALE,
        "Phòng Kế hoạch tổng hợp",
        "Chuyên viên chính",
        0,
        "eligible",
    ),
    (
        "duong.pham@ungvien.demo",
        "Phạm Thùy Dương",
        dt.date(1990, 1, 9),
        Gender.FEMALE,
        "Phòng Tổ chức – Hành chính",
        "Chuyên viên",
        0,
        "rejected_post",
    ),
    (
        "giang.hoang@ungvien.demo",
        "Hoàng Thị Giang",
        dt.date(1984, 5, 30),
        Gender.FEMALE,
        "Phòng Tài chính – Kế toán",
        "Phó Trưởng phòng",
        1,
        "eligible",
    ),
    (
        "hieu.vu@ungvien.demo",
        "Vũ Trung Hiếu",
        dt.date(1983, 9, 12),
        Gender.MALE,
        "Sở Tài chính Hà Nội",
        "Chuyên viên chính",
        1,
        "eligible",
    ),
    (
        "khanh.do@ungvien.demo",
        "Đỗ Ngọc Khánh",
        dt.date(1987, 12, 1),
        Gender.FEMALE,
        "Phòng Tài chính – Kế toán",
        "Kế toán viên chính",
        1,
        "eligible",
    ),
    (
        "long.bui@ungvien.demo",
        "Bùi Đức Long",
        dt.date(1966, 4, 18),
        Gender.MALE,
        "Trung tâm Y tế khu vực Hà Đông",
        "Kế toán viên",
        1,
        "rejected",
    ),
]
REJECTIONS = {
    "rejected": (
        "Không đáp ứng tiêu chuẩn tuổi: tại thời điểm bổ nhiệm không đủ thời gian công tác "
        "5 năm (một nhiệm kỳ) trước khi đến tuổi nghỉ hưu."
    ),
    "rejected_post": "Chưa giữ chức vụ lãnh đạo cấp phó hoặc tương đương đủ 12 tháng.",
}
# Round A: these candidates began answering as the test opened.
ALREADY_SITTING = {"giang.hoang@ungvien.demo", "hieu.vu@ungvien.demo"}

# Round B's candidates (same shape as CANDIDATES), their accuracy in the test and the scores
# of the three panel members who have scored.
EARLIER_CANDIDATES = [
    (
        "mai.dinh@ungvien.demo",
        "Đinh Thị Mai",
        dt.date(1983, 2, 11),
        Gender.FEMALE,
        "Khoa Khám bệnh",
        "Phó Trưởng khoa",
        0,
        "eligible",
    ),
    (
        "nam.trinh@ungvien.demo",
        "Trịnh Hoài Nam",
        dt.date(1980, 8, 25),
        Gender.MALE,
        "Khoa Nội tổng hợp",
        "Phó Trưởng khoa",
        0,
        "eligible",
    ),
    (
        "thao.luu@ungvien.demo",
        "Lưu Phương Thảo",
        dt.date(1986, 10, 3),
        Gender.FEMALE,
        "Trung tâm Y tế khu vực Long Biên",
        "Bác sĩ chính",
        0,
        "eligible",
    ),
    (
        "quy.ta@ungvien.demo",
        "Tạ Đình Quý",
        dt.date(1988, 6, 17),
        Gender.MALE,
        "Khoa Cấp cứu",
        "Bác sĩ",
        0,
        "eligible",
    ),
]
EARLIER_PERFORMANCE = {
    "mai.dinh@ungvien.demo": (0.9, [86, 84.5, 88]),
    "nam.trinh@ungvien.demo": (0.75, [79, 81, 78.5]),
    "thao.luu@ungvien.demo": (0.65, [74, 76, 73]),
    "quy.ta@ungvien.demo": (0.2, []),  # below the test gate: not interviewed
}


@dataclass(frozen=True)
class RoundPlan:
    name: str
    unit: str
    positions: list[tuple[str, str]]  # (title, division)
    opened: int  # days ago
    closed: int  # days ago
    test_in_days: int  # the test's date from today (negative: past)


TESTING_ROUND = RoundPlan(
    name="Thi tuyển Trưởng phòng năm 2026 – Bệnh viện Đa khoa Thanh Xuân (minh họa)",
    unit="Bệnh viện Đa khoa Thanh Xuân",
    positions=[
        ("Trưởng phòng Tổ chức – Hành chính", "Phòng Tổ chức – Hành chính"),
        ("Trưởng phòng Tài chính – Kế toán", "Phòng Tài chính – Kế toán"),
    ],
    opened=40,
    closed=10,
    test_in_days=0,
)
INTERVIEW_ROUND = RoundPlan(
    name="Thi tuyển Trưởng khoa năm 2026 – Bệnh viện Đa khoa Đống Đa (minh họa)",
    unit="Bệnh viện Đa khoa Đống Đa",
    positions=[("Trưởng khoa Khám bệnh", "Khoa Khám bệnh")],
    opened=60,
    closed=30,
    test_in_days=-14,
)

# What each account is for, printed by `make run` (`flask demo load`).
GUIDE = [
    ("nhansu@sonoivu.demo", "Personnel office: rounds, their Councils, accounts; no round's work"),
    ("chutich@hoidong.demo", "Chair of both Councils: round A's draw and summons, B's ranking"),
    ("thuky@hoidong.demo", "Member-secretary of both Councils: the same powers"),
    ("giamsat@hoidong.demo", "Ban giám sát of both rounds: reads all, audit trail, its report"),
    ("soande1@hoidong.demo", "Ban đề thi: the question bank, imports and exports"),
    ("soande2@hoidong.demo", "Ban đề thi: reviews and approves questions"),
    ("giamthi1@hoidong.demo", "Ban coi thi of round A: its room, where the test is running now"),
    ("phach@hoidong.demo", "Ban phách of both rounds: codes the essays once the test is over"),
    ("chamthi1@hoidong.demo", "Head of the marking board: scores by code, third markers"),
    ("an.nguyen@ungvien.demo", "Candidate of round A: sit the test now (code on the test page)"),
    ("giang.hoang@ungvien.demo", "Candidate of round A, already answering"),
    ("phongvan4@hoidong.demo", "Interview board, round B's panel: three candidates to score"),
    ("phongvan1@hoidong.demo", "Interview board, chair of round B's panel: has scored all"),
    ("mai.dinh@ungvien.demo", "Candidate of round B: test taken, interviews under way"),
    ("duong.pham@ungvien.demo", "Candidate of round A found not eligible, with the reason"),
]


def _accounts() -> dict[str, User]:
    users = {}
    for email, name, roles in STAFF:
        users[email] = create_user(email, name, DEMO_PASSWORD, roles, actor=None)
    for email, name, *_ in CANDIDATES + EARLIER_CANDIDATES:
        users[email] = create_user(email, name, DEMO_PASSWORD, {Role.CANDIDATE}, actor=None)
    return users


def _load_banks(author: User, reviewer: User, now: dt.datetime) -> list[Bank]:
    """Every native file under question_bank/, every question type."""
    banks: dict[str, Bank] = {}
    for path in sorted(BANK_DIR.glob("*.yaml")):
        data = path.read_bytes()
        name, description = parse_bank_meta(data)
        if name not in banks:
            banks[name] = create_bank(name, description, actor=author)
        questions = parse(data, "native", filename=path.name)
        for question in import_questions(banks[name], questions, actor=author):
            if question.status == QuestionStatus.RETIRED:
                continue  # kept as history (a replaced law), never approved nor drawn
            submit_for_review(question, actor=author)
            approve_question(question, actor=reviewer, at=now)
    return list(banks.values())


def _tree(board: User) -> Unit:
    """Hà Nội › Sở Y tế: the part of the organisation tree the demo rounds use."""
    city = create_unit("Thành phố Hà Nội", UnitLevel.CITY, None, actor=board)
    return create_unit("Sở Y tế", UnitLevel.DEPARTMENT, city, actor=board)


def _round(
    board: User,
    health: Unit,
    plan: RoundPlan,
    now: dt.datetime,
) -> tuple[Round, list[Position]]:
    """A round announced ``plan.opened`` days ago whose registration closed ``plan.closed``
    days ago, with its positions in the tree and its schedule."""
    round_ = create_round(
        name=plan.name,
        organisation=plan.unit,
        registration_opens_at=now - dt.timedelta(days=plan.opened),
        registration_closes_at=now - dt.timedelta(days=plan.closed),
        actor=board,
    )
    round_.parent_body = "SỞ Y TẾ HÀ NỘI"
    today = to_local(now).date()  # the dates of the schedule are Hanoi's
    round_.test_date = today + dt.timedelta(days=plan.test_in_days)
    round_.presentation_starts_on = today + dt.timedelta(days=plan.test_in_days + 7)
    round_.presentation_ends_on = round_.presentation_starts_on + dt.timedelta(days=2)
    unit = create_unit(plan.unit, UnitLevel.PUBLIC_SERVICE_UNIT, health, actor=board)
    positions = [
        add_position(
            round_,
            title=title,
            unit=create_unit(division, UnitLevel.DIVISION, unit, actor=board),
            posts=1,
            standards="Có ít nhất 5 năm công tác trong ngành y tế.",
            actor=board,
        )
        for title, division in plan.positions
    ]
    advance_round(round_, actor=board, at=now - dt.timedelta(days=plan.opened))
    return round_, positions


def _screen(
    round_: Round,
    positions: list[Position],
    people: list[tuple],
    users: dict[str, User],
    board: User,
    now: dt.datetime,
    plan: RoundPlan,
) -> list[Application]:
    """Dossiers sent while registration was open, every one decided in screening, after it
    closed: the stages agree with the data."""
    applications = []
    for email, _, born, gender, unit, post, index, _decision in people:
        application = apply_to_position(
            users[email],
            positions[index],
            date_of_birth=born,
            gender=gender,
            current_unit=unit,
            current_post=post,
            at=now - dt.timedelta(days=plan.opened - 5),
        )
        applications.append(application)
    closed = now - dt.timedelta(days=plan.closed)
    advance_round(round_, actor=board, at=closed)  # registration closed
    advance_round(round_, actor=board, at=closed)  # screening
    for application, (*_, decision) in zip(applications, people, strict=True):
        decide_eligibility(
            application,
            eligible=decision == "eligible",
            reason=REJECTIONS.get(decision, "Đáp ứng đủ tiêu chuẩn."),
            actor=board,
            at=closed + dt.timedelta(days=2),
        )
    return applications


def _to_testing(round_: Round, board: User, now: dt.datetime, plan: RoundPlan) -> None:
    """The test defined in screening, the round moves to its testing stage (where papers are
    drawn) three days after registration closed."""
    advance_round(round_, actor=board, at=now - dt.timedelta(days=plan.closed - 3))


def _test(round_: Round, bank: Bank, board: User, starts_at: dt.datetime, title: str) -> Test:
    test = create_test(
        round_,
        bank,
        title=title,
        question_count=30,
        duration_minutes=90,
        starts_at=starts_at,
        question_type="single_choice",  # the demo candidates answer choice questions
        actor=board,
    )
    return test


def _sit_test(
    test: Test,
    application: Application,
    accuracy: float,
    at: dt.datetime,
    *,
    answered: int | None = None,
    submit: bool = True,
) -> None:
    """A candidate of the demo sits the test: right answers at the given rate, the first
    ``answered`` questions only when given, submitted or still in progress."""
    rng = random.Random(application.candidate.email)  # the same answers on every database
    attempt = attempt_for(test, application)
    start_attempt(attempt, session_code=test.session_code, at=at)
    for seq, item in enumerate(attempt.questions[:answered], start=1):
        data = item.version.data
        options = [c["id"] for c in data["choices"]]
        right = [c["id"] for c in data["choices"] if c["fraction"] > 0]
        good = rng.random() < accuracy
        response = right[0] if good else rng.choice([o for o in options if o not in right])
        qtype = get_type(item.version.type)
        save_answer(attempt, item, qtype.clean_response(data, response), seq=seq, at=at)
    if submit:
        submit_attempt(attempt, actor=application.candidate, at=at + dt.timedelta(minutes=50))


# Who sits on which body of each round (docs/domain.md §2): a person's powers in a round
# come from these seats; the platform administration (nhansu) sits on none.
SEATS = [
    (BodyKind.COUNCIL, "chutich@hoidong.demo", MemberFunction.CHAIR),
    (BodyKind.COUNCIL, "thuky@hoidong.demo", MemberFunction.SECRETARY),
    (BodyKind.SUPERVISORY, "giamsat@hoidong.demo", MemberFunction.HEAD),
    (BodyKind.INVIGILATION, "giamthi1@hoidong.demo", MemberFunction.HEAD),
    (BodyKind.INVIGILATION, "giamthi2@hoidong.demo", MemberFunction.MEMBER),
    (BodyKind.ANONYMISATION, "phach@hoidong.demo", MemberFunction.HEAD),
    (BodyKind.MARKING, "chamthi1@hoidong.demo", MemberFunction.HEAD),
    (BodyKind.MARKING, "chamthi2@hoidong.demo", MemberFunction.MEMBER),
    (BodyKind.MARKING, "chamthi3@hoidong.demo", MemberFunction.MEMBER),
    *(
        (BodyKind.INTERVIEW, f"phongvan{i}@hoidong.demo", function)
        for i, function in enumerate([MemberFunction.HEAD] + [MemberFunction.MEMBER] * 4, 1)
    ),
]


def _bodies(round_: Round, users: dict[str, User], now: dt.datetime) -> None:
    """The round's Council and supervisory board, set up by the platform administration's
    decisions, then the Council's boards, each with its members (``SEATS``)."""
    admin, chair = users["nhansu@sonoivu.demo"], users["chutich@hoidong.demo"]
    bodies: dict[BodyKind, Body] = {}
    for number, kind in enumerate(dict.fromkeys(kind for kind, _, _ in SEATS), 1):
        bodies[kind] = set_up_body(
            round_,
            kind,
            name="Các vị trí" if kind == BodyKind.INTERVIEW else "",
            decision_number=f"{number}/QĐ-{round_.id}",
            decision_on=to_local(now).date() - dt.timedelta(days=70),
            signer_name=chair.full_name if kind.is_board else admin.full_name,
            signer_title="Chủ tịch Hội đồng thi tuyển" if kind.is_board else "Giám đốc Sở Nội vụ",
            actor=chair if kind.is_board else admin,
        )
    for kind, email, function in SEATS:
        add_member(bodies[kind], users[email], function, actor=admin)


def _panels(positions: list[Position], users: dict[str, User], board: User) -> list[Panel]:
    members = [users[f"phongvan{i}@hoidong.demo"] for i in range(1, 6)]
    seats = [(members[0], PanelRole.CHAIR)] + [(u, PanelRole.MEMBER) for u in members[1:]]
    return [
        create_panel(position, f"Ban phỏng vấn – {position.title}", seats, actor=board)
        for position in positions
    ]


def _testing_round(
    users: dict[str, User], health: Unit, bank: Bank, board: User, now: dt.datetime
) -> Round:
    """Round A, on its test day: the test began five minutes ago and lasts 90 minutes, in a
    room with its invigilator; two candidates are already answering, the others have yet to
    start (sign in as one of them to sit the test). Panels are set up for the interviews."""
    round_, positions = _round(board, health, TESTING_ROUND, now)
    _bodies(round_, users, now)
    applications = _screen(round_, positions, CANDIDATES, users, board, now, TESTING_ROUND)
    starts_at = now.replace(second=0, microsecond=0) - dt.timedelta(minutes=5)
    test = _test(round_, bank, board, starts_at, "Kiểm tra kiến thức chung (trắc nghiệm trên máy)")
    _to_testing(round_, board, now, TESTING_ROUND)
    add_room(
        test.sessions[0],
        name="Phòng máy số 1",
        capacity=20,
        invigilators=[users["giamthi1@hoidong.demo"], users["giamthi2@hoidong.demo"]],
        actor=board,
    )
    generate_papers(test, actor=board, at=starts_at - dt.timedelta(days=1))
    for application in applications:
        if application.candidate.email in ALREADY_SITTING:
            _sit_test(test, application, 0.8, now, answered=8, submit=False)
    _panels(positions, users, board)
    return round_


def _interview_round(
    users: dict[str, User], health: Unit, bank: Bank, board: User, now: dt.datetime
) -> Round:
    """Round B, a week into its interviews: the test took place two weeks ago, the lot has
    fixed the order of presentations, three of the five panel members have scored every
    candidate past the test gate; phongvan4 and phongvan5 still have their sheets to give."""
    round_, positions = _round(board, health, INTERVIEW_ROUND, now)
    _bodies(round_, users, now)
    applications = _screen(
        round_, positions, EARLIER_CANDIDATES, users, board, now, INTERVIEW_ROUND
    )
    test_day = to_local(now).date() + dt.timedelta(days=INTERVIEW_ROUND.test_in_days)
    starts_at = local_to_utc(dt.datetime.combine(test_day, dt.time(8, 0)))  # 08:00 in Hanoi
    test = _test(round_, bank, board, starts_at, "Kiểm tra kiến thức chung (đã thi)")
    _to_testing(round_, board, now, INTERVIEW_ROUND)
    add_room(test.sessions[0], name="Phòng máy số 2", capacity=20, actor=board)
    generate_papers(test, actor=board, at=starts_at - dt.timedelta(days=1))
    for application in applications:
        accuracy, _ = EARLIER_PERFORMANCE.get(application.candidate.email, (None, None))
        if accuracy is not None:
            _sit_test(test, application, accuracy, starts_at + dt.timedelta(minutes=2))
    for position in positions:
        draw_presentation_order(position, actor=board, at=now - dt.timedelta(days=10))
    guide = set_guide(round_, [(str(t), m, str(d)) for t, m, d in DEFAULT_CRITERIA], actor=board)
    advance_round(round_, actor=board, at=now - dt.timedelta(days=7))  # interviews
    [panel] = _panels(positions, users, board)
    scored_at = now - dt.timedelta(days=6)
    for member in panel.members[:3]:  # phongvan4 and phongvan5 have yet to declare
        for application in interview_list(panel):
            declare(member, application, Relation.NONE, actor=member.user, at=scored_at)
    for application in interview_list(panel):
        _, scores = EARLIER_PERFORMANCE[application.candidate.email]
        for member, score in zip(panel.members[:3], scores, strict=True):
            seal_sheet(
                member,
                application,
                _points(guide.criteria, Decimal(str(score))),
                actor=member.user,
                at=scored_at,
            )
    return round_


def _points(criteria: list[Criterion], total: Decimal) -> dict[str, str]:
    """A sheet's points giving ``total``: each criterion its share of its maximum, the
    rounding left on the last."""
    points, given = {}, Decimal(0)
    for criterion in criteria[:-1]:
        share = (criterion.max_points * total / 100).quantize(Decimal("0.01"))
        points[str(criterion.id)], given = str(share), given + share
    points[str(criteria[-1].id)] = str(total - given)
    return points


def load_demo(*, now: dt.datetime) -> list[tuple[str, str]]:
    """Two rounds, each at a stage its data agrees with; returns (account, what to try with
    it) for ``make run`` to print."""
    users = _accounts()
    board = users["chutich@hoidong.demo"]
    banks = _load_banks(users["soande1@hoidong.demo"], users["soande2@hoidong.demo"], now)
    bank = max(banks, key=lambda b: len(approved_questions(b.id)))
    health = _tree(board)
    _interview_round(users, health, bank, board, now)
    _testing_round(users, health, bank, board, now)
    db.session.flush()
    return GUIDE
