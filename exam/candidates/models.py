"""A candidate's application to one position of a round."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.accounts.models import User
from exam.core.db import TimestampMixin, TitledEnum, UTCDateTime, enum_column
from exam.extensions import db
from exam.rounds.models import Position, Round


class Gender(TitledEnum):
    MALE = "male"
    FEMALE = "female"

    @staticmethod
    def __titles__() -> dict:
        return {"male": _l("Nam"), "female": _l("Nữ")}


class ApplicationStatus(TitledEnum):
    SUBMITTED = "submitted"
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    WITHDRAWN = "withdrawn"

    @staticmethod
    def __titles__() -> dict:
        return {
            "submitted": _l("Đã nộp, chờ xét"),
            "eligible": _l("Đủ điều kiện"),
            "not_eligible": _l("Không đủ điều kiện"),
            "withdrawn": _l("Đã rút hồ sơ"),
        }


class Application(TimestampMixin, db.Model):
    __tablename__ = "applications"
    __table_args__ = (
        # One application per candidate and round (DOMAIN: a candidate sits for one post).
        sa.UniqueConstraint("round_id", "candidate_id"),
        sa.UniqueConstraint("round_id", "registration_number"),
        sa.CheckConstraint(
            "(status = 'eligible') = (registration_number IS NOT NULL)",
            name="registration_number_iff_eligible",
        ),
        sa.CheckConstraint(
            "status != 'not_eligible' OR length(decision_reason) > 0",
            name="rejection_has_reason",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id", ondelete="CASCADE"))
    position_id: Mapped[int] = mapped_column(sa.ForeignKey("positions.id", ondelete="CASCADE"))
    candidate_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[ApplicationStatus] = enum_column(
        ApplicationStatus, default=ApplicationStatus.SUBMITTED
    )
    registration_number: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)
    date_of_birth: Mapped[dt.date] = mapped_column(sa.Date)
    gender: Mapped[Gender] = enum_column(Gender)
    current_unit: Mapped[str] = mapped_column(sa.String(200))
    current_post: Mapped[str] = mapped_column(sa.String(200))
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")

    round: Mapped[Round] = relationship()
    position: Mapped[Position] = relationship()
    candidate: Mapped[User] = relationship()
