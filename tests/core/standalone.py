"""An app on a database of its own, with real sessions and commits, for the tests that need
several connections at once (periodic commands run together) or an empty database (a backup
restored): an SQLite file, or a fresh database on the PostgreSQL server of TEST_DATABASE_URL."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from exam import create_app
from exam.extensions import db, limiter


@contextlib.contextmanager
def fresh_database_url(folder: Path, name: str = "exam") -> Iterator[str]:
    """The URL of an empty database, dropped afterwards."""
    server = os.environ.get("TEST_DATABASE_URL", "")
    if not server.startswith("postgresql"):
        yield f"sqlite:///{folder / f'{name}.sqlite3'}"
        return
    database = f"exam_{name}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{database}"'))
        yield sa.make_url(server).set(database=database).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextlib.contextmanager
def standalone_app(url: str, folder: Path, **settings: Any) -> Iterator[Flask]:
    """An app on ``url`` (schema created unless ``create=False``) whose ``db.session`` is a
    real one: the suite's fixture binds it to a rolled-back test connection, put back after."""
    create = settings.pop("create", True)
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "standalone-testing",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "PASSWORD_HASH_CHEAP": True,
            "JOBS_RUN_INLINE": True,
            "AUDIT_ANCHOR_FILE": str(folder / "audit-anchors.txt"),
            "UPLOAD_DIR": str(folder / "uploads"),
            **settings,
        }
    )
    was_enabled, suite_session = limiter.enabled, db.session
    db.session = db._make_scoped_session({})
    try:
        with app.app_context():
            if create:
                db.create_all()
            yield app
            db.session.remove()
            db.engine.dispose()
    finally:
        db.session = suite_session
        limiter.enabled = was_enabled
