"""The panel's papers issued once (issue 16 item 6): a member's sheet when it is sealed (and
again when the head reopened it and it is sealed anew), the session's minutes when the
secretary completes the record (and again when a sheet is sealed after that). Each is the
same bytes at every download, its code printed and found by the verification page; who reads
them is who read them before: the seal on reading, the panel and those who oversee it."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import pytest
import sqlalchemy as sa

from exam.accounts.models import Role
from exam.core.documents import COUNCIL
from exam.core.errors import DomainError, ValidationFailed
from exam.documents.models import DocumentKind, IssuedDocument
from exam.documents.queries import document_bytes
from exam.extensions import db
from exam.panels.attendance import record_attendance, record_incident
from exam.panels.operations import reopen_sheet, seal_sheet
from exam.panels.queries import sheet_of
from exam.panels.records import close_record, record_gaps
from exam.panels.sessions import Phase, end_phase, mark_presence, start_phase
from exam.rounds.models import RoundStatus
from tests.conftest import login
from tests.factories import T0
from tests.panels import test_record
from tests.panels.test_record import START, Room, _paper_url
from tests.pdfs import pdf_text as raw_text

MINUTE = dt.timedelta(minutes=1)
room = test_record.room  # the fixture: a panel of three, two candidates, the default guide


def pdf_text(data: bytes) -> str:
    """The PDF's text in composed Vietnamese (pypdf may give decomposed marks)."""
    return unicodedata.normalize("NFC", raw_text(data))


def _issued(kind: DocumentKind) -> list[IssuedDocument]:
    return list(
        db.session.scalars(
            sa.select(IssuedDocument).where(IssuedDocument.kind == kind).order_by(IssuedDocument.id)
        )
    )


def _code_of(data: bytes) -> str:
    found = re.search(r"Mã xác minh: ([0-9A-Z]{10})", pdf_text(data))
    assert found, "no verification code printed"
    return found[1]


def _get(client, url: str):
    return client.get(url, follow_redirects=True)


# --- a member's sheet -------------------------------------------------------------------------


def test_a_sheet_is_issued_once_when_sealed_and_served_as_issued(app, room):
    sheet = room.seal(1, 0, 83)
    db.session.commit()
    [doc] = _issued(DocumentKind.PANEL_SHEET)
    assert sheet.document_id == doc.id
    candidate = room.application(0)
    assert doc.number == f"PC-{room.panel_id}-{room.member(1).id}-{candidate.registration_number}"
    assert doc.issuer == COUNCIL
    assert doc.subject_user_id is None  # read under the seal, not as its subject
    client = login(app.test_client(), room.user(1))
    first, second = _get(client, _paper_url(room, sheet)), _get(client, _paper_url(room, sheet))
    assert first.mimetype == "application/pdf"
    assert first.data == second.data == document_bytes(doc)
    assert len(_issued(DocumentKind.PANEL_SHEET)) == 1
    text = pdf_text(first.data)
    assert candidate.registration_number in text
    assert "83,00" in text
    assert _code_of(first.data) == doc.code
    page = app.test_client().get(f"/xac-minh/{doc.code}")
    assert page.status_code == 200
    assert doc.number in page.get_data(as_text=True)


def test_the_issued_sheet_keeps_the_seal_on_reading(app, make, room):
    sheet = room.seal(1, 0, 83)
    db.session.commit()
    doc_url = f"/documents/{sheet.document_id}.pdf"
    council = make.user(Role.BOARD_ADMIN)
    outsider = make.user(Role.PANEL_MEMBER)  # on the interview board, not on this panel
    candidate = room.application(0).candidate
    db.session.commit()
    # Before every member scoring the candidate has sealed: only its member.
    for person in (room.user(0), room.user(2), council, outsider, candidate):
        client = login(app.test_client(), person)
        assert client.get(_paper_url(room, sheet)).status_code == 404
        assert client.get(doc_url).status_code == 404, person.full_name
    assert login(app.test_client(), room.user(1)).get(doc_url).status_code == 200
    guest = app.test_client().get(doc_url)
    assert guest.status_code == 302
    assert "/login" in guest.headers["Location"]
    room.seal(0, 0, 80)
    room.seal(2, 0, 85)
    db.session.commit()
    for person in (room.user(0), room.user(2), council):
        assert login(app.test_client(), person).get(doc_url).status_code == 200
    for person in (outsider, candidate):
        assert login(app.test_client(), person).get(doc_url).status_code == 404


