"""The driver path of the hot statements (exam/core/driver.py)."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from exam.core.driver import (
    _IDLE,
    _autocommit_connections,
    compile_for_driver,
    driver_cursor,
    execute,
    list_size,
)
from exam.extensions import db

_things = sa.table("things", sa.column("id"), sa.column("kind"), sa.column("data", sa.JSON))


class _Cursor:
    """Records what would be sent to the database."""

    def execute(self, sql, values):
        self.sql, self.values = sql, values
        return self

    def fetchall(self):
        return [(1,)]


def test_list_sizes_are_powers_of_two_so_that_few_variants_are_compiled():
    assert [list_size(n) for n in (1, 2, 3, 4, 5, 8, 9, 60)] == [1, 2, 4, 4, 8, 8, 16, 64]


def test_a_list_parameter_is_written_out_and_padded_with_its_last_value():
    statement = sa.select(_things.c.id).where(
        _things.c.id.in_(sa.bindparam("items", expanding=True)),
        _things.c.kind == "essay",
        _things.c.id != sa.bindparam("other"),
    )
    compiled = compile_for_driver(statement, postgresql.psycopg.dialect(), {"items": 4})
    assert "IN (%(items_1)s, %(items_2)s, %(items_3)s, %(items_4)s)" in compiled.sql
    cursor = _Cursor()
    rows = execute(cursor, compiled, {"items": [5, 7], "other": 9})
    assert rows == [(1,)]
    assert rows[0].id == 1  # named by the statement's columns
    assert {k: v for k, v in cursor.values.items() if k.startswith("items")} == {
        "items_1": 5,
        "items_2": 7,
        "items_3": 7,
        "items_4": 7,
    }
    assert cursor.values["other"] == 9
    assert "essay" in cursor.values.values()  # the literal compiled into the statement


def test_json_parameters_are_sent_as_json():
    from psycopg.types.json import Json

    statement = sa.insert(_things).values(id=sa.bindparam("id"), data=sa.bindparam("data"))
    compiled = compile_for_driver(statement, postgresql.psycopg.dialect())
    cursor = _Cursor()
    execute(cursor, compiled, {"id": 1, "data": {"a": [1, 2]}})
    assert isinstance(cursor.values["data"], Json)
    assert cursor.values["data"].obj == {"a": [1, 2]}
    assert cursor.values["id"] == 1


@contextlib.contextmanager
def _session_on_the_engine() -> Iterator[None]:
    """The session as in production: bound to the engine, outside any transaction."""
    test_session = db.session
    db.session = sa.orm.scoped_session(sa.orm.sessionmaker(bind=db.engine))
    try:
        yield
    finally:
        db.session.remove()
        db.session = test_session


def test_outside_a_transaction_a_read_runs_in_autocommit_on_a_kept_connection(app):
    """PostgreSQL: a connection the process keeps in autocommit, with its cursor, taken
    again by the next call; the pool's own connections stay in transactions."""
    with _session_on_the_engine():
        with driver_cursor() as cursor:
            connection = cursor.connection
            if db.engine.dialect.name != "postgresql":  # SQLite: the sqlite_app tests below
                assert cursor.execute("SELECT 1").fetchone() == (1,)
                return
            assert connection.autocommit
            cursor.execute("SELECT 1 AS one")
            assert cursor.fetchone() == (1,)
        with driver_cursor() as again:
            assert again is cursor  # kept, not made again
            again.execute("SELECT 2 AS two")
            assert again.fetchone() == (2,)
        pooled = db.engine.raw_connection()
        try:
            assert pooled.driver_connection is not connection
            assert not pooled.driver_connection.autocommit
        finally:
            pooled.close()


def _sqlite_reads_on_its_own_rules() -> bool:
    """On SQLite no connection is kept (its own rules: the sqlite_app tests below); the
    driver's cursor still reads."""
    if db.engine.dialect.name == "postgresql":
        return False
    with driver_cursor() as cursor:
        assert cursor.execute("SELECT 1").fetchone() == (1,)
    return True


def test_a_kept_connection_that_broke_is_closed_and_the_next_call_connects_again(app):
    if _sqlite_reads_on_its_own_rules():
        return
    with _session_on_the_engine():
        with driver_cursor() as cursor:
            broken = cursor.connection
        with db.engine.connect() as other:  # as a database restart does to it
            other.exec_driver_sql(f"SELECT pg_terminate_backend({broken.info.backend_pid})")
        with pytest.raises(psycopg.OperationalError), driver_cursor() as cursor:
            cursor.execute("SELECT 1")  # the first call after the restart fails
        assert broken.closed  # and the connection is not kept
        with driver_cursor() as cursor:
            assert cursor.connection is not broken
            cursor.execute("SELECT 3 AS three")
            assert cursor.fetchone() == (3,)


