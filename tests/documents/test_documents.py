"""Issued documents (issue 16 items 5 and 6): stored once with their SHA-256 and a short
code, the same bytes at every download, printed on the NĐ 30 base with the code and a QR
code of the public verification page, which tells a genuine PDF from a changed one and says
nothing of documents whose code was not given."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import unicodedata

import pytest
import segno
import sqlalchemy as sa
from flask import Flask
from pypdf import PdfReader

from exam.accounts.models import Role
from exam.audit.models import AuditEntry
from exam.core.documents import DocumentFrame, Signature, Verification
from exam.core.errors import ValidationFailed
from exam.core.pdf import render_pdf
from exam.core.storage import storage
from exam.documents import operations
from exam.documents.models import CODE_ALPHABET, CODE_LENGTH, DocumentKind, IssuedDocument
from exam.documents.operations import issue_document
from exam.documents.queries import (
    DocumentDamaged,
    document_bytes,
    document_key,
    normalise_code,
)
from exam.extensions import db
from exam.supervision.models import SupervisionReport
from exam.supervision.queries import ReportDocument, TrailFilter, round_trail
from tests.accounts.test_accounts import rate_limited_app
from tests.conftest import login

SITE = "https://thituyen.example.vn"


def _report(verification: Verification | None, paragraphs: int = 3) -> bytes:
    """A supervision report's PDF from plain data: the NĐ 30 base with its footer."""
    data = ReportDocument(
        document=DocumentFrame(
            parent_body="Sở Nội vụ",
            issuer="Ban giám sát kỳ thi tuyển",
            issued_at=dt.date(2026, 3, 5),
            symbol="BC-BGS",
            number=7,
            signature=Signature(function="TRƯỞNG BAN", signer="Phạm Giám Sát"),
            recipients=("Hội đồng thi tuyển", "Lưu: BGS"),
            verification=verification,
        ),
        round_name="Kỳ thi tuyển Trưởng phòng",
        organisation="Bệnh viện Đa khoa Thử Nghiệm",
        scope="Toàn bộ kỳ thi",
        findings=tuple(
            f"Đoạn {i}: các bài thi được niêm phong đúng quy định, phòng thi đúng giờ; "
            "Hội đồng đã kiểm tra đầy đủ hồ sơ của từng thí sinh." * 3
            for i in range(paragraphs)
        ),
        recommendations=(),
        audit_anchor="12:ab12",
        chain_intact=True,
    )
    return render_pdf("pdf/supervision_report.html", report=data)


def _issue(app: Flask, round_, actor, *, number="07/BC-BGS", subject=None, **kw):
    with app.test_request_context(base_url=SITE):
        doc = issue_document(
            kind=kw.pop("kind", DocumentKind.SUPERVISION_REPORT),
            round_=round_,
            number=number,
            title="Báo cáo kết quả giám sát kỳ thi tuyển",
            issuer="Ban giám sát kỳ thi tuyển",
            issued_on=dt.date(2026, 3, 5),
            render=kw.pop("render", _report),
            actor=actor,
            subject_user=subject,
        )
        db.session.commit()
        return doc


def _text(pdf: bytes) -> list[str]:
    pages = PdfReader(io.BytesIO(pdf)).pages
    return [" ".join(unicodedata.normalize("NFC", p.extract_text()).split()) for p in pages]


@pytest.fixture
def issued(app, make):
    supervisor = make.user(Role.SUPERVISOR, name="Phạm Giám Sát")  # seated on every round
    round_ = make.round()
    return _issue(app, round_, supervisor), supervisor, round_


# --- issuing ----------------------------------------------------------------------------------


def test_an_issued_document_is_stored_once_and_downloaded_as_the_same_bytes(app, stored_on, issued):
    doc, supervisor, _ = issued
    stored = storage().read(document_key(doc.storage_path))
    assert doc.size == len(stored)
    assert re.fullmatch(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}", doc.code)
    assert doc.sha256 == hashlib.sha256(stored).hexdigest()
    client = login(app.test_client(), supervisor)
    first = client.get(f"/documents/{doc.id}.pdf")
    second = client.get(f"/documents/{doc.id}.pdf")
    assert first.status_code == second.status_code == 200
    assert first.headers["Content-Type"] == "application/pdf"
    assert first.get_data() == second.get_data() == stored
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "documents.issue")
    ).one()
    assert (entry.object_id, entry.actor_id) == (str(doc.id), supervisor.id)
    assert (entry.after["sha256"], entry.after["code"]) == (doc.sha256, doc.code)


