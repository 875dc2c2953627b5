"""Rounds, their schedule and rules, the organisation tree, positions and their standards,
and moving a round through its stages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.core.db import lock_row, utcnow
from exam.core.errors import DomainError, ValidationFailed
from exam.core.i18n import format_datetime, to_local
from exam.extensions import db
from exam.rounds.models import Position, Round, RoundStatus, Unit, UnitLevel
from exam.rounds.stages import guard_problems, run_entry_steps
from exam.rounds.standards import Standards

FROZEN = _l("Kỳ thi đã mở nhận hồ sơ: kế hoạch, quy chế và tiêu chuẩn đã công bố, không thể sửa.")


@dataclass(frozen=True)
class Schedule:
    """The round's dates; those beyond the registration window may be fixed later."""

    registration_opens_at: dt.datetime
    registration_closes_at: dt.datetime
    test_date: dt.date | None = None
    presentation_starts_on: dt.date | None = None
    presentation_ends_on: dt.date | None = None
    appointment_expected_on: dt.date | None = None


@dataclass(frozen=True)
class Rules:
    """The round's numbers, docs/domain.md's values as defaults."""

    min_candidates_per_position: int = 2
    test_pass_mark: int = 50
    winner_min_score: int = 50
    panel_spread_limit: int = 10


RULE_LIMITS = {
    "min_candidates_per_position": (1, 20),
    "test_pass_mark": (0, 100),
    "winner_min_score": (0, 100),
    "panel_spread_limit": (0, 100),
}


def _check_schedule(schedule: Schedule) -> None:
    errors: list[tuple[str | None, str]] = []
    opens, closes = schedule.registration_opens_at, schedule.registration_closes_at
    if closes <= opens:
        errors.append(
            ("registration_closes_at", _l("Ngày hết hạn phải sau ngày bắt đầu nhận hồ sơ."))
        )
    deadline = to_local(closes).date()
    test, first, last = (
        schedule.test_date,
        schedule.presentation_starts_on,
        schedule.presentation_ends_on,
    )
    if test is not None and test <= deadline:
        errors.append(("test_date", _l("Ngày thi phải sau ngày hết hạn nhận hồ sơ.")))
    if first is not None and first <= deadline:
        errors.append(
            ("presentation_starts_on", _l("Ngày trình bày đề án phải sau hạn nhận hồ sơ."))
        )
    if first is not None and test is not None and first < test:
        errors.append(
            ("presentation_starts_on", _l("Ngày trình bày đề án không được trước ngày thi."))
        )
    if last is not None and first is None:
        errors.append(("presentation_starts_on", _l("Nhập cả ngày bắt đầu trình bày đề án.")))
    if last is not None and first is not None and last < first:
        errors.append(("presentation_ends_on", _l("Ngày kết thúc không được trước ngày bắt đầu.")))
    appointment = schedule.appointment_expected_on
    if appointment is not None:
        latest = max(d for d in (deadline, test, first, last) if d is not None)
        if appointment <= latest:
            errors.append(
                (
                    "appointment_expected_on",
                    _l("Ngày dự kiến bổ nhiệm phải sau các mốc thi tuyển."),
                )
            )
    if errors:
        raise ValidationFailed(errors)


def _check_rules(rules: Rules) -> None:
    errors = []
    for name, (low, high) in RULE_LIMITS.items():
        value = getattr(rules, name)
        if not low <= value <= high:
            errors.append((name, _l("Nhập số nguyên từ %(a)s đến %(b)s.", a=low, b=high)))
    if errors:
        raise ValidationFailed(errors)


def _snapshot(round_: Round) -> dict:
    return {
        "name": round_.name,
        "organisation": round_.organisation,
        "parent_body": round_.parent_body,
        "registration_opens_at": round_.registration_opens_at,
        "registration_closes_at": round_.registration_closes_at,
        "test_date": round_.test_date,
        "presentation_starts_on": round_.presentation_starts_on,
        "presentation_ends_on": round_.presentation_ends_on,
        "appointment_expected_on": round_.appointment_expected_on,
        "min_candidates_per_position": round_.min_candidates_per_position,
        "test_pass_mark": round_.test_pass_mark,
        "winner_min_score": round_.winner_min_score,
        "panel_spread_limit": round_.panel_spread_limit,
    }


def _apply(round_: Round, schedule: Schedule, rules: Rules) -> None:
    for name in Schedule.__dataclass_fields__:
        setattr(round_, name, getattr(schedule, name))
    for name in Rules.__dataclass_fields__:
        setattr(round_, name, getattr(rules, name))


