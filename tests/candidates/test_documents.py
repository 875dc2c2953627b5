"""The dossier's files: type read from the content, size limited, stored outside the web
root under generated names, downloadable only by their candidate and the board."""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine

from exam import ROOT
from exam.accounts.models import Role
from exam.candidates.eligibility import DocumentKind, Outcome
from exam.candidates.models import ApplicationDocument
from exam.candidates.operations import prune_uploads
from exam.candidates.queries import precheck_of
from exam.extensions import db
from tests.conftest import login
from tests.factories import PDF_BYTES, T0

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 100


def _upload(app, user, application, data: bytes, name: str, kind="approval", when=T0, **kw):
    with time_machine.travel(when, tick=False):
        client = login(app.test_client(), user)
        return client.post(
            f"/applications/{application.id}/documents",
            data={"kind": kind, "file": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
            **kw,
        )


def _documents() -> list[ApplicationDocument]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(ApplicationDocument).order_by(ApplicationDocument.id)))


@pytest.fixture
def dossier(make):
    round_ = make.round()
    application = make.dossier(round_.positions[0], documents=False)
    db.session.commit()
    return application


@pytest.mark.parametrize(
    ("data", "name", "content_type", "kept_as"),
    [
        (PDF_BYTES, "Văn bản đồng ý.pdf", "application/pdf", "Văn bản đồng ý.pdf"),
        (PNG, "anh.PNG", "image/png", "anh.png"),
        (JPEG, "scan.jpeg", "image/jpeg", "scan.jpg"),
        (PDF_BYTES, "khong-co-duoi", "application/pdf", "khong-co-duoi.pdf"),
        (PNG, "hinh.pdf", "image/png", "hinh.png"),  # the content decides the extension
    ],
)
def test_pdf_jpeg_and_png_are_accepted_by_their_content(
    app, dossier, upload_dir, data, name, content_type, kept_as
):
    response = _upload(app, dossier.candidate, dossier, data, name)
    assert response.status_code == 302
    (document,) = _documents()
    assert document.content_type == content_type
    assert document.original_name == kept_as
    assert document.size == len(data)
    # Stored under a generated name, in UPLOAD_DIR, outside the web root.
    stored = Path(upload_dir) / document.stored_name
    assert stored.read_bytes() == data
    assert name.split(".")[0] not in document.stored_name
    assert len(document.stored_name.split(".")[0]) == 32
    assert not stored.resolve().is_relative_to((ROOT / "static").resolve())
    assert document.kind == DocumentKind.APPROVAL


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (EXE, "van-bang.pdf"),
        (ELF, "anh.png"),
        (b"<html><script>x</script>", "a.jpg"),
        (b"PK\x03\x04 zip", "hoso.pdf"),
    ],
)
def test_a_file_that_is_not_what_it_claims_is_refused(app, dossier, upload_dir, data, name):
    response = _upload(app, dossier.candidate, dossier, data, name, follow_redirects=True)
    assert response.status_code == 200
    assert "Tệp không phải PDF, JPEG hoặc PNG (kiểm tra theo nội dung tệp)." in response.get_data(
        as_text=True
    )
    assert _documents() == []
    assert not Path(upload_dir).exists() or os.listdir(upload_dir) == []


def test_an_oversize_or_empty_file_is_refused(app, dossier, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 1024 * 1024)
    big = PDF_BYTES + b"0" * (1024 * 1024)
    response = _upload(app, dossier.candidate, dossier, big, "lon.pdf", follow_redirects=True)
    assert response.status_code == 200
    assert "Tệp quá lớn: tối đa 1 MB." in response.get_data(as_text=True)
    empty = _upload(app, dossier.candidate, dossier, b"", "rong.pdf", follow_redirects=True)
    assert empty.status_code == 200
    assert _documents() == []
    exact = PDF_BYTES + b"0" * (1024 * 1024 - len(PDF_BYTES))
    assert _upload(app, dossier.candidate, dossier, exact, "vua.pdf").status_code == 302
    assert [d.size for d in _documents()] == [1024 * 1024]


