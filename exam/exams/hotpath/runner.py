"""Running the fast path's statements (``StatementRunner``, ``run_statements``) on the
driver, exam/core/driver.py (this is the only module of exam/ that uses it): on PostgreSQL in
autocommit outside a transaction, where a second write is refused; on SQLite, outside a
transaction, a write request's statements in one transaction of their own, committed when the
block ends."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from exam.core.driver import (
    DriverStatement,
    SqliteStatement,
    compile_for_driver,
    compile_for_sqlite,
    driver_cursor,
    execute_sqlite,
    list_size,
    session_bind,
)
from exam.core.driver import execute as driver_execute
from exam.exams.hotpath.statements import _SPECS, Statement


class SecondWriteRefused(RuntimeError):
    """A second write statement in one autocommit call of ``run_statements``. There each
    statement is its own transaction: had the second failed, the first would stay written.
    A fast-path function is a lone read, or reads and then one write that checks again what
    it changes (reads after it only report); more writes belong in a transaction."""


class StatementRunner:
    """Runs the fast path's statements on the driver (``exam.core.driver``) and adapts their
    rows (``Statement.adapt``). In ``autocommit`` (PostgreSQL's pooled connection outside any
    transaction, or SQLite's in a read request) a second write is refused."""

    def __init__(self, cursor: Any, dialect: str, *, autocommit: bool):
        self.cursor = cursor
        self.dialect = dialect
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
        if self.dialect == "sqlite":
            rows = execute_sqlite(self.cursor, _sqlite_statement(statement, parameters), parameters)
        else:
            driver_statement = _driver_statement(statement, parameters)
            rows = driver_execute(self.cursor, driver_statement, parameters)
        return spec.from_rows(rows)


@contextlib.contextmanager
def run_statements() -> Iterator[StatementRunner]:
    dialect = session_bind().dialect.name
    with driver_cursor() as cursor:
        if dialect == "sqlite":  # autocommit: outside a transaction, sqlite3 begins none
            autocommit = not cursor.connection.in_transaction
        else:
            autocommit = cursor.connection.autocommit
        yield StatementRunner(cursor, dialect, autocommit=autocommit)


_DRIVER_STATEMENTS: dict[tuple[Statement, tuple[tuple[str, int], ...]], DriverStatement] = {}
_SQLITE_STATEMENTS: dict[tuple[Statement, tuple[tuple[str, int], ...]], SqliteStatement] = {}
_HOT_STATEMENTS = {
    "postgresql": (
        Statement.START_STATE,
        Statement.START_AUDITED,
        Statement.OPEN_PAPER,
        Statement.STATE_AND_ITEMS,
        Statement.SAVE_BATCH,
        Statement.PAPER_KEYS,
        Statement.SAVE_CHECKED,
        Statement.POLL,
    ),
    "sqlite": (
        Statement.START_STATE,
        Statement.START,
        Statement.PENDING_ENTRY,
        Statement.OPEN_PAPER,
        Statement.STATE_AND_ITEMS,
        Statement.UPSERT,
        Statement.POLL,
    ),
}


def compile_hot_statements(dialect: str) -> None:
    """Build and compile for the driver the statements of a session's first minute, before
    it starts (``exam.warm_up``)."""
    for statement in _HOT_STATEMENTS[dialect]:
        items = {"items": [0]} if statement is Statement.STATE_AND_ITEMS else {}
        if dialect == "postgresql":
            _driver_statement(statement, items)
        else:
            _sqlite_statement(statement, items)


_LISTS = ("items", "papers", "versions")  # the statements' expanding parameters ("IN")


def _list_sizes(parameters: dict[str, Any]) -> dict[str, int]:
    return {name: list_size(len(parameters[name])) for name in _LISTS if name in parameters}


def _sqlite_statement(statement: Statement, parameters: dict[str, Any]) -> SqliteStatement:
    sizes = _list_sizes(parameters)
    key = (statement, tuple(sorted(sizes.items())))
    if key not in _SQLITE_STATEMENTS:
        _SQLITE_STATEMENTS[key] = compile_for_sqlite(
            statement.build("sqlite"), session_bind().dialect, sizes or None
        )
    return _SQLITE_STATEMENTS[key]


def _driver_statement(statement: Statement, parameters: dict[str, Any]) -> DriverStatement:
    sizes = _list_sizes(parameters)
    key = (statement, tuple(sorted(sizes.items())))
    if key not in _DRIVER_STATEMENTS:
        _DRIVER_STATEMENTS[key] = compile_for_driver(
            statement.build("postgresql"), session_bind().dialect, sizes or None
        )
    return _DRIVER_STATEMENTS[key]
