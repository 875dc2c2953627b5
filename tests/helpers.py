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


def paper_token(item: Any, part_id: str) -> str:
    """The token a paper shows (and the API takes) for a part of one of its questions:
    ``item`` an AttemptQuestion or its id, ``part_id`` the bank's id ("a", a prompt…)."""
    from exam.exams.models import AttemptQuestion
    from exam.exams.tokens import option_token
    from exam.extensions import db

    if isinstance(item, int):
        item = db.session.get(AttemptQuestion, item)
    return option_token(item.attempt.token_secret, item.id, part_id)


def paper_tokens(item: Any, response: Any) -> Any:
    """A response in bank ids ("a", ["a", "c"], {prompt: answer}, {item: position}) as the
    page would send it: each part id replaced by the paper's token."""
    from exam.exams.models import AttemptQuestion
    from exam.extensions import db

    if isinstance(item, int):
        item = db.session.get(AttemptQuestion, item)
    kind = item.version.type
    if kind in ("single_choice",) and isinstance(response, str) and response:
        return paper_token(item, response)
    if kind == "multiple_response" and isinstance(response, list):
        return [paper_token(item, part) for part in response]
    if kind == "matching" and isinstance(response, dict):
        return {paper_token(item, k): paper_token(item, v) for k, v in response.items()}
    if kind == "ordering" and isinstance(response, dict):
        return {paper_token(item, k): v for k, v in response.items()}
    return response


def bank_id(item: Any, shown: str) -> str:
    """The bank's id of the part a paper shows as the token ``shown`` (KeyError if none)."""
    from exam.exams.models import AttemptQuestion
    from exam.extensions import db
    from exam.question_bank.qtypes import get_type

    if isinstance(item, int):
        item = db.session.get(AttemptQuestion, item)
    parts = get_type(item.version.type).part_ids(item.version.data)
    return {paper_token(item, part): part for part in parts}[shown]
