"""`flask backup create / verify / restore` (exam/core/backups.py): the demo round (answers,
score sheets, audit entries, notices…) and files beside it backed up, restored into an empty
database and empty folders, found again row for row with the audit chain verifying; a damaged
archive or a database that is not empty refused, nothing touched."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from exam.audit.operations import verify_chain
from exam.audit.reconcile import compare_with_trail
from exam.core.backups import MANIFEST, _encode
from exam.core.db import utcnow
from exam.demo import load_demo
from exam.extensions import db
from tests import factories
from tests.core.standalone import fresh_database_url, standalone_app

UPLOADED = {"dossiers/3f2a.pdf": b"%PDF-1.4 don dang ky\n", "interviews/ghi-am.webm": b"\x1a\x45"}
ISSUED = {"2026/quyet-dinh.pdf": b"%PDF-1.4 quyet dinh\n"}


def _folders(root: Path) -> dict[str, Any]:
    return {"UPLOAD_DIR": str(root / "uploads"), "DOCUMENTS_DIR": str(root / "documents")}


def _write(folder: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)


def _every_row() -> dict[str, list[dict[str, Any]]]:
    """Every table's rows, in key order, as the backup writes them."""
    db.session.rollback()
    rows = {}
    for table in db.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        result = db.session.execute(sa.select(table).order_by(*order))
        rows[table.name] = [{k: _encode(v) for k, v in row._mapping.items()} for row in result]
    return rows


