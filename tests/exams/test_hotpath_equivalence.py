"""The fast path's statements (exam/exams/hotpath/, ``Statement``) hand back the same Python
values whichever way they run: through ``run_statements`` (on PostgreSQL the driver, psycopg,
which gives an enum as its string and a datetime in the connection's zone) and through
SQLAlchemy's execution of the same statement (its column types), each time after the
statement's adapter; the paper's values also match the ORM's objects. And the runner's one
rule: one write per autocommit call (docs/architecture.md, "Exam day's fast path")."""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from exam.audit.models import PendingAuditEntry
from exam.audit.operations import pending_fields
from exam.core.driver import driver_cursor
from exam.exams.hotpath import (
    PaperRow,
    SecondWriteRefused,
    Statement,
    StatementRunner,
    paper_scores_from_stored,
    run_statements,
)
from exam.exams.models import (
    Answer,
    Attempt,
    AttemptQuestion,
    AttemptStatus,
    RenderedPaper,
    ReviewOption,
)
from exam.exams.queries import review_opens_at
from exam.exams.scoring import paper_scores
from exam.exams.sitting import note_wrong_code, save_answer, start_attempt
from exam.extensions import db

START = dt.datetime(2026, 4, 1, 1, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)
AT = START + 2 * MINUTE  # when the statements run


@dataclass
class World:
    ready: Attempt  # not started; one wrong code entered
    fresh: Attempt  # started, rendered ahead, nothing answered yet
    answered: Attempt  # started, its first two questions answered (seq 3 and 5)
    spare: Attempt  # not started
    stranger_item: int  # a question of another paper

    def mine(self, attempt: Attempt) -> dict[str, Any]:
        candidate = attempt.application.candidate
        return {"attempt": attempt.id, "candidate": candidate.id, "token": candidate.session_token}

    def items(self, attempt: Attempt) -> list[AttemptQuestion]:
        return sorted(attempt.questions, key=lambda item: item.position)


@pytest.fixture
def world(make) -> World:
    round_ = make.round()
    applications = [make.application(round_.positions[0]) for _ in range(4)]
    test = make.test(round_, starts_at=START)
    ready, fresh, answered, spare = (make.attempt(test, a) for a in applications)
    for attempt in (fresh, answered):
        start_attempt(attempt, session_code=test.session_code, at=START + MINUTE)
    first, second, _third = sorted(answered.questions, key=lambda item: item.position)
    save_answer(answered, first, "a", seq=3, at=START + MINUTE)
    save_answer(answered, second, "b", seq=5, at=START + MINUTE)
    note_wrong_code(ready.id, applications[0].candidate_id, "SAI", at=START + MINUTE)
    db.session.add(
        RenderedPaper(attempt_id=fresh.id, locale="vi", questions=3, html="<ol><li>…</li></ol>")
    )
    db.session.flush()
    return World(ready, fresh, answered, spare, fresh.questions[0].id)