def test_a_connection_left_inside_a_transaction_is_not_kept(app):
    if _sqlite_reads_on_its_own_rules():
        return
    with _session_on_the_engine():
        with driver_cursor() as cursor:
            left = cursor.connection
            cursor.execute("BEGIN")  # a caller that broke the rule
        assert left.closed
        with driver_cursor() as cursor:
            assert cursor.connection is not left


def test_a_kept_connection_older_than_pool_recycle_is_replaced(app, monkeypatch):
    if _sqlite_reads_on_its_own_rules():
        return
    kept = _autocommit_connections(db.engine)
    with _session_on_the_engine():
        with driver_cursor() as cursor:
            old = cursor.connection
        monkeypatch.setattr(kept, "recycle", 0)  # every connection is too old now
        with driver_cursor() as cursor:
            assert cursor.connection is not old
            cursor.execute("SELECT 1 AS one")
            assert cursor.fetchone() == (1,)
        assert old.closed


def test_with_pre_ping_a_kept_connection_that_died_is_replaced_before_use(app, monkeypatch):
    if _sqlite_reads_on_its_own_rules():
        return
    kept = _autocommit_connections(db.engine)
    monkeypatch.setattr(kept, "pre_ping", True)  # DATABASE_PRE_PING=1
    with _session_on_the_engine():
        with driver_cursor() as cursor:
            dead = cursor.connection
        with db.engine.connect() as other:
            other.exec_driver_sql(f"SELECT pg_terminate_backend({dead.info.backend_pid})")
        with driver_cursor() as cursor:  # no failure: the ping found it dead first
            cursor.execute("SELECT 2 AS two")
            assert cursor.fetchone() == (2,)
            assert cursor.connection is not dead


def test_the_kept_connections_do_not_keep_their_engine_alive(app):
    """The store is the engine's (a test's app, a process serving several databases): once
    the engine is gone, so is the store."""
    import gc
    import weakref

    engine = sa.create_engine(db.engine.url)
    _autocommit_connections(engine)
    gone = weakref.ref(engine)
    del engine
    gc.collect()
    assert gone() is None


