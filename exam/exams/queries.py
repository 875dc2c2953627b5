"""Reading tests, attempts, rooms, and the statistics of a test."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from exam.accounts.models import User
from exam.candidates.models import Application
from exam.exams import statistics as stats
from exam.exams.models import (
    Answer,
    Attempt,
    AttemptQuestion,
    AttemptStatus,
    ExamSession,
    Room,
    Test,
    TestSection,
    VoidedQuestion,
    WrongSessionCode,
    deadline,
    room_invigilators,
)
from exam.extensions import db
from exam.question_bank.models import BankMedia, Question, QuestionVersion
from exam.question_bank.rich_text import to_plain


def tests_of_round(round_id: int) -> list[Test]:
    tests = db.session.scalars(sa.select(Test).where(Test.round_id == round_id)).all()
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(tests, key=lambda t: (t.starts_at or far, t.id))


def attempts_of_candidate(candidate: User) -> list[Attempt]:
    return list(
        db.session.scalars(
            sa.select(Attempt)
            .join(Application)
            .where(Application.candidate_id == candidate.id)
            .order_by(Attempt.id)
        )
    )


def attempts_of_test(test: Test) -> list[Attempt]:
    return list(
        db.session.scalars(
            sa.select(Attempt)
            .join(Application)
            .where(Attempt.test_id == test.id)
            .options(joinedload(Attempt.application).joinedload(Application.candidate))
            .order_by(Application.registration_number)
        )
    )


def attempt_of_application(application: Application) -> Attempt | None:
    """The application's attempt at its round's (first) test, if the round has one."""
    return db.session.scalars(
        sa.select(Attempt).where(Attempt.application_id == application.id).order_by(Attempt.id)
    ).first()


def paper_percent(attempt: Attempt | None) -> Decimal | None:
    """A paper's score in % of its points, 2 decimals half up, once it is submitted and
    fully marked; None while it is sitting, absent or waiting for a marker."""
    if attempt is None or attempt.status != AttemptStatus.SUBMITTED:
        return None
    if attempt.score_percent is None:
        return None
    return Decimal(str(attempt.score_percent)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def passed_test(application: Application, pass_mark: float) -> bool:
    """The gate of the computer test before the interview (docs/domain.md, section 5): the
    paper submitted, marked and at least ``pass_mark`` %. A candidate still sitting, absent,
    or waiting for a marker has not passed (yet)."""
    percent = paper_percent(attempt_of_application(application))
    return percent is not None and percent >= Decimal(str(pass_mark))


def rooms_of(
    user: User, *, invigilated_rounds: set[int], watched_rounds: set[int] = frozenset()
) -> list[Room]:
    """The rooms of ``invigilated_rounds`` the person is assigned to, and every room of
    ``watched_rounds`` (the rounds they run or supervise), by session start."""
    assigned = sa.select(room_invigilators.c.room_id).where(room_invigilators.c.user_id == user.id)
    return list(
        db.session.scalars(
            sa.select(Room)
            .join(ExamSession)
            .join(Test, Test.id == ExamSession.test_id)
            .where(
                sa.or_(
                    sa.and_(Room.id.in_(assigned), Test.round_id.in_(invigilated_rounds)),
                    Test.round_id.in_(watched_rounds),
                )
            )
            .order_by(ExamSession.starts_at, Room.name)
        )
    )


def rooms_of_test(test: Test) -> list[Room]:
    return [room for session in test.sessions for room in session.rooms]


@dataclass
class Progress:
    answered: int = 0
    items: int = 0
    last_answer_at: dt.datetime | None = None


def progress_of(attempt_ids: list[int]) -> dict[int, Progress]:
    """Answered count, number of questions and last save per paper, in two queries."""
    result = {attempt_id: Progress() for attempt_id in attempt_ids}
    if not attempt_ids:
        return result
    for attempt_id, items in db.session.execute(
        sa.select(AttemptQuestion.attempt_id, sa.func.count())
        .where(AttemptQuestion.attempt_id.in_(attempt_ids))
        .group_by(AttemptQuestion.attempt_id)
    ):
        result[attempt_id].items = items
    for attempt_id, answered, last in db.session.execute(
        sa.select(
            AttemptQuestion.attempt_id,
            sa.func.count().filter(Answer.answered.is_(True)),
            sa.func.max(Answer.saved_at),
        )
        .join(Answer, Answer.attempt_question_id == AttemptQuestion.id)
        .where(AttemptQuestion.attempt_id.in_(attempt_ids))
        .group_by(AttemptQuestion.attempt_id)
    ):
        result[attempt_id].answered = answered
        if last is not None:
            last = last if last.tzinfo else last.replace(tzinfo=dt.UTC)
        result[attempt_id].last_answer_at = last
    return result


@dataclass
class ConsoleRow:
    attempt: Attempt
    progress: Progress
    wrong_codes: int = 0  # wrong session codes typed on its start page

    @property
    def last_contact_at(self) -> dt.datetime | None:
        moments = [m for m in (self.attempt.last_seen_at, self.progress.last_answer_at) if m]
        return max(moments) if moments else None


def room_attempts(room: Room) -> list[ConsoleRow]:
    attempts = list(
        db.session.scalars(
            sa.select(Attempt)
            .join(Application)
            .where(Attempt.room_id == room.id)
            .options(
                joinedload(Attempt.application).joinedload(Application.candidate),
                selectinload(Attempt.incidents),
            )
            .order_by(Application.registration_number)
        )
    )
    progress = progress_of([a.id for a in attempts])
    wrong = dict(
        db.session.execute(
            sa.select(WrongSessionCode.attempt_id, sa.func.count())
            .where(WrongSessionCode.attempt_id.in_([a.id for a in attempts]))
            .group_by(WrongSessionCode.attempt_id)
        ).all()
    )
    return [ConsoleRow(a, progress[a.id], wrong.get(a.id, 0)) for a in attempts]


def wrong_codes_of(attempt: Attempt) -> list[WrongSessionCode]:
    """The wrong session codes typed on the paper's start page, latest first."""
    return list(
        db.session.scalars(
            sa.select(WrongSessionCode)
            .where(WrongSessionCode.attempt_id == attempt.id)
            .order_by(WrongSessionCode.entered_at.desc(), WrongSessionCode.id.desc())
        )
    )


