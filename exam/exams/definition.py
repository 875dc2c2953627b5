"""Defining a test: the blueprint and its bank pools, sections, the review option, sessions,
rooms, invigilators and seats (moving a candidate before the start)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.core.db import lock_row
from exam.core.errors import DomainError, ValidationFailed
from exam.council.models import BodyKind
from exam.council.queries import is_member
from exam.exams.cards import reissue_card_if_issued
from exam.exams.models import (
    BANK_RATIO_DEFAULT,
    BANK_RATIO_RANGE,
    LATE_ENTRY_MINUTES_DEFAULT,
    LATE_ENTRY_MINUTES_RANGE,
    PENALTY_PERCENT_RANGE,
    REPRIMAND_PERCENT_DEFAULT,
    WARNING_PERCENT_DEFAULT,
    Attempt,
    AttemptStatus,
    ExamSession,
    ReviewOption,
    Room,
    Test,
    TestSection,
)
from exam.exams.rules import new_session_code, required_text
from exam.extensions import db
from exam.question_bank.models import (
    Bank,
    Category,
    Difficulty,
    Question,
    QuestionVersion,
)
from exam.question_bank.queries import approved_with_current_version, subtree_ids
from exam.rounds.models import Round, RoundStatus
from exam.rounds.stages import require_stage, stages_between

# The test is defined before the testing stage; its sessions and rooms may still be set up
# in it (a room added when papers find no seat), never after.
_BEFORE_TESTING = stages_between(RoundStatus.DRAFT, RoundStatus.SCREENING)
_UNTIL_TESTING = stages_between(RoundStatus.DRAFT, RoundStatus.TESTING)

# --- the blueprint and the bank -------------------------------------------------------------


@dataclass(frozen=True)
class PoolEntry:
    question_id: int
    version: QuestionVersion


def approved_pool(bank_id: int) -> list[tuple[Question, QuestionVersion]]:
    """Every approved question of a bank with its current version (the bank's rule)."""
    return approved_with_current_version(bank_id)


def _subtree(bank_id: int, category_id: int | None) -> set[int] | None:
    """The category and all its subcategories (None: any category)."""
    return None if category_id is None else subtree_ids(bank_id, category_id)


def section_pool(
    test: Test, section: TestSection, approved: list[tuple[Question, QuestionVersion]]
) -> dict[int, QuestionVersion]:
    """The approved questions a section may draw: its category (with subcategories), its
    difficulty and its type, each when set."""
    categories = _subtree(test.bank_id, section.category_id)
    return {
        question.id: version
        for question, version in approved
        if (categories is None or question.category_id in categories)
        and (section.difficulty is None or version.difficulty == section.difficulty)
        and (section.question_type is None or version.type == section.question_type)
    }


@dataclass
class SectionCheck:
    section: TestSection
    available: int
    needed: int

    @property
    def ok(self) -> bool:
        return self.available >= self.needed


def check_blueprint(
    test: Test, sections: list[TestSection] | None = None
) -> tuple[list[SectionCheck], list[tuple[str, str]]]:
    """The ≥ 3× rule (docs/domain.md), checked **per section** (each cell of the blueprint has at
    least ``bank_ratio`` × its questions in the bank) and, for sections whose pools share
    questions, on their union (so that overlapping sections cannot take each other's
    questions). Returns each section's figures and the problems, empty when the blueprint
    can be scheduled. ``sections``: a blueprint to check instead of the test's own."""
    sections = list(test.sections) if sections is None else sections
    with db.session.no_autoflush:
        approved = approved_pool(test.bank_id)
        pools = {section: section_pool(test, section, approved) for section in sections}
    checks, problems = [], []
    if not sections:
        problems.append(("question_count", str(_l("Đề thi cần ít nhất một phần."))))
    for section in sections:
        check = SectionCheck(section, len(pools[section]), section.question_count * test.bank_ratio)
        checks.append(check)
        if not check.ok:
            problems.append(("question_count", _shortage_message(sections, section, check)))
    for group in _overlapping_groups(sections, pools):
        union = set().union(*(pools[s] for s in group))
        needed = sum(s.question_count for s in group) * test.bank_ratio
        if len(union) < needed:
            problems.append(
                (
                    "question_count",
                    str(
                        _l(
                            "Các phần %(names)s dùng chung câu hỏi: ngân hàng chỉ có %(n)d câu "
                            "phù hợp, cần ít nhất %(m)d.",
                            names=", ".join(f"«{s.title}»" for s in group),
                            n=len(union),
                            m=needed,
                        )
                    ),
                )
            )
    return checks, problems


def _shortage_message(
    sections: list[TestSection], section: TestSection, check: SectionCheck
) -> str:
    unfiltered = (
        section.category_id is None and section.difficulty is None and not section.question_type
    )
    if len(sections) == 1 and unfiltered:
        return str(
            _l(
                "Ngân hàng chỉ có %(n)d câu hỏi đã duyệt; đề %(q)d câu cần ít nhất %(m)d.",
                n=check.available,
                q=section.question_count,
                m=check.needed,
            )
        )
    return str(
        _l(
            "Phần «%(title)s»: ngân hàng chỉ có %(n)d câu hỏi đã duyệt phù hợp; %(q)d câu cần "
            "ít nhất %(m)d.",
            title=section.title,
            n=check.available,
            q=section.question_count,
            m=check.needed,
        )
    )


def _overlapping_groups(
    sections: list[TestSection], pools: dict[TestSection, dict[int, QuestionVersion]]
) -> list[list[TestSection]]:
    """Groups of two or more sections linked by shared questions."""
    groups: list[list[TestSection]] = []
    for section in sections:
        linked = [g for g in groups if any(pools[s].keys() & pools[section].keys() for s in g)]
        merged = [section] + [s for g in linked for s in g]
        groups = [g for g in groups if g not in linked] + [merged]
    return [sorted(g, key=lambda s: s.position) for g in groups if len(g) > 1]


def ensure_schedulable(test: Test, sections: list[TestSection] | None = None) -> None:
    _, problems = check_blueprint(test, sections)
    if problems:
        raise ValidationFailed(problems)


def _ensure_blueprint_editable(test: Test) -> None:
    if test.papers_generated_at is not None:
        raise DomainError(_l("Đã tạo đề cho thí sinh: không thể sửa ma trận đề."))
    require_stage(test.round, *_BEFORE_TESTING, action=_l("sửa ma trận đề"))


def create_test(
    round_: Round,
    bank: Bank,
    *,
    title: str,
    question_count: int,
    duration_minutes: int,
    starts_at: dt.datetime,
    points_per_question: float = 1.0,
    category: Category | None = None,
    difficulty: Difficulty | None = None,
    question_type: str | None = None,
    review_option: ReviewOption = ReviewOption.SCORE_ONLY,
    late_entry_minutes: int = LATE_ENTRY_MINUTES_DEFAULT,
    actor: User,
) -> Test:
    """A test with its first section and its first session ("Ca 1"); more sections and
    sessions may be added. Refused when the bank cannot supply the blueprint."""
    require_stage(round_, *_BEFORE_TESTING, action=_l("tạo bài thi"))
    test = Test(
        round_id=round_.id,
        bank_id=bank.id,
        title=required_text(title, "title", _l("Vui lòng điền mục này.")),
        duration_minutes=duration_minutes,
        review_option=review_option,
        shuffle_questions=True,
        shuffle_options=True,
        bank_ratio=BANK_RATIO_DEFAULT,
        reprimand_percent=REPRIMAND_PERCENT_DEFAULT,
        warning_percent=WARNING_PERCENT_DEFAULT,
    )
    first = TestSection(
        position=1,
        title=str(_l("Phần 1")),
        category_id=category.id if category else None,
        difficulty=difficulty,
        question_type=question_type or None,
        question_count=question_count,
        points_per_question=points_per_question,
    )
    ensure_schedulable(test, [first])
    test.sections.append(first)
    db.session.add(test)
    test.sessions.append(
        ExamSession(
            name=str(_l("Ca 1")),
            starts_at=starts_at,
            code=new_session_code(),
            late_entry_minutes=late_entry_minutes,
        )
    )
    record(
        "test.create",
        test,
        actor=actor,
        after={
            "title": test.title,
            "bank_id": bank.id,
            "question_count": question_count,
            "duration_minutes": duration_minutes,
            "starts_at": starts_at,
        },
    )
    return test


def add_section(
    test: Test,
    *,
    title: str,
    question_count: int,
    points_per_question: float,
    category: Category | None = None,
    difficulty: Difficulty | None = None,
    question_type: str | None = None,
    actor: User,
) -> TestSection:
    _ensure_blueprint_editable(test)
    if category is not None and category.bank_id != test.bank_id:
        raise ValidationFailed([("category_id", _l("Chủ đề không thuộc ngân hàng của bài thi."))])
    section = TestSection(
        position=max((s.position for s in test.sections), default=0) + 1,
        title=required_text(title, "title", _l("Vui lòng điền mục này.")),
        category_id=category.id if category else None,
        difficulty=difficulty,
        question_type=question_type or None,
        question_count=question_count,
        points_per_question=points_per_question,
    )
    ensure_schedulable(test, [*test.sections, section])
    test.sections.append(section)
    record(
        "test.add_section",
        test,
        actor=actor,
        after={
            "title": section.title,
            "category_id": section.category_id,
            "difficulty": section.difficulty,
            "question_type": section.question_type,
            "question_count": question_count,
            "points_per_question": points_per_question,
        },
    )
    return section


def remove_section(section: TestSection, *, actor: User) -> None:
    test = section.test
    _ensure_blueprint_editable(test)
    if len(test.sections) == 1:
        raise DomainError(_l("Đề thi cần ít nhất một phần."))
    test.sections.remove(section)
    db.session.flush()
    record("test.remove_section", test, actor=actor, before={"title": section.title})


def set_review_option(test: Test, option: ReviewOption, *, actor: User) -> Test:
    before = test.review_option
    test.review_option = option
    record(
        "test.review_option", test, actor=actor, before={"review": before}, after={"review": option}
    )
    return test


def _out_of(bounds: tuple[int, int], value: int) -> bool:
    low, high = bounds
    return not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high


def _check_late_entry(minutes: int) -> None:
    low, high = LATE_ENTRY_MINUTES_RANGE
    if _out_of(LATE_ENTRY_MINUTES_RANGE, minutes):
        message = _l(
            "Thời gian cho phép vào muộn từ %(low)d đến %(high)d phút.", low=low, high=high
        )
        raise ValidationFailed([("late_entry_minutes", message)])


def _check_test_rules(bank_ratio: int, reprimand_percent: int, warning_percent: int) -> None:
    problems = []
    if _out_of(BANK_RATIO_RANGE, bank_ratio):
        low, high = BANK_RATIO_RANGE
        message = _l(
            "Ngân hàng phải có từ %(low)d đến %(high)d lần số câu của đề.", low=low, high=high
        )
        problems.append(("bank_ratio", message))
    low, high = PENALTY_PERCENT_RANGE
    for field, value in (
        ("reprimand_percent", reprimand_percent),
        ("warning_percent", warning_percent),
    ):
        if _out_of(PENALTY_PERCENT_RANGE, value):
            problems.append(
                (field, _l("Mức trừ điểm từ %(low)d đến %(high)d%%.", low=low, high=high))
            )
    if not problems and reprimand_percent > warning_percent:
        message = _l(
            "Cảnh cáo nặng hơn khiển trách: mức trừ điểm khi cảnh cáo không được thấp hơn "
            "khi khiển trách."
        )
        problems.append(("warning_percent", message))
    if problems:
        raise ValidationFailed(problems)


def set_test_rules(
    test: Test, *, bank_ratio: int, reprimand_percent: int, warning_percent: int, actor: User
) -> Test:
    """The test's numbers the rules give a default for (docs/domain.md §5, §10): the
    bank-to-paper ratio and the penalties' percentages. Fixed once papers are drawn: the draw
    was checked against the ratio, and candidates are told the penalties before the test."""
    if test.papers_generated_at is not None:
        raise DomainError(
            _l("Đã tạo đề cho thí sinh: không thể thay đổi quy định của bài thi nữa.")
        )
    _check_test_rules(bank_ratio, reprimand_percent, warning_percent)
    before = {
        "bank_ratio": test.bank_ratio,
        "reprimand_percent": test.reprimand_percent,
        "warning_percent": test.warning_percent,
    }
    test.bank_ratio = bank_ratio
    test.reprimand_percent = reprimand_percent
    test.warning_percent = warning_percent
    _, problems = check_blueprint(test)
    if problems:  # the blueprint must stay drawable: sessions and papers rely on it
        test.bank_ratio = before["bank_ratio"]
        message = _l("Ngân hàng không đủ câu hỏi với tỉ lệ này: %(why)s", why=problems[0][1])
        raise ValidationFailed([("bank_ratio", message)])
    after = {
        "bank_ratio": bank_ratio,
        "reprimand_percent": reprimand_percent,
        "warning_percent": warning_percent,
    }
    record("test.rules", test, actor=actor, before=before, after=after)
    return test


# --- sessions, rooms, seats -----------------------------------------------------------------


def add_session(
    test: Test,
    *,
    name: str,
    starts_at: dt.datetime,
    late_entry_minutes: int = LATE_ENTRY_MINUTES_DEFAULT,
    actor: User,
    at: dt.datetime,
) -> ExamSession:
    require_stage(test.round, *_UNTIL_TESTING, action=_l("thêm ca thi"))
    name = required_text(name, "name", _l("Vui lòng điền mục này."))
    if starts_at <= at:
        raise ValidationFailed([("starts_at", _l("Giờ bắt đầu phải sau thời điểm hiện tại."))])
    if any(s.name == name for s in test.sessions):
        raise ValidationFailed([("name", _l("Đã có ca thi tên này."))])
    _check_late_entry(late_entry_minutes)
    ensure_schedulable(test)
    session = ExamSession(
        name=name,
        starts_at=starts_at,
        code=new_session_code(),
        late_entry_minutes=late_entry_minutes,
    )
    test.sessions.append(session)
    record(
        "test.add_session",
        test,
        actor=actor,
        after={"name": name, "starts_at": starts_at, "late_entry_minutes": late_entry_minutes},
    )
    return session


def set_late_entry(
    session: ExamSession, minutes: int, *, actor: User, at: dt.datetime
) -> ExamSession:
    """The session's late-entry limit, until the session starts (after, a candidate turned
    away, or let in, would have been judged by another rule)."""
    if at >= session.starts_at:
        raise DomainError(_l("Ca thi đã bắt đầu: không thể thay đổi thời gian cho phép vào muộn."))
    _check_late_entry(minutes)
    before = session.late_entry_minutes
    session.late_entry_minutes = minutes
    record(
        "session.late_entry",
        session,
        actor=actor,
        before={"late_entry_minutes": before},
        after={"late_entry_minutes": minutes},
    )
    return session


def add_room(
    session: ExamSession,
    *,
    name: str,
    capacity: int,
    invigilators: Iterable[User] = (),
    actor: User,
) -> Room:
    require_stage(session.test.round, *_UNTIL_TESTING, action=_l("thêm phòng thi"))
    name = required_text(name, "name", _l("Vui lòng điền mục này."))
    if any(r.name == name for r in session.rooms):
        raise ValidationFailed([("name", _l("Ca thi đã có phòng tên này."))])
    invigilators = list(invigilators)
    for person in invigilators:
        _check_invigilator(session.test.round_id, person)
    room = Room(name=name, capacity=capacity, invigilators=invigilators)
    session.rooms.append(room)
    db.session.flush()
    record(
        "room.create",
        room,
        actor=actor,
        after={
            "session_id": session.id,
            "name": name,
            "capacity": capacity,
            "invigilators": [u.id for u in room.invigilators],
        },
    )
    return room


def _check_invigilator(round_id: int, user: User) -> None:
    """Only a member of the round's invigilation board (Ban coi thi) invigilates its rooms."""
    if not is_member(user.id, round_id, BodyKind.INVIGILATION):
        raise ValidationFailed(
            [
                (
                    "invigilator_id",
                    _l(
                        "%(name)s không phải thành viên Ban coi thi của kỳ thi này: chỉ phân "
                        "công thành viên Ban coi thi vào phòng thi.",
                        name=user.full_name,
                    ),
                )
            ]
        )


def assign_invigilator(room: Room, user: User, *, actor: User) -> Room:
    _check_invigilator(room.session.test.round_id, user)
    if user not in room.invigilators:
        room.invigilators.append(user)
        record("room.assign_invigilator", room, actor=actor, after={"user_id": user.id})
    return room


def _occupancy(room_ids: list[int]) -> dict[int, int]:
    if not room_ids:
        return {}
    rows = db.session.execute(
        sa.select(Attempt.room_id, sa.func.count())
        .where(Attempt.room_id.in_(room_ids))
        .group_by(Attempt.room_id)
    )
    return dict(rows.all())


def free_seats(sessions: list[ExamSession]) -> Iterator[tuple[ExamSession, Room | None]]:
    """Seats in order: sessions by start, rooms by name; a session without rooms has no limit."""
    taken = _occupancy([r.id for s in sessions for r in s.rooms])
    for session in sessions:
        if not session.rooms:
            while True:
                yield session, None
        for room in session.rooms:
            for _ in range(room.capacity - taken.get(room.id, 0)):
                yield session, room


def move_attempt(attempt: Attempt, room: Room, *, actor: User, at: dt.datetime) -> Attempt:
    """Seat a candidate in another room (of any session of the test) before either starts."""
    if room.session.test_id != attempt.test_id:
        raise DomainError(_l("Phòng thi không thuộc bài thi này."))
    if attempt.status != AttemptStatus.READY or at >= attempt.session.starts_at:
        raise DomainError(_l("Ca thi đã bắt đầu: không thể chuyển phòng."))
    if at >= room.session.starts_at:
        raise DomainError(_l("Ca thi đã bắt đầu: không thể chuyển phòng."))
    lock_row(room)  # two candidates moved into its last seat at once: the second refused
    if room.id != attempt.room_id and _occupancy([room.id]).get(room.id, 0) >= room.capacity:
        raise DomainError(_l("Phòng thi đã hết chỗ."))
    before = {"session_id": attempt.session_id, "room_id": attempt.room_id}
    attempt.session, attempt.room = room.session, room
    record(
        "attempt.move",
        attempt,
        actor=actor,
        before=before,
        after={"session_id": room.session_id, "room_id": room.id},
    )
    # The card printed the old room and time: an issued one is replaced now.
    reissue_card_if_issued(attempt.application, actor=actor, at=at)
    return attempt
