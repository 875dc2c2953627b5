"""Stages gate the work (issue 13 item 5, docs/domain.md §3): each operation runs only in the
stages it belongs to, refused in words otherwise, and each move of a round lists what stands in
its way on the round's page, before a disabled button."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from exam.accounts.models import Role
from exam.candidates.models import Application, ApplicationStatus
from exam.candidates.operations import update_application, withdraw_application
from exam.candidates.screening import decide_eligibility
from exam.candidates.values import Person
from exam.core.errors import DomainError, ValidationFailed
from exam.council.models import BodyKind, MemberFunction
from exam.exams.definition import create_test
from exam.exams.models import Attempt, AttemptStatus
from exam.exams.papers import attempt_for, generate_papers
from exam.exams.scoring import record_item_points
from exam.extensions import db
from exam.panels.operations import record_panel_score
from exam.panels.queries import sheets_for_application
from exam.results.decision_jobs import issue_decision_document
from exam.results.operations import compute_ranking
from exam.results.publication import approve_ranking
from exam.rounds import stages
from exam.rounds.models import Round, RoundStatus
from exam.rounds.operations import advance_problems, advance_round
from exam.rounds.stages import register_guard, require_stage
from tests.conftest import login
from tests.factories import T0
from tests.panels.helpers import declare_no_relation

OPEN = "Đang nhận hồ sơ"


def refused_with(message: str):
    return pytest.raises(DomainError, match=f"^{re.escape(message)}$")


def _gate(action: str, allowed: str, now: str) -> str:
    return f"Chỉ được {action} khi kỳ thi ở giai đoạn {allowed}; kỳ thi đang ở giai đoạn {now}."


# --- the rule itself ------------------------------------------------------------------------


def test_require_stage_names_the_stages_allowed_and_the_current_one(make):
    round_ = make.round()
    require_stage(round_, RoundStatus.REGISTRATION_OPEN, action="nộp hồ sơ")
    with refused_with(
        _gate(
            "bốc thăm",
            "«Thi trắc nghiệm» hoặc «Trình bày đề án, phỏng vấn»",
            OPEN,
        )
    ):
        require_stage(round_, RoundStatus.TESTING, RoundStatus.INTERVIEWS, action="bốc thăm")


# --- operations refused outside their stage -------------------------------------------------


def test_a_dossier_cannot_change_once_registration_has_closed(make):
    round_ = make.round()
    application = make.dossier(round_.positions[0])
    make.stage(round_, RoundStatus.REGISTRATION_CLOSED)
    person = Person(application.date_of_birth, application.gender, "Khác", "Khác")
    with refused_with(_gate("sửa hồ sơ", f"«{OPEN}»", "Đã hết hạn nhận hồ sơ")):
        update_application(
            application,
            person=person,
            details=make.details(),
            declaration="x",
            actor=application.candidate,
            at=T0,
        )
    assert application.current_unit != "Khác"


def test_the_board_cannot_decide_a_dossier_while_registration_is_open(app, make):
    round_ = make.round()
    application = make.dossier(round_.positions[0])
    board = make.user(Role.BOARD_ADMIN)
    message = _gate("xét hồ sơ", "«Đang xét điều kiện»", OPEN)
    with refused_with(message):
        decide_eligibility(application, eligible=True, reason="", actor=board, at=T0)
    db.session.commit()
    page = login(app.test_client(), board).post(
        f"/applications/{application.id}/decide",
        data={"decision": "eligible"},
        follow_redirects=True,
    )
    assert message in page.get_data(as_text=True)
    db.session.expire_all()
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.registration_number is None


def test_a_candidate_withdraws_online_only_before_the_test(make):
    round_ = make.screened_round(2)
    application = db.session.scalars(
        sa.select(Application).where(Application.round_id == round_.id).limit(1)
    ).one()
    make.stage(round_, RoundStatus.TESTING)
    with pytest.raises(DomainError, match=r"^Chỉ được rút hồ sơ trên hệ thống khi"):
        withdraw_application(application, actor=application.candidate, at=T0)


def test_a_test_is_defined_before_the_testing_stage_and_its_papers_drawn_in_it(make):
    round_ = make.round()
    make.application(round_.positions[0])
    test = make.test(round_, starts_at=T0 + dt.timedelta(days=30), papers=False)
    board = make.user(Role.BOARD_ADMIN)
    before = T0 + dt.timedelta(days=29)
    with refused_with(_gate("tạo đề cho thí sinh", "«Thi trắc nghiệm»", OPEN)):
        generate_papers(test, actor=board, at=before)
    assert test.papers_generated_at is None
    make.stage(round_, RoundStatus.TESTING)
    with pytest.raises(DomainError, match=r"^Chỉ được tạo bài thi khi"):
        create_test(
            round_,
            test.bank,
            title="Thêm",
            question_count=1,
            duration_minutes=30,
            starts_at=T0 + dt.timedelta(days=31),
            actor=board,
        )
    assert len(generate_papers(test, actor=board, at=before)) == 1
    make.stage(round_, RoundStatus.INTERVIEWS)
    with pytest.raises(DomainError, match=r"^Chỉ được tạo đề cho thí sinh khi"):
        generate_papers(test, actor=board, at=before)


@pytest.fixture
def interviewed(make):
    """A position with a 3-member panel and two eligible candidates, no test."""
    round_ = make.round()
    position = round_.positions[0]
    panel = make.panel(position, members=3)
    first, second = make.application(position), make.application(position)
    return round_, panel, first, second


def test_a_panel_scores_only_during_the_interviews(make, interviewed):
    round_, panel, first, _ = interviewed
    member = panel.members[0]
    for stage in (RoundStatus.TESTING, RoundStatus.RESULTS, RoundStatus.PUBLISHED):
        make.stage(round_, stage)
        with refused_with(
            _gate("chấm điểm phỏng vấn", "«Trình bày đề án, phỏng vấn»", stage.title)
        ):
            record_panel_score(member, first, "80", actor=member.user, at=T0)
    make.stage(round_, RoundStatus.INTERVIEWS)
    declare_no_relation(panel, T0)
    record_panel_score(member, first, "80", actor=member.user, at=T0)
    assert len(sheets_for_application(first)) == 1


def test_results_are_computed_only_in_the_results_stage(make, interviewed):
    round_, panel, first, second = interviewed
    make.stage(round_, RoundStatus.INTERVIEWS)
    declare_no_relation(panel, T0)
    for member in panel.members:
        for application in (first, second):
            record_panel_score(member, application, "70", actor=member.user, at=T0)
    board = make.user(Role.BOARD_ADMIN)
    position = round_.positions[0]
    for stage in (RoundStatus.INTERVIEWS, RoundStatus.PUBLISHED):
        make.stage(round_, stage)
        with refused_with(_gate("tổng hợp kết quả", "«Tổng hợp kết quả»", stage.title)):
            compute_ranking(position, has_test=False, actor=board, at=T0)
    make.stage(round_, RoundStatus.RESULTS)
    assert len(compute_ranking(position, has_test=False, actor=board, at=T0).rows) == 2


def test_nothing_is_marked_once_the_results_are_published(make):
    round_ = make.round()
    application = make.application(round_.positions[0])
    test = make.test(round_)
    attempt = attempt_for(test, application)
    _submitted(attempt, final_score=0.0)
    make.stage(round_, RoundStatus.PUBLISHED)
    with pytest.raises(DomainError, match=r"^Chỉ được chấm bài khi"):
        record_item_points(attempt.questions[0], 1, actor=make.user(Role.BOARD_ADMIN), at=T0)


def _submitted(attempt: Attempt, *, final_score: float | None) -> None:
    """A paper submitted at its session's start, scored (``final_score`` None: an essay of it
    still waits for its marker)."""
    attempt.status = AttemptStatus.SUBMITTED
    attempt.started_at = attempt.submitted_at = attempt.session.starts_at
    attempt.score, attempt.final_score = 1.0, final_score
    db.session.flush()


# --- the guards of each move, listed before the button --------------------------------------


def _problems(round_: Round) -> list[str]:
    return advance_problems(round_, round_.next_status(), T0 + dt.timedelta(days=60))


def test_a_guard_registered_by_a_domain_is_asked_and_its_words_listed(make, monkeypatch):
    monkeypatch.setattr(stages, "_GUARDS", {})
    round_ = make.round(status=RoundStatus.DRAFT)
    register_guard(RoundStatus.REGISTRATION_OPEN, lambda r, at: [f"Thiếu quyết định {r.id}."])
    assert f"Thiếu quyết định {round_.id}." in _problems(round_)
    assert stages.guard_problems(round_, RoundStatus.TESTING, T0) == []


def test_registration_opens_with_a_position_and_closes_after_its_deadline(make):
    empty = make.round(status=RoundStatus.DRAFT, positions=0)
    assert _problems(empty) == ["Kỳ thi cần ít nhất một vị trí trước khi nhận hồ sơ."]
    round_ = make.round()
    assert advance_problems(round_, RoundStatus.REGISTRATION_CLOSED, T0) == [
        "Chưa hết thời hạn nhận hồ sơ (đến 21/03/2026 08:00)."
    ]


def test_the_test_stage_waits_for_every_dossier_and_enough_candidates(make):
    round_ = make.screened_round(1)
    make.dossier(round_.positions[0])  # sent, never decided
    label = round_.positions[0].label
    assert _problems(round_) == [
        f"{label}: còn 1 hồ sơ chưa xét.",
        f"{label}: chỉ có 1 thí sinh đủ điều kiện, cần ít nhất 2. "
        "Dừng thi tuyển vị trí này hoặc xét lại hồ sơ.",
    ]


def test_the_interviews_wait_for_every_paper_to_be_over_and_marked(make):
    round_ = make.round()
    applications = [make.application(round_.positions[0]) for _ in range(3)]
    test = make.test(round_, starts_at=T0 + dt.timedelta(days=30))
    assert round_.status == RoundStatus.TESTING
    during = T0 + dt.timedelta(days=30, minutes=10)
    assert advance_problems(round_, RoundStatus.INTERVIEWS, during) == [
        f"{test.title}: còn 3 bài thi chưa kết thúc."
    ]
    # One paper submitted with an essay still to mark; the others' time is over (absent).
    waiting = attempt_for(test, applications[0])
    _submitted(waiting, final_score=None)
    after = T0 + dt.timedelta(days=31)
    assert advance_problems(round_, RoundStatus.INTERVIEWS, after) == [
        f"{test.title}: 1 bài tự luận chưa chấm xong."
    ]
    waiting.final_score = 1.0
    assert advance_problems(round_, RoundStatus.INTERVIEWS, after) == []
    assert db.session.query(Attempt).count() == 3


def test_the_results_wait_for_each_panels_sheets(make, interviewed):
    round_, panel, first, second = interviewed
    make.stage(round_, RoundStatus.INTERVIEWS)
    declare_no_relation(panel, T0)
    member = panel.members[0]
    record_panel_score(member, first, "70", actor=member.user, at=T0)
    assert _problems(round_) == [
        f"Ban phỏng vấn {panel.name}: thí sinh {a.candidate.full_name} chưa đủ 2 phiếu."
        for a in (first, second)
    ]
    for member in panel.members[1:]:
        for application in (first, second):
            record_panel_score(member, application, "70", actor=member.user, at=T0)
    record_panel_score(panel.members[0], second, "70", actor=panel.members[0].user, at=T0)
    assert _problems(round_) == []


def test_a_position_without_a_panel_holds_the_results(make):
    round_ = make.stage(make.screened_round(2), RoundStatus.INTERVIEWS)
    position = round_.positions[0]
    assert _problems(round_) == [f"Vị trí {position.label} chưa có ban phỏng vấn."]


def test_publication_waits_for_every_ranking(app, make, interviewed, tmp_path, monkeypatch):
    round_, panel, first, second = interviewed
    make.stage(round_, RoundStatus.INTERVIEWS)
    declare_no_relation(panel, T0)
    for member in panel.members:
        for application, score in ((first, "70"), (second, "60")):  # no tie for the Council
            record_panel_score(member, application, score, actor=member.user, at=T0)
    make.stage(round_, RoundStatus.RESULTS)
    position = round_.positions[0]
    assert _problems(round_) == [f"Vị trí {position.label} chưa tổng hợp kết quả."]
    board = make.user(Role.BOARD_ADMIN)
    with pytest.raises(ValidationFailed):
        advance_round(round_, actor=board, at=T0)
    ranking = compute_ranking(position, has_test=False, actor=board, at=T0)
    assert _problems(round_) == [f"Kết quả vị trí {position.label} chưa được Hội đồng phê duyệt."]
    chair = make.user(Role.BOARD_ADMIN, seated=False)
    make.seat(chair, round_, BodyKind.COUNCIL, MemberFunction.CHAIR)
    monkeypatch.setitem(app.config, "DOCUMENTS_DIR", str(tmp_path))
    with app.test_request_context():  # the decision's document prints its public address
        approve_ranking(
            ranking, decision_number="05/QĐ-HĐTT", decided_on=T0.date(), signer=chair, actor=board
        )
        assert _problems(round_) == [
            f"Quyết định số 05/QĐ-HĐTT phê duyệt kết quả vị trí {position.label} chưa ban hành "
            "xong (đang tạo văn bản): công bố sau khi văn bản được tạo."
        ]
        issue_decision_document(ranking, actor=board)  # the approval's background job
    assert _problems(round_) == []
    assert round_.published_at is None
    advance_round(round_, actor=board, at=T0)
    assert round_.status == RoundStatus.PUBLISHED
    assert round_.published_at == T0  # the appeal window counts from it (§9)


def test_the_round_page_lists_what_stands_in_the_way_and_disables_the_button(app, make):
    round_ = make.screened_round(1)
    make.dossier(round_.positions[0])
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    page = login(app.test_client(), board).get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert "Chưa thể chuyển sang «Thi trắc nghiệm»" in page
    assert "còn 1 hồ sơ chưa xét." in page
    assert "chỉ có 1 thí sinh đủ điều kiện, cần ít nhất 2." in page
    button = re.search(r"<button[^>]*>Chuyển sang: Thi trắc nghiệm</button>", page)
    assert button is not None
    assert "disabled" in button.group(0)
    refused = login(app.test_client(), board).post(f"/rounds/{round_.id}/advance")
    assert refused.status_code in (302, 303)
    db.session.expire_all()
    assert db.session.get(Round, round_.id).status == RoundStatus.SCREENING


def test_leaving_the_testing_stage_closes_the_papers_whose_time_is_up(make):
    """A paper over by its time but not yet closed by the cron is closed as the round moves to
    the interviews, so the interviews' list and the results read it closed and scored."""
    round_ = make.round()
    applications = [make.application(round_.positions[0]) for _ in range(2)]
    test = make.test(round_, starts_at=T0 + dt.timedelta(days=30))
    sitting, absent = (attempt_for(test, a) for a in applications)
    sitting.status, sitting.started_at = AttemptStatus.IN_PROGRESS, sitting.session.starts_at
    db.session.flush()
    after = T0 + dt.timedelta(days=31)
    assert advance_problems(round_, RoundStatus.INTERVIEWS, after) == []
    advance_round(round_, actor=make.user(Role.BOARD_ADMIN), at=after)
    assert round_.status == RoundStatus.INTERVIEWS
    assert sitting.status == AttemptStatus.SUBMITTED
    assert sitting.submitted_by_server
    assert sitting.final_score is not None
    assert absent.status == AttemptStatus.READY  # never started: absent, nothing to close
