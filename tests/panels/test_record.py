"""The panel's record (issue 15 items 7 and 8): each member's sheet as a paper form to sign
(PDF read back) and its signed scan attached; the secretary's attendance and incidents; the
session's minutes read back; the rater statistics for the Council once every sheet is
sealed."""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine
from PIL import Image
from pypdf import PdfReader

from exam.accounts.models import Role, User
from exam.audit.models import AuditEntry
from exam.candidates.models import Application
from exam.candidates.screening import draw_presentation_order
from exam.core.errors import DomainError, ValidationFailed
from exam.core.storage import storage
from exam.extensions import db
from exam.panels import media
from exam.panels.attendance import (
    SessionIncident,
    attendance_of,
    incidents_of,
    record_attendance,
    record_incident,
)
from exam.panels.models import Panel, PanelMember, Relation, ScoreSheet, SheetScan
from exam.panels.operations import DEFAULT_CRITERIA, declare, save_draft, seal_sheet, set_guide
from exam.panels.queries import current_scan, guide_of
from exam.panels.rater_statistics import krippendorff_alpha_interval, panel_statistics
from exam.panels.scans import attach_scan
from exam.panels.sessions import Phase, end_phase, mark_presence, set_session, start_phase
from exam.rounds.models import RoundStatus
from tests.conftest import login
from tests.factories import T0

START = dt.datetime(2026, 12, 10, 1, 30, tzinfo=dt.UTC)  # 08:30 in Hanoi
MAXIMA = (20, 30, 20, 15, 15)


def _text(data: bytes) -> str:
    raw = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(unicodedata.normalize("NFC", raw).split())


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class Room:
    panel_id: int
    application_ids: list[int]  # in the order drawn by lot

    @property
    def panel(self) -> Panel:
        return db.session.get(Panel, self.panel_id)

    def application(self, index: int) -> Application:
        return db.session.get(Application, self.application_ids[index])

    def member(self, index: int) -> PanelMember:
        return self.panel.members[index]

    def user(self, index: int) -> User:
        return self.member(index).user

    def points(self, total: int) -> dict[str, str]:
        """Points summing to ``total`` within the default maxima."""
        values, left = [], total
        for maximum in MAXIMA:
            values.append(str(min(maximum, left)))
            left -= min(maximum, left)
        ids = [str(c.id) for c in guide_of(self.panel.position.round).criteria]
        return dict(zip(ids, values, strict=True))

    def seal(self, member: int, application: int, total: int) -> ScoreSheet:
        seat = self.member(member)
        return seal_sheet(
            seat, self.application(application), self.points(total), actor=seat.user, at=T0
        )


@pytest.fixture
def room(make) -> Room:
    """A panel of three (the head runs the session: no secretary), two candidates in the
    drawn order, the default guide; the second member is the candidate 2's sibling."""
    round_ = make.round()
    position = round_.positions[0]
    applications = [make.application(position) for _ in range(2)]
    panel = make.panel(position, members=3)
    board = make.user(Role.BOARD_ADMIN)
    set_guide(round_, [(str(t), m, str(d)) for t, m, d in DEFAULT_CRITERIA], actor=board)
    make.stage(round_, RoundStatus.INTERVIEWS)
    draw = draw_presentation_order(position, actor=board, at=START)
    by_number = {a.registration_number: a for a in applications}
    ordered = [by_number[n] for n in draw.order]
    chair = panel.members[0].user
    set_session(panel, room="Phòng họp tầng 3", starts_at=START, slot_minutes=150, actor=chair)
    for index, member in enumerate(panel.members):
        for number, application in enumerate(ordered):
            relation = Relation.SIBLING if (index, number) == (1, 1) else Relation.NONE
            declare(member, application, relation, actor=member.user, at=T0)
    db.session.commit()
    return Room(panel.id, [a.id for a in ordered])


def _paper_url(room: Room, sheet: ScoreSheet, what: str = "form.pdf") -> str:
    return f"/panels/{room.panel_id}/sheets/{sheet.id}/{what}"


# --- the paper form of a sheet --------------------------------------------------------------


