"""The score sheets' values the audit trail vouches for (``flask audit verify``), registered
with ``exam/audit/reconcile.py``; imported by the app factory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.audit.reconcile import Field, Kind, register_kind, text
from exam.extensions import db
from exam.panels.models import ScoreSheet


def _sheets() -> Iterator[tuple[str, dict[str, Any]]]:
    # Sealed sheets only: a draft (or a reopened sheet being rewritten) is the member's
    # work in progress, recorded when sealed.
    for row in db.session.execute(
        sa.select(ScoreSheet.id, ScoreSheet.application_id, ScoreSheet.score).where(
            ScoreSheet.submitted_at.is_not(None)
        )
    ):
        yield str(row.id), {"application_id": row.application_id, "score": row.score}


register_kind(
    Kind(
        "ScoreSheet",
        _l("phiếu chấm"),
        (
            Field("score", _l("điểm")),
            Field("application_id", _l("hồ sơ được chấm"), normalise=text),
        ),
        _sheets,
        always_recorded=True,
    )
)
