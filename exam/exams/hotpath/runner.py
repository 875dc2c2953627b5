"""Running the fast path's statements (``StatementRunner``, ``run_statements``): on
PostgreSQL on the driver, exam/core/driver.py (this is the only module of exam/ that uses it),
in autocommit outside a transaction, where a second write is refused; on SQLite on the
session's connection."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from exam.core.driver import DriverStatement, compile_for_driver, driver_cursor, list_size
from exam.core.driver import execute as driver_execute
from exam.exams.hotpath.statements import _SPECS, Statement
from exam.extensions import db


class SecondWriteRefused(RuntimeError):
    """A second write statement in one autocommit call of ``run_statements``. There each
    statement is its own transaction: had the second failed, the first would stay written.
    A fast-path function is a lone read, or reads and then one write that checks again what
    it changes (reads after it only report); more writes belong in a transaction."""


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


_DRIVER_STATEMENTS: dict[tuple[Statement, tuple[tuple[str, int], ...]], DriverStatement] = {}
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


_LISTS = ("items", "papers")  # the statements' expanding parameters ("IN")


def _driver_statement(statement: Statement, parameters: dict[str, Any]) -> DriverStatement:
    sizes = {name: list_size(len(parameters[name])) for name in _LISTS if name in parameters}
    key = (statement, tuple(sorted(sizes.items())))
    if key not in _DRIVER_STATEMENTS:
        _DRIVER_STATEMENTS[key] = compile_for_driver(
            statement.build("postgresql"), db.session.get_bind().dialect, sizes or None
        )
    return _DRIVER_STATEMENTS[key]
