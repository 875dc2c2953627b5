"""An appeal of a written part and its re-marking (docs/domain.md §9). The public holidays
that its window skips live with the working-day rule (exam/core/calendar.py), shared with the
results' deadlines; re-exported here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.accounts.models import User
from exam.core.calendar import PublicHoliday  # noqa: F401  (its home before the results used it)
from exam.core.db import TimestampMixin, TitledEnum, UTCDateTime, enum_column
from exam.council.models import MeetingItem
from exam.extensions import db
from exam.marking.models import Script
from exam.rounds.models import Round


class AppealStatus(TitledEnum):
    FILED = "filed"  # with the Ban phách, to be coded again for the re-marking board
    REMARKING = "remarking"  # with two (or three) members of the re-marking board
    CHAIR = "chair"  # the re-mark is 5 or more from the published score: the Chair decides
    DECIDED = "decided"

    @staticmethod
    def __titles__() -> dict:
        return {
            "filed": _l("Đã nhận đơn, chờ đánh phách lại"),
            "remarking": _l("Đang chấm phúc khảo"),
            "chair": _l("Chờ Chủ tịch Hội đồng quyết định"),
            "decided": _l("Đã có kết quả phúc khảo"),
        }


class Appeal(TimestampMixin, db.Model):
    """A candidate's appeal of a written part's score (phúc khảo): the script first marked
    (``script_id``), its re-marking under a new code (``remark_script_id``), the scores on the
    part's 100-point scale, and the outcome: the re-mark replaces the published score when
    less than 5 from it; else the Chair decides after a minuted Council meeting
    (``meeting_item_id``)."""

    __tablename__ = "appeals"
    __table_args__ = (
        sa.UniqueConstraint("script_id"),  # one appeal per written part
        sa.UniqueConstraint("remark_script_id"),
        sa.CheckConstraint(
            "status = 'filed' OR remark_script_id IS NOT NULL", name="remarking_has_script"
        ),
        sa.CheckConstraint(
            "status NOT IN ('chair', 'decided') OR remark_score IS NOT NULL",
            name="outcome_after_remark",
        ),
        sa.CheckConstraint(
            "(status = 'decided') = (final_score IS NOT NULL AND decided_at IS NOT NULL)",
            name="decided_iff_scored",
        ),
        sa.CheckConstraint(
            "decided_by_id IS NULL OR (meeting_item_id IS NOT NULL AND length(decision) > 0)",
            name="chair_decision_minuted",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id", ondelete="CASCADE"))
    candidate_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    script_id: Mapped[int] = mapped_column(sa.ForeignKey("marking_scripts.id"))
    remark_script_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("marking_scripts.id"), nullable=True
    )
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    filed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[AppealStatus] = enum_column(AppealStatus, default=AppealStatus.FILED)
    published_score: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))  # of 100
    remark_score: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2), nullable=True)
    final_score: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2), nullable=True)
    meeting_item_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("council_meeting_items.id"), nullable=True
    )
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision: Mapped[str] = mapped_column(sa.Text, default="")  # the Chair's, citing the minutes

    round: Mapped[Round] = relationship()
    candidate: Mapped[User] = relationship(foreign_keys=[candidate_id])
    script: Mapped[Script] = relationship(foreign_keys=[script_id])
    remark_script: Mapped[Script | None] = relationship(foreign_keys=[remark_script_id])
    meeting_item: Mapped[MeetingItem | None] = relationship()
