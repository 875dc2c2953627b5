"""The Council's documents issued once (issue 16 item 6): a body's decision with its members
under the decision's own number, by the authority that signed it; a change of members is a
new decision with its own number, replacing the earlier, which stays readable and whose
verification page names its successor. A meeting's minutes are issued when it is closed,
numbered in the Council's register; a closed meeting takes no more items or votes."""

from __future__ import annotations

import datetime as dt
import io
import unicodedata

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from exam.accounts.models import Role
from exam.core.documents import COUNCIL
from exam.core.errors import DomainError, ValidationFailed
from exam.council.issuing import (
    body_decisions,
    close_meeting,
    decision_in_force,
    issue_body_decision,
    issue_new_body_decision,
)
from exam.council.models import BodyKind, MemberFunction, VoteChoice
from exam.council.operations import add_item, add_member, cast_vote, hold_meeting
from exam.documents.models import DocumentKind, IssuedDocument
from exam.documents.numbering import suggested_number
from exam.documents.queries import document_bytes
from exam.extensions import db
from tests.conftest import login
from tests.council.conftest import seat

HELD_AT = dt.datetime(2026, 2, 10, 2, 0, tzinfo=dt.UTC)  # 09:00 in Hanoi


def _text(data: bytes) -> str:
    raw = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(unicodedata.normalize("NFC", raw).split())


def _documents(kind: DocumentKind) -> list[IssuedDocument]:
    return list(
        db.session.scalars(
            sa.select(IssuedDocument).where(IssuedDocument.kind == kind).order_by(IssuedDocument.id)
        )
    )


@pytest.fixture
def admin(make):
    return make.user(Role.BOARD_ADMIN, name="Quản Trị Viên")


@pytest.fixture
def council(make):
    round_ = make.round()
    chair = make.user(Role.PANEL_MEMBER, name="Nguyễn Văn Chủ")
    secretary = make.user(Role.PANEL_MEMBER, name="Lê Văn Thư")
    body = seat(round_, BodyKind.COUNCIL, chair, MemberFunction.CHAIR).body
    seat(round_, BodyKind.COUNCIL, secretary, MemberFunction.SECRETARY)
    return body, chair, secretary


# --- a body's decisions ------------------------------------------------------------------------


def test_a_bodys_decision_is_issued_once_under_its_own_number(app, make, admin, council):
    body, _chair, _secretary = council
    db.session.commit()
    client = login(app.test_client(), admin)
    draft = client.get(f"/bodies/{body.id}/decision.pdf")
    assert draft.status_code == 200
    assert "Mã xác minh" not in _text(draft.get_data())  # not issued yet: a draft

    response = client.post(f"/bodies/{body.id}/decision")
    assert response.status_code == 302
    db.session.expire_all()
    [doc] = _documents(DocumentKind.BODY_DECISION)
    assert doc.number == body.decision_number
    assert doc.issuer == body.round.organisation  # the agency sets up the Council
    assert doc.issued_on == body.decision_on
    one = client.get(f"/bodies/{body.id}/decision.pdf", follow_redirects=True).get_data()
    two = client.get(f"/bodies/{body.id}/decision.pdf", follow_redirects=True).get_data()
    assert one == two == document_bytes(doc)
    text = _text(one)
    assert f"Số: {body.decision_number}" in text
    assert "Nguyễn Văn Chủ" in text
    assert f"Mã xác minh: {doc.code}" in text
    page = app.test_client().get(f"/xac-minh/{doc.code}").get_data(as_text=True)
    assert body.decision_number in page
    # Issued once: a second press is refused in words, nothing more is issued.
    refused = client.post(f"/bodies/{body.id}/decision", follow_redirects=True)
    assert "Thay đổi thành viên cần một quyết định mới có số riêng." in refused.get_data(
        as_text=True
    )
    assert len(_documents(DocumentKind.BODY_DECISION)) == 1


