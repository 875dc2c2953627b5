"""The marking of written essays (docs/domain.md §6): coding, flags, the hand-over and its
minutes, blind double marking, TT 22's reconciliation, unsealing, and who sees what."""

from __future__ import annotations

import io
import unicodedata
from decimal import Decimal

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from exam.audit.models import AuditEntry
from exam.core.errors import DomainError, ValidationFailed
from exam.council.models import BodyKind, MemberFunction
from exam.extensions import db
from exam.marking.models import (
    MarkingSheet,
    Script,
    ScriptStatus,
    SettledBy,
    SheetLine,
    ZeroReason,
)
from exam.marking.operations import clear_flag, code_scripts, hand_over, record_zero, unseal
from exam.marking.queries import marker_statistics, plan_of
from exam.marking.rules import CODE_ALPHABET
from exam.marking.sheets import settle, submit_sheet
from exam.results.operations import compute_standings
from exam.rounds.models import RoundStatus
from tests.conftest import login
from tests.marking.conftest import AFTER, NAMES, Essays, build_essays, seat_on, staff

D = Decimal


def _code(w: Essays) -> list[Script]:
    return code_scripts(w.round, actor=w.anonymiser, at=AFTER)


def _code_and_hand_over(w: Essays) -> None:
    _code(w)
    hand_over(w.round, actor=w.anonymiser, at=AFTER)
    db.session.flush()


def _marks(sheet: MarkingSheet, content: str, form: str) -> dict[str, str]:
    item = sheet.script.essay_items()[0]
    return {f"mark-{item.id}-0": content, f"mark-{item.id}-1": form}


def _mark(sheet: MarkingSheet, content: str, form: str) -> MarkingSheet:
    return submit_sheet(sheet, _marks(sheet, content, form), "", actor=sheet.marker, at=AFTER)


def _actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.seq)))


def _text(data: bytes) -> str:
    raw = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(unicodedata.normalize("NFC", raw).split())


# --- coding and flags -------------------------------------------------------------------------


def test_each_script_gets_a_random_code_unique_in_the_round(essays):
    scripts = _code(essays)
    codes = [s.code for s in scripts]
    assert len(scripts) == 3
    assert len(set(codes)) == 3
    for script in scripts:
        number = script.attempt.application.registration_number
        assert set(script.code) <= set(CODE_ALPHABET)
        assert number not in script.code
        assert script.status == ScriptStatus.CODED
    assert "marking.code_scripts" in _actions()
    with pytest.raises(DomainError, match="đã được đánh phách"):
        _code(essays)


def test_coding_waits_for_the_testing_stage(essays, make):
    make.stage(essays.round, RoundStatus.SCREENING)
    with pytest.raises(DomainError, match="đánh phách"):
        _code(essays)
    assert plan_of(essays.round_id) is None or not plan_of(essays.round_id).scripts


def test_coding_waits_for_every_paper_to_be_closed(make):
    w = build_essays(make, leave_open=True)
    with pytest.raises(DomainError, match="Còn 1 bài thi chưa kết thúc"):
        _code(w)  # its time is over, but the server has not closed it yet
    assert plan_of(w.round_id).coded_at is None


def test_identifying_text_is_flagged_and_must_be_decided_before_the_hand_over(make):
    w = build_essays(
        make,
        [
            "Tôi, NGUYEN THI HONG NHUNG, xin trình bày như sau.",
            "Số báo danh 48214: cải cách thủ tục.",
            "Bài làm không có thông tin riêng.",
        ],
    )
    _code(w)
    assert w.script(0).flagged_terms == [NAMES[0]]
    assert w.script(1).flagged_terms == ["48214"]
    assert w.script(2).flagged_terms == []
    with pytest.raises(DomainError, match=w.script(0).code):
        hand_over(w.round, actor=w.anonymiser, at=AFTER)
    clear_flag(w.script(1), actor=w.anonymiser, at=AFTER)
    with pytest.raises(ValidationFailed):
        record_zero(w.script(0), ZeroReason.IDENTIFYING_MARKS, " ", actor=w.anonymiser, at=AFTER)
    record_zero(
        w.script(0),
        ZeroReason.IDENTIFYING_MARKS,
        "Bài thi ghi họ tên thí sinh; lập biên bản có Ban giám sát chứng kiến.",
        actor=w.anonymiser,
        at=AFTER,
    )
    hand_over(w.round, actor=w.anonymiser, at=AFTER)
    zero = w.script(0)
    assert (zero.status, zero.final_score, zero.settled_by) == (
        ScriptStatus.FINAL,
        D(0),
        SettledBy.ZERO,
    )
    assert zero.sheets == []  # never handed to markers
    assert [len(w.script(n).sheets) for n in (1, 2)] == [2, 2]


