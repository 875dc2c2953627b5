"""The hot paths of exam day (opening a paper, saving an answer, Start) run their statements
on the database's driver directly: psycopg on PostgreSQL, sqlite3 on SQLite.

Each statement is still built with SQLAlchemy Core, and compiled once to the driver's SQL;
only the execution skips SQLAlchemy's engine and session layers, which cost about 100 µs of
CPU per statement here against 35 µs for psycopg alone (bench/autosave.py, on 2 cores where the
app, the database and the load share the CPU), and on SQLite about a third of a save's CPU
(the session's BEGIN and COMMIT included). On PostgreSQL, outside a transaction, a
connection kept by the process in autocommit mode is used (taken from the pool once,
``_AutocommitConnections``): each statement is its own transaction, without BEGIN and COMMIT
round trips, so such a path must be a lone read, or reads then one statement that checks
again what it changes (the fast path's runner refuses a second write:
exam/exams/hotpath/runner.py, ``SecondWriteRefused``). On SQLite, outside a transaction, a
write request's statements run in one transaction of their own on a pooled connection (BEGIN
IMMEDIATE after the writers' queue, as the session's writes do, committed at the end of the
block); a read request's run in autocommit. Inside a transaction the session was given (as the
tests' is), the session's own connection is used, and so its transaction.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import weakref
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import sqlalchemy as sa

from exam.core.db import (
    begin_sqlite_write,
    in_session_transaction,
    is_write_request,
    session_bind,
)
from exam.extensions import db


class DriverStatement(NamedTuple):
    sql: str
    defaults: dict[str, Any]  # values of the literal parameters compiled into the statement
    lists: dict[str, list[str]]  # an expanding parameter ("IN"), and the names it became
    json: frozenset[str]  # the parameters of a JSON type, passed as JSON
    row: type  # a named tuple of the result's columns (the cursor's rows are plain tuples)


def compile_for_driver(
    statement: sa.Executable, dialect: sa.Dialect, lists: Mapping[str, int] | None = None
) -> DriverStatement:
    """The statement's SQL and fixed parameters, for ``cursor.execute(sql, parameters)``.
    An expanding parameter (``IN``) is written out for the number of values given in
    ``lists``: ``IN ($1)`` compiles to the same cached plan as ``= $1``, where the
    planner's generic plan for ``= ANY($1)`` is costed for ten values and re-planned at
    every execution. Parameters are passed as the driver adapts them (no SQLAlchemy type
    processing): give timezone-aware datetimes; JSON parameters are wrapped by ``execute``."""
    compiled = statement.compile(dialect=dialect)
    json = frozenset(
        name for bind, name in compiled.bind_names.items() if isinstance(bind.type, sa.JSON)
    )
    row = _row_type(compiled)
    if not lists:
        defaults = {name: value for name, value in compiled.params.items() if value is not None}
        return DriverStatement(str(compiled), defaults, {}, json, row)
    placeholders = dict(compiled.params) | {name: [None] * count for name, count in lists.items()}
    expanded = compiled.construct_expanded_state(placeholders)
    defaults = {name: value for name, value in expanded.parameters.items() if value is not None}
    return DriverStatement(
        expanded.statement, defaults, dict(expanded.parameter_expansion), json, row
    )


def _row_type(compiled: sa.engine.Compiled) -> type:
    """A named tuple of the compiled statement's result columns, made once: psycopg's own
    named-tuple rows look the columns up at every call (about a sixth of a call's CPU)."""
    return namedtuple("Row", [column.keyname for column in compiled._result_columns], rename=True)


def list_size(count: int) -> int:
    """The size an expanding parameter of ``count`` values is compiled for: the next power
    of two, so that a process holds a few compiled variants, not one per count."""
    return 1 << max(0, count - 1).bit_length()


class SqliteStatement(NamedTuple):
    sql: str
    names: tuple[str, ...]  # the parameters in the order of the SQL's "?"
    defaults: dict[str, Any]  # the literal parameters compiled into the statement, as sent
    bind: dict[str, Callable[[Any], Any]]  # SQLAlchemy's bind processors, by parameter
    lists: dict[str, list[str]]  # an expanding parameter ("IN"), and the names it became
    row: type  # a named tuple of the result's columns
    results: tuple[Callable[[Any], Any] | None, ...]  # SQLAlchemy's result processors


def compile_for_sqlite(
    statement: sa.Executable, dialect: sa.Dialect, lists: Mapping[str, int] | None = None
) -> SqliteStatement:
    """The statement's SQL for sqlite3, with the column types' own conversions (SQLAlchemy's
    bind and result processors: UTC datetimes stored as text, JSON), so that its rows are
    the values SQLAlchemy would give. An expanding parameter is written out for the number
    of values given in ``lists``, padded as on PostgreSQL."""
    compiled = statement.compile(dialect=dialect)
    processors = dict(compiled._bind_processors)
    placeholders = dict(compiled.params) | {
        name: [None] * count for name, count in (lists or {}).items()
    }
    expanded = compiled.construct_expanded_state(placeholders)
    expansion = dict(expanded.parameter_expansion)
    for name, names in expansion.items():
        if name in processors:
            processors.update(dict.fromkeys(names, processors[name]))
    defaults = {
        name: processors[name](value) if name in processors else value
        for name, value in expanded.parameters.items()
        if value is not None
    }
    columns = compiled._result_columns
    row = _row_type(compiled)
    results = tuple(column.type._cached_result_processor(dialect, None) for column in columns)
    return SqliteStatement(
        expanded.statement,
        tuple(expanded.positiontup or ()),
        defaults,
        processors,
        expansion,
        row,
        results,
    )


def execute_sqlite(cursor: Any, statement: SqliteStatement, parameters: Mapping[str, Any]) -> list:
    """Run ``statement`` on a sqlite3 cursor; its rows as named tuples of SQLAlchemy's values."""
    values = dict(parameters)
    for name, names in statement.lists.items():
        given = list(values.pop(name))
        padding = given[-1:] * (len(names) - len(given))  # IN (a, b, b, b) is IN (a, b)
        values.update(zip(names, given + padding, strict=True))
    bind = statement.bind
    for name in bind.keys() & values.keys():
        values[name] = bind[name](values[name])
    defaults = statement.defaults
    sent = [values[name] if name in values else defaults.get(name) for name in statement.names]
    rows = cursor.execute(statement.sql, sent).fetchall()
    if not statement.row._fields:
        return rows
    results, make = statement.results, statement.row._make
    return [
        make(
            [
                value if convert is None else convert(value)
                for convert, value in zip(results, row, strict=True)
            ]
        )
        for row in rows
    ]


@contextlib.contextmanager
def driver_cursor() -> Iterator[Any | None]:
    """On PostgreSQL a psycopg cursor whose rows are tuples, on SQLite a sqlite3 cursor
    (see the module's docstring); elsewhere None: the caller takes SQLAlchemy's path."""
    bind = session_bind()
    if bind.dialect.name == "sqlite":
        with _sqlite_cursor(bind) as cursor:
            yield cursor
        return
    if bind.dialect.name != "postgresql":
        yield None
        return
    if not isinstance(bind, sa.Engine) or in_session_transaction():
        from psycopg.rows import tuple_row

        connection = db.session.connection().connection.driver_connection
        with connection.cursor(row_factory=tuple_row) as cursor:
            yield cursor
        return
    kept = _autocommit_connections(bind)
    connection = kept.take()
    try:
        yield connection.cursor
    finally:
        kept.give_back(connection)


class _KeptConnection(NamedTuple):
    connection: Any  # psycopg's, detached from the pool
    cursor: Any  # reused by every call: a new cursor costs its type set-up each time
    since: float  # when it connected (time.monotonic())
    pid: int  # the process that connected it

    @property
    def reusable(self) -> bool:
        """Neither broken nor closed, and outside any transaction (read from libpq's
        connection: ``connection.info`` makes an object and an enum at every call)."""
        connection = self.connection
        return (
            not (connection.broken or connection.closed)
            and connection.pgconn.transaction_status == _IDLE
        )

    def answers(self) -> bool:
        """A ping, as the pool's pre-ping (``DATABASE_PRE_PING``) makes one."""
        try:
            self.cursor.execute("SELECT 1")
        except Exception:
            return False
        return True


_IDLE = 0  # libpq's PQTRANS_IDLE (psycopg.pq.TransactionStatus.IDLE)


class _AutocommitConnections:
    """PostgreSQL connections the process keeps in autocommit for the fast path, each with
    its cursor: taken from the engine's pool once and detached from it, so that no call
    switches a pooled connection to autocommit and back, and the pool's sessions never get
    one in autocommit. One is in use per thread at a time (a sync worker: one in all); a
    broken one, or one left inside a statement, is closed rather than kept (after a database
    restart, the first call fails and the next one connects again, as with the pool). The
    pool's own settings hold for them too: one older than ``pool_recycle`` is replaced, and
    with ``pool_pre_ping`` each is pinged before it is used.

    A forked process (a gunicorn worker) starts with none: the parent's are not its own, and
    ``forget`` drops them at the fork (``os.register_at_fork``) instead of every call asking
    the kernel for the process id. One the parent held across the fork is dropped when given
    back, not closed: closing it would end the parent's session on the shared socket."""

    IDLE_KEPT = 4

    def __init__(self, engine: sa.Engine):
        self.engine = weakref.ref(engine)  # the store is the engine's, and must not keep it
        self.recycle = engine.pool._recycle  # -1: never
        self.pre_ping = engine.pool._pre_ping
        self.idle: list[_KeptConnection] = []
        self.lock = threading.Lock()
        self.pid = os.getpid()

    def forget(self) -> None:
        """In a new child process: none of the parent's connections, and a lock no thread
        of the parent can have left taken."""
        self.idle, self.lock, self.pid = [], threading.Lock(), os.getpid()

    def take(self) -> _KeptConnection:
        with self.lock:
            kept = self.idle.pop() if self.idle else None
        if kept is not None and self._fresh(kept):
            return kept
        if kept is not None:
            self._close(kept)
        from psycopg.rows import tuple_row

        pooled = self.engine().raw_connection()
        connection = pooled.driver_connection
        pooled.detach()  # the pool forgets it: closing it is ours
        connection.autocommit = True
        cursor = connection.cursor(row_factory=tuple_row)
        return _KeptConnection(connection, cursor, time.monotonic(), self.pid)

    def _fresh(self, kept: _KeptConnection) -> bool:
        if 0 <= self.recycle < time.monotonic() - kept.since:
            return False
        return not self.pre_ping or kept.answers()

    def give_back(self, kept: _KeptConnection) -> None:
        if kept.pid != self.pid:  # the parent's, taken before the fork
            return
        if kept.reusable:
            with self.lock:
                if len(self.idle) < self.IDLE_KEPT:
                    self.idle.append(kept)
                    return
        self._close(kept)

    @staticmethod
    def _close(kept: _KeptConnection) -> None:
        with contextlib.suppress(Exception):
            kept.connection.close()


_KEPT: weakref.WeakKeyDictionary[sa.Engine, _AutocommitConnections] = weakref.WeakKeyDictionary()
_KEPT_LOCK = threading.Lock()


def _forget_kept_connections() -> None:
    global _KEPT_LOCK
    _KEPT_LOCK = threading.Lock()
    for kept in list(_KEPT.values()):
        kept.forget()


os.register_at_fork(after_in_child=_forget_kept_connections)


def _autocommit_connections(engine: sa.Engine) -> _AutocommitConnections:
    kept = _KEPT.get(engine)
    if kept is None:
        with _KEPT_LOCK:
            kept = _KEPT.setdefault(engine, _AutocommitConnections(engine))
    return kept


@contextlib.contextmanager
def _sqlite_cursor(bind: Any) -> Iterator[Any]:
    if not isinstance(bind, sa.Engine) or in_session_transaction():
        cursor = db.session.connection().connection.driver_connection.cursor()
        try:
            yield cursor
        finally:
            cursor.close()
        return
    pooled = bind.raw_connection()
    connection = pooled.driver_connection
    try:
        writes = is_write_request()
        if writes:
            begin_sqlite_write(bind, pooled)
        cursor = connection.cursor()
        try:
            yield cursor
        finally:
            cursor.close()
        if writes:
            connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    finally:
        pooled.close()  # back to the pool, and the writers' turn with it


def execute(cursor: Any, statement: DriverStatement, parameters: Mapping[str, Any]) -> list:
    """Run ``statement`` on a psycopg cursor; its rows as named tuples (``statement.row``)."""
    from psycopg.types.json import Json

    values = statement.defaults | dict(parameters)
    for name in statement.json & values.keys():
        values[name] = Json(values[name])  # None too: JSON's null, as SQLAlchemy writes it
    for name, names in statement.lists.items():
        given = list(values.pop(name))
        padding = given[-1:] * (len(names) - len(given))  # IN (a, b, b, b) is IN (a, b)
        values.update(zip(names, given + padding, strict=True))
    cursor.execute(statement.sql, values)
    rows = cursor.fetchall()
    return list(map(statement.row._make, rows)) if statement.row._fields else rows
