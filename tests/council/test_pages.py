"""The bodies' pages: set up by decision and members added through the forms (a refused form
comes back with what was typed and why), the decisions and minutes as NĐ 30 PDFs read back,
and who may see or change what: a member of another round's bodies is told nothing (404)."""

from __future__ import annotations

import io
import unicodedata

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from exam.accounts.models import Role
from exam.council.models import Body, BodyKind, MemberFunction, Membership
from exam.extensions import db
from tests.conftest import login
from tests.council.conftest import seat


def _text(data: bytes) -> str:
    raw = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(unicodedata.normalize("NFC", raw).split())


def _council_form(**changes) -> dict:
    return {
        "kind": "council",
        "name": "",
        "decision_number": "5/QĐ-SNV",
        "decision_on": "05/02/2026",
        "signer_name": "Trần Văn Giám",
        "signer_title": "Giám đốc Sở Nội vụ",
        **changes,
    }


@pytest.fixture
def admin(make):
    return make.user(Role.BOARD_ADMIN, name="Quản Trị Viên")


def test_the_platform_admin_sets_up_the_council_and_adds_members(app, make, admin):
    round_ = make.round()
    chair = make.user(Role.PANEL_MEMBER, name="Nguyễn Văn Chủ")
    db.session.commit()
    client = login(app.test_client(), admin)
    assert "Hội đồng và các ban" in client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    response = client.post(f"/rounds/{round_.id}/bodies/new", data=_council_form())
    assert response.status_code == 302
    body = db.session.scalars(sa.select(Body).where(Body.round_id == round_.id)).one()
    assert body.decision_number == "05/QĐ-SNV"
    response = client.post(
        f"/bodies/{body.id}/members",
        data={"user_id": chair.id, "function": "chair", "post": "Phó Giám đốc Sở"},
    )
    assert response.status_code == 302
    page = client.get(f"/rounds/{round_.id}/bodies").get_data(as_text=True)
    assert "Nguyễn Văn Chủ — Chủ tịch" in page
    assert "Số 05/QĐ-SNV" in page


def test_a_refused_member_comes_back_with_the_reason_and_nothing_is_saved(app, make, admin):
    round_ = make.round()
    person = make.user(Role.PANEL_MEMBER, name="Lê Thị Hoa")
    body = seat(round_, BodyKind.COUNCIL, person, MemberFunction.MEMBER).body
    db.session.commit()
    client = login(app.test_client(), admin)
    page = f"/bodies/{body.id}"
    response = client.post(
        f"{page}/members", data={"user_id": person.id, "function": "member", "post": "Trưởng phòng"}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(page)
    text = client.get(page).get_data(as_text=True)
    assert "Lê Thị Hoa đã là Ủy viên của Hội đồng thi tuyển." in text
    assert 'value="Trưởng phòng"' in text  # what was typed is kept
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(Membership).where(Membership.body_id == body.id)
    )
    assert count == 1


def test_a_reused_decision_number_is_refused_in_words(app, make, admin):
    round_ = make.round()
    db.session.commit()
    client = login(app.test_client(), admin)
    client.post(f"/rounds/{round_.id}/bodies/new", data=_council_form())
    response = client.post(
        f"/rounds/{round_.id}/bodies/new",
        data=_council_form(kind="supervisory", decision_number="05/QĐ-SNV"),
    )
    assert response.status_code == 303
    text = client.get(f"/rounds/{round_.id}/bodies/new").get_data(as_text=True)
    assert "Số quyết định 05/QĐ-SNV đã dùng cho Hội đồng thi tuyển." in text


def test_the_council_secretary_sets_up_a_board_but_not_the_council(app, make, admin):
    round_ = make.round()
    secretary = make.user(Role.PANEL_MEMBER)
    member = make.user(Role.PANEL_MEMBER)
    seat(round_, BodyKind.COUNCIL, secretary, MemberFunction.SECRETARY)
    council = seat(round_, BodyKind.COUNCIL, member, MemberFunction.MEMBER).body
    db.session.commit()
    client = login(app.test_client(), secretary)
    form = client.get(f"/rounds/{round_.id}/bodies/new").get_data(as_text=True)
    assert 'value="marking"' in form
    assert 'value="council"' not in form
    assert 'value="supervisory"' not in form
    board = {
        **_council_form(kind="marking", decision_number="3/QĐ-HĐTT"),
        "signer_title": "Chủ tịch Hội đồng thi tuyển",
    }
    assert client.post(f"/rounds/{round_.id}/bodies/new", data=board).status_code == 302
    client.post(f"/rounds/{round_.id}/bodies/new", data=_council_form(kind="supervisory"))
    kinds = db.session.scalars(sa.select(Body.kind).where(Body.round_id == round_.id)).all()
    assert sorted(kinds) == [BodyKind.COUNCIL, BodyKind.MARKING]
    # The Council's members are the platform's to change: the secretary may not.
    response = client.post(
        f"/bodies/{council.id}/members", data={"user_id": member.id, "function": "member"}
    )
    assert response.status_code == 403
    # An ordinary member sets up nothing.
    other = login(app.test_client(), member)
    assert other.get(f"/rounds/{round_.id}/bodies").status_code == 200
    assert other.get(f"/rounds/{round_.id}/bodies/new").status_code == 403


