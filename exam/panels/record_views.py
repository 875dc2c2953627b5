"""Pages of the panel's record, on the panels' blueprint (imported by the app factory): the
signed paper form of a sheet (printed, scanned back), the session's attendance and incidents,
the minutes, and the rater statistics for the Council."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from exam.core.auth import ensure, get_or_404
from exam.core.db import utcnow
from exam.core.http import allows_upload_of
from exam.core.i18n import to_local
from exam.core.pdf import render_pdf
from exam.core.storage import storage
from exam.core.views import refused, run_operation
from exam.panels import media
from exam.panels.attendance import (
    attendance_of,
    incidents_of,
    record_attendance,
    record_incident,
)
from exam.panels.documents import minutes_document, sheet_document
from exam.panels.models import Panel, PanelMember, ScoreSheet
from exam.panels.permissions import can_view_panel
from exam.panels.queries import current_scan
from exam.panels.rater_statistics import panel_statistics
from exam.panels.record_forms import IncidentForm, ScanForm
from exam.panels.records import close_record, record_gaps
from exam.panels.scans import attach_scan, can_attach_scan, can_read_scan, scan_max_bytes
from exam.panels.session_views import UPLOAD_OVERHEAD
from exam.panels.sessions import runs_session
from exam.panels.views import bp
from exam.rounds.permissions import oversees


def _pdf(document: bytes, filename: str) -> Response:
    response = current_app.response_class(document, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- the signed paper form of a sheet -------------------------------------------------------


def _sealed_sheet(panel_id: int, sheet_id: int) -> ScoreSheet:
    """A sealed sheet of the panel the user may read (its member; the panel's readers once
    the candidate's sheets are all sealed), else 404."""
    sheet = get_or_404(ScoreSheet, sheet_id)
    ensure(sheet.member.panel_id == panel_id and sheet.submitted_at is not None, hide=True)
    ensure(can_read_scan(current_user, sheet), hide=True)
    return sheet


@bp.route("/panels/<int:panel_id>/sheets/<int:sheet_id>/paper", methods=["GET", "POST"])
# Set before CSRF's check reads the form: a larger body is refused unread (413).
@allows_upload_of(lambda: scan_max_bytes() + UPLOAD_OVERHEAD)
@login_required
def sheet_paper(panel_id: int, sheet_id: int) -> str | Response:
    """Print the sheet as a form to sign, and attach the signed form's scan."""
    sheet = _sealed_sheet(panel_id, sheet_id)
    may_attach = can_attach_scan(current_user, sheet)
    if request.method == "POST":
        ensure(may_attach)
    form = ScanForm()
    if may_attach and form.validate_on_submit():
        storage = form.file.data
        done = run_operation(
            lambda: attach_scan(
                sheet,
                filename=storage.filename or "",
                stream=storage.stream,
                actor=current_user,
                at=utcnow(),
            ),
            _("Đã đính kèm bản quét phiếu chấm đã ký."),
            form,
        )
        if done:
            return redirect(url_for("panels.sheet_paper", panel_id=panel_id, sheet_id=sheet.id))
    return refused(form) or render_template(
        "panels/sheet_paper.html",
        sheet=sheet,
        panel=sheet.member.panel,
        scan=current_scan(sheet),
        form=form if may_attach else None,
        max_mb=f"{scan_max_bytes() / 1024 / 1024:g}",
    )


@bp.get("/panels/<int:panel_id>/sheets/<int:sheet_id>/form.pdf")
@login_required
def sheet_pdf(panel_id: int, sheet_id: int) -> Response:
    sheet = _sealed_sheet(panel_id, sheet_id)
    if sheet.document_id is not None:  # issued when sealed: its bytes
        return redirect(url_for("documents.download", document_id=sheet.document_id))
    # A sheet sealed before sheets were issued: rendered on request, as then.
    document = render_pdf("pdf/panel_sheet.html", **sheet_document(sheet))
    return _pdf(document, f"phieu-cham-{sheet.application.registration_number}-{sheet.id}.pdf")


@bp.get("/panels/<int:panel_id>/sheets/<int:sheet_id>/scan")
@login_required
def sheet_scan(panel_id: int, sheet_id: int) -> Response:
    sheet = _sealed_sheet(panel_id, sheet_id)
    scan = current_scan(sheet)
    if scan is None:
        abort(404)
    return storage().send(
        media.key_of(scan.stored_name),
        download_name=scan.original_name,
        mimetype=scan.content_type,
        as_attachment=True,
    )


# --- attendance, incidents, minutes ---------------------------------------------------------


def _runner_panel(panel_id: int) -> Panel:
    panel = get_or_404(Panel, panel_id)
    ensure(can_view_panel(current_user, panel), hide=True)
    ensure(runs_session(current_user, panel))
    return panel


@bp.route("/panels/<int:panel_id>/record", methods=["GET", "POST"])
@login_required
def session_record(panel_id: int) -> str | Response:
    """The secretary's record of the session: members present, incidents."""
    panel = _runner_panel(panel_id)
    form = IncidentForm()
    if form.validate_on_submit():
        done = run_operation(
            lambda: record_incident(
                panel,
                occurred_at=form.occurred_at.utc,
                description=form.description.data,
                actor=current_user,
                at=utcnow(),
            ),
            _("Đã ghi sự việc."),
            form,
        )
        if done:
            return redirect(url_for("panels.session_record", panel_id=panel.id))
    if not form.is_submitted():  # the secretary writes it down as it happens
        form.occurred_at.data = to_local(utcnow()).replace(tzinfo=None, second=0, microsecond=0)
    return refused(form) or render_template(
        "panels/record.html",
        panel=panel,
        attendance=attendance_of(panel),
        incidents=incidents_of(panel),
        form=form,
        gaps=record_gaps(panel),
    )


@bp.post("/panels/<int:panel_id>/record/members/<int:member_id>/<state>")
@login_required
def attendance(panel_id: int, member_id: int, state: str) -> Response:
    panel = _runner_panel(panel_id)
    if state not in ("present", "absent"):
        abort(404)
    member = get_or_404(PanelMember, member_id)
    ensure(member.panel_id == panel.id, hide=True)
    run_operation(
        lambda: record_attendance(
            panel, member, present=state == "present", actor=current_user, at=utcnow()
        ),
        _("Đã ghi nhận."),
    )
    return redirect(url_for("panels.session_record", panel_id=panel.id), code=303)


@bp.get("/panels/<int:panel_id>/minutes.pdf")
@login_required
def minutes_pdf(panel_id: int) -> Response:
    panel = get_or_404(Panel, panel_id)
    ensure(can_view_panel(current_user, panel), hide=True)
    if panel.minutes_document_id is not None:  # the record closed: the minutes as issued
        return redirect(url_for("documents.download", document_id=panel.minutes_document_id))
    # The record still open: a copy of it so far, unnumbered and without a code.
    document = render_pdf("pdf/panel_minutes.html", **minutes_document(panel))
    return _pdf(document, f"bien-ban-phong-van-{panel.id}.pdf")


@bp.post("/panels/<int:panel_id>/record/close")
@login_required
def close_session_record(panel_id: int) -> Response:
    """The secretary completes the record: the minutes are issued."""
    panel = _runner_panel(panel_id)
    run_operation(
        lambda: close_record(panel, actor=current_user, at=utcnow()),
        _("Đã hoàn tất và ban hành biên bản buổi phỏng vấn."),
    )
    return redirect(url_for("panels.session_record", panel_id=panel.id), code=303)


# --- rater statistics -----------------------------------------------------------------------


@bp.get("/panels/<int:panel_id>/statistics")
@login_required
def statistics(panel_id: int) -> str:
    """For the Council and the supervisory board, once every sheet of the panel is sealed
    (404 before, as for anyone else)."""
    panel = get_or_404(Panel, panel_id)
    ensure(oversees(current_user, panel.position.round), hide=True)
    found = panel_statistics(panel)
    ensure(found is not None, hide=True)
    alpha = format_decimal(round(found.alpha, 3), "0.000") if found.alpha is not None else ""
    return render_template("panels/statistics.html", panel=panel, stats=found, alpha=alpha)