def test_the_flagged_answers_are_shown_to_the_ban_phach_only(app, make):
    w = build_essays(make, ["Tôi là Nguyễn Thị Hồng Nhung.", "Bài hai.", "Bài ba."])
    _code(w)
    db.session.commit()
    page = login(app.test_client(), w.anonymiser).get(f"/rounds/{w.round_id}/marking/codes")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Bài có thông tin có thể nhận biết thí sinh" in html
    assert "<mark>Nguyễn Thị Hồng Nhung</mark>" in html
    for user in (w.head, w.markers[1], w.council, w.supervisor):
        assert (
            login(app.test_client(), user).get(f"/rounds/{w.round_id}/marking/codes").status_code
            == 404
        )


# --- the hand-over ----------------------------------------------------------------------------


def test_the_hand_over_draws_two_different_markers_and_is_minuted(app, essays):
    _code_and_hand_over(essays)
    board = {m.id for m in essays.markers}
    for n in range(3):
        sheets = essays.script(n).sheets
        assert [s.turn for s in sheets] == [1, 2]
        assert len({s.marker_id for s in sheets}) == 2
        assert {s.marker_id for s in sheets} <= board
        assert essays.script(n).status == ScriptStatus.MARKING
    db.session.commit()
    response = login(app.test_client(), essays.anonymiser).get(
        f"/rounds/{essays.round_id}/marking/hand-over.pdf", follow_redirects=True
    )  # the minutes as issued at the hand-over (tests/marking/test_hand_over_document.py)
    assert response.mimetype == "application/pdf"
    text = _text(response.data)
    assert "Bàn giao bài thi tự luận đã đánh phách cho Ban chấm thi" in text
    assert "Phạm Ban Phách" in text
    assert "Đỗ Trưởng Ban Chấm" in text
    for n in range(3):
        assert essays.script(n).code in text
        assert NAMES[n] not in text
        assert essays.attempt(n).application.registration_number not in text
    assert "marking.hand_over" in _actions()


def test_the_ban_phach_sits_on_no_script(essays):
    seat_on(essays.round, BodyKind.MARKING, essays.anonymiser)  # seated on both by mistake
    _code_and_hand_over(essays)
    assert all(
        s.marker_id != essays.anonymiser.id for n in range(3) for s in essays.script(n).sheets
    )


def test_the_hand_over_needs_two_markers(make):
    w = build_essays(make, markers=1)
    _code(w)
    with pytest.raises(DomainError, match="ít nhất hai"):
        hand_over(w.round, actor=w.anonymiser, at=AFTER)


def test_the_database_refuses_one_marker_twice_on_a_script(essays):
    _code_and_hand_over(essays)
    script = essays.script(0)
    first = script.sheets[0]
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.add(
            MarkingSheet(script_id=script.id, marker_id=first.marker_id, turn=3, assigned_at=AFTER)
        )


# --- marking and reconciliation ---------------------------------------------------------------


def test_within_five_points_the_score_is_the_mean(essays):
    _code_and_hand_over(essays)
    _mark(essays.sheet(0, 1), "42", "28")  # 70
    assert essays.script(0).status == ScriptStatus.MARKING
    _mark(essays.sheet(0, 2), "40", "25")  # 65: 5.00 apart
    script = essays.script(0)
    assert (script.status, script.final_score, script.settled_by) == (
        ScriptStatus.FINAL,
        D("67.50"),
        SettledBy.MEAN,
    )
    assert script.final_points == {str(essays.essay_ids[0]): "67.50"}
    assert essays.attempt(0).final_score is None  # sealed until the Ban phách unseals


