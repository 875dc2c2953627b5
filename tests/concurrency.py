"""Two writers at once on a database of their own (tests/core/standalone.py): each in a
thread with its own app context, session and connection; the first holds its transaction
open until the second is seen waiting for it, so that a check-then-write without a lock
would let both through."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask

from exam.extensions import db

WAIT = 60  # seconds: only reached when a test fails


def writer(
    app: Flask, work: Callable[[], None], errors: list[BaseException], *, then: threading.Event
) -> threading.Thread:
    """A thread running ``work`` in an app context (a session and a connection of its own),
    keeping what it raises for the test, and setting ``then`` however it ends."""

    def run() -> None:
        try:
            with app.app_context():
                work()
        except BaseException as error:
            errors.append(error)
        finally:
            then.set()

    return threading.Thread(target=run)


def seen_waiting(thread: threading.Thread) -> bool:
    """Whether ``thread`` waits for the database: for a lock (PostgreSQL, as the server
    reports it: an advisory lock or a row), or for its turn among SQLite's writers
    (exam/core/db.py)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as connection:
            waiting = connection.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        return bool(waiting)
    frame = sys._current_frames().get(thread.ident or 0)
    while frame is not None:
        if frame.f_code.co_name == "enter" and frame.f_code.co_filename.endswith("db.py"):
            return True
        frame = frame.f_back
    return False


def begin_as_a_writer() -> None:
    """Begin as a POST or a job does: with SQLite's write lock (exam/core/db.py)."""
    db.session.connection(execution_options={"sqlite_immediate": True})


def until_ended_or_waiting(thread: threading.Thread, ended: threading.Event) -> None:
    """Return once ``thread`` has ended (``ended`` set) or is seen waiting for the database.
    The server tells no one when a backend starts to wait, so between two looks this waits
    on ``ended`` itself, 10 ms at a time."""
    give_up = time.monotonic() + WAIT
    while not ended.wait(0.01):
        if seen_waiting(thread):
            return
        assert time.monotonic() < give_up, "neither ended nor waiting after a minute"


def hold_until_the_other_waits(
    app: Flask,
    first: Callable[[], None],
    second: Callable[[], None],
) -> list[BaseException]:
    """Run ``first`` then ``second`` at once: ``first`` runs its work, then keeps its
    transaction open until ``second`` is seen waiting for it (or has ended: it would, at
    once, where nothing makes it wait), then commits. Returns what either raised."""
    first_holds, second_done = threading.Event(), threading.Event()
    errors: list[BaseException] = []
    second_thread: threading.Thread

    def first_then_commit() -> None:
        begin_as_a_writer()
        first()
        first_holds.set()
        until_ended_or_waiting(second_thread, second_done)
        db.session.commit()

    def second_after_first() -> None:
        first_holds.wait(WAIT)
        begin_as_a_writer()
        second()
        db.session.commit()

    second_thread = writer(app, second_after_first, errors, then=second_done)
    first_thread = writer(app, first_then_commit, errors, then=first_holds)
    second_thread.start()
    first_thread.start()
    first_thread.join(WAIT)
    second_thread.join(WAIT)
    return errors
