"""The results' official documents read back with pypdf: the decision approving the results
and its annex (landscape, rows never split, the header on every page, the outcome on one
line), the notice to a candidate, the proposal for the winners, the board's report with its
charts; the long table rendered in chunks with its page numbers running on."""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from decimal import Decimal

import pytest
from pypdf import PdfReader

from exam.accounts.models import Role
from exam.core.documents import Verification
from exam.extensions import db
from exam.results import documents
from exam.results.charts import bins, distribution_svg
from exam.results.documents import (
    render_proposal,
    render_result_notice,
    render_results_decision,
    render_results_list,
    render_results_report,
    split_number,
)
from exam.results.models import Outcome, Ranking, RankingDecision, RankingRow
from tests.factories import T0

PARTS = ("Thi viết", "Phỏng vấn")
WINNER = "Nguyễn Thị Hồng Nhung"


def _text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    raw = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(unicodedata.normalize("NFC", raw).split())


def _pages(data: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(data))
    return [" ".join(unicodedata.normalize("NFC", p.extract_text()).split()) for p in reader.pages]


def _parts(written: str | None, interview: str | None) -> list[dict]:
    return [
        {"kind": "written_test", "name": PARTS[0], "score": written, "gate": 50, "weight": 70},
        {"kind": "interview", "name": PARTS[1], "score": interview, "gate": 50, "weight": 30},
    ]


def build_ranking(make, count: int, *, decided: bool = True) -> Ranking:
    """A ranking of ``count`` candidates: the first selected (total 90,33), the second
    reserved, the third out at the written test's gate, the others not selected."""
    round_ = make.round()
    position = round_.positions[0]
    board = make.user(Role.BOARD_ADMIN, name="Trần Văn Chủ Tịch")
    ranking = Ranking(position=position, computed_at=T0, computed_by=board)
    db.session.add(ranking)
    for n in range(1, count + 1):
        name = WINNER if n == 1 else f"Lê Văn Thí Sinh {n}"
        application = make.application(position, make.user(Role.CANDIDATE, name=name))
        if n == 1:
            parts, total, outcome = _parts("91.00", "88.75"), Decimal("90.33"), Outcome.SELECTED
        elif n == 2:
            parts, total, outcome = _parts("80.00", "70.00"), Decimal("77.00"), Outcome.RESERVED
        elif n == 3:
            parts, total, outcome = _parts("40.00", None), None, Outcome.FAILED_GATE
        else:
            parts, total, outcome = _parts("60.00", "55.50"), Decimal("58.65"), Outcome.NOT_SELECTED
        ranking.rows.append(
            RankingRow(
                application=application,
                row_number=n,
                rank=min(n, 4) if n < 4 else 4,
                part_scores=parts,
                total=total,
                outcome=outcome,
                note="Đề nghị Hội đồng xem xét thêm" if n == 2 else "",
                explanation="Tổng điểm = thi viết × 70 % + phỏng vấn × 30 %.",
            )
        )
    db.session.flush()
    if decided:
        db.session.add(
            RankingDecision(
                ranking=ranking,
                round_id=round_.id,
                position_id=position.id,
                version=1,
                decision_number="05/QĐ-HĐTT",
                decided_on=dt.date(2026, 3, 5),
                signer_id=board.id,
                signer_name="Trần Văn Chủ Tịch",
                approved_by_id=board.id,
                approved_at=T0,
            )
        )
        db.session.flush()
        db.session.refresh(ranking)
    return ranking


VERIFY = Verification(code="AB12-CD34", url="https://thi.example.vn/xac-minh/AB12-CD34", qr_svg="")


def test_decision_number_splits_into_number_and_symbol():
    assert split_number("05/QĐ-HĐTT") == (5, "QĐ-HĐTT")
    assert split_number("12 / QĐ-HĐTT") == (12, "QĐ-HĐTT")
    assert split_number("QĐ không số") == (None, "QĐ không số")
    assert split_number("") == (None, "QĐ-HĐTT")


def test_the_decision_reads_back_with_number_date_signer_and_annex(app, make):
    with app.test_request_context():
        ranking = build_ranking(make, 4)
        data = render_results_decision(ranking, verification=VERIFY)
    text = _text(data)
    assert "Số: 05/QĐ-HĐTT" in text
    assert "ngày 05 tháng 3 năm 2026" in text
    assert "tháng 03" not in text
    assert "Trần Văn Chủ Tịch" in text
    assert "TM. HỘI ĐỒNG THI TUYỂN" in text
    assert "QUYẾT ĐỊNH" in text.upper()
    assert f"Người trúng tuyển (1/1 chỉ tiêu): {WINNER}" in text
    assert "(Kèm theo Quyết định số 05/QĐ-HĐTT ngày 05 tháng 3 năm 2026" in text
    for column in ("STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số báo danh", *PARTS):
        assert column in text
    assert "90,33" in text
    assert "91,00" in text
    assert "88,75" in text
    assert "90.33" not in text
    for outcome in ("Trúng tuyển", "Bảo lưu", "Không trúng tuyển"):
        assert outcome in text
    assert "Không đạt" in text  # the gate's note beside the outcome

    reader = PdfReader(io.BytesIO(data))
    first, annex = reader.pages[0], reader.pages[-1]
    assert first.mediabox.width < first.mediabox.height  # the decision: portrait
    assert annex.mediabox.width > annex.mediabox.height  # its annex: landscape


