from __future__ import annotations

from typing import Any

from exam.accounts.permissions import can_oversee, is_board, is_panel_member


def can_manage_panels(user: Any) -> bool:
    return is_board(user)


def membership(user: Any, panel: Any) -> Any:
    """The user's seat on this panel, or None."""
    if not is_panel_member(user):
        return None
    return next((m for m in panel.members if m.user_id == user.id), None)


def can_view_panel(user: Any, panel: Any) -> bool:
    return can_oversee(user) or membership(user, panel) is not None


def can_score_on(user: Any, panel: Any) -> bool:
    return membership(user, panel) is not None
