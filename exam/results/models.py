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

    @staticmethod
    def __titles__() -> dict:
        return {
            "selected": _l("Trúng tuyển"),
            "not_selected": _l("Không trúng tuyển"),
            "failed_gate": _l("Không đạt vòng thi trắc nghiệm"),
            "reserved": _l("Bảo lưu"),
        }


class Ranking(db.Model):
    """One computation of a position's standings (kept: a new one never erases the old)."""

    __tablename__ = "rankings"

    id: Mapped[int] = mapped_column(primary_key=True)
    position_id: Mapped[int] = mapped_column(sa.ForeignKey("positions.id", ondelete="CASCADE"))
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    computed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    notes: Mapped[str] = mapped_column(sa.Text, default="")

    position: Mapped[Position] = relationship()
    computed_by: Mapped[User] = relationship()
    rows: Mapped[list[RankingRow]] = relationship(
        back_populates="ranking", order_by="RankingRow.rank", cascade="all, delete-orphan"
    )


class RankingRow(db.Model):
    __tablename__ = "ranking_rows"
    __table_args__ = (
        sa.UniqueConstraint("ranking_id", "application_id"),
        sa.UniqueConstraint("ranking_id", "rank"),
        sa.CheckConstraint("rank >= 1", name="rank_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ranking_id: Mapped[int] = mapped_column(sa.ForeignKey("rankings.id", ondelete="CASCADE"))
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"))
    rank: Mapped[int] = mapped_column()
    test_percent: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2), nullable=True)
    panel_score: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2), nullable=True)
    panel_sheets: Mapped[int] = mapped_column(default=0)
    outcome: Mapped[Outcome] = enum_column(Outcome)
    note: Mapped[str] = mapped_column(sa.Text, default="")

    ranking: Mapped[Ranking] = relationship(back_populates="rows")
    application: Mapped[Application] = relationship()
