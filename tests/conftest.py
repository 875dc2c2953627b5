"""Fixtures: one app per session, a database reset by rollback after each test, clients
logged in as any role, and the factories of ``tests/factories.py``."""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy.session import _app_ctx_id

from config import TestingConfig
from exam import create_app
from exam.accounts.models import User
from exam.accounts.sessions import session_fields
from exam.extensions import db
from tests import factories
from tests.storage_backends import s3_server, stored_on  # noqa: F401  (stored files' fixtures)


class IsolatedClient(FlaskClient):
    """Each request runs in a fresh context, as in production: its own app context, ``g``
    and database session, never the test's. (Flask would otherwise reuse the app context
    that the test holds, sharing ``g`` and the session between test code and requests.)"""

    def open(self, *args, **kwargs):  # type: ignore[override]
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app() -> Iterator[Flask]:
    app = create_app(TestingConfig)
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.drop_all()
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()


@pytest.fixture(autouse=True)
def db_session(request: pytest.FixtureRequest) -> Iterator[sa.orm.scoped_session | None]:
    """Every test runs inside one outer transaction that is rolled back at the end; the
    code under test may commit freely (its commits release savepoints). Browser tests
    (in tests/e2e) use a live server with its own database instead."""
    if "e2e" in request.node.path.parts:
        yield None
        return
    request.getfixturevalue("app")
    connection = db.engine.connect()
    outer = connection.begin()
    original = db.session
    # One session per app context (as Flask-SQLAlchemy does), all on this connection: the
    # test's own session and each request's session are distinct, as in production.
    session = sa.orm.scoped_session(
        sa.orm.sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
        scopefunc=_app_ctx_id,
    )
    db.session = session
    try:
        yield session
    finally:
        session.remove()
        outer.rollback()
        connection.close()
        db.session = original


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def login(client: FlaskClient, user: User | None) -> FlaskClient:
    """Sign ``user`` in on ``client`` (None: stay a guest)."""
    if user is not None:
        db.session.expire(user, ["session_token"])  # as stored: a sign-out changes it
        with client.session_transaction() as session:
            session.update(session_fields(user))  # as the login page signs in
    return client


@pytest.fixture(autouse=True)
def auto_seat(request: pytest.FixtureRequest) -> Iterator[None]:
    """Staff made by the factories sit on their rounds' bodies by default
    (``factories.AUTO_SEATS``), except in tests/council and the demo's tests, which build
    the bodies through the operations themselves (they refuse a person seated twice)."""
    factories.auto_seat["on"] = not (
        "council" in request.node.path.parts or request.node.path.name == "test_demo.py"
    )
    yield
    factories.auto_seat["on"] = True


@pytest.fixture
def make() -> type[factories.Factories]:
    return factories.Factories


@pytest.fixture
def now() -> dt.datetime:
    return dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)  # 08:00 in Hanoi
