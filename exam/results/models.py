"""A position's computed standing: one row per eligible candidate, frozen when computed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.accounts.models import User
from exam.candidates.models import Application
from exam.core.db import TitledEnum, UTCDateTime, enum_column
from exam.council.models import MeetingItem
from exam.documents.models import IssuedDocument
from exam.extensions import db
from exam.rounds.models import Position, Round


class Outcome(TitledEnum):
    SELECTED = "selected"
    NOT_SELECTED = "not_selected"
    FAILED_GATE = "failed_gate"
    RESERVED = "reserved"
    PENDING_COUNCIL = "pending_council"  # tied for the last post: the Council decides

    @staticmethod
    def __titles__() -> dict:
        return {
            "selected": _l("Trúng tuyển"),
            "not_selected": _l("Không trúng tuyển"),
            "failed_gate": _l("Không đạt điểm tối thiểu"),
            "reserved": _l("Bảo lưu"),
            "pending_council": _l("Chờ Hội đồng quyết định"),
        }


class PartKind(TitledEnum):
    """Where a part's score comes from (exam/results/formula.py reads them)."""

    COMPUTER_TEST = "computer_test"  # the online test's score percent
    WRITTEN_TEST = "written_test"  # the paper tests marked under codes, once unsealed
    INTERVIEW = "interview"  # the panel score (đề án / interview)
    OTHER = "other"  # a further part named by the board, its scores entered per candidate

    @staticmethod
    def __titles__() -> dict:
        return {
            "computer_test": _l("Thi trắc nghiệm trên máy tính"),
            "written_test": _l("Thi viết"),
            "interview": _l("Đề án, phỏng vấn"),
            "other": _l("Phần thi khác"),
        }


class FormulaPreset(TitledEnum):
    LEADERSHIP = "leadership"
    CIVIL_SERVICE = "civil_service"
    CUSTOM = "custom"

    @staticmethod
    def __titles__() -> dict:
        return {
            "leadership": _l(
                "Thi tuyển lãnh đạo (Ban Tổ chức Trung ương): các phần trước là điều kiện, "
                "điểm đề án, phỏng vấn cao nhất từ 50 điểm trúng tuyển"
            ),
            "civil_service": _l(
                "Thi tuyển công chức: thi viết 70 %, phỏng vấn 30 %, mỗi phần từ 50 điểm"
            ),
            "custom": _l("Công thức riêng của Hội đồng"),
        }


class ResultFormula(db.Model):
    """How a round combines its parts into each candidate's total and outcome: set while the
    round is a draft, frozen once registration opens (exam/results/formula.py). A round
    without one uses the leadership preset."""

    __tablename__ = "result_formulas"
    __table_args__ = (
        sa.UniqueConstraint("round_id"),
        sa.CheckConstraint("winner_min_score BETWEEN 0 AND 100", name="winner_min_score_range"),
        sa.CheckConstraint("reserve_count >= 0", name="reserve_count_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id", ondelete="CASCADE"))
    preset: Mapped[FormulaPreset] = enum_column(FormulaPreset, default=FormulaPreset.LEADERSHIP)
    winner_min_score: Mapped[int] = mapped_column(default=50)  # the total, out of 100
    reserve_count: Mapped[int] = mapped_column(default=0)  # runners-up kept (bảo lưu)

    round: Mapped[Round] = relationship()
    parts: Mapped[list[FormulaPart]] = relationship(
        back_populates="formula", order_by="FormulaPart.seq", cascade="all, delete-orphan"
    )


