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
from exam.rounds.models import Position


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
    outcome: Mapped[Outcome] = enum_column(Outcome)
    note: Mapped[str] = mapped_column(sa.Text, default="")

    ranking: Mapped[Ranking] = relationship(back_populates="rows")
    application: Mapped[Application] = relationship()
