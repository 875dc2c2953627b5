"""Reading rounds."""

from __future__ import annotations

import sqlalchemy as sa

from exam.extensions import db
from exam.rounds.models import Round, RoundStatus


def public_rounds() -> list[Round]:
    """Announced rounds (everything past the draft), newest first."""
    return list(
        db.session.scalars(
            sa.select(Round).where(Round.status != RoundStatus.DRAFT).order_by(Round.id.desc())
        )
    )


def all_rounds() -> list[Round]:
    return list(db.session.scalars(sa.select(Round).order_by(Round.id.desc())))