def test_between_the_limits_the_head_settles_it_with_minutes(essays):
    _code_and_hand_over(essays)
    _mark(essays.sheet(0, 1), "42", "28")  # 70
    _mark(essays.sheet(0, 2), "40", "24.99")  # 64.99: 5.01 apart
    script = essays.script(0)
    assert script.status == ScriptStatus.DISCUSSION
    field = f"item-{essays.essay_ids[0]}"
    with pytest.raises(ValidationFailed):
        settle(script, {field: "67"}, "", actor=essays.head, at=AFTER)
    with pytest.raises(ValidationFailed):
        settle(script, {field: "100.01"}, "Thống nhất.", actor=essays.head, at=AFTER)
    settle(script, {field: "68"}, "Hai thành viên thống nhất 68 điểm.", actor=essays.head, at=AFTER)
    assert (script.status, script.final_score, script.settled_by, script.decided_by_id) == (
        ScriptStatus.FINAL,
        D("68.00"),
        SettledBy.HEAD,
        essays.head.id,
    )


def test_just_under_ten_apart_is_still_the_head_s(essays):
    _code_and_hand_over(essays)
    _mark(essays.sheet(0, 1), "42", "28")  # 70
    _mark(essays.sheet(0, 2), "40", "20.01")  # 60.01: 9.99 apart
    assert essays.script(0).status == ScriptStatus.DISCUSSION
    assert len(essays.script(0).sheets) == 2


def test_ten_apart_a_third_marker_is_drawn_blind_and_two_of_three_settle_it(essays):
    _code_and_hand_over(essays)
    _mark(essays.sheet(0, 1), "42", "28")  # 70
    _mark(essays.sheet(0, 2), "40", "20")  # 60: 10.00 apart
    script = essays.script(0)
    assert script.status == ScriptStatus.THIRD_MARKER
    third = essays.sheet(0, 3)
    assert third.marker_id not in {essays.sheet(0, 1).marker_id, essays.sheet(0, 2).marker_id}
    _mark(third, "40", "24")  # 64: 4 from 60, 6 from 70
    assert (script.status, script.final_score, script.settled_by) == (
        ScriptStatus.FINAL,
        D("62.00"),
        SettledBy.PAIR,
    )


def test_three_markers_apart_leave_it_to_the_head(essays):
    _code_and_hand_over(essays)
    _mark(essays.sheet(0, 1), "50", "30")  # 80
    _mark(essays.sheet(0, 2), "40", "20")  # 60
    _mark(essays.sheet(0, 3), "40", "30")  # 70: 10 from each
    assert essays.script(0).status == ScriptStatus.HEAD_DECIDES


def test_the_third_marker_is_never_one_of_the_first_two(make):
    w = build_essays(make, markers=3)
    _code_and_hand_over(w)
    for n in range(3):
        _mark(w.sheet(n, 1), "50", "40")  # 90
        _mark(w.sheet(n, 2), "30", "20")  # 50
        sheets = w.script(n).sheets
        assert len({s.marker_id for s in sheets}) == 3  # the one member left


def test_a_score_above_a_criterion_s_maximum_is_refused_and_nothing_is_saved(essays):
    _code_and_hand_over(essays)
    sheet = essays.sheet(0, 1)
    for content, form in (("61", "20"), ("-1", "20"), ("30", "abc"), ("30", ""), ("30.005", "1")):
        with pytest.raises(ValidationFailed) as refused:
            _mark(sheet, content, form)
        assert refused.value.reasons
    with pytest.raises(ValidationFailed, match="từ 0 đến 60"):
        _mark(sheet, "61", "20")
    assert sheet.submitted_at is None
    assert sheet.score is None
    assert (
        db.session.scalars(sa.select(SheetLine).where(SheetLine.sheet_id == sheet.id)).all() == []
    )


def test_a_sheet_is_sealed_once_submitted_and_never_marked_twice(essays):
    _code_and_hand_over(essays)
    sheet = _mark(essays.sheet(0, 1), "42", "28")
    with pytest.raises(DomainError, match="niêm phong"):
        _mark(sheet, "60", "40")
    assert sheet.score == D("70.00")
    other = essays.sheet(0, 2)
    with pytest.raises(DomainError, match="không phải của bạn"):
        submit_sheet(other, _marks(other, "1", "1"), "", actor=sheet.marker, at=AFTER)


