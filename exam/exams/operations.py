"""Defining a test (blueprint, sessions, rooms), making papers, sitting them (start, save,
submit), what invigilators do (time, incidents, retakes) and what comes after (marking,
voiding a faulty question).

Time is the server's: every function takes ``at`` (the moment of the request) and the
deadline is fixed by the session's start, never by the candidate's login.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hmac
import json
import math
import random
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import insert_pending_for, pending_fields, record, record_soon
from exam.audit.reconcile import attempt_values
from exam.candidates.models import Application
from exam.candidates.queries import eligible_applications
from exam.core.driver import (
    DriverStatement,
    compile_for_driver,
    driver_cursor,
    list_size,
)
from exam.core.driver import execute as driver_execute
from exam.core.errors import DomainError, ValidationFailed
from exam.core.i18n import to_local
from exam.exams.models import (
    Accommodation,
    Answer,
    Attempt,
    AttemptQuestion,
    AttemptStatus,
    ExamSession,
    Incident,
    Penalty,
    RefusedAnswer,
    RenderedPaper,
    ReviewOption,
    Room,
    Test,
    TestSection,
    TimeGrant,
    VoidedQuestion,
    WrongSessionCode,
    deadline,
    new_token_secret,
)
from exam.exams.tokens import decode_response
from exam.extensions import db
from exam.question_bank.models import (
    Bank,
    Category,
    Difficulty,
    Question,
    QuestionStatus,
    QuestionVersion,
)
from exam.question_bank.qtypes import get_type
from exam.question_bank.qtypes.base import InvalidResponse
from exam.rounds.models import Round

SESSION_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I look-alikes
BANK_TO_PAPER_RATIO = 3  # docs/domain.md's default; each test keeps its own (Test.bank_ratio)


class AnswerRefused(DomainError):
    """An answer that arrived too late or for a paper that is closed."""


class WrongCode(ValidationFailed):
    """A wrong session code on the start page (kept by ``note_wrong_code``)."""

    def __init__(self, given: str):
        super().__init__([("session_code", _l("Mã ca thi không đúng."))])
        self.given = given


class TooManyWrongCodes(DomainError):
    """The paper's code was typed wrong too often lately: no code is taken until
    ``retry_after`` seconds have passed (answered 429)."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message, "session_code")
        self.retry_after = retry_after


def _code() -> str:
    return "".join(secrets.choice(SESSION_CODE_ALPHABET) for _ in range(6))


def _text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed([(field, message)])
    return value


# --- the blueprint and the bank -------------------------------------------------------------


@dataclass(frozen=True)
class PoolEntry:
    question_id: int
    version: QuestionVersion


def approved_pool(bank_id: int) -> list[tuple[Question, QuestionVersion]]:
    """Every approved question of a bank with its current (latest) version, in one query."""
    latest = (
        sa.select(QuestionVersion.question_id, sa.func.max(QuestionVersion.number).label("n"))
        .group_by(QuestionVersion.question_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Question, QuestionVersion)
        .join(latest, latest.c.question_id == Question.id)
        .join(
            QuestionVersion,
            sa.and_(
                QuestionVersion.question_id == Question.id,
                QuestionVersion.number == latest.c.n,
            ),
        )
        .where(Question.bank_id == bank_id, Question.status == QuestionStatus.APPROVED)
        .order_by(Question.id)
    ).all()
    return [(question, version) for question, version in rows]


def _subtree(bank_id: int, category_id: int | None) -> set[int] | None:
    """The category and all its subcategories (None: any category)."""
    if category_id is None:
        return None
    children: dict[int | None, list[int]] = {}
    for cid, parent in db.session.execute(
        sa.select(Category.id, Category.parent_id).where(Category.bank_id == bank_id)
    ):
        children.setdefault(parent, []).append(cid)
    found, todo = set(), [category_id]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(children.get(current, []))
    return found


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


def _ensure_schedulable(test: Test, sections: list[TestSection] | None = None) -> None:
    _, problems = check_blueprint(test, sections)
    if problems:
        raise ValidationFailed(problems)