def _in_a_child(work: Callable[[], object]) -> object:
    """``work()`` run in a forked child process (as a gunicorn worker is forked); what it
    returned, through a pipe. The child leaves with ``os._exit``: none of the parent's
    clean-up runs there."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_end)
        try:
            answer = ("returned", work())
        except BaseException as error:  # reported to the parent, which fails the test
            answer = ("raised", repr(error))
        os.write(write_end, json.dumps(answer).encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        kind, value = json.loads(pipe.read())
    os.waitpid(pid, 0)
    assert kind == "returned", value
    return value


def test_a_forked_process_starts_without_its_parents_connections(app):
    """A gunicorn worker is forked from its master: the connections the parent kept are not
    the child's. The child finds none kept, and one the parent held across the fork, given
    back in the child, is neither kept nor closed (closing it would end the parent's
    session on the socket they share)."""
    if _sqlite_reads_on_its_own_rules():
        return
    with _session_on_the_engine():
        with driver_cursor() as cursor:
            parents = cursor.connection  # now kept, idle
        store = _autocommit_connections(db.engine)
        held = store.take()  # taken again: held across the fork

        def in_the_child() -> dict[str, object]:
            kept_at_fork = len(store.idle)
            store.give_back(held)
            return {
                "kept at the fork": kept_at_fork,
                "kept after giving back the parent's": len(store.idle),
                "the parent's closed": held.connection.closed,
            }

        assert _in_a_child(in_the_child) == {
            "kept at the fork": 0,
            "kept after giving back the parent's": 0,
            "the parent's closed": False,
        }
        assert held.connection is parents
        assert held.cursor.execute("SELECT 1").fetchone() == (1,)  # still the parent's
        store.give_back(held)
        with driver_cursor() as cursor:
            assert cursor.connection is parents  # kept again, and taken again
        store.take().connection.close()  # out of the store first: the next test connects anew


def test_the_idle_status_read_from_libpq_is_psycopgs():
    assert _IDLE == psycopg.pq.TransactionStatus.IDLE


def test_inside_a_transaction_the_driver_uses_the_sessions_connection(app):
    db.session.execute(sa.text("SELECT 1"))  # the test's session is in its transaction
    with driver_cursor() as cursor:
        session_connection = db.session.connection().connection.driver_connection
        assert cursor.connection is session_connection
        if db.engine.dialect.name == "postgresql":
            assert not cursor.connection.autocommit
        else:
            assert cursor.connection.in_transaction


@pytest.fixture
def sqlite_app(tmp_path):
    """An app on a SQLite file of its own, its session bound to the engine as in production
    (the suite's session holds a transaction that the driver would join)."""
    from exam import create_app
    from tests.helpers import config_for_tests

    app = create_app(config_for_tests(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'd.db'}"))
    with app.app_context(), _session_on_the_engine():
        with db.engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE things (id INTEGER PRIMARY KEY, kind TEXT)")
        yield app
        db.engine.dispose()


def _kinds() -> list[str]:
    """What another process would read: only what is committed (sqlite3 on the file itself;
    through the engine, inside a write request, it would wait for the writers' turn)."""
    import sqlite3

    connection = sqlite3.connect(db.engine.url.database)
    try:
        return [kind for (kind,) in connection.execute("SELECT kind FROM things")]
    finally:
        connection.close()


def test_sqlite_a_write_request_runs_in_one_transaction_committed_at_the_end(sqlite_app):
    with sqlite_app.test_request_context(method="POST"), driver_cursor() as cursor:
        assert cursor.connection.in_transaction  # BEGIN IMMEDIATE: the write lock held
        cursor.execute("INSERT INTO things (kind) VALUES ('essay')")
        cursor.execute("INSERT INTO things (kind) VALUES ('choice')")
        assert _kinds() == []  # not yet committed
    assert sorted(_kinds()) == ["choice", "essay"]


def _write_then_fail() -> None:
    with driver_cursor() as cursor:
        cursor.execute("INSERT INTO things (kind) VALUES ('essay')")
        raise RuntimeError("refused after the first write")


def test_sqlite_a_failed_write_request_leaves_nothing(sqlite_app):
    with sqlite_app.test_request_context(method="POST"):
        with pytest.raises(RuntimeError, match="refused"):
            _write_then_fail()
        with driver_cursor() as cursor:  # the connection went back clean, the turn released
            cursor.execute("INSERT INTO things (kind) VALUES ('choice')")
    assert _kinds() == ["choice"]


def test_sqlite_a_read_request_begins_no_transaction(sqlite_app):
    with sqlite_app.test_request_context(method="GET"), driver_cursor() as cursor:
        assert not cursor.connection.in_transaction
        assert cursor.execute("SELECT count(*) FROM things").fetchone() == (0,)


def test_sqlite_rows_come_back_with_sqlalchemys_values(sqlite_app):
    """Datetimes stored as text come back as UTC datetimes, JSON as its value, the literal
    compiled into the statement is sent as SQLAlchemy sends it."""
    import datetime as dt

    from sqlalchemy.dialects import sqlite

    from exam.core.db import UTCDateTime
    from exam.core.driver import compile_for_sqlite, execute_sqlite

    table = sa.table("t", sa.column("id"), sa.column("at", UTCDateTime), sa.column("data", sa.JSON))
    at = dt.datetime(2026, 4, 1, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    statement = sa.select(
        sa.bindparam("at", type_=UTCDateTime).label("at"),
        sa.bindparam("data", type_=sa.JSON).label("data"),
        sa.literal("essay").label("kind"),
    )
    compiled = compile_for_sqlite(statement, sqlite.dialect())
    with driver_cursor() as cursor:
        (row,) = execute_sqlite(cursor, compiled, {"at": at, "data": {"a": [1, 2]}})
    assert row.at == at
    assert row.at.tzinfo == dt.UTC
    assert row.data == {"a": [1, 2]}
    assert row.kind == "essay"
    del table


def test_sqlite_a_list_parameter_is_written_out_and_padded(app):
    from sqlalchemy.dialects import sqlite

    from exam.core.driver import compile_for_sqlite

    statement = sa.select(_things.c.id).where(
        _things.c.id.in_(sa.bindparam("items", expanding=True)), _things.c.kind == "essay"
    )
    compiled = compile_for_sqlite(statement, sqlite.dialect(), {"items": 4})
    assert "IN (?, ?, ?, ?)" in compiled.sql
    sent = []

    class _Recorder:
        def execute(self, sql, values):
            sent.extend(values)
            return self

        def fetchall(self):
            return []

    from exam.core.driver import execute_sqlite

    execute_sqlite(_Recorder(), compiled, {"items": [5, 7]})
    assert sent == [5, 7, 7, 7, "essay"]
