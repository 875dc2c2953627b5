"""Reading panels and sheets."""

from __future__ import annotations

import sqlalchemy as sa

from exam.accounts.models import User
from exam.candidates.models import Application
from exam.candidates.queries import eligible_applications
from exam.exams.queries import passed_test, tests_of_round
from exam.extensions import db
from exam.panels.models import Panel, PanelMember, ScoreSheet
from exam.rounds.models import Position


def panels_of_member(user: User, round_ids: set[int]) -> list[Panel]:
    """The panels the person sits on, of the rounds ``round_ids`` (those whose interview
    board they are on)."""
    return list(
        db.session.scalars(
            sa.select(Panel)
            .join(PanelMember)
            .join(Position, Position.id == Panel.position_id)
            .where(PanelMember.user_id == user.id, Position.round_id.in_(round_ids))
            .order_by(Panel.id)
        )
    )


def interview_list(panel: Panel) -> list[Application]:
    """The candidates a panel may score: eligible for its position and, where the round has
    a computer test, past its gate (submitted, marked, at least the pass mark). Nobody still
    sitting, absent or below the mark is offered."""
    eligible = eligible_applications(panel.position_id)
    round_ = panel.position.round
    if not tests_of_round(round_.id):
        return eligible
    return [a for a in eligible if passed_test(a, round_.test_pass_mark)]


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
