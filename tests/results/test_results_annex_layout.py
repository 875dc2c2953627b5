"""The layout rules the results annex relies on, read back from the PDF with the position of
each piece of text: the columns fixed (a long name wraps inside its column, every column
starts at the same place on every page), the header repeated on every page, a row never
split across two pages, page numbers running on from page 2 across the chunks the annex is
rendered in, the Vietnamese text and the font embedded."""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

import pytest
from pypdf import PageObject, PdfReader

from exam.candidates.models import Gender
from exam.core.documents import DocumentFrame, council_signature
from exam.results import documents
from exam.results.documents import AnnexRow, ResultsTable, decision_pdf
from exam.results.models import Outcome

ROWS = 70
LONG_NAME = "Nguyễn Hoàng Phương Thảo Ngọc Diệp Minh Châu Thị Quỳnh Anh"
LONG_UNIT = "Trung tâm Phục vụ hành chính công và Xúc tiến đầu tư tỉnh Quảng Ninh"
NOTE = "Đề nghị Hội đồng xem xét thêm"


def _is_long(n: int) -> bool:
    """Rows four lines tall, some at the foot of a page, all in the first two chunks: fixed
    columns keep the same widths in the chunks without them."""
    return n <= 40 and n % 3 != 0


def _name(n: int) -> str:
    return f"{LONG_NAME} {n}" if _is_long(n) else f"Lê Văn Thí Sinh {n}"


HEADER = (
    "STT",
    "Họ và tên",
    "Ngày sinh",
    "Vị trí dự tuyển",
    "Đơn vị công tác",
    "Kết quả",
    "Ghi chú",
)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@dataclass(frozen=True)
class Piece:
    """One line of one cell as drawn: its text and where it starts on the page."""

    text: str
    x: float
    y: float


def _to_unicode(font) -> dict[int, str]:
    """A font's glyph -> text map (the ToUnicode CMap WeasyPrint writes, bfchar entries)."""
    cmap = font.get_object()["/ToUnicode"].get_object().get_data().decode("latin-1")
    return {
        int(glyph, 16): bytes.fromhex(text).decode("utf-16-be")
        for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S)
        for glyph, text in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block)
    }


def _pieces(page: PageObject) -> list[Piece]:
    """Every text line drawn on the page (one TJ operator each) with its position."""
    maps = {name: _to_unicode(font) for name, font in page["/Resources"]["/Font"].items()}
    font: list[str] = [""]
    found: list[Piece] = []

    def before(operator, operands, cm, tm):
        if operator == b"Tf":
            font[0] = operands[0]
        elif operator == b"TJ":
            raw = b"".join(
                bytes(getattr(part, "original_bytes", part))
                for part in operands[0]
                if isinstance(part, (bytes, str))
            )
            glyphs = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]
            text = "".join(maps[font[0]].get(glyph, "?") for glyph in glyphs)
            found.append(Piece(_nfc(text).strip(), round(tm[4], 1), round(tm[5], 1)))

    page.extract_text(visitor_operand_before=before)
    return found


def _xs(pieces: list[Piece], pattern: str) -> list[float]:
    return [p.x for p in pieces if re.fullmatch(pattern, p.text)]


def _table(rows: int) -> ResultsTable:
    lines = []
    for n in range(1, rows + 1):
        outcome = Outcome.SELECTED if n == 1 else Outcome.NOT_SELECTED
        lines.append(
            AnnexRow(
                row_number=n,
                rank=n,
                full_name=_name(n),
                date_of_birth=dt.date(1980, 3, 5),
                gender=Gender.MALE if n % 2 else Gender.FEMALE,
                registration_number=f"TS{n:05d}",
                position="Phó Giám đốc Sở Nội vụ",
                unit=LONG_UNIT if _is_long(n) else "Sở Nội vụ",
                parts=("80,00", "75,50"),
                total=f"{90 - n * 0.25:.2f}".replace(".", ","),
                outcome=outcome,
                note=NOTE if _is_long(n) else "",
            )
        )
    return ResultsTable(
        position="Phó Giám đốc Sở Nội vụ",
        round_name="Kỳ thi tuyển lãnh đạo năm 2026",
        part_names=("Thi viết", "Phỏng vấn"),
        rows=tuple(lines),
        undecided_posts=0,
        pending_count=0,
    )


