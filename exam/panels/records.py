"""The panel's papers issued once through the documents registry (exam/documents): each
member's sheet when it is sealed, the session's minutes when the secretary completes the
record. Both are then the same bytes at every download, with their verification code and QR
code; who reads them stays who read them before (the seal on reading, the panel's readers).

A sheet the head reopens and the member seals again is re-issued (the earlier marked replaced).
Once the minutes are issued the record is closed: attendance, turns and incidents are no
longer written (exam/panels/attendance.py, sessions.py); a sheet sealed afterwards (a re-score
the head ordered) changes their annex, so the minutes are re-issued as soon as the record is
complete again, under a new number of the Council's register."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.core.db import lock_row
from exam.core.documents import COUNCIL, Verification
from exam.core.errors import DomainError, ValidationFailed
from exam.core.i18n import to_local
from exam.core.pdf import render_pdf
from exam.documents.models import DocumentKind, IssuedDocument
from exam.documents.numbering import split_number, suggested_number
from exam.documents.operations import issue_document, reissue_document
from exam.documents.permissions import register_access
from exam.extensions import db
from exam.panels.attendance import attendance_of
from exam.panels.documents import MINUTES_SYMBOL, MinutesIssue, minutes_document, sheet_document
from exam.panels.models import Panel, ScoreSheet
from exam.panels.permissions import can_view_panel
from exam.panels.queries import awaits_ruling, panel_score
from exam.panels.scans import can_read_scan
from exam.panels.sessions import running_turn, runs_session, session_of, timetable
from exam.rounds.models import RoundStatus
from exam.rounds.stages import require_stage

# --- the member's sheet -----------------------------------------------------------------------

_RESEAL = re.compile(r"-L(\d+)$")


def sheet_number(sheet: ScoreSheet, previous: IssuedDocument | None) -> str:
    """The sheet's reference in the registry. NĐ 30 prints no number on a phiếu chấm, but
    the registry files every document under one: the panel, the member's seat and the
    candidate's registration number ("PC-3-7-48213"), "-L2", "-L3" for a sheet sealed again.
    Letters first, so it never reads as a number of the Council's register."""
    base = (
        f"PC-{sheet.member.panel_id}-{sheet.panel_member_id}-"
        f"{sheet.application.registration_number or sheet.application_id}"
    )
    if previous is None:
        return base
    found = _RESEAL.search(previous.number)
    return f"{base}-L{int(found[1]) + 1 if found else 2}"


def issue_sheet(sheet: ScoreSheet, *, actor: User, at: dt.datetime) -> IssuedDocument:
    """Issue the sheet just sealed (re-issue it when it was issued before), dated its seal."""
    panel = sheet.member.panel
    previous = sheet.document
    reference = sheet_number(sheet, previous)
    fields: dict[str, Any] = {
        "number": reference,
        "title": (
            f"Phiếu chấm phỏng vấn, đề án – {panel.name} – thí sinh số báo danh "
            f"{sheet.application.registration_number or ''}"
        ),
        "issuer": COUNCIL,
        "issued_on": to_local(at).date(),
        "render": lambda verification: render_pdf(
            "pdf/panel_sheet.html", **sheet_document(sheet, verification=verification)
        ),
        "actor": actor,
    }
    if previous is None:
        document = issue_document(
            kind=DocumentKind.PANEL_SHEET, round_=panel.position.round, **fields
        )
    else:
        document = reissue_document(previous, **fields)
    sheet.document = document
    db.session.flush()
    return document


# --- the session's minutes --------------------------------------------------------------------


def record_gaps(panel: Panel) -> list[str]:
    """What the record still lacks before its minutes can be issued, in words (empty when
    complete): the session set, every member's attendance, every candidate's turn recorded
    and over, every candidate heard with a panel score (sheets sealed, no spread waiting for
    the head's ruling)."""
    gaps: list[str] = []
    if session_of(panel) is None:
        gaps.append(str(_l("Chưa lập lịch buổi phỏng vấn (phòng, giờ bắt đầu).")))
    attended = attendance_of(panel)
    unrecorded = [m.user.full_name for m in panel.members if m.user_id not in attended]
    if unrecorded:
        gaps.append(
            str(
                _l(
                    "Chưa ghi nhận thành viên có mặt hay vắng mặt: %(names)s.",
                    names=", ".join(unrecorded),
                )
            )
        )
    slots = timetable(panel)
    if not slots:
        gaps.append(str(_l("Chưa có thứ tự trình bày của thí sinh (chưa bốc thăm).")))
    if running_turn(panel) is not None:
        gaps.append(str(_l("Một phần thi đang diễn ra: hãy kết thúc trước.")))
    unmarked, unfinished, unscored, unruled = [], [], [], []
    for slot in slots:
        number = slot.application.registration_number or str(slot.application.id)
        turn = slot.turn
        if turn is None or turn.present is None:
            unmarked.append(number)
        elif turn.present:
            if turn.questions_ended_at is None:
                unfinished.append(number)
            if awaits_ruling(panel, slot.application):
                unruled.append(number)
            elif panel_score(panel, slot.application) is None:
                unscored.append(number)
    if unmarked:
        gaps.append(
            str(_l("Chưa ghi nhận thí sinh có mặt hay vắng mặt: %(n)s.", n=", ".join(unmarked)))
        )
    if unfinished:
        gaps.append(str(_l("Thí sinh chưa kết thúc phần hỏi đáp: %(n)s.", n=", ".join(unfinished))))
    if unscored:
        gaps.append(
            str(_l("Thí sinh chưa đủ phiếu chấm đã niêm phong: %(n)s.", n=", ".join(unscored)))
        )
    if unruled:
        gaps.append(
            str(_l("Điểm chênh lệch chờ Trưởng ban quyết định: %(n)s.", n=", ".join(unruled)))
        )
    return gaps


