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
            "failed_gate": _l("Không đạt vòng thi trắc nghiệm"),
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


class Ranking(db.Model):
    """One computation of a position's standings (kept: a new one never erases the old).

    ``undecided_posts``: posts left open because candidates tie for the last of them; their
    rows are ``PENDING_COUNCIL`` until the Council decides."""

    __tablename__ = "rankings"
    __table_args__ = (sa.CheckConstraint("undecided_posts >= 0", name="undecided_posts_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    position_id: Mapped[int] = mapped_column(sa.ForeignKey("positions.id", ondelete="CASCADE"))
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    computed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    undecided_posts: Mapped[int] = mapped_column(default=0, server_default="0")

    position: Mapped[Position] = relationship()
    computed_by: Mapped[User] = relationship()
    rows: Mapped[list[RankingRow]] = relationship(
        back_populates="ranking", order_by="RankingRow.row_number", cascade="all, delete-orphan"
    )

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
