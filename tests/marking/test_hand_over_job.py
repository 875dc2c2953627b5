"""The hand-over's minutes issued in the background (exam/marking/hand_over_jobs.py): the
hand-over request draws the markers, records the hand-over and takes the minutes' number
without rendering anything; a job queued in that transaction renders and issues them once;
the marking page follows it; a failed job is shown in words and retried by the Ban phách
(audited), nobody else; the download before the minutes exist says they are being made."""

from __future__ import annotations

import unicodedata

import pytest
import sqlalchemy as sa

from exam.audit.models import AuditEntry
from exam.core.documents import COUNCIL
from exam.core.errors import DomainError
from exam.core.i18n import to_local
from exam.core.jobs import Job, JobStatus, run_queued_jobs
from exam.documents.models import DocumentKind, IssuedDocument
from exam.documents.numbering import split_number, suggested_number
from exam.documents.queries import document_bytes
from exam.extensions import db
from exam.marking import hand_over_jobs, views
from exam.marking.documents import HAND_OVER_SYMBOL
from exam.marking.hand_over_jobs import retry_hand_over_minutes
from exam.marking.models import MarkingSheet, ScriptStatus, ZeroReason
from exam.marking.operations import code_scripts, record_zero
from exam.marking.queries import plan_of, scripts_of
from tests.conftest import login
from tests.marking.conftest import AFTER, Essays
from tests.pdfs import pdf_text


@pytest.fixture
def queued(app, monkeypatch):
    """Jobs wait in the database as in production (not run inline): the test runs them."""
    monkeypatch.setitem(app.config, "JOBS_RUN_INLINE", False)
    monkeypatch.setitem(app.config, "JOBS_QUEUE", "database")
    monkeypatch.setitem(app.config, "REDIS_URL", "")


@pytest.fixture
def renders(monkeypatch):
    """Counts the minutes' renders, wherever the marking renders them (and can make the
    job's fail)."""
    calls: list[str] = []
    state = {"fail": False}
    real = hand_over_jobs.render_pdf

    def render(template, **data):
        calls.append(template)
        if state["fail"]:
            raise RuntimeError("the PDF renderer died")
        return real(template, **data)

    monkeypatch.setattr(hand_over_jobs, "render_pdf", render)
    monkeypatch.setattr(views, "render_pdf", render)
    return calls, state


def _jobs() -> list[Job]:
    db.session.expire_all()
    return list(
        db.session.scalars(sa.select(Job).where(Job.kind == hand_over_jobs.KIND).order_by(Job.id))
    )


def _minutes() -> list[IssuedDocument]:
    return list(
        db.session.scalars(
            sa.select(IssuedDocument).where(IssuedDocument.kind == DocumentKind.MARKING_HAND_OVER)
        )
    )


def _text(data: bytes) -> str:
    return unicodedata.normalize("NFC", pdf_text(data))


def _hand_over_from_the_page(app, essays: Essays):
    code_scripts(essays.round, actor=essays.anonymiser, at=AFTER)
    db.session.commit()
    client = login(app.test_client(), essays.anonymiser)
    response = client.post(f"/rounds/{essays.round_id}/marking/hand-over")
    assert response.status_code in (302, 303)
    db.session.expire_all()
    return client


