"""The driver path of the hot statements (exam/core/driver.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from exam.core.driver import compile_for_driver, driver_cursor, execute, list_size
from exam.extensions import db

_things = sa.table("things", sa.column("id"), sa.column("kind"), sa.column("data", sa.JSON))


class _Cursor:
    """Records what would be sent to the database."""

    def execute(self, sql, values):
        self.sql, self.values = sql, values
        return self


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
    cursor = execute(_Cursor(), compiled, {"items": [5, 7], "other": 9})
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
    cursor = execute(_Cursor(), compiled, {"id": 1, "data": {"a": [1, 2]}})
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


def test_postgresql_runs_on_an_autocommit_connection_that_goes_back_reset(app):
    with _session_on_the_engine():
        with driver_cursor() as cursor:
            if db.engine.dialect.name != "postgresql":
                assert cursor is None  # SQLite keeps SQLAlchemy's path and its transactions
                return
            connection = cursor.connection
            assert connection.autocommit
            cursor.execute("SELECT 1 AS one")
            assert cursor.fetchone().one == 1
        assert not connection.autocommit  # the pool's next user gets transactions again


def test_inside_a_transaction_the_driver_uses_the_sessions_connection(app):
    db.session.execute(sa.text("SELECT 1"))  # the test's session is in its transaction
    with driver_cursor() as cursor:
        if db.engine.dialect.name != "postgresql":
            assert cursor is None
            return
        session_connection = db.session.connection().connection.driver_connection
        assert cursor.connection is session_connection
        assert not cursor.connection.autocommit
