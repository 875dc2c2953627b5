"""The results' deadlines in working days (docs/domain.md §8): the board aggregates the
results within 5 working days of receiving the last scores (``ScoresHandOver``, recorded as
the round enters the results stage; done at the position's first computed ranking), the
Council approves them within 5 working days of receiving them (the board's first computation
of the ranking it approves), and they are published within 2 working days of that approval.
Counted by the working-day rule (exam/core/calendar.py), the day of the event not counting."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.audit.operations import record
from exam.candidates.models import Application
from exam.core.calendar import working_days_after
from exam.core.db import utcnow
from exam.core.i18n import to_local
from exam.extensions import db
from exam.marking.models import MarkingPlan
from exam.panels.models import ScoreSheet, SpreadRuling
from exam.results.models import Ranking, RankingDecision, ScoresHandOver
from exam.rounds.models import Position, Round

AGGREGATION_WORKING_DAYS = 5  # constant: the board aggregates within 5 working days
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


def aggregation_due_on(handed_over_on: dt.date) -> dt.date:
    return working_days_after(handed_over_on, AGGREGATION_WORKING_DAYS)


def approval_due_on(received_on: dt.date) -> dt.date:
    return working_days_after(received_on, APPROVAL_WORKING_DAYS)


def publication_due_on(approved_on: dt.date) -> dt.date:
    return working_days_after(approved_on, PUBLICATION_WORKING_DAYS)


# --- the last scores handed over -------------------------------------------------------------


def last_scores_at(round_: Round) -> dt.datetime | None:
    """When the round's last part was scored: its last panel sheet sealed, its last spread
    ruled by a panel's head, its written tests unsealed (None when none of them exists)."""
    applications = (
        sa.select(Application.id)
        .join(Position, Position.id == Application.position_id)
        .where(Position.round_id == round_.id)
    )
    moments = [
        db.session.scalar(
            sa.select(sa.func.max(ScoreSheet.submitted_at)).where(
                ScoreSheet.application_id.in_(applications)
            )
        ),
        db.session.scalar(
            sa.select(sa.func.max(SpreadRuling.decided_at)).where(
                SpreadRuling.application_id.in_(applications)
            )
        ),
        db.session.scalar(
            sa.select(sa.func.max(MarkingPlan.unsealed_at)).where(MarkingPlan.round_id == round_.id)
        ),
    ]
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None


def record_scores_hand_over(round_: Round, at: dt.datetime) -> ScoresHandOver | None:
    """The round enters the results stage: every part is scored (the stages' guards), its
    last scores are the board's from the moment the last of them was final (the move itself
    when nothing was scored). Recorded once, audited; None when already recorded."""
    if scores_hand_over(round_.id) is not None:
        return None
    last = last_scores_at(round_)
    hand_over = ScoresHandOver(
        round_id=round_.id,
        handed_over_at=min(last, at) if last is not None else at,
        recorded_at=utcnow(),
    )
    db.session.add(hand_over)
    db.session.flush()
    record(
        "results.scores_handed_over",
        hand_over,
        after={"round_id": round_.id, "handed_over_at": hand_over.handed_over_at.isoformat()},
    )
    return hand_over


def scores_hand_over(round_id: int) -> ScoresHandOver | None:
    return db.session.scalar(sa.select(ScoresHandOver).where(ScoresHandOver.round_id == round_id))


# --- the deadlines ---------------------------------------------------------------------------


def _aggregation(position: Position, first_computed_at: dt.datetime | None) -> list[Deadline]:
    hand_over = scores_hand_over(position.round_id)
    if hand_over is None:
        return []  # a round that entered the results stage before hand-overs were recorded
    handed_over_on = to_local(hand_over.handed_over_at).date()
    done_on = to_local(first_computed_at).date() if first_computed_at is not None else None
    return [Deadline(str(_l("Tổng hợp kết quả")), aggregation_due_on(handed_over_on), done_on)]


def results_deadlines(position: Position) -> list[Deadline]:
    """The aggregation's deadline, then the approval's and the publication's of the
    position's latest ranking: the results are received when the first draft after the
    previous approved version is computed; a version approved while the round is published is
    published once its decision's document is issued."""
    rankings = list(
        db.session.execute(
            sa.select(Ranking.id, Ranking.computed_at, Ranking.published_at, RankingDecision)
            .outerjoin(RankingDecision, RankingDecision.ranking_id == Ranking.id)
            .where(Ranking.position_id == position.id)
            .order_by(Ranking.id)
        )
    )
    deadlines = _aggregation(position, rankings[0][1] if rankings else None)
    if not rankings:
        return deadlines
    received_at = None
    for _id, computed_at, _published, decision in rankings[:-1]:
        received_at = None if decision is not None else received_at or computed_at
    _id, computed_at, published_at, decision = rankings[-1]
    received_on = to_local(received_at or computed_at).date()
    approved_on = decision.decided_on if decision is not None else None
    deadlines.append(
        Deadline(str(_l("Hội đồng phê duyệt")), approval_due_on(received_on), approved_on)
    )
    if approved_on is not None:
        published_on = to_local(published_at).date() if published_at else None
        deadlines.append(
            Deadline(str(_l("Công bố kết quả")), publication_due_on(approved_on), published_on)
        )
    return deadlines
