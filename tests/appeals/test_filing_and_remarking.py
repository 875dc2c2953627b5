"""Appeals (docs/domain.md §9): filing from the candidate's account within the window (weekend
and holiday skipped), the refusals, the blind re-marking by the re-marking board under a new
code, the < 5 / ≥ 5 outcome with the Chair's minuted decision, the candidate's notice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from exam.accounts.models import Role
from exam.appeals.models import Appeal, AppealStatus
from exam.appeals.operations import (
    add_holiday,
    chair_decides,
    file_appeal,
    refer_to_meeting,
    start_remark,
)
from exam.appeals.queries import appeal_deadline
from exam.audit.models import AuditEntry
from exam.audit.reconcile import compare_with_trail
from exam.core.db import utcnow
from exam.core.errors import DomainError, NotAllowed
from exam.core.i18n import format_date
from exam.council.models import (
    Body,
    BodyKind,
    Meeting,
    MeetingAttendee,
    MemberFunction,
    Vote,
    VoteChoice,
)
from exam.exams.queries import paper_percent
from exam.extensions import db
from exam.marking.models import MarkingSheet, PaperScript, Script, ScriptStatus
from exam.marking.operations import code_scripts, hand_over, unseal
from exam.marking.papers import define_paper_test, upload_scan
from exam.marking.sheets import submit_sheet
from exam.notices.models import NoticeKind, OutboxMessage
from exam.results.operations import compute_standings
from exam.rounds.models import RoundStatus
from tests.conftest import login
from tests.marking.conftest import AFTER, Essays, build_essays, seat_on, staff

D = Decimal
HANOI = dt.timezone(dt.timedelta(hours=7))
PUBLISHED = dt.datetime(2026, 5, 8, 10, 0, tzinfo=HANOI)  # a Friday
SCAN = b"%PDF-1.4\n% a scanned script\n%%EOF\n"
HOLIDAY = dt.date(2026, 5, 13)  # a Wednesday: the window ends on Monday 18 May


def _marks(sheet: MarkingSheet, content: str, form: str) -> dict[str, str]:
    item = sheet.script.essay_items()[0]
    return {f"mark-{item.id}-0": content, f"mark-{item.id}-1": form}


def _mark(sheet: MarkingSheet, content: str, form: str) -> MarkingSheet:
    return submit_sheet(sheet, _marks(sheet, content, form), "", actor=sheet.marker, at=AFTER)


def _published(make, remarkers: int = 3, *, scans: bool = False) -> Essays:
    """Every script marked 70 (42 + 28) and unsealed, the results published on a Friday; a
    re-marking board of ``remarkers`` plus, by mistake, an original marker and the Ban phách.
    ``scans``: each candidate also sat a paper test, scanned."""
    w = build_essays(make)
    if scans:
        paper_test = define_paper_test(
            w.round,
            "Bài thi viết trên giấy",
            [("Nội dung", D(60)), ("Lập luận", D(40))],
            actor=w.anonymiser,
        )
        for n in range(3):
            number = w.attempt(n).application.registration_number
            upload_scan(paper_test, number, SCAN, actor=w.anonymiser, at=AFTER)
    code_scripts(w.round, actor=w.anonymiser, at=AFTER)
    hand_over(w.round, actor=w.anonymiser, at=AFTER)
    for script in db.session.scalars(sa.select(Script)):
        for sheet in script.sheets:
            _mark(sheet, "42", "28")
    unseal(w.round, actor=w.anonymiser, at=AFTER)
    make.stage(w.round, RoundStatus.PUBLISHED)
    w.round.published_at = PUBLISHED
    w.remarkers = [staff(f"Phúc Khảo {n}") for n in range(remarkers)]
    seat_on(w.round, BodyKind.REMARKING, w.remarkers[0], MemberFunction.HEAD)
    for person in w.remarkers[1:]:
        seat_on(w.round, BodyKind.REMARKING, person)
    seat_on(w.round, BodyKind.REMARKING, w.sheet(0, 1).marker)
    seat_on(w.round, BodyKind.REMARKING, w.anonymiser)
    add_holiday(HOLIDAY, "Ngày nghỉ bù", actor=None)
    db.session.flush()
    return w


def _file(
    w: Essays,
    n: int = 0,
    at: dt.datetime | None = None,
    part: str = "written",
    script: Script | None = None,
) -> Appeal:
    application = w.attempt(n).application
    return file_appeal(
        application,
        part,
        "Xin chấm lại.",
        actor=w.candidates[n],
        at=at or PUBLISHED,
        script_id=script.id if script else None,
    )


def _remark(w: Essays, appeal: Appeal, content: str, form: str) -> None:
    start_remark(appeal, actor=w.anonymiser, at=AFTER)
    for sheet in appeal.remark_script.sheets:
        _mark(sheet, content, form)


def _actions() -> set[str]:
    return set(db.session.scalars(sa.select(AuditEntry.action)))


def _trail_problems() -> list[str]:  # the fixture writes the SBDs directly, unaudited
    db.session.flush()
    return [p for p in compare_with_trail() if not p.startswith("Số báo danh")]


# --- filing -----------------------------------------------------------------------------------


def test_filing_on_the_last_day_across_a_weekend_and_a_holiday_is_in_time(make):
    w = _published(make)
    last = dt.datetime(2026, 5, 18, 23, 30, tzinfo=HANOI)  # Monday, the 5th working day
    appeal = _file(w, at=last)
    assert appeal.status == AppealStatus.FILED
    assert appeal.published_score == D("70.00")
    assert "appeal.file" in _actions()


def test_filing_after_the_window_is_refused(make):
    w = _published(make)
    with pytest.raises(DomainError, match=r"hết thời hạn phúc khảo.*18/05/2026"):
        _file(w, at=dt.datetime(2026, 5, 19, 0, 5, tzinfo=HANOI))
    assert db.session.scalar(sa.select(sa.func.count(Appeal.id))) == 0


def test_filing_outside_the_published_stage_is_refused(make):
    w = _published(make)
    make.stage(w.round, RoundStatus.CLOSED)
    with pytest.raises(DomainError):
        _file(w)


def test_an_interview_or_project_is_not_appealed(make):
    w = _published(make)
    with pytest.raises(DomainError, match="không phúc khảo điểm phỏng vấn"):
        _file(w, part="interview")


def test_a_computer_scored_test_is_not_appealed(make):
    round_ = make.round()
    candidate = make.user(Role.CANDIDATE)
    application = make.application(round_.positions[0], candidate)
    make.stage(round_, RoundStatus.PUBLISHED)
    round_.published_at = PUBLISHED
    with pytest.raises(DomainError, match="chấm tự động trên máy tính"):
        file_appeal(application, "written", "", actor=candidate, at=PUBLISHED)


def test_a_second_appeal_on_the_same_part_is_refused(make):
    w = _published(make)
    _file(w)
    with pytest.raises(DomainError, match="đã nộp đơn phúc khảo"):
        _file(w)


def test_someone_else_s_paper_is_refused_and_its_address_answers_404(app, make):
    w = _published(make)
    with pytest.raises(NotAllowed):
        file_appeal(w.attempt(0).application, "written", "", actor=w.candidates[1], at=PUBLISHED)
    db.session.commit()
    client = login(app.test_client(), w.candidates[1])
    response = client.post(f"/applications/{w.attempt(0).application.id}/appeal")
    assert response.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(Appeal.id))) == 0


def test_the_candidate_s_page_shows_the_deadline_and_the_status(app, make):
    w = _published(make)
    w.round.published_at = utcnow()  # the page files at the real time
    db.session.commit()
    client = login(app.test_client(), w.candidates[0])
    page = client.get("/appeals").get_data(as_text=True)
    assert format_date(appeal_deadline(w.round)) in page
    client.post(f"/applications/{w.attempt(0).application.id}/appeal", data={"part": "written"})
    page = client.get("/appeals").get_data(as_text=True)
    assert str(AppealStatus.FILED.title) in page
    assert db.session.scalar(sa.select(sa.func.count(Appeal.id))) == 1


# --- the blind re-marking ---------------------------------------------------------------------


def test_the_re_marking_gets_a_new_code_and_never_the_first_markers_nor_the_ban_phach(make):
    w = _published(make)
    appeal = _file(w)
    original = w.script(0)
    for _ in range(5):  # the draw is random: the exclusions hold every time
        start_remark(appeal, actor=w.anonymiser, at=AFTER)
        remark = appeal.remark_script
        assert remark.code != original.code
        assert remark.remark
        drawn = {s.marker_id for s in remark.sheets}
        assert len(drawn) == 2
        assert drawn <= {p.id for p in w.remarkers}
        assert not drawn & {s.marker_id for s in original.sheets}
        db.session.rollback()
        w = _published(make)
        appeal = _file(w)
        original = w.script(0)


def test_a_re_marking_board_too_small_once_the_first_markers_are_excluded_is_refused(make):
    w = _published(make, remarkers=1)
    appeal = _file(w)
    with pytest.raises(DomainError, match="Ban chấm phúc khảo cần ít nhất hai"):
        start_remark(appeal, actor=w.anonymiser, at=AFTER)


def test_a_re_marker_sees_no_earlier_score_marker_or_candidate(app, make):
    w = _published(make)
    appeal = _file(w)
    start_remark(appeal, actor=w.anonymiser, at=AFTER)
    db.session.commit()
    sheet = appeal.remark_script.sheets[0]
    client = login(app.test_client(), sheet.marker)
    page = client.get(f"/marking/sheets/{sheet.id}").get_data(as_text=True)
    assert appeal.remark_script.code in page
    original = w.script(0)
    for hidden in (
        original.code,
        "70,00",
        "70.00",
        w.candidates[0].full_name,
        w.attempt(0).application.registration_number,
        *(s.marker.full_name for s in original.sheets),
    ):
        assert hidden not in page
    listing = client.get(f"/rounds/{w.round_id}/appeals").get_data(as_text=True)
    assert appeal.remark_script.code in listing
    assert w.candidates[0].full_name not in listing
    for url in (
        f"/marking/sheets/{original.sheets[0].id}",
        f"/scripts/{original.id}",
        f"/rounds/{w.round_id}/marking/codes",
    ):
        assert client.get(url).status_code == 404


def test_the_head_of_marking_has_no_page_of_a_re_marking(app, make):
    w = _published(make)
    appeal = _file(w)
    start_remark(appeal, actor=w.anonymiser, at=AFTER)
    db.session.commit()
    head = login(app.test_client(), w.head)
    assert head.get(f"/scripts/{w.script(0).id}").status_code == 200  # the first marking's
    assert head.get(f"/scripts/{appeal.remark_script_id}").status_code == 404


def test_the_re_marking_reconciles_as_the_marking_a_third_beyond_the_limit(make):
    w = _published(make, remarkers=4)
    appeal = _file(w)
    start_remark(appeal, actor=w.anonymiser, at=AFTER)
    first, second = appeal.remark_script.sheets
    _mark(first, "42", "30")  # 72
    _mark(second, "48", "30")  # 78: 6 apart, beyond 5 → a third marker
    remark = appeal.remark_script
    assert remark.status == ScriptStatus.THIRD_MARKER
    third = next(s for s in remark.sheets if s.turn == 3)
    assert third.marker_id in {p.id for p in w.remarkers}
    _mark(third, "43", "30")  # 73: with 72 → 72.50
    assert appeal.remark_score == D("72.50")


# --- the outcome ------------------------------------------------------------------------------


def test_a_re_mark_less_than_5_away_replaces_the_score_and_the_candidate_is_notified(make):
    w = _published(make)
    appeal = _file(w)
    _remark(w, appeal, "45", "29.99")  # 74.99: 4.99 from 70
    assert appeal.status == AppealStatus.DECIDED
    assert appeal.final_score == D("74.99")
    assert w.attempt(0).final_score == 74.99  # the paper's score, for a new ranking
    w.round.test_pass_mark = 100  # nobody past the gate: ranked without interview sheets
    standings = compute_standings(w.attempt(0).application.position, has_test=True)
    mine = next(x for x in standings if x.application.id == w.attempt(0).application_id)
    assert mine.test_percent == paper_percent(w.attempt(0))  # the ranking reads the new score
    assert _trail_problems() == []  # flask audit verify vouches for the new score
    assert {"appeal.start_remark", "appeal.decide", "attempt.mark_item"} <= _actions()
    notice = db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.kind == NoticeKind.APPEAL)
    )
    assert notice.recipient == w.candidates[0].email
    assert "74,99" in notice.body


def _meeting(w: Essays, chair, voters, choice: VoteChoice) -> Meeting:
    council = db.session.scalar(
        sa.select(Body).where(Body.round_id == w.round_id, Body.kind == BodyKind.COUNCIL)
    )
    meeting = Meeting(
        body=council,
        held_at=AFTER,
        place="Phòng họp",
        presiding_id=chair.id,
        council_size=len(voters),
    )
    meeting.attendees = [
        MeetingAttendee(user_id=v.id, function=MemberFunction.MEMBER) for v in voters
    ]
    db.session.add(meeting)
    db.session.flush()
    return meeting


def test_a_re_mark_5_or_more_away_waits_for_the_chair_s_minuted_decision(make):
    w = _published(make)
    chair = staff("Chủ Tịch Hội Đồng")
    seat_on(w.round, BodyKind.COUNCIL, chair, MemberFunction.CHAIR)
    appeal = _file(w)
    _remark(w, appeal, "45", "30")  # 75: 5 from 70
    assert appeal.status == AppealStatus.CHAIR
    assert appeal.final_score is None
    assert w.attempt(0).final_score == 70.0
    with pytest.raises(DomainError, match="cuộc họp Hội đồng trước"):
        chair_decides(appeal, "Theo biên bản.", actor=chair, at=AFTER)
    meeting = _meeting(w, chair, [chair, w.council], VoteChoice.FOR)
    item = refer_to_meeting(appeal, meeting, actor=chair)
    with pytest.raises(DomainError, match="chưa có kết luận"):
        chair_decides(appeal, "Theo biên bản.", actor=chair, at=AFTER)
    for voter in (chair, w.council):
        db.session.add(Vote(item=item, user_id=voter.id, choice=VoteChoice.FOR, cast_at=AFTER))
    db.session.flush()
    db.session.refresh(item)
    chair_decides(appeal, "Theo biên bản họp Hội đồng, mục 1.", actor=chair, at=AFTER)
    assert appeal.status == AppealStatus.DECIDED
    assert appeal.final_score == D("75.00")
    assert w.attempt(0).final_score == 75.0
    assert appeal.decided_by_id == chair.id
    assert db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.kind == NoticeKind.APPEAL)
    )
    assert {"appeal.to_chair", "appeal.refer", "meeting.add_item", "appeal.decide"} <= _actions()


def test_members_of_another_round_get_404(app, make):
    w = _published(make)
    appeal = _file(w)
    other = build_essays(make)
    db.session.commit()
    for person in (other.anonymiser, other.council, other.head):
        client = login(app.test_client(), person)
        assert client.get(f"/rounds/{w.round_id}/appeals").status_code == 404
        assert client.post(f"/appeals/{appeal.id}/remark").status_code == 404
        assert client.post(f"/appeals/{appeal.id}/decide").status_code == 404
    assert db.session.get(Appeal, appeal.id).status == AppealStatus.FILED


def test_a_scanned_paper_script_is_appealed_and_its_re_mark_replaces_the_score(make):
    w = _published(make, scans=True)
    scanned = db.session.scalar(
        sa.select(Script)
        .join(PaperScript, PaperScript.id == Script.paper_script_id)
        .where(
            PaperScript.application_id == w.attempt(0).application_id,
            Script.remark.is_(False),  # the first marking's, not an appeal's re-marking
        )
    )
    appeal = _file(w, script=scanned)
    assert appeal.script_id == scanned.id
    start_remark(appeal, actor=w.anonymiser, at=AFTER)
    assert appeal.remark_script.paper_script_id == scanned.paper_script_id
    assert appeal.remark_script.code != scanned.code
    for sheet in appeal.remark_script.sheets:
        _mark(sheet, "44", "29")  # 73: 3 from 70
    assert appeal.status == AppealStatus.DECIDED
    assert scanned.paper_script.score == D("73.00")  # where the results read it
    assert w.attempt(0).final_score == 70.0  # the online essay untouched
    assert "marking.join_remark" in _actions()
    assert _trail_problems() == []  # flask audit verify vouches for the new score
    _file(w)  # the online essay is another written part: its own appeal
    with pytest.raises(DomainError, match="đã nộp đơn phúc khảo"):
        _file(w, script=scanned)