def test_marker_statistics_for_the_head(essays):
    _code_and_hand_over(essays)
    _mark(essays.sheet(0, 1), "42", "28")  # 70
    _mark(essays.sheet(0, 2), "40", "20")  # 60 → a third marker
    _mark(essays.sheet(1, 1), "30", "20")  # 50
    _mark(essays.sheet(1, 2), "30", "22")  # 52
    rows = {r.marker.id: r for r in marker_statistics(plan_of(essays.round_id))}
    first = rows[essays.sheet(0, 1).marker_id]
    assert first.referrals >= 1
    expected: dict[int, list[Decimal]] = {}
    for n, (a, b) in ((0, (70, 60)), (1, (50, 52))):
        expected.setdefault(essays.sheet(n, 1).marker_id, []).append(D(abs(a - b)))
        expected.setdefault(essays.sheet(n, 2).marker_id, []).append(D(abs(a - b)))
    for marker_id, values in expected.items():
        assert rows[marker_id].mean_deviation == (sum(values) / len(values)).quantize(D("0.01"))
    assert rows[essays.sheet(0, 2).marker_id].referrals >= 1


# --- unsealing --------------------------------------------------------------------------------


def _mark_all(w: Essays, content: str = "12", form: str = "8") -> None:
    for n in range(len(w.attempt_ids)):
        _mark(w.sheet(n, 1), content, form)
        _mark(w.sheet(n, 2), content, form)


def test_unsealing_only_when_every_script_is_final_then_the_ranking_runs(essays):
    _code_and_hand_over(essays)
    position = essays.round.positions[0]
    with pytest.raises(DomainError, match="chưa chấm xong"):
        compute_standings(position, has_test=True)
    for n in (0, 1):
        _mark(essays.sheet(n, 1), "12", "8")
        _mark(essays.sheet(n, 2), "12", "8")
    with pytest.raises(DomainError, match=essays.script(2).code):
        unseal(essays.round, actor=essays.anonymiser, at=AFTER)
    assert essays.attempt(0).final_score is None
    _mark(essays.sheet(2, 1), "12", "8")
    _mark(essays.sheet(2, 2), "12", "9")  # 20 and 21: 20.50
    unseal(essays.round, actor=essays.anonymiser, at=AFTER)
    assert essays.attempt(0).final_score == 20.0  # the objective part left blank: 0
    assert essays.attempt(2).final_score == 20.5
    assert not any(essays.attempt(n).pending_marking for n in range(3))
    standings = compute_standings(position, has_test=True)  # no paper waits for its markers
    assert len(standings) == 3
    assert {"marking.unseal", "attempt.mark_item", "marking.reconcile"} <= set(_actions())
    with pytest.raises(DomainError, match="Đã rọc phách"):
        unseal(essays.round, actor=essays.anonymiser, at=AFTER)


# --- pages: who sees what ---------------------------------------------------------------------


def _sheet_url(sheet: MarkingSheet) -> str:
    return f"/marking/sheets/{sheet.id}"


def test_a_marker_sees_the_code_question_guide_and_answer_and_nothing_of_the_candidate(app, essays):
    _code_and_hand_over(essays)
    db.session.commit()
    sheet = essays.sheet(0, 1)
    html = login(app.test_client(), sheet.marker).get(_sheet_url(sheet)).get_data(as_text=True)
    assert sheet.script.code in html
    assert "trình bày giải pháp cải cách hành chính" in html
    assert "Nêu được ba giải pháp" in html  # the marking guide
    assert "Bài làm số 0" in html  # the answer
    assert "Nội dung" in html
    assert "Trình bày, lập luận" in html
    application = essays.attempt(0).application
    for secret in (
        NAMES[0],
        application.registration_number,
        "Nguyen Thi Hong Nhung",
        application.candidate.email,
        f"/attempts/{essays.attempt_ids[0]}",
    ):
        assert secret not in html


