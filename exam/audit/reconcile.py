"""What the trail vouches for: the scores, sheets and decisions as the last audit entry of
each object left them, compared with the tables today. A value changed in its table behind
the application's back (an UPDATE in SQL) has no entry that explains it.

Each watched kind names the keys of ``after`` that carry its values; the newest entry of an
object that has a key gives that value (an object no entry mentions has the kind's defaults).
The operations that change these values write them in their entry's ``after``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from exam.audit.models import AuditEntry
from exam.extensions import db


def attempt_values(attempt: Any) -> dict[str, Any]:
    """A paper's values that its audit entries carry: the automatic part of the score, the
    final score and the points of each question that has them (by item id)."""
    return {
        "score": attempt.score,
        "final_score": attempt.final_score,
        "item_points": {
            str(item.id): item.awarded_points
            for item in attempt.questions
            if item.awarded_points is not None
        },
    }


# --- comparing values -------------------------------------------------------------------


def number(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return value  # not a number: compared (and shown) as it is


def text(value: Any) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "value", value))


def enum_title(enum_class: Any, value: Any) -> str | None:
    """A stored enum value as its title, in both the table's and the entry's version."""
    try:
        return enum_class(text(value)).title
    except ValueError:
        return text(value)


def show(value: Any) -> str:
    if value is None:
        return _("(trống)")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


@dataclass(frozen=True)
class Field:
    key: str  # in the entry's ``after``
    label: Any  # lazy string: "điểm", "số báo danh"
    normalise: Callable[[Any], Any] = number
    default: Any = None


@dataclass(frozen=True)
class Kind:
    object_type: str  # as the entries name it: the model's class name
    noun: Any  # lazy string: "bài thi", "phiếu chấm"
    fields: tuple[Field, ...]
    current: Callable[[], Iterable[tuple[str, dict[str, Any]]]]
    # Made only by an audited operation: a row that no entry mentions was slipped in.
    always_recorded: bool = False
    compare: dict[str, Callable[..., Iterator[str]]] = field(default_factory=dict)


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def differs(what: Any, noun: Any, object_id: str, now: Any, logged: Any) -> str:
    return _(
        "%(what)s của %(noun)s #%(id)s là %(now)s nhưng nhật ký ghi %(logged)s",
        what=capital(str(what)),
        noun=noun,
        id=object_id,
        now=show(now),
        logged=show(logged),
    )


def compare_item_points(kind: Kind, object_id: str, now: Any, logged: Any) -> Iterator[str]:
    now, logged = now or {}, logged if isinstance(logged, dict) else {}
    for item in sorted(set(now) | set(logged), key=lambda k: (len(k), k)):
        current, recorded = number(now.get(item)), number(logged.get(item))
        if current != recorded:
            yield differs(
                _("điểm câu #%(item)s", item=item), kind.noun, object_id, current, recorded
            )


# --- the watched kinds, registered by the domains that own them -----------------------------

# Each domain whose values the trail vouches for registers its kind (exams: papers; panels:
# sheets; candidates: decisions; results: rankings), so that the audit, at the bottom, reads
# no domain above it. The app factory imports the modules that register.
_KINDS: dict[str, Kind] = {}


def register_kind(kind: Kind) -> Kind:
    _KINDS[kind.object_type] = kind
    return kind


def kinds() -> tuple[Kind, ...]:
    """The registered kinds, in the order they were registered."""
    return tuple(_KINDS.values())


def audited_values() -> dict[tuple[str, str], dict[str, Any]]:
    """(object type, object id) → the newest value of each watched key, in chain order."""
    watched = {kind.object_type: {f.key for f in kind.fields} for kind in kinds()}
    values: dict[tuple[str, str], dict[str, Any]] = {}
    for row in db.session.execute(
        sa.select(AuditEntry.object_type, AuditEntry.object_id, AuditEntry.after)
        .where(AuditEntry.object_type.in_(watched))
        .order_by(AuditEntry.seq)
    ):
        known = values.setdefault((row.object_type, row.object_id), {})
        if isinstance(row.after, dict):
            known.update({k: v for k, v in row.after.items() if k in watched[row.object_type]})
    return values


def compare_with_trail() -> list[str]:
    """Each watched value whose table no longer says what the trail last recorded, in words."""
    trail = audited_values()
    problems: list[str] = []
    for kind in kinds():
        for object_id, now in kind.current():
            logged = trail.pop((kind.object_type, object_id), None)
            if logged is None and kind.always_recorded:
                problems.append(
                    _(
                        "%(noun)s #%(id)s không có trong nhật ký",
                        noun=capital(str(kind.noun)),
                        id=object_id,
                    )
                )
                continue
            problems += _compare(kind, object_id, now, logged or {})
        for (object_type, object_id), logged in sorted(trail.items()):
            if object_type == kind.object_type and any(
                logged.get(f.key, f.default) != f.default for f in kind.fields
            ):
                problems.append(
                    _(
                        "%(noun)s #%(id)s có trong nhật ký nhưng không còn trong cơ sở dữ liệu",
                        noun=capital(str(kind.noun)),
                        id=object_id,
                    )
                )
    return problems


def _compare(kind: Kind, object_id: str, now: dict[str, Any], logged: dict[str, Any]) -> list[str]:
    problems = []
    for f in kind.fields:
        current, recorded = now.get(f.key), logged.get(f.key, f.default)
        if f.key in kind.compare:
            problems += kind.compare[f.key](kind, object_id, current, recorded)
            continue
        a = None if current is None else f.normalise(current)
        b = None if recorded is None else f.normalise(recorded)
        if a != b:
            problems.append(differs(f.label, kind.noun, object_id, a, b))
    return problems
