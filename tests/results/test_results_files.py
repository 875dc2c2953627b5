"""The results' files from the results page: the results list PDF made by a background job
(progress, the stored file served, never rendered in the request), the Excel export, the
charts of the score distributions on the page and in the board's report, the proposal."""

from __future__ import annotations

import base64
import io
import re

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import event

from exam.accounts.models import Role
from exam.core.jobs import Job, JobStatus
from exam.core.pdf import join_pdf_chunks, render_html_chunks
from exam.core.storage import storage
from exam.extensions import db
from exam.results import document_jobs, documents
from exam.results.models import Ranking, RankingRow
from tests.conftest import login
from tests.results.test_results_documents import WINNER, build_ranking


@pytest.fixture
def ranked(app, make):
    """(position id, ranking id, a board member's client) for a ranking of 6 candidates."""
    ranking = build_ranking(make, 6)
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    return ranking.position_id, ranking.id, login(app.test_client(), board)


def _start(client, position_id: int) -> int:
    response = client.post(f"/positions/{position_id}/results/pdf-jobs")
    assert response.status_code == 302
    match = re.search(r"/pdf-jobs/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def test_the_pdf_is_made_by_a_job_whose_stored_file_is_served(app, ranked, monkeypatch):
    position_id, ranking_id, client = ranked
    monkeypatch.setattr(documents, "ROWS_PER_CHUNK", 2)  # three chunks: progress to report
    job_id = _start(client, position_id)

    job = db.session.get(Job, job_id)
    assert job.status == JobStatus.DONE
    assert (job.done, job.total) == (6, 6)
    assert job.result["ranking_id"] == ranking_id
    status = client.get(f"/positions/{position_id}/results/pdf-jobs/{job_id}.json").get_json()
    assert status["finished"] is True
    assert status["percent"] == 100
    page = client.get(f"/positions/{position_id}/results/pdf-jobs/{job_id}").get_data(True)
    assert 'id="download-pdf"' in page

    # The download reads the file: nothing is rendered any more.
    def no_rendering(*args, **kwargs):
        raise AssertionError("rendered inside the request")

    monkeypatch.setattr(document_jobs, "render_results_list", no_rendering)
    first = client.get(f"/positions/{position_id}/results/pdf-jobs/{job_id}/file")
    assert first.status_code == 200
    assert first.mimetype == "application/pdf"
    stored = storage().read(document_jobs.stored_key(job))
    assert first.get_data() == stored
    latest = client.get(f"/positions/{position_id}/results.pdf")
    assert latest.headers["Location"].endswith(f"/pdf-jobs/{job_id}/file")
    assert client.get(latest.headers["Location"]).get_data() == stored
    text = " ".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(stored)).pages).split())
    assert WINNER in text
    assert "Lê Văn Thí Sinh 6" in text


def test_a_running_job_shows_its_progress_and_no_download(app, ranked):
    position_id, ranking_id, client = ranked
    job = document_jobs.start_results_pdf(db.session.get(Ranking, ranking_id), actor=None)
    job.status, job.done, job.total = JobStatus.RUNNING, 2, 6
    db.session.commit()
    page = client.get(f"/positions/{position_id}/results/pdf-jobs/{job.id}").get_data(True)
    assert '<progress id="job-progress"' in page
    assert 'value="33"' in page
    assert "download-pdf" not in page
    assert client.get(f"/positions/{position_id}/results/pdf-jobs/{job.id}/file").status_code == 404
    # Nothing stored yet for the ranking: the results page, where the board makes it.
    response = client.get(f"/positions/{position_id}/results.pdf")
    assert response.headers["Location"].endswith(f"/positions/{position_id}/results")


def test_a_file_made_for_an_earlier_computation_is_not_served_as_the_latest(app, make, ranked):
    position_id, ranking_id, client = ranked
    _start(client, position_id)
    old = db.session.get(Ranking, ranking_id)
    db.session.add(
        Ranking(
            position_id=position_id, computed_at=old.computed_at, computed_by_id=old.computed_by_id
        )
    )
    db.session.commit()
    response = client.get(f"/positions/{position_id}/results.pdf")
    assert response.headers["Location"].endswith(f"/positions/{position_id}/results")


def test_a_job_is_reached_only_through_its_own_position(app, make, ranked):
    position_id, _, client = ranked
    job_id = _start(client, position_id)
    other = build_ranking(make, 1, decided=False)
    db.session.commit()
    for suffix in ("", ".json", "/file"):
        url = f"/positions/{other.position_id}/results/pdf-jobs/{job_id}{suffix}"
        assert client.get(url).status_code == 404


def test_a_stored_name_outside_the_folder_is_never_served(app, ranked):
    position_id, _, client = ranked
    job_id = _start(client, position_id)
    job = db.session.get(Job, job_id)
    job.result = {**job.result, "file": "../../config.py"}
    db.session.commit()
    assert client.get(f"/positions/{position_id}/results/pdf-jobs/{job_id}/file").status_code == 404


