"""Files written in a transaction that rolls back are deleted with it (exam/core/files.py);
committed, they stay. The uploads that use it: tests/marking/test_scan_files.py."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from exam.core.files import files_pending, written_in_transaction
from exam.core.storage import storage
from exam.extensions import db


def _write(name: str) -> Path:
    key = written_in_transaction(f"uploads/{name}")
    storage().put(key, b"data")
    return storage().path(key)  # the directory backend (both: tests/storage)


def test_a_rollback_deletes_the_files_the_transaction_wrote(app):
    db.session.execute(sa.text("SELECT 1"))
    path = _write("rolled-back.bin")
    assert files_pending(db.session()) == ["uploads/rolled-back.bin"]
    db.session.rollback()
    assert not path.exists()
    assert files_pending(db.session()) == []


def test_a_commit_keeps_them_and_the_next_rollback_does_not_touch_them(app):
    path = _write("committed.bin")
    db.session.commit()
    later = _write("later.bin")
    db.session.rollback()
    assert path.exists()
    assert not later.exists()
    path.unlink()


def test_a_savepoint_rolled_back_leaves_the_decision_to_the_outer_transaction(app):
    with db.session.begin_nested() as savepoint:
        path = _write("in-savepoint.bin")
        savepoint.rollback()
    assert path.exists()  # the outer transaction may still commit
    db.session.commit()
    assert path.exists()
    path.unlink()


def test_a_session_closed_without_commit_deletes_them(app):
    path = _write("closed.bin")
    db.session.close()
    assert not path.exists()


def test_the_panels_media_and_the_dossiers_files_are_tracked(app):
    """The other writers use it: a recording or đề án copied in, a dossier's document."""
    import io

    from exam.candidates import uploads
    from exam.panels import media

    upload = media.store_stream(
        io.BytesIO(b"ID3" + b"\x00" * 64),
        filename="a.mp3",
        content_type="audio/mpeg",
        extension=".mp3",
        limit=1024,
    )
    stored = uploads.store(b"%PDF-1.4\n%%EOF\n", "application/pdf", ".pdf")
    document = uploads.key_of(stored.stored_name)
    assert {upload.key, document} <= set(files_pending(db.session()))
    assert storage().exists(upload.key)
    db.session.rollback()
    assert not storage().exists(upload.key)
    assert not storage().exists(document)