def test_the_outcome_and_notes_are_never_cut_into_words_one_per_line(app, make):
    with app.test_request_context():
        ranking = build_ranking(make, 4)
        data = render_results_decision(ranking, verification=None)
    lines = PdfReader(io.BytesIO(data)).pages[-1].extract_text().splitlines()
    lines = [unicodedata.normalize("NFC", line) for line in lines]
    assert any("Không trúng tuyển" in line for line in lines)  # one line, not three
    assert any("Đề nghị Hội đồng" in line for line in lines)  # notes keep words together
    assert "trúng" not in [line.strip() for line in lines]


def test_a_long_annex_repeats_its_header_never_splits_a_row_and_numbers_its_pages(
    app, make, monkeypatch
):
    monkeypatch.setattr(documents, "ROWS_PER_CHUNK", 20)  # several chunks from a few rows
    with app.test_request_context():
        ranking = build_ranking(make, 70)
        numbers = {
            row.application.candidate.full_name: row.application.registration_number
            for row in ranking.rows
        }
        progress: list[tuple[int, int]] = []
        data = render_results_list(
            ranking,
            at=dt.datetime(2026, 2, 9, 3, 0, tzinfo=dt.UTC),
            on_chunk=lambda d, t: progress.append((d, t)),
        )
    assert progress[-1] == (4, 4)
    pages = _pages(data)
    assert len(pages) >= 4
    assert "ngày 09 tháng 02 năm 2026" in pages[0]
    seen = []
    for number, page in enumerate(pages, start=1):
        if "Lê Văn Thí Sinh" in page:
            assert "STT Họ và tên" in page  # the header on every page of the table
        if number >= 2:
            assert re.search(rf"(^| ){number}( |$)", page), f"page {number} unnumbered"
        on_page = [int(n) for n in re.findall(r"Lê Văn Thí Sinh (\d+)", page)]
        for n in on_page:  # the whole row on the page of its name: never cut in two
            assert numbers[f"Lê Văn Thí Sinh {n}"] in page
        assert page.count("58,65") == len([n for n in on_page if n >= 4])
        seen += on_page
    # Every row once, in order: none lost or cut between two pages.
    assert seen == list(range(2, 71))
    assert "Danh sách gồm 70 thí sinh" in " ".join(pages[-2:])
    assert "CHỦ TỊCH" in pages[-1]  # the list is signed at its end
    assert "(Dự thảo, chưa được Hội đồng thi tuyển phê duyệt)" in pages[0]


def test_the_notice_gives_parts_total_outcome_and_the_appeal_deadline(app, make):
    with app.test_request_context():
        ranking = build_ranking(make, 4)
        row = ranking.rows[0]
        data = render_result_notice(row, verification=VERIFY, appeal_deadline=dt.date(2026, 1, 7))
    text = _text(data)
    assert WINNER in text
    assert row.application.registration_number in text
    assert "Thi viết 91,00 50 70 %" in text
    assert "Phỏng vấn 88,75 50 30 %" in text
    assert "Tổng điểm 90,33" in text
    assert "Trúng tuyển" in text
    assert "phúc khảo bài thi viết chậm nhất đến hết ngày 07 tháng 01 năm 2026" in text
    assert "Quyết định số 05/QĐ-HĐTT ngày 05 tháng 3 năm 2026" in text
    assert "Trần Văn Chủ Tịch" in text
    assert "Tổng điểm = thi viết × 70 %" in text  # the rule in words


def test_the_proposal_names_the_winners_for_the_appointing_authority(app, make):
    with app.test_request_context():
        ranking = build_ranking(make, 4)
        text = _text(render_proposal(ranking, verification=VERIFY))
    assert "TỜ TRÌNH" in text.upper()
    assert "Kính gửi: " + ranking.position.round.parent_body in text
    assert WINNER in text
    assert "90,33" in text
    assert "Lê Văn Thí Sinh 2" in text  # named as the reserve
    assert "Lê Văn Thí Sinh 4" not in text


def test_the_report_draws_the_distributions_as_charts(app, make):
    with app.test_request_context():
        ranking = build_ranking(make, 5)
        data = render_results_report(ranking, at=T0)
    text = _text(data)
    assert "Phân bố điểm" in text
    assert "Số thí sinh" in text  # an axis title of the charts, drawn from SVG
    assert "Tổng điểm 4 71,16 58,65 90,33" in text  # mean (90,33 + 77 + 58,65 × 2) / 4


def test_bins_count_each_band_and_put_100_in_the_last():
    assert bins([Decimal("0"), Decimal("9.99"), Decimal("10"), Decimal("100"), 95]) == [
        2,
        1,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        2,
    ]


def test_the_chart_escapes_its_title_and_carries_no_script():
    svg = distribution_svg("<script>alert(1)</script>", [Decimal("50")])
    assert svg.startswith("<svg")
    assert "<script" not in svg
    assert "&lt;script&gt;" in svg


@pytest.mark.parametrize("count", [0])
def test_a_ranking_without_rows_still_renders(app, make, count):
    with app.test_request_context():
        ranking = build_ranking(make, count, decided=False)
        text = _text(render_results_list(ranking, at=T0))
    assert "Danh sách gồm 0 thí sinh" in text


def test_a_chart_labels_its_bars_with_whole_numbers_of_candidates():
    svg = distribution_svg("Tổng điểm", [Decimal("95"), Decimal("15"), Decimal("12.5"), 18])
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert labels[:4] == ["0", "1", "2", "3"]  # the count axis: whole candidates
    values = [label for label in labels[labels.index("Số thí sinh") + 1 :] if label]
    assert values == ["3", "1"]  # 10–20 holds three, 90–100 one; empty bands print nothing
