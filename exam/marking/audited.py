"""The marking's values the audit trail vouches for (``flask audit verify``), registered with
``exam/audit/reconcile.py``; imported by the app factory: each sealed sheet's score, each
script's final score (of 100), and the score a scanned script carries to the results."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.audit.reconcile import Field, Kind, register_kind
from exam.extensions import db
from exam.marking.models import MarkingSheet, PaperScript, Script


def _sheets() -> Iterator[tuple[str, dict[str, Any]]]:
    for row in db.session.execute(sa.select(MarkingSheet.id, MarkingSheet.score)):
        yield str(row.id), {"score": row.score}


def _scripts() -> Iterator[tuple[str, dict[str, Any]]]:
    for row in db.session.execute(sa.select(Script.id, Script.final_score)):
        yield str(row.id), {"score": row.final_score}


def _paper_scripts() -> Iterator[tuple[str, dict[str, Any]]]:
    for row in db.session.execute(sa.select(PaperScript.id, PaperScript.points, PaperScript.score)):
        yield str(row.id), {"points": row.points, "score": row.score}


# Made by the hand-over unscored, each sheet is audited when it is sealed (marking.submit_sheet).
register_kind(
    Kind("MarkingSheet", _l("phiếu chấm bài viết"), (Field("score", _l("điểm")),), _sheets)
)
# A script's final score: marking.reconcile, marking.settle, marking.zero.
register_kind(
    Kind("Script", _l("bài thi theo số phách"), (Field("score", _l("điểm cuối cùng")),), _scripts)
)
# What the results read of a paper test: marking.join_score at unsealing (join_remark on appeal).
register_kind(
    Kind(
        "PaperScript",
        _l("bài thi viết trên giấy"),
        (Field("points", _l("điểm")), Field("score", _l("điểm (thang 100)"))),
        _paper_scripts,
    )
)
