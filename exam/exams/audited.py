"""The papers' values the audit trail vouches for (``flask audit verify``), registered with
``exam/audit/reconcile.py``; imported by the app factory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.audit.reconcile import Field, Kind, compare_item_points, register_kind
from exam.exams.models import Attempt, AttemptQuestion
from exam.extensions import db


def _attempts() -> Iterator[tuple[str, dict[str, Any]]]:
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


register_kind(
    Kind(
        "Attempt",
        _l("bài thi"),
        (
            Field("score", _l("điểm trắc nghiệm")),
            Field("final_score", _l("điểm")),
            Field("item_points", _l("điểm các câu"), normalise=dict, default={}),
        ),
        _attempts,
        compare={"item_points": compare_item_points},
    )
)