def review_opens_at(test: Test) -> dt.datetime | None:
    """When every paper of the test has closed (its latest possible deadline): only then may
    candidates see questions and answers, so that nobody still sitting learns them."""
    row = db.session.execute(
        sa.select(
            sa.func.max(ExamSession.starts_at),
            sa.func.max(Attempt.time_percent),
            sa.func.max(Attempt.extra_minutes),
        )
        .select_from(Attempt)
        .join(ExamSession, ExamSession.id == Attempt.session_id)
        .where(Attempt.test_id == test.id)
    ).first()
    if row is None or row[0] is None:
        return None
    starts_at = row[0] if row[0].tzinfo else row[0].replace(tzinfo=dt.UTC)
    return deadline(starts_at, test.duration_minutes, row[1] or 0, row[2] or 0)


# --- item analysis --------------------------------------------------------------------------


@dataclass
class ItemStats:
    question_id: int
    key: str
    text: str
    qtype: str
    section: str
    points: float
    voided: bool
    n: int = 0
    facility: float | None = None
    discrimination: float | None = None
    point_biserial: float | None = None
    options: list[tuple[str, str, int, bool]] = field(default_factory=list)  # letter, id, n, right
    no_answer: int = 0


@dataclass
class TestStats:
    candidates: int
    items: list[ItemStats]
    alpha: float | None
    kr20: float | None
    slots: int
    mean_percent: float | None


def _correct_ids(version: QuestionVersion) -> set[str]:
    if version.type == "true_false":
        return {"true" if version.data.get("answer") else "false"}
    return {c["id"] for c in version.data.get("choices", []) if c.get("fraction", 0) > 0}


def _option_labels(version: QuestionVersion) -> list[tuple[str, str]]:
    if version.type == "true_false":
        return [("Đ", "true"), ("S", "false")]
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return [(letters[i], c["id"]) for i, c in enumerate(version.data.get("choices", []))]


