from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import time_machine

from exam.accounts.models import Role
from exam.candidates.models import Application, ApplicationStatus
from exam.extensions import db
from exam.rounds.models import RoundStatus
from tests.conftest import login
from tests.factories import T0

FORM = {
    "national_id": "001184012345",
    "phone": "0912 345 678",
    "date_of_birth": "30/05/1984",
    "gender": "female",
    "current_unit": "Phòng Tài chính – Kế toán",
    "current_post": "Phó Trưởng phòng",
    "post_held_since": "01/01/2021",
    "degree_level": "master",
    "degree_field": "Kế toán",
    "political_theory": "intermediate",
    "state_management": "specialist",
    "leadership_training": "yes",
    "rank": "grade_3",
    "rating_1": "good",
    "rating_2": "good",
    "rating_3": "excellent",
    "discipline": "none",
    "health_certificate_on": "15/02/2026",
    "declaration": "y",
}


def _count() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count(Application.id)))


def test_candidate_applies_inside_the_window(app, make):
    round_ = make.round()
    candidate = make.user(Role.CANDIDATE)
    db.session.commit()
    with time_machine.travel(T0, tick=False):
        client = login(app.test_client(), candidate)
        response = client.post(f"/positions/{round_.positions[0].id}/apply", data=FORM)
        assert response.status_code == 302
        page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã nộp hồ sơ dự tuyển." in page
    assert "30/05/1984" in page
    application = db.session.scalars(sa.select(Application)).one()
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.registration_number is None


def test_applications_outside_the_window_are_refused(app, make):
    round_ = make.round()
    candidate = make.user(Role.CANDIDATE)
    db.session.commit()
    url = f"/positions/{round_.positions[0].id}/apply"
    for moment in (
        round_.registration_opens_at - dt.timedelta(seconds=1),
        round_.registration_closes_at,
    ):
        with time_machine.travel(moment, tick=False):
            response = login(app.test_client(), candidate).post(
                url, data=FORM, follow_redirects=True
            )
        assert "Kỳ thi không trong thời gian nhận hồ sơ." in response.get_data(as_text=True)
    assert _count() == 0


def test_a_draft_round_takes_no_application(app, make):
    round_ = make.round(status=RoundStatus.DRAFT)
    candidate = make.user(Role.CANDIDATE)
    db.session.commit()
    with time_machine.travel(T0, tick=False):
        response = login(app.test_client(), candidate).post(
            f"/positions/{round_.positions[0].id}/apply", data=FORM
        )
    assert response.status_code == 404  # a draft is not announced: its positions do not exist yet
    assert _count() == 0


def test_a_second_application_and_bad_fields_are_refused(app, make):
    round_ = make.round(positions=2)
    candidate = make.user(Role.CANDIDATE)
    db.session.commit()
    with time_machine.travel(T0, tick=False):
        client = login(app.test_client(), candidate)
        first = client.post(f"/positions/{round_.positions[0].id}/apply", data=FORM)
        second = client.post(
            f"/positions/{round_.positions[1].id}/apply", data=FORM, follow_redirects=True
        )
        child = client.post(
            f"/positions/{round_.positions[1].id}/apply",
            data={**FORM, "date_of_birth": "2020-01-01"},
            follow_redirects=True,
        )
        garbage = client.post(
            f"/positions/{round_.positions[1].id}/apply",
            data={**FORM, "date_of_birth": "30/02/1984", "gender": "other", "current_unit": ""},
            follow_redirects=True,
        )
    assert first.status_code == 302
    assert "Bạn đã nộp hồ sơ cho kỳ thi này." in second.get_data(as_text=True)
    assert "Bạn đã nộp hồ sơ cho kỳ thi này." in child.get_data(as_text=True)
    text = garbage.get_data(as_text=True)
    assert "Nhập ngày sinh hợp lệ." in text
    assert "Vui lòng điền mục này." in text
    assert _count() == 1


def test_eligibility_assigns_registration_numbers_in_decision_order(client, make):
    round_ = make.round()
    position = round_.positions[0]
    first = make.application(position, eligible=None)
    second = make.application(position, eligible=None)
    make.stage(round_, RoundStatus.SCREENING)
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    login(client, board)
    client.post(f"/applications/{second.id}/decide", data={"decision": "eligible"})
    client.post(f"/applications/{first.id}/decide", data={"decision": "eligible"})
    db.session.expire_all()
    assert db.session.get(Application, second.id).registration_number == "001"
    assert db.session.get(Application, first.id).registration_number == "002"
    again = client.post(
        f"/applications/{first.id}/decide",
        data={"decision": "not_eligible", "reason": "x"},
        follow_redirects=True,
    )
    assert "Hồ sơ này đã được xét." in again.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Application, first.id).status == ApplicationStatus.ELIGIBLE


def test_a_rejection_needs_its_reason_and_the_candidate_sees_it(app, make):
    round_ = make.round()
    application = make.application(round_.positions[0], eligible=None)
    make.stage(round_, RoundStatus.SCREENING)
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    client = login(app.test_client(), board)
    url = f"/applications/{application.id}/decide"
    bare = client.post(
        url, data={"decision": "not_eligible", "reason": "  "}, follow_redirects=True
    )
    assert bare.status_code == 200
    assert "Cần ghi rõ lý do không đủ điều kiện." in bare.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == ApplicationStatus.SUBMITTED
    reason = "Chưa đủ 12 tháng giữ chức vụ Phó Trưởng phòng."
    client.post(url, data={"decision": "not_eligible", "reason": reason})
    db.session.expire_all()
    stored = db.session.get(Application, application.id)
    assert stored.status == ApplicationStatus.NOT_ELIGIBLE
    assert stored.registration_number is None
    own = login(app.test_client(), application.candidate).get(f"/applications/{application.id}")
    assert reason in own.get_data(as_text=True)
    assert client.post(url, data={"decision": "maybe"}).status_code == 400


def test_round_list_of_applications_is_sorted_the_vietnamese_way(client, make):
    round_ = make.round()
    position = round_.positions[0]
    for name in ("Trần Văn Bình", "Nguyễn Thị Ánh", "Lê Văn An", "Phạm Thị Ân"):
        make.application(position, make.user(Role.CANDIDATE, name=name), eligible=None)
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    page = login(client, board).get(f"/rounds/{round_.id}/applications").get_data(as_text=True)
    offsets = [
        page.index(n) for n in ("Lê Văn An", "Nguyễn Thị Ánh", "Phạm Thị Ân", "Trần Văn Bình")
    ]
    assert offsets == sorted(offsets)
