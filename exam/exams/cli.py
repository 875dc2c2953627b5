"""`flask exams close-expired` (run each minute by cron): the server's own closing of the
papers whose time is up."""

from __future__ import annotations

from collections.abc import Callable

import click
from flask import current_app

from exam.core.db import utcnow
from exam.core.locks import one_runner_at_a_time
from exam.exams.sitting import close_expired_attempts
from exam.extensions import db


@click.group("exams", help="Computer-based tests.")
def exams_cli() -> None:
    pass


def _in_its_own_transaction(batch: Callable[[], int]) -> int:
    """One batch of papers closed and committed, begun with SQLite's write lock (a deferred
    transaction that read would fail when a candidate's save committed in between)."""
    db.session.commit()
    db.session.connection(execution_options={"sqlite_immediate": True})
    closed = batch()
    db.session.commit()
    return closed


@exams_cli.command("close-expired", help="Submit every paper whose time is up (run each minute).")
@one_runner_at_a_time("exams close-expired")
def exams_close_expired() -> None:
    closed = close_expired_attempts(
        at=utcnow(),
        grace_seconds=current_app.config["ANSWER_GRACE_SECONDS"],
        run_batch=_in_its_own_transaction,
    )
    db.session.commit()
    click.echo(f"Closed {closed} attempt(s).")
