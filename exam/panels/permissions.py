"""Who may do what with a round's interview panels, from their seats on its bodies
(docs/domain.md §2): the Council sets panels up; a member of the round's interview board
scores on the panels they sit on; the supervisory board reads them."""

from __future__ import annotations

from typing import Any

from exam.rounds.permissions import COUNCIL, INTERVIEW, SUPERVISORY, has_some_seat, runs, sits_in


def is_panel_member(user: Any) -> bool:
    """Sits on the interview board of some round (the menu's "Chấm phỏng vấn")."""
    return has_some_seat(user, INTERVIEW)


def can_manage_panels(user: Any, round_: Any) -> bool:
    return runs(user, round_)


def membership(user: Any, panel: Any) -> Any:
    """The user's seat on this panel, or None: only while they sit on the interview board
    of the panel's round."""
    if not sits_in(user, panel.position.round_id, INTERVIEW):
        return None
    return next((m for m in panel.members if m.user_id == user.id), None)


def can_view_panel(user: Any, panel: Any) -> bool:
    if sits_in(user, panel.position.round_id, COUNCIL, SUPERVISORY):
        return True
    return membership(user, panel) is not None


def can_score_on(user: Any, panel: Any) -> bool:
    return membership(user, panel) is not None
