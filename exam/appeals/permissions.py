"""Who may do what with the appeals (docs/domain.md §9): the candidate files their own; the
round's Council, Ban phách and supervisory board read the round's appeals; the Ban phách codes
them again; the Chair or Member-secretary puts one on a meeting; the Chair decides. A
re-marker sees only their own sheets (the marking's sheet page), never an appeal. Anyone else:
404."""

from __future__ import annotations

from typing import Any

from exam.council.models import BodyKind, MemberFunction
from exam.council.permissions import is_council_secretariat, sits_on
from exam.council.queries import functions_in


def owns(user: Any, application: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and application.candidate_id == user.id


def can_view_appeals(user: Any, round_: Any) -> bool:
    """A seat on the round's Council, Ban phách or supervisory board (platform
    administration without a seat runs no round: 404)."""
    return sits_on(user, round_, BodyKind.COUNCIL, BodyKind.ANONYMISATION, BodyKind.SUPERVISORY)


def is_remarker(user: Any, round_: Any) -> bool:
    return sits_on(user, round_, BodyKind.REMARKING)


def can_start_remark(user: Any, round_: Any) -> bool:
    return sits_on(user, round_, BodyKind.ANONYMISATION)


def can_refer(user: Any, round_: Any) -> bool:
    return is_council_secretariat(user, round_)


def can_set_appeal_rules(user: Any, round_: Any) -> bool:
    """The round's appeal settings: the Council's Chair or Member-secretary, as for the
    marking's limits."""
    return is_council_secretariat(user, round_)


def is_remarking_head(user: Any, round_: Any) -> bool:
    """The head of the round's re-marking board: watches the re-marking's deadline."""
    round_id = round_ if isinstance(round_, int) else round_.id
    return bool(getattr(user, "is_authenticated", False)) and (
        BodyKind.REMARKING,
        MemberFunction.HEAD,
    ) in functions_in(user.id, round_id)


def is_chair(user: Any, round_: Any) -> bool:
    round_id = round_ if isinstance(round_, int) else round_.id
    return bool(getattr(user, "is_authenticated", False)) and (
        BodyKind.COUNCIL,
        MemberFunction.CHAIR,
    ) in functions_in(user.id, round_id)
