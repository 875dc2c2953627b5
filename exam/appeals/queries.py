"""Reading the public holidays, the appeal window they give, and the appeals."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from exam.appeals.models import Appeal, AppealStatus, PublicHoliday
from exam.appeals.rules import APPEAL_WORKING_DAYS_DEFAULT, appeal_closes_on, remark_due_on
from exam.candidates.models import Application
from exam.core.i18n import to_local
from exam.exams.models import Attempt
from exam.extensions import db
from exam.marking.models import (
    REMARK_AGREE_LIMIT_DEFAULT,
    REMARK_DAYS_DEFAULT,
    REPLACE_LIMIT_DEFAULT,
    MarkingPlan,
    PaperScript,
    Script,
)
from exam.marking.queries import plan_of
from exam.rounds.models import Round, RoundStatus


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


def published_on(round_: Round) -> dt.date | None:
    """The day (Hanoi) the round's results were published, if they were."""
    return to_local(round_.published_at).date() if round_.published_at else None


def appeal_rules(round_: Round) -> MarkingPlan:
    """The round's appeal settings: its marking plan, or one with the law's values (unsaved)
    for a round that has none yet."""
    return plan_of(round_.id) or MarkingPlan(
        round_id=round_.id,
        appeal_working_days=APPEAL_WORKING_DAYS_DEFAULT,
        remark_agree_limit=REMARK_AGREE_LIMIT_DEFAULT,
        replace_limit=REPLACE_LIMIT_DEFAULT,
        remark_days=REMARK_DAYS_DEFAULT,
    )


def appeal_deadline(round_: Round) -> dt.date | None:
    """The last day to file an appeal on the round's results (§9), once published: the
    round's number of working days after the day of publication."""
    day = published_on(round_)
    return appeal_window_closes_on(day, appeal_rules(round_).appeal_working_days) if day else None


def remark_deadline(round_: Round) -> dt.date | None:
    """The last day of the round's re-marking (§9): the round's days (10, up to 20) after
    the appeal window closes."""
    closes = appeal_deadline(round_)
    return remark_due_on(closes, appeal_rules(round_).remark_days) if closes else None


def overdue_appeals(round_: Round, today: dt.date) -> list[Appeal]:
    """The round's appeals still being re-marked (or not yet coded again) after the
    re-marking's last day, oldest first."""
    due = remark_deadline(round_)
    if due is None or today <= due:
        return []
    return list(
        db.session.scalars(
            sa.select(Appeal)
            .where(
                Appeal.round_id == round_.id,
                Appeal.status.in_([AppealStatus.FILED, AppealStatus.REMARKING]),
            )
            .order_by(Appeal.filed_at, Appeal.id)
        )
    )


def has_appeals(round_id: int) -> bool:
    return (
        db.session.scalar(sa.select(Appeal.id).where(Appeal.round_id == round_id).limit(1))
        is not None
    )


def written_scripts_of(application: Application) -> list[Script]:
    """The application's written parts as first marked: its online paper's essays and its
    scanned paper scripts, each under its code; none when its paper was scored by the
    computer alone."""
    online = sa.select(Attempt.id).where(Attempt.application_id == application.id)
    scanned = sa.select(PaperScript.id).where(PaperScript.application_id == application.id)
    return list(
        db.session.scalars(
            sa.select(Script)
            .where(
                Script.remark.is_(False),
                sa.or_(Script.attempt_id.in_(online), Script.paper_script_id.in_(scanned)),
            )
            .order_by(Script.id)
        )
    )


def appeal_of_script(script_id: int) -> Appeal | None:
    return db.session.scalar(sa.select(Appeal).where(Appeal.script_id == script_id))


def appeal_of_remark(script_id: int) -> Appeal | None:
    return db.session.scalar(sa.select(Appeal).where(Appeal.remark_script_id == script_id))


def appeals_of_candidate(user_id: int) -> list[Appeal]:
    return list(
        db.session.scalars(
            sa.select(Appeal).where(Appeal.candidate_id == user_id).order_by(Appeal.filed_at)
        )
    )


def appeals_of_round(round_id: int) -> list[Appeal]:
    return list(
        db.session.scalars(
            sa.select(Appeal).where(Appeal.round_id == round_id).order_by(Appeal.filed_at)
        )
    )


def published_applications(user_id: int) -> list[Application]:
    """The candidate's applications in rounds whose results are published."""
    return list(
        db.session.scalars(
            sa.select(Application)
            .join(Round, Round.id == Application.round_id)
            .where(Application.candidate_id == user_id, Round.status == RoundStatus.PUBLISHED)
            .order_by(Application.id)
        )
    )
