"""The board's results report (figures and charts) issued once when the results are final
(issue 16 item 6): after publication, by the board, numbered in the Council's register,
stored once with its code; before that the download is a working copy as before; a later
version published gets its own report, which replaces the earlier."""

from __future__ import annotations

import re
import unicodedata

import pytest
import sqlalchemy as sa

from exam.accounts.models import Role
from exam.core.errors import DomainError
from exam.documents.models import DocumentKind, IssuedDocument
from exam.documents.queries import document_bytes
from exam.extensions import db
from exam.results.publication import (
    correct_ranking,
    publish_round,
    publish_version,
    suggested_decision_number,
)
from exam.results.reports import issue_results_report, report_to_issue
from tests.conftest import login
from tests.pdfs import pdf_text as raw_text
from tests.results.lifecycle_helpers import DECIDED_ON, NOW, _documents, build  # noqa: F401


def pdf_text(data: bytes) -> str:
    """The PDF's text in composed Vietnamese (pypdf may give decomposed marks)."""
    return unicodedata.normalize("NFC", raw_text(data))


def _reports() -> list[IssuedDocument]:
    return list(
        db.session.scalars(
            sa.select(IssuedDocument)
            .where(IssuedDocument.kind == DocumentKind.RESULTS_REPORT)
            .order_by(IssuedDocument.id)
        )
    )


def _code_of(data: bytes) -> str:
    found = re.search(r"Mã xác minh: ([0-9A-Z]{10})", pdf_text(data))
    assert found, "no verification code printed"
    return found[1]


@pytest.fixture
def published(make):
    contest = build(make, {"An": "80", "Bình": "70"})
    ranking = contest.approve(contest.rank())  # 05/QĐ-HĐTT
    publish_round(contest.round, actor=contest.board, at=NOW)
    db.session.commit()
    return contest, ranking


def test_the_report_is_issued_once_by_the_board_after_publication(app, published):
    contest, ranking = published
    position_id = contest.position.id
    client = login(app.test_client(), contest.board)
    url = f"/positions/{position_id}/results/report.pdf"
    page = client.get(f"/positions/{position_id}/results").get_data(as_text=True)
    assert f'action="/positions/{position_id}/results/report"' in page  # the board's button
    assert client.post(f"/positions/{position_id}/results/report").status_code == 302
    db.session.expire_all()
    [doc] = _reports()
    assert ranking.decision.report_document_id == doc.id
    assert re.fullmatch(r"\d{2}/BC-HĐTT", doc.number)
    assert doc.number != "05/BC-HĐTT"  # 05 is the decision's, in the same register
    first, second = client.get(url, follow_redirects=True), client.get(url, follow_redirects=True)
    assert first.data == second.data == document_bytes(doc)
    text = pdf_text(first.data)
    assert f"Số: {doc.number}" in text
    assert "Chủ Tịch Hội Đồng" in text  # signed by the Chair who signed the decision
    assert _code_of(first.data) == doc.code
    assert app.test_client().get(f"/xac-minh/{doc.code}").status_code == 200
    # Issued once: the button is gone and a second issue is refused in words.
    page = client.get(f"/positions/{position_id}/results").get_data(as_text=True)
    assert f'action="/positions/{position_id}/results/report"' not in page
    with pytest.raises(DomainError, match="đã được ban hành"):
        issue_results_report(ranking, actor=contest.board, at=NOW)
    assert len(_reports()) == 1


def test_before_publication_the_report_is_a_working_copy_and_cannot_be_issued(app, make):
    contest = build(make, {"An": "80", "Bình": "70"})
    ranking = contest.approve(contest.rank())
    db.session.commit()
    assert report_to_issue(contest.position) is None
    with pytest.raises(DomainError, match="báo cáo kết quả"):
        issue_results_report(ranking, actor=contest.board, at=NOW)
    client = login(app.test_client(), contest.board)
    response = client.post(f"/positions/{contest.position.id}/results/report")
    assert response.status_code == 302
    assert _reports() == []
    copy = client.get(f"/positions/{contest.position.id}/results/report.pdf")
    assert copy.status_code == 200
    assert copy.mimetype == "application/pdf"
    assert "Mã xác minh" not in pdf_text(copy.data)


def test_the_report_is_read_by_the_council_and_the_supervisors_only(app, make, published):
    contest, ranking = published
    document = issue_results_report(ranking, actor=contest.board, at=NOW)
    supervisor = make.user(Role.SUPERVISOR)
    candidate = contest.row(ranking, "An").application.candidate
    db.session.commit()
    url = f"/documents/{document.id}.pdf"
    for person in (contest.board, supervisor):
        assert login(app.test_client(), person).get(url).status_code == 200
    assert login(app.test_client(), candidate).get(url).status_code in (403, 404)
    response = login(app.test_client(), candidate).post(
        f"/positions/{contest.position.id}/results/report"
    )
    assert response.status_code in (403, 404)
    assert len(_reports()) == 1


def test_an_issue_rolled_back_leaves_no_report(published):
    contest, ranking = published
    issue_results_report(ranking, actor=contest.board, at=NOW)
    assert len(_reports()) == 1
    db.session.rollback()
    assert _reports() == []
    assert ranking.decision.report_document_id is None


def test_a_later_version_published_gets_its_own_report_replacing_the_first(published):
    contest, ranking = published
    first = issue_results_report(ranking, actor=contest.board, at=NOW)
    corrected = correct_ranking(ranking, reason="Nhập sai điểm của Bình.", actor=contest.board)
    # The report took a number of the Council's register: the decision takes the next.
    number = suggested_decision_number(contest.round.id, on=DECIDED_ON)
    assert int(number.split("/")[0]) > int(first.number.split("/")[0])
    contest.approve(corrected, number=number)
    publish_version(corrected, at=NOW, actor=contest.board)
    db.session.flush()
    assert report_to_issue(contest.position) is corrected
    second = issue_results_report(corrected, actor=contest.board, at=NOW)
    assert first.superseded_by_id == second.id
    assert second.number != first.number
    assert corrected.decision.report_document_id == second.id
    assert ranking.decision.report_document_id == first.id  # the earlier version keeps its own