def test_a_sealed_sheet_prints_as_a_form_to_sign_with_its_points(app, room):
    sheet = room.seal(1, 0, 83)
    db.session.commit()
    # The sheet as issued when sealed (tests/panels/test_issued_papers.py).
    response = login(app.test_client(), room.user(1)).get(
        _paper_url(room, sheet), follow_redirects=True
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    text = _text(response.data)
    candidate = room.application(0)
    assert "PHIẾU CHẤM ĐIỂM" in text.upper()
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert candidate.registration_number in text
    assert candidate.candidate.full_name in text
    assert room.user(1).full_name in text
    for title, _maximum, _descriptor in DEFAULT_CRITERIA:
        assert str(title) in text
    # 20 + 30 + 20 + 13 + 0 = 83, printed with a decimal comma, and the signature line.
    assert "13,00" in text
    assert "83,00" in text
    assert "30,00" in text
    assert "THÀNH VIÊN CHẤM" in text
    assert "Ký, ghi rõ họ tên" in text


def test_nobody_else_prints_a_sheet_before_every_member_has_sealed(app, make, room):
    sheet = room.seal(1, 0, 83)
    db.session.commit()
    for index in (0, 2):  # the head of the panel and another member
        client = login(app.test_client(), room.user(index))
        assert client.get(_paper_url(room, sheet)).status_code == 404
        assert client.get(_paper_url(room, sheet, "paper")).status_code == 404
    room.seal(0, 0, 80)
    room.seal(2, 0, 85)
    db.session.commit()
    client = login(app.test_client(), room.user(0))
    assert client.get(_paper_url(room, sheet), follow_redirects=True).status_code == 200
    council = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    council_client = login(app.test_client(), council)
    assert council_client.get(_paper_url(room, sheet), follow_redirects=True).status_code == 200
    outsider = make.user(Role.PANEL_MEMBER)  # on the interview board, not on this panel
    db.session.commit()
    assert login(app.test_client(), outsider).get(_paper_url(room, sheet)).status_code == 404


def test_a_draft_has_no_paper_form(app, room):
    seat = room.member(1)
    sheet = save_draft(seat, room.application(0), {}, actor=seat.user, at=T0)
    db.session.commit()
    response = login(app.test_client(), room.user(1)).get(_paper_url(room, sheet))
    assert response.status_code == 404


def test_the_signed_scan_is_attached_served_and_replaced(app, room, stored_on):
    sheet = room.seal(1, 0, 83)
    db.session.commit()
    client = login(app.test_client(), room.user(1))
    png = _png()
    response = client.post(
        _paper_url(room, sheet, "paper"),
        data={"file": (io.BytesIO(png), "phieu ky.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    scan = current_scan(sheet)
    assert scan.content_type == "image/png"
    assert scan.original_name.endswith(".png")
    served = client.get(_paper_url(room, sheet, "scan"))
    assert served.status_code == 200
    assert served.data == png
    assert served.headers["Cache-Control"] == "private, no-store"
    assert storage().read(media.key_of(scan.stored_name)) == png
    entry = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.action == "panel.sheet_scan")
        .order_by(AuditEntry.seq.desc())
    ).first()
    assert entry is not None
    # A second scan replaces the first, whose row is kept.
    client.post(
        _paper_url(room, sheet, "paper"),
        data={"file": (io.BytesIO(png + b""), "lai.png")},
        content_type="multipart/form-data",
    )
    db.session.expire_all()
    rows = db.session.scalars(sa.select(SheetScan).order_by(SheetScan.id)).all()
    assert len(rows) == 2
    assert rows[0].replaced_at is not None
    assert rows[1].replaced_at is None
    # The others read it only once every member has sealed.
    other = login(app.test_client(), room.user(0))
    assert other.get(_paper_url(room, sheet, "scan")).status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"just some text pretending", "PDF, JPEG hoặc PNG"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "bị hỏng"),
        (b"%PDF-1.4 broken", "bị hỏng"),
        (b"", "Tệp rỗng"),
    ],
)
def test_a_scan_that_is_not_a_whole_pdf_or_image_is_refused(room, data, message, stored_on):
    sheet = room.seal(1, 0, 83)
    with pytest.raises(ValidationFailed, match=message):
        attach_scan(sheet, filename="x.png", stream=io.BytesIO(data), actor=room.user(1), at=T0)
    assert db.session.scalars(sa.select(SheetScan)).all() == []
    assert list(storage().listing("uploads")) == []  # a broken file is not kept


