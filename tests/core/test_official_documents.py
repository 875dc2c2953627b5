"""Every official PDF is built on templates/pdf/_document.html (NĐ 30/2020): numbered pages from
the second one, the signature block and the recipients, whatever the document; read back with
pypdf from documents long enough to run over several pages."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from exam.candidates.models import Gender
from exam.candidates.queries import EligibilityNotice, NoticeRow
from exam.core.documents import DocumentFrame, council_signature
from exam.core.pdf import render_pdf
from exam.extensions import db
from exam.results.models import Outcome
from exam.results.queries import RankingDocument, RankingLine

ROWS = 90  # three pages at least of either list
TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "pdf"


def _frame(**signature) -> DocumentFrame:
    return DocumentFrame(
        parent_body="UBND THÀNH PHỐ HÀ NỘI",
        issued_at=dt.date(2026, 3, 5),
        signature=council_signature(**signature),
        recipients=("Các thí sinh", "Lưu: HĐTT"),
        symbol="TB-HĐTT",
        number=7,
    )


def _notice(frame: DocumentFrame) -> dict:
    rows = tuple(
        NoticeRow(
            position="Phó Giám đốc – Sở Thử",
            full_name=f"Thí Sinh Số {i}",
            date_of_birth=dt.date(1985, 5, 17),
            gender=Gender.FEMALE,
            registration_number=f"{i:03d}",
            current_unit="Phòng Một",
            reason="",
        )
        for i in range(1, ROWS + 1)
    )
    notice = EligibilityNotice(
        document=frame,
        eligible=True,
        round_name="Kỳ thi thử",
        organisation="Sở Thử",
        registration_closes_at=dt.datetime(2026, 2, 1, tzinfo=dt.UTC),
        test_date=None,
        presentation_starts_on=None,
        presentation_ends_on=None,
        rows=rows,
    )
    return {"notice": notice}


def _ranking(frame: DocumentFrame) -> dict:
    rows = tuple(
        RankingLine(
            row_number=i,
            full_name=f"Thí Sinh Số {i}",
            date_of_birth=dt.date(1985, 5, 17),
            gender=Gender.MALE,
            registration_number=f"{i:03d}",
            test_percent=Decimal("80.00"),
            panel_score=Decimal("75.50"),
            rank=i,
            outcome=Outcome.NOT_SELECTED,
            note="",
        )
        for i in range(1, ROWS + 1)
    )
    ranking = RankingDocument(
        document=frame,
        position="Phó Giám đốc – Sở Thử",
        round_name="Kỳ thi thử",
        rows=rows,
        undecided_posts=0,
        pending_count=0,
        audit_anchor="12:abcdef0123456789",
    )
    return {"ranking": ranking}


DOCUMENTS = {"pdf/eligibility_notice.html": _notice, "pdf/ranking.html": _ranking}


def _pages(app, template: str, frame: DocumentFrame) -> list[list[tuple[float, str]]]:
    """Each page's text fragments with their distance from the top of the page."""
    with app.test_request_context():
        data = render_pdf(template, **DOCUMENTS[template](frame))
    pages = []
    for page in PdfReader(io.BytesIO(data)).pages:
        fragments: list[tuple[float, str]] = []

        def visit(text, cm, tm, font, size, fragments=fragments):
            if text.strip():
                fragments.append((tm[5], unicodedata.normalize("NFC", text.strip())))

        page.extract_text(visitor_text=visit)
        pages.append(fragments)
    return pages


@pytest.mark.parametrize("template", DOCUMENTS)
def test_pages_are_numbered_at_the_top_from_the_second(app, template):
    pages = _pages(app, template, _frame())
    assert len(pages) >= 3
    first_line = min(y for y, _ in pages[0])
    assert not any(re.fullmatch(r"\d+", text) and y <= first_line for y, text in pages[0])
    for number, fragments in enumerate(pages[1:], start=2):
        numbers = [y for y, text in fragments if text == str(number)]
        assert numbers, f"page {number} has no number"
        assert min(numbers) < min(y for y, text in fragments if text != str(number))


@pytest.mark.parametrize("template", DOCUMENTS)
def test_the_last_page_carries_the_signature_block_and_the_recipients(app, template):
    unsigned = " ".join(text for _, text in _pages(app, template, _frame())[-1])
    for words in ("Nơi nhận:", "- Các thí sinh;", "- Lưu: HĐTT.", "TM. HỘI ĐỒNG THI TUYỂN"):
        assert words in unsigned, words
    assert "CHỦ TỊCH" in unsigned
    assert "(đã ký)" not in unsigned  # the seal and the signature go in the blank

    signed = _pages(app, template, _frame(signer="Nguyễn Văn Ký", signed=True))
    text = " ".join(text for _, text in signed[-1])
    assert text.index("CHỦ TỊCH") < text.index("(đã ký)") < text.index("Nguyễn Văn Ký")
    first_page = " ".join(text for _, text in signed[0])
    for words in ("UBND THÀNH PHỐ HÀ NỘI", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Số: 07/TB-HĐTT"):
        assert words in first_page, words
    assert "Nguyễn Văn Ký" not in first_page


CARDS = {"admission_card.html"}  # a candidate's card (A5), not an NĐ 30 document


def test_every_pdf_template_extends_the_document_base():
    documents = [path for path in TEMPLATES.glob("*.html") if not path.name.startswith("_")]
    assert {f"pdf/{path.name}" for path in documents} >= set(DOCUMENTS)
    for path in documents:
        if path.name in CARDS:  # not an administrative text: its own small page, same fonts
            assert '{% include "pdf/_nd30_style.css" %}' in path.read_text(encoding="utf-8")
            continue
        source = path.read_text(encoding="utf-8")
        assert '{% extends "pdf/_document.html" %}' in source, path.name
        assert "<html" not in source, path.name
        assert "@page" not in source, path.name


def orm_objects_in(value: object) -> list[object]:
    """The database rows reachable from a document's data (there must be none: a template
    given plain values cannot run a query or read a field nobody chose to print)."""
    if isinstance(value, db.Model):
        return [value]
    if dataclasses.is_dataclass(value):
        assert value.__dataclass_params__.frozen, type(value).__name__
        return [
            o for f in dataclasses.fields(value) for o in orm_objects_in(getattr(value, f.name))
        ]
    if isinstance(value, (tuple, list)):
        return [o for item in value for o in orm_objects_in(item)]
    assert not isinstance(value, dict | set), "plain data is frozen"
    return []
