"""PostgreSQL's hot paths on exam day (opening a paper, saving an answer) run their
statements on the driver (psycopg) directly.

Each statement is still built with SQLAlchemy Core, and compiled once to the driver's SQL;
only the execution skips SQLAlchemy's engine layer, which costs about 100 µs of CPU per
statement here against 35 µs for psycopg alone (bench/autosave.py, on 2 cores where the app,
the database and the load share the CPU). Outside a transaction a pooled connection is used
in autocommit mode: each statement is its own transaction, without BEGIN and COMMIT round
trips, so such a path must be a lone read, or reads then one statement that checks again
what it changes (the fast path's runner refuses a second write: exam/exams/hotpath/runner.py,
``SecondWriteRefused``). Inside a transaction the session was given (as the tests' is), the
session's own connection is used, and so its transaction.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import sqlalchemy as sa

from exam.extensions import db


class DriverStatement(NamedTuple):
    sql: str
    defaults: dict[str, Any]  # values of the literal parameters compiled into the statement
    lists: dict[str, list[str]]  # an expanding parameter ("IN"), and the names it became
    json: frozenset[str]  # the parameters of a JSON type, passed as JSON


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
    if not lists:
        defaults = {name: value for name, value in compiled.params.items() if value is not None}
        return DriverStatement(str(compiled), defaults, {}, json)
    placeholders = dict(compiled.params) | {name: [None] * count for name, count in lists.items()}
    expanded = compiled.construct_expanded_state(placeholders)
    defaults = {name: value for name, value in expanded.parameters.items() if value is not None}
    return DriverStatement(expanded.statement, defaults, dict(expanded.parameter_expansion), json)


def list_size(count: int) -> int:
    """The size an expanding parameter of ``count`` values is compiled for: the next power
    of two, so that a process holds a few compiled variants, not one per count."""
    return 1 << max(0, count - 1).bit_length()


@contextlib.contextmanager
def driver_cursor() -> Iterator[Any | None]:
    """On PostgreSQL, a psycopg cursor whose rows are named tuples (see the module's
    docstring); elsewhere None: the caller takes SQLAlchemy's path."""
    bind = db.session.get_bind()
    if bind.dialect.name != "postgresql":
        yield None
        return
    from psycopg.rows import namedtuple_row

    if not isinstance(bind, sa.Engine) or db.session().in_transaction():
        connection = db.session.connection().connection.driver_connection
        with connection.cursor(row_factory=namedtuple_row) as cursor:
            yield cursor
        return
    pooled = bind.raw_connection()
    connection = pooled.driver_connection
    try:
        connection.autocommit = True
        with connection.cursor(row_factory=namedtuple_row) as cursor:
            yield cursor
    except Exception:
        if connection.broken or connection.closed:
            pooled.invalidate()  # the pool must not hand out a dead connection again
        raise
    finally:
        if not (connection.broken or connection.closed):
            connection.autocommit = False
        pooled.close()


def execute(cursor: Any, statement: DriverStatement, parameters: Mapping[str, Any]) -> Any:
    from psycopg.types.json import Json

    values = statement.defaults | dict(parameters)
    for name in statement.json & values.keys():
        values[name] = Json(values[name])  # None too: JSON's null, as SQLAlchemy writes it
    for name, names in statement.lists.items():
        given = list(values.pop(name))
        padding = given[-1:] * (len(names) - len(given))  # IN (a, b, b, b) is IN (a, b)
        values.update(zip(names, given + padding, strict=True))
    return cursor.execute(statement.sql, values)
