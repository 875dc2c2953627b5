"""A candidate's admission card with their sittings: each test of the round with the time,
session and room of their paper (known once papers are drawn; before that the card says the
schedule will follow). The card itself is the candidates' (exam/candidates/documents.py)."""

from __future__ import annotations

import sqlalchemy as sa

from exam.candidates.documents import Sitting, admission_card, render_admission_card
from exam.candidates.models import Application
from exam.exams.models import Attempt
from exam.exams.queries import tests_of_round
from exam.extensions import db


def sittings_of(application: Application) -> tuple[Sitting, ...]:
    attempts = {
        attempt.test_id: attempt
        for attempt in db.session.scalars(
            sa.select(Attempt).where(Attempt.application_id == application.id)
        )
    }
    sittings = []
    for test in tests_of_round(application.round_id):
        attempt = attempts.get(test.id)
        if attempt is None:
            sittings.append(Sitting(test.title, None, "", ""))
        else:
            room = attempt.room.name if attempt.room else ""
            sittings.append(
                Sitting(test.title, attempt.session.starts_at, attempt.session.name, room)
            )
    return tuple(sittings)


def admission_card_pdf(application: Application) -> bytes:
    return render_admission_card(admission_card(application, sittings_of(application)))
