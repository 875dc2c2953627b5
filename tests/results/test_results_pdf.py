"""The results list as an official PDF (NĐ 30/2020 layout), read back with pypdf, and the
URL fetcher that keeps anything but the app's own fonts and images out of a document."""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from pathlib import Path

import pytest
import time_machine
from pypdf import PdfReader

from exam.accounts.models import Role
from exam.audit.operations import current_anchor
from exam.core.pdf import StaticOnlyFetcher
from exam.extensions import db
from exam.results.queries import latest_ranking, ranking_document
from exam.rounds.models import Position
from tests.conftest import login
from tests.core.test_official_documents import orm_objects_in
from tests.factories import T0
from tests.results.test_ranking import Person, build_contest

IN_ORDER = ["Nguyễn Thị Hồng Nhung", "Trương Thị Ánh Tuyết", "Đặng Quốc Việt"]


@pytest.fixture
def computed(app, make):
    """A position with a computed ranking; returns (position id, board member)."""
    position, _ = build_contest(
        make,
        [
            Person("Trương Thị Ánh Tuyết", 3, ("80", "85", "82")),  # 82,33
            Person("Đặng Quốc Việt", 1, ()),  # fails the test gate: not interviewed
            Person("Nguyễn Thị Hồng Nhung", 4, ("90", "91", "90")),  # 90,33
        ],
    )
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    client = login(app.test_client(), board)
    assert client.post(f"/positions/{position.id}/results/compute").status_code == 302
    return position.id, board


def _text(reader: PdfReader) -> str:
    raw = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(unicodedata.normalize("NFC", raw).split())


def _download(app, user, position_id: int, *, starter=None):
    """The board (``starter``, else ``user``) makes the PDF in the background (inline in
    tests), then ``user`` downloads the stored file."""
    if starter is not None:
        login(app.test_client(), starter).post(f"/positions/{position_id}/results/pdf-jobs")
    client = login(app.test_client(), user)
    if starter is None:
        client.post(f"/positions/{position_id}/results/pdf-jobs")
    response = client.get(f"/positions/{position_id}/results.pdf")
    if response.status_code == 302 and "/pdf-jobs/" in response.headers["Location"]:
        return client.get(response.headers["Location"])
    return response


def test_the_results_pdf_reads_back_as_an_official_document(app, computed):
    position_id, board = computed
    response = _download(app, board, position_id)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert f"ket-qua-vi-tri-{position_id}.pdf" in response.headers["Content-Disposition"]
    data = response.get_data()
    assert data.startswith(b"%PDF")

    text = _text(PdfReader(io.BytesIO(data)))
    for heading in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "TM. HỘI ĐỒNG THI TUYỂN",
    ):
        assert heading in text
    offsets = [text.index(name) for name in IN_ORDER]
    assert offsets == sorted(offsets)
    for score in ("90,33", "82,33", "100,00", "75,00", "25,00"):
        assert score in text
    assert "90.33" not in text
    assert "Trúng tuyển" in text


def test_the_pdf_embeds_the_tinos_font(app, computed):
    position_id, board = computed
    reader = PdfReader(io.BytesIO(_download(app, board, position_id).get_data()))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    base_fonts = [str(ref.get_object()["/BaseFont"]) for ref in fonts.values()]
    assert base_fonts
    assert all("Tinos" in name for name in base_fonts)
    embedded = [
        ref.get_object()["/FontDescriptor"]
        for ref in fonts.values()
        if "/FontDescriptor" in ref.get_object()
    ]
    descendants = [
        d.get_object()["/FontDescriptor"]
        for ref in fonts.values()
        for d in ref.get_object().get("/DescendantFonts", [])
    ]
    descriptors = [d.get_object() for d in embedded + descendants]
    assert descriptors
    assert all(any(k in d for k in ("/FontFile", "/FontFile2", "/FontFile3")) for d in descriptors)


def test_a_tie_for_the_only_post_is_written_as_undecided_in_the_pdf_and_on_the_page(app, make):
    position, _ = build_contest(
        make,
        [
            Person("Cù Văn Sau", 4, ("85", "85", "85")),
            Person("Cù Thị Trước", 4, ("86", "84", "85")),
            Person("Cù Văn Thấp", 4, ("60", "60", "60")),
        ],
    )
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    client = login(app.test_client(), board)
    assert client.post(f"/positions/{position.id}/results/compute").status_code == 302

    text = _text(PdfReader(io.BytesIO(_download(app, board, position.id).get_data())))
    assert "Chưa xác định người trúng tuyển do bằng điểm" in text
    assert "2 thí sinh bằng điểm cùng tranh 1 chỉ tiêu cuối cùng" in text
    assert text.count("Chờ Hội đồng quyết định") == 2
    assert "Trúng tuyển" not in text  # nobody is marked as the winner
    assert "thứ tự liệt kê không quyết định kết quả" in text
    # Both tied rank 1, listed by name (Sau < Trước); the third ranks 3.
    assert text.index("Cù Văn Sau") < text.index("Cù Thị Trước") < text.index("Cù Văn Thấp")

    page = client.get(f"/positions/{position.id}/results").get_data(as_text=True)
    assert 'id="undecided"' in page
    assert "Chưa xác định người trúng tuyển do bằng điểm" in page
    assert "status-pending_council" in page
    assert "status-selected" not in page


