"""What a person may do with a round, from their seats on its bodies (docs/domain.md §2).

The platform administration (the personnel office, ``Role.BOARD_ADMIN``) creates rounds and
keeps the tree of units; it gets a round's powers only by sitting on that round's Council.
Whoever sits on no body of a round is answered 404 for its objects (``ensure_in_round``):
they must not even learn what the round holds."""

from __future__ import annotations

from typing import Any

from flask import abort

from exam.accounts.permissions import is_board
from exam.rounds.seats import rounds_seated, seats_in

COUNCIL = "council"
SUPERVISORY = "supervisory"
ELIGIBILITY = "eligibility"
INVIGILATION = "invigilation"
INTERVIEW = "interview"


def sits_in(user: Any, round_: Any, *kinds: str) -> bool:
    """Sits on a body of ``round_`` of one of ``kinds`` (of any kind if none given)."""
    seats = seats_in(user, round_)
    return bool(seats & set(kinds)) if kinds else bool(seats)


def runs(user: Any, round_: Any) -> bool:
    """The Council runs its round: positions, stages, candidates, tests, panels, results."""
    return sits_in(user, round_, COUNCIL)


def oversees(user: Any, round_: Any) -> bool:
    """Reads everything of the round: its Council, and its supervisory board (which writes
    nothing but its own report)."""
    return sits_in(user, round_, COUNCIL, SUPERVISORY)


def ensure_in_round(allowed: bool, user: Any, round_: Any) -> None:
    """Abort unless ``allowed``: 403 to someone sitting on a body of the round (they know it
    exists), 404 to everyone else."""
    if not allowed:
        abort(403 if sits_in(user, round_) else 404)


def can_manage_rounds(user: Any) -> bool:
    """Creates rounds: the platform administration."""
    return is_board(user)


def can_manage_round(user: Any, round_: Any) -> bool:
    """Edits the plan and positions, moves the stages: the round's Council."""
    return runs(user, round_)


def can_view_round_admin(user: Any, round_: Any) -> bool:
    """The round's inside (drafts, counts, dossiers, what stands before the next stage)."""
    return oversees(user, round_)


def rounds_overseen(user: Any) -> set[int]:
    """The rounds whose inside the person sees (drafts included)."""
    return rounds_seated(user, COUNCIL, SUPERVISORY)


def has_some_seat(user: Any, *kinds: str) -> bool:
    return bool(rounds_seated(user, *kinds))


def can_manage_units(user: Any) -> bool:
    return is_board(user)


def can_view_units(user: Any) -> bool:
    """The organisation tree: the platform administration and whoever runs or oversees a
    round (positions name units)."""
    return is_board(user) or has_some_seat(user, COUNCIL, SUPERVISORY)