def test_the_request_size_limit_answers_413(app, dossier, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2048)
    response = _upload(app, dossier.candidate, dossier, PDF_BYTES + b"0" * 4096, "lon.pdf")
    assert response.status_code == 413
    assert _documents() == []


def test_uploads_and_removals_stop_at_the_deadline(app, dossier):
    closes = dossier.round.registration_closes_at
    assert _upload(app, dossier.candidate, dossier, PDF_BYTES, "a.pdf").status_code == 302
    late = _upload(
        app, dossier.candidate, dossier, PDF_BYTES, "b.pdf", when=closes, follow_redirects=True
    )
    assert "Đã hết hạn nhận hồ sơ: không thể sửa hồ sơ." in late.get_data(as_text=True)
    (document,) = _documents()
    url = f"/applications/{dossier.id}/documents/{document.id}/delete"
    with time_machine.travel(closes, tick=False):
        page = login(app.test_client(), dossier.candidate).post(url, follow_redirects=True)
    assert "Đã hết hạn nhận hồ sơ" in page.get_data(as_text=True)
    assert len(_documents()) == 1
    with time_machine.travel(T0, tick=False):
        login(app.test_client(), dossier.candidate).post(url)
    assert _documents() == []


def test_a_document_moves_its_criterion_from_needs_document_to_met(app, dossier):
    def approval():
        db.session.expire_all()
        return next(line for line in precheck_of(dossier) if line.key == "approval")

    assert approval().outcome == Outcome.NEEDS_DOCUMENT
    _upload(app, dossier.candidate, dossier, PDF_BYTES, "dong-y.pdf", kind="approval")
    assert approval().outcome == Outcome.MET


def test_only_the_candidate_the_board_and_the_supervisors_download(app, make, dossier):
    _upload(app, dossier.candidate, dossier, PDF_BYTES, "Đồng ý.pdf")
    (document,) = _documents()
    url = f"/applications/{dossier.id}/documents/{document.id}"
    people = {
        "candidate": (dossier.candidate, 200),
        "other": (make.user(Role.CANDIDATE), 404),
        "panel": (make.user(Role.PANEL_MEMBER), 404),
        "author": (make.user(Role.QUESTION_AUTHOR), 404),
        "board": (make.user(Role.BOARD_ADMIN), 200),
        "supervisor": (make.user(Role.SUPERVISOR), 200),
        "guest": (None, 302),
    }
    db.session.commit()
    for _label, (user, expected) in people.items():
        response = login(app.test_client(), user).get(url)
        assert response.status_code == expected, _label
        if expected == 200:
            assert response.data == PDF_BYTES
            assert response.headers["Content-Type"] == "application/pdf"
            assert response.headers["Content-Disposition"].startswith("attachment;")
            assert "no-store" in response.headers["Cache-Control"]


# --- the names shown and offered on download (issue 10 item 7) -------------------------------

RLO = "\u202e"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (f"invoice{RLO}fdp.exe", "invoicefdp.pdf"),  # shown as "invoiceexe.pdf" if kept
        ("hoso\x00.exe", "hoso.pdf"),
        ("bao\x1bcao\x9b\x90.pdf", "baocao.pdf"),  # C0 escape, C1 CSI and DCS
        ("a\u2066b\u2067c\u2068d\u2069e\u202af\u202bg\u202ch\u202di.pdf", "abcdefghi.pdf"),
        ("x\u200ey\u200fz\u061c.pdf", "xyz.pdf"),  # LRM, RLM, Arabic letter mark
        ("zero\u200bwidth\ufeff.pdf", "zerowidth.pdf"),
        ("../../etc/passwd", "passwd.pdf"),
        (".htaccess", "htaccess.pdf"),
        ("Đồng ý".replace("ồ", "o\u0302\u0300") + ".pdf", "Đồng ý.pdf"),  # NFD from macOS
        ("ba..pdf.exe", "ba..pdf.pdf"),
        (RLO, "tep.pdf"),
    ],
)
def test_upload_names_are_cleaned_and_take_the_stored_types_extension(app, dossier, name, expected):
    assert _upload(app, dossier.candidate, dossier, PDF_BYTES, name).status_code == 302
    (document,) = _documents()
    assert document.original_name == expected
    assert document.display_name == expected
    page = login(app.test_client(), dossier.candidate).get(f"/applications/{dossier.id}")
    html = page.get_data(as_text=True)
    assert expected in html
    assert RLO not in html
    assert "\x00" not in html