def test_the_hand_over_returns_without_rendering_and_a_job_issues_the_minutes(
    app, essays, queued, renders
):
    calls, _state = renders
    expected = suggested_number(essays.round_id, COUNCIL, HAND_OVER_SYMBOL)  # the page: today
    client = _hand_over_from_the_page(app, essays)
    # the hand-over is done in the request, its number taken; nothing rendered there
    plan = plan_of(essays.round_id)
    assert plan.handed_over_at is not None
    assert plan.hand_over_number == expected
    assert all(s.status == ScriptStatus.MARKING for s in scripts_of(plan))
    assert db.session.scalar(sa.select(sa.func.count(MarkingSheet.id))) == 6
    assert calls == []
    assert _minutes() == []
    [job] = _jobs()
    assert job.status == JobStatus.QUEUED
    assert job.payload == {"round_id": essays.round_id, "plan_id": plan.id}
    # the number is held in the register meanwhile: the next document takes the next one
    after = suggested_number(essays.round_id, COUNCIL, "BB-HĐTT")
    assert split_number(after)[0] == split_number(expected)[0] + 1
    # the page follows the job; the download says the minutes are being made
    index = f"/rounds/{essays.round_id}/marking"
    status_url = f"/rounds/{essays.round_id}/marking/hand-over-jobs/{job.id}.json"
    page = client.get(index).get_data(as_text=True)
    assert "Đang tạo biên bản bàn giao số " + expected in page
    assert f'data-job-status-url="{status_url}"' in page
    assert "js/job-progress.js" in page
    assert client.get(status_url).get_json()["status"] == "queued"
    early = client.get(f"/rounds/{essays.round_id}/marking/hand-over.pdf")
    assert early.status_code == 303
    assert early.headers["Location"].endswith(index)
    page = client.get(index).get_data(as_text=True)
    assert "Biên bản bàn giao đang được tạo; tải lại sau ít phút." in page
    assert calls == []  # not rendered on request either
    # the job renders and issues them once, with the number taken at the hand-over
    assert run_queued_jobs(app) >= 1
    [job] = _jobs()
    assert (job.status, job.message) == (
        JobStatus.DONE,
        f"Đã ban hành Biên bản bàn giao bài thi số {expected}.",
    )
    assert calls == ["pdf/marking_hand_over.html"]
    [document] = _minutes()
    assert (document.number, document.issuer, document.issued_on) == (
        expected,
        COUNCIL,
        to_local(plan.handed_over_at).date(),  # the day of the hand-over, not of the job
    )
    assert job.result["document_id"] == document.id
    assert plan_of(essays.round_id).hand_over_document_id == document.id
    text = _text(document_bytes(document))
    assert f"Số: {expected}" in text
    assert essays.round.name in text
    assert "Số bài thi đã đánh phách: 3; số bài giao chấm: 3." in text
    assert all(essays.script(n).code in text for n in range(3))
    download = client.get(f"/rounds/{essays.round_id}/marking/hand-over.pdf")
    assert download.status_code == 302
    assert download.headers["Location"].endswith(f"/documents/{document.id}.pdf")
    page = client.get(index).get_data(as_text=True)
    assert "Biên bản bàn giao (PDF)" in page
    assert "data-job-status-url" not in page
    assert client.get(status_url).get_json()["status"] == "done"
    # the job run again issues nothing more
    with pytest.raises(DomainError, match="đã được ban hành"):
        retry_hand_over_minutes(plan_of(essays.round_id), actor=essays.anonymiser)
    assert len(_minutes()) == 1


def test_a_failed_render_leaves_the_hand_over_done_and_the_ban_phach_retries(
    app, essays, queued, renders
):
    calls, state = renders
    client = _hand_over_from_the_page(app, essays)
    number = plan_of(essays.round_id).hand_over_number
    state["fail"] = True
    run_queued_jobs(app)
    [failed] = _jobs()
    assert failed.status == JobStatus.FAILED
    assert _minutes() == []  # nothing half-done kept
    plan = plan_of(essays.round_id)
    assert plan.handed_over_at is not None  # the hand-over stays done
    assert plan.hand_over_number == number
    assert all(s.status == ScriptStatus.MARKING for s in scripts_of(plan))
    index = f"/rounds/{essays.round_id}/marking"
    page = client.get(index).get_data(as_text=True)
    assert "Chưa tạo được biên bản bàn giao: Đã xảy ra lỗi ngoài dự kiến" in page
    retry = f"/rounds/{essays.round_id}/marking/hand-over/minutes"
    assert f'action="{retry}"' in page
    assert "js/job-progress.js" not in page
    download = client.get(f"/rounds/{essays.round_id}/marking/hand-over.pdf")
    assert download.status_code == 303
    assert "Chưa tạo được biên bản bàn giao" in client.get(index).get_data(as_text=True)
    # the head of marking reads the failure, without the retry button
    head_page = login(app.test_client(), essays.head).get(index).get_data(as_text=True)
    assert "Chưa tạo được biên bản bàn giao" in head_page
    assert retry not in head_page
    state["fail"] = False
    assert client.post(retry, data={}).status_code in (302, 303)
    _failed, waiting = _jobs()
    assert waiting.status == JobStatus.QUEUED
    # a second retry while one waits is refused in words
    client.post(retry, data={})
    assert len(_jobs()) == 2
    assert "chờ công việc hiện tại kết thúc" in client.get(index).get_data(as_text=True)
    [entry] = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "marking.hand_over_minutes_retry")
    ).all()
    assert entry.actor_id == essays.anonymiser.id
    assert entry.after["number"] == number
    assert entry.after["failed_job_id"] == failed.id
    assert entry.after["job_id"] == waiting.id
    assert "lỗi ngoài dự kiến" in entry.after["failed_message"]
    run_queued_jobs(app)
    assert _jobs()[-1].status == JobStatus.DONE
    [document] = _minutes()
    assert document.number == number
    assert len(calls) == 2
    assert "Chưa tạo được biên bản bàn giao" not in client.get(index).get_data(as_text=True)


