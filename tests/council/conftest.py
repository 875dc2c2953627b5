"""Builders for a round's bodies and seats, through the council's operations."""

from __future__ import annotations

import datetime as dt
import itertools

from exam.accounts.models import Role, User
from exam.council.models import Body, BodyKind, MemberFunction, Membership
from exam.council.operations import add_member, set_up_body
from exam.council.queries import body_of_round
from exam.extensions import db
from exam.rounds.models import Round

_numbers = itertools.count(1)
DECIDED_ON = dt.date(2026, 2, 5)


def set_up(
    round_: Round, kind: BodyKind, *, name: str = "", actor: User | None = None, number=None
) -> Body:
    """A body of ``round_`` (its Council first, for a board)."""
    actor = actor or _admin()
    if kind.is_board and body_of_round(round_.id, BodyKind.COUNCIL) is None:
        set_up(round_, BodyKind.COUNCIL, actor=actor)
    body = set_up_body(
        round_,
        kind,
        name=name,
        decision_number=number or f"{next(_numbers)}/QĐ-HĐTT",
        decision_on=DECIDED_ON,
        signer_name="Nguyễn Văn Ký",
        signer_title="Giám đốc Sở Nội vụ" if not kind.is_board else "Chủ tịch Hội đồng thi tuyển",
        actor=actor,
    )
    db.session.flush()
    return body


def seat(
    round_: Round,
    kind: BodyKind,
    user: User,
    function: MemberFunction = MemberFunction.MEMBER,
) -> Membership:
    """``user`` seated on the round's body of ``kind`` (set up if missing)."""
    body = body_of_round(round_.id, kind)
    if body is None:
        body = set_up(round_, kind, name="Vị trí 1" if kind == BodyKind.INTERVIEW else "")
    membership = add_member(body, user, function, actor=_admin())
    db.session.flush()
    return membership


def _admin() -> User:
    from tests.factories import Factories

    return Factories.user(Role.BOARD_ADMIN)
