"""Keeping the public holidays (platform administration, audited)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.appeals.models import PublicHoliday
from exam.audit.operations import record
from exam.core.errors import DomainError, ValidationFailed
from exam.extensions import db


def add_holiday(day: dt.date, name: str, *, actor: User | None) -> PublicHoliday:
    name = name.strip()
    if not name:
        raise ValidationFailed([("name", _l("Ghi tên ngày nghỉ lễ."))])
    if db.session.scalar(sa.select(PublicHoliday.id).where(PublicHoliday.day == day)):
        raise DomainError(_l("Ngày này đã là ngày nghỉ lễ."))
    holiday = PublicHoliday(day=day, name=name)
    db.session.add(holiday)
    db.session.flush()
    record("holiday.add", holiday, actor=actor, after={"day": day.isoformat(), "name": name})
    return holiday


def remove_holiday(day: dt.date, *, actor: User | None) -> None:
    holiday = db.session.scalar(sa.select(PublicHoliday).where(PublicHoliday.day == day))
    if holiday is None:
        raise DomainError(_l("Ngày này không phải ngày nghỉ lễ."))
    record(
        "holiday.remove",
        holiday,
        actor=actor,
        before={"day": day.isoformat(), "name": holiday.name},
    )
    db.session.delete(holiday)
    db.session.flush()
