"""Sitting a paper: Start (the session code, late entry, wrong codes), saving one answer,
submitting, the server closing expired papers, the candidate's acknowledgement, and the
evidence kept of answers refused by a closed paper.

Time is the server's: every function takes ``at`` (the moment of the request) and the
deadline is fixed by the session's start, never by the candidate's login."""

from __future__ import annotations

import datetime as dt
import hmac
import json
import math
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.attributes import set_committed_value

from exam.accounts.models import User
from exam.audit.operations import pending_fields, record, record_soon
from exam.audit.reconcile import attempt_values
from exam.core.db import lock_row
from exam.core.errors import DomainError, ValidationFailed
from exam.exams.hotpath import (
    NotYours,
    PaperRow,
    Statement,
    close_papers,
    run_statements,
    save_answers,
)
from exam.exams.models import (
    Answer,
    Attempt,
    AttemptQuestion,
    AttemptStatus,
    ExamSession,
    RefusedAnswer,
    Test,
    WrongSessionCode,
    late_entry_until,
)
from exam.exams.rules import TooManyWrongCodes, WrongCode, accepting_answers, effective_status
from exam.exams.scoring import rescore
from exam.extensions import db

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
    if at > late_entry_until(starts_at, late_entry_minutes):
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


def start_attempt(attempt: Attempt, *, session_code: str, at: dt.datetime) -> Attempt:
    """``start_paper`` for a paper loaded through the ORM (the demo, the bench's set-up, the
    rule tests): the same statements and checks, as its candidate pressing Start, in the
    caller's transaction. The paper is read again afterwards."""
    candidate = _ready_to_run_statements(attempt)
    start_paper(
        attempt.id, candidate.id, session_code, session_token=candidate.session_token, at=at
    )
    db.session.refresh(attempt)
    return attempt


def _ready_to_run_statements(attempt: Attempt) -> User:
    """The paper's candidate, with the session's changes flushed and its transaction begun,
    so that the fast path's statements see them and run inside it (not in autocommit)."""
    candidate = attempt.application.candidate
    db.session.flush()
    db.session.connection()
    return candidate


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
    with run_statements() as run:
        row = run(
            Statement.START_STATE,
            {
                "attempt": attempt_id,
                "candidate": candidate_id,
                "token": session_token,
                "since": at - window,
            },
        )
        if row is None:
            raise NotYours()
        if row.paper.status != AttemptStatus.READY:
            return False
        if row.wrong_codes >= tries and (session_code or "").strip():
            raise _too_many_wrong_codes(attempt_id, tries=tries, window=window, at=at)
        _check_start(
            starts_at=row.paper.starts_at,
            late_entry_minutes=row.late_entry_minutes,
            deadline_at=row.paper.deadline_at,
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
        fields = pending_fields("attempt.start", **audit)
        if run.dialect == "postgresql":  # the update and its entry: one statement
            return bool(run(Statement.START_AUDITED, {"attempt": attempt_id, "at": at, **fields}))
        if not run(Statement.START, {"attempt": attempt_id, "at": at}):
            return False
        run(Statement.PENDING_ENTRY, fields)
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
    email = db.session.scalar(sa.select(User.email).where(User.id == candidate_id))
    record_soon(
        "attempt.wrong_code",
        actor=_Candidate(candidate_id, email or ""),
        object_type="Attempt",
        object_id=attempt_id,
        after={"code": code, "entered_at": at},
    )
    db.session.flush()


def save_answer(
    attempt: Attempt,
    attempt_question: AttemptQuestion,
    raw_response: object,
    *,
    seq: int,
    at: dt.datetime,
    grace_seconds: int = 0,
) -> Answer:
    """``save_answers`` for one answer of a paper loaded through the ORM (the demo, the rule
    tests), in the bank's ids rather than the page's tokens: the same read, checks and
    write (kept unless a higher ``seq`` is stored), in the caller's transaction. Returns
    the stored answer, read again."""
    candidate = _ready_to_run_statements(attempt)
    save_answers(
        attempt.id,
        candidate.id,
        [(attempt_question.id, raw_response, seq)],
        session_token=candidate.session_token,
        at=at,
        grace_seconds=grace_seconds,
        bank_ids=True,
    )
    answer = db.session.scalars(
        sa.select(Answer)
        .where(Answer.attempt_question_id == attempt_question.id)
        .execution_options(populate_existing=True)
    ).one()
    set_committed_value(attempt_question, "answer", answer)
    return answer


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


def lock_paper(attempt: Attempt) -> None:
    """Take the paper's row for update and read it again (PostgreSQL): saves in flight
    finish first, and a grant, an incident or a submit made meanwhile is seen."""
    lock_row(attempt)


def submit_attempt(
    attempt: Attempt, *, actor: User | None, at: dt.datetime, by_server: bool = False
) -> Attempt:
    """Close the paper and score it at once (what can be scored automatically)."""
    lock_paper(attempt)
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
    """The server submits a paper whose time is up, even if the browser is gone: the fast
    path's closing (``close_papers``), the paper read again afterwards."""
    if effective_status(attempt, at, grace_seconds) == attempt.status:
        return False
    db.session.flush()
    closed = close_papers([attempt.id], at=at, grace_seconds=grace_seconds)
    db.session.expire_all()  # the paper and its items were written without the ORM
    return bool(closed)


CLOSING_BATCH = 200  # papers closed per transaction by the server at the deadline


def close_expired_attempts(
    *,
    at: dt.datetime,
    grace_seconds: int = 0,
    where: sa.ColumnElement | None = None,
    batch_size: int = CLOSING_BATCH,
    run_batch: Callable[[Callable[[], int]], int] | None = None,
) -> int:
    """Close every expired paper (run by `flask exams close-expired`; until then readers show
    them closed, exam/exams/closing.py), ``batch_size`` papers at a time. ``run_batch`` runs
    each batch (the command: each in its own transaction, taken with the write lock); by
    default they all run in the caller's transaction (the round's stage change)."""
    query = (
        sa.select(
            Attempt.id,
            Attempt.status,
            Attempt.time_percent,
            Attempt.extra_minutes,
            ExamSession.starts_at,
            Test.duration_minutes,
        )
        .join(ExamSession, ExamSession.id == Attempt.session_id)
        .join(Test, Test.id == Attempt.test_id)
        .where(Attempt.status == AttemptStatus.IN_PROGRESS)
        .order_by(Attempt.id)
    )
    if where is not None:
        query = query.where(where)
    db.session.flush()
    expired = [
        row.id
        for row in db.session.execute(query)
        if not accepting_answers(row.status, PaperRow.from_row(row).deadline_at, at, grace_seconds)
    ]
    run_batch, grace = run_batch or (lambda work: work()), grace_seconds
    closed = 0
    for start in range(0, len(expired), batch_size):
        batch = expired[start : start + batch_size]
        closed += run_batch(lambda batch=batch: close_papers(batch, at=at, grace_seconds=grace))
    if closed:
        db.session.expire_all()  # papers and items were written without the ORM
    return closed


def acknowledge_result(attempt: Attempt, *, actor: User, at: dt.datetime) -> Attempt:
    """The candidate confirms the score shown: the electronic signature of the result list."""
    lock_paper(attempt)  # a second click waits, then finds it confirmed
    if attempt.status != AttemptStatus.SUBMITTED:
        raise DomainError(_l("Bài thi chưa nộp."))
    if attempt.acknowledged_at is None:
        attempt.acknowledged_at = at
        record("attempt.acknowledge", attempt, actor=actor, after={"score": attempt.score})
    return attempt
