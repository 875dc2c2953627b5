"""Creating rounds and positions, and moving a round through its stages."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.core.errors import DomainError, ValidationFailed
from exam.extensions import db
from exam.rounds.models import Position, Round, RoundStatus


def create_round(
    *,
    name: str,
    organisation: str,
    registration_opens_at: dt.datetime,
    registration_closes_at: dt.datetime,
    actor: User,
) -> Round:
    if registration_closes_at <= registration_opens_at:
        raise ValidationFailed(
            [("registration_closes_at", _l("Ngày hết hạn phải sau ngày bắt đầu nhận hồ sơ."))]
        )
    round_ = Round(
        name=name.strip(),
        organisation=organisation.strip(),
        registration_opens_at=registration_opens_at,
        registration_closes_at=registration_closes_at,
        created_by_id=actor.id,
    )
    db.session.add(round_)
    record(
        "round.create",
        round_,
        actor=actor,
        after={
            "name": round_.name,
            "registration_opens_at": registration_opens_at,
            "registration_closes_at": registration_closes_at,
        },
    )
    return round_


def add_position(
    round_: Round, *, title: str, unit_name: str, posts: int, standards: str, actor: User
) -> Position:
    if round_.status != RoundStatus.DRAFT:
        raise DomainError(_l("Chỉ thêm vị trí khi kỳ thi còn là bản nháp."))
    title, unit_name = title.strip(), unit_name.strip()
    if any(p.title == title and p.unit_name == unit_name for p in round_.positions):
        raise ValidationFailed([("title", _l("Vị trí này đã có trong kỳ thi."))])
    position = Position(
        round=round_, title=title, unit_name=unit_name, posts=posts, standards=standards
    )
    db.session.add(position)
    record(
        "position.create",
        position,
        actor=actor,
        after={"round_id": round_.id, "title": title, "unit_name": unit_name, "posts": posts},
    )
    return position


def advance_round(round_: Round, *, actor: User) -> Round:
    """Move the round to its next stage (the only move allowed)."""
    target = round_.next_status()
    if target is None:
        raise DomainError(_l("Kỳ thi đã kết thúc."))
    if target == RoundStatus.REGISTRATION_OPEN and not round_.positions:
        raise DomainError(_l("Kỳ thi cần ít nhất một vị trí trước khi nhận hồ sơ."))
    before = round_.status
    round_.move_to(target)
    record(
        "round.advance", round_, actor=actor, before={"status": before}, after={"status": target}
    )
    return round_
