from __future__ import annotations

from typing import Any

from exam.accounts.permissions import can_oversee, is_board


def can_manage_rounds(user: Any) -> bool:
    return is_board(user)


def can_view_round_admin(user: Any) -> bool:
    return can_oversee(user)


def can_manage_units(user: Any) -> bool:
    return is_board(user)
