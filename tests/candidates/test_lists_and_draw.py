"""The published lists (Excel, and the PDF notice laid out per NĐ 30/2020), the lot for the
order of presentations with its recorded seed, and the summons."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from pypdf import PdfReader

from exam.accounts.models import Role
from exam.audit.models import AuditEntry
from exam.candidates.models import Application, ApplicationStatus, PresentationDraw
from exam.candidates.queries import draw_checks_out, eligibility_notice, lot_key
from exam.candidates.screening import (
    decide_eligibility,
    draw_presentation_order,
    send_summons,
)
from exam.core.errors import DomainError
from exam.extensions import db
from exam.notices.models import NoticeKind, OutboxMessage
from exam.rounds.operations import advance_round
from tests.conftest import login
from tests.core.test_official_documents import orm_objects_in
from tests.factories import T0

AFTER = T0 + dt.timedelta(days=40)


@pytest.fixture
def screened(make):
    """Three eligible dossiers (001–003) and one rejected, the round in screening."""
    board = make.user(Role.BOARD_ADMIN)
    round_ = make.round(board=board)
    position = round_.positions[0]
    eligible = [make.dossier(position) for _ in range(3)]
    rejected = make.dossier(position, documents=False)
    advance_round(round_, actor=board, at=AFTER)
    advance_round(round_, actor=board, at=AFTER)
    for application in eligible:
        decide_eligibility(application, eligible=True, reason="", actor=board, at=AFTER)
    decide_eligibility(
        rejected,
        eligible=False,
        reason="Thiếu văn bản đồng ý của cơ quan quản lý.",
        actor=board,
        at=AFTER,
    )
    db.session.commit()
    return round_, board


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_the_eligible_list_exports_to_excel_by_registration_number(app, screened):
    round_, board = screened
    response = login(app.test_client(), board).get(
        f"/rounds/{round_.id}/applications/eligible.xlsx"
    )
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    rows = list(load_workbook(io.BytesIO(response.data)).active.values)
    assert rows[0][0] == "DANH SÁCH THÍ SINH ĐỦ ĐIỀU KIỆN DỰ THI TUYỂN"
    assert rows[3][:5] == ("STT", "Họ và tên", "Ngày sinh", "Nam/Nữ", "SBD")
    assert [r[4] for r in rows[4:]] == ["001", "002", "003"]
    assert rows[4][2] == "17/05/1985"


def test_the_not_eligible_list_gives_the_reasons(app, screened):
    round_, board = screened
    response = login(app.test_client(), board).get(
        f"/rounds/{round_.id}/applications/not-eligible.xlsx"
    )
    rows = list(load_workbook(io.BytesIO(response.data)).active.values)
    assert rows[3][-1] == "Lý do"
    assert rows[4][-1] == "Thiếu văn bản đồng ý của cơ quan quản lý."
    assert len(rows) == 5


def test_the_pdf_notice_follows_nd_30(app, screened):
    round_, board = screened
    client = login(app.test_client(), board)
    response = client.get(f"/rounds/{round_.id}/applications/eligible.pdf?number=5")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = _pdf_text(response.data)
    for words in (
        "UBND THÀNH PHỐ HÀ NỘI",
        "HỘI ĐỒNG THI TUYỂN",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: 05/TB-HĐTT",
        "Hà Nội, ngày",
        "THÔNG BÁO",
        "Danh sách thí sinh đủ điều kiện dự thi tuyển",
        "TM. HỘI ĐỒNG THI TUYỂN",
        "CHỦ TỊCH",
        "Nơi nhận:",
        "001",
        "003",
    ):
        assert words in text, words
    rejected = _pdf_text(client.get(f"/rounds/{round_.id}/applications/not-eligible.pdf").data)
    assert "không đủ điều kiện dự thi tuyển" in rejected
    assert "Thiếu văn bản đồng ý của cơ quan quản lý." in rejected
    assert "Số: /TB-HĐTT" in rejected  # no number given: left blank to be filled by hand


def test_exports_are_for_the_board_and_the_supervisors(app, make, screened):
    round_, _ = screened
    candidate, supervisor = make.user(Role.CANDIDATE), make.user(Role.SUPERVISOR)
    db.session.commit()
    url = f"/rounds/{round_.id}/applications/eligible.xlsx"
    assert login(app.test_client(), candidate).get(url).status_code == 404  # no seat: no round
    assert login(app.test_client(), supervisor).get(url).status_code == 200
    assert app.test_client().get(url).status_code == 302


def test_the_lot_is_drawn_once_recorded_and_rechecked(app, make, screened):
    round_, board = screened
    position = round_.positions[0]
    with pytest.raises(DomainError, match="Chỉ được bốc thăm thứ tự trình bày khi"):
        draw_presentation_order(position, actor=board, at=AFTER)
    advance_round(round_, actor=board, at=AFTER)  # testing
    db.session.commit()
    client = login(app.test_client(), board)
    assert client.post(f"/positions/{position.id}/draw").status_code == 302
    db.session.expire_all()
    draw = db.session.scalars(sa.select(PresentationDraw)).one()
    assert sorted(draw.order) == ["001", "002", "003"]
    assert draw_checks_out(draw)
    assert draw.order == sorted(draw.order, key=lambda n: lot_key(draw.seed, n))
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "position.draw")
    ).one()
    assert entry.after["seed"] == draw.seed
    assert entry.after["order"] == draw.order
    again = client.post(f"/positions/{position.id}/draw", follow_redirects=True)
    assert "Vị trí này đã bốc thăm; kết quả không thay đổi." in again.get_data(as_text=True)
    # Anyone can see the seed and re-check it; only the board sees names.
    public = app.test_client().get(f"/positions/{position.id}/draw").get_data(as_text=True)
    assert draw.seed in public
    assert "Khớp" in public
    assert lot_key(draw.seed, draw.order[0]) in public
    assert "Người Dùng" not in public
    # Explained in words for a civil servant, not with a shell command.
    assert "Thứ tự này được tính thế nào" in public
    assert f"«{draw.seed}:001»" in public
    assert "sha256sum" not in public
    assert "Người Dùng" in client.get(f"/positions/{position.id}/draw").get_data(as_text=True)
    # Tampering with the recorded order is visible.
    draw.order = list(reversed(draw.order))
    db.session.commit()
    assert "Không khớp" in app.test_client().get(f"/positions/{position.id}/draw").get_data(
        as_text=True
    )


def test_summons_are_queued_once_with_the_schedule(make, screened):
    round_, board = screened
    with pytest.raises(DomainError):
        send_summons(round_, actor=board, at=AFTER)  # still screening
    advance_round(round_, actor=board, at=AFTER)
    with pytest.raises(DomainError, match="chưa có lịch thi"):
        send_summons(round_, actor=board, at=AFTER)
    round_.test_date = dt.date(2026, 4, 20)
    round_.presentation_starts_on = dt.date(2026, 5, 4)
    draw = draw_presentation_order(round_.positions[0], actor=board, at=AFTER)
    assert send_summons(round_, actor=board, at=AFTER) == 3
    summons = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.kind == NoticeKind.SUMMONS)
    ).all()
    assert len(summons) == 3
    first = next(m for m in summons if f"số báo danh {draw.order[0]}," in m.body)
    assert "Thi trắc nghiệm: ngày 20/04/2026." in first.body
    assert "Thứ tự trình bày (bốc thăm): 1." in first.body
    with pytest.raises(DomainError, match="Không còn thí sinh nào cần gửi giấy triệu tập"):
        send_summons(round_, actor=board, at=AFTER)
    eligible = db.session.scalars(
        sa.select(Application).where(Application.status == ApplicationStatus.ELIGIBLE)
    ).all()
    assert all(a.summoned_at == AFTER for a in eligible)


def test_the_notice_is_printed_from_plain_data(screened):
    round_, _ = screened
    notice = eligibility_notice(round_, ApplicationStatus.ELIGIBLE, number=None, at=AFTER)
    assert orm_objects_in(notice) == []
    assert [row.registration_number for row in notice.rows] == ["001", "002", "003"]
    rejected = eligibility_notice(round_, ApplicationStatus.NOT_ELIGIBLE, number=None, at=AFTER)
    assert [row.reason for row in rejected.rows] == ["Thiếu văn bản đồng ý của cơ quan quản lý."]