def item_analysis(test: Test) -> TestStats:
    """Statistics of every question drawn for the submitted papers of a test.

    Papers are drawn at random, so each question is analysed over the candidates who had
    it (its total being that candidate's raw total). Reliability needs the same items for
    everyone: it is computed over the blueprint's *slots* (the n-th question of a section),
    as Moodle does for random questions."""
    rows = db.session.execute(
        sa.select(AttemptQuestion, Attempt.id)
        .join(Attempt)
        .where(Attempt.test_id == test.id, Attempt.status == AttemptStatus.SUBMITTED)
        .options(
            joinedload(AttemptQuestion.version).joinedload(QuestionVersion.question),
            selectinload(AttemptQuestion.answer),
        )
        # A question drawn on several papers is described from the first paper's row: the
        # same row on every read (PostgreSQL returns rows in no fixed order otherwise).
        .order_by(Attempt.id, AttemptQuestion.position)
    ).all()
    voided = set(
        db.session.scalars(
            sa.select(VoidedQuestion.question_id).where(VoidedQuestion.test_id == test.id)
        )
    )
    sections = {
        s.id: s
        for s in db.session.scalars(sa.select(TestSection).where(TestSection.test_id == test.id))
    }
    totals: dict[int, float] = defaultdict(float)
    by_question: dict[int, list[tuple[int, AttemptQuestion]]] = defaultdict(list)
    by_slot: dict[tuple[int, int], dict[int, float]] = defaultdict(dict)
    by_slot_points: dict[tuple[int, int], list[float]] = defaultdict(list)
    for item, attempt_id in rows:
        earned = item.awarded_points or 0.0
        totals[attempt_id] += earned
        by_question[item.version.question_id].append((attempt_id, item))
        position = sections[item.section_id].position if item.section_id in sections else 0
        by_slot[(position, item.slot)][attempt_id] = earned
        by_slot_points[(position, item.slot)].append(item.points)
    items = []
    for question_id, entries in by_question.items():
        first = entries[0][1]
        version = first.version
        scores = [item.awarded_points or 0.0 for _, item in entries]
        cand_totals = [totals[attempt_id] for attempt_id, _ in entries]
        # Compare items on a common scale: the share of the item's points.
        fractions = [
            s / item.points if item.points else 0
            for s, (_, item) in zip(scores, entries, strict=True)
        ]
        stat = ItemStats(
            question_id=question_id,
            key=version.question.key,
            text=plain_words(version),
            qtype=version.type,
            section=sections[first.section_id].title if first.section_id in sections else "",
            points=first.points,
            voided=question_id in voided,
            n=len(entries),
            facility=stats.facility(fractions, 1.0),
            discrimination=stats.discrimination_index(fractions, cand_totals, 1.0),
            point_biserial=stats.point_biserial(scores, cand_totals),
        )
        frequencies = stats.option_frequencies(
            item.answer.response if item.answer else None for _, item in entries
        )
        right = _correct_ids(version)
        stat.options = [
            (
                letter,
                option_id,
                frequencies.get(
                    option_id if version.type != "true_false" else option_id == "true", 0
                ),
                option_id in right,
            )
            for letter, option_id in _option_labels(version)
        ]
        stat.no_answer = frequencies.get(None, 0)
        items.append(stat)
    items.sort(key=lambda s: (s.section, s.key))
    attempt_ids = sorted(totals)
    slot_keys = sorted(by_slot)
    points = {slot: max(by_slot_points[slot], default=1.0) or 1.0 for slot in slot_keys}
    matrix = [
        [by_slot[slot][attempt_id] for slot in slot_keys]
        for attempt_id in attempt_ids
        if all(attempt_id in by_slot[slot] for slot in slot_keys)
    ]
    right_wrong = [
        [value / points[slot] for value, slot in zip(row, slot_keys, strict=True)] for row in matrix
    ]
    max_score = test.max_score
    mean_total = stats.mean([totals[a] for a in attempt_ids])
    return TestStats(
        candidates=len(attempt_ids),
        items=items,
        alpha=stats.cronbach_alpha(matrix),
        kr20=stats.kr20(right_wrong),
        slots=len(slot_keys),
        mean_percent=100 * mean_total / max_score if mean_total is not None and max_score else None,
    )


def plain_words(version: QuestionVersion) -> str:
    """A question's text for a table cell or a CSV: the words of HTML, plain text as is."""
    return to_plain(version.text) if version.text_format == "html" else version.text


def media_on_paper(attempt_id: int, digest: str) -> BankMedia | None:
    """The file ``digest`` when a question on paper ``attempt_id`` embeds it, else None."""
    versions = db.session.execute(
        sa.select(QuestionVersion.media, Question.bank_id)
        .join(AttemptQuestion, AttemptQuestion.question_version_id == QuestionVersion.id)
        .join(Question, Question.id == QuestionVersion.question_id)
        .where(AttemptQuestion.attempt_id == attempt_id)
    ).all()
    banks = {bank_id for media, bank_id in versions if digest in (media or {}).values()}
    if not banks:
        return None
    return db.session.scalars(
        sa.select(BankMedia).where(BankMedia.bank_id.in_(banks), BankMedia.sha256 == digest)
    ).first()
