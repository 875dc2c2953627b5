"""The demo round: a Hanoi public service unit selecting two heads of division.

Everything is made through the same operations the pages use, so the demo also shows that
the whole path works: accounts, a round with two positions, applications and eligibility,
a bank loaded from ``question_bank/``, a test with papers, one position's candidates having
sat the test and been scored by a five-member panel.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from exam.accounts.models import Role, User
from exam.accounts.operations import create_user
from exam.candidates.models import Application, Gender
from exam.candidates.operations import apply_to_position, decide_eligibility
from exam.exams.models import Test
from exam.exams.operations import (
    attempt_for,
    create_test,
    generate_papers,
    save_answer,
    start_attempt,
    submit_attempt,
)
from exam.extensions import db
from exam.panels.models import PanelRole
from exam.panels.operations import create_panel, record_panel_score
from exam.question_bank.formats import parse
from exam.question_bank.formats.native import parse_bank_meta
from exam.question_bank.models import Bank
from exam.question_bank.operations import (
    approve_question,
    create_bank,
    import_questions,
    submit_for_review,
)
from exam.question_bank.qtypes import get_type
from exam.question_bank.queries import approved_questions
from exam.rounds.models import Position, Round, UnitLevel
from exam.rounds.operations import add_position, advance_round, create_round, create_unit

DEMO_PASSWORD = "thituyen-2026"
BANK_DIR = Path(__file__).resolve().parent.parent / "question_bank"

STAFF = [
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
        "pending",
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
REJECTION = (
    "Không đáp ứng tiêu chuẩn tuổi: tại thời điểm bổ nhiệm không đủ thời gian công tác "
    "5 năm (một nhiệm kỳ) trước khi đến tuổi nghỉ hưu."
)
# How often each candidate of the second position answers correctly, and the panel scores.
PERFORMANCE = {
    "giang.hoang@ungvien.demo": (0.85, [82, 85, 80.5, 84, 83]),
    "hieu.vu@ungvien.demo": (0.75, [78, 80, 76, 79.5, 77]),
    "khanh.do@ungvien.demo": (0.4, [70, 72, 69, 71, 70]),
}


def _accounts() -> dict[str, User]:
    users = {}
    for email, name, roles in STAFF:
        users[email] = create_user(email, name, DEMO_PASSWORD, roles, actor=None)
    for email, name, *_ in CANDIDATES:
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
            submit_for_review(question, actor=author)
            approve_question(question, actor=reviewer, at=now)
    return list(banks.values())


def _round(board: User, now: dt.datetime) -> tuple[Round, list[Position]]:
    round_ = create_round(
        name="Thi tuyển Trưởng phòng năm 2026 – Bệnh viện Đa khoa Thanh Xuân (minh họa)",
        organisation="Bệnh viện Đa khoa Thanh Xuân",
        registration_opens_at=now - dt.timedelta(days=10),
        registration_closes_at=now + dt.timedelta(days=20),
        actor=board,
    )
    round_.parent_body = "SỞ Y TẾ HÀ NỘI"
    # The organisation tree: Hà Nội › Sở Y tế › the hospital › its divisions.
    city = create_unit("Thành phố Hà Nội", UnitLevel.CITY, None, actor=board)
    health = create_unit("Sở Y tế", UnitLevel.DEPARTMENT, city, actor=board)
    hospital = create_unit(
        "Bệnh viện Đa khoa Thanh Xuân", UnitLevel.PUBLIC_SERVICE_UNIT, health, actor=board
    )
    standards = "Có ít nhất 5 năm công tác trong ngành y tế."
    positions = [
        add_position(
            round_,
            title=f"Trưởng phòng {division}",
            unit=create_unit(f"Phòng {division}", UnitLevel.DIVISION, hospital, actor=board),
            posts=1,
            standards=standards,
            actor=board,
        )
        for division in ("Tổ chức – Hành chính", "Tài chính – Kế toán")
    ]
    advance_round(round_, actor=board)
    return round_, positions


def _applications(
    users: dict[str, User], positions: list[Position], board: User, now: dt.datetime
) -> list[Application]:
    applications = []
    for email, _, born, gender, unit, post, index, decision in CANDIDATES:
        application = apply_to_position(
            users[email],
            positions[index],
            date_of_birth=born,
            gender=gender,
            current_unit=unit,
            current_post=post,
            at=now - dt.timedelta(days=5),
        )
        if decision != "pending":
            decide_eligibility(
                application,
                eligible=decision == "eligible",
                reason=REJECTION if decision == "rejected" else "Đáp ứng đủ tiêu chuẩn.",
                actor=board,
                at=now - dt.timedelta(days=1),
            )
        applications.append(application)
    return applications


def _sit_test(test: Test, application: Application, accuracy: float, now: dt.datetime) -> None:
    """A candidate of the demo sits the test: right answers at the given rate."""
    rng = random.Random(application.id)
    attempt = attempt_for(test, application)
    start_attempt(attempt, session_code=test.session_code, actor=application.candidate, at=now)
    for seq, item in enumerate(attempt.questions, start=1):
        data = item.version.data
        qtype = get_type(item.version.type)
        options = [c["id"] for c in data.get("choices", [])]
        right = [c["id"] for c in data.get("choices", []) if c["fraction"] > 0]
        good = rng.random() < accuracy
        if item.version.type == "true_false":
            response = data["answer"] if good else not data["answer"]
        elif item.version.type == "multiple_response":
            response = right if good else options[:1]
        else:
            response = right[0] if good else rng.choice([o for o in options if o not in right])
        save_answer(attempt, item, qtype.clean_response(data, response), seq=seq, at=now)
    submit_attempt(attempt, actor=application.candidate, at=now)


def load_demo(*, now: dt.datetime) -> list[tuple[str, str]]:
    users = _accounts()
    board = users["chutich@hoidong.demo"]
    banks = _load_banks(users["soande1@hoidong.demo"], users["soande2@hoidong.demo"], now)
    round_, positions = _round(board, now)
    applications = _applications(users, positions, board, now)

    # The test started a few minutes ago and lasts 90 minutes: demo candidates can sit it now.
    starts_at = now.replace(second=0, microsecond=0) - dt.timedelta(minutes=5)
    bank = max(banks, key=lambda b: len(approved_questions(b.id)))
    test = create_test(
        round_,
        bank,
        title="Kiểm tra kiến thức chung (trắc nghiệm trên máy)",
        question_count=30,
        duration_minutes=90,
        starts_at=starts_at,
        question_type="single_choice",  # the demo candidates answer choice questions
        actor=board,
    )
    generate_papers(test, actor=board, at=starts_at - dt.timedelta(days=1))

    panel_members = [users[f"phongvan{i}@hoidong.demo"] for i in range(1, 6)]
    for position in positions:
        seats = [(panel_members[0], PanelRole.CHAIR)] + [
            (u, PanelRole.MEMBER) for u in panel_members[1:]
        ]
        panel = create_panel(position, f"Ban phỏng vấn – {position.title}", seats, actor=board)
        if position is positions[1]:
            for application in applications:
                accuracy, scores = PERFORMANCE.get(application.candidate.email, (None, None))
                if scores is None or application.position_id != position.id:
                    continue
                _sit_test(test, application, accuracy, now)
                for member, score in zip(panel.members, scores, strict=True):
                    record_panel_score(member, application, score, actor=member.user, at=now)
    db.session.flush()
    return [(", ".join(sorted(r.value for r in roles)), email) for email, _, roles in STAFF] + [
        ("candidate", email) for email, *_ in CANDIDATES
    ]
