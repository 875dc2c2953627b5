"""The migration that adds each paper's token secret (5d1e0c7a9b42), run over existing papers:
each gets its own secret, nothing of the paper is lost, and the papers rendered ahead of time
with the bank's ids are dropped (a cache, rendered again with tokens)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from exam import create_app
from exam.accounts.models import Role
from exam.exams.models import Attempt, AttemptQuestion, RenderedPaper
from exam.exams.rendering import prerender_papers
from exam.extensions import db
from tests.factories import Factories
from tests.helpers import config_for_tests, fresh_database_url

BEFORE = "7b88087807db"


def test_existing_papers_get_a_secret_each_and_lose_their_rendering(tmp_path, monkeypatch):
    app = create_app(
        config_for_tests(SQLALCHEMY_DATABASE_URI=fresh_database_url(tmp_path, "tokens"))
    )
    with app.app_context():
        # This database's own session, not the suite's (tests/conftest.py: db_session).
        monkeypatch.setattr(db, "session", sa.orm.scoped_session(sa.orm.sessionmaker(db.engine)))
        upgrade()
        round_ = Factories.round()
        for _ in range(3):
            Factories.application(round_.positions[0], Factories.user(Role.CANDIDATE))
        test = Factories.test(round_, starts_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
        with app.test_request_context():
            assert prerender_papers(test) == 3
        db.session.commit()
        items = db.session.scalar(sa.select(sa.func.count()).select_from(AttemptQuestion))
        db.session.remove()

        downgrade(revision=BEFORE)
        upgrade()

        secrets = db.session.scalars(sa.select(Attempt.token_secret)).all()
        assert len(secrets) == 3
        assert len(set(secrets)) == 3
        assert all(len(s) == 32 and int(s, 16) >= 0 for s in secrets)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AttemptQuestion)) == items
        assert db.session.scalars(sa.select(RenderedPaper)).all() == []
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()
