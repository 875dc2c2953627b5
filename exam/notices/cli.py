"""`flask notices send` (run each minute by cron) and `flask notices retry-failed`."""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask import current_app

from exam.core.db import utcnow
from exam.core.locks import one_runner_at_a_time
from exam.extensions import db


@click.group("notices", help="E-mail notices (the outbox).")
def notices_cli() -> None:
    pass


@notices_cli.command("send", help="Deliver the pending notices that are due.")
@click.option("--limit", default=200, show_default=True, help="At most this many messages.")
@one_runner_at_a_time("notices send")
def send(limit: int) -> None:
    from exam.notices.sender import deliver_due

    report = deliver_due(
        at=utcnow(), config=current_app.config, limit=limit, after_each=db.session.commit
    )
    db.session.commit()
    click.echo(f"Sent {report.sent}, failed {report.failed}.")
    for error in report.errors[:20]:
        click.echo(f"  {error}", err=True)
    if report.failed:
        sys.exit(1)


@notices_cli.command("retry-failed", help="Queue again the messages that ran out of attempts.")
def retry_all_failed() -> None:
    from exam.notices.models import OutboxMessage, OutboxStatus
    from exam.notices.operations import retry_failed

    failed = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)
    ).all()
    for message in failed:
        retry_failed(message, at=utcnow())
    db.session.commit()
    click.echo(f"Queued again: {len(failed)}.")