class FormulaPart(db.Model):
    """One part of a formula: a gate (minimum score out of 100, below which the candidate is
    out) and/or a weight (percent of the total; the weighted parts' weights sum to 100).
    ``tie_break``: its place in the chain that orders equal totals (the Council ends it)."""

    __tablename__ = "formula_parts"
    __table_args__ = (
        sa.UniqueConstraint("formula_id", "seq"),
        sa.UniqueConstraint("formula_id", "name"),
        sa.UniqueConstraint("formula_id", "tie_break"),
        sa.CheckConstraint("seq >= 1", name="seq_positive"),
        sa.CheckConstraint("length(name) > 0", name="name_not_empty"),
        sa.CheckConstraint("gate IS NULL OR gate BETWEEN 0 AND 100", name="gate_range"),
        sa.CheckConstraint("weight IS NULL OR weight BETWEEN 1 AND 100", name="weight_range"),
        sa.CheckConstraint("gate IS NOT NULL OR weight IS NOT NULL", name="gate_or_weight"),
        sa.CheckConstraint("tie_break IS NULL OR tie_break >= 1", name="tie_break_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    formula_id: Mapped[int] = mapped_column(sa.ForeignKey("result_formulas.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column()
    kind: Mapped[PartKind] = enum_column(PartKind)
    name: Mapped[str] = mapped_column(sa.String(120))
    gate: Mapped[int | None] = mapped_column(nullable=True)
    weight: Mapped[int | None] = mapped_column(nullable=True)
    tie_break: Mapped[int | None] = mapped_column(nullable=True)

    formula: Mapped[ResultFormula] = relationship(back_populates="parts")


class PartScore(db.Model):
    """A candidate's score (out of 100) in a further part, entered by the board (audited)."""

    __tablename__ = "part_scores"
    __table_args__ = (
        sa.UniqueConstraint("part_id", "application_id"),
        sa.CheckConstraint("score BETWEEN 0 AND 100", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(sa.ForeignKey("formula_parts.id", ondelete="CASCADE"))
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE")
    )
    score: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))
    entered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    entered_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    part: Mapped[FormulaPart] = relationship()
    application: Mapped[Application] = relationship()


class RankingStatus(TitledEnum):
    DRAFT = "draft"  # computed, may be computed again
    APPROVED = "approved"  # by the Council's decision: locked
    PUBLISHED = "published"  # with the round's publication (or at once after it)
    SUPERSEDED = "superseded"  # a later version replaced it: kept, readable

    @staticmethod
    def __titles__() -> dict:
        return {
            "draft": _l("Dự thảo"),
            "approved": _l("Đã phê duyệt"),
            "published": _l("Đã công bố"),
            "superseded": _l("Đã được thay thế"),
        }


class Ranking(db.Model):
    """One computation of a position's standings (kept: a new one never erases the old).

    ``undecided_posts``: posts left open because candidates tie for the last of them; their
    rows are ``PENDING_COUNCIL`` until the Council decides.

    Its lifecycle (exam/results/publication.py): a draft until the Council approves it by a
    decision (``decision``: its number, date, signer and the version it makes), then locked;
    published with the round; superseded by a later version (a correction, an appeal), kept
    and readable. ``reason``: why this version was computed again ("" for the first)."""

    __tablename__ = "rankings"
    __table_args__ = (
        sa.CheckConstraint("undecided_posts >= 0", name="undecided_posts_positive"),
        # One published version of a position at a time: the one candidates and the public read.
        sa.Index(
            "uq_rankings_one_published",
            "position_id",
            unique=True,
            sqlite_where=sa.text("status = 'published'"),
            postgresql_where=sa.text("status = 'published'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    position_id: Mapped[int] = mapped_column(sa.ForeignKey("positions.id", ondelete="CASCADE"))
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    computed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    undecided_posts: Mapped[int] = mapped_column(default=0, server_default="0")
    status: Mapped[RankingStatus] = enum_column(
        RankingStatus, default=RankingStatus.DRAFT, server_default="draft"
    )
    reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    position: Mapped[Position] = relationship()
    computed_by: Mapped[User] = relationship()
    rows: Mapped[list[RankingRow]] = relationship(
        back_populates="ranking", order_by="RankingRow.row_number", cascade="all, delete-orphan"
    )
    decision: Mapped[RankingDecision | None] = relationship(back_populates="ranking")
    withdrawals: Mapped[list[Withdrawal]] = relationship(
        back_populates="ranking", order_by="Withdrawal.id", cascade="all, delete-orphan"
    )

    @property
    def version(self) -> int | None:
        """1, 2, … in the position's sequence of approved rankings; None for a draft."""
        return self.decision.version if self.decision is not None else None

    @property
    def locked(self) -> bool:
        return self.status != RankingStatus.DRAFT

    @property
    def pending_rows(self) -> list[RankingRow]:
        return [row for row in self.rows if row.outcome == Outcome.PENDING_COUNCIL]


class RankingRow(db.Model):
    """``row_number``: the row's place in the table (STT), unique; ``rank``: the standing,
    shared by candidates with equal scores (1, 1, 3)."""

    __tablename__ = "ranking_rows"
    __table_args__ = (
        sa.UniqueConstraint("ranking_id", "application_id"),
        sa.UniqueConstraint("ranking_id", "row_number"),
        sa.CheckConstraint("rank >= 1", name="rank_positive"),
        sa.CheckConstraint("rank <= row_number", name="rank_within_row_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ranking_id: Mapped[int] = mapped_column(sa.ForeignKey("rankings.id", ondelete="CASCADE"))
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"))
    row_number: Mapped[int] = mapped_column()
    rank: Mapped[int] = mapped_column()
    test_percent: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2), nullable=True)
    panel_score: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2), nullable=True)
    panel_sheets: Mapped[int] = mapped_column(default=0)
    written_score: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2), nullable=True)
    # The formula's total (2 decimals, half up); None for a candidate out at a gate.
    total: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2), nullable=True)
    # Every part of the formula as it was applied: [{"kind", "name", "score", "gate",
    # "weight", "passed"}] in the formula's order (scores as strings, None when absent).
    part_scores: Mapped[list[dict]] = mapped_column(sa.JSON, default=list)
    outcome: Mapped[Outcome] = enum_column(Outcome)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    # The line in words: each part, its gate and weight, the total, the rank, the rule.
    explanation: Mapped[str] = mapped_column(sa.Text, default="")

    ranking: Mapped[Ranking] = relationship(back_populates="rows")
    application: Mapped[Application] = relationship()

    @property
    def part_lines(self) -> list[tuple[str, Decimal | None]]:
        """Each part's name and score as the formula applied them (empty for a ranking
        computed before formulas)."""
        return [
            (part["name"], None if part["score"] is None else Decimal(part["score"]))
            for part in self.part_scores or []
        ]


