"""Checks that other domains add to "may this person join a body of this round?".

The candidates domain sits above this one (who applied is its business), so it registers
its check here instead of this domain importing it. Kept free of imports so that any domain
may register at import time."""

from __future__ import annotations

from collections.abc import Callable

# A check receives (user id, round id) and returns why that person may not sit on any body
# of the round, in words, or None.
MembershipCheck = Callable[[int, int], "str | None"]

_checks: list[MembershipCheck] = []


def register_membership_check(check: MembershipCheck) -> MembershipCheck:
    """Add ``check`` (once) to those run on every new member; usable as a decorator."""
    if check not in _checks:
        _checks.append(check)
    return check


def membership_refusals(user_id: int, round_id: int) -> list[str]:
    """Every registered reason this person may not sit on a body of this round."""
    return [reason for check in _checks if (reason := check(user_id, round_id))]


# Called with (round id, body kind's value, actor) once a member has joined a body: the
# marking draws a third marker that was waiting for the board to be enlarged.
MemberAddedHandler = Callable[[int, str, object], None]

_added: list[MemberAddedHandler] = []


def on_member_added(handler: MemberAddedHandler) -> MemberAddedHandler:
    """Register ``handler`` (once), called in the same transaction after each new member."""
    if handler not in _added:
        _added.append(handler)
    return handler


def member_added(round_id: int, kind: str, actor: object) -> None:
    for handler in _added:
        handler(round_id, kind, actor)