def test_a_scan_over_the_limit_is_refused_in_words(app, room):
    sheet = room.seal(1, 0, 83)
    db.session.commit()
    app.config["SHEET_SCAN_MAX_BYTES"] = 100
    response = login(app.test_client(), room.user(1)).post(
        _paper_url(room, sheet, "paper"),
        data={"file": (io.BytesIO(_png() + b"\x00" * 200), "a.png")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Tệp quá lớn" in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(SheetScan)).all() == []


def test_only_the_member_or_the_secretary_attaches_and_only_to_a_sealed_sheet(app, room):
    sheet = room.seal(1, 0, 83)
    draft = save_draft(room.member(2), room.application(0), {}, actor=room.user(2), at=T0)
    with pytest.raises(DomainError, match="chưa niêm phong"):
        attach_scan(draft, filename="a.png", stream=io.BytesIO(_png()), actor=room.user(2), at=T0)
    # The head runs this session (no secretary): they collect the signed forms.
    attach_scan(sheet, filename="a.png", stream=io.BytesIO(_png()), actor=room.user(0), at=T0)
    room.seal(0, 0, 80)
    room.seal(2, 0, 85)
    db.session.commit()
    # Another member reads it once all are sealed, but cannot attach one.
    client = login(app.test_client(), room.user(2))
    assert client.get(_paper_url(room, sheet, "paper")).status_code == 200
    response = client.post(
        _paper_url(room, sheet, "paper"),
        data={"file": (io.BytesIO(_png()), "a.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403


# --- attendance and incidents ---------------------------------------------------------------


def test_the_secretary_records_attendance_and_incidents_audited(app, room):
    client = login(app.test_client(), room.user(0))
    base = f"/panels/{room.panel_id}/record"
    assert client.get(base).status_code == 200
    assert client.post(f"{base}/members/{room.member(0).id}/present").status_code == 303
    assert client.post(f"{base}/members/{room.member(2).id}/absent").status_code == 303
    assert client.post(f"{base}/members/{room.member(2).id}/present").status_code == 303
    assert client.post(f"{base}/members/{room.member(1).id}/absent").status_code == 303
    assert client.post(f"{base}/members/{room.member(1).id}/maybe").status_code == 404
    with time_machine.travel(START + dt.timedelta(hours=1), tick=False):
        client = login(app.test_client(), room.user(0))  # signed in at the session's time
        response = client.post(
            base,
            data={"occurred_at": "10/12/2026 09:15", "description": "Mất điện 5 phút."},
            follow_redirects=True,
        )
    assert "Mất điện 5 phút." in response.get_data(as_text=True)
    panel = room.panel
    assert attendance_of(panel) == {
        room.user(0).id: True,
        room.user(1).id: False,
        room.user(2).id: True,
    }
    [incident] = incidents_of(panel)
    assert incident.occurred_at == dt.datetime(2026, 12, 10, 2, 15, tzinfo=dt.UTC)
    actions = db.session.scalars(
        sa.select(AuditEntry.action)
        .where(AuditEntry.action.in_(["panel.attendance", "panel.incident"]))
        .order_by(AuditEntry.seq)
    ).all()
    assert actions == ["panel.attendance"] * 4 + ["panel.incident"]


def test_a_member_who_does_not_run_the_session_records_nothing(app, room):
    client = login(app.test_client(), room.user(1))
    base = f"/panels/{room.panel_id}/record"
    assert client.get(base).status_code == 403
    assert client.post(f"{base}/members/{room.member(1).id}/present").status_code == 403
    with pytest.raises(DomainError, match="thư ký"):
        record_attendance(room.panel, room.member(1), present=True, actor=room.user(1), at=T0)
    with pytest.raises(DomainError, match="thư ký"):
        record_incident(room.panel, occurred_at=T0, description="x", actor=room.user(1), at=T0)


@pytest.mark.parametrize(
    ("description", "later", "message"),
    [("   ", 0, "mô tả"), ("Có người vào phòng.", 5, "tương lai"), ("x" * 2001, 0, "tối đa")],
)
def test_an_incident_needs_words_and_a_past_time(room, description, later, message):
    with pytest.raises(ValidationFailed, match=message):
        record_incident(
            room.panel,
            occurred_at=T0 + dt.timedelta(minutes=later),
            description=description,
            actor=room.user(0),
            at=T0,
        )
    assert db.session.scalars(sa.select(SessionIncident)).all() == []


def test_a_member_of_another_panel_is_refused(make, room):
    other = make.panel(make.round().positions[0])
    with pytest.raises(DomainError, match="không phải thành viên"):
        record_attendance(room.panel, other.members[0], present=True, actor=room.user(0), at=T0)


# --- the minutes ----------------------------------------------------------------------------


def test_the_minutes_read_back_with_attendance_order_times_declarations_incidents_sheets(
    app, make, room
):
    panel, chair = room.panel, room.user(0)
    first, second = room.application(0), room.application(1)
    record_attendance(panel, room.member(0), present=True, actor=chair, at=T0)
    record_attendance(panel, room.member(1), present=True, actor=chair, at=T0)
    record_attendance(panel, room.member(2), present=False, actor=chair, at=T0)
    mark_presence(panel, first, present=True, actor=chair, at=START)
    start_phase(panel, first, Phase.PRESENTATION, actor=chair, at=START)
    end_phase(panel, first, Phase.PRESENTATION, actor=chair, at=START + dt.timedelta(minutes=40))
    mark_presence(panel, second, present=False, actor=chair, at=START)
    record_incident(
        panel,
        occurred_at=START + dt.timedelta(minutes=10),
        description="Máy chiếu hỏng, thay máy khác.",
        actor=chair,
        at=START + dt.timedelta(minutes=20),
    )
    room.seal(0, 0, 80)
    room.seal(1, 0, 90)
    room.seal(2, 0, 84)
    room.seal(0, 1, 70)  # the second candidate: one member of two has sealed
    db.session.commit()
    response = login(app.test_client(), room.user(2)).get(f"/panels/{room.panel_id}/minutes.pdf")
    assert response.status_code == 200
    text = _text(response.data)
    assert "BIÊN BẢN" in text.upper()
    assert panel.name in text
    assert "Phòng họp tầng 3" in text
    for index in range(3):
        assert room.user(index).full_name in text
    assert "Có mặt" in text
    assert "Vắng mặt" in text
    # The order drawn by lot, with the recorded times (Hanoi time).
    first_turn = f"1 {first.registration_number} {first.candidate.full_name} 10/12/2026 08:30"
    second_turn = f"2 {second.registration_number} {second.candidate.full_name} 10/12/2026 11:00"
    assert f"{first_turn} Có mặt" in text
    assert f"{second_turn} Vắng mặt" in text
    assert "10/12/2026 08:30 – 10/12/2026 09:10" in text
    # The declarations: the second member's sibling, recused.
    assert "Anh, chị, em ruột" in text
    assert "không chấm thí sinh này" in text
    assert "Kê khai không có quan hệ gia đình với thí sinh nào." in text
    assert "10/12/2026 08:40: Máy chiếu hỏng, thay máy khác." in text
    # The signature lines: the head, and the other member present (not the one absent).
    signing = text[text.index("CÁC THÀNH VIÊN") : text.index("Nơi nhận")]
    assert room.user(1).full_name in signing
    assert room.user(2).full_name not in signing
    # The annex: each member's points for the first candidate, none for the second yet.
    assert "PHỤ LỤC" in text.upper()
    assert "80,00" in text
    assert "90,00" in text
    assert "84,00" in text
    assert "84,67" in text
    assert "70,00" not in text
    assert "Chưa đủ phiếu niêm phong: không in điểm." in text


def test_the_minutes_are_for_the_panel_and_those_who_oversee_it(app, make, room):
    outsider = make.user(Role.PANEL_MEMBER)
    candidate = room.application(0).candidate
    db.session.commit()
    for user in (outsider, candidate):
        response = login(app.test_client(), user).get(f"/panels/{room.panel_id}/minutes.pdf")
        assert response.status_code == 404


# --- rater statistics -----------------------------------------------------------------------


def test_krippendorffs_alpha_matches_the_papers_worked_example():
    """Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the 4 observers ×
    12 units example with missing values: interval alpha = 0.849."""
    n = None
    coders = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, n, n, n],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, n, 3],
        [n, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, n],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, n],
    ]
    units = [list(unit) for unit in zip(*coders, strict=True)]
    assert round(krippendorff_alpha_interval(units), 3) == 0.849


def test_alpha_is_one_for_perfect_agreement_and_undefined_without_variation():
    assert krippendorff_alpha_interval([[80, 80], [60, 60], [70, None, 70]]) == 1.0
    assert krippendorff_alpha_interval([[70, 70], [70, 70]]) is None
    assert krippendorff_alpha_interval([[70, None], [None, 60]]) is None


@pytest.fixture
def scored(room) -> Room:
    """Both candidates sealed by every member who scores them: the first 90/60/61 (mean
    70.33, trimmed 61), the second 66 and 66 (member 1 recused)."""
    room.seal(0, 0, 90)
    room.seal(1, 0, 60)
    room.seal(2, 0, 61)
    room.seal(0, 1, 66)
    room.seal(2, 1, 66)
    db.session.commit()
    return room


def test_statistics_severity_and_the_order_under_a_trimmed_mean(scored):
    stats = panel_statistics(scored.panel)
    deviations = {s.member.id: s.mean_deviation for s in stats.severities}
    # First candidate's mean 70.333…: +19.67, -10.33, -9.33; second's 66: 0 and 0.
    assert deviations == {
        scored.member(0).id: Decimal("9.83"),
        scored.member(1).id: Decimal("-10.33"),
        scored.member(2).id: Decimal("-4.67"),
    }
    [order] = stats.orders
    assert [a.id for a, _ in order.by_mean] == scored.application_ids
    assert [a.id for a, _ in order.by_trimmed] == scored.application_ids[::-1]
    assert {(m.application.id, m.rank_by_mean, m.rank_by_trimmed) for m in order.moves} == {
        (scored.application_ids[0], 1, 2),
        (scored.application_ids[1], 2, 1),
    }
    assert stats.alpha is not None
    assert stats.alpha < 0.5


def test_the_statistics_page_waits_for_every_sheet_and_is_for_the_council(app, make, room):
    council = make.user(Role.BOARD_ADMIN)
    supervisor = make.user(Role.SUPERVISOR)
    db.session.commit()
    url = f"/panels/{room.panel_id}/statistics"
    room.seal(0, 0, 90)
    room.seal(1, 0, 60)
    room.seal(2, 0, 61)
    room.seal(0, 1, 66)
    save_draft(room.member(2), room.application(1), {}, actor=room.user(2), at=T0)
    db.session.commit()
    assert login(app.test_client(), council).get(url).status_code == 404  # a draft is open
    room.seal(2, 1, 66)
    db.session.commit()
    for user in (council, supervisor):
        page = login(app.test_client(), user).get(url)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "Krippendorff" in html
        assert "hạng 1 thành hạng 2" in html
    # Alpha with three decimals and the decimal comma.
    assert re.search(r"Krippendorff[^<]*<strong>-?\d,\d{3}</strong>", html)
    # A member of the panel is not the Council.
    assert login(app.test_client(), room.user(0)).get(url).status_code == 404


def test_the_annex_marks_the_recused_member_and_prints_in_vietnamese_for_an_english_reader(
    app, scored
):
    client = login(app.test_client(), scored.user(0))
    client.post("/language", data={"language": "en", "next": "/"})
    text = _text(client.get(f"/panels/{scored.panel_id}/minutes.pdf").data)
    second = scored.application(1)
    annex = text[text.index(f"{second.registration_number} – {second.candidate.full_name}") :]
    # Member 1 (the sibling) did not score the second candidate; the two others gave 66.
    assert "Không chấm" in annex
    assert "Tổng điểm 66,00 Không chấm 66,00" in annex
    assert "Điểm của ban: 66,00." in annex
