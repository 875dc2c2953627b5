"""Admission cards (thẻ dự thi) and the round's announcement, read back from the PDFs."""

from __future__ import annotations

import base64
import io
import re
import struct
import unicodedata
import zlib
from pathlib import Path

import pytest
from pypdf import PdfReader

from exam.accounts.models import Role
from exam.candidates.eligibility import DocumentKind
from exam.candidates.models import ApplicationDocument
from exam.candidates.uploads import store
from exam.core.i18n import format_datetime
from exam.core.pdf import StaticOnlyFetcher
from exam.exams.models import Room
from exam.extensions import db
from exam.rounds.models import RoundStatus
from tests.conftest import login
from tests.factories import T0


def _text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    raw = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(unicodedata.normalize("NFC", raw).split())


def _png() -> bytes:
    """A 2×2 red PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _images(data: bytes) -> int:
    reader = PdfReader(io.BytesIO(data))
    count = 0
    for page in reader.pages:
        objects = page["/Resources"].get("/XObject") or {}
        count += sum(1 for ref in objects.values() if ref.get_object()["/Subtype"] == "/Image")
    return count


def _card(app, user, application_id: int):
    return login(app.test_client(), user).get(f"/applications/{application_id}/admission-card.pdf")


def test_the_card_names_the_candidate_and_their_test_time_and_room(app, make):
    round_ = make.round()
    candidate = make.user(Role.CANDIDATE, name="Phạm Thị Thẻ Dự Thi")
    application = make.application(round_.positions[0], candidate)
    test = make.test(round_)
    attempt = make.attempt(test, application)
    attempt.room = Room(session=attempt.session, name="Phòng 204 nhà A", capacity=30)
    db.session.commit()

    response = _card(app, candidate, application.id)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert application.registration_number in response.headers["Content-Disposition"]
    text = _text(response.get_data())
    assert "THẺ DỰ THI" in text
    assert "Phạm Thị Thẻ Dự Thi" in text
    assert f"Số báo danh: {application.registration_number}" in text
    assert "Ngày sinh: 17/05/1985" in text
    assert test.title in text
    assert format_datetime(attempt.session.starts_at) in text
    assert attempt.room.name in text
    assert "Ảnh 3×4" in text  # no photo in the dossier: a frame to paste one in
    assert _images(response.get_data()) == 0


def test_the_card_carries_the_photo_of_the_dossier(app, make):
    round_ = make.round()
    candidate = make.user(Role.CANDIDATE)
    application = make.application(round_.positions[0], candidate)
    data = _png()
    stored = store(data, "image/png", ".png")
    db.session.add(
        ApplicationDocument(
            application=application,
            kind=DocumentKind.OTHER,
            original_name="anh.png",
            stored_name=stored.stored_name,
            content_type="image/png",
            size=len(data),
            sha256=stored.sha256,
            uploaded_at=T0,
            uploaded_by_id=candidate.id,
        )
    )
    db.session.commit()
    response = _card(app, candidate, application.id)
    assert response.status_code == 200
    assert _images(response.get_data()) == 1
    assert "Ảnh 3×4" not in _text(response.get_data())
    assert "Lịch thi sẽ được thông báo sau" in _text(response.get_data())  # no test yet


def test_another_candidate_gets_nothing_and_the_board_gets_the_card(app, make):
    round_ = make.round()
    application = make.application(round_.positions[0])
    stranger = make.user(Role.CANDIDATE)
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    refused = _card(app, stranger, application.id)
    assert refused.status_code == 404
    assert not refused.get_data().startswith(b"%PDF")
    assert _card(app, board, application.id).status_code == 200


def test_no_card_before_a_registration_number(app, make):
    round_ = make.round()
    candidate = make.user(Role.CANDIDATE)
    application = make.application(round_.positions[0], candidate, eligible=None)
    db.session.commit()
    response = _card(app, candidate, application.id)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/applications/{application.id}")
    page = login(app.test_client(), candidate).get(f"/applications/{application.id}")
    assert 'id="admission-card"' not in page.get_data(as_text=True)


def test_the_dossier_page_links_to_the_card(app, make):
    round_ = make.round()
    candidate = make.user(Role.CANDIDATE)
    application = make.application(round_.positions[0], candidate)
    db.session.commit()
    page = login(app.test_client(), candidate).get(f"/applications/{application.id}")
    assert f"/applications/{application.id}/admission-card.pdf" in page.get_data(as_text=True)


def test_the_announcement_lists_positions_and_standards_in_the_nd30_layout(app, make):
    round_ = make.round()
    position = round_.positions[0]
    db.session.commit()
    client = app.test_client()  # public: anyone may read the announcement
    response = client.get(f"/rounds/{round_.id}/announcement.pdf")
    assert response.status_code == 200
    text = _text(response.get_data())
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "THÔNG BÁO" in text.upper()
    assert "/TB-HĐTT" in text
    assert re.search(r"ngày \d{2} tháng (0[12]|[3-9]|1[0-2]) năm \d{4}", text)
    assert position.title in text
    assert "số lượng: 1" in text
    assert "Lý luận chính trị" in text  # the standards, in words
    assert "Thời gian nhận hồ sơ" in text
    page = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert f"/rounds/{round_.id}/announcement.pdf" in page


def test_a_draft_round_has_no_public_announcement(app, make):
    round_ = make.round()
    make.stage(round_, RoundStatus.DRAFT)
    db.session.commit()
    assert app.test_client().get(f"/rounds/{round_.id}/announcement.pdf").status_code == 404


def test_the_pdf_fetcher_takes_embedded_jpeg_and_png_only(app):
    fetcher = StaticOnlyFetcher(Path(app.static_folder))
    png = base64.b64encode(_png()).decode()
    assert fetcher.fetch(f"data:image/png;base64,{png}").headers["Content-Type"] == "image/png"
    for url in (
        f"data:image/svg+xml;base64,{png}",
        "data:text/html;base64,PHNjcmlwdD4=",
        f"data:image/png;base64,{png}#x",
    ):
        with pytest.raises(ValueError, match="refused URL"):
            fetcher.fetch(url)
