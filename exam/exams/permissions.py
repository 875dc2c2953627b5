from __future__ import annotations

from typing import Any

from exam.accounts.models import Role
from exam.accounts.permissions import can_oversee, is_board, is_candidate, is_supervisor


def can_manage_tests(user: Any) -> bool:
    return is_board(user)


def can_monitor_tests(user: Any) -> bool:
    return can_oversee(user)


def can_sit(user: Any, attempt: Any) -> bool:
    """Only the candidate whose paper it is; everyone else gets a 404."""
    return is_candidate(user) and attempt.application.candidate_id == user.id


def is_invigilator(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.has_role(Role.INVIGILATOR)


def can_invigilate_some_room(user: Any) -> bool:
    return is_board(user) or is_invigilator(user)


def can_invigilate(user: Any, room: Any) -> bool:
    """The board in any room; an invigilator in the rooms assigned to them."""
    if is_board(user):
        return True
    return room is not None and is_invigilator(user) and user in room.invigilators


def can_watch_room(user: Any, room: Any) -> bool:
    """The supervisory board watches every room, changing nothing."""
    return can_invigilate(user, room) or is_supervisor(user)


def can_watch_some_room(user: Any) -> bool:
    return can_invigilate_some_room(user) or is_supervisor(user)