def test_markers_and_others_get_404_for_the_table_the_other_sheet_and_the_board(app, essays):
    _code_and_hand_over(essays)
    _mark(essays.sheet(0, 1), "42", "28")
    db.session.commit()
    first, second = essays.sheet(0, 1), essays.sheet(0, 2)
    round_id = essays.round_id
    client = login(app.test_client(), second.marker)
    assert client.get(_sheet_url(first)).status_code == 404  # never the other's score
    assert client.get(_sheet_url(second)).status_code == 200
    assert "70,00" not in client.get(_sheet_url(second)).get_data(as_text=True)
    for user in (second.marker, essays.council, essays.supervisor, essays.head):
        client = login(app.test_client(), user)
        assert client.get(f"/rounds/{round_id}/marking/codes").status_code == 404
    for user in (essays.markers[1], essays.council, essays.supervisor):
        client = login(app.test_client(), user)
        assert client.get(f"/rounds/{round_id}/marking/board").status_code == 404
        assert client.get(f"/scripts/{first.script_id}").status_code == 404
    assert login(app.test_client(), essays.council).get(_sheet_url(first)).status_code == 404
    head = login(app.test_client(), essays.head)
    board = head.get(f"/rounds/{round_id}/marking/board").get_data(as_text=True)
    assert first.script.code in board
    assert NAMES[0] not in board


def test_the_table_opens_to_the_council_once_the_results_are_published(app, essays, make):
    _code_and_hand_over(essays)
    _mark_all(essays)
    unseal(essays.round, actor=essays.anonymiser, at=AFTER)
    db.session.commit()
    url = f"/rounds/{essays.round_id}/marking/codes"
    assert login(app.test_client(), essays.council).get(url).status_code == 404  # unsealed only
    make.stage(essays.round, RoundStatus.PUBLISHED)
    db.session.commit()
    page = login(app.test_client(), essays.council).get(url)
    assert page.status_code == 200
    assert NAMES[0] in page.get_data(as_text=True)
    assert login(app.test_client(), essays.markers[1]).get(url).status_code == 404


def test_members_of_another_round_s_bodies_get_404(app, essays, make):
    _code_and_hand_over(essays)
    db.session.commit()
    other_round = make.round()
    outsiders = []
    for kind, function in (
        (BodyKind.ANONYMISATION, MemberFunction.HEAD),
        (BodyKind.MARKING, MemberFunction.HEAD),
        (BodyKind.COUNCIL, MemberFunction.CHAIR),
    ):
        person = staff(f"Người Kỳ Khác {kind.value}")
        seat_on(other_round, kind, person, function)
        outsiders.append(person)
    db.session.commit()
    sheet = essays.sheet(0, 1)
    for person in outsiders:
        client = login(app.test_client(), person)
        for url in (
            f"/rounds/{essays.round_id}/marking",
            f"/rounds/{essays.round_id}/marking/codes",
            f"/rounds/{essays.round_id}/marking/board",
            f"/rounds/{essays.round_id}/marking/hand-over.pdf",
            f"/scripts/{sheet.script_id}",
            _sheet_url(sheet),
        ):
            assert client.get(url).status_code == 404, (person.full_name, url)
        for url in (
            f"/rounds/{essays.round_id}/marking/code",
            f"/rounds/{essays.round_id}/marking/unseal",
            f"/scripts/{sheet.script_id}/clear-flag",
        ):
            assert client.post(url).status_code == 404, (person.full_name, url)


def test_marking_through_the_pages(app, essays):
    db.session.commit()
    ban_phach = login(app.test_client(), essays.anonymiser)
    assert ban_phach.post(f"/rounds/{essays.round_id}/marking/code").status_code == 302
    assert ban_phach.post(f"/rounds/{essays.round_id}/marking/hand-over").status_code == 302
    db.session.expire_all()
    sheet = essays.sheet(0, 1)
    item = essays.essay_ids[0]
    marker = login(app.test_client(), sheet.marker)
    refused = marker.post(
        _sheet_url(sheet),
        data={f"mark-{item}-0": "61", f"mark-{item}-1": "30", "comments": ""},
        follow_redirects=True,
    )
    assert "Điểm của «Nội dung» từ 0 đến 60" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert essays.sheet(0, 1).submitted_at is None
    done = marker.post(
        _sheet_url(sheet),
        data={f"mark-{item}-0": "42,5", f"mark-{item}-1": "30", "comments": "Lập luận chặt."},
    )
    assert done.status_code == 302
    again = marker.post(
        _sheet_url(sheet),
        data={f"mark-{item}-0": "1", f"mark-{item}-1": "1"},
        follow_redirects=True,
    )
    assert "niêm phong" in again.get_data(as_text=True)
    db.session.expire_all()
    assert essays.sheet(0, 1).score == D("72.50")
    page = marker.get(_sheet_url(sheet)).get_data(as_text=True)
    assert "72,50" in page
    assert "Lập luận chặt." in page
    assert 'name="mark-' not in page  # sealed: nothing to type any more
    index = marker.get(f"/rounds/{essays.round_id}/marking").get_data(as_text=True)
    assert sheet.script.code in index
    assert NAMES[0] not in index


