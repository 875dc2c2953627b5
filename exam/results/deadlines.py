"""The results' deadlines in working days (docs/domain.md §8): the Council approves the
results within 5 working days of receiving them (the board's first computation of the
ranking it approves), and they are published within 2 working days of that approval.
Counted by the working-day rule (exam/core/calendar.py), the day of the event not counting."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.core.calendar import working_days_after
from exam.core.i18n import to_local
from exam.extensions import db
from exam.results.models import Ranking, RankingDecision
from exam.rounds.models import Position

APPROVAL_WORKING_DAYS = 5  # constant: the Council approves within 5 working days
PUBLICATION_WORKING_DAYS = 2  # constant: published within 2 working days of approval


@dataclass(frozen=True)
class Deadline:
    """A step's last day, and the day it was done (None while not done)."""

    step: str
    due_on: dt.date
    done_on: dt.date | None

    def overdue(self, today: dt.date) -> bool:
        """Done after its last day, or not done and its last day gone."""
        return (self.done_on or today) > self.due_on


def approval_due_on(received_on: dt.date) -> dt.date:
    return working_days_after(received_on, APPROVAL_WORKING_DAYS)


def publication_due_on(approved_on: dt.date) -> dt.date:
    return working_days_after(approved_on, PUBLICATION_WORKING_DAYS)


def results_deadlines(position: Position) -> list[Deadline]:
    """The approval's and the publication's deadlines of the position's latest ranking: the
    results are received when the first draft after the previous approved version is
    computed; a version approved while the round is published is published at once."""
    rankings = list(
        db.session.execute(
            sa.select(Ranking.id, Ranking.computed_at, Ranking.published_at, RankingDecision)
            .outerjoin(RankingDecision, RankingDecision.ranking_id == Ranking.id)
            .where(Ranking.position_id == position.id)
            .order_by(Ranking.id)
        )
    )
    if not rankings:
        return []
    received_at = None
    for _id, computed_at, _published, decision in rankings[:-1]:
        received_at = None if decision is not None else received_at or computed_at
    _id, computed_at, published_at, decision = rankings[-1]
    received_on = to_local(received_at or computed_at).date()
    approved_on = decision.decided_on if decision is not None else None
    deadlines = [Deadline(str(_l("Hội đồng phê duyệt")), approval_due_on(received_on), approved_on)]
    if approved_on is not None:
        published_on = to_local(published_at).date() if published_at else None
        deadlines.append(
            Deadline(str(_l("Công bố kết quả")), publication_due_on(approved_on), published_on)
        )
    return deadlines