def test_a_long_name_is_cut_and_keeps_the_stored_extension(app, dossier):
    _upload(app, dossier.candidate, dossier, JPEG, "ả" * 400 + ".exe")
    (document,) = _documents()
    assert len(document.original_name) <= 120
    assert document.original_name == "ả" * 116 + ".jpg"


def test_the_download_names_the_stored_type_with_rfc_5987(app, dossier):
    _upload(app, dossier.candidate, dossier, PDF_BYTES, f"Hóa đơn{RLO}fdp.exe")
    _upload(app, dossier.candidate, dossier, PDF_BYTES, f"invoice{RLO}fdp.exe", kind="cv")
    vietnamese, plain = _documents()
    client = login(app.test_client(), dossier.candidate)
    header = client.get(f"/applications/{dossier.id}/documents/{vietnamese.id}").headers[
        "Content-Disposition"
    ]
    # filename*: the exact name (RFC 5987); filename: werkzeug's ASCII fallback, without đ
    assert header == (
        "attachment; filename=\"Hoa onfdp.pdf\"; filename*=UTF-8''H%C3%B3a%20%C4%91%C6%A1nfdp.pdf"
    )
    header = client.get(f"/applications/{dossier.id}/documents/{plain.id}").headers[
        "Content-Disposition"
    ]
    assert header == "attachment; filename=invoicefdp.pdf"


def test_a_name_saved_before_cleaning_is_cleaned_when_shown_and_downloaded(app, dossier):
    _upload(app, dossier.candidate, dossier, PDF_BYTES, "cu.pdf")
    (document,) = _documents()
    # As an older version stored it (BEL, not NUL: PostgreSQL text cannot hold a NUL).
    document.original_name = f"cv\x07{RLO}gpj.exe"
    db.session.commit()
    client = login(app.test_client(), dossier.candidate)
    response = client.get(f"/applications/{dossier.id}/documents/{document.id}")
    assert response.headers["Content-Disposition"] == "attachment; filename=cvgpj.pdf"
    html = client.get(f"/applications/{dossier.id}").get_data(as_text=True)
    assert "cvgpj.pdf" in html
    assert RLO not in html


def test_a_document_is_reached_only_through_its_own_application(app, make, dossier):
    other = make.dossier(dossier.position, documents=False)
    db.session.commit()
    _upload(app, other.candidate, other, PDF_BYTES, "cua-nguoi-khac.pdf")
    (document,) = _documents()
    client = login(app.test_client(), dossier.candidate)
    assert client.get(f"/applications/{dossier.id}/documents/{document.id}").status_code == 404
    assert client.get(f"/applications/{other.id}/documents/{document.id}").status_code == 404
    assert client.get(f"/applications/{dossier.id}/documents/999999").status_code == 404


def test_prune_removes_only_old_files_no_document_refers_to(app, dossier, upload_dir):
    _upload(app, dossier.candidate, dossier, PDF_BYTES, "giu.pdf")
    (document,) = _documents()
    orphan_old = Path(upload_dir) / ("a" * 32 + ".pdf")
    orphan_new = Path(upload_dir) / ("b" * 32 + ".pdf")
    orphan_old.write_bytes(PDF_BYTES)
    orphan_new.write_bytes(PDF_BYTES)
    old = (dt.datetime.now() - dt.timedelta(hours=2)).timestamp()
    os.utime(orphan_old, (old, old))
    os.utime(Path(upload_dir) / document.stored_name, (old, old))
    assert prune_uploads() == [orphan_old.name]
    assert sorted(p.name for p in Path(upload_dir).iterdir() if p.is_file()) == sorted(
        [document.stored_name, orphan_new.name]
    )


