"""What the results ask of a round before they are published (registered with
``exam/rounds/stages.py``; imported by the app factory)."""

from __future__ import annotations

import datetime as dt

from exam.results.deadlines import record_scores_hand_over
from exam.results.formula import rules_set_by_formula
from exam.results.publication import publication_problems, publish_approved
from exam.rounds.models import Round, RoundStatus
from exam.rounds.operations import register_rule_owner
from exam.rounds.stages import on_entering, stage_guard


@stage_guard(RoundStatus.PUBLISHED)
def every_ranking_approved(round_: Round, at: dt.datetime) -> list[str]:
    """Before publication: each running position's latest ranking approved by the Council."""
    return publication_problems(round_)


@on_entering(RoundStatus.RESULTS)
def record_when_the_scores_were_handed_over(round_: Round, at: dt.datetime) -> None:
    """Entering the results stage: the board has every part's scores, to aggregate within 5
    working days (exam/results/deadlines.py)."""
    record_scores_hand_over(round_, at)


@on_entering(RoundStatus.PUBLISHED)
def publish_each_approved_ranking(round_: Round, at: dt.datetime) -> None:
    """Entering the published stage publishes the approved versions, each candidate told."""
    publish_approved(round_, at)


# The formula page sets the test's pass mark and the winner's minimum once a formula is stored.
register_rule_owner(rules_set_by_formula)
