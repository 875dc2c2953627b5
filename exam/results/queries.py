"""Reading rankings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from exam.audit.operations import Anchor
from exam.candidates.models import Gender
from exam.core.documents import DocumentFrame, council_signature
from exam.extensions import db
from exam.results.models import Outcome, Ranking
from exam.rounds.models import Position


def latest_ranking(position_id: int) -> Ranking | None:
    return db.session.scalars(
        sa.select(Ranking).where(Ranking.position_id == position_id).order_by(Ranking.id.desc())
    ).first()


@dataclass(frozen=True)
class RankingLine:
    row_number: int
    full_name: str
    date_of_birth: dt.date
    gender: Gender
    registration_number: str
    test_percent: Decimal | None
    panel_score: Decimal | None
    rank: int
    outcome: Outcome
    note: str


@dataclass(frozen=True)
class RankingDocument:
    """A position's results as the PDF prints them."""

    document: DocumentFrame
    position: str
    round_name: str
    rows: tuple[RankingLine, ...]
    undecided_posts: int
    pending_count: int
    audit_anchor: str | None


def ranking_document(
    position: Position, ranking: Ranking, *, at: dt.datetime, audit_anchor: Anchor | None
) -> RankingDocument:
    """The results list signed by the Council's chair; ``audit_anchor`` ties it to the log."""
    frame = DocumentFrame(
        parent_body=position.round.parent_body,
        issued_at=at,
        signature=council_signature(),
        recipients=("Như trên", "Ban giám sát", "Lưu: HĐTT"),
    )
    lines = tuple(
        RankingLine(
            row_number=row.row_number,
            full_name=row.application.candidate.full_name,
            date_of_birth=row.application.date_of_birth,
            gender=row.application.gender,
            registration_number=row.application.registration_number or "",
            test_percent=row.test_percent,
            panel_score=row.panel_score,
            rank=row.rank,
            outcome=row.outcome,
            note=row.note,
        )
        for row in ranking.rows
    )
    return RankingDocument(
        document=frame,
        position=position.label,
        round_name=position.round.name,
        rows=lines,
        undecided_posts=ranking.undecided_posts,
        pending_count=len(ranking.pending_rows),
        audit_anchor=str(audit_anchor) if audit_anchor else None,
    )
