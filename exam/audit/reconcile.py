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
from flask_babel import lazy_gettext as _l

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


def _number(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return value  # not a number: compared (and shown) as it is


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "value", value))


def _application_status(value: Any) -> str | None:
    from exam.candidates.models import ApplicationStatus

    return _title(ApplicationStatus, value)


def _outcome(value: Any) -> str | None:
    from exam.results.models import Outcome

    return _title(Outcome, value)


def _title(enum_class: Any, value: Any) -> str | None:
    """A stored enum value as its title, in both the table's and the entry's version."""
    try:
        return enum_class(_text(value)).title
    except ValueError:
        return _text(value)


def _show(value: Any) -> str:
    if value is None:
        return _("(trống)")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


@dataclass(frozen=True)
class Field:
    key: str  # in the entry's ``after``
    label: Any  # lazy string: "điểm", "số báo danh"
    normalise: Callable[[Any], Any] = _number
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


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _differs(what: Any, noun: Any, object_id: str, now: Any, logged: Any) -> str:
    return _(
        "%(what)s của %(noun)s #%(id)s là %(now)s nhưng nhật ký ghi %(logged)s",
        what=_capital(str(what)),
        noun=noun,
        id=object_id,
        now=_show(now),
        logged=_show(logged),
    )


def _compare_item_points(kind: Kind, object_id: str, now: Any, logged: Any) -> Iterator[str]:
    now, logged = now or {}, logged if isinstance(logged, dict) else {}
    for item in sorted(set(now) | set(logged), key=lambda k: (len(k), k)):
        current, recorded = _number(now.get(item)), _number(logged.get(item))
        if current != recorded:
            yield _differs(
                _("điểm câu #%(item)s", item=item), kind.noun, object_id, current, recorded
            )


_ROW_COLUMNS = (  # the columns of a ranking row as ``ranking.compute`` lists them
    ("rank", _l("hạng"), int),
    ("panel_score", _l("điểm phỏng vấn"), _number),
    ("test_percent", _l("điểm thi trắc nghiệm (phần trăm)"), _number),
    ("outcome", _l("kết quả"), _outcome),
)


def _compare_rows(kind: Kind, object_id: str, now: Any, logged: Any) -> Iterator[str]:
    def by_application(rows: Any) -> dict[int, tuple]:
        return {int(row[0]): tuple(row[1:]) for row in rows or ()}

    current, recorded = by_application(now), by_application(logged)
    for application in sorted(set(current) | set(recorded)):
        if application not in recorded:
            yield _(
                "Bảng xếp hạng #%(id)s có dòng của hồ sơ #%(application)s mà nhật ký không ghi",
                id=object_id,
                application=application,
            )
            continue
        if application not in current:
            yield _(
                "Bảng xếp hạng #%(id)s thiếu dòng của hồ sơ #%(application)s mà nhật ký ghi",
                id=object_id,
                application=application,
            )
            continue
        for (_name, label, normalise), a, b in zip(
            _ROW_COLUMNS, current[application], recorded[application], strict=True
        ):
            a, b = (None if v is None else normalise(v) for v in (a, b))
            if a != b:
                yield _(
                    "%(what)s của hồ sơ #%(application)s trong bảng xếp hạng #%(id)s là "
                    "%(now)s nhưng nhật ký ghi %(logged)s",
                    what=_capital(str(label)),
                    application=application,
                    id=object_id,
                    now=_show(a),
                    logged=_show(b),
                )


# --- the watched kinds and how to read them from their tables today -----------------------


def _attempts() -> Iterator[tuple[str, dict[str, Any]]]:
    from exam.exams.models import Attempt, AttemptQuestion

    points: dict[int, dict[str, float]] = {}
    for row in db.session.execute(
        sa.select(
            AttemptQuestion.attempt_id, AttemptQuestion.id, AttemptQuestion.awarded_points
        ).where(AttemptQuestion.awarded_points.is_not(None))
    ):
        points.setdefault(row.attempt_id, {})[str(row.id)] = row.awarded_points
    for row in db.session.execute(sa.select(Attempt.id, Attempt.score, Attempt.final_score)):
        yield (
            str(row.id),
            {
                "score": row.score,
                "final_score": row.final_score,
                "item_points": points.get(row.id, {}),
            },
        )


def _sheets() -> Iterator[tuple[str, dict[str, Any]]]:
    from exam.panels.models import ScoreSheet

    for row in db.session.execute(
        sa.select(ScoreSheet.id, ScoreSheet.application_id, ScoreSheet.score)
    ):
        yield str(row.id), {"application_id": row.application_id, "score": row.score}


def _applications() -> Iterator[tuple[str, dict[str, Any]]]:
    from exam.candidates.models import Application

    for row in db.session.execute(
        sa.select(Application.id, Application.status, Application.registration_number)
    ):
        yield (
            str(row.id),
            {"status": row.status, "registration_number": row.registration_number},
        )


def _rankings() -> Iterator[tuple[str, dict[str, Any]]]:
    from exam.results.models import Ranking, RankingRow

    rows: dict[int, list[list[Any]]] = {}
    for row in db.session.execute(
        sa.select(
            RankingRow.ranking_id,
            RankingRow.application_id,
            RankingRow.rank,
            RankingRow.panel_score,
            RankingRow.test_percent,
            RankingRow.outcome,
        ).order_by(RankingRow.ranking_id, RankingRow.rank)
    ):
        rows.setdefault(row.ranking_id, []).append(list(row[1:]))
    for ranking_id in db.session.scalars(sa.select(Ranking.id)):
        yield str(ranking_id), {"rows": rows.get(ranking_id, [])}


KINDS = (
    Kind(
        "Attempt",
        _l("bài thi"),
        (
            Field("score", _l("điểm trắc nghiệm")),
            Field("final_score", _l("điểm")),
            Field("item_points", _l("điểm các câu"), normalise=dict, default={}),
        ),
        _attempts,
        compare={"item_points": _compare_item_points},
    ),
    Kind(
        "ScoreSheet",
        _l("phiếu chấm"),
        (
            Field("score", _l("điểm")),
            Field("application_id", _l("hồ sơ được chấm"), normalise=_text),
        ),
        _sheets,
        always_recorded=True,
    ),
    Kind(
        "Application",
        _l("hồ sơ"),
        (
            Field(
                "status",
                _l("kết quả xét hồ sơ"),
                normalise=_application_status,
                default="submitted",
            ),
            Field("registration_number", _l("số báo danh"), normalise=_text),
        ),
        _applications,
    ),
    Kind(
        "Ranking",
        _l("bảng xếp hạng"),
        (Field("rows", _l("các dòng"), normalise=list, default=[]),),
        _rankings,
        always_recorded=True,
        compare={"rows": _compare_rows},
    ),
)


def audited_values() -> dict[tuple[str, str], dict[str, Any]]:
    """(object type, object id) → the newest value of each watched key, in chain order."""
    watched = {kind.object_type: {f.key for f in kind.fields} for kind in KINDS}
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
    for kind in KINDS:
        for object_id, now in kind.current():
            logged = trail.pop((kind.object_type, object_id), None)
            if logged is None and kind.always_recorded:
                problems.append(
                    _(
                        "%(noun)s #%(id)s không có trong nhật ký",
                        noun=_capital(str(kind.noun)),
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
                        noun=_capital(str(kind.noun)),
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
            problems.append(_differs(f.label, kind.noun, object_id, a, b))
    return problems
