"""Reading tests and attempts."""

from __future__ import annotations

import sqlalchemy as sa

from exam.accounts.models import User
from exam.candidates.models import Application
from exam.exams.models import Attempt, Test
from exam.extensions import db


def tests_of_round(round_id: int) -> list[Test]:
    return list(
        db.session.scalars(
            sa.select(Test).where(Test.round_id == round_id).order_by(Test.starts_at)
        )
    )


def attempts_of_candidate(candidate: User) -> list[Attempt]:
    return list(
        db.session.scalars(
            sa.select(Attempt)
            .join(Application)
            .where(Application.candidate_id == candidate.id)
            .order_by(Attempt.id)
        )
    )


def attempts_of_test(test: Test) -> list[Attempt]:
    return list(
        db.session.scalars(
            sa.select(Attempt)
            .join(Application)
            .where(Attempt.test_id == test.id)
            .order_by(Application.registration_number)
        )
    )


def attempt_of_application(application: Application) -> Attempt | None:
    """The application's attempt at its round's (first) test, if the round has one."""
    return db.session.scalars(
        sa.select(Attempt).where(Attempt.application_id == application.id).order_by(Attempt.id)
    ).first()
