"""The scanned paper form (phiếu chấm) a member printed, signed and handed in, attached to
their sealed sheet (docs/domain.md §7). A PDF or an image (JPEG, PNG), the type read from the
content and checked by opening it, within ``SHEET_SCAN_MAX_BYTES``; stored with the
interview's files (``exam/panels/media.py``). A new scan replaces the previous one, whose file
is kept (``replaced_at``), as a round's papers are archived whole.

The scan shows the member's points: it is read by the member, and by those who read the
panel's sheets once every member scoring the candidate has sealed (``can_read_scan``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, BinaryIO

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from exam.accounts.models import User
from exam.audit.operations import record
from exam.core.db import lock_row
from exam.core.errors import DomainError, ValidationFailed
from exam.core.storage import TooLarge, storage
from exam.extensions import db
from exam.panels import media
from exam.panels.models import ScoreSheet, SheetScan
from exam.panels.permissions import can_view_panel
from exam.panels.queries import all_sealed, current_scan
from exam.panels.sessions import runs_session
from exam.rounds.models import RoundStatus
from exam.rounds.stages import require_stage

SCAN_TYPES = ("application/pdf", "image/jpeg", "image/png")

# The model is exam/panels/models.py::SheetScan, its queries exam/panels/queries.py.


def scan_max_bytes() -> int:
    return int(current_app.config["SHEET_SCAN_MAX_BYTES"])


def can_read_scan(user: Any, sheet: ScoreSheet) -> bool:
    """The sheet's member; else whoever reads the panel, once the candidate's sheets are
    all sealed (the seal on reading, ``all_sealed``)."""
    if sheet.member.user_id == getattr(user, "id", None):
        return True
    panel = sheet.member.panel
    return can_view_panel(user, panel) and all_sealed(panel, sheet.application)


def can_attach_scan(user: Any, sheet: ScoreSheet) -> bool:
    """The sheet's member, or the secretary who collects the signed forms."""
    return sheet.member.user_id == getattr(user, "id", None) or runs_session(
        user, sheet.member.panel
    )


# --- operation ------------------------------------------------------------------------------


def sniff_scan(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a PDF, JPEG or PNG read from its first bytes."""
    if head.startswith(b"%PDF-"):
        return media.PDF
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", ".jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", ".png"
    return None


def _opens(path: Any, content_type: str) -> bool:
    """The file reads as what its first bytes claim (a PDF with pages, a whole image)."""
    try:
        if content_type == "application/pdf":
            return len(PdfReader(path).pages) > 0
        with Image.open(path) as image:
            image.verify()
        return True
    except (PyPdfError, UnidentifiedImageError, ValueError, OSError, SyntaxError):
        return False


def attach_scan(
    sheet: ScoreSheet, *, filename: str, stream: BinaryIO, actor: User, at: dt.datetime
) -> SheetScan:
    """Attach the signed paper form of a sealed sheet (audited with its SHA-256)."""
    panel = sheet.member.panel
    require_stage(
        panel.position.round,
        RoundStatus.INTERVIEWS,
        RoundStatus.RESULTS,
        action=_l("đính kèm phiếu chấm đã ký"),
    )
    if not can_attach_scan(actor, sheet):
        raise DomainError(_l("Chỉ thành viên chấm phiếu này hoặc thư ký của ban đính kèm được."))
    if sheet.submitted_at is None:
        raise DomainError(_l("Phiếu chưa niêm phong: niêm phong rồi mới in, ký và đính kèm."))
    head = stream.read(16)
    stream.seek(0)
    if not head:
        raise ValidationFailed([("file", _l("Tệp rỗng."))])
    sniffed = sniff_scan(head)
    if sniffed is None:
        raise ValidationFailed(
            [("file", _l("Bản quét phải là PDF, JPEG hoặc PNG (kiểm tra theo nội dung tệp)."))]
        )
    content_type, extension = sniffed
    limit = scan_max_bytes()
    try:
        upload = media.store_stream(
            stream,
            filename=filename,
            content_type=content_type,
            extension=extension,
            limit=limit,
        )
    except TooLarge:
        raise ValidationFailed(
            [("file", _l("Tệp quá lớn: tối đa %(n)s MB.", n=f"{limit / 1024 / 1024:g}"))]
        ) from None
    stream.seek(0)  # read from the request's copy: the stored one may be in a bucket
    if not _opens(stream, content_type):
        storage().delete(upload.key)
        raise ValidationFailed([("file", _l("Tệp bị hỏng hoặc không đọc được; hãy quét lại."))])
    lock_row(sheet)  # two uploads at once: the second replaces the first, one stays current
    previous = current_scan(sheet)
    if previous is not None:
        previous.replaced_at = at
    scan = SheetScan(sheet=sheet, **upload.columns(uploaded_by_id=actor.id, uploaded_at=at))
    db.session.add(scan)
    db.session.flush()
    record(
        "panel.sheet_scan",
        scan,
        actor=actor,
        before={"scan_id": previous.id, "sha256": previous.sha256} if previous else None,
        after={
            "score_sheet_id": sheet.id,
            "name": scan.original_name,
            "type": content_type,
            "size": scan.size,
            "sha256": scan.sha256,
        },
    )
    return scan