def test_a_clear_winner_is_not_called_undecided(app, computed):
    position_id, board = computed
    text = _text(PdfReader(io.BytesIO(_download(app, board, position_id).get_data())))
    assert "Chưa xác định người trúng tuyển" not in text
    page = login(app.test_client(), board).get(f"/positions/{position_id}/results")
    assert 'id="undecided"' not in page.get_data(as_text=True)


def test_without_a_ranking_the_pdf_redirects_to_the_results_page(app, make):
    position, _ = build_contest(make, [Person("Lâm Thị Chưa Tính", 4, ("80", "80"))])
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    response = _download(app, board, position.id)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/positions/{position.id}/results")


def test_a_supervisor_may_download_the_pdf_but_not_start_making_it(app, make, computed):
    position_id, board = computed
    supervisor = make.user(Role.SUPERVISOR)
    db.session.commit()
    started = login(app.test_client(), supervisor).post(
        f"/positions/{position_id}/results/pdf-jobs"
    )
    assert started.status_code == 403  # a job is a write: the supervisors only read
    response = _download(app, supervisor, position_id, starter=board)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert "Nguyễn Thị Hồng Nhung" in _text(PdfReader(io.BytesIO(response.get_data())))


@pytest.mark.parametrize("role", [Role.CANDIDATE, Role.PANEL_MEMBER, Role.QUESTION_AUTHOR])
def test_others_get_403_on_the_pdf(app, make, computed, role):
    position_id, _ = computed
    user = make.user(role)
    db.session.commit()
    response = _download(app, user, position_id)
    # A member of the round's interview board is refused; anyone without a seat is told
    # nothing exists.
    assert response.status_code == (403 if role == Role.PANEL_MEMBER else 404)
    assert not response.get_data().startswith(b"%PDF")


# --- the URL fetcher -----------------------------------------------------------------------


@pytest.fixture
def static_dir(app) -> Path:
    return Path(app.static_folder)


@pytest.fixture
def fetcher(static_dir) -> StaticOnlyFetcher:
    return StaticOnlyFetcher(static_dir)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/font.ttf",
        "http://127.0.0.1/admin",
        "ftp://example.com/x",
        "data:text/plain,hello",
        "//example.com/font.ttf",
        "fonts/Tinos-Regular.ttf",
    ],
)
def test_the_fetcher_refuses_non_file_urls(fetcher, url):
    with pytest.raises(ValueError, match="refused URL"):
        fetcher.fetch(url)


def test_the_fetcher_refuses_file_urls_outside_fonts_and_img(fetcher, static_dir):
    root = static_dir.resolve()
    css = next((root / "css").iterdir())
    outside = [
        "file:///etc/passwd",
        (root.parent / "config.py").as_uri(),
        css.as_uri(),  # a real static file, but not under fonts/ or img/
        f"file://{root}/fonts/../../config.py",  # climbing out of fonts/
        f"file://{root}/fonts/no-such-font.ttf",  # inside fonts/ but missing
        f"file://{root}/fonts",  # the folder itself
        f"file://{root}/fonts-evil/x.ttf",  # a sibling whose name starts alike
    ]
    for url in outside:
        with pytest.raises(ValueError, match="refused URL"):
            fetcher.fetch(url)


def test_the_fetcher_serves_the_apps_fonts(fetcher, static_dir):
    font = (static_dir / "fonts" / "Tinos-Regular.ttf").resolve()
    response = fetcher.fetch(font.as_uri())
    assert response.read() == font.read_bytes()


def test_the_pdf_dates_itself_as_nd30_writes_march(app, computed):
    position_id, board = computed
    with time_machine.travel(dt.datetime(2026, 3, 5, 3, 0, tzinfo=dt.UTC), tick=False):
        data = _download(app, board, position_id).get_data()
    text = _text(PdfReader(io.BytesIO(data)))
    assert "Hà Nội, ngày 05 tháng 3 năm 2026" in text
    assert "tháng 03" not in text


def test_the_results_pdf_is_printed_from_plain_data(app, computed):
    position_id, _ = computed
    position = db.session.get(Position, position_id)
    anchor = current_anchor()
    data = ranking_document(position, latest_ranking(position_id), at=T0, audit_anchor=anchor)
    assert orm_objects_in(data) == []
    assert [row.full_name for row in data.rows] == IN_ORDER
    assert data.audit_anchor == str(anchor)
