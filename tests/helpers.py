"""Helpers for tests that need an app of their own (migrations, browser, CLI)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from config import TestingConfig


def config_for_tests(**overrides: Any) -> dict[str, Any]:
    config = {key: getattr(TestingConfig, key) for key in dir(TestingConfig) if key.isupper()}
    config.update(overrides)
    return config


def fresh_database_url(folder: Path, name: str) -> str:
    """An empty database: a SQLite file in ``folder``, or a new PostgreSQL database beside
    the test one when the suite runs on PostgreSQL."""
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        return f"sqlite:///{folder / f'{name}.sqlite3'}"
    url = sa.make_url(base)
    database = f"{url.database}_{name}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}"'))
        connection.execute(sa.text(f'CREATE DATABASE "{database}"'))
    admin.dispose()
    return url.set(database=database).render_as_string(hide_password=False)
