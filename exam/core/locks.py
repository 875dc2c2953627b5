"""One runner at a time for the periodic commands (cron on every node: `flask audit seal`,
`flask exams close-expired`, `flask notices send`).

Each node's cron starts them every minute; two runners at once would seal the same pending
entries twice, close a paper twice or e-mail a notice twice. The first runner takes a lock
named after the command and the others skip that minute with a message (exit status 0: the
next minute's run catches up).

PostgreSQL: a session advisory lock (``pg_try_advisory_lock``) on a connection of its own,
held while the command runs and released by the server if the process dies. SQLite (one
machine): an exclusive ``flock`` on a file beside the database file, released by the kernel
if the process dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click
import sqlalchemy as sa

from exam.extensions import db

Command = TypeVar("Command", bound=Callable[..., Any])


def advisory_key(name: str) -> int:
    """A stable 64-bit key for ``name`` (the same on every node and every release)."""
    digest = hashlib.sha256(f"exam.periodic:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_file_path(name: str) -> Path:
    """The SQLite lock file: beside the database file, so every process using that database
    finds it (an in-memory database belongs to one process: a file of that process's own in
    the temporary folder, for its threads)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    database = db.engine.url.database
    if database and database != ":memory:":
        return Path(database).with_name(f"{Path(database).name}.{slug}.lock")
    return Path(tempfile.gettempdir()) / f"exam-{os.getpid()}-{slug}.lock"


@contextlib.contextmanager
def single_runner(name: str) -> Iterator[bool]:
    """Hold the lock named ``name`` while the block runs: yields True, or False at once when
    another runner (another process, node or thread) holds it. Never waits."""
    if db.engine.dialect.name == "postgresql":
        with _advisory_lock(advisory_key(name)) as held:
            yield held
    else:
        with _file_lock(lock_file_path(name)) as held:
            yield held


@contextlib.contextmanager
def _advisory_lock(key: int) -> Iterator[bool]:
    # Autocommit: the lock belongs to the connection, not to a transaction, so the
    # command's own commits (the sender commits after each message) do not release it.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        held = bool(connection.scalar(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": key}))
        try:
            yield held
        finally:
            if held:
                connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": key})


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[bool]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)


def one_runner_at_a_time(name: str) -> Callable[[Command], Command]:
    """Decorate a periodic click command: when another runner holds ``name``'s lock, print
    why and skip (exit status 0)."""

    def decorate(command: Command) -> Command:
        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> Any:
            with single_runner(name) as held:
                if not held:
                    click.echo(f"Skipped: another `flask {name}` is running (its lock is held).")
                    return None
                return command(*args, **kwargs)

        return run  # type: ignore[return-value]

    return decorate