@pytest.fixture(scope="module")
def annex(app) -> PdfReader:
    """A decision whose 70-row annex is rendered in four chunks of 20 rows and joined."""
    frame = DocumentFrame(
        parent_body="UBND TỈNH QUẢNG NINH",
        issued_at=dt.date(2026, 3, 5),
        signature=council_signature(signer="Trần Văn Chủ Tịch"),
        recipients=("Như Điều 3", "Lưu: HĐTT"),
        symbol="QĐ-HĐTT",
        number=5,
    )
    with pytest.MonkeyPatch.context() as patch, app.test_request_context():
        patch.setattr(documents, "ROWS_PER_CHUNK", 20)
        data = decision_pdf(_table(ROWS), frame, decision=None, posts=1, verification=None)
    return PdfReader(io.BytesIO(data))


def _annex_pages(reader: PdfReader) -> list[tuple[int, PageObject]]:
    return [
        (number, page)
        for number, page in enumerate(reader.pages, start=1)
        if page.mediabox.width > page.mediabox.height  # the annex: landscape
    ]


def test_every_annex_page_repeats_the_header_at_the_same_places(annex):
    pages = _annex_pages(annex)
    assert len(pages) >= 4  # the table runs over several pages and chunks
    columns = {}
    for number, page in pages:
        pieces = _pieces(page)
        columns[number] = {name: _xs(pieces, re.escape(name))[:1] for name in HEADER}
        assert all(columns[number].values()), f"page {number}: header incomplete"
    first = columns[pages[0][0]]
    for number, found in columns.items():
        assert found == first, f"page {number}: the columns moved"
    starts = [first[name][0] for name in HEADER]
    assert starts == sorted(starts)  # in the annex's order, left to right


def test_columns_keep_their_width_and_a_long_name_wraps_inside_its_own(annex):
    pieces = [piece for _, page in _annex_pages(annex) for piece in _pieces(page)]
    # Every registration number and date of birth starts at one place, whatever the name
    # beside it: the columns are fixed, not sized to the chunk's content.
    short = [n for n in range(1, ROWS + 1) if not _is_long(n)]
    for pattern, count in ((r"TS\d{5}", ROWS), (r"05/03/1980", ROWS), (r"Lê Văn.*", len(short))):
        xs = _xs(pieces, pattern)
        assert len(xs) == count
        assert max(xs) - min(xs) < 0.5, pattern
    # A long name is cut into lines inside its column, each starting where names do.
    name_x = _xs(pieces, r"Lê Văn.*")[0]
    first_lines = [p for p in pieces if p.text.startswith("Nguyễn Hoàng")]
    assert len(first_lines) == ROWS - len(short)
    assert {p.x for p in first_lines} == {name_x}
    assert all(len(p.text) < len(LONG_NAME) / 2 for p in first_lines)  # wrapped
    last_words = [p for p in pieces if re.fullmatch(r"(.* )?Anh \d+", p.text)]
    assert {p.x for p in last_words} == {name_x}


def test_a_row_is_never_split_between_two_pages(annex):
    seen: list[int] = []
    for number, page in _annex_pages(annex):
        text = " ".join(_nfc(page.extract_text()).split())
        on_page = [int(n) for n in re.findall(r"TS(\d{5})", text)]
        for n in on_page:  # the whole row on the page of its registration number
            assert f"{_name(n)} " in text, f"row {n} cut on page {number}"
        long_rows = [n for n in on_page if _is_long(n)]
        assert text.count(LONG_UNIT) == len(long_rows), f"a unit cut on page {number}"
        assert text.count(NOTE) == len(long_rows), f"a note cut on page {number}"
        assert text.count("Nguyễn Hoàng") == len(long_rows)
        seen += on_page
    assert seen == list(range(1, ROWS + 1))  # every row once, in order


def test_pages_are_numbered_from_two_across_the_chunks(annex):
    texts = [_nfc(page.extract_text()) for page in annex.pages]
    assert not re.search(r"^\s*1\s*$", texts[0], re.M)  # the first page carries no number
    for number, text in enumerate(texts[1:], start=2):
        assert re.search(rf"(^|\s){number}(\s|$)", text), f"page {number} unnumbered"
    assert len(texts) >= 5


def test_the_annex_embeds_tinos_and_reads_back_in_vietnamese(annex):
    fonts: dict[str, set[str]] = defaultdict(set)
    for page in annex.pages:
        for name, ref in page["/Resources"]["/Font"].items():
            descriptor = ref.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            fonts[str(descriptor["/FontName"])].add(name)
            assert "/FontFile2" in descriptor.get_object()  # embedded, not named
    assert any("Tinos" in name for name in fonts)
    text = " ".join(_nfc(page.extract_text()) for page in annex.pages)
    assert "Không trúng tuyển" in text
    assert "Trúng tuyển" in text
    assert "Phó Giám đốc Sở Nội vụ" in " ".join(text.split())