def _parameters(world: World, statement: Statement) -> dict[str, Any]:
    """Each statement's parameters, as production passes them."""
    first, second, third = (item.id for item in world.items(world.answered))
    candidate = world.ready.application.candidate
    started = {"attempt": world.ready.id, "at": AT}
    closing = {
        "attempt": world.answered.id,
        "submitted": AT,
        "by_server": False,
        "paper_score": 1.0,
        "paper_final_score": 1.0,
        "at": AT,
    }
    cases: dict[Statement, Callable[[], dict[str, Any]]] = {
        Statement.STATE: lambda: world.mine(world.fresh),
        Statement.START_STATE: lambda: world.mine(world.ready) | {"since": START},
        Statement.START: lambda: started,
        Statement.START_AUDITED: lambda: (
            started
            | pending_fields(
                "attempt.start",
                actor=candidate,
                object_type="Attempt",
                object_id=world.ready.id,
                after={"started_at": AT},
            )
        ),
        Statement.PENDING_ENTRY: lambda: pending_fields(
            "attempt.start",
            actor=candidate,
            object_type="Attempt",
            object_id=world.ready.id,
            after={"started_at": AT},
        ),
        Statement.OPEN_PAPER: lambda: world.mine(world.fresh),
        Statement.STATE_AND_ITEMS: lambda: (
            world.mine(world.answered) | {"items": [first, third, world.stranger_item]}
        ),
        Statement.POLL: lambda: world.mine(world.answered),
        Statement.SAVE_BATCH: lambda: {
            "attempt": world.answered.id,
            "batch": [  # a newer answer to the first question, an older one to the second
                {
                    "item": first,
                    "response": json.dumps("c"),
                    "answered": True,
                    "seq": 4,
                    "points": 0.0,
                },
                {
                    "item": second,
                    "response": json.dumps("a"),
                    "answered": True,
                    "seq": 2,
                    "points": 1.0,
                },
            ],
            "at": AT,
        },
        Statement.PAPER_KEYS: lambda: {"attempt": world.answered.id},
        Statement.VERSIONS: lambda: {
            "versions": [item.question_version_id for item in world.items(world.answered)]
        },
        Statement.SAVE_CHECKED: lambda: (
            world.mine(world.answered)
            | {
                "secret": world.answered.token_secret,
                "at": AT,
                "grace": 30,
                "batch": [  # a newer answer to the first question, an older one to the second
                    {
                        "item": item.id,
                        "version": item.question_version_id,
                        "response": json.dumps(response),
                        "answered": True,
                        "seq": seq,
                        "points": points,
                    }
                    for item, response, seq, points in zip(
                        world.items(world.answered), ("c", "a"), (4, 2), (0.0, 1.0), strict=False
                    )
                ],
            }
        ),
        Statement.STORED_SEQS: lambda: {"items": [first, second, third]},
        Statement.STATUS: lambda: {"attempt": world.fresh.id},
        Statement.UPSERT: lambda: {
            "attempt_question_id": first,
            "response": "c",
            "answered": True,
            "seq": 4,
            "saved_at": AT,
            "points": 0.0,
        },
        Statement.SUBMIT_STATE: lambda: world.mine(world.answered),
        Statement.LOCK_PAPERS: lambda: {
            "papers": [world.ready.id, world.answered.id, world.fresh.id]
        },
        Statement.SCORING_ROWS: lambda: {"papers": [world.answered.id, world.fresh.id]},
        Statement.CLOSE: lambda: closing,
        Statement.SCORE_ITEMS: lambda: {"attempt": world.answered.id},
        Statement.RESULT: lambda: world.mine(world.answered),
        Statement.CLOSE_AUDITED: lambda: (
            closing
            | pending_fields(
                "attempt.submit",
                actor=candidate,
                object_type="Attempt",
                object_id=world.answered.id,
                after={"by_server": False, "score": 1.0, "final_score": 1.0},
            )
        ),
    }
    assert cases.keys() == set(Statement)  # a new statement needs its case here
    return cases[statement]()


def _exact(value: Any) -> Any:
    """``value`` for a comparison that tells apart what ``==`` does not: an enum member
    and its string (a StrEnum equals its value), datetimes of one instant in two zones."""
    if isinstance(value, dt.datetime):
        return ("datetime", value.isoformat(), repr(value.tzinfo))
    if isinstance(value, enum.Enum):
        return (type(value).__name__, value.value)
    if isinstance(value, tuple):
        return (type(value).__name__, *map(_exact, value))
    if isinstance(value, list):
        return ["list", *map(_exact, value)]
    if isinstance(value, dict):
        return ["dict", *sorted((repr(key), _exact(item)) for key, item in value.items())]
    return (type(value).__name__, value)


def _through_sqlalchemy(statement: Statement, parameters: dict[str, Any]) -> Any:
    dialect = db.session.get_bind().dialect.name
    return statement.adapt(db.session.execute(statement.build(dialect), parameters).all())


def _through_the_fast_path(statement: Statement, parameters: dict[str, Any]) -> Any:
    with run_statements() as run:
        return run(statement, parameters)


def _written() -> Any:
    """What the writes change: the papers, the answers, the pending audit entries (without
    the ids a sequence gives, which a rolled-back savepoint does not take back)."""
    attempts = db.session.execute(sa.select(Attempt.__table__).order_by(Attempt.id)).all()
    answers = db.session.execute(
        sa.select(Answer.__table__).order_by(Answer.attempt_question_id)
    ).all()
    items = db.session.execute(
        sa.select(AttemptQuestion.id, AttemptQuestion.awarded_points).order_by(AttemptQuestion.id)
    ).all()
    pending = db.session.execute(
        sa.select(PendingAuditEntry.__table__).order_by(PendingAuditEntry.id)
    ).all()
    without_id = [{k: v for k, v in row._mapping.items() if k != "id"} for row in answers]
    return _exact(
        (
            [dict(row._mapping) for row in attempts],
            without_id,
            [{k: v for k, v in row._mapping.items() if k != "id"} for row in pending],
            [tuple(row) for row in items],
        )
    )


