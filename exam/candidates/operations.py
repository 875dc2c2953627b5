"""Applying to a position and deciding eligibility."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.candidates.models import Application, ApplicationStatus, Gender
from exam.core.errors import DomainError, ValidationFailed
from exam.extensions import db
from exam.rounds.models import Position

MIN_AGE_YEARS = 18


def apply_to_position(
    candidate: User,
    position: Position,
    *,
    date_of_birth: dt.date,
    gender: Gender,
    current_unit: str,
    current_post: str,
    at: dt.datetime,
) -> Application:
    """Submit an application; the registration window is checked here, on the server."""
    round_ = position.round
    if not round_.registration_is_open(at):
        raise DomainError(_l("Kỳ thi không trong thời gian nhận hồ sơ."))
    existing = db.session.scalars(
        sa.select(Application).where(
            Application.round_id == round_.id, Application.candidate_id == candidate.id
        )
    ).first()
    if existing is not None:
        raise DomainError(_l("Bạn đã nộp hồ sơ cho kỳ thi này."))
    age_limit = dt.date(at.year - MIN_AGE_YEARS, at.month, min(at.day, 28))
    if date_of_birth > age_limit:
        raise ValidationFailed([("date_of_birth", _l("Ngày sinh không hợp lệ."))])
    application = Application(
        round_id=round_.id,
        position=position,
        candidate_id=candidate.id,
        date_of_birth=date_of_birth,
        gender=gender,
        current_unit=current_unit.strip(),
        current_post=current_post.strip(),
        submitted_at=at,
    )
    db.session.add(application)
    record(
        "application.submit",
        application,
        actor=candidate,
        after={"position_id": position.id, "current_unit": application.current_unit},
    )
    return application


def _next_registration_number(round_id: int) -> str:
    """Numbers follow the order of the eligibility decisions, 001 upwards, within a round."""
    numbers = db.session.scalars(
        sa.select(Application.registration_number).where(
            Application.round_id == round_id, Application.registration_number.is_not(None)
        )
    ).all()
    return f"{max((int(n) for n in numbers), default=0) + 1:03d}"


def decide_eligibility(
    application: Application, *, eligible: bool, reason: str, actor: User, at: dt.datetime
) -> Application:
    """The board's decision. A rejection must give its reason (owed to the applicant);
    a registration number is assigned once, on eligibility."""
    if application.status != ApplicationStatus.SUBMITTED:
        raise DomainError(_l("Hồ sơ này đã được xét."))
    reason = reason.strip()
    if not eligible and not reason:
        raise ValidationFailed([("reason", _l("Cần ghi rõ lý do không đủ điều kiện."))])
    before = {"status": application.status}
    if eligible:
        number = _next_registration_number(application.round_id)
        application.status = ApplicationStatus.ELIGIBLE
        application.registration_number = number
    else:
        application.status = ApplicationStatus.NOT_ELIGIBLE
    application.decision_reason = reason
    application.decided_at = at
    record(
        "application.decide",
        application,
        actor=actor,
        before=before,
        after={
            "status": application.status,
            "registration_number": application.registration_number,
            "reason": reason,
        },
    )
    return application
