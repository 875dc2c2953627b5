"""The fast path's statements, written with SQLAlchemy Core: each a member of ``Statement``,
built by one small function registered with ``_defines`` and read by its adapter
(exam/exams/hotpath/adapters.py)."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from exam.accounts.models import User
from exam.audit.operations import insert_pending, insert_pending_for
from exam.candidates.models import Application
from exam.exams.hotpath.adapters import (
    OpenPaperRow,
    PaperItems,
    PaperKeyRows,
    PaperRow,
    PaperToScore,
    PollRows,
    ResultRow,
    SavedBatch,
    StartRow,
    SubmitRow,
    _count,
    _first,
    _ids,
    _kept_seq,
    _seq_by_item,
    _status,
    _versions_data,
)
from exam.exams.models import (
    Answer,
    Attempt,
    AttemptQuestion,
    AttemptStatus,
    ExamSession,
    RenderedPaper,
    ReviewOption,
    Test,
    WrongSessionCode,
)
from exam.question_bank.models import QuestionVersion
from exam.question_bank.qtypes import registered_types
from exam.rounds.models import Round

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
_rounds = Round.__table__


class Statement(enum.Enum):
    """The fast path's statements. Each is built by one function below and its rows read
    by one adapter; ``_SPECS`` holds both, with whether it writes and where it runs."""

    STATE = "state"
    START_STATE = "start_state"
    START = "start"
    START_AUDITED = "start_audited"
    PENDING_ENTRY = "pending_entry"
    OPEN_PAPER = "open_paper"
    STATE_AND_ITEMS = "state_and_items"
    POLL = "poll"
    SAVE_BATCH = "save_batch"
    PAPER_KEYS = "paper_keys"
    VERSIONS = "versions"
    SAVE_CHECKED = "save_checked"
    STORED_SEQS = "stored_seqs"
    STATUS = "status"
    UPSERT = "upsert"
    SUBMIT_STATE = "submit_state"
    LOCK_PAPERS = "lock_papers"
    SCORING_ROWS = "scoring_rows"
    CLOSE = "close"
    SCORE_ITEMS = "score_items"
    CLOSE_AUDITED = "close_audited"
    RESULT = "result"

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
_PAPERS = sa.bindparam("papers", expanding=True)
_VERSIONS = sa.bindparam("versions", expanding=True)


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


@_defines(Statement.PENDING_ENTRY, _count, writes=True, dialects=frozenset({"sqlite"}))
def _pending_entry(dialect: str) -> sa.Executable:
    """SQLite: a change's pending audit entry, after the change (PostgreSQL writes both in
    one statement: START_AUDITED, CLOSE_AUDITED)."""
    return insert_pending().returning(sa.literal_column("id"))


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
            _items.c.points,
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
    columns = ("attempt_question_id", "response", "answered", "seq", "saved_at", "points")
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
            "points": statement.excluded.points,
        },
        where=_answers.c.seq < statement.excluded.seq,
    )


def _batch(*keys: sa.ColumnClause) -> Any:
    """PostgreSQL: the batch, sent as one JSON parameter, as rows:
    ``jsonb_to_recordset(:batch) AS batch(item, <keys>, response, answered, seq, points)``."""
    from sqlalchemy.dialects.postgresql import JSONB

    return (
        sa.func.jsonb_to_recordset(sa.cast(sa.bindparam("batch", type_=sa.JSON), JSONB))
        .table_valued(
            sa.column("item", sa.Integer),
            *keys,
            sa.column("response", sa.Text),  # the response's JSON text, kept as sent
            sa.column("answered", sa.Boolean),
            sa.column("seq", sa.BigInteger),
            sa.column("points", sa.Float),
        )
        .render_derived(name="batch", with_types=True)
    )


_ANSWER_COLUMNS = ["attempt_question_id", "response", "answered", "seq", "saved_at", "points"]


def _answer_values(batch: Any) -> list[sa.ColumnElement]:
    """A batch row's values for ``_ANSWER_COLUMNS``, saved at ``:at``."""
    return [
        batch.c.item,
        sa.cast(batch.c.response, _answers.c.response.type),
        batch.c.answered,
        batch.c.seq,
        sa.bindparam("at", type_=_answers.c.saved_at.type),
        batch.c.points,
    ]


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
    from sqlalchemy.dialects.postgresql import insert

    paper = (
        sa.select(_attempts.c.id)
        .where(
            _attempts.c.id == sa.bindparam("attempt"),
            _attempts.c.status == AttemptStatus.IN_PROGRESS.value,
        )
        .with_for_update(read=True)
        .cte("paper")
    )
    batch = _batch()
    rows = sa.select(*_answer_values(batch)).select_from(paper.join(batch, sa.true()))
    statement = insert(_answers).from_select(_ANSWER_COLUMNS, rows)
    return _keeping_the_higher_seq(statement).returning(
        _answers.c.attempt_question_id, _answers.c.seq
    )