def test_only_the_ban_phach_retries_and_only_the_two_sides_read_the_job(
    app, essays, queued, renders
):
    _calls, state = renders
    _hand_over_from_the_page(app, essays)
    state["fail"] = True
    run_queued_jobs(app)
    [job] = _jobs()
    retry = f"/rounds/{essays.round_id}/marking/hand-over/minutes"
    status = f"/rounds/{essays.round_id}/marking/hand-over-jobs/{job.id}.json"
    # seated in the marking without the power to hand over: 403; no part in it: 404
    for person in (essays.head, essays.markers[1], essays.council, essays.supervisor):
        response = login(app.test_client(), person).post(retry, data={})
        assert response.status_code == 403, person.full_name
    response = login(app.test_client(), essays.candidates[0]).post(retry, data={})
    assert response.status_code == 404
    assert app.test_client().post(retry, data={}).status_code == 302  # sign in first
    assert _jobs() == [job]  # nothing started
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuditEntry.id)).where(
                AuditEntry.action == "marking.hand_over_minutes_retry"
            )
        )
        == 0
    )
    for person, expected in (
        (essays.anonymiser, 200),
        (essays.head, 200),
        (essays.markers[1], 404),
        (essays.council, 404),
        (essays.supervisor, 404),
    ):
        response = login(app.test_client(), person).get(status)
        assert response.status_code == expected, person.full_name
    # another kind of job through this round's address: 404
    other = Job(kind="other", payload={"round_id": essays.round_id})
    db.session.add(other)
    db.session.commit()
    anonymiser = login(app.test_client(), essays.anonymiser)
    assert (
        anonymiser.get(
            f"/rounds/{essays.round_id}/marking/hand-over-jobs/{other.id}.json"
        ).status_code
        == 404
    )


def test_minutes_made_after_a_later_zero_list_the_hand_over_as_it_was(app, essays, queued, renders):
    code_scripts(essays.round, actor=essays.anonymiser, at=AFTER)
    record_zero(  # before the hand-over, by the Ban phách: the minutes' case
        essays.script(0),
        ZeroReason.IDENTIFYING_MARKS,
        "Bài thi ghi họ tên thí sinh; lập biên bản.",
        actor=essays.anonymiser,
        at=AFTER,
    )
    db.session.commit()
    login(app.test_client(), essays.anonymiser).post(f"/rounds/{essays.round_id}/marking/hand-over")
    db.session.expire_all()
    db.session.refresh(essays.head)  # record_zero reads its actor's id mid-change
    record_zero(  # after it, by the head of marking, before the job ran
        essays.script(1),
        ZeroReason.TWO_HANDWRITINGS,
        "Bài thi có hai kiểu chữ; lập biên bản có Ban giám sát chứng kiến.",
        actor=essays.head,
        at=AFTER,
    )
    db.session.commit()
    run_queued_jobs(app)
    [document] = _minutes()
    text = _text(document_bytes(document))
    assert "Số bài thi đã đánh phách: 3; số bài giao chấm: 2." in text
    assert text.count("Điểm 0") == 1
    assert "hai loại chữ viết" not in text  # the later zero is not the hand-over's