def create_round(
    *,
    name: str,
    organisation: str,
    registration_opens_at: dt.datetime,
    registration_closes_at: dt.datetime,
    actor: User,
    parent_body: str | None = None,
    schedule: Schedule | None = None,
    rules: Rules | None = None,
) -> Round:
    schedule = schedule or Schedule(registration_opens_at, registration_closes_at)
    rules = rules or Rules()
    _check_schedule(schedule)
    _check_rules(rules)
    round_ = Round(name=name.strip(), organisation=organisation.strip(), created_by_id=actor.id)
    if parent_body and parent_body.strip():
        round_.parent_body = parent_body.strip()
    _apply(round_, schedule, rules)
    db.session.add(round_)
    record("round.create", round_, actor=actor, after=_snapshot(round_))
    return round_


# Rules another domain sets once it holds them (the results' formula sets the test's pass
# mark and the winner's minimum): ``owner(round_)`` → {rule: where it is set, in words}.
RuleOwner = Callable[[Round], dict[str, str]]
_rule_owners: list[RuleOwner] = []


def register_rule_owner(owner: RuleOwner) -> RuleOwner:
    _rule_owners.append(owner)
    return owner


def rules_owned_elsewhere(round_: Round) -> dict[str, str]:
    """The round's rules set on another page now, and where: the round form keeps them."""
    owned: dict[str, str] = {}
    for owner in _rule_owners:
        owned.update(owner(round_))
    return owned


def update_round(
    round_: Round,
    *,
    name: str,
    organisation: str,
    parent_body: str,
    schedule: Schedule,
    rules: Rules,
    actor: User,
) -> Round:
    """Change the plan and rules: only while the round is a draft."""
    if round_.rules_frozen:
        raise DomainError(FROZEN)
    _check_schedule(schedule)
    _check_rules(rules)
    owned = rules_owned_elsewhere(round_)
    if changed_elsewhere := [
        (rule, where)
        for rule, where in owned.items()
        if getattr(rules, rule) != getattr(round_, rule)
    ]:
        raise ValidationFailed(changed_elsewhere)
    before = _snapshot(round_)
    round_.name, round_.organisation = name.strip(), organisation.strip()
    round_.parent_body = parent_body.strip() or round_.parent_body
    _apply(round_, schedule, rules)
    db.session.flush()
    after = _snapshot(round_)
    changed = [k for k in after if after[k] != before[k]]
    record(
        "round.update",
        round_,
        actor=actor,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
    )
    return round_


# --- the organisation tree ---------------------------------------------------------------


def _placement_errors(level: UnitLevel, parent: Unit | None) -> list[tuple[str | None, str]]:
    """Where a unit of ``level`` may hang: the city at the root, every other level exactly
    one level below its parent, never under a retired unit."""
    if level == UnitLevel.CITY:
        return [("parent_id", _l("Cấp thành phố không thuộc đơn vị nào."))] if parent else []
    if parent is None:
        return [("parent_id", _l("Chọn đơn vị cấp trên."))]
    if parent.level.depth != level.depth - 1:
        message = _l(
            "Đơn vị cấp «%(l)s» phải thuộc một đơn vị cấp «%(p)s».",
            l=level.title,
            p=list(UnitLevel)[level.depth - 1].title,
        )
        return [("parent_id", message)]
    if parent.retired:
        return [("parent_id", _l("Đơn vị cấp trên đã ngừng sử dụng."))]
    return []


def _name_taken(name: str, parent: Unit | None, exclude: Unit | None = None) -> bool:
    siblings = sa.select(Unit.id).where(
        Unit.name == name,
        Unit.parent_id == parent.id if parent is not None else Unit.parent_id.is_(None),
    )
    if exclude is not None:
        siblings = siblings.where(Unit.id != exclude.id)
    return db.session.scalar(siblings) is not None