@_defines(Statement.PAPER_KEYS, PaperKeyRows.from_rows)
def _paper_keys(dialect: str) -> sa.Executable:
    """What a save checks a response against, fixed when the paper was drawn: the paper's
    option-token secret and each item's question version and points (kept by
    exam/exams/hotpath/keys.py)."""
    return (
        sa.select(
            _attempts.c.token_secret,
            _items.c.id.label("item"),
            _items.c.question_version_id.label("version"),
            _items.c.points,
        )
        .select_from(_attempts.join(_items, _items.c.attempt_id == _attempts.c.id))
        .where(_attempts.c.id == sa.bindparam("attempt"))
    )


@_defines(Statement.VERSIONS, _versions_data)
def _versions_statement(dialect: str) -> sa.Executable:
    """Question versions' type and data (a version never changes once saved)."""
    return sa.select(_versions.c.id, _versions.c.type, _versions.c.data).where(
        _versions.c.id.in_(_VERSIONS)
    )


def _accepting_in_sql() -> sa.ColumnElement[bool]:
    """``exam.exams.rules.accepting_answers`` in SQL, on ``_paper()``'s row: in progress,
    and ``at`` no later than the deadline (``exam.exams.models.deadline``: the duration
    lengthened by the accommodation, rounded up to the second, plus the minutes added) and
    the grace."""
    lengthened = sa.func.ceil(
        _tests.c.duration_minutes * 60 * (100 + _attempts.c.time_percent) / sa.literal(100.0)
    )
    seconds = lengthened + _attempts.c.extra_minutes * 60 + sa.bindparam("grace", type_=sa.Integer)
    ends = _sessions.c.starts_at + sa.func.make_interval(
        0, 0, 0, 0, 0, 0, sa.cast(seconds, sa.Float)
    )
    at = sa.bindparam("at", type_=_answers.c.saved_at.type)
    return sa.and_(_attempts.c.status == AttemptStatus.IN_PROGRESS.value, at <= ends)


@_defines(
    Statement.SAVE_CHECKED, SavedBatch.from_rows, writes=True, dialects=frozenset({"postgresql"})
)
def _save_checked(dialect: str) -> sa.Executable:
    """PostgreSQL: a save in one round trip, for a batch checked against the paper's keys
    kept by the process (exam/exams/hotpath/keys.py). Everything the read of a save checks
    is checked here again, in SQL: the paper is this active candidate's, with this session's
    token; it is in progress and before its deadline and grace; and the keys the batch was
    checked with are still the paper's (its token secret, each item's paper and question
    version). The paper's row is held with a shared lock, as ``_save_batch`` holds it:

        WITH paper AS (SELECT … FROM attempts JOIN … WHERE <mine> AND token_secret = :secret
                       FOR SHARE OF attempts),
             saved AS (INSERT INTO answers (…)
                       SELECT … FROM paper JOIN jsonb_to_recordset(:batch) AS batch(…) ON true
                       WHERE <accepting>
                         AND (SELECT question_version_id FROM attempt_questions
                              WHERE id = batch.item AND attempt_id = paper.id) = batch.version
                       ON CONFLICT … DO UPDATE … WHERE seq < excluded.seq
                       RETURNING attempt_question_id, seq)
        SELECT <the paper's state>, saved.item, saved.seq FROM paper LEFT JOIN saved ON true

    No row: not this candidate's paper, or other keys (the caller takes the two-trip save,
    which says why). Whether the paper was accepting answers is returned as the statement
    decided it. Accepting, but an item not written: a newer answer kept, or keys of another
    item (the caller tells them apart)."""
    from sqlalchemy.dialects.postgresql import insert

    paper = (
        sa.select(_attempts.c.id, *_paper_columns(), _accepting_in_sql().label("accepting"))
        .select_from(_paper())
        .where(_mine(), _attempts.c.token_secret == sa.bindparam("secret", type_=sa.String))
        .with_for_update(read=True, of=_attempts)
        .cte("paper")
    )
    batch = _batch(sa.column("version", sa.Integer))
    # The item's version, by its primary key for each row of the batch: as a join, the
    # planner (which takes a function for 100 rows) scanned all the paper's items.
    version = (
        sa.select(_items.c.question_version_id)
        .where(_items.c.id == batch.c.item, _items.c.attempt_id == paper.c.id)
        .scalar_subquery()
    )
    rows = (
        sa.select(*_answer_values(batch))
        .select_from(paper.join(batch, sa.true()))
        .where(paper.c.accepting, version == batch.c.version)
    )
    saved = (
        _keeping_the_higher_seq(insert(_answers).from_select(_ANSWER_COLUMNS, rows))
        .returning(_answers.c.attempt_question_id, _answers.c.seq)
        .cte("saved")
    )
    state = [paper.c[column.name] for column in _paper_columns()]
    return sa.select(
        *state,
        paper.c.accepting,
        saved.c.attempt_question_id.label("item"),
        saved.c.seq,
    ).select_from(paper.outerjoin(saved, sa.true()))


