"""Column types and helpers shared by every domain's models."""

from __future__ import annotations

import datetime as dt
import enum
import os
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime. Naive values are refused, not guessed."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: give a timezone-aware value")
        value = value.astimezone(dt.UTC)
        # SQLite stores no zone: keep UTC there and put the zone back when reading.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class TitledEnum(enum.StrEnum):
    """An enum stored as its short string value, each member carrying a translated title.

    Subclasses define ``__titles__`` as a mapping from value to a lazy-translated string.
    """

    @property
    def title(self) -> str:
        return str(type(self).__titles__()[self.value])  # type: ignore[attr-defined]


def enum_column(enum_cls: type[enum.Enum], **kwargs: Any) -> Any:
    """A short string column with a CHECK limiting it to the enum's values."""
    return mapped_column(
        sa.Enum(
            enum_cls,
            native_enum=False,
            create_constraint=True,
            length=max(len(m.value) for m in enum_cls),
            values_callable=lambda cls: [m.value for m in cls],
            validate_strings=True,
        ),
        **kwargs,
    )


def enable_sqlite_pragmas(engine: Any) -> None:
    """Foreign keys on, WAL for concurrent readers, a busy wait instead of instant errors,
    and real transactions: pysqlite's own BEGIN handling breaks SAVEPOINTs, so SQLAlchemy
    emits BEGIN itself (the recipe of SQLAlchemy's SQLite dialect documentation)."""

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            # NORMAL (the default, as Rails ships it for SQLite): a commit survives a crash
            # of the server process; the last ones before a power cut may be lost, and the
            # exam page then sends its copy of those answers again (docs/api.md). FULL
            # syncs every commit to disk first, at a lower autosave rate (README).
            synchronous = os.environ.get("SQLITE_SYNCHRONOUS", "NORMAL").upper()
            if synchronous in ("FULL", "NORMAL", "EXTRA"):
                cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    writers = (
        _WriterQueue(engine.url.database)
        if engine.url.database not in (None, "", ":memory:")
        else None
    )
    if writers is not None:
        _WRITERS[engine.url.database] = writers

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A write request takes the write lock at BEGIN: a deferred transaction that reads
        # and then writes fails at once (SQLITE_BUSY, no busy wait) when another writer
        # committed in between. The execution option "sqlite_immediate" overrides.
        immediate = connection.get_execution_options().get("sqlite_immediate")
        if immediate is None:
            immediate = is_write_request()
        if immediate and writers is not None:
            writers.enter(connection.connection.info)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    if writers is not None:
        for name in ("checkin", "invalidate", "close_detached"):
            sa.event.listen(engine.pool, name, writers.leave_on_pool_event)


def begin_sqlite_write(engine: Any, pooled: Any) -> None:
    """BEGIN IMMEDIATE on ``pooled``, a raw connection of ``engine``'s pool (the exam day's
    fast path, exam/core/driver.py), after waiting in the writers' queue as a session's write
    request does; the turn ends when the connection goes back to the pool."""
    writers = _WRITERS.get(engine.url.database)
    if writers is not None:
        writers.enter(pooled.info)
    pooled.driver_connection.execute("BEGIN IMMEDIATE")


class _WriterQueue:
    """Writers of one SQLite file wait their turn here (a thread lock, then a lock on a file
    beside the database, for the other processes) instead of in SQLite's busy handler, whose
    sleeps grow to 25-100 ms and make the slowest saves slow. Held from BEGIN IMMEDIATE until
    the connection returns to the pool, i.e. after the COMMIT or ROLLBACK."""

    def __init__(self, database: str):
        import threading

        self._thread_lock = threading.Lock()
        self._path = f"{database}.writers"
        self._fd: int | None = None

    def enter(self, info: dict) -> None:
        if info.get("writer"):
            return
        import fcntl

        self._thread_lock.acquire()
        try:
            if self._fd is None:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._thread_lock.release()
            raise
        info["writer"] = True

    def leave(self, info: dict) -> None:
        if info.pop("writer", False):
            import fcntl

            fcntl.flock(self._fd, fcntl.LOCK_UN)
            self._thread_lock.release()

    def leave_on_pool_event(self, _dbapi_connection: Any, record: Any, *_args: Any) -> None:
        if record is not None:
            self.leave(record.info)


_WRITERS: dict[str, _WriterQueue] = {}  # by database file: one queue per file and process


def is_write_request() -> bool:
    """A request that may write: its transactions take SQLite's write lock at BEGIN."""
    from flask import has_request_context, request

    return has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")


def session_bind() -> sa.Engine | sa.Connection:
    """What the session runs on, without making the request a session when it has none yet
    (making one and closing it costs a fast-path call about a tenth of its CPU): then
    Flask-SQLAlchemy's engine, unless the session's factory names its own bind (the tests
    bind theirs to a connection holding their transaction)."""
    from exam.extensions import db

    if not db.session.registry.has() and db.session.session_factory.kw.get("bind") is None:
        return db.engine
    return db.session.get_bind()


def in_session_transaction() -> bool:
    """Whether the request's session has begun a transaction (never, if it has no session)."""
    from exam.extensions import db

    return db.session.registry.has() and db.session().in_transaction()


def lock_row(instance: Any) -> bool:
    """Take ``instance``'s row for update until the transaction ends and read its columns
    again, so that a check and the write it decides are one turn: a second request doing the
    same waits here, then sees what the first wrote (PostgreSQL). Only the row's own columns
    are read again (expired by name: a whole-object expiry or reload would cascade to its
    children); its relationships are the caller's to refresh. SQLite's writers already take
    turns from BEGIN (exam/core/db.py::enable_sqlite_pragmas), so what they read is current.
    True when a lock was taken."""
    from exam.extensions import db

    if db.session.get_bind().dialect.name != "postgresql":
        return False
    db.session.flush()  # this session's own changes are kept: written, then read back
    state = sa.inspect(instance)
    (key,) = state.mapper.primary_key
    db.session.execute(sa.select(key).where(key == state.identity[0]).with_for_update())
    columns = [attr.key for attr in state.mapper.column_attrs if attr.columns[0] is not key]
    db.session.expire(instance, columns)
    return True
