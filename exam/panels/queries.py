"""Reading panels and sheets."""

from __future__ import annotations

import sqlalchemy as sa

from exam.accounts.models import User
from exam.candidates.models import Application
from exam.extensions import db
from exam.panels.models import Panel, PanelMember, ScoreSheet


def panels_of_member(user: User) -> list[Panel]:
    return list(
        db.session.scalars(
            sa.select(Panel)
            .join(PanelMember)
            .where(PanelMember.user_id == user.id)
            .order_by(Panel.id)
        )
    )


def panel_of_position(position_id: int) -> Panel | None:
    return db.session.scalars(sa.select(Panel).where(Panel.position_id == position_id)).first()


def sheets_for_application(application: Application) -> list[ScoreSheet]:
    return list(
        db.session.scalars(
            sa.select(ScoreSheet)
            .where(ScoreSheet.application_id == application.id)
            .order_by(ScoreSheet.id)
        )
    )