def test_a_reopened_sheet_sealed_again_is_issued_again_and_replaces_the_first(app, room):
    sheet = room.seal(1, 0, 83)
    db.session.commit()
    first = sheet.document
    reopen_sheet(sheet, "Ghi nhầm điểm tiêu chí 4.", actor=room.user(0), at=T0)
    db.session.commit()
    # Reopened, the sheet is a draft again: its earlier issue is read by nobody meanwhile.
    client = login(app.test_client(), room.user(1))
    assert client.get(f"/documents/{first.id}.pdf").status_code == 404
    again = room.seal(1, 0, 78)
    db.session.commit()
    first, second = _issued(DocumentKind.PANEL_SHEET)
    assert again.document_id == second.id
    assert first.superseded_by_id == second.id
    assert second.number == f"{first.number}-L2"
    served = _get(client, _paper_url(room, again)).data
    assert served == document_bytes(second)
    assert "78,00" in pdf_text(served)
    assert client.get(f"/documents/{first.id}.pdf").data == document_bytes(first)


def test_a_seal_rolled_back_leaves_no_document(room):
    room.seal(1, 0, 83)
    assert len(_issued(DocumentKind.PANEL_SHEET)) == 1
    db.session.rollback()
    assert _issued(DocumentKind.PANEL_SHEET) == []


def test_a_sheet_refused_in_words_issues_nothing(room):
    seat = room.member(1)
    points = room.points(83)
    points.pop(next(iter(points)))
    with pytest.raises(ValidationFailed, match="Chưa cho điểm tiêu chí"):
        seal_sheet(seat, room.application(0), points, actor=seat.user, at=T0)
    with pytest.raises(DomainError, match="không được chấm thí sinh này"):
        room.seal(1, 1, 80)  # the candidate's sibling
    assert _issued(DocumentKind.PANEL_SHEET) == []


# --- the session's minutes --------------------------------------------------------------------


def _hear(room: Room, index: int, at: dt.datetime) -> None:
    panel, chair, application = room.panel, room.user(0), room.application(index)
    mark_presence(panel, application, present=True, actor=chair, at=at)
    start_phase(panel, application, Phase.PRESENTATION, actor=chair, at=at)
    end_phase(panel, application, Phase.PRESENTATION, actor=chair, at=at + 30 * MINUTE)
    start_phase(panel, application, Phase.QUESTIONS, actor=chair, at=at + 31 * MINUTE)
    end_phase(panel, application, Phase.QUESTIONS, actor=chair, at=at + 90 * MINUTE)


def _complete(room: Room) -> None:
    """Every member present, both candidates heard, every sheet sealed."""
    for index in range(3):
        record_attendance(room.panel, room.member(index), present=True, actor=room.user(0), at=T0)
    _hear(room, 0, START)
    _hear(room, 1, START + 150 * MINUTE)
    room.seal(0, 0, 80)
    room.seal(1, 0, 84)
    room.seal(2, 0, 82)
    room.seal(0, 1, 70)
    room.seal(2, 1, 72)  # member 1 is recused from the second candidate
    db.session.commit()


def _close(app, room: Room):
    return login(app.test_client(), room.user(0)).post(f"/panels/{room.panel_id}/record/close")


def test_the_minutes_wait_for_a_complete_record_said_in_words(app, room):
    gaps = " ".join(record_gaps(room.panel))
    assert "Chưa ghi nhận thành viên có mặt hay vắng mặt" in gaps
    assert "Chưa ghi nhận thí sinh có mặt hay vắng mặt" in gaps
    with pytest.raises(ValidationFailed, match="Chưa ghi nhận thành viên"):
        close_record(room.panel, actor=room.user(0), at=T0)
    for index in range(3):
        record_attendance(room.panel, room.member(index), present=True, actor=room.user(0), at=T0)
    _hear(room, 0, START)
    room.seal(0, 0, 80)
    mark_presence(room.panel, room.application(1), present=False, actor=room.user(0), at=START)
    db.session.commit()
    gaps = " ".join(record_gaps(room.panel))
    assert "Thí sinh chưa đủ phiếu chấm đã niêm phong" in gaps
    assert room.application(0).registration_number in gaps
    response = _close(app, room)
    assert response.status_code == 303
    page = login(app.test_client(), room.user(0)).get(response.headers["Location"])
    assert "Thí sinh chưa đủ phiếu chấm đã niêm phong" in page.get_data(as_text=True)
    assert _issued(DocumentKind.PANEL_MINUTES) == []
    assert room.panel.minutes_document_id is None


