"""The exam-day fast path (the paper page, its poll, autosave, Start's statements). The only
module of exam/ that uses exam/core/driver.py; docs/architecture.md, "Exam day's fast path".

Each statement is a member of ``Statement``, built by one small function (``_defines``) and
read by one adapter next to it (its ``from_rows``), which turns the rows into the same Python
values whichever way they came: from the driver (psycopg gives an enum as its string and a
datetime in the connection's zone) or from SQLAlchemy (its column types: the enum, UTC).
``run_statements`` runs them: on PostgreSQL on the driver, in autocommit outside a
transaction (where it refuses a second write, ``SecondWriteRefused``), on SQLite on the
session's connection. No ORM, no user object."""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

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


class SecondWriteRefused(RuntimeError):
    """A second write statement in one autocommit call of ``run_statements``. There each
    statement is its own transaction: had the second failed, the first would stay written.
    A fast-path function is a lone read, or reads and then one write that checks again what
    it changes (reads after it only report); more writes belong in a transaction."""


class Statement(enum.Enum):
    """The fast path's statements. Each is built by one function below and its rows read
    by one adapter; ``_SPECS`` holds both, with whether it writes and where it runs."""

    STATE = "state"
    START_STATE = "start_state"
    START = "start"
    START_AUDITED = "start_audited"
    OPEN_PAPER = "open_paper"
    STATE_AND_ITEMS = "state_and_items"
    POLL = "poll"
    SAVE_BATCH = "save_batch"
    STORED_SEQS = "stored_seqs"
    STATUS = "status"
    UPSERT = "upsert"

    @property
    def writes(self) -> bool:
        return _SPECS[self].writes

    @property
    def dialects(self) -> frozenset[str]:
        """The databases it is written for (two exist only in PostgreSQL's SQL)."""
        return _SPECS[self].dialects

    def build(self, dialect: str) -> sa.Executable:
        """The statement for ``dialect``, built once per process."""
        key = (dialect, self)
        if key not in _STATEMENTS:
            _STATEMENTS[key] = _SPECS[self].build(dialect)
        return _STATEMENTS[key]

    def adapt(self, rows: Sequence[Any]) -> Any:
        """The rows as Python values, the same from the driver as from SQLAlchemy."""
        return _SPECS[self].from_rows(rows)


@dataclass(frozen=True)
class _Spec:
    build: Callable[[str], sa.Executable]
    from_rows: Callable[[Sequence[Any]], Any]
    writes: bool
    dialects: frozenset[str]


_SPECS: dict[Statement, _Spec] = {}
_STATEMENTS: dict[tuple[str, Statement], sa.Executable] = {}
_BOTH = frozenset({"postgresql", "sqlite"})
_ITEMS = sa.bindparam("items", expanding=True)


def _defines(
    statement: Statement,
    from_rows: Callable[[Sequence[Any]], Any],
    *,
    writes: bool = False,
    dialects: frozenset[str] = _BOTH,
) -> Callable[[Callable[[str], sa.Executable]], Callable[[str], sa.Executable]]:
    """Register the decorated function as the builder of ``statement``."""

    def register(build: Callable[[str], sa.Executable]) -> Callable[[str], sa.Executable]:
        _SPECS[statement] = _Spec(build, from_rows, writes, dialects)
        return build

    return register


# --- the adapters' conversions ---------------------------------------------------------------

_STATUS = {status.value: status for status in AttemptStatus}  # str or member -> member


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """psycopg gives the connection's zone, SQLAlchemy's ``UTCDateTime`` UTC: UTC for both."""
    return None if value is None else value.astimezone(dt.UTC)


def _first(from_row: Callable[[Any], Any]) -> Callable[[Sequence[Any]], Any]:
    """The adapter of a statement of at most one row: that row adapted, or None."""
    return lambda rows: from_row(rows[0]) if rows else None


def _count(rows: Sequence[Any]) -> int:
    """How many rows a write returned (a started paper; the audit entry's id is not kept:
    it comes from a sequence)."""
    return len(rows)


def _seq_by_item(rows: Sequence[Any]) -> dict[int, int]:
    """Rows of (item, seq): the seq stored for each item."""
    return {item: seq for item, seq in rows}


def _kept_seq(rows: Sequence[Any]) -> int | None:
    """The seq an upsert wrote; None when the stored answer was newer."""
    return rows[0].seq if rows else None


def _status(rows: Sequence[Any]) -> AttemptStatus | None:
    return _STATUS[rows[0].status] if rows else None


