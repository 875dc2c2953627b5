"""Reading applications."""

from __future__ import annotations

import sqlalchemy as sa

from exam.accounts.models import User
from exam.candidates.models import Application, ApplicationStatus
from exam.core.i18n import vietnamese_sort_key
from exam.extensions import db


def applications_of_candidate(candidate: User) -> list[Application]:
    return list(
        db.session.scalars(
            sa.select(Application)
            .where(Application.candidate_id == candidate.id)
            .order_by(Application.submitted_at.desc())
        )
    )


def applications_for_round(round_id: int) -> list[Application]:
    """Every application of a round, names in Vietnamese order."""
    applications = db.session.scalars(
        sa.select(Application).where(Application.round_id == round_id)
    ).all()
    return sorted(applications, key=lambda a: vietnamese_sort_key(a.candidate.full_name))


def eligible_applications(position_id: int) -> list[Application]:
    return list(
        db.session.scalars(
            sa.select(Application)
            .where(
                Application.position_id == position_id,
                Application.status == ApplicationStatus.ELIGIBLE,
            )
            .order_by(Application.registration_number)
        )
    )
