"""Who may do what with a round's tests, from their seats on its bodies (docs/domain.md §2):
the Council sets tests up; the invigilation board's members invigilate the rooms they are
assigned to; the supervisory board watches and reads, changing nothing. A candidate sits
only their own paper."""

from __future__ import annotations

from typing import Any

from exam.accounts.permissions import is_candidate
from exam.rounds.permissions import (
    COUNCIL,
    INVIGILATION,
    SUPERVISORY,
    has_some_seat,
    runs,
    sits_in,
)


def _round_of_room(room: Any) -> Any:
    return room.session.test.round_id


def can_manage_tests(user: Any, round_: Any) -> bool:
    return runs(user, round_)


def can_monitor_tests(user: Any, round_: Any) -> bool:
    return sits_in(user, round_, COUNCIL, SUPERVISORY)


def can_sit(user: Any, attempt: Any) -> bool:
    """Only the candidate whose paper it is; everyone else gets a 404."""
    return is_candidate(user) and attempt.application.candidate_id == user.id


def is_invigilator(user: Any) -> bool:
    """Sits on the invigilation board of some round (the menu's "Coi thi")."""
    return has_some_seat(user, COUNCIL, INVIGILATION, SUPERVISORY)


def can_invigilate_some_room(user: Any) -> bool:
    return has_some_seat(user, COUNCIL, INVIGILATION)


def can_invigilate(user: Any, room: Any) -> bool:
    """The Council in any room of its round; a member of the round's invigilation board in
    the rooms assigned to them."""
    if room is None:
        return False
    round_id = _round_of_room(room)
    if runs(user, round_id):
        return True
    return sits_in(user, round_id, INVIGILATION) and user in room.invigilators


def can_invigilate_attempt(user: Any, attempt: Any) -> bool:
    """A candidate's paper: the Council of its round (seated in a room or not), or an
    invigilator of its room."""
    return runs(user, attempt.test.round_id) or can_invigilate(user, attempt.room)


def can_watch_room(user: Any, room: Any) -> bool:
    """The supervisory board watches every room of its round, changing nothing."""
    return can_invigilate(user, room) or sits_in(user, _round_of_room(room), SUPERVISORY)


def can_watch_some_room(user: Any) -> bool:
    return has_some_seat(user, COUNCIL, INVIGILATION, SUPERVISORY)
