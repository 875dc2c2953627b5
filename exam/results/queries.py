"""Reading rankings."""

from __future__ import annotations

import sqlalchemy as sa

from exam.extensions import db
from exam.results.models import Ranking


def latest_ranking(position_id: int) -> Ranking | None:
    return db.session.scalars(
        sa.select(Ranking).where(Ranking.position_id == position_id).order_by(Ranking.id.desc())
    ).first()
