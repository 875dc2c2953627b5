"""The approval's decision issued in the background (exam/results/decision_jobs.py): the
request records the decision and locks the ranking without rendering anything; a job issues
the document, its progress on the versions page; publication and the proposal wait for it; a
failed job is shown and retried by the board, audited; a version approved after publication
stays unpublished until its document exists."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from exam.accounts.models import Role
from exam.audit.models import AuditEntry
from exam.core.errors import DomainError, ValidationFailed
from exam.core.jobs import Job, JobStatus, run_queued_jobs
from exam.council.models import BodyKind
from exam.documents.models import DocumentKind, IssuedDocument
from exam.extensions import db
from exam.notices.models import NoticeKind, OutboxMessage
from exam.results import decision_jobs
from exam.results.decision_jobs import issue_decision_document, retry_decision_document
from exam.results.models import RankingDecision, RankingStatus
from exam.results.proposals import issue_proposal, suggested_proposal_number
from exam.results.publication import (
    correct_ranking,
    decision_document,
    publish_round,
    suggested_decision_number,
)
from exam.results.queries import published_ranking
from exam.rounds.models import RoundStatus
from tests.conftest import login
from tests.results.lifecycle_helpers import DECIDED_ON, NOW, _documents, build  # noqa: F401


@pytest.fixture
def queued(app, monkeypatch):
    """Jobs wait in the database as in production (not run inline): the test runs them."""
    monkeypatch.setitem(app.config, "JOBS_RUN_INLINE", False)
    monkeypatch.setitem(app.config, "JOBS_QUEUE", "database")
    monkeypatch.setitem(app.config, "REDIS_URL", "")


@pytest.fixture
def renders(monkeypatch):
    """Counts the decision's renders (and can make them fail)."""
    calls: list[int] = []
    real = decision_jobs.render_results_decision
    state = {"fail": False}

    def render(ranking, **kwargs):
        calls.append(ranking.id)
        if state["fail"]:
            raise RuntimeError("the PDF renderer died")
        return real(ranking, **kwargs)

    monkeypatch.setattr(decision_jobs, "render_results_decision", render)
    return calls, state


def _jobs() -> list[Job]:
    db.session.expire_all()
    return list(
        db.session.scalars(sa.select(Job).where(Job.kind == decision_jobs.KIND).order_by(Job.id))
    )


def _decision_documents() -> list[IssuedDocument]:
    return list(
        db.session.scalars(
            sa.select(IssuedDocument).where(IssuedDocument.kind == DocumentKind.RESULTS_DECISION)
        )
    )


def _approve_from_the_page(client, contest, number: str = "05/QĐ-HĐTT"):
    return client.post(
        f"/positions/{contest.position.id}/results/approve",
        data={"decision_number": number, "decided_on": "05/05/2026"},
    )


def test_the_approval_records_the_decision_and_a_job_issues_its_document(
    app, client, make, queued, renders
):
    calls, _state = renders
    contest = build(make, {"An": "80", "Bình": "70"})
    ranking = contest.rank()
    db.session.commit()
    login(client, contest.board)
    response = _approve_from_the_page(client, contest)
    assert response.status_code == 302
    db.session.expire_all()
    # recorded and locked in the request, nothing rendered there
    assert ranking.status == RankingStatus.APPROVED
    assert ranking.decision.decision_number == "05/QĐ-HĐTT"
    assert ranking.decision.decided_on == DECIDED_ON
    assert calls == []
    assert _decision_documents() == []
    [job] = _jobs()
    assert job.status == JobStatus.QUEUED
    assert job.payload == {"ranking_id": ranking.id, "position_id": contest.position.id}
    # the versions page follows the job; nothing official yet
    versions = f"/positions/{contest.position.id}/results/versions"
    page = client.get(versions).get_data(as_text=True)
    assert "Đang tạo văn bản quyết định" in page
    status_url = f"/positions/{contest.position.id}/results/decision-jobs/{job.id}.json"
    assert f'data-job-status-url="{status_url}"' in page
    assert "Tải quyết định (PDF)" not in page
    assert client.get(status_url).get_json()["status"] == "queued"
    with pytest.raises(ValidationFailed, match="chưa ban hành xong"):
        publish_round(contest.round, actor=contest.board, at=NOW)
    with pytest.raises(DomainError, match="chưa ban hành xong"):
        issue_proposal(ranking, number="06/TTr-HĐTT", issued_on=DECIDED_ON, actor=contest.board)
    # the job issues the document once
    assert run_queued_jobs(app) >= 1  # with the round announcement's own job
    [job] = _jobs()
    assert (job.status, job.message) == (JobStatus.DONE, "Đã ban hành Quyết định số 05/QĐ-HĐTT.")
    assert calls == [ranking.id]
    [document] = _decision_documents()
    assert (document.number, document.issued_on) == ("05/QĐ-HĐTT", DECIDED_ON)
    assert job.result["document_id"] == document.id
    page = client.get(versions).get_data(as_text=True)
    assert "Tải quyết định (PDF)" in page
    assert "Đang tạo văn bản quyết định" not in page
    assert client.get(status_url).get_json()["status"] == "done"
    publish_round(contest.round, actor=contest.board, at=NOW)
    assert contest.round.status == RoundStatus.PUBLISHED