def test_an_issue_rolled_back_leaves_no_file_in_either_store(app, make, stored_on):
    supervisor = make.user(Role.SUPERVISOR, name="Phạm Giám Sát")
    round_ = make.round()
    db.session.commit()
    with app.test_request_context(base_url=SITE):
        doc = issue_document(
            kind=DocumentKind.SUPERVISION_REPORT,
            round_=round_,
            number="08/BC-BGS",
            title="Báo cáo",
            issuer="Ban giám sát kỳ thi tuyển",
            issued_on=dt.date(2026, 3, 5),
            render=_report,
            actor=supervisor,
        )
        key = document_key(doc.storage_path)
        assert storage().exists(key)
        db.session.rollback()  # the issue refused after its file was written
    assert not storage().exists(key)


def test_the_printed_code_and_address_are_those_of_the_verification_page(issued):
    doc, _, _ = issued
    pages = _text(document_bytes(doc))
    address = f"{SITE}/xac-minh/{doc.code}"
    for page in pages:  # the footer of every page
        assert f"Mã xác minh: {doc.code}" in page
        assert address in page


def test_the_qr_code_encodes_the_verification_address(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://thituyen.hanoi.example/")
    with app.test_request_context(base_url="http://forged.example"):
        verification = operations.verification_for("ABCDE23456")
    url = "https://thituyen.hanoi.example/xac-minh/ABCDE23456"
    assert verification.url == url  # never the request's Host when the site's is set
    expected = segno.make(url, error="m")
    assert verification.qr_svg == expected.svg_inline(
        scale=0.5, unit="mm", border=2, omitsize=False
    )
    assert segno.make("https://thituyen.hanoi.example/xac-minh/XXXXX23456", error="m").matrix != (
        expected.matrix
    )
    monkeypatch.setitem(app.config, "PUBLIC_URL", "")
    with app.test_request_context(base_url="http://exam-site.local"):
        assert operations.verification_for("ABCDE23456").url == (
            "http://exam-site.local/xac-minh/ABCDE23456"
        )


def test_a_number_is_issued_once_and_bad_values_are_refused(app, issued, make):
    _doc, supervisor, round_ = issued
    rendered = []

    def render(verification):
        rendered.append(verification)
        return b"%PDF-1.7 never stored"

    with pytest.raises(ValidationFailed, match="07/BC-BGS đã được ban hành"):
        _issue(app, round_, supervisor, render=render)
    with pytest.raises(ValidationFailed, match="cần có số"):
        _issue(app, round_, supervisor, number="  ", render=render)
    assert rendered == []  # refused before anything was rendered or stored
    assert db.session.scalar(sa.select(sa.func.count(IssuedDocument.id))) == 1
    # The same number to each of several candidates (one notice per subject) is allowed once each.
    first, second = make.user(), make.user()
    kind = DocumentKind.RESULT_NOTICE
    for subject in (first, second):
        _issue(app, round_, supervisor, number="03/TB-HĐTT", subject=subject, kind=kind)
    with pytest.raises(ValidationFailed):
        _issue(app, round_, supervisor, number="03/TB-HĐTT", subject=first, kind=kind)


def test_the_database_refuses_a_second_row_with_a_number(app, issued):
    doc, supervisor, round_ = issued
    copy = IssuedDocument(
        kind=doc.kind,
        round_id=round_.id,
        number=doc.number,
        title=doc.title,
        issuer=doc.issuer,
        issued_on=doc.issued_on,
        sha256=doc.sha256,
        code="ZZZZZZZZZZ",
        storage_path="x.pdf",
        size=1,
        created_by_id=supervisor.id,
    )
    db.session.add(copy)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()


def test_a_changed_stored_file_is_never_served_as_the_issued_one(app, issued):
    doc, supervisor, _ = issued
    path = storage().path(document_key(doc.storage_path))  # the directory backend
    data = bytearray(path.read_bytes())
    data[-10] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(DocumentDamaged):
        document_bytes(doc)
    assert login(app.test_client(), supervisor).get(f"/documents/{doc.id}.pdf").status_code == 500
    path.unlink()
    with pytest.raises(DocumentDamaged):
        document_bytes(doc)


# --- who downloads -----------------------------------------------------------------------------


def test_a_document_is_downloaded_by_whom_its_domain_allows_and_by_its_subject(app, make, issued):
    doc, _, round_ = issued
    url = f"/documents/{doc.id}.pdf"
    guest = app.test_client().get(url)
    assert guest.status_code == 302
    assert "/login" in guest.headers["Location"]
    outsider = make.user(Role.SUPERVISOR, seated=False)
    assert login(app.test_client(), outsider).get(url).status_code == 404
    assert login(app.test_client(), make.user()).get(url).status_code == 404
    assert app.test_client().get("/documents/999999.pdf").status_code == 404

    board = make.user(Role.BOARD_ADMIN, seated=False)
    candidate = make.user()
    notice = _issue(
        app, round_, board, number="01/TB", subject=candidate, kind=DocumentKind.RESULT_NOTICE
    )
    assert login(app.test_client(), candidate).get(f"/documents/{notice.id}.pdf").status_code == 200
    assert (
        login(app.test_client(), make.user()).get(f"/documents/{notice.id}.pdf").status_code == 404
    )

    announcement = _issue(
        app, round_, board, number="02/TB-HĐTT", kind=DocumentKind.ROUND_ANNOUNCEMENT
    )
    assert app.test_client().get(f"/documents/{announcement.id}.pdf").status_code == 200


# --- the public verification page --------------------------------------------------------------


def test_the_verification_page_shows_what_the_document_is(app, issued):
    doc, _, _ = issued
    response = app.test_client().get(f"/xac-minh/{doc.code}")  # nobody signed in
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for value in (doc.number, "05/03/2026", doc.issuer, doc.title, doc.sha256):
        assert value in page, value


def test_a_genuine_pdf_matches_and_a_pdf_with_one_byte_changed_does_not(app, issued):
    doc, _, _ = issued
    genuine = document_bytes(doc)
    changed = bytearray(genuine)
    changed[len(changed) // 2] ^= 0x01
    client = app.test_client()

    def compare(data: bytes) -> str:
        response = client.post(
            f"/xac-minh/{doc.code}",
            data={"file": (io.BytesIO(data), "van-ban.pdf")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 200
        return response.get_data(as_text=True)

    assert "trùng khớp từng byte" in compare(genuine)
    page = compare(bytes(changed))
    assert "KHÔNG trùng khớp" in page
    assert "trùng khớp từng byte" not in page


def test_an_unknown_code_gets_the_same_page_saying_not_found(app, issued):
    doc, _, _ = issued
    client = app.test_client()
    for code in ("ZZZZZZZZZZ", "abc", "<script>", doc.code[:-1] + "0"):
        response = client.get(f"/xac-minh/{code}")
        page = response.get_data(as_text=True)
        assert response.status_code == 404
        assert "Không tìm thấy văn bản nào có mã xác minh này" in page
        assert "<h1>Xác minh văn bản</h1>" in page  # the same page as a known code's
        for value in (doc.number, doc.sha256, doc.title):
            assert value not in page
    # A PDF sent with an unknown code is not compared with anything.
    response = client.post(
        "/xac-minh/ZZZZZZZZZZ",
        data={"file": (io.BytesIO(document_bytes(doc)), "van-ban.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 404
    assert "trùng khớp" not in response.get_data(as_text=True)


def test_a_code_is_read_as_people_type_it(app, issued):
    doc, _, _ = issued
    typed = f" {doc.code[:5].lower()}-{doc.code[5:].lower()} "
    assert normalise_code(typed) == doc.code
    response = app.test_client().get("/xac-minh", query_string={"code": typed})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/xac-minh/{doc.code}")
    assert app.test_client().get("/xac-minh").status_code == 200
    for typed in ("a/b", "ABCDE0OIL1", "x" * 40):
        response = app.test_client().get("/xac-minh", query_string={"code": typed})
        assert response.status_code == 404
        assert "Không tìm thấy văn bản nào có mã xác minh này" in response.get_data(as_text=True)


def test_an_issue_is_in_its_rounds_trail(issued):
    doc, _, round_ = issued
    entries = round_trail(round_.id, TrailFilter(object_type="IssuedDocument")).entries
    assert [(e.action, e.object_id) for e in entries] == [("documents.issue", str(doc.id))]


def test_a_huge_upload_is_refused_unread(app, issued, monkeypatch):
    doc, _, _ = issued
    monkeypatch.setitem(app.config, "VERIFY_UPLOAD_MAX_BYTES", 1000)
    response = app.test_client().post(
        f"/xac-minh/{doc.code}",
        data={"file": (io.BytesIO(b"%PDF" + b"x" * 5000), "lon.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413


# --- the NĐ 30 base --------------------------------------------------------------------------


def test_the_base_embeds_its_fonts_and_numbers_pages_from_the_second(app):
    with app.test_request_context(base_url=SITE):
        pdf = _report(operations.verification_for("ABCDE23456"), paragraphs=40)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 3
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = (
                font.get("/FontDescriptor")
                or font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            )
            descriptor = descriptor.get_object()
            fonts[font["/BaseFont"]] = any(
                k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
            )
    assert fonts
    assert all(fonts.values()), fonts  # every font embedded
    assert any("Tinos" in name for name in fonts)
    pages = _text(pdf)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in pages[0]
    assert "Số: 07/BC-BGS" in pages[0]
    assert "ngày 05 tháng 3 năm 2026" in pages[0]
    assert "TRƯỞNG BAN" in pages[-1]
    assert "Phạm Giám Sát" in pages[-1]
    # The page number sits in the top margin of pages 2 onwards, never on page 1.
    assert [_top_margin_text(page) for page in reader.pages] == [""] + [
        str(n) for n in range(2, len(reader.pages) + 1)
    ]


def _top_margin_text(page) -> str:
    """The text printed above the body (top margin: 20 mm)."""
    top = float(page.mediabox.top) - 20 / 25.4 * 72
    found: list[str] = []

    def visit(text, cm, tm, _font, _size):
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]  # the text's origin on the page
        if text.strip() and y > top:
            found.append(text.strip())

    page.extract_text(visitor_text=visit)
    return "".join(found)


def test_guessing_codes_is_rate_limited():
    with rate_limited_app(VERIFY_RATE_LIMIT="3 per minute") as limited:
        guesser = limited.test_client()
        statuses = [guesser.get(f"/xac-minh/ZZZZZZZZZ{c}").status_code for c in "2345"]
    assert statuses == [404, 404, 404, 429]


# --- the supervisory board's reports, issued when written ---------------------------------------


def test_a_supervision_report_is_issued_when_written_and_served_as_issued(app, make):
    supervisor = make.user(Role.SUPERVISOR, name="Phạm Giám Sát")
    round_ = make.round()
    db.session.commit()
    client = login(app.test_client(), supervisor)
    for findings in ("Phòng thi số 1 đúng giờ.", "Phòng thi số 2 bắt đầu muộn 5 phút."):
        client.post(
            f"/rounds/{round_.id}/supervision/reports",
            data={"scope": "Toàn bộ kỳ thi", "findings": findings, "recommendations": ""},
        )
    first, second = db.session.scalars(
        sa.select(SupervisionReport).order_by(SupervisionReport.id)
    ).all()
    assert [first.document.number, second.document.number] == ["01/BC-BGS", "02/BC-BGS"]
    assert first.document.kind == DocumentKind.SUPERVISION_REPORT
    url = f"/supervision/reports/{first.id}.pdf"
    issued = client.get(url).get_data()
    assert issued == document_bytes(first.document)
    text = " ".join(_text(issued))
    assert "Số: 01/BC-BGS" in text
    assert f"Mã xác minh: {first.document.code}" in text
    # The report's row changed afterwards (it never should be): the issued bytes still come out.
    first.findings = "Một nội dung khác."
    db.session.commit()
    assert client.get(url).get_data() == issued
    assert client.get(f"/documents/{first.document.id}.pdf").get_data() == issued
