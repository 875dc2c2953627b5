from __future__ import annotations

from typing import Any

from exam.accounts.permissions import can_oversee, is_board


def can_compute_results(user: Any) -> bool:
    return is_board(user)


def can_view_results(user: Any) -> bool:
    return can_oversee(user)
