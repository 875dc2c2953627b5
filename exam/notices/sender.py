"""Delivering the outbox over SMTP (``flask notices send``).

Each message is marked sent only after the server accepted it, and the caller commits after
each message: a crash re-sends at most the one message in flight (its Message-ID lets the
receiving side recognise the duplicate). A failure is recorded on the message (attempts, last
error) and the message is tried again later, waiting longer each time; after
``MAIL_MAX_ATTEMPTS`` it is marked failed, still kept, shown on the outbox page and put back
in the queue by ``flask notices retry-failed``.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

import sqlalchemy as sa

from exam.extensions import db
from exam.notices.models import OutboxMessage, OutboxStatus

MAX_BACKOFF = dt.timedelta(hours=6)


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8 … minutes after the n-th failure, at most 6 hours."""
    return min(dt.timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def due_messages(at: dt.datetime, limit: int) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.next_attempt_at <= at,
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
    )


def build_email(message: OutboxMessage, config: dict[str, Any]) -> EmailMessage:
    email = EmailMessage()
    email["From"] = config["MAIL_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at)
    domain = config["MAIL_SENDER"].rpartition("@")[2].strip(" >") or "localhost"
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain=domain)
    email.set_content(message.body)
    return email


def _connect(config: dict[str, Any]) -> smtplib.SMTP:
    host, port, timeout = config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT"]
    if config.get("MAIL_USE_SSL"):
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
        if config.get("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
    if config.get("MAIL_USERNAME"):
        smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
    return smtp


def _record_failure(message: OutboxMessage, error: str, at: dt.datetime, max_attempts: int):
    message.attempts += 1
    message.last_error = error[:2000]
    if message.attempts >= max_attempts:
        message.status = OutboxStatus.FAILED
    else:
        message.next_attempt_at = at + backoff(message.attempts)


def deliver_due(
    *,
    at: dt.datetime,
    config: dict[str, Any],
    limit: int = 200,
    after_each: Callable[[], None] = lambda: None,
) -> SendReport:
    """Send every pending message that is due; ``after_each`` (the CLI: commit) runs after
    each message's outcome is recorded."""
    report = SendReport()
    messages = due_messages(at, limit)
    if not messages:
        return report
    max_attempts = int(config["MAIL_MAX_ATTEMPTS"])
    try:
        smtp = _connect(config)
    except (OSError, smtplib.SMTPException) as error:
        text = f"{type(error).__name__}: {error}"
        for message in messages:
            _record_failure(message, text, at, max_attempts)
            db.session.flush()
            after_each()
        report.failed = len(messages)
        report.errors.append(text)
        return report
    try:
        for message in messages:
            try:
                smtp.send_message(build_email(message, config))
            except (OSError, smtplib.SMTPException) as error:
                text = f"{type(error).__name__}: {error}"
                _record_failure(message, text, at, max_attempts)
                report.failed += 1
                report.errors.append(f"#{message.id}: {text}")
            else:
                message.status = OutboxStatus.SENT
                message.sent_at = at
                message.attempts += 1
                message.last_error = ""
                report.sent += 1
            db.session.flush()
            after_each()
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
    return report