# --- submitting and closing: the points were scored when each answer was saved --------------


def _locked(statement: sa.Select, dialect: str) -> sa.Select:
    """PostgreSQL: the papers' rows taken for update, so that saves in flight (which hold
    them with a shared lock, ``_save_batch``) finish first and the next statement reads
    what they wrote; SQLite's writer already holds the database's write lock."""
    return statement.with_for_update(of=_attempts) if dialect == "postgresql" else statement


@_defines(Statement.SUBMIT_STATE, _first(SubmitRow.from_row))
def _submit_state(dialect: str) -> sa.Executable:
    statement = sa.select(*_paper_columns(), _users.c.email).select_from(_paper()).where(_mine())
    return _locked(statement, dialect)


@_defines(Statement.LOCK_PAPERS, _ids)
def _lock_papers(dialect: str) -> sa.Executable:
    """The server's closing of a batch: its papers still in progress, taken in the order
    of their ids (two closings never wait on each other in a circle)."""
    statement = (
        sa.select(_attempts.c.id)
        .where(
            _attempts.c.id.in_(_PAPERS),
            _attempts.c.status == AttemptStatus.IN_PROGRESS.value,
        )
        .order_by(_attempts.c.id)
    )
    return _locked(statement, dialect)


@_defines(Statement.SCORING_ROWS, PaperToScore.from_rows)
def _scoring_rows(dialect: str) -> sa.Executable:
    """Everything a paper's score needs, one row per item: no version's data, no
    response, only the points each answer was given when it was saved."""
    rows = (
        _attempts.join(_sessions, _sessions.c.id == _attempts.c.session_id)
        .join(_tests, _tests.c.id == _attempts.c.test_id)
        .join(_items, _items.c.attempt_id == _attempts.c.id)
        .join(_versions, _versions.c.id == _items.c.question_version_id)
        .outerjoin(_answers, _answers.c.attempt_question_id == _items.c.id)
    )
    return (
        sa.select(
            _attempts.c.id.label("attempt"),
            *_paper_columns(),
            _attempts.c.penalty,
            _tests.c.reprimand_percent,
            _tests.c.warning_percent,
            # The last seven: an ``ItemToScore``, in its order (its adapter reads them so).
            _items.c.id.label("item"),
            _items.c.points,
            _items.c.voided,
            _items.c.awarded_points,
            _versions.c.type,
            _answers.c.answered,
            _answers.c.points.label("answer_points"),
        )
        .select_from(rows)
        .where(_attempts.c.id.in_(_PAPERS))
        .order_by(_attempts.c.id, _items.c.position)
    )


@_defines(Statement.CLOSE, _count, writes=True)
def _close(dialect: str) -> sa.Executable:
    """A paper in progress submitted with its score (added up in Python from the points
    stored with its answers, ``exam.exams.scoring.scores_of``)."""
    at = sa.bindparam("at", type_=_attempts.c.updated_at.type)
    return (
        sa.update(_attempts)
        .where(
            _attempts.c.id == sa.bindparam("attempt"),
            _attempts.c.status == AttemptStatus.IN_PROGRESS.value,
        )
        .values(
            status=AttemptStatus.SUBMITTED.value,
            submitted_at=sa.bindparam("submitted", type_=_attempts.c.submitted_at.type),
            submitted_by_server=sa.bindparam("by_server", type_=sa.Boolean),
            score=sa.bindparam("paper_score", type_=_attempts.c.score.type),
            final_score=sa.bindparam("paper_final_score", type_=_attempts.c.final_score.type),
            updated_at=at,
        )
        .returning(_attempts.c.id)
    )


