"""Two documents numbered at once in one round (exam/documents/numbering.py): the register is
read and the number taken in one transaction, and a second numbering waits for the first's
commit instead of finding the same number free. No constraint can say it: the Council's one
sequence spans the issued documents and the domains' own tables (a ranking decision, a
hand-over's minutes), so the register's read holds it until the transaction ends (with the
audit chain's lock, on PostgreSQL; SQLite's writers take turns from BEGIN)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from exam.accounts.models import User
from exam.core.documents import COUNCIL
from exam.documents.models import DocumentKind, IssuedDocument
from exam.documents.numbering import suggested_number
from exam.documents.operations import issue_document
from exam.extensions import db
from exam.rounds.models import Round
from tests.concurrency import hold_until_the_other_waits
from tests.core.standalone import fresh_database_url, standalone_app
from tests.factories import Factories as make

ON = dt.date(2026, 3, 10)


@pytest.fixture
def own_app(tmp_path: Path) -> Iterator[Flask]:
    with fresh_database_url(tmp_path, "register") as url, standalone_app(url, tmp_path) as app:
        yield app


def _number_and_issue(round_id: int, actor_id: int, kind: DocumentKind, symbol: str) -> str:
    """What an operation numbering a document does, as a writer (a POST or a job): the next
    number of the Council's sequence, then the document holding it, in one transaction."""
    number = suggested_number(round_id, COUNCIL, symbol, on=ON)
    issue_document(
        kind=kind,
        round_=db.session.get(Round, round_id),
        number=number,
        title=f"Văn bản {symbol}",
        issuer=COUNCIL,
        issued_on=ON,
        render=lambda verification: b"%PDF-1.7 " + verification.code.encode(),
        actor=db.session.get(User, actor_id),
    )
    return number


def test_two_numberings_at_once_never_take_one_number_twice(own_app):
    """The first holds its number uncommitted until the second is seen waiting (or done:
    without the register's lock it would finish at once, with the same 01)."""
    round_id, actor_id = make.round().id, make.user().id
    db.session.commit()
    numbers: dict[str, str] = {}

    def first() -> None:
        numbers["first"] = _number_and_issue(
            round_id, actor_id, DocumentKind.COUNCIL_MINUTES, "BB-HĐTT"
        )

    def second() -> None:
        numbers["second"] = _number_and_issue(
            round_id, actor_id, DocumentKind.ELIGIBILITY_NOTICE, "TB-HĐTT"
        )

    errors = hold_until_the_other_waits(own_app, first, second)

    assert not errors, errors
    assert numbers == {"first": "01/BB-HĐTT", "second": "02/TB-HĐTT"}
    db.session.rollback()  # a new snapshot: the threads committed on their own connections
    issued = db.session.scalars(
        sa.select(IssuedDocument.number).where(IssuedDocument.round_id == round_id)
    ).all()
    assert sorted(issued) == ["01/BB-HĐTT", "02/TB-HĐTT"]
