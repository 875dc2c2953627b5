"""Working days: Monday to Friday, not a public holiday. Every deadline of the rules counted
in working days (the appeal window, the Council's approval of the results, their publication)
is counted here, with the holidays kept by platform administration.

A period in days starts the day after its event, which does not count (Bộ luật Dân sự 2015
Art. 147)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from exam.core.db import TimestampMixin
from exam.extensions import db


class PublicHoliday(TimestampMixin, db.Model):
    """A public holiday that working days skip (Bộ luật Lao động 2019 Art. 112: New Year, Tết,
    the Hùng Kings' day, 30 April, 1 May, National Day, and the days the government moves each
    year), kept by platform administration (``flask appeals holidays``): the lunar holidays
    change every year."""

    __tablename__ = "public_holidays"
    __table_args__ = (
        sa.UniqueConstraint("day"),
        sa.CheckConstraint("length(name) > 0", name="name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(sa.Date)
    name: Mapped[str] = mapped_column(sa.String(200))


def is_working_day(day: dt.date, holidays: Collection[dt.date]) -> bool:
    """Monday to Friday, not a public holiday."""
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: dt.date, working_days: int, holidays: Collection[dt.date]) -> dt.date:
    """The ``working_days``-th working day after ``start`` (which does not count)."""
    if working_days < 1:
        raise ValueError("a period of working days has at least one")
    day, counted = start, 0
    while counted < working_days:
        day += dt.timedelta(days=1)
        if is_working_day(day, holidays):
            counted += 1
    return day


def holiday_days(start: dt.date, end: dt.date) -> set[dt.date]:
    """The public holidays kept between two days, both included."""
    return set(
        db.session.scalars(
            sa.select(PublicHoliday.day).where(PublicHoliday.day.between(start, end))
        )
    )


def working_days_after(start: dt.date, working_days: int) -> dt.date:
    """``add_working_days`` with the holidays kept (N working days end within 3N + 30 days,
    whatever the holidays: Tết lasts about a week)."""
    horizon = start + dt.timedelta(days=3 * working_days + 30)
    return add_working_days(start, working_days, holiday_days(start, horizon))