def _auto_scored_types() -> list[sa.ColumnElement]:
    """The types scored by their key, written into the statement (the registry's names)."""
    names = sorted(name for name, kind in registered_types().items() if kind.auto_scored)
    if not all(name.isidentifier() for name in names):
        raise RuntimeError(f"a question type's name cannot be written into SQL: {names}")
    return [sa.literal_column(f"'{name}'") for name in names]


@_defines(Statement.SCORE_ITEMS, _count, writes=True)
def _score_items(dialect: str) -> sa.Executable:
    """Each item's points on the closed paper, as ``rescore`` gives them: a voided item all
    of its points, an item scored by its key its answer's stored points (0 unanswered); an
    essay keeps its mark (none yet)."""
    stored = (
        sa.select(_answers.c.points)
        .where(_answers.c.attempt_question_id == _items.c.id)
        .scalar_subquery()
    )
    by_key = sa.exists().where(
        _versions.c.id == _items.c.question_version_id,
        _versions.c.type.in_(_auto_scored_types()),
    )
    return (
        sa.update(_items)
        .where(_items.c.attempt_id == sa.bindparam("attempt"), sa.or_(_items.c.voided, by_key))
        .values(
            awarded_points=sa.case(
                (_items.c.voided, _items.c.points),
                else_=sa.func.coalesce(stored, sa.literal(0.0, sa.Float)),
            )
        )
        .returning(_items.c.id)
    )


@_defines(Statement.CLOSE_AUDITED, _count, writes=True, dialects=frozenset({"postgresql"}))
def _close_audited(dialect: str) -> sa.Executable:
    """PostgreSQL: the paper closed, its items' points and its pending audit entry in one
    statement (the items' update runs as a statement of the WITH, after the paper's)."""
    closed = _close(dialect).cte("closed")
    scored = (
        _score_items(dialect).where(_items.c.attempt_id.in_(sa.select(closed.c.id))).cte("scored")
    )
    return insert_pending_for(closed).add_cte(scored).returning(sa.literal_column("id"))


@_defines(Statement.RESULT, _first(ResultRow.from_row))
def _result(dialect: str) -> sa.Executable:
    """The result page of the candidate's own paper in one read: its scores, the paper's
    points, the round's pass mark and when the test's review opens."""
    points = (
        sa.select(sa.func.sum(_items.c.points))
        .where(_items.c.attempt_id == _attempts.c.id)
        .scalar_subquery()
    )
    others = _attempts.alias("others")
    others_sessions = _sessions.alias("others_sessions")
    of_the_test = others.join(others_sessions, others_sessions.c.id == others.c.session_id)

    def latest(column: sa.ColumnElement) -> sa.ColumnElement:
        """Over every paper of the test; not read when the test shows only the score."""
        over_the_test = (
            sa.select(sa.func.max(column))
            .select_from(of_the_test)
            .where(others.c.test_id == _attempts.c.test_id)
            .scalar_subquery()
        )
        only_the_score = _tests.c.review_option == ReviewOption.SCORE_ONLY.value
        return sa.type_coerce(
            sa.case((only_the_score, sa.null()), else_=over_the_test), column.type
        )

    return (
        sa.select(
            _attempts.c.status,
            _attempts.c.score,
            _attempts.c.final_score,
            points.label("max_score"),
            _attempts.c.penalty,
            _attempts.c.submitted_at,
            _attempts.c.submitted_by_server,
            _attempts.c.acknowledged_at,
            _tests.c.title,
            _tests.c.review_option,
            _tests.c.duration_minutes,
            _rounds.c.test_pass_mark.label("pass_mark"),
            _users.c.full_name,
            latest(others_sessions.c.starts_at).label("latest_start"),
            latest(others.c.time_percent).label("latest_percent"),
            latest(others.c.extra_minutes).label("latest_extra"),
        )
        .select_from(_paper().join(_rounds, _rounds.c.id == _tests.c.round_id))
        .where(_mine())
    )


if _SPECS.keys() != set(Statement):  # every statement is built by one function above
    raise RuntimeError(f"statements without a builder: {set(Statement) - _SPECS.keys()}")
