from __future__ import annotations

from typing import Any

from exam.accounts.permissions import can_oversee, is_board, is_candidate


def can_apply(user: Any) -> bool:
    return is_candidate(user)


def can_view_application(user: Any, application: Any) -> bool:
    """A candidate sees only their own dossier; the board and the supervisors see all."""
    return can_oversee(user) or (is_candidate(user) and application.candidate_id == user.id)


def can_decide_eligibility(user: Any) -> bool:
    return is_board(user)
