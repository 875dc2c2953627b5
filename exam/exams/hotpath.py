"""The exam-day fast path (the paper page, its poll, autosave, Start's statements), run
by name. The only module of exam/ that uses exam/core/driver.py."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import insert_pending_for
from exam.candidates.models import Application
from exam.core.driver import DriverStatement, compile_for_driver, driver_cursor, list_size
from exam.core.driver import execute as driver_execute
from exam.core.errors import DomainError, ValidationFailed
from exam.exams.models import (
    Answer,
    Attempt,
    AttemptQuestion,
    AttemptStatus,
    ExamSession,
    RenderedPaper,
    Test,
    WrongSessionCode,
    deadline,
)
from exam.exams.rules import CLOSED_MESSAGE, AnswerRefused, accepting_answers, is_answered
from exam.exams.tokens import decode_response
from exam.extensions import db
from exam.question_bank.models import QuestionVersion
from exam.question_bank.qtypes import get_type
from exam.question_bank.qtypes.base import InvalidResponse

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
    with run_statements() as run:
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
    with run_statements() as run:
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
    with run_statements() as run:
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
def run_statements() -> Iterator[_Run]:
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
        raise AnswerRefused(CLOSED_MESSAGE)
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
            raise AnswerRefused(CLOSED_MESSAGE)  # closed between the read and the write
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
