"""The dossier: applying with every fact the standards need, the signed declaration, bad
input refused whole, editing until the deadline, withdrawing, and the board's decisions
(overriding the pre-check only with a written reason, numbering, notices)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
import time_machine

from exam.accounts.models import Role
from exam.audit.models import AuditEntry
from exam.candidates.models import Application, ApplicationStatus, Gender
from exam.candidates.operations import withdraw_application
from exam.candidates.screening import decide_eligibility, decide_prechecked
from exam.core.errors import DomainError, ValidationFailed
from exam.extensions import db
from exam.notices.models import NoticeKind, OutboxMessage
from exam.rounds.models import RoundStatus
from exam.rounds.operations import advance_round
from exam.rounds.standards import Discipline, Rating
from tests.candidates.test_applications import FORM
from tests.conftest import login
from tests.factories import T0


def _apps() -> list[Application]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Application).order_by(Application.id)))


def _outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def _post(app, user, url, data, when=T0, **kw):
    with time_machine.travel(when, tick=False):
        return login(app.test_client(), user).post(url, data=data, **kw)


def test_applying_records_the_declaration_and_queues_a_receipt(app, make):
    round_ = make.round()
    candidate = make.user(Role.CANDIDATE, name="Nguyễn Thị Hồng Nhung")
    db.session.commit()
    response = _post(app, candidate, f"/positions/{round_.positions[0].id}/apply", FORM)
    assert response.status_code == 302
    (application,) = _apps()
    assert application.national_id == "001184012345"
    assert application.declared_at == T0
    assert "Tôi xin cam đoan" in application.declaration_text
    assert application.ratings == [Rating.GOOD, Rating.GOOD, Rating.EXCELLENT]
    (notice,) = _outbox()
    assert notice.kind == NoticeKind.RECEIVED
    assert notice.recipient == candidate.email
    assert "Đã nhận hồ sơ dự tuyển" in notice.subject
    assert "Nguyễn Thị Hồng Nhung" in notice.body
    with time_machine.travel(T0, tick=False):
        page = login(app.test_client(), candidate).get(f"/applications/{application.id}")
    text = page.get_data(as_text=True)
    assert "Đối chiếu tiêu chuẩn (tự động)" in text
    assert "Văn bản đồng ý của cơ quan quản lý" in text  # still to be uploaded
    assert "Cần bổ sung, đối chiếu" in text


def test_the_apply_form_names_the_three_rating_years(app, make):
    round_ = make.round()  # deadline 21/03/2026: ratings of 2025, 2024, 2023
    candidate = make.user(Role.CANDIDATE)
    db.session.commit()
    with time_machine.travel(T0, tick=False):
        page = login(app.test_client(), candidate).get(f"/positions/{round_.positions[0].id}/apply")
    text = page.get_data(as_text=True)
    for year in (2025, 2024, 2023):
        assert f"Đánh giá, xếp loại năm {year}" in text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"declaration": ""}, "Bạn cần đánh dấu lời cam đoan."),
        ({"date_of_birth": "01/01/2030"}, "Ngày sinh không được sau ngày hôm nay."),
        ({"date_of_birth": "01/06/2010", "national_id": "001210012345"}, "chưa đủ 18 tuổi"),
        ({"date_of_birth": "01/01/1940", "national_id": "001140012345"}, "tuổi vượt quá 70"),
        ({"date_of_birth": "31/04/1984"}, "Nhập ngày sinh hợp lệ."),
        ({"post_held_since": "01/01/2027"}, "Ngày giữ chức vụ không được sau ngày hôm nay."),
        ({"post_held_since": "01/01/1990"}, "Ngày giữ chức vụ phải sau khi thí sinh đủ 18 tuổi."),
        ({"discipline": "warning"}, "Nhập ngày quyết định kỷ luật."),
        ({"discipline_on": "01/01/2025"}, "Chỉ nhập ngày khi có kỷ luật."),
        ({"health_certificate_on": "01/04/2026"}, "không được sau ngày hôm nay"),
        ({"national_id": "00118401234"}, "Số CCCD gồm đúng 12 chữ số."),
        ({"national_id": "001084012345"}, "Số CCCD không khớp với ngày sinh hoặc giới tính"),
        ({"rating_2": ""}, "Vui lòng điền mục này."),
        ({"gender": "other"}, "Not a valid choice"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_saved(app, make, changes, message):
    round_ = make.round()
    candidate = make.user(Role.CANDIDATE)
    db.session.commit()
    response = _post(
        app,
        candidate,
        f"/positions/{round_.positions[0].id}/apply",
        {**FORM, **changes},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _apps() == []
    assert _outbox() == []


def test_a_national_id_is_unique_within_a_round_only(app, make):
    round_, other_round = make.round(positions=2), make.round()
    first, second = make.user(Role.CANDIDATE), make.user(Role.CANDIDATE)
    db.session.commit()
    assert _post(app, first, f"/positions/{round_.positions[0].id}/apply", FORM).status_code == 302
    again = _post(
        app, second, f"/positions/{round_.positions[1].id}/apply", FORM, follow_redirects=True
    )
    assert "Số CCCD này đã có trong một hồ sơ khác của kỳ thi." in again.get_data(as_text=True)
    elsewhere = _post(app, second, f"/positions/{other_round.positions[0].id}/apply", FORM)
    assert elsewhere.status_code == 302
    assert [a.round_id for a in _apps()] == [round_.id, other_round.id]


def test_the_candidate_edits_until_the_deadline_only(app, make):
    round_ = make.round()
    application = make.dossier(round_.positions[0], documents=False)
    db.session.commit()
    url = f"/applications/{application.id}/edit"
    candidate = application.candidate
    with time_machine.travel(T0, tick=False):
        form = login(app.test_client(), candidate).get(url).get_data(as_text=True)
    assert "Quản lý bệnh viện" in form  # pre-filled
    data = {
        **FORM,
        "national_id": application.national_id,
        "date_of_birth": "17/05/1985",
        "degree_field": "Quản trị nhân lực",
    }
    assert _post(app, candidate, url, data, T0 + dt.timedelta(days=1)).status_code == 302
    stored = _apps()[0]
    assert stored.degree_field == "Quản trị nhân lực"
    assert stored.declared_at == T0 + dt.timedelta(days=1)  # signed again
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "application.update")
    ).one()
    assert entry.after["degree_field"] == "Quản trị nhân lực"

    late = _post(
        app,
        candidate,
        url,
        {**data, "degree_field": "Luật"},
        round_.registration_closes_at,
        follow_redirects=True,
    )
    assert "Đã hết hạn nhận hồ sơ: không thể sửa hồ sơ." in late.get_data(as_text=True)
    assert _apps()[0].degree_field == "Quản trị nhân lực"


def test_only_the_candidate_edits_their_dossier(app, make):
    round_ = make.round()
    application = make.dossier(round_.positions[0], documents=False)
    other = make.user(Role.CANDIDATE)
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    url = f"/applications/{application.id}/edit"
    with time_machine.travel(T0, tick=False):
        assert login(app.test_client(), other).get(url).status_code == 404
        assert login(app.test_client(), board).get(url).status_code == 403
        assert login(app.test_client(), other).post(url, data=FORM).status_code == 404


def test_withdrawing_needs_confirmation_and_keeps_the_record(app, make):
    round_ = make.round()
    application = make.dossier(round_.positions[0], documents=False)
    other = make.user(Role.CANDIDATE)
    db.session.commit()
    url = f"/applications/{application.id}/withdraw"
    assert _post(app, other, url, {"confirm": "y"}).status_code == 404
    unconfirmed = _post(app, application.candidate, url, {}, follow_redirects=True)
    assert "Đánh dấu ô xác nhận để rút hồ sơ." in unconfirmed.get_data(as_text=True)
    assert _apps()[0].status == ApplicationStatus.SUBMITTED
    assert _post(app, application.candidate, url, {"confirm": "y"}).status_code == 302
    stored = _apps()[0]
    assert stored.status == ApplicationStatus.WITHDRAWN
    assert stored.withdrawn_at == T0
    assert [m.kind for m in _outbox()] == [NoticeKind.RECEIVED, NoticeKind.WITHDRAWN]


def test_an_eligible_candidate_keeps_the_number_on_withdrawal_but_not_after_testing(make):
    round_ = make.screened_round(2)
    application = db.session.scalars(
        sa.select(Application).where(
            Application.round_id == round_.id, Application.registration_number == "001"
        )
    ).one()
    withdraw_application(application, actor=application.candidate, at=T0)
    assert (application.status, application.registration_number) == (
        ApplicationStatus.WITHDRAWN,
        "001",
    )
    other = db.session.scalars(
        sa.select(Application).where(
            Application.round_id == round_.id, Application.id != application.id
        )
    ).one()
    round_.status = RoundStatus.TESTING
    with pytest.raises(DomainError, match="Chỉ được rút hồ sơ trên hệ thống khi kỳ thi ở giai"):
        withdraw_application(other, actor=other.candidate, at=T0)


def test_overriding_a_not_met_criterion_needs_a_written_reason(app, make):
    round_ = make.round()
    application = make.dossier(round_.positions[0], post_held_since=dt.date(2025, 12, 1))
    make.stage(round_, RoundStatus.SCREENING)
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    url = f"/applications/{application.id}/decide"
    bare = _post(app, board, url, {"decision": "eligible"}, follow_redirects=True)
    assert bare.status_code == 200
    assert "cần ghi rõ lý do khi kết luận đủ điều kiện" in bare.get_data(as_text=True)
    assert _apps()[0].status == ApplicationStatus.SUBMITTED
    assert [m.kind for m in _outbox()] == [NoticeKind.RECEIVED]  # nothing half-saved
    reason = "Thời gian giữ chức vụ tương đương tại đơn vị cũ được cộng dồn (QĐ số 12/QĐ-SYT)."
    assert _post(app, board, url, {"decision": "eligible", "reason": reason}).status_code == 302
    stored = _apps()[0]
    assert stored.status == ApplicationStatus.ELIGIBLE
    assert stored.overrode_precheck is True
    assert {line["key"]: line["outcome"] for line in stored.precheck_at_decision}[
        "months_in_post"
    ] == "not_met"
    notice = _outbox()[-1]
    assert notice.kind == NoticeKind.ELIGIBLE
    assert "Số báo danh của Ông/Bà: 001." in notice.body


def test_a_rejection_notice_gives_the_reasons_line_by_line(make):
    round_ = make.round()
    application = make.dossier(
        round_.positions[0], discipline=Discipline.WARNING, discipline_on=dt.date(2025, 1, 1)
    )
    make.stage(round_, RoundStatus.SCREENING)
    board = make.user(Role.BOARD_ADMIN)
    decide_eligibility(
        application,
        eligible=False,
        reason="Chưa hết thời hạn sau kỷ luật cảnh cáo.",
        actor=board,
        at=T0,
    )
    notice = _outbox()[-1]
    assert notice.kind == NoticeKind.NOT_ELIGIBLE
    assert "Lý do: Chưa hết thời hạn sau kỷ luật cảnh cáo." in notice.body
    assert "Kỷ luật: Không đạt." in notice.body
    assert "Chưa hết thời hạn 30 tháng" in notice.body
    assert application.overrode_precheck is False


def test_rejecting_a_dossier_that_met_everything_is_marked_as_an_override(make):
    round_ = make.round()
    application = make.dossier(round_.positions[0])
    make.stage(round_, RoundStatus.SCREENING)
    decide_eligibility(
        application,
        eligible=False,
        reason="Hồ sơ giả mạo.",
        actor=make.user(Role.BOARD_ADMIN),
        at=T0,
    )
    assert application.overrode_precheck is True


def test_the_board_decides_before_the_test_stage_only(make):
    round_ = make.screened_round(2)
    extra = db.session.scalars(sa.select(Application).where(Application.round_id == round_.id))
    board = make.user(Role.BOARD_ADMIN)
    advance_round(round_, actor=board, at=T0 + dt.timedelta(days=40))
    assert round_.status == RoundStatus.TESTING
    application = next(iter(extra))
    application.status, application.registration_number = ApplicationStatus.SUBMITTED, None
    application.decided_at = None
    db.session.flush()
    with pytest.raises(
        DomainError,
        match=r"Chỉ được xét hồ sơ khi kỳ thi ở giai đoạn «Đang xét điều kiện»; "
        r"kỳ thi đang ở giai đoạn Thi trắc nghiệm\.",
    ):
        decide_eligibility(application, eligible=True, reason="", actor=board, at=T0)


def test_batch_confirmation_numbers_by_position_then_vietnamese_name(make):
    board = make.user(Role.BOARD_ADMIN)
    round_ = make.round(positions=2, board=board)
    first, second = round_.positions
    people = [
        (second, "Lê Văn An"),
        (first, "Trần Thị Bình"),
        (first, "Nguyễn Văn Ánh"),
        (second, "Đỗ Thị Ân"),
    ]
    apps = {
        name: make.dossier(position, make.user(Role.CANDIDATE, name=name))
        for position, name in people
    }
    incomplete = make.dossier(
        first, make.user(Role.CANDIDATE, name="Phạm Văn Cường"), documents=False
    )
    after = round_.registration_closes_at + dt.timedelta(hours=1)
    with pytest.raises(DomainError, match="Chỉ được xét hồ sơ khi"):
        decide_prechecked(round_, actor=board, at=T0)
    advance_round(round_, actor=board, at=after)  # registration closed
    with pytest.raises(DomainError, match="Chỉ được xét hồ sơ khi"):
        decide_prechecked(round_, actor=board, at=after)
    advance_round(round_, actor=board, at=after)  # screening
    decided = decide_prechecked(round_, actor=board, at=after)
    assert [a.candidate.full_name for a in decided] == [
        "Nguyễn Văn Ánh",
        "Trần Thị Bình",
        "Lê Văn An",
        "Đỗ Thị Ân",
    ]
    assert [
        apps[n].registration_number
        for n in ("Nguyễn Văn Ánh", "Trần Thị Bình", "Lê Văn An", "Đỗ Thị Ân")
    ] == ["001", "002", "003", "004"]
    assert incomplete.status == ApplicationStatus.SUBMITTED
    with pytest.raises(DomainError, match="Không có hồ sơ nào đạt tất cả tiêu chuẩn"):
        decide_prechecked(round_, actor=board, at=after)


def test_imported_or_online_a_decision_is_refused_on_a_decided_dossier(make):
    round_ = make.round()
    application = make.dossier(round_.positions[0])
    other = make.dossier(round_.positions[0])
    make.stage(round_, RoundStatus.SCREENING)
    board = make.user(Role.BOARD_ADMIN)
    decide_eligibility(application, eligible=True, reason="", actor=board, at=T0)
    with pytest.raises(DomainError, match="Hồ sơ này đã được xét"):
        decide_eligibility(application, eligible=False, reason="x", actor=board, at=T0)
    with pytest.raises(ValidationFailed):
        decide_eligibility(other, eligible=False, reason=" ", actor=board, at=T0)


def test_the_apply_form_is_prefilled_from_an_earlier_dossier(app, make):
    earlier = make.round()
    application = make.dossier(earlier.positions[0], gender=Gender.FEMALE, documents=False)
    later = make.round()
    db.session.commit()
    with time_machine.travel(T0, tick=False):
        page = login(app.test_client(), application.candidate).get(
            f"/positions/{later.positions[0].id}/apply"
        )
    text = page.get_data(as_text=True)
    assert "Quản lý bệnh viện" in text
    assert application.national_id in text
