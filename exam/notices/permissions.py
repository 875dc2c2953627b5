from __future__ import annotations

from typing import Any

from exam.accounts.permissions import can_oversee, is_board


def can_view_outbox(user: Any) -> bool:
    return can_oversee(user)


def can_retry_notices(user: Any) -> bool:
    return is_board(user)