def test_a_boards_decision_is_the_councils_document(app, make, council):
    body, chair, _secretary = council
    head = make.user(Role.PANEL_MEMBER, name="Phạm Thị Phách")
    board = seat(body.round, BodyKind.ANONYMISATION, head, MemberFunction.HEAD).body
    doc = issue_body_decision(board, actor=chair)
    assert doc.issuer == "Hội đồng thi tuyển"
    assert "Về việc thành lập Ban phách" in _text(document_bytes(doc))


def test_a_change_of_members_is_a_new_decision_replacing_the_earlier(app, make, admin, council):
    body, _chair, _secretary = council
    first = issue_body_decision(body, actor=admin)
    newcomer = make.user(Role.PANEL_MEMBER, name="Đỗ Minh Mới")
    add_member(body, newcomer, MemberFunction.MEMBER, actor=admin)
    db.session.commit()
    client = login(app.test_client(), admin)
    response = client.post(
        f"/bodies/{body.id}/decisions",
        data={
            "decision_number": "950/QĐ-SNV",
            "decision_on": "20/02/2026",
            "signer_name": "Trần Văn Giám",
            "signer_title": "Giám đốc Sở Nội vụ",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    later = decision_in_force(body)
    assert later.number == "950/QĐ-SNV"
    assert first.superseded_by_id == later.id
    assert [d.id for d in body_decisions(body)] == [first.id, later.id]
    text = _text(document_bytes(later))
    assert "Về việc kiện toàn Hội đồng thi tuyển" in text
    assert f"thay thế Quyết định số {first.number}" in text.replace("/ ", "/")  # a line break
    assert "Đỗ Minh Mới" in text
    assert "Đỗ Minh Mới" not in _text(document_bytes(first))
    # The earlier stays readable; the link serves the one in force; the body's page lists both.
    assert client.get(f"/documents/{first.id}.pdf").status_code == 200
    assert (
        client.get(f"/bodies/{body.id}/decision.pdf")
        .headers["Location"]
        .endswith(f"/documents/{later.id}.pdf")
    )
    page = client.get(f"/bodies/{body.id}").get_data(as_text=True)
    assert "Quyết định số 950/QĐ-SNV ngày 20/02/2026" in page
    assert "đã được thay thế" in page
    old_page = app.test_client().get(f"/xac-minh/{first.code}").get_data(as_text=True)
    assert "bởi văn bản số 950/QĐ-SNV ngày 20/02/2026." in old_page


@pytest.mark.parametrize(
    ("number", "on", "message"),
    [
        ("", dt.date(2026, 2, 20), "Vui lòng điền mục này."),
        ("số chín", dt.date(2026, 2, 20), "Ghi số văn bản theo dạng số/ký hiệu"),
        ("same", dt.date(2026, 2, 20), "đã dùng cho"),
        ("951/QĐ-SNV", dt.date(2026, 1, 1), "Quyết định mới không được ký trước"),
    ],
)
def test_a_new_decision_with_bad_values_is_refused_and_nothing_changes(
    app, make, admin, council, number, on, message
):
    body, _chair, _secretary = council
    first = issue_body_decision(body, actor=admin)
    db.session.commit()
    with pytest.raises(ValidationFailed) as refused:
        issue_new_body_decision(
            body,
            decision_number=body.decision_number if number == "same" else number,
            decision_on=on,
            signer_name="Trần Văn Giám",
            signer_title="Giám đốc Sở Nội vụ",
            actor=admin,
        )
    assert any(message in text for _field, text in refused.value.reasons)
    db.session.rollback()
    db.session.refresh(first)
    assert first.superseded_by_id is None
    assert len(_documents(DocumentKind.BODY_DECISION)) == 1


def test_no_decision_for_a_body_without_members_and_no_new_one_before_the_first(make, admin):
    round_ = make.round()
    chair = make.user(Role.PANEL_MEMBER)
    body = seat(round_, BodyKind.COUNCIL, chair, MemberFunction.CHAIR).body
    headless = seat(round_, BodyKind.MARKING, make.user(Role.PANEL_MEMBER)).body  # no head
    with pytest.raises(DomainError, match="chưa có người đứng đầu"):
        issue_body_decision(headless, actor=admin)
    with pytest.raises(DomainError, match=r"ban hành quyết định số .* trước"):
        issue_new_body_decision(
            body,
            decision_number="952/QĐ-SNV",
            decision_on=dt.date(2026, 3, 1),
            signer_name="Trần Văn Giám",
            signer_title="Giám đốc Sở Nội vụ",
            actor=admin,
        )
    assert _documents(DocumentKind.BODY_DECISION) == []


# --- a meeting's minutes -----------------------------------------------------------------------


def _meeting(council):
    body, chair, secretary = council
    return hold_meeting(
        body,
        held_at=HELD_AT,
        place="Phòng họp số 2",
        attendee_ids=[chair.id, secretary.id],
        presiding_id=chair.id,
        actor=secretary,
        at=HELD_AT + dt.timedelta(hours=2),
    )


def test_closing_a_meeting_issues_its_minutes_once(app, make, council):
    _body, chair, secretary = council
    meeting = _meeting(council)
    item = add_item(meeting, title="Thứ tự ưu tiên vị trí 1", actor=secretary)
    with pytest.raises(ValidationFailed, match="Nội dung 1 \\(Thứ tự ưu tiên vị trí 1\\) chưa"):
        close_meeting(meeting, actor=secretary)
    for voter in (chair, secretary):
        cast_vote(item, voter, VoteChoice.FOR, actor=secretary, at=HELD_AT)
    db.session.commit()
    expected = suggested_number(meeting.body.round_id, COUNCIL, "BB-HĐTT", on=HELD_AT.date())
    client = login(app.test_client(), secretary)
    response = client.post(f"/meetings/{meeting.id}/close")
    assert response.status_code == 302
    db.session.expire_all()
    [doc] = _documents(DocumentKind.COUNCIL_MINUTES)
    assert meeting.minutes_document_id == doc.id
    assert doc.number == expected  # the next of the Council's register
    assert doc.issued_on == dt.date(2026, 2, 10)
    one = client.get(f"/meetings/{meeting.id}/minutes.pdf", follow_redirects=True).get_data()
    two = client.get(f"/meetings/{meeting.id}/minutes.pdf", follow_redirects=True).get_data()
    assert one == two == document_bytes(doc)
    text = _text(one)
    assert f"Số: {expected}" in text
    assert f"Mã xác minh: {doc.code}" in text
    assert "ngày 10 tháng 02 năm 2026" in text
    candidate = make.user(Role.CANDIDATE)
    db.session.commit()
    assert login(app.test_client(), candidate).get(f"/documents/{doc.id}.pdf").status_code == 404
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert 'id="meeting-closed"' in page
    assert 'id="close-meeting"' not in page
    # Closed: no more items or votes, and no second minutes.
    with pytest.raises(DomainError, match="Cuộc họp đã kết thúc"):
        add_item(meeting, title="Nội dung khác", actor=secretary)
    with pytest.raises(DomainError, match="Cuộc họp đã kết thúc"):
        close_meeting(meeting, actor=secretary)
    refused = client.post(f"/meetings/{meeting.id}/items", data={"title": "Thêm"})
    assert refused.status_code in (302, 303)
    db.session.expire_all()
    assert len(meeting.items) == 1
    assert len(_documents(DocumentKind.COUNCIL_MINUTES)) == 1


def test_an_empty_meeting_cannot_be_closed(app, council):
    _body, _chair, secretary = council
    meeting = _meeting(council)
    with pytest.raises(ValidationFailed, match="Cuộc họp chưa có nội dung biểu quyết nào"):
        close_meeting(meeting, actor=secretary)
    assert meeting.minutes_document_id is None
    assert _documents(DocumentKind.COUNCIL_MINUTES) == []


def test_a_rolled_back_close_leaves_no_minutes(app, council):
    _body, chair, secretary = council
    meeting = _meeting(council)
    item = add_item(meeting, title="Phá thế hòa", actor=secretary)
    cast_vote(item, chair, VoteChoice.FOR, actor=secretary, at=HELD_AT)
    db.session.commit()
    close_meeting(meeting, actor=secretary)
    db.session.rollback()
    db.session.refresh(meeting)
    assert meeting.minutes_document_id is None
    assert _documents(DocumentKind.COUNCIL_MINUTES) == []