def test_a_failed_job_is_shown_and_retried_by_the_board(app, client, make, queued, renders):
    calls, state = renders
    contest = build(make, {"An": "80", "Bình": "70"})
    ranking = contest.rank()
    db.session.commit()
    login(client, contest.board)
    _approve_from_the_page(client, contest)
    state["fail"] = True
    run_queued_jobs(app)
    [failed] = _jobs()
    assert failed.status == JobStatus.FAILED
    assert _decision_documents() == []  # nothing half-done kept
    db.session.expire_all()
    assert ranking.status == RankingStatus.APPROVED  # the decision stays recorded
    versions = f"/positions/{contest.position.id}/results/versions"
    page = client.get(versions).get_data(as_text=True)
    assert "Chưa tạo được văn bản quyết định: Đã xảy ra lỗi ngoài dự kiến" in page
    retry = f"/positions/{contest.position.id}/results/versions/{ranking.id}/decision"
    assert retry in page
    state["fail"] = False
    assert client.post(retry, data={}).status_code in (302, 303)
    _failed, queued_job = _jobs()
    assert queued_job.status == JobStatus.QUEUED
    # a second retry while one waits is refused in words
    client.post(retry, data={})
    assert len(_jobs()) == 2
    assert "chờ công việc hiện tại kết thúc" in client.get(versions).get_data(as_text=True)
    [entry] = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "ranking.decision_retry")
    ).all()
    assert entry.actor_id == contest.board.id
    assert entry.after["failed_job_id"] == failed.id
    assert entry.after["job_id"] == queued_job.id
    assert "lỗi ngoài dự kiến" in entry.after["failed_message"]
    run_queued_jobs(app)
    assert _jobs()[-1].status == JobStatus.DONE
    assert len(_decision_documents()) == 1
    assert len(calls) == 2
    db.session.expire_all()
    with pytest.raises(DomainError, match="đã được ban hành"):
        retry_decision_document(ranking, actor=contest.board)


def test_only_the_council_retries_and_reads_the_decision_job(app, make, queued):
    contest = build(make, {"An": "80"})
    ranking = contest.approve(contest.rank(), issue=False)
    supervisor = make.user(Role.SUPERVISOR, seated=False)
    make.seat(supervisor, contest.round, BodyKind.SUPERVISORY)
    elsewhere = make.user(Role.BOARD_ADMIN, seated=False)
    make.seat(elsewhere, make.round(), BodyKind.COUNCIL)
    other = build(make, {"Bình": "75"})
    other_ranking = other.approve(other.rank(), issue=False)
    db.session.commit()
    [job, other_job] = _jobs()
    position = contest.position.id
    retry = f"/positions/{position}/results/versions/{ranking.id}/decision"
    status = f"/positions/{position}/results/decision-jobs/{job.id}.json"
    for user, expected in ((supervisor, 403), (elsewhere, 404)):
        assert login(app.test_client(), user).post(retry, data={}).status_code == expected
    assert app.test_client().post(retry, data={}).status_code == 302  # sign in first
    assert len(_jobs()) == 2  # nothing started
    assert login(app.test_client(), supervisor).get(status).status_code == 200  # a reader
    assert login(app.test_client(), elsewhere).get(status).status_code == 404
    board = login(app.test_client(), contest.board)
    assert board.get(status).status_code == 200
    # another position's job or ranking through this position's address: 404
    assert (
        board.get(f"/positions/{position}/results/decision-jobs/{other_job.id}.json").status_code
        == 404
    )
    other_retry = f"/positions/{position}/results/versions/{other_ranking.id}/decision"
    assert board.post(other_retry, data={}).status_code == 404


def test_publication_and_the_proposal_wait_for_the_decisions_document(make):
    contest = build(make, {"An": "80", "Bình": "70"})
    ranking = contest.approve(contest.rank(), issue=False)
    with pytest.raises(ValidationFailed) as refused:
        publish_round(contest.round, actor=contest.board, at=NOW)
    assert refused.value.reasons[0][1] == (
        f"Quyết định số 05/QĐ-HĐTT phê duyệt kết quả vị trí {contest.position.label} chưa ban "
        "hành xong (đang tạo văn bản): công bố sau khi văn bản được tạo."
    )
    assert contest.round.status == RoundStatus.RESULTS
    document = issue_decision_document(ranking, actor=contest.board, at=NOW)
    assert issue_decision_document(ranking, actor=contest.board, at=NOW).id == document.id
    publish_round(contest.round, actor=contest.board, at=NOW)
    assert published_ranking(contest.position) is ranking
    proposed_on = DECIDED_ON + dt.timedelta(days=1)
    issue_proposal(
        ranking,
        number=suggested_proposal_number(contest.round.id, on=proposed_on),
        issued_on=proposed_on,
        actor=contest.board,
    )


def test_a_version_approved_after_publication_waits_for_its_document(make):
    contest = build(make, {"An": "80", "Bình": "70"})
    first = contest.approve(contest.rank())
    publish_round(contest.round, actor=contest.board, at=NOW)
    draft = correct_ranking(first, reason="Đính chính", actor=contest.board, at=NOW)
    contest.approve(draft, suggested_decision_number(contest.round.id, on=NOW.date()), issue=False)
    assert draft.status == RankingStatus.APPROVED
    assert published_ranking(contest.position) is first  # the official one until then
    assert first.status == RankingStatus.PUBLISHED
    assert decision_document(draft) is None
    results = sa.select(OutboxMessage).where(OutboxMessage.kind == NoticeKind.RESULT)
    assert len(db.session.scalars(results).all()) == 2  # nobody told of the new one yet
    issue_decision_document(draft, actor=contest.board, at=NOW)
    assert published_ranking(contest.position) is draft
    assert first.status == RankingStatus.SUPERSEDED
    assert draft.published_at == NOW
    assert len(db.session.scalars(results).all()) == 4
    publish = sa.select(AuditEntry).where(AuditEntry.action == "ranking.publish")
    assert db.session.scalars(publish.order_by(AuditEntry.id)).all()[-1].after["supersedes"] == (
        first.id
    )
    assert db.session.scalar(sa.select(sa.func.count(RankingDecision.id))) == 2
