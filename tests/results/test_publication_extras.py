"""The loose ends of the results' lifecycle: the proposal to the appointing authority issued
once with its own number, every candidate's notice issued by a background job at publication,
the deadlines in working days (approval within 5, publication within 2), the round form
never disagreeing with the formula's gates."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from exam.accounts.models import Role
from exam.core.calendar import PublicHoliday, add_working_days
from exam.core.errors import DomainError, ValidationFailed
from exam.core.jobs import Job, JobStatus
from exam.documents.models import DocumentKind, IssuedDocument
from exam.documents.numbering import split_number
from exam.documents.queries import document_bytes
from exam.extensions import db
from exam.results import publication_views
from exam.results.deadlines import Deadline, results_deadlines
from exam.results.formula import civil_service_preset, set_formula
from exam.results.notice_jobs import KIND as NOTICE_KIND
from exam.results.notice_jobs import notices_issued
from exam.results.proposals import issue_proposal, suggested_proposal_number
from exam.results.publication import (
    publish_round,
    result_notice_document,
    suggested_decision_number,
)
from exam.rounds.models import RoundStatus
from exam.rounds.operations import Rules, Schedule, update_round
from tests.conftest import login
from tests.results.lifecycle_helpers import DECIDED_ON, NOW, _documents, build  # noqa: F401


def _text(data: bytes) -> str:
    pages = PdfReader(io.BytesIO(data)).pages
    return " ".join(" ".join((page.extract_text() or "").split()) for page in pages)


# --- the proposal ------------------------------------------------------------------------------


def test_the_proposal_is_issued_once_with_its_own_number(make):
    contest = build(make, {"An": "80", "Bình": "70"})
    ranking = contest.rank()
    with pytest.raises(DomainError, match="sau khi Hội đồng phê duyệt"):
        issue_proposal(ranking, number="06/TTr-HĐTT", issued_on=DECIDED_ON, actor=contest.board)
    contest.approve(ranking)  # 05/QĐ-HĐTT
    issued_on = DECIDED_ON + dt.timedelta(days=1)
    number = suggested_proposal_number(contest.round.id, on=issued_on)
    sequence, symbol = split_number(number)
    assert symbol == "TTr-HĐTT"
    assert sequence > 5  # after the decision, in the Council's one sequence
    document = issue_proposal(
        ranking, number=f"{sequence}/TTr-HĐTT", issued_on=issued_on, actor=contest.board
    )
    assert document.kind == DocumentKind.RESULTS_PROPOSAL
    assert document.number == number  # as NĐ 30 writes it
    assert ranking.decision.proposal_document_id == document.id
    first = document_bytes(document)
    text = _text(first)
    assert f"Số: {number}" in text
    assert "ngày 06 tháng 5 năm 2026" in text
    assert "An" in text.split("đề nghị xem xét, bổ nhiệm")[1]  # the winner
    assert "Bình" not in text  # not selected, not reserved
    assert "Chủ Tịch Hội Đồng" in text  # the signer
    assert document.code in text
    assert document_bytes(db.session.get(IssuedDocument, document.id)) == first
    with pytest.raises(DomainError, match="đã được ban hành"):
        issue_proposal(ranking, number="99/TTr-HĐTT", issued_on=issued_on, actor=contest.board)
    # the proposal took its number in the Council's sequence: the next decision comes after
    assert split_number(suggested_decision_number(contest.round.id, on=DECIDED_ON))[0] > sequence


def test_a_proposal_number_used_in_the_councils_sequence_is_refused(make):
    contest = build(make, {"An": "80"})
    ranking = contest.approve(contest.rank())
    for taken in ("05/TTr-HĐTT", "5/QĐ-HĐTT"):  # the decision's number
        with pytest.raises(ValidationFailed, match="đã dùng"):
            issue_proposal(ranking, number=taken, issued_on=DECIDED_ON, actor=contest.board)
    with pytest.raises(ValidationFailed, match="số/ký hiệu"):
        issue_proposal(ranking, number="tờ trình", issued_on=DECIDED_ON, actor=contest.board)
    with pytest.raises(ValidationFailed, match="trước quyết định"):
        issue_proposal(
            ranking,
            number="06/TTr-HĐTT",
            issued_on=DECIDED_ON - dt.timedelta(days=1),
            actor=contest.board,
        )
    assert ranking.decision.proposal_document_id is None
    assert (
        db.session.scalar(
            sa.select(sa.func.count(IssuedDocument.id)).where(
                IssuedDocument.kind == DocumentKind.RESULTS_PROPOSAL
            )
        )
        == 0
    )


def test_the_versions_page_issues_the_proposal_and_links_it(client, make, monkeypatch):
    contest = build(make, {"An": "80", "Bình": "70"})
    ranking = contest.approve(contest.rank())
    db.session.commit()
    position_id = contest.position.id
    login(client, contest.board)
    # the page suggests for a proposal dated today: 6 May 2026, the day after the decision
    monkeypatch.setattr(publication_views, "today", lambda: dt.date(2026, 5, 6))
    page = client.get(f"/positions/{position_id}/results/versions").get_data(as_text=True)
    number = suggested_proposal_number(contest.round.id, on=dt.date(2026, 5, 6))
    assert f'value="{number}"' in page  # the next of the Council's register that day
    response = client.post(
        f"/positions/{position_id}/results/proposal",
        data={"proposal-number": "05/TTr-HĐTT", "proposal-issued_on": "06/05/2026"},
    )
    assert response.status_code in (302, 303)
    page = client.get(f"/positions/{position_id}/results/versions").get_data(as_text=True)
    assert "đã dùng" in page  # refused in words, nothing issued
    client.post(
        f"/positions/{position_id}/results/proposal",
        data={"proposal-number": number, "proposal-issued_on": "06/05/2026"},
    )
    db.session.expire_all()
    document_id = ranking.decision.proposal_document_id
    assert document_id is not None
    page = client.get(f"/positions/{position_id}/results/versions").get_data(as_text=True)
    assert f"/documents/{document_id}" in page
    download = client.get(f"/positions/{position_id}/results/proposal.pdf")
    assert download.headers["Location"].endswith(f"/documents/{document_id}.pdf")
    candidate = contest.row(ranking, "Bình").application.candidate
    login(client, candidate)
    assert client.get(f"/documents/{document_id}.pdf").status_code in (403, 404)


# --- every candidate's notice, in the background -------------------------------------------------


def _notices(subject_id: int | None = None) -> list[IssuedDocument]:
    query = sa.select(IssuedDocument).where(IssuedDocument.kind == DocumentKind.RESULT_NOTICE)
    if subject_id is not None:
        query = query.where(IssuedDocument.subject_user_id == subject_id)
    return list(db.session.scalars(query.order_by(IssuedDocument.id)))


def test_publication_issues_each_candidates_notice_once_in_batches(app, client, make, monkeypatch):
    monkeypatch.setitem(app.config, "NOTICES_PER_JOB", 2)
    contest = build(make, {"An": "80", "Bình": "70", "Cường": "60"})
    ranking = contest.approve(contest.rank())
    publish_round(contest.round, actor=contest.board, at=NOW)
    early = contest.row(ranking, "Cường")
    on_demand = result_notice_document(early, actor=early.application.candidate)
    assert _notices() == [on_demand]  # nothing else before the commit starts the job
    db.session.commit()  # the job runs (inline in tests) once committed
    db.session.expire_all()
    jobs = list(db.session.scalars(sa.select(Job).where(Job.kind == NOTICE_KIND).order_by(Job.id)))
    assert [job.status for job in jobs] == [JobStatus.DONE]  # 2 waiting: one batch
    for row in ranking.rows:
        notices = _notices(row.application.candidate_id)
        assert len(notices) == 1
        assert notices[0].number == "05/QĐ-HĐTT"
    assert notices_issued(ranking) == 3
    # the candidate's download serves the stored notice, the job's or their own
    an = contest.row(ranking, "An")
    stored = _notices(an.application.candidate_id)[0]
    assert result_notice_document(an, actor=an.application.candidate).id == stored.id
    assert result_notice_document(early, actor=early.application.candidate).id == on_demand.id
    login(client, an.application.candidate)
    response = client.get(f"/results/rows/{an.id}/notice.pdf")
    assert response.headers["Location"].endswith(f"/documents/{stored.id}.pdf")
    assert len(_notices()) == 3
    # the board's progress page
    login(client, contest.board)
    page = client.get(f"/positions/{contest.position.id}/results/notices").get_data(as_text=True)
    assert "Đã ban hành 3/3 thông báo kết quả" in page
    assert 'id="notice-jobs"' in page


def test_a_job_issues_a_batch_and_starts_the_next_for_the_rest(app, make, monkeypatch):
    monkeypatch.setitem(app.config, "NOTICES_PER_JOB", 2)
    contest = build(make, {"An": "80", "Bình": "70", "Cường": "60", "Dũng": "55", "Em": "50"})
    ranking = contest.approve(contest.rank())
    publish_round(contest.round, actor=contest.board, at=NOW)
    db.session.commit()
    db.session.expire_all()
    jobs = list(db.session.scalars(sa.select(Job).where(Job.kind == NOTICE_KIND).order_by(Job.id)))
    assert [job.status for job in jobs] == [JobStatus.DONE] * 3  # 2 + 2 + 1
    assert [job.result["issued"] for job in jobs] == [2, 2, 1]
    assert jobs[0].message == "Đã ban hành 2 thông báo kết quả (2/5)."
    assert jobs[-1].result["next_job_id"] is None
    subjects = [doc.subject_user_id for doc in _notices()]
    assert sorted(subjects) == sorted(r.application.candidate_id for r in ranking.rows)
    assert notices_issued(ranking) == 5


def test_a_rolled_back_publication_starts_no_job(make):
    contest = build(make, {"An": "80"})
    contest.approve(contest.rank())
    publish_round(contest.round, actor=contest.board, at=NOW)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0
    assert _notices() == []


# --- deadlines in working days -----------------------------------------------------------------


def test_working_days_skip_the_weekend_and_holidays():
    friday = dt.date(2026, 4, 24)
    assert add_working_days(friday, 2, set()) == dt.date(2026, 4, 28)  # Mon 27, Tue 28
    # 30 April and 1 May (Thu, Fri), then the weekend
    holidays = {dt.date(2026, 4, 30), dt.date(2026, 5, 1)}
    assert add_working_days(dt.date(2026, 4, 29), 2, holidays) == dt.date(2026, 5, 5)
    with pytest.raises(ValueError, match="at least one"):
        add_working_days(friday, 0, set())


def test_the_results_deadlines_across_a_weekend_and_a_holiday(app, make):
    db.session.add(PublicHoliday(day=dt.date(2026, 5, 6), name="Ngày nghỉ bù"))
    contest = build(make, {"An": "80", "Bình": "70"})
    ranking = contest.rank()  # computed Monday 4 May 2026 (09:00 in Hanoi)
    [approval] = results_deadlines(contest.position)
    # 5 working days after Mon 4 May: Tue 5, (Wed 6 a holiday), Thu 7, Fri 8, Mon 11, Tue 12
    assert approval == Deadline("Hội đồng phê duyệt", dt.date(2026, 5, 12), None)
    assert not approval.overdue(dt.date(2026, 5, 12))
    assert approval.overdue(dt.date(2026, 5, 13))
    contest.approve(ranking)  # decided Tue 5 May
    approval, publication = results_deadlines(contest.position)
    assert approval.done_on == DECIDED_ON
    assert not approval.overdue(dt.date(2026, 6, 1))
    # 2 working days after Tue 5 May: (Wed 6 a holiday), Thu 7, Fri 8
    assert publication.due_on == dt.date(2026, 5, 8)
    assert publication.overdue(dt.date(2026, 5, 11))
    publish_round(contest.round, actor=contest.board, at=NOW + dt.timedelta(days=4))  # Fri 8
    _approval, publication = results_deadlines(contest.position)
    assert publication.done_on == dt.date(2026, 5, 8)
    assert not publication.overdue(dt.date(2026, 6, 1))


def test_a_draft_recomputed_keeps_the_day_the_results_were_received(make):
    contest = build(make, {"An": "80"})
    contest.rank()
    contest.rank()  # computed again the same day: the Council received them at the first
    [approval] = results_deadlines(contest.position)
    assert approval.due_on == dt.date(2026, 5, 11)  # Mon 4 → Mon 11 (no holiday kept)


def test_the_pages_show_the_deadlines_and_overdue(client, make):
    contest = build(make, {"An": "80"})
    contest.rank()  # 4 May 2026: long overdue today
    db.session.commit()
    login(client, contest.board)
    for url in (
        f"/positions/{contest.position.id}/results",
        f"/positions/{contest.position.id}/results/versions",
    ):
        page = client.get(url).get_data(as_text=True)
        assert 'id="deadlines"' in page
        assert "Hội đồng phê duyệt: hạn 11/05/2026" in page
        assert "Quá hạn" in page


# --- the round form and the formula's gates ----------------------------------------------------


def _update(round_, actor, **rules):
    base = dict(
        min_candidates_per_position=round_.min_candidates_per_position,
        test_pass_mark=round_.test_pass_mark,
        winner_min_score=round_.winner_min_score,
        panel_spread_limit=round_.panel_spread_limit,
    )
    base.update(rules)
    return update_round(
        round_,
        name=round_.name,
        organisation=round_.organisation,
        parent_body=round_.parent_body,
        schedule=Schedule(
            **{name: getattr(round_, name) for name in Schedule.__dataclass_fields__}
        ),
        rules=Rules(**base),
        actor=actor,
    )


def test_the_round_form_cannot_make_the_pass_mark_disagree_with_the_formula(make):
    round_ = make.round(status=RoundStatus.DRAFT)
    board = make.user(Role.BOARD_ADMIN)
    _update(round_, board, test_pass_mark=60)  # no formula stored yet: the round form sets it
    assert round_.test_pass_mark == 60
    set_formula(round_, civil_service_preset(), actor=board)
    gate, minimum = round_.test_pass_mark, round_.winner_min_score
    for rule in ({"test_pass_mark": 70}, {"winner_min_score": 80}):
        with pytest.raises(ValidationFailed, match="trang công thức"):
            _update(round_, board, **rule)
    assert (round_.test_pass_mark, round_.winner_min_score) == (gate, minimum)
    _update(round_, board, panel_spread_limit=15)  # the others still change
    assert round_.panel_spread_limit == 15


def test_the_round_form_shows_the_formulas_gates_read_only(client, make):
    board = make.user(Role.BOARD_ADMIN)
    round_ = make.round(status=RoundStatus.DRAFT, board=board)
    login(client, board)
    page = client.get(f"/rounds/{round_.id}/edit").get_data(as_text=True)
    assert "readonly" not in page  # no formula stored: the round form sets them
    set_formula(round_, civil_service_preset(), actor=board)
    db.session.commit()
    page = client.get(f"/rounds/{round_.id}/edit").get_data(as_text=True)
    for rule in ("test_pass_mark", "winner_min_score"):
        tag = page[page.index(f'id="{rule}"') - 300 : page.index(f'id="{rule}"') + 300]
        assert "readonly" in tag
    assert "Đặt trên trang công thức tính kết quả của kỳ thi." in page