def _checked_unit_name(name: str, parent: Unit | None, exclude: Unit | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationFailed([("name", _l("Vui lòng điền mục này."))])
    if _name_taken(name, parent, exclude):
        raise ValidationFailed([("name", _l("Đã có đơn vị cùng tên ở cấp này."))])
    return name


def _unit_snapshot(unit: Unit) -> dict:
    return {
        "name": unit.name,
        "level": unit.level,
        "parent_id": unit.parent_id,
        "retired": unit.retired,
    }


def create_unit(name: str, level: UnitLevel, parent: Unit | None, *, actor: User) -> Unit:
    if errors := _placement_errors(level, parent):
        if not " ".join(name.split()):
            errors.insert(0, ("name", _l("Vui lòng điền mục này.")))
        raise ValidationFailed(errors)
    name = _checked_unit_name(name, parent)
    unit = Unit(name=name, level=level, parent=parent)
    db.session.add(unit)
    record(
        "unit.create",
        unit,
        actor=actor,
        after={"name": name, "level": level, "parent_id": parent.id if parent else None},
    )
    return unit


def edit_unit(unit: Unit, *, name: str, parent: Unit | None, actor: User) -> Unit:
    """Rename a unit and/or move it under another parent of the level above (a department
    merged into another, a unit handed to a new managing body). Positions already
    announced keep the unit name they were announced with."""
    if parent is not unit.parent and (errors := _placement_errors(unit.level, parent)):
        raise ValidationFailed(errors)
    name = _checked_unit_name(name, parent, exclude=unit)
    before = _unit_snapshot(unit)
    unit.name, unit.parent = name, parent
    db.session.flush()
    record("unit.update", unit, actor=actor, before=before, after=_unit_snapshot(unit))
    return unit


def retire_unit(unit: Unit, *, actor: User, at: dt.datetime) -> Unit:
    """Take a unit out of use (dissolved, merged): it stays for the positions that name it,
    and nothing new may be placed under it. Its sub-units must be retired or moved first."""
    if unit.retired:
        raise DomainError(_l("Đơn vị này đã ngừng sử dụng."))
    if active := [child.name for child in unit.children if not child.retired]:
        raise DomainError(
            _l(
                "Còn đơn vị trực thuộc đang sử dụng: %(names)s. Hãy chuyển hoặc ngừng "
                "sử dụng các đơn vị này trước.",
                names=", ".join(active),
            )
        )
    before = _unit_snapshot(unit)
    unit.retired_at = at
    db.session.flush()
    record("unit.retire", unit, actor=actor, before=before, after=_unit_snapshot(unit))
    return unit


def restore_unit(unit: Unit, *, actor: User) -> Unit:
    if not unit.retired:
        raise DomainError(_l("Đơn vị này đang được sử dụng."))
    if unit.parent is not None and unit.parent.retired:
        raise DomainError(_l("Đơn vị cấp trên đã ngừng sử dụng: hãy khôi phục đơn vị đó trước."))
    before = _unit_snapshot(unit)
    unit.retired_at = None
    db.session.flush()
    record("unit.restore", unit, actor=actor, before=before, after=_unit_snapshot(unit))
    return unit


def display_unit_name(unit: Unit) -> str:
    """A division is shown with the public service unit it belongs to."""
    for node in reversed(unit.path):
        if node.level != UnitLevel.DIVISION:
            return node.name
    return unit.name


# --- positions ---------------------------------------------------------------------------


def _position_snapshot(position: Position) -> dict:
    return {
        "title": position.title,
        "unit_id": position.unit_id,
        "unit_name": position.unit_name,
        "posts": position.posts,
        "standards": position.standards,
        "criteria": position.criteria,
    }


def _check_position(round_: Round, title: str, unit_name: str, posts: int, exclude: int | None):
    errors: list[tuple[str | None, str]] = []
    if not title:
        errors.append(("title", _l("Vui lòng điền mục này.")))
    if not unit_name:
        errors.append(("unit_id", _l("Chọn đơn vị của vị trí.")))
    if not 1 <= posts <= 50:
        errors.append(("posts", _l("Từ 1 đến 50.")))
    if any(
        p.title == title and p.unit_name == unit_name and p.id != exclude for p in round_.positions
    ):
        errors.append(("title", _l("Vị trí này đã có trong kỳ thi.")))
    if errors:
        raise ValidationFailed(errors)


def _refuse_retired(unit: Unit | None, current_unit_id: int | None) -> None:
    """A new place for a position must be a unit in use (a position may stay where it is)."""
    if unit is not None and unit.retired and unit.id != current_unit_id:
        raise ValidationFailed([("unit_id", _l("Đơn vị này đã ngừng sử dụng."))])


def add_position(
    round_: Round,
    *,
    title: str,
    posts: int,
    actor: User,
    unit: Unit | None = None,
    unit_name: str | None = None,
    standards: str = "",
    criteria: Standards | None = None,
) -> Position:
    """A position of the round, in its unit of the tree (``unit``), or named only
    (``unit_name``) for units outside the tree."""
    if round_.rules_frozen:
        raise DomainError(_l("Chỉ thêm vị trí khi kỳ thi còn là bản nháp."))
    title = " ".join(title.split())
    _refuse_retired(unit, None)
    name = display_unit_name(unit) if unit is not None else " ".join((unit_name or "").split())
    _check_position(round_, title, name, posts, None)
    position = Position(
        round=round_,
        title=title,
        unit=unit,
        unit_name=name,
        posts=posts,
        standards=standards.strip(),
        criteria=(criteria or Standards()).to_dict(),
    )
    db.session.add(position)
    record("position.create", position, actor=actor, after=_position_snapshot(position))
    return position


def update_position(
    position: Position,
    *,
    title: str,
    unit: Unit | None,
    posts: int,
    standards: str,
    criteria: Standards,
    actor: User,
) -> Position:
    if position.round.rules_frozen:
        raise DomainError(FROZEN)
    title = " ".join(title.split())
    _refuse_retired(unit, position.unit_id)
    name = display_unit_name(unit) if unit is not None else position.unit_name
    _check_position(position.round, title, name, posts, position.id)
    before = _position_snapshot(position)
    position.title, position.unit, position.unit_name = title, unit, name
    position.posts, position.standards = posts, standards.strip()
    position.criteria = criteria.to_dict()
    db.session.flush()
    record(
        "position.update", position, actor=actor, before=before, after=_position_snapshot(position)
    )
    return position


def stop_position(position: Position, *, reason: str, actor: User, at: dt.datetime) -> Position:
    """Stop the selection for one position (e.g. fewer eligible candidates than the round's
    minimum, 2424/BNV-CCVC); the others go on."""
    round_ = position.round
    if round_.status not in (RoundStatus.REGISTRATION_CLOSED, RoundStatus.SCREENING):
        raise DomainError(_l("Chỉ dừng một vị trí sau khi hết hạn nhận hồ sơ và trước khi thi."))
    if position.stopped_at is not None:
        raise DomainError(_l("Vị trí này đã dừng thi tuyển."))
    reason = reason.strip()
    if not reason:
        raise ValidationFailed([("reason", _l("Cần ghi rõ lý do dừng thi tuyển vị trí này."))])
    position.stopped_at, position.stop_reason = at, reason
    record("position.stop", position, actor=actor, after={"reason": reason, "at": at})
    return position


# --- stages ------------------------------------------------------------------------------


def advance_problems(round_: Round, target: RoundStatus, at: dt.datetime) -> list[str]:
    """Why the round cannot move to ``target`` now (empty: it can): the rounds' own
    conditions, then the guards other domains registered (``exam/rounds/stages.py``)."""
    problems: list[str] = []
    if target == RoundStatus.REGISTRATION_OPEN and not round_.positions:
        problems.append(str(_l("Kỳ thi cần ít nhất một vị trí trước khi nhận hồ sơ.")))
    if target == RoundStatus.REGISTRATION_CLOSED and at < round_.registration_closes_at:
        problems.append(
            str(
                _l(
                    "Chưa hết thời hạn nhận hồ sơ (đến %(d)s).",
                    d=format_datetime(round_.registration_closes_at),
                )
            )
        )
    return problems + guard_problems(round_, target, at)


def advance_round(
    round_: Round,
    *,
    actor: User,
    at: dt.datetime | None = None,
    to: RoundStatus | None = None,
) -> Round:
    """Move the round to its next stage (the only move allowed), if its guards allow it.
    ``to``: the stage the user was shown as the next one. A second click, or two people at
    once, then move nothing more: the second waits for the first (the round's row locked)
    and is refused, instead of taking the round one stage further."""
    at = at or utcnow()
    lock_row(round_)
    target = round_.next_status()
    if to is not None and target != to:
        raise DomainError(
            _l(
                "Kỳ thi đã ở giai đoạn «%(s)s»: trang vừa dùng đã cũ, không chuyển thêm.",
                s=round_.status.title,
            )
        )
    if target is None:
        raise DomainError(_l("Kỳ thi đã kết thúc."))
    problems = advance_problems(round_, target, at)
    if problems:
        raise ValidationFailed([(None, p) for p in problems])
    before = round_.status
    run_entry_steps(round_, target, at)
    round_.move_to(target)
    after: dict = {"status": target}
    if target == RoundStatus.PUBLISHED:  # the appeal window counts from it (§9)
        round_.published_at = after["published_at"] = at
    record("round.advance", round_, actor=actor, before={"status": before}, after=after)
    return round_
