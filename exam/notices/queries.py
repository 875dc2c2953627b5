"""Reading the outbox."""

from __future__ import annotations

import sqlalchemy as sa

from exam.extensions import db
from exam.notices.models import OutboxMessage, OutboxStatus


def outbox(status: OutboxStatus | None = None, limit: int = 500) -> list[OutboxMessage]:
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    return list(db.session.scalars(query))


def outbox_counts() -> dict[OutboxStatus, int]:
    rows = db.session.execute(
        sa.select(OutboxMessage.status, sa.func.count(OutboxMessage.id)).group_by(
            OutboxMessage.status
        )
    ).all()
    counts = {status: 0 for status in OutboxStatus}
    counts.update(dict(rows))
    return counts


def messages_about(object_type: str, object_id: int) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.object_type == object_type, OutboxMessage.object_id == object_id)
            .order_by(OutboxMessage.id)
        )
    )