class PaperRow(NamedTuple):
    """The paper's columns that give its status and deadline (``_paper_columns``)."""

    status: AttemptStatus
    time_percent: int
    extra_minutes: int
    starts_at: dt.datetime
    duration_minutes: int

    @classmethod
    def from_row(cls, row: Any) -> PaperRow:
        return cls(
            _STATUS[row.status],
            row.time_percent,
            row.extra_minutes,
            row.starts_at.astimezone(dt.UTC),
            row.duration_minutes,
        )

    @property
    def deadline_at(self) -> dt.datetime:
        return deadline(
            self.starts_at, self.duration_minutes, self.time_percent, self.extra_minutes
        )

    def state(self, attempt_id: int, candidate_id: int) -> PaperState:
        return PaperState(attempt_id, self.status, self.deadline_at, candidate_id)


class StartRow(NamedTuple):
    paper: PaperRow
    late_entry_minutes: int
    code: str
    email: str
    wrong_codes: int  # entered since the window's start

    @classmethod
    def from_row(cls, row: Any) -> StartRow:
        return cls(
            PaperRow.from_row(row), row.late_entry_minutes, row.code, row.email, row.wrong_codes
        )


class OpenPaperRow(NamedTuple):
    paper: PaperRow
    title: str
    full_name: str
    locale: str
    questions: int
    html: str

    @classmethod
    def from_row(cls, row: Any) -> OpenPaperRow:
        return cls(
            PaperRow.from_row(row), row.title, row.full_name, row.locale, row.questions, row.html
        )


class PaperItems(NamedTuple):
    """The paper and the questions a save names (one row per item; JSON ``data`` comes
    decoded both ways)."""

    paper: PaperRow
    token_secret: str
    items: dict[int, tuple[str, Any]]  # item -> its question's (type, data)

    @classmethod
    def from_rows(cls, rows: Sequence[Any]) -> PaperItems | None:
        if not rows:
            return None
        items = {row.item: (row.type, row.data) for row in rows if row.item is not None}
        return cls(PaperRow.from_row(rows[0]), rows[0].token_secret, items)


class PollRows(NamedTuple):
    """The paper and its stored answers (one row per answer; the paper's columns are the
    same on each, so they are converted once, not per row)."""

    paper: PaperRow
    last_seen_at: dt.datetime | None
    answers: dict[int, int]  # item -> seq of its stored answer

    @classmethod
    def from_rows(cls, rows: Sequence[Any]) -> PollRows | None:
        if not rows:
            return None
        answers = {row.item: row.seq for row in rows if row.item is not None}
        return cls(PaperRow.from_row(rows[0]), _utc(rows[0].last_seen_at), answers)


# --- the statements, one function each --------------------------------------------------------


def _paper() -> sa.FromClause:
    return (
        _attempts.join(_sessions, _sessions.c.id == _attempts.c.session_id)
        .join(_tests, _tests.c.id == _attempts.c.test_id)
        .join(_applications, _applications.c.id == _attempts.c.application_id)
        .join(_users, _users.c.id == _applications.c.candidate_id)
    )


def _paper_columns() -> list[sa.ColumnElement]:
    """What ``PaperRow`` reads."""
    return [
        _attempts.c.status,
        _attempts.c.time_percent,
        _attempts.c.extra_minutes,
        _sessions.c.starts_at,
        _tests.c.duration_minutes,
    ]


def _mine() -> sa.ColumnElement[bool]:
    return sa.and_(
        _attempts.c.id == sa.bindparam("attempt"),
        _applications.c.candidate_id == sa.bindparam("candidate"),
        _users.c.active.is_(True),
        # The session's token: a session ended by signing out (or by a password change)
        # is refused here too (exam/accounts/sessions.py).
        _users.c.session_token == sa.bindparam("token", type_=sa.String),
    )


@_defines(Statement.STATE, _first(PaperRow.from_row))
def _state(dialect: str) -> sa.Executable:
    return sa.select(*_paper_columns()).select_from(_paper()).where(_mine())


@_defines(Statement.START_STATE, _first(StartRow.from_row))
def _start_state(dialect: str) -> sa.Executable:
    since = sa.bindparam("since", type_=_wrong_codes.c.entered_at.type)
    wrong_codes = (
        sa.select(sa.func.count())
        .where(_wrong_codes.c.attempt_id == _attempts.c.id, _wrong_codes.c.entered_at > since)
        .scalar_subquery()
    )
    return (
        sa.select(
            *_paper_columns(),
            _sessions.c.late_entry_minutes,
            _sessions.c.code,
            _users.c.email,
            wrong_codes.label("wrong_codes"),
        )
        .select_from(_paper())
        .where(_mine())
    )