def _ensure_blueprint_editable(test: Test) -> None:
    if test.papers_generated_at is not None:
        raise DomainError(_l("Đã tạo đề cho thí sinh: không thể sửa ma trận đề."))


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
    late_entry_minutes: int = 15,
    actor: User,
) -> Test:
    """A test with its first section and its first session ("Ca 1"); more sections and
    sessions may be added. Refused when the bank cannot supply the blueprint."""
    test = Test(
        round_id=round_.id,
        bank_id=bank.id,
        title=_text(title, "title", _l("Vui lòng điền mục này.")),
        duration_minutes=duration_minutes,
        review_option=review_option,
        shuffle_questions=True,
        shuffle_options=True,
        bank_ratio=BANK_TO_PAPER_RATIO,
        reprimand_percent=25,
        warning_percent=50,
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
    _ensure_schedulable(test, [first])
    test.sections.append(first)
    db.session.add(test)
    test.sessions.append(
        ExamSession(
            name=str(_l("Ca 1")),
            starts_at=starts_at,
            code=_code(),
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
        title=_text(title, "title", _l("Vui lòng điền mục này.")),
        category_id=category.id if category else None,
        difficulty=difficulty,
        question_type=question_type or None,
        question_count=question_count,
        points_per_question=points_per_question,
    )
    _ensure_schedulable(test, [*test.sections, section])
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


# --- sessions, rooms, seats -----------------------------------------------------------------


def add_session(
    test: Test,
    *,
    name: str,
    starts_at: dt.datetime,
    late_entry_minutes: int = 15,
    actor: User,
    at: dt.datetime,
) -> ExamSession:
    name = _text(name, "name", _l("Vui lòng điền mục này."))
    if starts_at <= at:
        raise ValidationFailed([("starts_at", _l("Giờ bắt đầu phải sau thời điểm hiện tại."))])
    if any(s.name == name for s in test.sessions):
        raise ValidationFailed([("name", _l("Đã có ca thi tên này."))])
    _ensure_schedulable(test)
    session = ExamSession(
        name=name, starts_at=starts_at, code=_code(), late_entry_minutes=late_entry_minutes
    )
    test.sessions.append(session)
    record(
        "test.add_session",
        test,
        actor=actor,
        after={"name": name, "starts_at": starts_at, "late_entry_minutes": late_entry_minutes},
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
    name = _text(name, "name", _l("Vui lòng điền mục này."))
    if any(r.name == name for r in session.rooms):
        raise ValidationFailed([("name", _l("Ca thi đã có phòng tên này."))])
    room = Room(name=name, capacity=capacity, invigilators=list(invigilators))
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


def assign_invigilator(room: Room, user: User, *, actor: User) -> Room:
    from exam.accounts.models import Role

    if not user.has_role(Role.INVIGILATOR):
        raise ValidationFailed([("user_id", _l("Người này chưa có vai trò cán bộ coi thi."))])
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


def _free_seats(sessions: list[ExamSession]) -> Iterator[tuple[ExamSession, Room | None]]:
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
    return attempt


# --- papers ---------------------------------------------------------------------------------


def draw_paper(attempt: Attempt, pools: dict[TestSection, dict[int, QuestionVersion]]) -> None:
    """Fill a paper from the sections' pools with the attempt's seed: the same seed and pools
    give the same paper, so any paper can be re-derived and checked.

    Sections draw from their smallest pool first so that a broad section never takes the
    questions a narrow one needs; a question is drawn at most once per paper. Questions are
    shuffled within their section (sections keep the blueprint's order), options within
    their question."""
    test = attempt.test
    rng = random.Random(attempt.seed)
    chosen: set[int] = set()
    drawn: dict[int, list[tuple[int, QuestionVersion]]] = {}  # by section position
    for section in sorted(test.sections, key=lambda s: (len(pools[s]), s.position)):
        available = sorted(set(pools[section]) - chosen)
        if len(available) < section.question_count:
            raise DomainError(
                _l("Phần «%(title)s» không còn đủ câu hỏi để tạo đề.", title=section.title)
            )
        picked = rng.sample(available, section.question_count)
        chosen.update(picked)
        drawn[section.position] = [
            (slot, pools[section][qid]) for slot, qid in enumerate(picked, 1)
        ]
    position = 0
    for section in test.sections:
        items = drawn[section.position]
        if test.shuffle_questions:
            rng.shuffle(items)
        else:
            items.sort(key=lambda pair: pair[1].question_id)
        for slot, version in items:
            position += 1
            option_ids = get_type(version.type).shuffleable_ids(version.data)
            if test.shuffle_options:
                rng.shuffle(option_ids)
            attempt.questions.append(
                AttemptQuestion(
                    position=position,
                    section=section,
                    slot=slot,
                    version=version,
                    option_order=option_ids,
                    points=section.points_per_question,
                )
            )


def blueprint_pools(test: Test) -> dict[TestSection, dict[int, QuestionVersion]]:
    approved = approved_pool(test.bank_id)
    return {section: section_pool(test, section, approved) for section in test.sections}


def _accommodations(candidate_ids: Iterable[int]) -> dict[int, int]:
    ids = list(candidate_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Accommodation.candidate_id, Accommodation.extra_time_percent).where(
            Accommodation.candidate_id.in_(ids)
        )
    )
    return dict(rows.all())


def generate_papers(test: Test, *, actor: User, at: dt.datetime) -> list[Attempt]:
    """One paper per eligible candidate of the round, made before their session starts so
    that pressing Start is a cheap read. Each new candidate takes the next free seat
    (sessions by start, rooms by name, registration-number order). Candidates who already
    have a paper keep it."""
    open_sessions = [s for s in test.sessions if at < s.starts_at]
    if not open_sessions:
        raise DomainError(_l("Phải tạo đề trước giờ bắt đầu thi."))
    _ensure_schedulable(test)
    have_paper = set(
        db.session.scalars(sa.select(Attempt.application_id).where(Attempt.test_id == test.id))
    )
    applications = [
        a
        for position in test.round.positions
        for a in eligible_applications(position.id)
        if a.id not in have_paper
    ]
    if not applications and not have_paper:
        raise DomainError(_l("Chưa có thí sinh đủ điều kiện để tạo đề."))
    pools = blueprint_pools(test)
    extra = _accommodations(a.candidate_id for a in applications)
    seats = _free_seats(open_sessions)
    made = []
    for count, application in enumerate(applications):
        seat = next(seats, None)
        if seat is None:
            raise DomainError(
                _l(
                    "Không đủ chỗ ngồi: còn %(n)d thí sinh chưa có chỗ. Hãy thêm phòng thi "
                    "hoặc ca thi.",
                    n=len(applications) - count,
                )
            )
        session, room = seat
        attempt = Attempt(
            test=test,
            session=session,
            room=room,
            application=application,
            seed=secrets.randbits(62),
            token_secret=new_token_secret(),
            time_percent=extra.get(application.candidate_id, 0),
        )
        draw_paper(attempt, pools)
        db.session.add(attempt)
        made.append(attempt)
    test.papers_generated_at = at
    record("test.generate_papers", test, actor=actor, after={"papers": len(made)})
    return made


def attempt_for(test: Test, application: Application) -> Attempt | None:
    return db.session.scalars(
        sa.select(Attempt).where(
            Attempt.test_id == test.id, Attempt.application_id == application.id
        )
    ).first()


# --- accommodation --------------------------------------------------------------------------


def set_accommodation(
    candidate: User, *, extra_time_percent: int, reason: str, actor: User, at: dt.datetime
) -> Accommodation:
    """Set a candidate's extra time once; it applies to every paper not yet submitted."""
    reason = _text(reason, "reason", _l("Ghi rõ lý do (ví dụ: giấy xác nhận khuyết tật)."))
    if not 0 <= extra_time_percent <= 200:
        raise ValidationFailed([("extra_time_percent", _l("Từ 0 đến 200%."))])
    accommodation = db.session.scalars(
        sa.select(Accommodation).where(Accommodation.candidate_id == candidate.id)
    ).first()
    before = None
    if accommodation is None:
        accommodation = Accommodation(candidate_id=candidate.id, granted_by_id=actor.id)
        db.session.add(accommodation)
    else:
        before = {"extra_time_percent": accommodation.extra_time_percent}
    accommodation.extra_time_percent = extra_time_percent
    accommodation.reason = reason
    accommodation.granted_by_id = actor.id
    open_attempts = db.session.scalars(
        sa.select(Attempt)
        .join(Application)
        .where(Application.candidate_id == candidate.id, Attempt.status != AttemptStatus.SUBMITTED)
    )
    for attempt in open_attempts:
        attempt.time_percent = extra_time_percent
    record(
        "accommodation.set",
        accommodation,
        actor=actor,
        before=before,
        after={
            "candidate_id": candidate.id,
            "extra_time_percent": extra_time_percent,
            "reason": reason,
        },
    )
    return accommodation


# --- sitting --------------------------------------------------------------------------------


def _check_start(
    *,
    starts_at: dt.datetime,
    late_entry_minutes: int,
    deadline_at: dt.datetime,
    expected_code: str,
    given_code: str,
    at: dt.datetime,
) -> None:
    """The rules of pressing Start: not before the session's start, not after the paper's
    end, not after the late-entry limit, and with the session's code (any case)."""
    if at < starts_at:
        raise DomainError(_l("Chưa đến giờ thi."))
    if at >= deadline_at:
        raise DomainError(_l("Đã hết giờ làm bài."))
    if at > starts_at + dt.timedelta(minutes=late_entry_minutes):
        raise DomainError(
            _l(
                "Đã quá %(n)d phút sau giờ bắt đầu: thí sinh không được vào thi.",
                n=late_entry_minutes,
            )
        )
    given = (given_code or "").strip().upper()
    if not given:
        raise ValidationFailed([("session_code", _l("Vui lòng điền mục này."))])
    if not hmac.compare_digest(given.encode(), expected_code.encode()):
        raise WrongCode(given)


def start_attempt(attempt: Attempt, *, session_code: str, actor: User, at: dt.datetime) -> Attempt:
    """Unlock the paper with the session code, from the session's fixed start until the
    late-entry limit. The paper exists already: this is a check and one write."""
    if attempt.status != AttemptStatus.READY:
        return attempt  # resuming: nothing to do
    session = attempt.session
    _check_start(
        starts_at=session.starts_at,
        late_entry_minutes=session.late_entry_minutes,
        deadline_at=attempt.deadline_at,
        expected_code=session.code,
        given_code=session_code,
        at=at,
    )
    attempt.status = AttemptStatus.IN_PROGRESS
    attempt.started_at = at
    attempt.last_seen_at = at
    record("attempt.start", attempt, actor=actor, after={"started_at": at})
    return attempt


@dataclass(frozen=True)
class _Candidate:
    """Who pressed Start, for the audit trail (the user object is not loaded)."""

    id: int
    email: str


def start_paper(
    attempt_id: int,
    candidate_id: int,
    session_code: str,
    *,
    session_token: str,
    at: dt.datetime,
    tries: int = 5,
    window: dt.timedelta = dt.timedelta(minutes=10),
) -> bool:
    """``start_attempt`` on the hot path of the session's first minute: one read (the paper,
    its session, its owner and its wrong codes of the last ``window``), one conditional
    update, the audit entry. True when the paper started now, False when it had started
    already (a second tab, a reload). A wrong code raises ``WrongCode`` (for the caller to
    keep with ``note_wrong_code``); after ``tries`` wrong codes within ``window`` no code is
    taken, not even the right one, until the oldest of them is ``window`` old
    (``TooManyWrongCodes``): 32^6 codes cannot be guessed at that pace."""
    with _statements() as run:
        rows = run(
            "start_state",
            {
                "attempt": attempt_id,
                "candidate": candidate_id,
                "token": session_token,
                "since": at - window,
            },
        )
        if not rows:
            raise NotYours()
        [row] = rows
        if row.status != AttemptStatus.READY:
            return False
        if row.wrong_codes >= tries and (session_code or "").strip():
            raise _too_many_wrong_codes(attempt_id, tries=tries, window=window, at=at)
        starts_at = row.starts_at.astimezone(dt.UTC)
        _check_start(
            starts_at=starts_at,
            late_entry_minutes=row.late_entry_minutes,
            deadline_at=deadline(
                starts_at, row.duration_minutes, row.time_percent, row.extra_minutes
            ),
            expected_code=row.code,
            given_code=session_code,
            at=at,
        )
        audit = {
            "actor": _Candidate(candidate_id, row.email),
            "object_type": "Attempt",
            "object_id": attempt_id,
            "after": {"started_at": at},
        }
        if run.dialect == "postgresql":  # the update and its entry: one statement
            fields = pending_fields("attempt.start", **audit)
            return bool(run("start_audited", {"attempt": attempt_id, "at": at, **fields}))
        if not run("start", {"attempt": attempt_id, "at": at}):
            return False
        record_soon("attempt.start", **audit)
        return True


def _too_many_wrong_codes(
    attempt_id: int, *, tries: int, window: dt.timedelta, at: dt.datetime
) -> TooManyWrongCodes:
    """The refusal of a paper locked by wrong codes, with the time left: until the
    ``tries``-th latest wrong code is ``window`` old."""
    latest = db.session.scalars(
        sa.select(WrongSessionCode.entered_at)
        .where(WrongSessionCode.attempt_id == attempt_id)
        .order_by(WrongSessionCode.entered_at.desc())
        .limit(tries)
    ).all()
    ends = latest[-1] + window if latest else at
    seconds = max(1, math.ceil((ends - at).total_seconds()))
    return TooManyWrongCodes(
        str(
            _l(
                "Mã ca thi đã bị nhập sai %(n)d lần: bài thi tạm khóa. Vui lòng báo cán bộ "
                "coi thi hoặc thử lại sau %(m)d phút.",
                n=len(latest),
                m=math.ceil(seconds / 60),
            )
        ),
        seconds,
    )


def note_wrong_code(attempt_id: int, candidate_id: int, given: str, *, at: dt.datetime) -> None:
    """Keep a wrong session code (as typed, cut to 20 characters) for the invigilator's
    console and the audit trail. Only the wrong-code branch of Start writes this."""
    code = given[:20]
    db.session.add(WrongSessionCode(attempt_id=attempt_id, code=code, entered_at=at))
    email = db.session.scalar(sa.select(_users.c.email).where(_users.c.id == candidate_id))
    record_soon(
        "attempt.wrong_code",
        actor=_Candidate(candidate_id, email or ""),
        object_type="Attempt",
        object_id=attempt_id,
        after={"code": code, "entered_at": at},
    )
    db.session.flush()


_CLOSED = _l("Bài thi đã đóng: câu trả lời không được ghi nhận.")


def accepting_answers(
    status: AttemptStatus | str, deadline_at: dt.datetime, at: dt.datetime, grace_seconds: int
) -> bool:
    return status == AttemptStatus.IN_PROGRESS and at <= deadline_at + dt.timedelta(
        seconds=grace_seconds
    )


def is_answered(response: object) -> bool:
    return response not in (None, "", [], {})


def save_answer(
    attempt: Attempt,
    attempt_question: AttemptQuestion,
    raw_response: object,
    *,
    seq: int,
    at: dt.datetime,
    grace_seconds: int = 0,
) -> Answer:
    """Keep the response unless a newer one (higher ``seq``) is already stored.

    Saving the same (seq, response) twice is harmless, so clients may retry freely. (The
    autosave API uses ``save_answers``, the same rule in one statement.)"""
    if attempt_question.attempt_id != attempt.id:
        raise DomainError(_l("Câu hỏi không thuộc bài thi này."))
    if not accepting_answers(attempt.status, attempt.deadline_at, at, grace_seconds):
        raise AnswerRefused(_CLOSED)
    version = attempt_question.version
    try:
        response = get_type(version.type).clean_response(version.data, raw_response)
    except InvalidResponse:
        raise ValidationFailed([("response", _l("Câu trả lời không hợp lệ."))]) from None
    answer = attempt_question.answer
    if answer is None:
        answer = Answer(
            attempt_question=attempt_question,
            response=response,
            answered=is_answered(response),
            seq=seq,
            saved_at=at,
        )
        db.session.add(answer)
    elif seq > answer.seq:
        answer.response, answer.seq, answer.saved_at = response, seq, at
        answer.answered = is_answered(response)
    db.session.flush()
    return answer


# The hot paths of exam day (Start, the paper page, autosave): a few statements, each built
# once with SQLAlchemy Core and run by name (``_Run``): on PostgreSQL compiled once more for
# the driver and run in autocommit (exam/core/driver.py), on SQLite on the session's
# connection. No ORM, no user object.

_attempts = Attempt.__table__
_sessions = ExamSession.__table__
_tests = Test.__table__
_applications = Application.__table__
_items = AttemptQuestion.__table__
_versions = QuestionVersion.__table__
_answers = Answer.__table__
_users = User.__table__
_rendered = RenderedPaper.__table__
_wrong_codes = WrongSessionCode.__table__


@dataclass
class PaperState:
    attempt_id: int
    status: AttemptStatus
    deadline_at: dt.datetime
    candidate_id: int


class NotYours(Exception):
    """No such paper for this candidate (answered 404: existence must not leak)."""


_STATEMENTS: dict[tuple[str, str], sa.Executable] = {}
_ITEMS = sa.bindparam("items", expanding=True)


def _statement(dialect: str, name: str) -> sa.Executable:
    key = (dialect, name)
    if key not in _STATEMENTS:
        _STATEMENTS[key] = _build_statement(dialect, name)
    return _STATEMENTS[key]


def _build_statement(dialect: str, name: str) -> sa.Executable:
    paper = (
        _attempts.join(_sessions, _sessions.c.id == _attempts.c.session_id)
        .join(_tests, _tests.c.id == _attempts.c.test_id)
        .join(_applications, _applications.c.id == _attempts.c.application_id)
        .join(_users, _users.c.id == _applications.c.candidate_id)
    )
    state_columns = [
        _attempts.c.status,
        _attempts.c.time_percent,
        _attempts.c.extra_minutes,
        _sessions.c.starts_at,
        _tests.c.duration_minutes,
    ]
    mine = sa.and_(
        _attempts.c.id == sa.bindparam("attempt"),
        _applications.c.candidate_id == sa.bindparam("candidate"),
        _users.c.active.is_(True),
        # The session's token: a session ended by signing out (or by a password change)
        # is refused here too (exam/accounts/sessions.py).
        _users.c.session_token == sa.bindparam("token", type_=sa.String),
    )
    if name == "state":
        return sa.select(*state_columns).select_from(paper).where(mine)
    if name == "start_state":
        since = sa.bindparam("since", type_=_wrong_codes.c.entered_at.type)
        wrong_codes = (
            sa.select(sa.func.count())
            .where(_wrong_codes.c.attempt_id == _attempts.c.id, _wrong_codes.c.entered_at > since)
            .scalar_subquery()
        )
        return (
            sa.select(
                *state_columns,
                _sessions.c.late_entry_minutes,
                _sessions.c.code,
                _users.c.email,
                wrong_codes.label("wrong_codes"),
            )
            .select_from(paper)
            .where(mine)
        )
    if name == "start":
        at = sa.bindparam("at", type_=_attempts.c.started_at.type)
        return (
            sa.update(_attempts)
            .where(
                _attempts.c.id == sa.bindparam("attempt"),
                _attempts.c.status == AttemptStatus.READY.value,
            )
            .values(
                status=AttemptStatus.IN_PROGRESS.value,
                started_at=at,
                last_seen_at=at,
                updated_at=at,
            )
            .returning(_attempts.c.id)
        )
    if name == "start_audited":
        started = _build_statement(dialect, "start").cte("started")
        return insert_pending_for(started).returning(sa.literal_column("id"))
    if name == "open_paper":
        unanswered = ~sa.exists().where(
            _answers.c.attempt_question_id == _items.c.id, _items.c.attempt_id == _attempts.c.id
        )
        return (
            sa.select(
                *state_columns,
                _tests.c.title,
                _users.c.full_name,
                _rendered.c.locale,
                _rendered.c.questions,
                _rendered.c.html,
            )
            .select_from(paper.join(_rendered, _rendered.c.attempt_id == _attempts.c.id))
            .where(mine, unanswered)
        )
    if name == "state_and_items":
        items = paper.outerjoin(
            _items,
            sa.and_(_items.c.attempt_id == _attempts.c.id, _items.c.id.in_(_ITEMS)),
        ).outerjoin(_versions, _versions.c.id == _items.c.question_version_id)
        return (
            sa.select(
                *state_columns,
                _attempts.c.token_secret,
                _items.c.id.label("item"),
                _versions.c.type,
                _versions.c.data,
            )
            .select_from(items)
            .where(mine)
        )
    if name == "poll":
        # One row per stored answer (one row in all when there is none yet).
        stored = _items.join(_answers, _answers.c.attempt_question_id == _items.c.id)
        return (
            sa.select(
                *state_columns,
                _attempts.c.last_seen_at,
                _answers.c.attempt_question_id.label("item"),
                _answers.c.seq,
            )
            .select_from(paper.outerjoin(stored, _items.c.attempt_id == _attempts.c.id))
            .where(mine)
        )
    if name == "save_batch":
        return _save_batch_statement()
    if name == "stored_seqs":
        return sa.select(_answers.c.attempt_question_id.label("item"), _answers.c.seq).where(
            _answers.c.attempt_question_id.in_(_ITEMS)
        )
    if name == "status":
        return sa.select(_attempts.c.status).where(_attempts.c.id == sa.bindparam("attempt"))
    if name == "upsert":
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return _keeping_the_higher_seq(insert(_answers)).returning(_answers.c.seq)
    raise KeyError(name)


def _keeping_the_higher_seq(statement: Any) -> Any:
    """The sequence rule, on an ``INSERT`` into answers (PostgreSQL's or SQLite's): a
    stored answer is replaced only by a save of a higher seq."""
    return statement.on_conflict_do_update(
        index_elements=[_answers.c.attempt_question_id],
        set_={
            "response": statement.excluded.response,
            "answered": statement.excluded.answered,
            "seq": statement.excluded.seq,
            "saved_at": statement.excluded.saved_at,
        },
        where=_answers.c.seq < statement.excluded.seq,
    )


def _save_batch_statement() -> sa.Executable:
    """PostgreSQL: a whole batch saved by one statement, which holds the paper's row with a
    shared lock while it writes, and writes nothing unless the paper is still in progress:

        INSERT INTO answers (…)
        WITH paper AS (SELECT id FROM attempts WHERE id = :attempt
                       AND status = 'in_progress' FOR SHARE)
        SELECT … FROM paper JOIN jsonb_to_recordset(:batch) AS batch(…) ON true
        ON CONFLICT (attempt_question_id) DO UPDATE SET … WHERE answers.seq < excluded.seq
        RETURNING attempt_question_id, seq

    A submit locks that row for update: it waits for saves in flight and scores what they
    wrote; a save behind it finds the paper closed and writes nothing."""
    from sqlalchemy.dialects.postgresql import JSONB, insert

    paper = (
        sa.select(_attempts.c.id)
        .where(
            _attempts.c.id == sa.bindparam("attempt"),
            _attempts.c.status == AttemptStatus.IN_PROGRESS.value,
        )
        .with_for_update(read=True)
        .cte("paper")
    )
    batch = (
        sa.func.jsonb_to_recordset(sa.cast(sa.bindparam("batch", type_=sa.JSON), JSONB))
        .table_valued(
            sa.column("item", sa.Integer),
            sa.column("response", sa.Text),  # the response's JSON text, kept as sent
            sa.column("answered", sa.Boolean),
            sa.column("seq", sa.BigInteger),
        )
        .render_derived(name="batch", with_types=True)
    )
    rows = sa.select(
        batch.c.item,
        sa.cast(batch.c.response, _answers.c.response.type),
        batch.c.answered,
        batch.c.seq,
        sa.bindparam("at", type_=_answers.c.saved_at.type),
    ).select_from(paper.join(batch, sa.true()))
    statement = insert(_answers).from_select(
        ["attempt_question_id", "response", "answered", "seq", "saved_at"], rows
    )
    return _keeping_the_higher_seq(statement).returning(
        _answers.c.attempt_question_id, _answers.c.seq
    )


def _state_of(row: sa.Row, attempt_id: int, candidate_id: int) -> PaperState:
    starts_at = row.starts_at.astimezone(dt.UTC)  # psycopg's rows: the connection's zone
    return PaperState(
        attempt_id,
        AttemptStatus(row.status),
        deadline(starts_at, row.duration_minutes, row.time_percent, row.extra_minutes),
        candidate_id,
    )


def paper_state(attempt_id: int, candidate_id: int, *, session_token: str) -> PaperState:
    """The paper's status and deadline, if it is this (active) candidate's."""
    connection = db.session.connection()
    row = connection.execute(
        _statement(connection.dialect.name, "state"),
        {"attempt": attempt_id, "candidate": candidate_id, "token": session_token},
    ).first()
    if row is None:
        raise NotYours()
    return _state_of(row, attempt_id, candidate_id)


CONTACT_EVERY_SECONDS = 30  # the page's last contact is noted at most this often


@dataclass(frozen=True)
class PaperPoll:
    """What the exam page's poll learns (docs/api.md, GET …/state)."""

    state: PaperState
    answers: dict[int, int] | None  # item -> seq of the stored answer, while the paper is open
    expired: bool  # open, but its time and grace are over: the server must close it now
    contact_due: bool  # the last contact noted is older than CONTACT_EVERY_SECONDS


def poll_paper(
    attempt_id: int, candidate_id: int, *, session_token: str, at: dt.datetime, grace_seconds: int
) -> PaperPoll:
    """The exam page's poll in one read, without a lock: the paper's state and the seq of
    each stored answer. Writing (closing an expired paper, noting the contact) is left to
    the caller, who knows from the result whether either is due."""
    with _statements() as run:
        rows = run(
            "poll", {"attempt": attempt_id, "candidate": candidate_id, "token": session_token}
        )
    if not rows:
        raise NotYours()
    state = _state_of(rows[0], attempt_id, candidate_id)
    if state.status != AttemptStatus.IN_PROGRESS:
        return PaperPoll(state, None, expired=False, contact_due=False)
    if not accepting_answers(state.status, state.deadline_at, at, grace_seconds):
        return PaperPoll(state, None, expired=True, contact_due=False)
    last_seen = rows[0].last_seen_at
    due = last_seen is None or last_seen < at - dt.timedelta(seconds=CONTACT_EVERY_SECONDS)
    answers = {row.item: row.seq for row in rows if row.item is not None}
    return PaperPoll(state, answers, expired=False, contact_due=due)


@dataclass(frozen=True)
class OpenPaper:
    """An unanswered paper in progress, with its questions rendered ahead of time."""

    attempt_id: int
    title: str
    candidate_name: str
    deadline_at: dt.datetime
    html: str
    questions: int


def open_paper(
    attempt_id: int, candidate_id: int, *, session_token: str, locale: str, at: dt.datetime
) -> OpenPaper | None:
    """The start of the session in one read: this candidate's paper when it is in progress,
    before its deadline, still unanswered and rendered in ``locale``; otherwise None (the
    page then takes the general path, which also explains a refusal)."""
    with _statements() as run:
        rows = run(
            "open_paper",
            {"attempt": attempt_id, "candidate": candidate_id, "token": session_token},
        )
    if not rows or rows[0].locale != locale:
        return None
    [row] = rows
    state = _state_of(row, attempt_id, candidate_id)
    if state.status != AttemptStatus.IN_PROGRESS or at > state.deadline_at:
        return None
    return OpenPaper(
        attempt_id, row.title, row.full_name, state.deadline_at, row.html, row.questions
    )


def save_answers(
    attempt_id: int,
    candidate_id: int,
    entries: list[tuple[int, object, int]],
    *,
    session_token: str,
    at: dt.datetime,
    grace_seconds: int,
) -> tuple[PaperState, dict[int, int]]:
    """Save a batch of (item, response, seq) for the candidate's paper, all or nothing.

    One read checks the paper (this candidate's, open, before its deadline) and the
    responses against their questions; then the write. The sequence rule is part of the
    write: insert, or on conflict update only where the stored seq is lower (PostgreSQL and
    SQLite both run ``INSERT … ON CONFLICT DO UPDATE … WHERE`` atomically, so two tabs
    racing on one question keep the higher seq).

    PostgreSQL: the read needs no transaction, and the write is one statement that also
    checks again that the paper is open, holding its row with a shared lock
    (``_save_batch_statement``): two round trips. SQLite: write requests begin IMMEDIATE,
    one writer at a time, so nothing can close the paper between the read and the write.
    Returns the state and the stored seq per item.
    """
    latest: dict[int, tuple[object, int]] = {}
    for item_id, response, seq in entries:
        if item_id not in latest or seq > latest[item_id][1]:
            latest[item_id] = (response, seq)
    paper = {
        "attempt": attempt_id,
        "candidate": candidate_id,
        "token": session_token,
        "items": list(latest),
    }
    with _statements() as run:
        state, values = _checked_batch(run, paper, latest, at, grace_seconds)
        if run.dialect == "postgresql":
            return state, _write_batch(run, attempt_id, values, at)
        return state, _write_each(run, values, at)


class _Run:
    """Runs the hot paths' statements by name, returning their rows: on PostgreSQL on the
    driver, in autocommit (``exam.core.driver``); on SQLite on the session's connection,
    in its transaction (write requests begin IMMEDIATE)."""

    def __init__(self, cursor: Any | None):
        self.cursor = cursor
        self.connection = db.session.connection() if cursor is None else None
        self.dialect = "postgresql" if cursor is not None else self.connection.dialect.name

    def __call__(self, name: str, parameters: dict[str, Any]) -> list[Any]:
        if self.cursor is not None:
            statement = _driver_statement(name, parameters)
            return driver_execute(self.cursor, statement, parameters).fetchall()
        return self.connection.execute(_statement(self.dialect, name), parameters).all()


@contextlib.contextmanager
def _statements() -> Iterator[_Run]:
    with driver_cursor() as cursor:
        yield _Run(cursor)


def _checked_batch(
    run: _Run,
    paper: dict[str, Any],
    latest: dict[int, tuple[object, int]],
    at: dt.datetime,
    grace_seconds: int,
) -> tuple[PaperState, list[tuple[int, object, int]]]:
    """The paper's state, and the batch's responses cleaned by their questions' types,
    the page's option tokens first translated back to the bank's ids (exam.exams.tokens)."""
    rows = run("state_and_items", paper)
    if not rows:
        raise NotYours()
    state = _state_of(rows[0], paper["attempt"], paper["candidate"])
    if not accepting_answers(state.status, state.deadline_at, at, grace_seconds):
        raise AnswerRefused(_CLOSED)
    versions = {row.item: (row.type, row.data) for row in rows if row.item is not None}
    secret = rows[0].token_secret
    values = []
    for item_id, (raw, seq) in latest.items():
        if item_id not in versions:
            raise DomainError(_l("Câu hỏi không thuộc bài thi này."))
        qtype, data = versions[item_id]
        try:
            untokenized = decode_response(secret, item_id, qtype, data, raw)
            response = get_type(qtype).clean_response(data, untokenized)
        except InvalidResponse:
            raise ValidationFailed([("response", _l("Câu trả lời không hợp lệ."))]) from None
        values.append((item_id, response, seq))
    return state, values


_DRIVER_STATEMENTS: dict[tuple[str, int], DriverStatement] = {}
_HOT_STATEMENTS = {
    "postgresql": (
        "start_state",
        "start_audited",
        "open_paper",
        "state_and_items",
        "save_batch",
        "poll",
    ),
    "sqlite": ("start_state", "start", "open_paper", "state_and_items", "upsert", "poll"),
}


def compile_hot_statements(dialect: str) -> None:
    """Build (and on PostgreSQL compile for the driver) the statements of a session's first
    minute, before it starts (``exam.warm_up``)."""
    for name in _HOT_STATEMENTS[dialect]:
        _statement(dialect, name)
        if dialect == "postgresql":
            _driver_statement(name, {"items": [0]} if name == "state_and_items" else {})


def _driver_statement(name: str, parameters: dict[str, Any]) -> DriverStatement:
    items = parameters.get("items")
    size = list_size(len(items)) if items is not None else 0
    key = (name, size)
    if key not in _DRIVER_STATEMENTS:
        _DRIVER_STATEMENTS[key] = compile_for_driver(
            _statement("postgresql", name),
            db.session.get_bind().dialect,
            {"items": size} if size else None,
        )
    return _DRIVER_STATEMENTS[key]


def _write_batch(
    run: _Run, attempt_id: int, values: list[tuple[int, object, int]], at: dt.datetime
) -> dict[int, int]:
    """PostgreSQL: the batch in one statement (``_save_batch_statement``)."""
    batch = [
        {
            "item": item_id,
            "response": json.dumps(response),  # cast back to JSON by the statement
            "answered": is_answered(response),
            "seq": seq,
        }
        for item_id, response, seq in values
    ]
    written = run("save_batch", {"attempt": attempt_id, "batch": batch, "at": at})
    stored = {row.attempt_question_id: row.seq for row in written}
    missing = [item_id for item_id, _response, _seq in values if item_id not in stored]
    if missing and not written:
        [row] = run("status", {"attempt": attempt_id})
        if row.status != AttemptStatus.IN_PROGRESS.value:
            raise AnswerRefused(_CLOSED)  # closed between the read and the write
    return _in_batch_order(values, stored | _stored_seqs(run, missing))


def _write_each(
    run: _Run, values: list[tuple[int, object, int]], at: dt.datetime
) -> dict[int, int]:
    """SQLite: one upsert per answer, in the transaction that holds the write lock."""
    stored: dict[int, int] = {}
    for item_id, response, seq in values:
        kept = run(
            "upsert",
            {
                "attempt_question_id": item_id,
                "response": response,
                "answered": is_answered(response),
                "seq": seq,
                "saved_at": at,
            },
        )
        if kept:
            stored[item_id] = kept[0].seq
    missing = [item_id for item_id, _response, _seq in values if item_id not in stored]
    return _in_batch_order(values, stored | _stored_seqs(run, missing))


def _in_batch_order(
    values: list[tuple[int, object, int]], stored: dict[int, int]
) -> dict[int, int]:
    return {item_id: stored[item_id] for item_id, _response, _seq in values}


def _stored_seqs(run: _Run, item_ids: list[int]) -> dict[int, int]:
    """The seq kept for items whose save was older than the one stored."""
    if not item_ids:
        return {}
    return {row.item: row.seq for row in run("stored_seqs", {"items": item_ids})}


EVIDENCE_MAX_CHARACTERS = 100_000  # a refused response is kept whole up to this (an essay)


@dataclass(frozen=True)
class RefusedEvidence:
    """What ``log_refused_answers`` did: answers kept one by one, answers only counted on
    the paper's summary row, and when more would be kept again (None: nothing counted)."""

    kept: int
    counted: int
    retry_after: int | None


def _as_evidence(response: object) -> object:
    """The response as sent, or its beginning and length when it is longer than any
    answer the page can send (a request may carry megabytes)."""
    text = json.dumps(response, ensure_ascii=False)
    if len(text) <= EVIDENCE_MAX_CHARACTERS:
        return response
    return {"truncated": True, "characters": len(text), "start": text[:1000]}


def log_refused_answers(
    attempt_id: int,
    entries: list[tuple[object, object, object]],
    *,
    reason: str,
    at: dt.datetime,
    per_minute: int = 50,
    per_paper: int = 1000,
) -> RefusedEvidence:
    """Keep what arrived for a closed paper as evidence (never scored), within caps: at
    most ``per_minute`` answers a minute and ``per_paper`` in all are kept one by one.
    Beyond, answers are only counted on the paper's one summary row, so that a client
    posting thousands of answers to a closed paper neither fills the database nor holds
    SQLite's write turn (issue 10: 200,000 answers took 17 s), and the evidence still
    says how many more were refused."""
    entries = entries or [(None, None, None)]
    since = at - dt.timedelta(minutes=1)
    mine = sa.and_(RefusedAnswer.attempt_id == attempt_id, RefusedAnswer.summary.is_(False))
    recent = db.session.scalars(
        sa.select(RefusedAnswer.received_at)
        .where(mine, RefusedAnswer.received_at > since)
        .order_by(RefusedAnswer.received_at)
        .limit(per_minute)
    ).all()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(RefusedAnswer).where(mine))
    room = max(0, min(per_minute - len(recent), per_paper - total))
    for item_id, response, seq in entries[:room]:
        db.session.add(
            RefusedAnswer(
                attempt_id=attempt_id,
                item_id=item_id if type(item_id) is int else None,
                seq=seq if type(seq) is int else None,
                response=_as_evidence(response),
                received_at=at,
                reason=reason[:200],
            )
        )
    counted = len(entries) - min(room, len(entries))
    if counted:
        db.session.execute(_count_refused(attempt_id, counted, reason=reason[:200], at=at))
    db.session.flush()
    if not counted:
        return RefusedEvidence(len(entries), 0, None)
    if total + room >= per_paper or not recent:
        retry_after = 60  # nothing more will be kept whole: slow down
    else:
        retry_after = max(1, math.ceil((recent[0] + dt.timedelta(minutes=1) - at).total_seconds()))
    return RefusedEvidence(room, counted, retry_after)


def _count_refused(attempt_id: int, counted: int, *, reason: str, at: dt.datetime) -> sa.Insert:
    """Add ``counted`` to the paper's summary row, made on first use (one statement,
    atomic on SQLite and PostgreSQL alike)."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = RefusedAnswer.__table__
    statement = insert(table).values(
        attempt_id=attempt_id,
        summary=True,
        count=counted,
        received_at=at,
        reason=reason,
        response=sa.null(),
    )
    return statement.on_conflict_do_update(
        index_elements=[table.c.attempt_id],
        index_where=sa.text("summary"),
        set_={"count": table.c.count + statement.excluded.count, "received_at": at},
    )


def touch_attempt(
    attempt_id: int, *, at: dt.datetime, every_seconds: int = CONTACT_EVERY_SECONDS
) -> None:
    """Note the last contact of the candidate's page (at most once per ``every_seconds``)."""
    db.session.execute(
        sa.update(_attempts)
        .where(
            _attempts.c.id == attempt_id,
            sa.or_(
                _attempts.c.last_seen_at.is_(None),
                _attempts.c.last_seen_at < at - dt.timedelta(seconds=every_seconds),
            ),
        )
        .values(last_seen_at=at)
    )


# --- scoring --------------------------------------------------------------------------------


def _auto_scored(item: AttemptQuestion) -> bool:
    return get_type(item.version.type).auto_scored


def _item_points(item: AttemptQuestion) -> float | None:
    """Points earned by one item: all of them when voided, the type's score when scored
    automatically, the mark given by people otherwise (None until marked)."""
    if item.voided:
        return item.points
    if not _auto_scored(item):
        return item.awarded_points
    answer = item.answer
    if answer is None or not is_answered(answer.response):
        return 0.0
    fraction = get_type(item.version.type).score_fraction(item.version.data, answer.response)
    return round(item.points * min(1.0, max(0.0, fraction)), 4)


def penalty_factor(test: Test, penalty: Penalty) -> float:
    return {
        Penalty.NONE: 1.0,
        Penalty.REPRIMAND: 1 - test.reprimand_percent / 100,
        Penalty.WARNING: 1 - test.warning_percent / 100,
        Penalty.SUSPENSION: 0.0,
    }[penalty]


def rescore(attempt: Attempt) -> None:
    """Recompute a submitted paper: each item's points, the automatic part (``score``) and
    the final score (None while an item awaits marking; the penalty applied)."""
    objective, total, pending = 0.0, 0.0, False
    for item in attempt.questions:
        points = _item_points(item)
        item.awarded_points = points
        if points is None:
            pending = True
            continue
        total += points
        if item.voided or _auto_scored(item):
            objective += points
    attempt.score = round(objective, 2)
    if pending:
        attempt.final_score = None
    else:
        attempt.final_score = round(total * penalty_factor(attempt.test, attempt.penalty), 2)


def load_paper(attempt: Attempt) -> list[AttemptQuestion]:
    """The paper's items with their versions and answers, fresh from the database (the
    autosave statement writes answers without the ORM)."""
    return list(
        db.session.scalars(
            sa.select(AttemptQuestion)
            .where(AttemptQuestion.attempt_id == attempt.id)
            .options(
                sa.orm.selectinload(AttemptQuestion.answer),
                sa.orm.joinedload(AttemptQuestion.version),
            )
            .order_by(AttemptQuestion.position)
            .execution_options(populate_existing=True)
        )
    )


def _lock(attempt: Attempt) -> None:
    """Take the paper's row for update (PostgreSQL): saves in flight finish first."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(Attempt.id).where(Attempt.id == attempt.id).with_for_update())
        db.session.refresh(attempt, attribute_names=["status"])


def submit_attempt(
    attempt: Attempt, *, actor: User | None, at: dt.datetime, by_server: bool = False
) -> Attempt:
    """Close the paper and score it at once (what can be scored automatically)."""
    _lock(attempt)
    if attempt.status == AttemptStatus.SUBMITTED:
        raise DomainError(_l("Bài thi đã được nộp."))
    if attempt.status != AttemptStatus.IN_PROGRESS:
        raise DomainError(_l("Bài thi chưa bắt đầu."))
    db.session.flush()
    load_paper(attempt)
    with db.session.no_autoflush:
        submitted_at = min(at, attempt.deadline_at) if by_server else at
        attempt.status = AttemptStatus.SUBMITTED
        attempt.submitted_at = submitted_at
        attempt.submitted_by_server = by_server
        rescore(attempt)
    record(
        "attempt.submit",
        attempt,
        actor=actor,
        after={"by_server": by_server, **attempt_values(attempt)},
    )
    return attempt


def close_if_expired(attempt: Attempt, *, at: dt.datetime, grace_seconds: int = 0) -> bool:
    """The server submits a paper whose time is up, even if the browser is gone."""
    expired = at > attempt.deadline_at + dt.timedelta(seconds=grace_seconds)
    if expired and attempt.status == AttemptStatus.IN_PROGRESS:
        submit_attempt(attempt, actor=None, at=at, by_server=True)
        return True
    return False


def close_expired_attempts(
    *, at: dt.datetime, grace_seconds: int = 0, where: sa.ColumnElement | None = None
) -> int:
    """Close every expired paper (run by `flask exams close-expired`, and by the consoles
    and result pages for theirs)."""
    query = sa.select(Attempt).where(Attempt.status == AttemptStatus.IN_PROGRESS)
    if where is not None:
        query = query.where(where)
    closed = 0
    for attempt in db.session.scalars(query).all():
        closed += close_if_expired(attempt, at=at, grace_seconds=grace_seconds)
    return closed


def acknowledge_result(attempt: Attempt, *, actor: User, at: dt.datetime) -> Attempt:
    """The candidate confirms the score shown: the electronic signature of the result list."""
    if attempt.status != AttemptStatus.SUBMITTED:
        raise DomainError(_l("Bài thi chưa nộp."))
    if attempt.acknowledged_at is None:
        attempt.acknowledged_at = at
        record("attempt.acknowledge", attempt, actor=actor, after={"score": attempt.score})
    return attempt


def record_item_points(
    item: AttemptQuestion, points: float, *, actor: User, at: dt.datetime
) -> AttemptQuestion:
    """The mark of a question scored by people (an essay), once the paper is submitted;
    the paper's final score follows when its last such question is marked."""
    attempt = item.attempt
    if attempt.status != AttemptStatus.SUBMITTED:
        raise DomainError(_l("Bài thi chưa nộp."))
    if _auto_scored(item) or item.voided:
        raise DomainError(_l("Câu hỏi này được chấm tự động."))
    if not 0 <= points <= item.points:
        raise ValidationFailed(
            [("points", _l("Điểm phải từ 0 đến %(max)s.", max=f"{item.points:g}"))]
        )
    before = item.awarded_points
    item.awarded_points = round(points, 2)
    rescore(attempt)
    record(
        "attempt.mark_item",
        attempt,
        actor=actor,
        before={"item": item.id, "points": before},
        after={"item": item.id, "points": item.awarded_points, **attempt_values(attempt)},
    )
    return item


# --- the invigilator's actions --------------------------------------------------------------


def grant_extra_time(
    attempt: Attempt, *, minutes: int, reason: str, actor: User, at: dt.datetime
) -> TimeGrant:
    """Add minutes to one candidate's time (a paper not yet submitted), with the reason."""
    reason = _text(reason, "reason", _l("Ghi rõ lý do cộng thêm giờ."))
    if not 1 <= minutes <= 600:
        raise ValidationFailed([("minutes", _l("Từ 1 đến 600 phút."))])
    if attempt.status == AttemptStatus.SUBMITTED:
        raise DomainError(_l("Bài thi đã nộp: hãy dùng «Cho thi lại» nếu máy bị lỗi."))
    before = attempt.deadline_at
    grant = TimeGrant(
        minutes=minutes, reason=reason, granted_by_id=actor.id, granted_at=at, reopened=False
    )
    attempt.time_grants.append(grant)
    attempt.extra_minutes += minutes
    record(
        "attempt.extra_time",
        attempt,
        actor=actor,
        before={"deadline": before},
        after={"deadline": attempt.deadline_at, "minutes": minutes, "reason": reason},
    )
    return grant


def allow_retake(
    attempt: Attempt, *, minutes: int, reason: str, actor: User, at: dt.datetime
) -> Attempt:
    """After a machine failure, the same paper goes on (on another machine) with ``minutes``
    from now: a paper in progress gets the time added, a submitted one is reopened with
    every saved answer. Only on the day of its session (docs/domain.md: retake in the same
    session)."""
    reason = _text(reason, "reason", _l("Ghi rõ sự cố máy tính."))
    if not 1 <= minutes <= 600:
        raise ValidationFailed([("minutes", _l("Từ 1 đến 600 phút."))])
    if attempt.status == AttemptStatus.READY:
        raise DomainError(_l("Thí sinh chưa bắt đầu làm bài."))
    if attempt.penalty == Penalty.SUSPENSION:
        raise DomainError(_l("Thí sinh đã bị đình chỉ thi."))
    if to_local(at).date() != to_local(attempt.session.starts_at).date():
        raise DomainError(_l("Chỉ cho thi lại trong ngày thi của ca thi."))
    before = {
        "status": attempt.status,
        "deadline": attempt.deadline_at,
        "score": attempt.score,
        "submitted_at": attempt.submitted_at,
    }
    _lock(attempt)
    reopened = attempt.status == AttemptStatus.SUBMITTED
    # Minutes so that the candidate has ``minutes`` from now (at least).
    lacking = (at + dt.timedelta(minutes=minutes) - attempt.deadline_at).total_seconds()
    added = max(0, math.ceil(lacking / 60))
    if added:
        attempt.extra_minutes += added
        attempt.time_grants.append(
            TimeGrant(
                minutes=added, reason=reason, granted_by_id=actor.id, granted_at=at, reopened=True
            )
        )
    if reopened:
        attempt.status = AttemptStatus.IN_PROGRESS
        attempt.submitted_at = None
        attempt.submitted_by_server = False
        attempt.score = attempt.final_score = None
        attempt.acknowledged_at = None
        for item in attempt.questions:
            if _auto_scored(item) or item.voided:
                item.awarded_points = None
    record(
        "attempt.retake",
        attempt,
        actor=actor,
        before=before,
        after={
            "status": attempt.status,
            "deadline": attempt.deadline_at,
            "minutes_added": added,
            "reopened": reopened,
            "reason": reason,
            **attempt_values(attempt),
        },
    )
    return attempt


def record_incident(
    attempt: Attempt, *, penalty: Penalty, description: str, actor: User, at: dt.datetime
) -> Incident:
    """A breach of the rules and its measure (TT 22 Nội quy): the most severe measure applies
    to the final score; a suspension ends the sitting at once and voids the result."""
    description = _text(description, "description", _l("Mô tả vi phạm (nội dung biên bản)."))
    if attempt.status == AttemptStatus.READY:
        raise DomainError(_l("Thí sinh chưa bắt đầu làm bài."))
    incident = Incident(
        penalty=penalty, description=description, recorded_by_id=actor.id, recorded_at=at
    )
    attempt.incidents.append(incident)
    before = {"penalty": attempt.penalty, "final_score": attempt.final_score}
    if penalty.severity > attempt.penalty.severity:
        attempt.penalty = penalty
    if penalty == Penalty.SUSPENSION and attempt.status == AttemptStatus.IN_PROGRESS:
        submit_attempt(attempt, actor=actor, at=at)
    elif attempt.status == AttemptStatus.SUBMITTED:
        rescore(attempt)
    record(
        "attempt.incident",
        attempt,
        actor=actor,
        before=before,
        after={
            "penalty": penalty,
            "applied": attempt.penalty,
            "description": description,
            **attempt_values(attempt),
        },
    )
    return incident


# --- after the test -------------------------------------------------------------------------


def void_question(
    test: Test, question: Question, *, reason: str, actor: User, at: dt.datetime
) -> VoidedQuestion:
    """A faulty question: every candidate who had it (any version) gets its points; the
    papers already submitted are rescored."""
    reason = _text(reason, "reason", _l("Ghi rõ lý do hủy câu hỏi."))
    exists = db.session.scalars(
        sa.select(VoidedQuestion).where(
            VoidedQuestion.test_id == test.id, VoidedQuestion.question_id == question.id
        )
    ).first()
    if exists:
        raise DomainError(_l("Câu hỏi này đã được hủy."))
    items = db.session.scalars(
        sa.select(AttemptQuestion)
        .join(Attempt)
        .join(QuestionVersion)
        .where(Attempt.test_id == test.id, QuestionVersion.question_id == question.id)
    ).all()
    if not items:
        raise DomainError(_l("Câu hỏi này không có trong đề của thí sinh nào."))
    voided = VoidedQuestion(
        test_id=test.id, question_id=question.id, reason=reason, voided_by_id=actor.id, voided_at=at
    )
    db.session.add(voided)
    changes = []
    for item in items:
        item.voided = True
        attempt = item.attempt
        if attempt.status == AttemptStatus.SUBMITTED:
            old = attempt.final_score
            rescore(attempt)
            changes.append({"attempt": attempt.id, "before": old, "after": attempt.final_score})
    db.session.flush()
    record(
        "test.void_question",
        test,
        actor=actor,
        after={
            "question_id": question.id,
            "reason": reason,
            "papers": len(items),
            "rescored": changes,
        },
    )
    # Each rescored paper's new values in its own entry, as every change of a score has.
    rescored = {item.attempt for item in items if item.attempt.status == AttemptStatus.SUBMITTED}
    for attempt in sorted(rescored, key=lambda paper: paper.id):
        record("attempt.rescore", attempt, actor=actor, after=attempt_values(attempt))
    return voided
