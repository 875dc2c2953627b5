"""Reading rounds."""

from __future__ import annotations

import sqlalchemy as sa

from exam.core.i18n import fold, vietnamese_sort_key
from exam.extensions import db
from exam.rounds.models import Round, RoundStatus, Unit


def public_rounds() -> list[Round]:
    """Announced rounds (everything past the draft), newest first."""
    return list(
        db.session.scalars(
            sa.select(Round).where(Round.status != RoundStatus.DRAFT).order_by(Round.id.desc())
        )
    )


def rounds_listed_for(round_ids: set[int]) -> list[Round]:
    """Announced rounds, and the rounds ``round_ids`` whatever their stage, newest first."""
    visible = Round.status != RoundStatus.DRAFT
    if round_ids:
        visible = sa.or_(visible, Round.id.in_(round_ids))
    return list(db.session.scalars(sa.select(Round).where(visible).order_by(Round.id.desc())))


def all_rounds() -> list[Round]:
    return list(db.session.scalars(sa.select(Round).order_by(Round.id.desc())))


def all_units() -> list[Unit]:
    """Every unit, depth-first from the city, siblings by name (Vietnamese order)."""
    units = list(db.session.scalars(sa.select(Unit)))
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    ordered: list[Unit] = []

    def walk(parent_id: int | None) -> None:
        for unit in sorted(children.get(parent_id, []), key=lambda u: vietnamese_sort_key(u.name)):
            ordered.append(unit)
            walk(unit.id)

    walk(None)
    return ordered


def units_matching(units: list[Unit], query: str) -> list[Unit]:
    """The units of ``units`` (in tree order) whose name holds ``query``, without regard to
    case or marks ("dong da" finds "Đống Đa"), each with the units above it so that the
    tree still reads as a tree."""
    needle = fold(query)
    if not needle:
        return units
    shown: set[int] = set()
    for unit in units:
        if needle in fold(unit.name):
            shown.update(node.id for node in unit.path)
    return [unit for unit in units if unit.id in shown]
