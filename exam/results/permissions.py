"""Results of a round: computed by its Council, read by its Council and supervisory board."""

from __future__ import annotations

from typing import Any

from exam.rounds.permissions import oversees, runs


def can_compute_results(user: Any, round_: Any) -> bool:
    return runs(user, round_)


def can_view_results(user: Any, round_: Any) -> bool:
    return oversees(user, round_)


def can_set_formula(user: Any, round_: Any) -> bool:
    """The formula and the further parts' scores: the Council that runs the round."""
    return runs(user, round_)