@_defines(Statement.START, _count, writes=True)
def _start(dialect: str) -> sa.Executable:
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


@_defines(Statement.START_AUDITED, _count, writes=True, dialects=frozenset({"postgresql"}))
def _start_audited(dialect: str) -> sa.Executable:
    """PostgreSQL: Start's update and its pending audit entry in one statement."""
    started = _start(dialect).cte("started")
    return insert_pending_for(started).returning(sa.literal_column("id"))


@_defines(Statement.OPEN_PAPER, _first(OpenPaperRow.from_row))
def _open_paper(dialect: str) -> sa.Executable:
    unanswered = ~sa.exists().where(
        _answers.c.attempt_question_id == _items.c.id, _items.c.attempt_id == _attempts.c.id
    )
    return (
        sa.select(
            *_paper_columns(),
            _tests.c.title,
            _users.c.full_name,
            _rendered.c.locale,
            _rendered.c.questions,
            _rendered.c.html,
        )
        .select_from(_paper().join(_rendered, _rendered.c.attempt_id == _attempts.c.id))
        .where(_mine(), unanswered)
    )


@_defines(Statement.STATE_AND_ITEMS, PaperItems.from_rows)
def _state_and_items(dialect: str) -> sa.Executable:
    items = (
        _paper()
        .outerjoin(
            _items,
            sa.and_(_items.c.attempt_id == _attempts.c.id, _items.c.id.in_(_ITEMS)),
        )
        .outerjoin(_versions, _versions.c.id == _items.c.question_version_id)
    )
    return (
        sa.select(
            *_paper_columns(),
            _attempts.c.token_secret,
            _items.c.id.label("item"),
            _versions.c.type,
            _versions.c.data,
        )
        .select_from(items)
        .where(_mine())
    )


@_defines(Statement.POLL, PollRows.from_rows)
def _poll(dialect: str) -> sa.Executable:
    # One row per stored answer (one row in all when there is none yet).
    stored = _items.join(_answers, _answers.c.attempt_question_id == _items.c.id)
    return (
        sa.select(
            *_paper_columns(),
            _attempts.c.last_seen_at,
            _answers.c.attempt_question_id.label("item"),
            _answers.c.seq,
        )
        .select_from(_paper().outerjoin(stored, _items.c.attempt_id == _attempts.c.id))
        .where(_mine())
    )


@_defines(Statement.STORED_SEQS, _seq_by_item)
def _stored_seqs(dialect: str) -> sa.Executable:
    return sa.select(_answers.c.attempt_question_id.label("item"), _answers.c.seq).where(
        _answers.c.attempt_question_id.in_(_ITEMS)
    )


@_defines(Statement.STATUS, _status)
def _status_statement(dialect: str) -> sa.Executable:
    return sa.select(_attempts.c.status).where(_attempts.c.id == sa.bindparam("attempt"))


