"""Who reads the outbox and sends it again (the outbox's page is ``exam/main/outbox_views.py``)."""

from __future__ import annotations

from typing import Any

from exam.accounts.permissions import is_board


def can_view_outbox(user: Any) -> bool:
    """The outbox holds the mail of every round: the platform administration, which runs
    the mail, reads it (a round's supervisory board sees its round, not the others')."""
    return is_board(user)


def can_retry_notices(user: Any) -> bool:
    return is_board(user)
