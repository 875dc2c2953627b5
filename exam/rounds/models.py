"""A selection round, its rules and the positions it fills."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.core.db import TimestampMixin, TitledEnum, UTCDateTime, enum_column
from exam.core.errors import DomainError
from exam.core.i18n import to_local
from exam.extensions import db
from exam.rounds.standards import Standards


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


# Each status may only move to the next one (the stages of docs/domain.md, in order).
ROUND_FLOW = list(RoundStatus)


class UnitLevel(TitledEnum):
    """The levels of Hanoi's organisation tree, from the top. Since 1 July 2025 local
    government has two tiers (city → commune or ward): the second level holds the city's
    departments and bodies and its communes and wards; districts no longer exist."""

    CITY = "city"
    DEPARTMENT = "department"
    PUBLIC_SERVICE_UNIT = "public_service_unit"
    DIVISION = "division"

    @staticmethod
    def __titles__() -> dict:
        return {
            "city": _l("Thành phố"),
            "department": _l("Sở, ban, ngành hoặc xã, phường"),
            "public_service_unit": _l("Đơn vị sự nghiệp công lập"),
            "division": _l("Phòng, khoa hoặc tương đương"),
        }

    @property
    def depth(self) -> int:
        return list(UnitLevel).index(self)


class Unit(TimestampMixin, db.Model):
    """A node of the organisation tree: city → department (or commune, ward) → public service
    unit → division. A unit's parent is exactly one level above it (checked by the operation)."""

    __tablename__ = "units"
    __table_args__ = (
        sa.UniqueConstraint("parent_id", "name"),
        sa.CheckConstraint("(level = 'city') = (parent_id IS NULL)", name="only_city_is_root"),
        sa.CheckConstraint("length(name) > 0", name="name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    level: Mapped[UnitLevel] = enum_column(UnitLevel)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), nullable=True)
    # A retired unit (merged, dissolved) stays in the tree for the positions that name it,
    # but no new position or sub-unit may be placed under it.
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="Unit.name")

    @property
    def path(self) -> list[Unit]:
        """From the root to this unit."""
        chain: list[Unit] = []
        node: Unit | None = self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain[::-1]

    @property
    def path_label(self) -> str:
        return " › ".join(u.name for u in self.path)

    @property
    def retired(self) -> bool:
        return self.retired_at is not None


class Round(TimestampMixin, db.Model):
    """Numbers here are the round's own rules, docs/domain.md's values as defaults."""

    __tablename__ = "rounds"
    __table_args__ = (
        sa.CheckConstraint(
            "registration_closes_at > registration_opens_at", name="registration_window_order"
        ),
        sa.CheckConstraint("min_candidates_per_position >= 1", name="min_candidates_positive"),
        sa.CheckConstraint("test_pass_mark BETWEEN 0 AND 100", name="test_pass_mark_range"),
        sa.CheckConstraint("winner_min_score BETWEEN 0 AND 100", name="winner_min_score_range"),
        sa.CheckConstraint("panel_spread_limit >= 0", name="panel_spread_limit_positive"),
        sa.CheckConstraint(
            "presentation_ends_on IS NULL OR presentation_starts_on IS NULL "
            "OR presentation_ends_on >= presentation_starts_on",
            name="presentation_dates_order",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    organisation: Mapped[str] = mapped_column(sa.String(200))
    parent_body: Mapped[str] = mapped_column(sa.String(200), default="UBND THÀNH PHỐ HÀ NỘI")
    status: Mapped[RoundStatus] = enum_column(RoundStatus, default=RoundStatus.DRAFT)
    # When the results were published: the appeal window's working days count from it.
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    registration_opens_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    min_candidates_per_position: Mapped[int] = mapped_column(default=2)
    test_pass_mark: Mapped[int] = mapped_column(default=50)  # percent of the test's points
    winner_min_score: Mapped[int] = mapped_column(default=50)  # out of 100
    panel_spread_limit: Mapped[int] = mapped_column(default=10)  # points between members
    # The schedule beyond the registration window (dates in Hanoi; empty: not fixed yet).
    test_date: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    presentation_starts_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    presentation_ends_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    # The expected appointment date: the remaining service (5-year term) is counted from it.
    appointment_expected_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    positions: Mapped[list[Position]] = relationship(
        back_populates="round", order_by="Position.id", cascade="all, delete-orphan"
    )

    def registration_is_open(self, at: dt.datetime) -> bool:
        return (
            self.status == RoundStatus.REGISTRATION_OPEN
            and self.registration_opens_at <= at < self.registration_closes_at
        )

    @property
    def rules_frozen(self) -> bool:
        """The plan, rules and standards are published when registration opens."""
        return self.status != RoundStatus.DRAFT

    @property
    def deadline_date(self) -> dt.date:
        """The registration deadline as a Hanoi date (cut-off for months and cool-offs)."""
        return to_local(self.registration_closes_at).date()

    @property
    def age_reference_date(self) -> dt.date:
        return self.appointment_expected_on or self.deadline_date

    def is_before(self, status: RoundStatus) -> bool:
        return ROUND_FLOW.index(self.status) < ROUND_FLOW.index(status)

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
        sa.CheckConstraint(
            "(stopped_at IS NULL) = (length(stop_reason) = 0)", name="stop_has_reason"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(200))
    unit_name: Mapped[str] = mapped_column(sa.String(200))
    posts: Mapped[int] = mapped_column(default=1)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), nullable=True)
    # Free-text standards beyond the structured criteria (e.g. sector experience).
    standards: Mapped[str] = mapped_column(sa.Text, default="")
    # The structured criteria: a dictionary read and checked by ``Standards.from_dict``.
    criteria: Mapped[dict] = mapped_column(sa.JSON, default=lambda: Standards().to_dict())
    # A position with too few eligible candidates is stopped by the board (2424/BNV-CCVC).
    stopped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    stop_reason: Mapped[str] = mapped_column(sa.Text, default="")

    round: Mapped[Round] = relationship(back_populates="positions")
    unit: Mapped[Unit | None] = relationship()

    @property
    def standards_obj(self) -> Standards:
        return Standards.from_dict(self.criteria)

    @property
    def label(self) -> str:
        return f"{self.title} – {self.unit_name}"
