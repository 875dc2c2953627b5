"""A panel, its members, and the sheet each member signs for each candidate."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.accounts.models import User
from exam.candidates.models import Application
from exam.core.db import TimestampMixin, TitledEnum, UTCDateTime, enum_column
from exam.extensions import db
from exam.rounds.models import Position

MAX_PANEL_SCORE = Decimal(100)


class PanelRole(TitledEnum):
    CHAIR = "chair"
    SECRETARY = "secretary"
    MEMBER = "member"

    @staticmethod
    def __titles__() -> dict:
        return {
            "chair": _l("Trưởng ban"),
            "secretary": _l("Thư ký"),
            "member": _l("Ủy viên"),
        }


class Panel(TimestampMixin, db.Model):
    """Scores the candidates of one position."""

    __tablename__ = "panels"
    __table_args__ = (sa.UniqueConstraint("position_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    position_id: Mapped[int] = mapped_column(sa.ForeignKey("positions.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(200))

    position: Mapped[Position] = relationship()
    members: Mapped[list[PanelMember]] = relationship(
        back_populates="panel", cascade="all, delete-orphan", order_by="PanelMember.id"
    )


class PanelMember(db.Model):
    __tablename__ = "panel_members"
    __table_args__ = (sa.UniqueConstraint("panel_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(sa.ForeignKey("panels.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    role: Mapped[PanelRole] = enum_column(PanelRole, default=PanelRole.MEMBER)

    panel: Mapped[Panel] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class ScoreSheet(db.Model):
    """Phiếu chấm: one member's score for one candidate, given once, secret until results."""

    __tablename__ = "score_sheets"
    __table_args__ = (
        sa.UniqueConstraint("panel_member_id", "application_id"),
        sa.CheckConstraint("score >= 0 AND score <= 100", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("panel_members.id", ondelete="RESTRICT")
    )
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="RESTRICT")
    )
    score: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    member: Mapped[PanelMember] = relationship()
    application: Mapped[Application] = relationship()
