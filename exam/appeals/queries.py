"""Reading the public holidays and the appeal window they give."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from exam.appeals.models import PublicHoliday
from exam.appeals.rules import APPEAL_WORKING_DAYS_DEFAULT, appeal_closes_on
from exam.extensions import db


def holidays(start: dt.date | None = None, end: dt.date | None = None) -> list[PublicHoliday]:
    query = sa.select(PublicHoliday).order_by(PublicHoliday.day)
    if start is not None:
        query = query.where(PublicHoliday.day >= start)
    if end is not None:
        query = query.where(PublicHoliday.day <= end)
    return list(db.session.scalars(query))


def appeal_window_closes_on(
    published_on: dt.date, working_days: int = APPEAL_WORKING_DAYS_DEFAULT
) -> dt.date:
    """The appeal window's last day with the holidays kept (a window of N working days ends
    within 3N + 30 days, whatever the holidays: Tết lasts about a week)."""
    horizon = published_on + dt.timedelta(days=3 * working_days + 30)
    days = {h.day for h in holidays(published_on, horizon)}
    return appeal_closes_on(published_on, days, working_days)