def test_a_document_refused_after_its_file_was_written_leaves_no_file(
    app, dossier, upload_dir, monkeypatch
):
    """The audit entry fails once the file is on disk (exam/core/files.py): the page says
    why, no row is saved and the file is deleted with the rolled-back transaction."""
    from exam.candidates import operations
    from exam.core.errors import DomainError

    def failing_record(action, *args, **kwargs):
        assert len(list(Path(upload_dir).iterdir())) == 1  # written before the refusal
        raise DomainError("Sổ nhật ký tạm thời không ghi được.")

    monkeypatch.setattr(operations, "record", failing_record)
    response = _upload(app, dossier.candidate, dossier, PDF_BYTES, "don.pdf")
    assert response.status_code in (302, 303)
    assert _documents() == []
    assert list(Path(upload_dir).iterdir()) == []


# --- On either store (exam/core/storage.py: a directory, an S3-compatible bucket) -------------


def test_a_dossiers_file_is_stored_and_streamed_back_from_either_store(app, dossier, stored_on):
    from exam.candidates.uploads import key_of
    from exam.core.storage import storage

    response = _upload(app, dossier.candidate, dossier, PDF_BYTES, "Đơn đăng ký.pdf")
    assert response.status_code == 302
    (document,) = _documents()
    assert storage().read(key_of(document.stored_name)) == PDF_BYTES
    client = login(app.test_client(), dossier.candidate)
    url = f"/applications/{dossier.id}/documents/{document.id}"
    served = client.get(url)
    assert served.status_code == 200
    assert served.get_data() == PDF_BYTES
    assert served.mimetype == "application/pdf"
    assert served.headers["Content-Length"] == str(len(PDF_BYTES))
    assert served.headers["Cache-Control"] == "private, no-store"
    disposition = served.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%C4%90%C6%A1n%20%C4%91%C4%83ng%20k%C3%BD.pdf" in disposition

    storage().delete(key_of(document.stored_name))  # lost from the store: 404, never a 500
    assert client.get(url).status_code == 404


def test_a_document_refused_after_its_write_leaves_no_file_in_either_store(
    app, dossier, stored_on, monkeypatch
):
    from exam.candidates import operations
    from exam.core.errors import DomainError
    from exam.core.storage import storage

    def failing_record(action, *args, **kwargs):
        assert len(list(storage().listing("uploads"))) == 1  # written before the refusal
        raise DomainError("Sổ nhật ký tạm thời không ghi được.")

    monkeypatch.setattr(operations, "record", failing_record)
    response = _upload(app, dossier.candidate, dossier, PDF_BYTES, "don.pdf")
    assert response.status_code in (302, 303)
    assert _documents() == []
    assert list(storage().listing("uploads")) == []


def test_prune_removes_the_orphans_of_either_store_and_nothing_below(app, dossier, stored_on):
    from exam.core.storage import storage

    _upload(app, dossier.candidate, dossier, PDF_BYTES, "giu.pdf")
    (document,) = _documents()
    orphan = "a" * 32 + ".pdf"
    storage().put(f"uploads/{orphan}", PDF_BYTES)
    storage().put("uploads/scans/" + "c" * 32 + ".pdf", PDF_BYTES)  # another kind's folder

    assert prune_uploads() == []  # written within the hour: an upload may be in flight
    assert prune_uploads(older_than=-dt.timedelta(hours=1)) == [orphan]
    assert sorted(f.key for f in storage().listing("uploads")) == [
        "uploads/" + document.stored_name,
        "uploads/scans/" + "c" * 32 + ".pdf",
    ]
