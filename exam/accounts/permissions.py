"""Who holds which role: the predicates every other domain's permissions build on."""

from __future__ import annotations

from typing import Any

from exam.accounts.models import Role


def _has(user: Any, *roles: Role) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.has_role(*roles)


def is_board(user: Any) -> bool:
    """The platform administration (the personnel office): creates rounds, sets up their
    Council and supervisory board, keeps the units and the accounts. A round's own powers
    come from seats on its bodies (exam/rounds/permissions.py), not from this role."""
    return _has(user, Role.BOARD_ADMIN)


def is_author(user: Any) -> bool:
    return _has(user, Role.QUESTION_AUTHOR)


def is_candidate(user: Any) -> bool:
    return _has(user, Role.CANDIDATE)


def can_administer_accounts(user: Any) -> bool:
    """The platform administration creates staff accounts, invites, deactivates and grants
    roles (today the board admin; the council-membership work narrows the board's own
    powers to its rounds, not this one)."""
    return _has(user, Role.BOARD_ADMIN)
