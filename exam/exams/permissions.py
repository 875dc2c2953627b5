from __future__ import annotations

from typing import Any

from exam.accounts.permissions import can_oversee, is_board, is_candidate


def can_manage_tests(user: Any) -> bool:
    return is_board(user)


def can_monitor_tests(user: Any) -> bool:
    return can_oversee(user)


def can_sit(user: Any, attempt: Any) -> bool:
    """Only the candidate whose paper it is; everyone else gets a 404."""
    return is_candidate(user) and attempt.application.candidate_id == user.id