def _both_ways(statement: Statement, parameters: dict[str, Any]) -> tuple[Any, Any]:
    """The statement's adapted result through the fast path and through SQLAlchemy, on the
    same data: a write runs in a savepoint rolled back after it, and what it wrote is
    compared too."""
    if not statement.writes:
        return _through_the_fast_path(statement, parameters), _through_sqlalchemy(
            statement, parameters
        )
    results = []
    before = _written()
    for run in (_through_the_fast_path, _through_sqlalchemy):
        savepoint = db.session.begin_nested()
        result = run(statement, parameters)
        after = _written()
        savepoint.rollback()
        assert after != before, statement  # the case does write something
        results.append((result, after))
    return results[0], results[1]


def _orm_paper(attempt: Attempt) -> PaperRow:
    db.session.refresh(attempt)
    return PaperRow(
        attempt.status,
        attempt.time_percent,
        attempt.extra_minutes,
        attempt.session.starts_at,
        attempt.test.duration_minutes,
    )


def test_every_statement_gives_the_same_values_both_ways(world):
    dialect = db.session.get_bind().dialect.name
    covered = set()
    for statement in Statement:
        if dialect not in statement.dialects:
            continue  # PostgreSQL's own SQL: compared when the suite runs there
        fast, orm = _both_ways(statement, _parameters(world, statement))
        assert fast not in (None, 0, {}), statement  # each case finds rows
        assert _exact(fast) == _exact(orm), statement
        covered.add(statement)
    postgresql_only = {
        Statement.START_AUDITED,
        Statement.SAVE_BATCH,
        Statement.SAVE_CHECKED,
        Statement.CLOSE_AUDITED,
    }
    sqlite_only = {Statement.PENDING_ENTRY}
    assert {s for s in Statement if s.dialects == {"postgresql"}} == postgresql_only
    assert {s for s in Statement if s.dialects == {"sqlite"}} == sqlite_only
    if dialect == "postgresql":
        assert covered == set(Statement) - sqlite_only
    else:
        assert covered == set(Statement) - postgresql_only


def test_the_adapted_rows_hold_the_orms_values(world):
    """Adapted, the paper's columns are the ORM's values (the enum member, UTC), and the
    questions and answers are the ORM's, whichever way the statement ran."""
    first, second, third = world.items(world.answered)
    for run in (_through_the_fast_path, _through_sqlalchemy):
        state = run(Statement.STATE, world.mine(world.fresh))
        assert _exact(state) == _exact(_orm_paper(world.fresh))
        assert state.deadline_at == world.fresh.deadline_at
        start = run(Statement.START_STATE, world.mine(world.ready) | {"since": START})
        assert _exact(start.paper) == _exact(_orm_paper(world.ready))
        assert (start.code, start.wrong_codes) == (world.ready.session.code, 1)
        opened = run(Statement.OPEN_PAPER, world.mine(world.fresh))
        assert _exact(opened.paper) == _exact(_orm_paper(world.fresh))
        poll = run(Statement.POLL, world.mine(world.answered))
        assert _exact(poll.paper) == _exact(_orm_paper(world.answered))
        assert _exact(poll.last_seen_at) == _exact(world.answered.last_seen_at)
        assert poll.answers == {first.id: 3, second.id: 5}
        found = run(
            Statement.STATE_AND_ITEMS,
            world.mine(world.answered) | {"items": [first.id, third.id, world.stranger_item]},
        )
        assert found.token_secret == world.answered.token_secret
        assert found.items == {
            item.id: (item.version.type, item.version.data) for item in (first, third)
        }
        assert run(Statement.STATUS, {"attempt": world.fresh.id}) is AttemptStatus.IN_PROGRESS
        submitting = run(Statement.SUBMIT_STATE, world.mine(world.answered))
        assert _exact(submitting.paper) == _exact(_orm_paper(world.answered))
        assert submitting.email == world.answered.application.candidate.email
        locked = {"papers": [world.ready.id, world.answered.id, world.fresh.id]}
        assert run(Statement.LOCK_PAPERS, locked) == sorted([world.answered.id, world.fresh.id])
        scoring = run(Statement.SCORING_ROWS, {"papers": [world.answered.id]})
        paper = scoring[world.answered.id]
        assert _exact(paper.paper) == _exact(_orm_paper(world.answered))
        assert paper.penalty is world.answered.penalty
        assert [
            (i.item, i.points, i.voided, i.awarded_points, i.type, i.answered, i.stored_points)
            for i in paper.items
        ] == [
            (
                item.id,
                item.points,
                item.voided,
                item.awarded_points,
                item.version.type,
                item.answer.answered if item.answer else None,
                item.answer.points if item.answer else None,
            )
            for item in (first, second, third)
        ]
        assert paper_scores_from_stored(paper) == paper_scores(world.answered)
        result = run(Statement.RESULT, world.mine(world.answered))
        assert result.status is world.answered.status
        assert result.max_score == world.answered.max_score
        test = world.answered.test
        shows_the_paper = test.review_option != ReviewOption.SCORE_ONLY
        assert result.review_opens_at == (review_opens_at(test) if shows_the_paper else None)
        test.review_option = ReviewOption.OWN_ANSWERS  # the review's time is read only then
        db.session.flush()
        result = run(Statement.RESULT, world.mine(world.answered))
        assert result.review_opens_at == review_opens_at(test)
        assert result.review_opens_at is not None
        test.review_option = ReviewOption.SCORE_ONLY
        db.session.flush()
        assert result.pass_mark == world.answered.test.round.test_pass_mark