@pytest.mark.parametrize("role", [Role.CANDIDATE, Role.PANEL_MEMBER])
def test_others_cannot_start_or_read_the_job(app, make, ranked, role):
    position_id, _, client = ranked
    job_id = _start(client, position_id)
    other = login(app.test_client(), make.user(role))
    db.session.commit()
    assert other.post(f"/positions/{position_id}/results/pdf-jobs").status_code in (403, 404)
    file_url = f"/positions/{position_id}/results/pdf-jobs/{job_id}/file"
    assert other.get(file_url).status_code in (403, 404)
    assert other.get(f"/positions/{position_id}/results.xlsx").status_code in (403, 404)
    assert db.session.query(Job).filter_by(kind=document_jobs.KIND).count() == 1


def test_the_excel_export_has_the_table_with_numbers_and_dates(app, ranked):
    position_id, ranking_id, client = ranked
    row = db.session.get(Ranking, ranking_id).rows[5]
    row.note = '=HYPERLINK("http://example.com","Xem")'
    db.session.commit()
    response = client.get(f"/positions/{position_id}/results.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    header = [c.value for c in sheet[1]]
    assert header[:7] == [
        "STT",
        "Họ và tên",
        "Ngày sinh",
        "Giới tính",
        "Số báo danh",
        "Vị trí dự tuyển",
        "Đơn vị công tác",
    ]
    assert header[7:] == ["Thi viết", "Phỏng vấn", "Tổng điểm", "Xếp hạng", "Kết quả", "Ghi chú"]
    first = [c.value for c in sheet[2]]
    assert first[1] == WINNER
    assert first[2].year == 1985  # a date, not text
    assert sheet.cell(row=2, column=3).number_format == "DD/MM/YYYY"
    assert float(first[7]) == 91.0
    assert float(first[9]) == pytest.approx(90.33)
    assert first[11] == "Trúng tuyển"
    assert sheet.cell(row=3, column=12).value == "Bảo lưu"
    assert sheet.cell(row=4, column=8).value == 40
    assert sheet.cell(row=4, column=9).value is None  # out at the gate: no interview score
    assert sheet.cell(row=4, column=12).value == "Không trúng tuyển"
    assert sheet.cell(row=4, column=13).value.startswith("Không đạt")
    assert sheet.cell(row=7, column=13).value.startswith("'=HYPERLINK")  # text, not a formula
    assert sheet.max_row == 7


def test_the_results_page_shows_the_distribution_charts(app, ranked):
    position_id, _, client = ranked
    page = client.get(f"/positions/{position_id}/results").get_data(as_text=True)
    assert 'id="distributions"' in page
    charts = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page)
    assert len(charts) == 3  # each part and the total
    svg = base64.b64decode(charts[-1]).decode()
    assert svg.startswith("<svg")
    assert "Tổng điểm" in svg
    assert "<script" not in svg
    for link in ("results.xlsx", "results/report.pdf", "results/pdf-jobs", "results/proposal.pdf"):
        assert link in page


def test_the_report_and_the_proposal_download(app, make, ranked):
    position_id, _, client = ranked
    report = client.get(f"/positions/{position_id}/results/report.pdf")
    assert report.mimetype == "application/pdf"
    text = " ".join(PdfReader(io.BytesIO(report.get_data())).pages[0].extract_text().split())
    assert "BÁO CÁO" in text.upper()
    # Issued once from the versions page (tests/results/test_publication_extras.py): before
    # that, the download sends the board there.
    proposal = client.get(f"/positions/{position_id}/results/proposal.pdf")
    assert proposal.status_code == 302
    assert proposal.headers["Location"].endswith("/results/versions#proposal")
    undecided = build_ranking(make, 2, decided=False)
    db.session.commit()
    response = client.get(f"/positions/{undecided.position_id}/results/proposal.pdf")
    assert response.status_code in (302, 403, 404)
    assert not response.get_data().startswith(b"%PDF")


def test_worker_processes_give_the_same_document_as_one_process(app, make):
    """The chunks rendered side by side in worker processes join into the same pages."""
    with app.test_request_context():
        ranking = build_ranking(make, 3)
        table = documents.results_table(ranking)
        htmls = render_html_chunks(
            "pdf/results_rows.html",
            [{"rows": (row,), "last_chunk": i == 2} for i, row in enumerate(table.rows)],
            table=table,
            document=documents._decision_frame(ranking, None),
        )
        alone = join_pdf_chunks(htmls, workers=1)
        together = join_pdf_chunks(htmls, workers=2)

    def pages(data: bytes) -> list[str]:
        return [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]

    assert pages(together) == pages(alone)
    assert len(pages(alone)) == 3
    assert pages(alone)[1].split()[-1] == "2"  # numbers stamped from page 2 on


def test_rows_are_read_in_a_few_statements_whatever_their_number(app, make):
    ranking = build_ranking(make, 12)
    db.session.commit()
    db.session.expire_all()
    statements = []

    def count(connection, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        rows = documents._rows_of(db.session.get(Ranking, ranking.id))
        [row.application.candidate.full_name for row in rows]
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(rows) == 12
    assert isinstance(rows[0], RankingRow)
    assert len(statements) <= 6  # ranking, rows, dossiers, candidates (and their roles): not 12
