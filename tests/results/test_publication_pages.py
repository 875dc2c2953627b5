"""The lifecycle's pages: the Council's versions page, a candidate's own results, the public
results page (exam/results/publication_views.py)."""

from __future__ import annotations

import io
import unicodedata

import sqlalchemy as sa
from pypdf import PdfReader

from exam.documents.models import DocumentKind, IssuedDocument
from exam.extensions import db
from exam.results.models import PublicScope, RankingStatus
from exam.results.publication import correct_ranking, publish_round, set_public_scope
from tests.conftest import login
from tests.results.lifecycle_helpers import NOW, _documents, build  # noqa: F401


def _published(make, scores=None):
    contest = build(make, scores or {"An": "80", "Bình": "70", "Cường": "60"})
    ranking = contest.approve(contest.rank())
    publish_round(contest.round, actor=contest.board, at=NOW)
    db.session.flush()
    return contest, ranking


def test_a_candidate_sees_only_their_own_result_and_only_once_published(client, make):
    contest = build(make, {"An": "80", "Bình": "70"})
    ranking = contest.approve(contest.rank())
    an = contest.row(ranking, "An").application
    binh = contest.row(ranking, "Bình").application
    login(client, an.candidate)
    page = client.get("/results/mine").get_data(as_text=True)
    assert "Chưa có kết quả thi nào được công bố." in page  # approved, not published
    assert "Trúng tuyển" not in page
    publish_round(contest.round, actor=contest.board, at=NOW)
    db.session.flush()
    page = client.get("/results/mine").get_data(as_text=True)
    assert page.count('class="card mb-3 my-result"') == 1
    assert "Trúng tuyển" in page
    assert "05/QĐ-HĐTT" in page
    assert binh.registration_number not in page
    assert "Bình" not in page


def test_a_candidate_cannot_open_the_councils_pages(client, make):
    contest, ranking = _published(make)
    candidate = contest.row(ranking, "An").application.candidate
    login(client, candidate)
    assert client.get(f"/positions/{contest.position.id}/results/versions").status_code == 404
    assert (
        client.get(f"/positions/{contest.position.id}/results/versions/{ranking.id}").status_code
        == 404
    )
    response = client.post(
        f"/positions/{contest.position.id}/results/correct", data={"correct-reason": "x"}
    )
    assert response.status_code == 404


def test_the_public_page_is_404_before_publication_then_shows_the_winners(client, make):
    contest = build(make, {"An": "80", "Bình": "70"})
    ranking = contest.approve(contest.rank())
    url = f"/rounds/{contest.round.id}/public-results"
    assert client.get(url).status_code == 404  # approved is not published
    publish_round(contest.round, actor=contest.board, at=NOW)
    db.session.flush()
    page = client.get(url).get_data(as_text=True)  # no sign-in
    an, binh = contest.row(ranking, "An"), contest.row(ranking, "Bình")
    assert an.application.registration_number in page
    assert binh.application.registration_number not in page  # winners only by default
    assert "80,00" not in page
    assert "80.00" not in page
    searched = client.get(url, query_string={"sbd": binh.application.registration_number})
    assert "Không tìm thấy số báo danh" in searched.get_data(as_text=True)


def test_the_public_page_shows_everyone_with_totals_when_the_board_chooses(client, make):
    contest, ranking = _published(make)
    set_public_scope(contest.round, PublicScope.ALL, actor=contest.board)
    db.session.flush()
    url = f"/rounds/{contest.round.id}/public-results"
    page = client.get(url).get_data(as_text=True)
    for row in ranking.rows:
        assert row.application.registration_number in page
    binh = contest.row(ranking, "Bình").application.registration_number
    searched = client.get(url, query_string={"sbd": binh}).get_data(as_text=True)
    assert binh in searched
    assert contest.row(ranking, "An").application.registration_number not in searched


def test_the_council_approves_from_its_page_and_the_ranking_is_then_locked(client, make):
    contest = build(make, {"An": "80", "Bình": "70"})
    ranking = contest.rank()
    login(client, contest.board)
    url = f"/positions/{contest.position.id}/results/versions"
    page = client.get(url).get_data(as_text=True)
    assert 'value="01/QĐ-HĐTT"' in page  # the next number of the Council's sequence
    response = client.post(
        f"/positions/{contest.position.id}/results/approve",
        data={"decision_number": "01/QĐ-HĐTT", "decided_on": "05/05/2026"},
    )
    assert response.status_code == 302
    db.session.refresh(ranking)
    assert ranking.status == RankingStatus.APPROVED
    response = client.post(
        f"/positions/{contest.position.id}/results/compute", follow_redirects=True
    )
    assert "không tính lại được" in response.get_data(as_text=True)


def test_earlier_versions_stay_readable(client, make):
    contest, first = _published(make)
    draft = correct_ranking(first, reason="Đính chính lỗi nhập điểm", actor=contest.board, at=NOW)
    number = contest.next_number()
    second = contest.approve(draft, number)
    login(client, contest.board)
    page = client.get(f"/positions/{contest.position.id}/results/versions").get_data(as_text=True)
    assert "05/QĐ-HĐTT" in page
    assert number in page
    assert "Đính chính lỗi nhập điểm" in page
    results_page = client.get(f"/positions/{contest.position.id}/results").get_data(as_text=True)
    assert 'id="versions-list"' in results_page
    assert "Phiên bản 1" in results_page
    assert "Phiên bản 2" in results_page
    old = client.get(f"/positions/{contest.position.id}/results/versions/{first.id}")
    assert old.status_code == 200
    assert "Phiên bản 1" in old.get_data(as_text=True)
    assert second.version == 2


def test_a_guest_is_sent_to_sign_in_for_their_results(client):
    assert client.get("/results/mine").status_code == 302


def test_a_candidate_downloads_their_own_notice_issued_once(client, make):
    contest = build(make, {"An": "80", "Bình": "70"})
    ranking = contest.approve(contest.rank())
    an = contest.row(ranking, "An")
    url = f"/results/rows/{an.id}/notice.pdf"
    login(client, an.application.candidate)
    assert client.get(url).status_code == 404  # approved, not published
    publish_round(contest.round, actor=contest.board, at=NOW)
    db.session.flush()
    first = client.get(url, follow_redirects=True)
    assert first.status_code == 200
    assert first.data.startswith(b"%PDF")
    text = " ".join(
        " ".join(unicodedata.normalize("NFC", page.extract_text() or "").split())
        for page in PdfReader(io.BytesIO(first.data)).pages
    )
    assert "An" in text
    assert "phúc khảo" in text.lower()
    again = client.get(url, follow_redirects=True)
    assert again.data == first.data  # the same bytes, not rendered again
    notices = db.session.scalars(
        sa.select(IssuedDocument).where(IssuedDocument.kind == DocumentKind.RESULT_NOTICE)
    ).all()
    assert len(notices) == 1
    binh = contest.row(ranking, "Bình")
    assert client.get(f"/results/rows/{binh.id}/notice.pdf").status_code == 404  # another's
    login(client, binh.application.candidate)
    assert client.get(f"/documents/{notices[0].id}.pdf").status_code == 404
