"""The format tests are pure (bytes in, QuestionData out): they need no app and no
database, so the suite-wide autouse ``db_session`` fixture is replaced by a no-op here."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def db_session() -> None:
    return None