def test_the_platform_admin_sets_up_no_board_and_changes_no_boards_members(app, make, admin):
    """A board is set up by the Council's decision (docs/domain.md §2): the office without a
    seat on the round's Council neither sets one up nor changes its members."""
    round_ = make.round()
    seat(round_, BodyKind.COUNCIL, make.user(Role.PANEL_MEMBER), MemberFunction.SECRETARY)
    marker = make.user(Role.PANEL_MEMBER)
    board = seat(round_, BodyKind.MARKING, make.user(Role.PANEL_MEMBER)).body
    db.session.commit()
    client = login(app.test_client(), admin)
    form = client.get(f"/rounds/{round_.id}/bodies/new").get_data(as_text=True)
    assert 'value="supervisory"' in form  # the agency's bodies stay the office's to set up
    assert 'value="marking"' not in form
    assert 'value="eligibility"' not in form
    proposed = {
        **_council_form(kind="eligibility", decision_number="4/QĐ-HĐTT"),
        "signer_title": "Chủ tịch Hội đồng thi tuyển",
    }
    client.post(f"/rounds/{round_.id}/bodies/new", data=proposed)
    kinds = db.session.scalars(sa.select(Body.kind).where(Body.round_id == round_.id)).all()
    assert BodyKind.ELIGIBILITY not in kinds
    response = client.post(
        f"/bodies/{board.id}/members", data={"user_id": marker.id, "function": "member"}
    )
    assert response.status_code == 403
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(Membership).where(Membership.body_id == board.id)
    )
    assert count == 1


