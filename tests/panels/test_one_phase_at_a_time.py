"""One phase at a time in a panel's room (exam/panels/sessions.py::start_phase), also when
two starts arrive at once: the second waits for the first's commit (the panel's row is
locked, PostgreSQL; SQLite's writers take turns) and is then refused, instead of both
finding no phase under way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from exam.accounts.models import User
from exam.candidates.models import Application
from exam.core.errors import DomainError
from exam.extensions import db
from exam.panels.models import Panel
from exam.panels.sessions import Phase, Turn, mark_presence, start_phase
from tests.concurrency import hold_until_the_other_waits
from tests.core.standalone import fresh_database_url, standalone_app
from tests.factories import Factories as make
from tests.panels.test_sessions import START, build_hearing


@pytest.fixture
def own_app(tmp_path: Path) -> Iterator[Flask]:
    with fresh_database_url(tmp_path, "panel") as url, standalone_app(url, tmp_path) as app:
        yield app


def _start(panel_id: int, application_id: int, secretary_id: int) -> None:
    start_phase(
        db.session.get(Panel, panel_id),
        db.session.get(Application, application_id),
        Phase.PRESENTATION,
        actor=db.session.get(User, secretary_id),
        at=START,
    )


def test_two_presentations_started_at_once_one_is_refused(own_app):
    hearing = build_hearing(make)
    first, second = (hearing.applications[i] for i in (0, 1))
    for application in (first, second):
        mark_presence(hearing.panel, application, present=True, actor=hearing.secretary, at=START)
    db.session.commit()
    panel_id, secretary_id = hearing.panel.id, hearing.secretary.id
    first_id, second_id = first.id, second.id

    errors = hold_until_the_other_waits(
        own_app,
        lambda: _start(panel_id, first_id, secretary_id),
        lambda: _start(panel_id, second_id, secretary_id),
    )

    assert len(errors) == 1, errors
    assert isinstance(errors[0], DomainError)
    assert "Một phần thi khác đang diễn ra" in str(errors[0])
    db.session.rollback()  # a new snapshot: the threads committed on their own connections
    started = db.session.scalars(
        sa.select(Turn.application_id).where(
            Turn.panel_id == panel_id, Turn.presentation_started_at.is_not(None)
        )
    ).all()
    assert started == [first_id]