def test_a_staff_member_with_no_seat_gets_404(app, essays):
    nobody = staff("Ai Đó")
    db.session.commit()
    client = login(app.test_client(), nobody)
    assert client.get(f"/rounds/{essays.round_id}/marking").status_code == 404


def test_the_round_s_page_links_to_the_marking_for_its_bodies_only(app, essays):
    db.session.commit()
    link = f'href="/rounds/{essays.round_id}/marking"'
    marker_view = login(app.test_client(), essays.markers[1]).get(f"/rounds/{essays.round_id}")
    assert link in marker_view.get_data(as_text=True)
    candidate_view = login(app.test_client(), essays.candidates[0]).get(
        f"/rounds/{essays.round_id}"
    )
    assert link not in candidate_view.get_data(as_text=True)


def test_the_head_settles_and_records_a_zero_through_the_pages(app, essays):
    _code_and_hand_over(essays)
    _mark(essays.sheet(0, 1), "42", "28")  # 70
    _mark(essays.sheet(0, 2), "40", "22")  # 62: between the limits
    db.session.commit()
    head = login(app.test_client(), essays.head)
    script_url = f"/scripts/{essays.script(0).id}"
    page = head.get(script_url).get_data(as_text=True)
    assert "70,00" in page
    assert "62,00" in page
    assert NAMES[0] not in page
    field = f"item-{essays.essay_ids[0]}"
    refused = head.post(script_url, data={field: "101", "minutes": ""}, follow_redirects=True)
    assert "Điểm từ 0 đến 100." in refused.get_data(as_text=True)
    assert head.post(script_url, data={field: "66", "minutes": "Thống nhất 66."}).status_code == 302
    db.session.expire_all()
    assert essays.script(0).final_score == D("66.00")
    zero = head.post(
        f"/scripts/{essays.script(1).id}/zero",
        data={"reason": "two_handwritings", "minutes": "Hai loại chữ viết; có biên bản."},
    )
    assert zero.status_code == 302
    db.session.expire_all()
    assert essays.script(1).zero_reason == ZeroReason.TWO_HANDWRITINGS
    marker = login(app.test_client(), essays.markers[1])
    assert marker.post(f"/scripts/{essays.script(2).id}/zero").status_code == 404


def test_the_council_sets_the_limits_until_the_hand_over(app, essays, make):
    chair = staff("Chủ Tịch Hội Đồng")
    seat_on(essays.round, BodyKind.COUNCIL, chair, MemberFunction.CHAIR)
    db.session.commit()
    url = f"/rounds/{essays.round_id}/marking/limits"
    assert login(app.test_client(), essays.head).post(url).status_code == 403
    client = login(app.test_client(), chair)
    refused = client.post(
        url, data={"agree_limit": "12", "third_marker_limit": "10"}, follow_redirects=True
    )
    assert "Cần 0 ≤ ngưỡng lấy trung bình &lt; ngưỡng chấm lần ba ≤ 100." in refused.get_data(
        as_text=True
    )
    assert client.post(url, data={"agree_limit": "4", "third_marker_limit": "8"}).status_code == 302
    db.session.expire_all()
    plan = plan_of(essays.round_id)
    assert (plan.agree_limit, plan.third_marker_limit) == (D(4), D(8))
    _code_and_hand_over(essays)
    _mark(essays.sheet(0, 1), "42", "28")  # 70
    _mark(essays.sheet(0, 2), "40", "25")  # 65: 5 apart, beyond this round's 4
    assert essays.script(0).status == ScriptStatus.DISCUSSION
    db.session.commit()
    late = client.post(url, data={"agree_limit": "5", "third_marker_limit": "10"})
    assert late.status_code == 303
    db.session.expire_all()
    assert plan_of(essays.round_id).agree_limit == D(4)


