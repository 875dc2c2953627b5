"""Who sits on which body of a round, as the domains at and above the rounds ask it.

A person's powers in a round follow from their seats on its bodies (docs/domain.md §2). The
bodies live in the council domain, above the rounds: it registers the answer here when the
application starts (``exam/__init__.py::_register_seat_lookup``), so the rounds' own pages
can ask it without importing the domain above them. A body's kind is named by its value
(``BodyKind`` in ``exam/council/models.py`` is a string enum: "council", "supervisory"…).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# (user id, round id) → the kinds of the bodies of that round the person sits on;
# (user id, None) → the ids of every round where they sit on a body of one of the kinds.
SeatLookup = Callable[[int, int], frozenset[str]]
RoundsLookup = Callable[[int, tuple[str, ...]], set[int]]

_lookups: dict[str, Any] = {}


def register_seat_lookup(seats: SeatLookup, rounds: RoundsLookup) -> None:
    _lookups["seats"] = seats
    _lookups["rounds"] = rounds


def _user_id(user: Any) -> int | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return user.id


def seats_in(user: Any, round_: Any) -> frozenset[str]:
    """The kinds of the bodies of ``round_`` (a Round or its id) that ``user`` sits on."""
    user_id = _user_id(user)
    if user_id is None or round_ is None:
        return frozenset()
    round_id = round_ if isinstance(round_, int) else round_.id
    return _lookups["seats"](user_id, round_id)


def rounds_seated(user: Any, *kinds: str) -> set[int]:
    """The ids of the rounds where ``user`` sits on a body of one of ``kinds`` (any if none)."""
    user_id = _user_id(user)
    if user_id is None:
        return set()
    return _lookups["rounds"](user_id, tuple(kinds))
