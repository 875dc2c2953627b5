"""Files written by a transaction that rolls back are deleted with it.

An upload is written to disk before the row naming it is flushed, because the row stores the
file's size and SHA-256. When the operation is then refused (a later file of a ZIP, a check
after the write, the audit, a constraint), the boundary rolls the transaction back
(``exam/core/views.py::run_operation``) and the row is gone, but the file would stay, holding
personal data nobody can reach. Each writer names its new file with ``written_in_transaction``;
the session's events delete the files when its outermost transaction ends without a commit,
and forget them when it commits."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from exam.extensions import db

_KEY = "exam.files_written"
log = logging.getLogger(__name__)


def written_in_transaction(path: Path) -> Path:
    """Delete ``path`` if the current transaction of the app's session rolls back."""
    session = db.session()
    if not session.in_transaction():
        session.begin()  # the file belongs to this transaction, not to the one before
    session.info.setdefault(_KEY, []).append(Path(path))
    return path


def files_pending(session: Session) -> list[Path]:
    """The files written in ``session``'s current transaction (for tests and diagnostics)."""
    return list(session.info.get(_KEY, []))


@event.listens_for(Session, "after_commit")
def _keep_the_files(session: Session) -> None:
    session.info.pop(_KEY, None)


@event.listens_for(Session, "after_transaction_end")
def _delete_the_files(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:  # a savepoint: its outer transaction decides
        return
    for path in session.info.pop(_KEY, []):
        try:
            path.unlink(missing_ok=True)
        except OSError:  # never hide the refusal behind a file system error
            log.warning("could not delete %s after a rollback", path)
