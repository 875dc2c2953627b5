"""The public holidays that working days skip (Bộ luật Lao động 2019 Art. 112: New Year, Tết,
the Hùng Kings' day, 30 April, 1 May, National Day, and the days the government moves each
year), kept by platform administration: the lunar holidays change every year."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from exam.core.db import TimestampMixin
from exam.extensions import db


class PublicHoliday(TimestampMixin, db.Model):
    __tablename__ = "public_holidays"
    __table_args__ = (
        sa.UniqueConstraint("day"),
        sa.CheckConstraint("length(name) > 0", name="name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(sa.Date)
    name: Mapped[str] = mapped_column(sa.String(200))
