"""What a person may do with a round's bodies, from their seats on them.

``sits_on`` is the predicate the rest of the application's per-round powers build on: a
person's powers in a round follow from the bodies of that round they sit on, nothing else."""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context

from exam.accounts.models import Role
from exam.council.models import Body, BodyKind, MemberFunction
from exam.council.queries import functions_in, is_member, rounds_where_member
from exam.documents.models import DocumentKind
from exam.documents.permissions import register_access
from exam.rounds.seats import register_seat_lookup


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def _round_id(round_: Any) -> int:
    return round_ if isinstance(round_, int) else round_.id


def is_platform_admin(user: Any) -> bool:
    """Platform administration: the personnel office that runs rounds (e.g. the Department
    of Home Affairs). Today the role ``Role.BOARD_ADMIN``."""
    return _signed_in(user) and user.has_role(Role.BOARD_ADMIN)


def can_set_up_bodies(user: Any) -> bool:
    """Sets up a round's Council and supervisory board (for the head of the agency)."""
    return is_platform_admin(user)


def sits_on(user: Any, round_: Any, *kinds: BodyKind) -> bool:
    """Sits on a body of ``round_`` (a Round or its id) of one of ``kinds`` (any if none)."""
    return _signed_in(user) and is_member(user.id, _round_id(round_), *kinds)


def is_council_secretariat(user: Any, round_: Any) -> bool:
    """The Chair or the Member-secretary of the round's Council."""
    if not _signed_in(user):
        return False
    seats = functions_in(user.id, _round_id(round_))
    return bool(
        seats
        & {
            (BodyKind.COUNCIL, MemberFunction.CHAIR),
            (BodyKind.COUNCIL, MemberFunction.SECRETARY),
        }
    )


def can_view_bodies(user: Any, round_: Any) -> bool:
    """The bodies of a round and their members: platform administration and whoever sits on
    one of the round's bodies (a member of another round's bodies sees nothing: 404)."""
    return is_platform_admin(user) or sits_on(user, round_)


def can_set_up(user: Any, round_: Any, kind: BodyKind) -> bool:
    """The Council and the supervisory board: platform administration (for the head of the
    agency); a board: the Council, by its Chair or Member-secretary (a board is set up by the
    Council's decision, docs/domain.md §2: platform administration without that seat sets
    up none)."""
    if not kind.is_board:
        return can_set_up_bodies(user)
    return is_council_secretariat(user, round_)


def can_set_up_some_body(user: Any, round_: Any) -> bool:
    return is_platform_admin(user) or is_council_secretariat(user, round_)


def can_manage_members(user: Any, body: Body) -> bool:
    return can_set_up(user, body.round_id, body.kind)


def can_view_meetings(user: Any, round_: Any) -> bool:
    """The Council's meetings and minutes: its members, the supervisory board, platform
    administration."""
    return is_platform_admin(user) or sits_on(user, round_, BodyKind.COUNCIL, BodyKind.SUPERVISORY)


def can_run_meetings(user: Any, round_: Any) -> bool:
    """Records meetings, items and votes: the Council's Chair or Member-secretary. Platform
    administration without that seat records none: the votes are the Council's work (the
    office organises, the Council decides, docs/domain.md §2)."""
    return is_council_secretariat(user, round_)


# --- the answer the rounds domain asks (exam/rounds/seats.py) -----------------------------


def _seat_kinds(user_id: int, round_id: int) -> frozenset[str]:
    """The kinds of the round's bodies the person sits on, read once per request (a page
    asks it for every button it shows)."""
    if not has_request_context():
        return frozenset(kind for kind, _function in functions_in(user_id, round_id))
    cache = g.setdefault("_seat_kinds", {})
    if (user_id, round_id) not in cache:
        cache[user_id, round_id] = frozenset(k for k, _f in functions_in(user_id, round_id))
    return cache[user_id, round_id]


def _rounds_with_seat(user_id: int, kinds: tuple[str, ...]) -> set[int]:
    return rounds_where_member(user_id, *(BodyKind(kind) for kind in kinds))


def register_with_rounds() -> None:
    """Tell the rounds domain who sits where (called once by the app factory)."""
    register_seat_lookup(_seat_kinds, _rounds_with_seat)


# The bodies' decisions and the Council's minutes, once issued (exam/council/issuing.py): read
# by whoever reads the round's bodies, and its meetings, as on their pages.
register_access(DocumentKind.BODY_DECISION, lambda user, doc: can_view_bodies(user, doc.round_id))
register_access(
    DocumentKind.COUNCIL_MINUTES, lambda user, doc: can_view_meetings(user, doc.round_id)
)