def test_a_paper_not_the_candidates_gives_no_row_both_ways(world):
    theirs = world.mine(world.fresh) | {"attempt": world.answered.id}
    for statement in (Statement.STATE, Statement.OPEN_PAPER, Statement.POLL):
        assert _through_the_fast_path(statement, theirs) is None
        assert _through_sqlalchemy(statement, theirs) is None


def test_a_second_write_in_one_autocommit_call_is_refused_before_it_runs(world):
    with driver_cursor() as cursor:
        run = StatementRunner(cursor, db.session.get_bind().dialect.name, autocommit=True)
        _second_write_refused(run, world)


def _second_write_refused(run: StatementRunner, world: World) -> None:
    assert run(Statement.START, {"attempt": world.ready.id, "at": AT}) == 1
    assert run(Statement.STATUS, {"attempt": world.ready.id}) is AttemptStatus.IN_PROGRESS
    with pytest.raises(SecondWriteRefused, match="START after START"):
        run(Statement.START, {"attempt": world.spare.id, "at": AT})
    assert run(Statement.STATUS, {"attempt": world.spare.id}) is AttemptStatus.READY


def test_in_a_transaction_several_writes_are_one_transaction(world):
    """SQLite's save writes one upsert per answer, in the transaction that holds the lock."""
    first, second, _third = world.items(world.answered)
    with run_statements() as run:
        assert not run.autocommit  # the test's session is in its transaction
        for item, seq in ((first, 7), (second, 8)):
            kept = run(
                Statement.UPSERT,
                {
                    "attempt_question_id": item.id,
                    "response": "c",
                    "answered": True,
                    "seq": seq,
                    "saved_at": AT,
                    "points": 0.0,
                },
            )
            assert kept == seq


def test_outside_a_transaction_postgresql_runs_in_autocommit_and_refuses_a_second_write(app):
    """As in production: the session bound to the engine, outside any transaction. On
    PostgreSQL the statements then run on the driver in autocommit, one write per call.
    (SQLite's autocommit, in a read request, and its write requests' own transaction are
    tested on a file of their own in tests/core/test_driver.py; the suite's in-memory
    SQLite has one connection, already in the test's transaction.)"""
    if db.engine.dialect.name != "postgresql":
        with run_statements() as run:
            assert not run.autocommit
        return
    test_session = db.session
    db.session = sa.orm.scoped_session(sa.orm.sessionmaker(bind=db.engine))
    try:
        with run_statements() as run:
            assert run.autocommit
            assert run(Statement.START, {"attempt": 0, "at": AT}) == 0  # no such paper
            with pytest.raises(SecondWriteRefused):
                run(Statement.START, {"attempt": 0, "at": AT})
    finally:
        db.session.remove()
        db.session = test_session


def test_every_statement_is_built_for_each_of_its_databases():
    for statement in Statement:
        for dialect in statement.dialects:
            assert statement.build(dialect) is statement.build(dialect)  # built once
    assert {s for s in Statement if s.writes} == {
        Statement.START,
        Statement.START_AUDITED,
        Statement.PENDING_ENTRY,
        Statement.SAVE_BATCH,
        Statement.SAVE_CHECKED,
        Statement.UPSERT,
        Statement.CLOSE,
        Statement.SCORE_ITEMS,
        Statement.CLOSE_AUDITED,
    }
