"""The round's schedule and rules (editable while a draft, frozen once registration opens),
the organisation tree, positions with structured standards, and the guarded stages."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
import time_machine

from exam.accounts.models import Role
from exam.audit.models import AuditEntry
from exam.candidates.screening import decide_eligibility
from exam.core.errors import DomainError, ValidationFailed
from exam.extensions import db
from exam.rounds.models import Position, Round, RoundStatus, Unit, UnitLevel
from exam.rounds.operations import advance_round, create_unit, stop_position
from exam.rounds.standards import DegreeLevel, PoliticalTheory, Standards
from tests.conftest import login

PLAN = {
    "name": "Thi tuyển Trưởng phòng năm 2026",
    "organisation": "Bệnh viện Đa khoa Thanh Xuân",
    "parent_body": "SỞ Y TẾ HÀ NỘI",
    "registration_opens_at": "01/03/2026 08:00",
    "registration_closes_at": "31/03/2026 17:00",
    "test_date": "20/04/2026",
    "presentation_starts_on": "04/05/2026",
    "presentation_ends_on": "06/05/2026",
    "appointment_expected_on": "01/07/2026",
    "min_candidates_per_position": "3",
    "test_pass_mark": "50",
    "winner_min_score": "60",
    "panel_spread_limit": "10",
}


def _round() -> Round:
    db.session.expire_all()
    return db.session.scalars(sa.select(Round)).one()


def test_the_board_sets_the_schedule_and_rules(client, make):
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    assert login(client, board).post("/rounds/new", data=PLAN).status_code == 302
    round_ = _round()
    assert round_.test_date == dt.date(2026, 4, 20)
    assert (round_.presentation_starts_on, round_.presentation_ends_on) == (
        dt.date(2026, 5, 4),
        dt.date(2026, 5, 6),
    )
    assert round_.appointment_expected_on == dt.date(2026, 7, 1)
    assert (round_.min_candidates_per_position, round_.winner_min_score) == (3, 60)
    assert round_.parent_body == "SỞ Y TẾ HÀ NỘI"
    page = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert "20/04/2026" in page
    assert "04/05/2026 – 06/05/2026" in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"test_date": "31/03/2026"}, "Ngày thi phải sau ngày hết hạn nhận hồ sơ."),
        ({"presentation_starts_on": "15/04/2026"}, "không được trước ngày thi"),
        ({"presentation_ends_on": "01/05/2026"}, "Ngày kết thúc không được trước ngày bắt đầu."),
        ({"appointment_expected_on": "05/05/2026"}, "phải sau các mốc thi tuyển"),
        ({"test_date": "31/02/2026"}, "Not a valid date value."),
        ({"min_candidates_per_position": "0"}, "Nhập số nguyên từ 1 đến 20."),
        ({"test_pass_mark": "101"}, "Nhập số nguyên từ 0 đến 100."),
        ({"test_pass_mark": "năm mươi"}, "Nhập một số nguyên."),
    ],
)
def test_a_wrong_schedule_or_rule_is_refused(client, make, changes, message):
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    response = login(client, board).post(
        "/rounds/new", data={**PLAN, **changes}, follow_redirects=True
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    if message == "Not a valid date value.":
        assert "test_date" in text
        assert "is-invalid" in text
    else:
        assert message in text
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Round.id))) == 0


def test_the_plan_is_editable_while_a_draft_and_frozen_after(client, make):
    board = make.user(Role.BOARD_ADMIN)
    round_ = make.round(status=RoundStatus.DRAFT, board=board)
    db.session.commit()
    login(client, board)
    url = f"/rounds/{round_.id}/edit"
    form = client.get(url).get_data(as_text=True)
    assert "Kỳ thi tuyển" in form  # filled with the round's values
    data = {**PLAN, "registration_opens_at": "19/02/2026 08:00"}
    assert client.post(url, data=data).status_code == 302
    assert _round().winner_min_score == 60
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "round.update")
    ).one()
    assert entry.before["winner_min_score"] == 50
    assert entry.after["winner_min_score"] == 60

    advance_round(_round(), actor=board)
    db.session.commit()
    refused = client.post(url, data={**data, "winner_min_score": "70"}, follow_redirects=True)
    assert "Kỳ thi đã mở nhận hồ sơ: kế hoạch, quy chế và tiêu chuẩn đã công bố" in (
        refused.get_data(as_text=True)
    )
    assert _round().winner_min_score == 60
    position = _round().positions[0]
    edit = client.post(
        f"/rounds/positions/{position.id}/edit", data={"title": "Khác"}, follow_redirects=True
    )
    assert edit.status_code == 200
    db.session.expire_all()
    assert db.session.get(Position, position.id).title == "Trưởng phòng số 1"


def test_the_organisation_tree_keeps_its_levels(client, make):
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    login(client, board)

    def add(name, level, parent=None, **kw):
        data = {"name": name, "level": level, "parent_id": str(parent.id if parent else 0)}
        return client.post("/rounds/units/new", data=data, **kw)

    assert add("Thành phố Hà Nội", "city").status_code == 302
    city = db.session.scalars(sa.select(Unit)).one()
    assert add("Sở Y tế", "department", city).status_code == 302
    department = db.session.scalars(sa.select(Unit).where(Unit.name == "Sở Y tế")).one()
    wrong = add("Phòng Kế toán", "division", department, follow_redirects=True)
    assert "Đơn vị cấp «Phòng, khoa hoặc tương đương» phải thuộc một đơn vị cấp" in (
        wrong.get_data(as_text=True)
    )
    assert "Chọn đơn vị cấp trên." in add(
        "Bệnh viện X", "public_service_unit", follow_redirects=True
    ).get_data(as_text=True)
    assert add("Bệnh viện X", "public_service_unit", department).status_code == 302
    again = add("Bệnh viện X", "public_service_unit", department, follow_redirects=True)
    assert "Đã có đơn vị cùng tên ở cấp này." in again.get_data(as_text=True)
    hospital = db.session.scalars(sa.select(Unit).where(Unit.name == "Bệnh viện X")).one()
    assert add("Phòng Kế toán", "division", hospital).status_code == 302
    division = db.session.scalars(sa.select(Unit).where(Unit.name == "Phòng Kế toán")).one()
    assert division.path_label == "Thành phố Hà Nội › Sở Y tế › Bệnh viện X › Phòng Kế toán"
    page = client.get("/rounds/units/").get_data(as_text=True)
    offsets = [page.index(n) for n in ("Thành phố Hà Nội", "Sở Y tế", "Bệnh viện X", "Phòng Kế")]
    assert offsets == sorted(offsets)


def test_a_city_has_no_parent(make):
    board = make.user(Role.BOARD_ADMIN)
    city = create_unit("Thành phố Hà Nội", UnitLevel.CITY, None, actor=board)
    with pytest.raises(ValidationFailed, match="Cấp thành phố không thuộc đơn vị nào"):
        create_unit("Hà Nội 2", UnitLevel.CITY, city, actor=board)


def test_a_position_carries_structured_standards(client, make):
    board = make.user(Role.BOARD_ADMIN)
    round_ = make.round(status=RoundStatus.DRAFT, board=board)
    division = make.unit_tree("Bệnh viện Đa khoa Thanh Xuân", "Phòng Tổ chức – Hành chính")
    db.session.commit()
    login(client, board)
    page = client.get(f"/rounds/{round_.id}/positions/new").get_data(as_text=True)
    assert "Thành phố Hà Nội › Sở Y tế › Bệnh viện Đa khoa Thanh Xuân" in page
    data = {
        "title": "Trưởng phòng Tổ chức – Hành chính",
        "unit_id": str(division.id),
        "posts": "1",
        "degree_level": "master",
        "degree_fields": "Quản lý bệnh viện\nLuật\n",
        "political_theory": "advanced",
        "state_management": "",
        "leadership_training": "y",
        "rank": "grade_3",
        "months_in_post": "24",
        "rating_years": "3",
        "min_rating": "good",
        "reprimand_cooloff_months": "12",
        "warning_cooloff_months": "30",
        "dismissal_cooloff_months": "60",
        "term_months": "60",
        "age_exception_allowed": "y",
        "age_exception_months": "48",
        "managing_body_approval": "y",
        "health_certificate_max_months": "6",
        "standards": "Có ít nhất 5 năm công tác trong ngành y tế.",
    }
    assert client.post(f"/rounds/{round_.id}/positions/new", data=data).status_code == 302
    db.session.expire_all()
    position = db.session.scalars(sa.select(Position).where(Position.title == data["title"])).one()
    standards = position.standards_obj
    assert standards.degree_level == DegreeLevel.MASTER
    assert standards.degree_fields == ("Quản lý bệnh viện", "Luật")
    assert standards.political_theory == PoliticalTheory.ADVANCED
    assert standards.state_management is None
    assert standards.months_in_post == 24
    assert position.unit_id == division.id
    assert position.unit_name == "Bệnh viện Đa khoa Thanh Xuân"
    shown = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert "Trình độ chuyên môn: Thạc sĩ trở lên (Quản lý bệnh viện; Luật)" in shown
    assert "Giữ chức vụ hiện tại hoặc tương đương ít nhất 24 tháng" in shown

    bad = client.post(
        f"/rounds/positions/{position.id}/edit",
        data={**data, "term_months": "40", "age_exception_months": "48"},
        follow_redirects=True,
    )
    assert "Thời gian công tác theo ngoại lệ không được lớn hơn nhiệm kỳ." in bad.get_data(
        as_text=True
    )
    edited = client.post(
        f"/rounds/positions/{position.id}/edit", data={**data, "months_in_post": "36"}
    )
    assert edited.status_code == 302
    db.session.expire_all()
    assert db.session.get(Position, position.id).standards_obj.months_in_post == 36


def test_registration_closes_only_after_the_deadline(make):
    board = make.user(Role.BOARD_ADMIN)
    round_ = make.round(board=board)
    with pytest.raises(ValidationFailed, match="Chưa hết thời hạn nhận hồ sơ"):
        advance_round(round_, actor=board, at=round_.registration_closes_at - dt.timedelta(1))
    advance_round(round_, actor=board, at=round_.registration_closes_at)
    assert round_.status == RoundStatus.REGISTRATION_CLOSED


def _to_screening(make, eligible_per_position: list[int], pending: int = 0):
    board = make.user(Role.BOARD_ADMIN)
    round_ = make.round(positions=len(eligible_per_position), board=board)
    eligible = [
        make.dossier(position)
        for position, count in zip(round_.positions, eligible_per_position, strict=True)
        for _ in range(count)
    ]
    for _ in range(pending):
        make.dossier(round_.positions[0])
    after = round_.registration_closes_at
    advance_round(round_, actor=board, at=after)
    advance_round(round_, actor=board, at=after)
    for application in eligible:  # the board decides in screening
        decide_eligibility(application, eligible=True, reason="", actor=board, at=after)
    return round_, board, after


def test_screening_cannot_move_on_with_too_few_eligible_candidates(app, make):
    round_, board, after = _to_screening(make, [2, 1])
    short = round_.positions[1]
    with pytest.raises(ValidationFailed) as refused:
        advance_round(round_, actor=board, at=after)
    assert refused.value.reasons == [
        (
            None,
            f"{short.label}: chỉ có 1 thí sinh đủ điều kiện, cần ít nhất 2. "
            "Dừng thi tuyển vị trí này hoặc xét lại hồ sơ.",
        )
    ]
    db.session.commit()
    with time_machine.travel(after, tick=False):
        page = login(app.test_client(), board).get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert "Chưa đủ 2 thí sinh đủ điều kiện" in page
    assert "Chưa thể chuyển sang «Thi trắc nghiệm»" in page
    # The board stops the short position, with a reason; the round goes on.
    with pytest.raises(ValidationFailed, match="Cần ghi rõ lý do"):
        stop_position(short, reason=" ", actor=board, at=after)
    stop_position(short, reason="Chỉ có 1 thí sinh đủ điều kiện.", actor=board, at=after)
    advance_round(round_, actor=board, at=after)
    assert round_.status == RoundStatus.TESTING
    with pytest.raises(DomainError, match="trước khi thi"):
        stop_position(round_.positions[0], reason="x", actor=board, at=after)


def test_undecided_dossiers_hold_the_round_in_screening(make):
    round_, board, after = _to_screening(make, [2], pending=1)
    with pytest.raises(ValidationFailed, match="còn 1 hồ sơ chưa xét"):
        advance_round(round_, actor=board, at=after)


def test_a_round_with_every_position_stopped_cannot_go_on(make):
    round_, board, after = _to_screening(make, [0])
    stop_position(round_.positions[0], reason="Không có thí sinh.", actor=board, at=after)
    with pytest.raises(ValidationFailed, match="Không còn vị trí nào tiếp tục thi tuyển"):
        advance_round(round_, actor=board, at=after)


def test_a_minimum_of_three_is_the_rounds_setting(make):
    round_, board, after = _to_screening(make, [2])
    round_.min_candidates_per_position = 3
    with pytest.raises(ValidationFailed, match="cần ít nhất 3"):
        advance_round(round_, actor=board, at=after)
    round_.min_candidates_per_position = 2
    advance_round(round_, actor=board, at=after)
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "round.advance").order_by(AuditEntry.seq)
    ).all()
    assert [e.after["status"] for e in entries][-3:] == [
        "registration_closed",
        "screening",
        "testing",
    ]


def test_standards_default_to_domain_values():
    standards = Standards()
    assert (standards.months_in_post, standards.term_months, standards.age_exception_months) == (
        12,
        60,
        48,
    )
    assert (
        standards.reprimand_cooloff_months,
        standards.warning_cooloff_months,
        standards.dismissal_cooloff_months,
    ) == (12, 30, 60)
    assert standards.health_certificate_max_months == 6


@pytest.mark.parametrize("years", [4, 5])
def test_a_position_cannot_ask_for_more_rating_years_than_a_dossier_declares(years):
    # A dossier declares the ratings of the last 3 years: a rule of 4 or 5 would leave every
    # candidate "not declared" for good.
    with pytest.raises(ValidationFailed) as refused:
        Standards.from_dict({"rating_years": years})
    assert refused.value.reasons == [("rating_years", "Nhập số nguyên từ 0 đến 3.")]


def test_the_position_form_refuses_five_rating_years(client, make):
    board = make.user(Role.BOARD_ADMIN)
    round_ = make.round(status=RoundStatus.DRAFT, board=board)
    division = make.unit_tree("Bệnh viện Đa khoa Thanh Xuân", "Phòng Tổ chức – Hành chính")
    db.session.commit()
    login(client, board)
    response = client.post(
        f"/rounds/{round_.id}/positions/new",
        data={
            "title": "Trưởng phòng",
            "unit_id": str(division.id),
            "posts": "1",
            "rating_years": "5",
            "min_rating": "good",
            "rank": "grade_3",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Nhập số nguyên từ 0 đến 3." in response.get_data(as_text=True)
    assert not db.session.scalars(sa.select(Position).where(Position.title == "Trưởng phòng")).all()


def test_a_blocked_stage_button_is_disabled_and_each_reason_is_said_once(app, make):
    round_, board, after = _to_screening(make, [1, 1], pending=1)
    db.session.commit()
    with time_machine.travel(after, tick=False):
        client = login(app.test_client(), board)
        page = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
        assert 'disabled aria-describedby="advance-blocked"' in page
        assert f'action="/rounds/{round_.id}/advance"' not in page
        # A stale page posting anyway gets each reason on its own line, never joined by ".;".
        answer = client.post(f"/rounds/{round_.id}/advance", follow_redirects=True)
    text = answer.get_data(as_text=True)
    assert ".;" not in text
    assert text.count('class="alert alert-danger') >= 3
    db.session.expire_all()
    assert db.session.get(type(round_), round_.id).status == RoundStatus.SCREENING


def test_sentences_and_fragments_join_without_doubled_punctuation():
    both = ValidationFailed([(None, "Một câu."), (None, "Hai câu.")])
    assert both.message == "Một câu. Hai câu."
    fragments = ValidationFailed([("a", "thiếu tên"), ("b", "sai ngày.")])
    assert fragments.message == "thiếu tên; sai ngày"


def test_a_date_that_does_not_exist_is_refused_in_vietnamese(client, make):
    board = make.user(Role.BOARD_ADMIN)
    round_ = make.round(status=RoundStatus.DRAFT, board=board)
    db.session.commit()
    login(client, board)
    response = client.post(
        f"/rounds/{round_.id}/edit",
        data={
            "name": round_.name,
            "organisation": round_.organisation,
            "registration_opens_at": "01/03/2026 08:00",
            "registration_closes_at": "31/03/2026 17:00",
            "test_date": "31/02/2026",
        },
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nhập ngày hợp lệ theo dạng dd/mm/yyyy." in page
    assert "Not a valid" not in page
    db.session.expire_all()
    assert db.session.get(Round, round_.id).test_date is None
