"""The rankings the audit trail vouches for (``flask audit verify``), registered with
``exam/audit/reconcile.py``; imported by the app factory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from exam.audit.reconcile import Field, Kind, capital, enum_title, number, register_kind, show
from exam.extensions import db
from exam.results.models import Outcome, Ranking, RankingRow


def _outcome(value: Any) -> str | None:
    return enum_title(Outcome, value)


_ROW_COLUMNS = (  # the columns of a ranking row as ``ranking.compute`` lists them
    ("rank", _l("hạng"), int),
    ("panel_score", _l("điểm phỏng vấn"), number),
    ("test_percent", _l("điểm thi trắc nghiệm (phần trăm)"), number),
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
                    what=capital(str(label)),
                    application=application,
                    id=object_id,
                    now=show(a),
                    logged=show(b),
                )


def _rankings() -> Iterator[tuple[str, dict[str, Any]]]:
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


register_kind(
    Kind(
        "Ranking",
        _l("bảng xếp hạng"),
        (Field("rows", _l("các dòng"), normalise=list, default=[]),),
        _rankings,
        always_recorded=True,
        compare={"rows": _compare_rows},
    )
)
