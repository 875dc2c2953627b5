"""Files written by a transaction that rolls back are deleted with it.

An upload is written to the store (``exam/core/storage.py``: a directory or a bucket) before
the row naming it is flushed, because the row stores the file's size and SHA-256. When the
operation is then refused (a later file of a ZIP, a check after the write, the audit, a
constraint), the boundary rolls the transaction back (``exam/core/views.py::run_operation``)
and the row is gone, but the file would stay, holding personal data nobody can reach. Each
writer names its new file's key with ``written_in_transaction`` (or writes it with
``put_in_transaction``); the session's events delete the files, from the store they were
written to, when its outermost transaction ends without a commit, and forget them when it
commits."""

from __future__ import annotations

import logging
from typing import BinaryIO

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from exam.core.storage import Storage, check_key, copy_limited, storage
from exam.extensions import db

_KEY = "exam.files_written"
log = logging.getLogger(__name__)


def written_in_transaction(key: str) -> str:
    """Delete the stored file ``key`` if the current transaction of the app's session rolls
    back (called before the file is written: a write cut short is deleted too)."""
    session = db.session()
    if not session.in_transaction():
        session.begin()  # the file belongs to this transaction, not to the one before
    session.info.setdefault(_KEY, []).append((storage(), check_key(key)))
    return key


def put_in_transaction(key: str, stream: BinaryIO, limit: int | None = None) -> tuple[int, str]:
    """Store ``stream`` under the new ``key`` (never replacing a file), tied to the
    transaction; returns (size, SHA-256). Past ``limit``: storage.TooLarge, nothing kept."""
    return copy_limited(storage(), written_in_transaction(key), stream, limit)


def files_pending(session: Session) -> list[str]:
    """The keys written in ``session``'s current transaction (for tests and diagnostics)."""
    return [key for _, key in session.info.get(_KEY, [])]


@event.listens_for(Session, "after_commit")
def _keep_the_files(session: Session) -> None:
    session.info.pop(_KEY, None)


@event.listens_for(Session, "after_transaction_end")
def _delete_the_files(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:  # a savepoint: its outer transaction decides
        return
    written: list[tuple[Storage, str]] = session.info.pop(_KEY, [])
    for store, key in written:
        try:
            store.delete(key)
        except Exception:  # never hide the refusal behind a storage error
            log.warning("could not delete %s after a rollback", key, exc_info=True)