class RankingDecision(db.Model):
    """The Council's decision approving a ranking: its number in the Council's sequence of
    the round (never one used by another decision of the round: the bodies' decisions are
    checked by exam/results/publication.py), its date and signer (the Council's Chair), and
    the version of the position's results it makes."""

    __tablename__ = "ranking_decisions"
    __table_args__ = (
        sa.UniqueConstraint("ranking_id"),
        sa.UniqueConstraint("round_id", "decision_number"),
        sa.UniqueConstraint("position_id", "version"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
        sa.CheckConstraint("length(decision_number) > 0", name="decision_number_not_empty"),
        sa.CheckConstraint("length(signer_name) > 0", name="signer_name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ranking_id: Mapped[int] = mapped_column(sa.ForeignKey("rankings.id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id", ondelete="CASCADE"))
    position_id: Mapped[int] = mapped_column(sa.ForeignKey("positions.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column()
    decision_number: Mapped[str] = mapped_column(sa.String(50))
    decided_on: Mapped[dt.date] = mapped_column(sa.Date)  # a Hanoi date
    signer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    signer_name: Mapped[str] = mapped_column(sa.String(120))
    approved_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    approved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # The proposal to the appointing authority for this version's winners, issued once with
    # its own number (exam/results/proposals.py).
    proposal_document_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("issued_documents.id"), unique=True, nullable=True
    )

    ranking: Mapped[Ranking] = relationship(back_populates="decision")
    signer: Mapped[User] = relationship(foreign_keys=[signer_id])
    proposal_document: Mapped[IssuedDocument | None] = relationship(
        foreign_keys=[proposal_document_id]
    )
    # The board's report on this version's results (figures and charts), issued once after
    # publication (exam/results/reports.py).
    report_document_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("issued_documents.id"), unique=True, nullable=True
    )


class Withdrawal(db.Model):
    """A winner of an approved ranking who withdrew, and the candidate called in their place
    (``called_row``: the reserve first, then the next ranked who passed the gates and the
    minimum; None when nobody is left)."""

    __tablename__ = "ranking_withdrawals"
    __table_args__ = (
        sa.UniqueConstraint("row_id"),
        sa.UniqueConstraint("called_row_id"),
        sa.CheckConstraint("length(reason) > 0", name="reason_not_empty"),
        sa.CheckConstraint("called_row_id IS NULL OR called_row_id != row_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ranking_id: Mapped[int] = mapped_column(sa.ForeignKey("rankings.id", ondelete="CASCADE"))
    row_id: Mapped[int] = mapped_column(sa.ForeignKey("ranking_rows.id", ondelete="CASCADE"))
    called_row_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ranking_rows.id", ondelete="CASCADE"), nullable=True
    )
    reason: Mapped[str] = mapped_column(sa.Text)
    withdrawn_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    ranking: Mapped[Ranking] = relationship(back_populates="withdrawals")
    row: Mapped[RankingRow] = relationship(foreign_keys=[row_id])
    called_row: Mapped[RankingRow | None] = relationship(foreign_keys=[called_row_id])


class PublicScope(TitledEnum):
    """What the public results page of a round shows, the board's choice."""

    WINNERS = "winners"
    ALL = "all"

    @staticmethod
    def __titles__() -> dict:
        return {
            "winners": _l("Chỉ người trúng tuyển"),
            "all": _l("Tất cả thí sinh, kèm tổng điểm và kết quả"),
        }


class PublicResults(db.Model):
    """A round's choice of what its public results page shows (absent: the winners only)."""

    __tablename__ = "public_results"
    __table_args__ = (sa.UniqueConstraint("round_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id", ondelete="CASCADE"))
    scope: Mapped[PublicScope] = enum_column(PublicScope, default=PublicScope.WINNERS)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))


class TieSettlement(db.Model):
    """The Council's recorded vote that settled a tie at a ranking's winning line: the item
    of its meeting whose adopted motion named the winner(s) (exam/results/ties.py)."""

    __tablename__ = "tie_settlements"
    __table_args__ = (sa.UniqueConstraint("ranking_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ranking_id: Mapped[int] = mapped_column(sa.ForeignKey("rankings.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("council_meeting_items.id"))
    settled_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    settled_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    ranking: Mapped[Ranking] = relationship()
    item: Mapped[MeetingItem] = relationship()


class ScoresHandOver(db.Model):
    """When the board received the last scores of a round to aggregate them (docs/domain.md
    §8: aggregated within 5 working days): the latest of the last panel sheet sealed, the
    last spread ruled and the written tests unsealed, recorded when the round enters the
    results stage, which it enters only once every part is scored (the stages' guards). Kept
    as recorded: a later re-mark (an appeal) makes a new version, not a new aggregation."""

    __tablename__ = "scores_hand_overs"
    __table_args__ = (sa.UniqueConstraint("round_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id", ondelete="CASCADE"))
    handed_over_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
