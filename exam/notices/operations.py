"""Queuing notices. Called by other operations, inside their transaction: the notice exists
if and only if the decision it announces was committed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from exam.core.errors import DomainError
from exam.extensions import db
from exam.notices.models import NoticeKind, OutboxMessage, OutboxStatus


def render_notice(kind: NoticeKind, **context: Any) -> tuple[str, str]:
    """(subject, body) from ``templates/notices/<kind>.txt``: the first line is the subject,
    the rest the body. Always in Vietnamese (official correspondence)."""
    with force_locale("vi"):
        text = render_template(f"notices/{kind.value}.txt", **context)
    subject, _, body = text.strip().partition("\n")
    return " ".join(subject.split()), body.strip() + "\n"


def queue_notice(
    kind: NoticeKind,
    recipient: str,
    *,
    obj: Any = None,
    at: dt.datetime,
    flush: bool = True,
    **context: Any,
) -> OutboxMessage:
    """A notice in the outbox. ``flush=False`` lets a caller queuing thousands (an import)
    flush them together."""
    subject, body = render_notice(kind, **context)
    message = OutboxMessage(
        kind=kind,
        recipient=recipient,
        subject=subject[:300],
        body=body,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=getattr(obj, "id", None),
        status=OutboxStatus.PENDING,
        created_at=at,
        next_attempt_at=at,
    )
    db.session.add(message)
    if flush:
        db.session.flush()
    return message


def retry_failed(message: OutboxMessage, *, at: dt.datetime) -> OutboxMessage:
    """Put a message that ran out of attempts back in the queue (after the mail server was
    fixed)."""
    if message.status != OutboxStatus.FAILED:
        raise DomainError(_l("Chỉ gửi lại thư đã gửi không thành công."))
    message.status = OutboxStatus.PENDING
    message.attempts = 0
    message.next_attempt_at = at
    db.session.flush()
    return message