def record_closed(panel: Panel) -> bool:
    """The minutes are issued: the session's record is no longer written."""
    return panel.minutes_document_id is not None


def close_record(panel: Panel, *, actor: User, at: dt.datetime) -> IssuedDocument:
    """The secretary completes the session's record: its minutes are issued, numbered in the
    Council's register and dated today; the record is closed from then on."""
    if not runs_session(actor, panel):
        raise DomainError(_l("Chỉ thư ký của ban điều hành buổi phỏng vấn."))
    # Also once the results are being aggregated: the record no longer changes then, and a
    # panel whose secretary had not completed it still gets its minutes issued.
    require_stage(
        panel.position.round,
        RoundStatus.INTERVIEWS,
        RoundStatus.RESULTS,
        action=_l("hoàn tất biên bản phỏng vấn"),
    )
    lock_row(panel)  # a second click waits, then finds the minutes issued
    if record_closed(panel):
        raise DomainError(_l("Biên bản buổi phỏng vấn này đã được ban hành."))
    if gaps := record_gaps(panel):
        raise ValidationFailed([(None, gap) for gap in gaps])
    document = _issue_minutes(panel, actor=actor, at=at, previous=None)
    record(
        "panel.close_record",
        panel,
        actor=actor,
        after={"document_id": document.id, "number": document.number},
    )
    return document


def minutes_follow(panel: Panel, *, actor: User, at: dt.datetime) -> IssuedDocument | None:
    """After a sheet is sealed or a spread ruled once the minutes are issued: what their annex
    prints changed, so they are re-issued, once the record is complete again."""
    if not record_closed(panel) or record_gaps(panel):
        return None
    previous = db.session.get(IssuedDocument, panel.minutes_document_id)
    assert previous is not None
    return _issue_minutes(panel, actor=actor, at=at, previous=previous)


def _issue_minutes(
    panel: Panel, *, actor: User, at: dt.datetime, previous: IssuedDocument | None
) -> IssuedDocument:
    round_ = panel.position.round
    issued_on = to_local(at).date()
    number = suggested_number(round_.id, COUNCIL, MINUTES_SYMBOL, on=issued_on)
    sequence, _symbol = split_number(number)

    def render(verification: Verification) -> bytes:
        issue = MinutesIssue(issued_at=at, sequence=sequence, verification=verification)
        return render_pdf("pdf/panel_minutes.html", **minutes_document(panel, issue))

    fields: dict[str, Any] = {
        "number": number,
        "title": f"Biên bản buổi phỏng vấn, trình bày đề án của {panel.name} – {round_.name}",
        "issuer": COUNCIL,
        "issued_on": issued_on,
        "render": render,
        "actor": actor,
    }
    if previous is None:
        document = issue_document(kind=DocumentKind.PANEL_MINUTES, round_=round_, **fields)
    else:
        document = reissue_document(previous, **fields)
    panel.minutes_document_id = document.id
    db.session.flush()
    return document


# --- who downloads them -----------------------------------------------------------------------


def _newest(doc: IssuedDocument) -> IssuedDocument:
    """The document that replaced ``doc`` last (``doc`` itself when never replaced): the
    domain row points at the newest."""
    while doc.superseded_by is not None:
        doc = doc.superseded_by
    return doc


def _can_read_sheet_document(user: Any, doc: IssuedDocument) -> bool:
    """As the sheet's paper form: sealed now, and the member or, once every member scoring
    the candidate has sealed, the panel's readers (exam/panels/scans.py::can_read_scan)."""
    sheet = db.session.scalar(
        sa.select(ScoreSheet).where(ScoreSheet.document_id == _newest(doc).id)
    )
    return sheet is not None and sheet.submitted_at is not None and can_read_scan(user, sheet)


def _can_read_minutes_document(user: Any, doc: IssuedDocument) -> bool:
    """As the minutes' page: the panel's members, the Council, the supervisory board."""
    panel = db.session.scalar(sa.select(Panel).where(Panel.minutes_document_id == _newest(doc).id))
    return panel is not None and can_view_panel(user, panel)


register_access(DocumentKind.PANEL_SHEET, _can_read_sheet_document)
register_access(DocumentKind.PANEL_MINUTES, _can_read_minutes_document)
