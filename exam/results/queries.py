"""Reading rankings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.audit.operations import Anchor
from exam.candidates.models import Application, Gender
from exam.core.documents import COUNCIL, DocumentFrame, council_signature
from exam.documents.numbering import HeldNumber, number_source
from exam.extensions import db
from exam.results.models import (
    Outcome,
    PublicResults,
    PublicScope,
    Ranking,
    RankingDecision,
    RankingRow,
    RankingStatus,
    Withdrawal,
)
from exam.rounds.models import Position, Round, RoundStatus


def latest_ranking(position_id: int) -> Ranking | None:
    return db.session.scalars(
        sa.select(Ranking).where(Ranking.position_id == position_id).order_by(Ranking.id.desc())
    ).first()


def current_version(position_id: int) -> Ranking | None:
    """The position's latest version approved by the Council (published or not)."""
    return db.session.scalars(
        sa.select(Ranking)
        .where(
            Ranking.position_id == position_id,
            Ranking.status.in_((RankingStatus.APPROVED, RankingStatus.PUBLISHED)),
        )
        .order_by(Ranking.id.desc())
    ).first()


def published_ranking(position: Position) -> Ranking | None:
    """The version candidates and the public read: None before publication."""
    return db.session.scalar(
        sa.select(Ranking).where(
            Ranking.position_id == position.id, Ranking.status == RankingStatus.PUBLISHED
        )
    )


def versions_of(position_id: int) -> list[Ranking]:
    """The position's approved versions, 1 first (superseded ones kept and readable)."""
    return list(
        db.session.scalars(
            sa.select(Ranking)
            .join(RankingDecision, RankingDecision.ranking_id == Ranking.id)
            .where(Ranking.position_id == position_id)
            .order_by(RankingDecision.version)
        )
    )


def next_version(position_id: int) -> int:
    last = db.session.scalar(
        sa.select(sa.func.max(RankingDecision.version)).where(
            RankingDecision.position_id == position_id
        )
    )
    return (last or 0) + 1


@number_source
def ranking_decision_numbers(round_id: int) -> list[HeldNumber]:
    """The numbers of the Council's decisions approving the round's rankings, for the
    register of numbers (exam/documents/numbering.py): held from the approval, before the
    decision's document is issued in the background."""
    rows = db.session.execute(
        sa.select(RankingDecision, Position)
        .join(Position, Position.id == RankingDecision.position_id)
        .where(RankingDecision.round_id == round_id)
        .order_by(RankingDecision.id)
    )
    return [
        HeldNumber(
            decision.decision_number,
            COUNCIL,
            decision.decided_on,
            str(
                _l(
                    "Quyết định phê duyệt kết quả vị trí %(p)s (phiên bản %(v)s)",
                    p=position.label,
                    v=decision.version,
                )
            ),
        )
        for decision, position in rows
    ]


def withdrawals_by_row(ranking: Ranking) -> tuple[dict[int, Withdrawal], dict[int, Withdrawal]]:
    """The ranking's withdrawals by the withdrawn row and by the row called in its place."""
    withdrawn = {w.row_id: w for w in ranking.withdrawals}
    called = {w.called_row_id: w for w in ranking.withdrawals if w.called_row_id is not None}
    return withdrawn, called


def public_scope(round_id: int) -> PublicScope:
    scope = db.session.scalar(
        sa.select(PublicResults.scope).where(PublicResults.round_id == round_id)
    )
    return scope or PublicScope.WINNERS


@dataclass(frozen=True)
class PublishedLine:
    """A published result as a candidate or the public reads it."""

    position: Position
    ranking: Ranking
    row: RankingRow
    withdrawn: Withdrawal | None
    called: Withdrawal | None

    @property
    def is_winner(self) -> bool:
        if self.withdrawn is not None:
            return False
        return self.row.outcome == Outcome.SELECTED or self.called is not None

    @property
    def outcome_title(self) -> str:
        if self.withdrawn is not None:
            return str(_l("Đã từ chối kết quả trúng tuyển"))
        if self.called is not None:
            return str(_l("Trúng tuyển (thay người từ chối)"))
        return self.row.outcome.title


def _lines(ranking: Ranking, rows: list[RankingRow]) -> list[PublishedLine]:
    withdrawn, called = withdrawals_by_row(ranking)
    return [
        PublishedLine(ranking.position, ranking, row, withdrawn.get(row.id), called.get(row.id))
        for row in rows
    ]


def my_results(user_id: int) -> list[PublishedLine]:
    """The candidate's own lines in published rankings, never another's."""
    rows = db.session.scalars(
        sa.select(RankingRow)
        .join(Ranking, Ranking.id == RankingRow.ranking_id)
        .join(Application, Application.id == RankingRow.application_id)
        .where(Application.candidate_id == user_id, Ranking.status == RankingStatus.PUBLISHED)
        .order_by(Ranking.position_id, RankingRow.id)
    )
    return [line for row in rows for line in _lines(row.ranking, [row])]


def is_published(round_: Round) -> bool:
    return round_.status in (RoundStatus.PUBLISHED, RoundStatus.CLOSED)


def public_lines(round_: Round, *, registration_number: str = "") -> list[PublishedLine]:
    """What the public page shows of a published round: the board's choice (the winners, or
    every candidate), optionally one registration number."""
    lines: list[PublishedLine] = []
    scope = public_scope(round_.id)
    for position in round_.positions:
        ranking = published_ranking(position)
        if ranking is None:
            continue
        for line in _lines(ranking, list(ranking.rows)):
            if scope == PublicScope.WINNERS and not line.is_winner:
                continue
            wanted = registration_number.strip().casefold()
            if wanted and (line.row.application.registration_number or "").casefold() != wanted:
                continue
            lines.append(line)
    return lines


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