def test_the_ban_phach_s_page_walks_through_coding_hand_over_and_unsealing(app, essays):
    db.session.commit()
    client = login(app.test_client(), essays.anonymiser)
    url = f"/rounds/{essays.round_id}/marking"
    assert "Đánh phách" in client.get(url).get_data(as_text=True)
    client.post(f"{url}/code")
    client.post(f"{url}/hand-over")
    page = client.get(url).get_data(as_text=True)
    assert "Biên bản bàn giao (PDF)" in page
    assert "Rọc phách, ghép điểm" not in page  # nothing marked yet
    refused = client.post(f"{url}/unseal", follow_redirects=True)
    assert "Còn bài thi chưa có điểm cuối cùng" in refused.get_data(as_text=True)
    db.session.expire_all()
    _mark_all(essays)
    db.session.commit()
    assert "Rọc phách, ghép điểm" in client.get(url).get_data(as_text=True)
    assert client.post(f"{url}/unseal").status_code == 302
    db.session.expire_all()
    assert essays.attempt(1).final_score == 20.0
    table = client.get(f"{url}/codes").get_data(as_text=True)
    assert "20,00" in table
    assert NAMES[1] in table


def test_a_co_marker_s_sheet_submitted_meanwhile_is_read_again_before_reconciling(app, essays):
    _code_and_hand_over(essays)
    db.session.commit()
    first, second = essays.sheet(0, 1), essays.sheet(0, 2)
    assert second.score is None  # what this session read before the other marker submitted
    item = essays.essay_ids[0]
    other = login(app.test_client(), second.marker).post(
        _sheet_url(second), data={f"mark-{item}-0": "40", f"mark-{item}-1": "25"}
    )
    assert other.status_code == 302
    _mark(first, "42", "28")
    assert essays.script(0).status == ScriptStatus.FINAL
    assert essays.script(0).final_score == D("67.50")


def test_an_answer_is_shown_as_text_never_as_markup(app, make):
    w = build_essays(make, ['<script>alert("x")</script><b>đậm</b>', "Bài hai.", "Bài ba."])
    _code_and_hand_over(w)
    db.session.commit()
    sheet = w.sheet(0, 1)
    html = login(app.test_client(), sheet.marker).get(_sheet_url(sheet)).get_data(as_text=True)
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;đậm&lt;/b&gt;" in html


def test_a_third_marker_waits_for_the_board_to_grow_and_is_drawn_when_a_member_joins(make):
    """Two markers only, 12 apart: nobody is left for the third marking; the Council adds a
    member to the marking board and the third marker is drawn at once (docs/domain.md §6)."""
    from exam.council.models import Body, BodyKind, MemberFunction
    from exam.council.operations import add_member
    from exam.marking.queries import plan_of
    from exam.marking.sheets import awaiting_third_marker
    from tests.marking.conftest import build_essays, seat_on, staff

    w = build_essays(make, ["Một bài"], markers=2)
    _code_and_hand_over(w)
    _mark(w.sheet(0, 1), "42", "28")  # 70
    _mark(w.sheet(0, 2), "35", "23")  # 58
    script = w.script(0)
    assert script.status == ScriptStatus.THIRD_MARKER
    assert awaiting_third_marker(plan_of(w.round_id), remark=False) == [script]
    chair = staff("Chủ Tịch Hội Đồng")
    seat_on(w.round, BodyKind.COUNCIL, chair, MemberFunction.CHAIR)
    board = db.session.scalar(
        sa.select(Body).where(Body.round_id == w.round_id, Body.kind == BodyKind.MARKING)
    )
    newcomer = staff("Thành Viên Mới")
    add_member(board, newcomer, MemberFunction.MEMBER, actor=chair)
    third = next(s for s in script.sheets if s.turn == 3)
    assert third.marker_id == newcomer.id
    _mark(third, "40", "26")  # 66: with 70 → 68
    assert script.final_score == D("68.00")