@_defines(Statement.UPSERT, _kept_seq, writes=True)
def _upsert(dialect: str) -> sa.Executable:
    """One answer saved (SQLite's save, one per answer; PostgreSQL's is ``_save_batch``).
    Its columns are named, so that the driver's compiled SQL holds only these."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    columns = ("attempt_question_id", "response", "answered", "seq", "saved_at")
    values = {name: sa.bindparam(name, type_=_answers.c[name].type) for name in columns}
    return _keeping_the_higher_seq(insert(_answers).values(values)).returning(_answers.c.seq)


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


@_defines(Statement.SAVE_BATCH, _seq_by_item, writes=True, dialects=frozenset({"postgresql"}))
def _save_batch(dialect: str) -> sa.Executable:
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


if _SPECS.keys() != set(Statement):  # every statement is built by one function above
    raise RuntimeError(f"statements without a builder: {set(Statement) - _SPECS.keys()}")


# --- running them -----------------------------------------------------------------------------


class StatementRunner:
    """Runs the fast path's statements and adapts their rows (``Statement.adapt``): on
    PostgreSQL on the driver (``exam.core.driver``), on SQLite on the session's connection,
    in its transaction (write requests begin IMMEDIATE). In ``autocommit`` (the driver's
    pooled connection, outside any transaction) a second write is refused."""

    def __init__(self, cursor: Any | None, *, autocommit: bool):
        self.cursor = cursor
        self.connection = db.session.connection() if cursor is None else None
        self.dialect = "postgresql" if cursor is not None else self.connection.dialect.name
        self.autocommit = autocommit
        self.wrote: Statement | None = None

    def __call__(self, statement: Statement, parameters: dict[str, Any]) -> Any:
        spec = _SPECS[statement]
        if spec.writes:
            if self.autocommit and self.wrote is not None:
                raise SecondWriteRefused(
                    f"{statement.name} after {self.wrote.name} in one autocommit call"
                )
            self.wrote = statement
        if self.cursor is not None:
            driver_statement = _driver_statement(statement, parameters)
            rows = driver_execute(self.cursor, driver_statement, parameters).fetchall()
        else:
            rows = self.connection.execute(statement.build(self.dialect), parameters).all()
        return spec.from_rows(rows)


@contextlib.contextmanager
def run_statements() -> Iterator[StatementRunner]:
    with driver_cursor() as cursor:
        autocommit = cursor is not None and cursor.connection.autocommit
        yield StatementRunner(cursor, autocommit=autocommit)


_DRIVER_STATEMENTS: dict[tuple[Statement, int], DriverStatement] = {}
_HOT_STATEMENTS = {
    "postgresql": (
        Statement.START_STATE,
        Statement.START_AUDITED,
        Statement.OPEN_PAPER,
        Statement.STATE_AND_ITEMS,
        Statement.SAVE_BATCH,
        Statement.POLL,
    ),
    "sqlite": (
        Statement.START_STATE,
        Statement.START,
        Statement.OPEN_PAPER,
        Statement.STATE_AND_ITEMS,
        Statement.UPSERT,
        Statement.POLL,
    ),
}


def compile_hot_statements(dialect: str) -> None:
    """Build (and on PostgreSQL compile for the driver) the statements of a session's first
    minute, before it starts (``exam.warm_up``)."""
    for statement in _HOT_STATEMENTS[dialect]:
        statement.build(dialect)
        if dialect == "postgresql":
            items = {"items": [0]} if statement is Statement.STATE_AND_ITEMS else {}
            _driver_statement(statement, items)


def _driver_statement(statement: Statement, parameters: dict[str, Any]) -> DriverStatement:
    items = parameters.get("items")
    size = list_size(len(items)) if items is not None else 0
    key = (statement, size)
    if key not in _DRIVER_STATEMENTS:
        _DRIVER_STATEMENTS[key] = compile_for_driver(
            statement.build("postgresql"),
            db.session.get_bind().dialect,
            {"items": size} if size else None,
        )
    return _DRIVER_STATEMENTS[key]


# --- the fast path's functions ----------------------------------------------------------------


def _mine_parameters(attempt_id: int, candidate_id: int, session_token: str) -> dict[str, Any]:
    return {"attempt": attempt_id, "candidate": candidate_id, "token": session_token}


def paper_state(attempt_id: int, candidate_id: int, *, session_token: str) -> PaperState:
    """The paper's status and deadline, if it is this (active) candidate's."""
    with run_statements() as run:
        paper = run(Statement.STATE, _mine_parameters(attempt_id, candidate_id, session_token))
    if paper is None:
        raise NotYours()
    return paper.state(attempt_id, candidate_id)


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
        poll = run(Statement.POLL, _mine_parameters(attempt_id, candidate_id, session_token))
    if poll is None:
        raise NotYours()
    state = poll.paper.state(attempt_id, candidate_id)
    if state.status != AttemptStatus.IN_PROGRESS:
        return PaperPoll(state, None, expired=False, contact_due=False)
    if not accepting_answers(state.status, state.deadline_at, at, grace_seconds):
        return PaperPoll(state, None, expired=True, contact_due=False)
    last_seen = poll.last_seen_at
    due = last_seen is None or last_seen < at - dt.timedelta(seconds=CONTACT_EVERY_SECONDS)
    return PaperPoll(state, poll.answers, expired=False, contact_due=due)


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
        row = run(Statement.OPEN_PAPER, _mine_parameters(attempt_id, candidate_id, session_token))
    if row is None or row.locale != locale:
        return None
    deadline_at = row.paper.deadline_at
    if row.paper.status != AttemptStatus.IN_PROGRESS or at > deadline_at:
        return None
    return OpenPaper(attempt_id, row.title, row.full_name, deadline_at, row.html, row.questions)


def save_answers(
    attempt_id: int,
    candidate_id: int,
    entries: list[tuple[int, object, int]],
    *,
    session_token: str,
    at: dt.datetime,
    grace_seconds: int,
    bank_ids: bool = False,
) -> tuple[PaperState, dict[int, int]]:
    """Save a batch of (item, response, seq) for the candidate's paper, all or nothing.

    One read checks the paper (this candidate's, open, before its deadline) and the
    responses against their questions; then the write. The sequence rule is part of the
    write: insert, or on conflict update only where the stored seq is lower (PostgreSQL and
    SQLite both run ``INSERT … ON CONFLICT DO UPDATE … WHERE`` atomically, so two tabs
    racing on one question keep the higher seq).

    PostgreSQL: the read needs no transaction, and the write is one statement that also
    checks again that the paper is open, holding its row with a shared lock
    (``_save_batch``): two round trips. SQLite: write requests begin IMMEDIATE,
    one writer at a time, so nothing can close the paper between the read and the write.
    Responses name the page's option tokens, or the bank's ids with ``bank_ids``
    (``exam.exams.sitting.save_answer``). Returns the state and the stored seq per item.
    """
    latest: dict[int, tuple[object, int]] = {}
    for item_id, response, seq in entries:
        if item_id not in latest or seq > latest[item_id][1]:
            latest[item_id] = (response, seq)
    paper = _mine_parameters(attempt_id, candidate_id, session_token) | {"items": list(latest)}
    with run_statements() as run:
        state, values = _checked_batch(run, paper, latest, at, grace_seconds, bank_ids)
        if run.dialect == "postgresql":
            return state, _write_batch(run, attempt_id, values, at)
        return state, _write_each(run, values, at)


def _checked_batch(
    run: StatementRunner,
    paper: dict[str, Any],
    latest: dict[int, tuple[object, int]],
    at: dt.datetime,
    grace_seconds: int,
    bank_ids: bool,
) -> tuple[PaperState, list[tuple[int, object, int]]]:
    """The paper's state, and the batch's responses cleaned by their questions' types,
    the page's option tokens first translated back to the bank's ids (exam.exams.tokens)."""
    found = run(Statement.STATE_AND_ITEMS, paper)
    if found is None:
        raise NotYours()
    state = found.paper.state(paper["attempt"], paper["candidate"])
    if not accepting_answers(state.status, state.deadline_at, at, grace_seconds):
        raise AnswerRefused(CLOSED_MESSAGE)
    values = []
    for item_id, (raw, seq) in latest.items():
        if item_id not in found.items:
            raise DomainError(_l("Câu hỏi không thuộc bài thi này."))
        qtype, data = found.items[item_id]
        try:
            if not bank_ids:
                raw = decode_response(found.token_secret, item_id, qtype, data, raw)
            response = get_type(qtype).clean_response(data, raw)
        except InvalidResponse:
            raise ValidationFailed([("response", _l("Câu trả lời không hợp lệ."))]) from None
        values.append((item_id, response, seq))
    return state, values


def _write_batch(
    run: StatementRunner, attempt_id: int, values: list[tuple[int, object, int]], at: dt.datetime
) -> dict[int, int]:
    """PostgreSQL: the batch in one statement (``_save_batch``)."""
    batch = [
        {
            "item": item_id,
            "response": json.dumps(response),  # cast back to JSON by the statement
            "answered": is_answered(response),
            "seq": seq,
        }
        for item_id, response, seq in values
    ]
    stored = run(Statement.SAVE_BATCH, {"attempt": attempt_id, "batch": batch, "at": at})
    missing = [item_id for item_id, _response, _seq in values if item_id not in stored]
    if missing and not stored:
        status = run(Statement.STATUS, {"attempt": attempt_id})
        if status != AttemptStatus.IN_PROGRESS:
            raise AnswerRefused(CLOSED_MESSAGE)  # closed between the read and the write
    return _in_batch_order(values, stored | _stored_seqs(run, missing))


def _write_each(
    run: StatementRunner, values: list[tuple[int, object, int]], at: dt.datetime
) -> dict[int, int]:
    """SQLite: one upsert per answer, in the transaction that holds the write lock."""
    stored: dict[int, int] = {}
    for item_id, response, seq in values:
        kept = run(
            Statement.UPSERT,
            {
                "attempt_question_id": item_id,
                "response": response,
                "answered": is_answered(response),
                "seq": seq,
                "saved_at": at,
            },
        )
        if kept is not None:
            stored[item_id] = kept
    missing = [item_id for item_id, _response, _seq in values if item_id not in stored]
    return _in_batch_order(values, stored | _stored_seqs(run, missing))


def _in_batch_order(
    values: list[tuple[int, object, int]], stored: dict[int, int]
) -> dict[int, int]:
    return {item_id: stored[item_id] for item_id, _response, _seq in values}


def _stored_seqs(run: StatementRunner, item_ids: list[int]) -> dict[int, int]:
    """The seq kept for items whose save was older than the one stored."""
    if not item_ids:
        return {}
    return run(Statement.STORED_SEQS, {"items": item_ids})


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