def test_the_minutes_are_issued_once_when_the_record_is_completed(app, make, room):
    _complete(room)
    assert record_gaps(room.panel) == []
    assert _close(app, room).status_code == 303
    db.session.expire_all()
    [doc] = _issued(DocumentKind.PANEL_MINUTES)
    assert room.panel.minutes_document_id == doc.id
    assert re.fullmatch(r"\d{2}/BB-HĐTT", doc.number)
    client = login(app.test_client(), room.user(2))
    url = f"/panels/{room.panel_id}/minutes.pdf"
    first, second = _get(client, url), _get(client, url)
    assert first.data == second.data == document_bytes(doc)
    text = pdf_text(first.data)
    assert f"Số: {doc.number}" in text
    assert "82,00" in text  # the annex, every sheet sealed
    assert _code_of(first.data) == doc.code
    assert app.test_client().get(f"/xac-minh/{doc.code}").status_code == 200
    # Closed: the record is no longer written, and it is not issued twice.
    panel, chair = room.panel, room.user(0)
    with pytest.raises(DomainError, match="đã ban hành"):
        record_attendance(panel, room.member(1), present=False, actor=chair, at=T0)
    with pytest.raises(DomainError, match="đã ban hành"):
        record_incident(panel, occurred_at=T0, description="Bổ sung.", actor=chair, at=T0)
    with pytest.raises(DomainError, match="đã ban hành"):
        mark_presence(panel, room.application(0), present=False, actor=chair, at=T0)
    with pytest.raises(DomainError, match="đã được ban hành"):
        close_record(panel, actor=chair, at=T0)
    assert len(_issued(DocumentKind.PANEL_MINUTES)) == 1
    # Read as the minutes' page was: the panel and those who oversee it.
    council, outsider = make.user(Role.BOARD_ADMIN), make.user(Role.PANEL_MEMBER)
    candidate = room.application(0).candidate
    db.session.commit()
    assert login(app.test_client(), council).get(f"/documents/{doc.id}.pdf").status_code == 200
    for person in (outsider, candidate):
        other = login(app.test_client(), person)
        assert other.get(url).status_code == 404
        assert other.get(f"/documents/{doc.id}.pdf").status_code == 404


def test_the_record_is_completed_during_the_interviews_or_the_aggregation_only(make, room):
    _complete(room)
    round_ = room.panel.position.round
    make.stage(round_, RoundStatus.TESTING)
    with pytest.raises(DomainError, match="hoàn tất biên bản phỏng vấn"):
        close_record(room.panel, actor=room.user(0), at=T0)
    make.stage(round_, RoundStatus.RESULTS)  # the record no longer changes: it may be closed
    document = close_record(room.panel, actor=room.user(0), at=T0)
    assert room.panel.minutes_document_id == document.id


def test_only_the_one_running_the_session_completes_the_record(app, room):
    _complete(room)
    with pytest.raises(DomainError, match="thư ký"):
        close_record(room.panel, actor=room.user(1), at=T0)
    response = login(app.test_client(), room.user(1)).post(f"/panels/{room.panel_id}/record/close")
    assert response.status_code == 403
    assert _issued(DocumentKind.PANEL_MINUTES) == []


def test_a_closing_rolled_back_leaves_no_minutes(room):
    _complete(room)
    close_record(room.panel, actor=room.user(0), at=T0)
    assert len(_issued(DocumentKind.PANEL_MINUTES)) == 1
    db.session.rollback()
    assert _issued(DocumentKind.PANEL_MINUTES) == []
    assert room.panel.minutes_document_id is None


def test_a_sheet_sealed_again_after_the_minutes_reissues_them(app, room):
    _complete(room)
    assert _close(app, room).status_code == 303
    db.session.expire_all()
    [first] = _issued(DocumentKind.PANEL_MINUTES)
    client = login(app.test_client(), room.user(0))
    url = f"/panels/{room.panel_id}/minutes.pdf"
    issued = _get(client, url).data
    sheet = sheet_of(room.member(2), room.application(0))
    reopen_sheet(sheet, "Thành viên ghi nhầm điểm.", actor=room.user(0), at=T0)
    db.session.commit()
    # Until the sheet is sealed again the minutes stand as issued.
    assert _get(client, url).data == issued
    room.seal(2, 0, 86)
    db.session.commit()
    first, second = _issued(DocumentKind.PANEL_MINUTES)
    assert first.superseded_by_id == second.id
    assert room.panel.minutes_document_id == second.id
    assert second.number != first.number
    served = _get(client, url).data
    assert served == document_bytes(second)
    assert "86,00" in pdf_text(served)
