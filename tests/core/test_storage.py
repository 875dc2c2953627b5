"""The stored files' one interface on both backends (exam/core/storage.py): a directory and a
real S3-compatible server (moto's, on loopback: tests/storage_backends.py). Each kind of
stored file is uploaded and downloaded on both in its own domain's tests (the đề án, the
recordings, the signed sheets' scans, the dossiers' documents, the paper scripts, the issued
documents, the staged imports); here: the calls themselves, a rolled-back transaction's
files, a streamed download's headers, a missing file, the backup's round trip of either
store, and the settings that stop the start."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import NotFound

from exam import create_app
from exam.core.files import files_pending, put_in_transaction
from exam.core.storage import TooLarge, copy_limited, storage
from exam.extensions import db
from tests.core.standalone import fresh_database_url, standalone_app
from tests.storage_backends import BUCKET, s3_settings

NAME = "Biên bản phỏng vấn.pdf"
DATA = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def test_a_file_is_put_read_listed_and_deleted(stored_on):
    store = storage()
    store.put("uploads/a.pdf", DATA)
    store.put("uploads/interviews/b.mp3", io.BytesIO(b"ID3" + b"\x00" * 100))
    store.put("documents/7/CODE.pdf", b"%PDF-1.4 issued")

    assert store.exists("uploads/a.pdf")
    assert store.read("uploads/a.pdf") == DATA
    with store.open("uploads/a.pdf") as stream:
        assert stream.read() == DATA
    assert store.size("uploads/interviews/b.mp3") == 103
    assert store.stat("uploads/a.pdf").size == len(DATA)
    assert [f.key for f in store.listing("uploads")] == [
        "uploads/a.pdf",
        "uploads/interviews/b.mp3",
    ]
    assert [f.key for f in store.listing("uploads", recursive=False)] == ["uploads/a.pdf"]
    assert [f.key for f in store.listing("documents/7")] == ["documents/7/CODE.pdf"]

    store.delete("uploads/a.pdf")
    store.delete("uploads/a.pdf")  # nothing there: nothing happens
    assert not store.exists("uploads/a.pdf")
    with pytest.raises(FileNotFoundError):
        store.read("uploads/a.pdf")
    with pytest.raises(FileNotFoundError):
        store.size("uploads/a.pdf")


def test_a_file_put_again_replaces_it_unless_exclusive(stored_on):
    store = storage()
    store.put("uploads/x.pdf", b"first")
    store.put("uploads/x.pdf", b"second")
    assert store.read("uploads/x.pdf") == b"second"

    with pytest.raises(FileExistsError):
        store.put("uploads/x.pdf", b"third", exclusive=True)
    with pytest.raises(FileExistsError):
        store.put("uploads/x.pdf", io.BytesIO(b"fourth"), exclusive=True)
    assert store.read("uploads/x.pdf") == b"second"


@pytest.mark.parametrize(
    "key",
    [
        "a.pdf",  # no area
        "other/a.pdf",
        "uploads/../documents/a.pdf",
        "uploads/../../etc/passwd",
        "uploads/.hidden",
        "uploads//a.pdf",
        "/uploads/a.pdf",
        "uploads/a\\b.pdf",
        "uploads/",
    ],
)
def test_a_key_leaving_its_area_is_refused(stored_on, key):
    store = storage()
    for call in (store.read, store.exists, store.delete, lambda k: store.put(k, b"x")):
        with pytest.raises(ValueError, match="not a stored file's key"):
            call(key)


def test_a_stream_past_its_limit_leaves_nothing(stored_on):
    store = storage()
    with pytest.raises(TooLarge):
        copy_limited(store, "uploads/big.bin", io.BytesIO(b"x" * 5000), limit=4999)
    assert not store.exists("uploads/big.bin")

    size, sha256 = copy_limited(store, "uploads/fits.bin", io.BytesIO(b"x" * 5000), limit=5000)
    assert (size, sha256) == (5000, hashlib.sha256(b"x" * 5000).hexdigest())
    assert store.read("uploads/fits.bin") == b"x" * 5000


def test_a_rollback_deletes_the_files_of_its_transaction_on_either_store(app, stored_on):
    store = storage()
    db.session.execute(sa.text("SELECT 1"))
    put_in_transaction("uploads/refused.pdf", io.BytesIO(DATA))
    assert files_pending(db.session()) == ["uploads/refused.pdf"]
    assert store.exists("uploads/refused.pdf")
    db.session.rollback()
    assert not store.exists("uploads/refused.pdf")

    put_in_transaction("uploads/kept.pdf", io.BytesIO(DATA))
    db.session.commit()
    put_in_transaction("uploads/later.pdf", io.BytesIO(DATA))
    db.session.rollback()
    assert store.exists("uploads/kept.pdf")
    assert not store.exists("uploads/later.pdf")


def test_a_download_is_streamed_with_its_headers_and_ranges(app, stored_on):
    storage().put("uploads/interviews/bien-ban.pdf", DATA)

    with app.test_request_context():
        whole = storage().send(
            "uploads/interviews/bien-ban.pdf",
            download_name=NAME,
            mimetype="application/pdf",
            as_attachment=True,
        )
        whole.direct_passthrough = False
        assert whole.status_code == 200
        assert whole.get_data() == DATA
    assert whole.mimetype == "application/pdf"
    assert whole.content_length == len(DATA)
    assert whole.headers["Cache-Control"] == "private, no-store"
    disposition = whole.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert (
        "filename*=UTF-8''Bi%C3%AAn%20b%E1%BA%A3n%20ph%E1%BB%8Fng%20v%E1%BA%A5n.pdf" in disposition
    )

    with app.test_request_context(headers={"Range": "bytes=100-299"}):
        part = storage().send(
            "uploads/interviews/bien-ban.pdf",
            download_name="a.pdf",
            mimetype="application/pdf",
            as_attachment=False,
        )
        part.direct_passthrough = False
        assert part.status_code == 206
        assert part.get_data() == DATA[100:300]
    assert part.headers["Content-Range"] == f"bytes 100-299/{len(DATA)}"
    assert part.headers["Content-Disposition"].startswith("inline;")


def test_a_missing_file_is_a_404_not_a_500(app, stored_on):
    with app.test_request_context(), pytest.raises(NotFound):
        storage().send("uploads/gone.pdf", download_name="a.pdf", mimetype="application/pdf")


def test_a_bucket_keeps_each_deployment_below_its_prefix(app, s3_server, monkeypatch):
    for name, value in s3_settings(s3_server, "site-a/").items():
        monkeypatch.setitem(app.config, name, value)
    storage().put("uploads/a.pdf", b"a")
    monkeypatch.setitem(app.config, "STORAGE_PREFIX", "site-b")
    assert not storage().exists("uploads/a.pdf")
    listed = storage().client.list_objects_v2(Bucket=BUCKET, Prefix="site-a/")  # type: ignore[attr-defined]
    assert [o["Key"] for o in listed["Contents"]] == ["site-a/uploads/a.pdf"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND='ftp'"),
        ({"STORAGE_BACKEND": "s3", "STORAGE_BUCKET": ""}, "needs STORAGE_BUCKET"),
    ],
)
def test_settings_naming_no_usable_store_stop_the_start(settings, message):
    with pytest.raises(RuntimeError, match=message):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", **settings})


# --- Backups of either store ----------------------------------------------------------------

UPLOADED = {"uploads/3f2a.pdf": b"%PDF-1.4 don\n", "uploads/interviews/ghi-am.webm": b"\x1a\x45"}
ISSUED = {"documents/2026/QD.pdf": b"%PDF-1.4 quyet dinh\n"}


def _store_settings(backend: str, s3_server: str, folder: Path, prefix: str) -> dict[str, str]:
    if backend == "s3":
        return s3_settings(s3_server, prefix)
    return {"UPLOAD_DIR": str(folder / "uploads"), "DOCUMENTS_DIR": str(folder / "documents")}


def _backed_up(backend: str, s3_server: str, tmp_path: Path) -> Path:
    source = tmp_path / "source"
    source.mkdir()
    settings = _store_settings(backend, s3_server, source, f"{tmp_path.name}-source")
    with (
        fresh_database_url(source, "store_source") as url,
        standalone_app(url, source, **settings) as app,
    ):
        for key, data in {**UPLOADED, **ISSUED}.items():
            storage().put(key, data)
        archive = source / "backup.tar.gz"
        created = app.test_cli_runner().invoke(args=["backup", "create", "--output", str(archive)])
        assert created.exit_code == 0, created.output + repr(created.exception)
    return archive


@pytest.mark.parametrize("backend", ["directory", "s3"])
def test_a_backup_takes_the_stores_files_and_restores_them_into_another(
    backend, s3_server, tmp_path
):
    archive = _backed_up(backend, s3_server, tmp_path)
    target = tmp_path / "target"
    target.mkdir()
    settings = _store_settings(backend, s3_server, target, f"{tmp_path.name}-target")
    with (
        fresh_database_url(target, "store_target") as url,
        standalone_app(url, target, create=False, **settings) as app,
    ):
        runner = app.test_cli_runner()
        assert runner.invoke(args=["backup", "verify", str(archive)]).exit_code == 0
        restored = runner.invoke(args=["backup", "restore", str(archive)])
        assert restored.exit_code == 0, restored.output + repr(restored.exception)
        for key, data in {**UPLOADED, **ISSUED}.items():
            assert storage().read(key) == data
        assert sa.inspect(db.engine).has_table("users")


@pytest.mark.parametrize("backend", ["directory", "s3"])
def test_a_restore_into_a_store_holding_other_contents_is_refused(backend, s3_server, tmp_path):
    archive = _backed_up(backend, s3_server, tmp_path)
    target = tmp_path / "target"
    target.mkdir()
    settings = _store_settings(backend, s3_server, target, f"{tmp_path.name}-busy")
    with (
        fresh_database_url(target, "store_busy") as url,
        standalone_app(url, target, create=False, **settings) as app,
    ):
        storage().put("uploads/3f2a.pdf", b"%PDF-1.4 another file\n")
        restored = app.test_cli_runner().invoke(args=["backup", "restore", str(archive)])
        assert restored.exit_code == 1
        assert "exists with other contents" in restored.output
        assert not storage().exists("documents/2026/QD.pdf")
        with db.engine.connect() as connection:
            assert sa.inspect(connection).get_table_names() == []