def test_a_member_of_round_a_sees_nothing_of_round_b(app, make):
    round_a, round_b = make.round(), make.round()
    marker = make.user(Role.PANEL_MEMBER)
    seat(round_a, BodyKind.MARKING, marker)
    body_b = seat(round_b, BodyKind.MARKING, make.user(Role.PANEL_MEMBER)).body
    db.session.commit()
    client = login(app.test_client(), marker)
    assert client.get(f"/rounds/{round_a.id}/bodies").status_code == 200
    for url in (
        f"/rounds/{round_b.id}/bodies",
        f"/rounds/{round_b.id}/bodies/new",
        f"/bodies/{body_b.id}",
        f"/bodies/{body_b.id}/decision.pdf",
        f"/rounds/{round_b.id}/meetings/new",
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(
        f"/bodies/{body_b.id}/members", data={"user_id": marker.id, "function": "member"}
    )
    assert response.status_code == 404


def test_the_decision_pdf_reads_back_with_its_members(app, make, admin):
    round_ = make.round()
    seat(round_, BodyKind.COUNCIL, make.user(Role.PANEL_MEMBER, name="Nguyễn Văn Chủ"), "chair")
    body = seat(
        round_, BodyKind.ANONYMISATION, make.user(Role.PANEL_MEMBER, name="Phạm Thị Phách"), "head"
    ).body
    db.session.commit()
    response = login(app.test_client(), admin).get(f"/bodies/{body.id}/decision.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    text = _text(response.get_data())
    assert "QUYẾT ĐỊNH" in text
    assert f"Số: {body.decision_number}" in text
    assert "Về việc thành lập Ban phách" in text
    assert "CHỦ TỊCH HỘI ĐỒNG THI TUYỂN" in text
    assert "Căn cứ Quyết định số" in text  # the Council's own decision
    assert "DANH SÁCH THÀNH VIÊN BAN PHÁCH" in text
    assert "Phạm Thị Phách" in text
    assert "Trưởng ban" in text
    assert "ngày 05 tháng 02 năm 2026" in text
    assert "không tham gia chấm thi" in text


def test_a_meeting_through_its_pages_and_its_minutes_read_back(app, make):
    round_ = make.round()
    names = ["Nguyễn Văn Chủ", "Trần Thị Phó", "Lê Văn Thư", "Đỗ Minh Vắng"]
    functions = ["chair", "vice_chair", "secretary", "member"]
    people = [make.user(Role.PANEL_MEMBER, name=n) for n in names]
    for person, function in zip(people, functions, strict=True):
        seat(round_, BodyKind.COUNCIL, person, function)
    supervisor = make.user(Role.SUPERVISOR)
    seat(round_, BodyKind.SUPERVISORY, supervisor, "head")
    db.session.commit()
    chair, vice, secretary, absent = people
    client = login(app.test_client(), secretary)
    response = client.post(
        f"/rounds/{round_.id}/meetings/new",
        data={
            "held_at": "10/02/2026 09:00",
            "place": "Phòng họp số 2",
            "attendee_ids": [chair.id, vice.id, secretary.id],
            "presiding_id": chair.id,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    meeting_url = response.headers["Location"]
    meeting_id = int(meeting_url.rsplit("/", 1)[1])
    client.post(
        f"/meetings/{meeting_id}/items",
        data={"title": "Thứ tự ưu tiên vị trí 1", "motion": "Chọn thí sinh SBD 002."},
    )
    from exam.council.models import MeetingItem

    item = db.session.scalars(
        sa.select(MeetingItem).where(MeetingItem.meeting_id == meeting_id)
    ).one()
    for voter, choice in [(chair, "for"), (vice, "against"), (secretary, "abstain")]:
        response = client.post(
            f"/meetings/items/{item.id}/votes",
            data={f"item{item.id}-voter_id": voter.id, f"item{item.id}-choice": choice},
        )
        assert response.status_code == 302
    # A second vote is refused in words, the first stands.
    response = client.post(
        f"/meetings/items/{item.id}/votes",
        data={f"item{item.id}-voter_id": vice.id, f"item{item.id}-choice": "for"},
    )
    assert response.status_code == 303
    page = client.get(meeting_url).get_data(as_text=True)
    assert "Trần Thị Phó đã biểu quyết nội dung này; biểu quyết không sửa được." in page
    assert "Thông qua" in page
    assert "(ngang nhau: theo ý kiến của người chủ trì)" in page

    # The supervisory board reads the minutes; an ordinary member of another body does not.
    response = login(app.test_client(), supervisor).get(f"/meetings/{meeting_id}/minutes.pdf")
    assert response.status_code == 200
    text = _text(response.get_data())
    assert "BIÊN BẢN" in text
    assert "Họp Hội đồng thi tuyển" in text
    assert "Chủ trì: Nguyễn Văn Chủ, Chủ tịch Hội đồng thi tuyển." in text
    assert "Thư ký: Lê Văn Thư" in text
    assert "Thành viên có mặt: 3/4" in text
    assert "Vắng mặt: Đỗ Minh Vắng – Ủy viên" in text
    assert "1. Thứ tự ưu tiên vị trí 1" in text
    assert "Trần Thị Phó Không tán thành" in text
    assert "1 tán thành, 1 không tán thành, 1 không biểu quyết" in text
    assert "Kết luận: Thông qua (số phiếu ngang nhau, theo ý kiến của người chủ trì)" in text
    assert "ngày 10 tháng 02 năm 2026" in text
    marker = make.user(Role.PANEL_MEMBER)
    seat(round_, BodyKind.MARKING, marker)
    db.session.commit()
    assert login(app.test_client(), marker).get(meeting_url).status_code == 404
    # Only the secretariat records: a member present may read but not vote for others.
    member_client = login(app.test_client(), vice)
    assert member_client.get(meeting_url).status_code == 200
    response = member_client.post(
        f"/meetings/items/{item.id}/votes",
        data={f"item{item.id}-voter_id": absent.id, f"item{item.id}-choice": "for"},
    )
    assert response.status_code == 403


def test_guests_and_candidates_see_no_bodies(app, make):
    round_ = make.round()
    body = seat(round_, BodyKind.COUNCIL, make.user(Role.PANEL_MEMBER)).body
    candidate = make.user(Role.CANDIDATE)
    make.application(round_.positions[0], candidate)
    db.session.commit()
    assert app.test_client().get(f"/rounds/{round_.id}/bodies").status_code == 302
    client = login(app.test_client(), candidate)
    assert client.get(f"/rounds/{round_.id}/bodies").status_code == 404
    assert client.get(f"/bodies/{body.id}").status_code == 404
    assert "Hội đồng và các ban" not in client.get(f"/rounds/{round_.id}").get_data(as_text=True)
