"""Two documents numbered at once in one round (exam/documents/numbering.py): the register is
read and the number taken in one transaction, and a second numbering waits for the first's
commit instead of finding the same number free. No constraint can say it: the Council's one
sequence spans the issued documents and the domains' own tables (a ranking decision, a
hand-over's minutes), so the register's read holds it until the transaction ends (with the
audit chain's lock, on PostgreSQL; SQLite's writers take turns from BEGIN)."""

from __future__ import annotations

import datetime as dt
import sys
import threading
import time
from collections.abc import Callable, Iterator
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
from tests.core.standalone import fresh_database_url, standalone_app
from tests.factories import Factories as make

ON = dt.date(2026, 3, 10)
WAIT = 60  # seconds: only reached when the test fails


@pytest.fixture
def own_app(tmp_path: Path) -> Iterator[Flask]:
    with fresh_database_url(tmp_path, "register") as url, standalone_app(url, tmp_path) as app:
        yield app


def _number_and_issue(round_id: int, actor_id: int, kind: DocumentKind, symbol: str) -> str:
    """What an operation numbering a document does, as a writer (a POST or a job): the next
    number of the Council's sequence, then the document holding it, in one transaction."""
    db.session.connection(execution_options={"sqlite_immediate": True})
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


def _seen_waiting(thread: threading.Thread) -> bool:
    """Whether ``thread`` waits for the database: for an advisory lock (PostgreSQL, as the
    server reports it), or for its turn among SQLite's writers (exam/core/db.py)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as connection:
            waiting = connection.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
                )
            )
        return bool(waiting)
    frame = sys._current_frames().get(thread.ident or 0)
    while frame is not None:
        if frame.f_code.co_name == "enter" and frame.f_code.co_filename.endswith("db.py"):
            return True
        frame = frame.f_back
    return False


def _until(condition: Callable[[], bool]) -> None:
    give_up = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < give_up, "still false after a minute"
        time.sleep(0.01)  # polling what the database or the thread shows, not a guess


def _writer(
    app: Flask, work: Callable[[], None], errors: list[BaseException], *, then: threading.Event
) -> threading.Thread:
    """A thread running ``work`` in an app context (a session and a connection of its own),
    keeping what it raises for the test, and setting ``then`` however it ends."""

    def run() -> None:
        try:
            with app.app_context():
                work()
        except BaseException as error:
            errors.append(error)
        finally:
            then.set()

    return threading.Thread(target=run)


def test_two_numberings_at_once_never_take_one_number_twice(own_app):
    """The first holds its number uncommitted until the second is seen waiting (or done:
    without the register's lock it would finish at once, with the same 01)."""
    round_id, actor_id = make.round().id, make.user().id
    db.session.commit()
    first_holds, second_done = threading.Event(), threading.Event()
    numbers: dict[str, str] = {}
    errors: list[BaseException] = []

    def second() -> None:
        first_holds.wait(WAIT)
        numbers["second"] = _number_and_issue(
            round_id, actor_id, DocumentKind.ELIGIBILITY_NOTICE, "TB-HĐTT"
        )
        db.session.commit()

    def first() -> None:
        numbers["first"] = _number_and_issue(
            round_id, actor_id, DocumentKind.COUNCIL_MINUTES, "BB-HĐTT"
        )
        first_holds.set()
        _until(lambda: second_done.is_set() or _seen_waiting(second_thread))
        db.session.commit()

    second_thread = _writer(own_app, second, errors, then=second_done)
    first_thread = _writer(own_app, first, errors, then=first_holds)
    second_thread.start()
    first_thread.start()
    first_thread.join(WAIT)
    second_thread.join(WAIT)

    assert not errors, errors
    assert numbers == {"first": "01/BB-HĐTT", "second": "02/TB-HĐTT"}
    db.session.rollback()  # a new snapshot: the threads committed on their own connections
    issued = db.session.scalars(
        sa.select(IssuedDocument.number).where(IssuedDocument.round_id == round_id)
    ).all()
    assert sorted(issued) == ["01/BB-HĐTT", "02/TB-HĐTT"]