@pytest.fixture(scope="module")
def backed_up(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo round and some files, backed up once for the module's tests."""
    source = tmp_path_factory.mktemp("source")
    with (
        fresh_database_url(source, "backup_source") as url,
        standalone_app(url, source, **_folders(source)) as app,
    ):
        factories.auto_seat["on"] = False  # the demo seats its people itself
        try:
            load_demo(now=utcnow())
        finally:
            factories.auto_seat["on"] = True
        db.session.commit()
        _write(source / "uploads", UPLOADED)
        _write(source / "documents", ISSUED)
        archive = source / "exam-backup.tar.gz"
        created = app.test_cli_runner().invoke(args=["backup", "create", "--output", str(archive)])
        assert created.exit_code == 0, created.output + repr(created.exception)
        made = {"archive": archive, "rows": _every_row(), "output": created.output}
    return made  # the archive stands alone: the source database is gone


@pytest.fixture
def empty_app(tmp_path: Path) -> Iterator[Flask]:
    with (
        fresh_database_url(tmp_path, "backup_target") as url,
        standalone_app(url, tmp_path, create=False, **_folders(tmp_path)) as app,
    ):
        yield app


def test_a_backup_restored_into_an_empty_database_finds_everything(backed_up, empty_app, tmp_path):
    runner = empty_app.test_cli_runner()
    assert "Backup written:" in backed_up["output"]
    assert runner.invoke(args=["backup", "verify", str(backed_up["archive"])]).exit_code == 0

    restored = runner.invoke(args=["backup", "restore", str(backed_up["archive"])])

    assert restored.exit_code == 0, restored.output + repr(restored.exception)
    rows = _every_row()
    assert rows == backed_up["rows"]  # every table, row for row, value for value
    for table in ("answers", "attempts", "score_sheets", "audit_entries", "users"):
        assert rows[table], table  # the demo has some of each: the comparison means something
    for name, data in UPLOADED.items():
        assert (tmp_path / "uploads" / name).read_bytes() == data
    for name, data in ISSUED.items():
        assert (tmp_path / "documents" / name).read_bytes() == data
    assert verify_chain().intact
    assert compare_with_trail() == []
    audit = runner.invoke(args=["audit", "verify"])
    assert audit.exit_code == 0, audit.output
    assert "Audit trail intact" in audit.output


def test_the_restored_database_takes_new_rows_after_the_old_ones(backed_up, empty_app):
    """PostgreSQL's sequences move past the restored ids: the next audit entry and the next
    account get fresh keys, not a clash."""
    from exam.accounts.models import User
    from exam.audit.operations import record

    assert (
        empty_app.test_cli_runner()
        .invoke(args=["backup", "restore", str(backed_up["archive"])])
        .exit_code
        == 0
    )
    user = User(email="moi@test.example", full_name="Người mới", password_hash="x")
    db.session.add(user)
    entry = record("account.create", user)
    db.session.commit()
    assert user.id > max(row["id"] for row in backed_up["rows"]["users"])
    assert entry.id > max(row["id"] for row in backed_up["rows"]["audit_entries"])
    assert entry.seq > max(row["seq"] for row in backed_up["rows"]["audit_entries"])
    assert verify_chain().intact


def _tampered(archive: Path, target: Path, change: Any) -> Path:
    """A copy of ``archive`` with ``change(name, data) -> data`` applied to its members."""
    with tarfile.open(archive, "r:gz") as source, tarfile.open(target, "w:gz") as copy:
        for member in source:
            data = change(member.name, source.extractfile(member).read())
            member.size = len(data)
            copy.addfile(member, io.BytesIO(data))
    return target


def test_a_backup_whose_checksum_differs_is_refused_and_nothing_is_touched(
    backed_up, empty_app, tmp_path
):
    def flip_an_upload(name: str, data: bytes) -> bytes:
        return data.replace(b"don dang ky", b"don da sua") if name.startswith("files/") else data

    damaged = _tampered(backed_up["archive"], tmp_path / "damaged.tar.gz", flip_an_upload)
    runner = empty_app.test_cli_runner()

    verified = runner.invoke(args=["backup", "verify", str(damaged)])
    restored = runner.invoke(args=["backup", "restore", str(damaged)])

    assert verified.exit_code == 1
    assert "files/uploads/dossiers/3f2a.pdf: checksum differs from the manifest" in verified.output
    assert restored.exit_code == 1
    assert "Restore refused, nothing was changed" in restored.output
    assert "checksum differs" in restored.output
    with db.engine.connect() as connection:
        assert sa.inspect(connection).get_table_names() == []  # the database untouched
    assert not (tmp_path / "uploads").exists() or not any((tmp_path / "uploads").rglob("*.pdf"))


@pytest.mark.parametrize(
    "change",
    [
        "a member not in the manifest",
        "a member missing",
        "a name leaving its folder",
        "not gzip at all",
    ],
)
def test_other_damaged_backups_are_refused(backed_up, empty_app, tmp_path, change):
    archive = tmp_path / "other.tar.gz"
    if change == "not gzip at all":
        archive.write_bytes(b"not an archive")
    else:
        _crafted(backed_up["archive"], archive, change)

    restored = empty_app.test_cli_runner().invoke(args=["backup", "restore", str(archive)])

    assert restored.exit_code == 1, restored.output
    assert "Restore refused, nothing was changed" in restored.output
    with db.engine.connect() as connection:
        assert sa.inspect(connection).get_table_names() == []
    assert not (tmp_path.parent / "evil.txt").exists()


def _crafted(archive: Path, target: Path, change: str) -> None:
    with tarfile.open(archive, "r:gz") as source:
        members = {m.name: source.extractfile(m).read() for m in source}
    manifest = json.loads(members[MANIFEST])
    if change == "a member not in the manifest":
        members["files/uploads/extra.pdf"] = b"%PDF added later"
    elif change == "a member missing":
        del members[next(name for name in members if name.startswith("files/documents/"))]
    else:  # listed with its right checksum, but its name climbs out of the folder
        import hashlib

        data = b"evil"
        name = "files/uploads/../../evil.txt"
        members[name] = data
        manifest["files"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": 4}
    members[MANIFEST] = json.dumps(manifest).encode()
    with tarfile.open(target, "w:gz") as copy:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            copy.addfile(info, io.BytesIO(data))


def test_a_database_that_is_not_empty_is_refused(backed_up, tmp_path):
    with (
        fresh_database_url(tmp_path, "backup_busy") as url,
        standalone_app(url, tmp_path, **_folders(tmp_path)) as busy,
    ):
        restored = busy.test_cli_runner().invoke(
            args=["backup", "restore", str(backed_up["archive"])]
        )
        assert restored.exit_code == 1
        assert "the database is not empty" in restored.output
        assert db.session.scalar(sa.text("SELECT count(*) FROM users")) == 0
