from __future__ import annotations

from typing import Any

from exam.accounts.permissions import can_oversee, is_board, is_candidate


def can_apply(user: Any) -> bool:
    return is_candidate(user)


def can_view_application(user: Any, application: Any) -> bool:
    """A candidate sees only their own dossier (and its files); the board and the
    supervisors see all."""
    return can_oversee(user) or (is_candidate(user) and application.candidate_id == user.id)


def can_edit_application(user: Any, application: Any) -> bool:
    """Only the candidate changes their dossier (the operations add the deadline)."""
    return is_candidate(user) and application.candidate_id == user.id


def can_decide_eligibility(user: Any) -> bool:
    return is_board(user)


def can_import_candidates(user: Any) -> bool:
    return is_board(user)


def can_draw_lots(user: Any) -> bool:
    return is_board(user)
