"""A selection round, its rules and the positions it fills."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.core.db import TimestampMixin, TitledEnum, UTCDateTime, enum_column
from exam.core.errors import DomainError
from exam.extensions import db


class RoundStatus(TitledEnum):
    DRAFT = "draft"
    REGISTRATION_OPEN = "registration_open"
    REGISTRATION_CLOSED = "registration_closed"
    SCREENING = "screening"
    TESTING = "testing"
    INTERVIEWS = "interviews"
    RESULTS = "results"
    PUBLISHED = "published"
    CLOSED = "closed"

    @staticmethod
    def __titles__() -> dict:
        return {
            "draft": _l("Bản nháp"),
            "registration_open": _l("Đang nhận hồ sơ"),
            "registration_closed": _l("Đã hết hạn nhận hồ sơ"),
            "screening": _l("Đang xét điều kiện"),
            "testing": _l("Thi trắc nghiệm"),
            "interviews": _l("Trình bày đề án, phỏng vấn"),
            "results": _l("Tổng hợp kết quả"),
            "published": _l("Đã công bố kết quả"),
            "closed": _l("Đã kết thúc"),
        }


# Each status may only move to the next one (the stages of DOMAIN.md, in order).
ROUND_FLOW = list(RoundStatus)


class Round(TimestampMixin, db.Model):
    """Numbers here are the round's own rules, DOMAIN.md's values as defaults."""

    __tablename__ = "rounds"
    __table_args__ = (
        sa.CheckConstraint(
            "registration_closes_at > registration_opens_at", name="registration_window_order"
        ),
        sa.CheckConstraint("min_candidates_per_position >= 1", name="min_candidates_positive"),
        sa.CheckConstraint("test_pass_mark BETWEEN 0 AND 100", name="test_pass_mark_range"),
        sa.CheckConstraint("winner_min_score BETWEEN 0 AND 100", name="winner_min_score_range"),
        sa.CheckConstraint("panel_spread_limit >= 0", name="panel_spread_limit_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    organisation: Mapped[str] = mapped_column(sa.String(200))
    parent_body: Mapped[str] = mapped_column(sa.String(200), default="UBND THÀNH PHỐ HÀ NỘI")
    status: Mapped[RoundStatus] = enum_column(RoundStatus, default=RoundStatus.DRAFT)
    registration_opens_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    min_candidates_per_position: Mapped[int] = mapped_column(default=2)
    test_pass_mark: Mapped[int] = mapped_column(default=50)  # percent of the test's points
    winner_min_score: Mapped[int] = mapped_column(default=50)  # out of 100
    panel_spread_limit: Mapped[int] = mapped_column(default=10)  # points between members
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    positions: Mapped[list[Position]] = relationship(
        back_populates="round", order_by="Position.id", cascade="all, delete-orphan"
    )

    def registration_is_open(self, at: dt.datetime) -> bool:
        return (
            self.status == RoundStatus.REGISTRATION_OPEN
            and self.registration_opens_at <= at < self.registration_closes_at
        )

    def next_status(self) -> RoundStatus | None:
        index = ROUND_FLOW.index(self.status)
        return ROUND_FLOW[index + 1] if index + 1 < len(ROUND_FLOW) else None

    def move_to(self, target: RoundStatus) -> None:
        """Advance one stage; any other move is refused."""
        if target != self.next_status():
            raise DomainError(
                _l(
                    "Không thể chuyển kỳ thi từ «%(a)s» sang «%(b)s».",
                    a=self.status.title,
                    b=target.title,
                )
            )
        self.status = target


class Position(TimestampMixin, db.Model):
    __tablename__ = "positions"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "title", "unit_name"),
        sa.CheckConstraint("posts >= 1", name="posts_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(200))
    unit_name: Mapped[str] = mapped_column(sa.String(200))
    posts: Mapped[int] = mapped_column(default=1)
    standards: Mapped[str] = mapped_column(sa.Text, default="")

    round: Mapped[Round] = relationship(back_populates="positions")

    @property
    def label(self) -> str:
        return f"{self.title} – {self.unit_name}"
