"""The supervisory board's page of its round (Giám sát): the round's audit trail with the
chain's verification, and its reports."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from exam.core.auth import get_or_404
from exam.core.db import utcnow
from exam.core.i18n import local_to_utc
from exam.core.pdf import render_pdf
from exam.core.views import submit_form_and_return
from exam.documents.queries import document_bytes
from exam.rounds.models import Round
from exam.rounds.permissions import ensure_in_round
from exam.supervision.forms import ReportForm, TrailFilterForm
from exam.supervision.models import SupervisionReport
from exam.supervision.operations import write_report
from exam.supervision.permissions import can_supervise
from exam.supervision.queries import (
    OBJECT_TYPES,
    TrailFilter,
    chain_status,
    report_document,
    reports_of,
    round_trail,
    trail_actors,
)

bp = Blueprint("supervision", __name__)


def _round_for(round_id: int) -> Round:
    round_ = get_or_404(Round, round_id)
    ensure_in_round(can_supervise(current_user, round_), current_user, round_)
    return round_


def _day_start(day: dt.date | None) -> dt.datetime | None:
    return local_to_utc(dt.datetime.combine(day, dt.time())) if day else None


def _filter(form: TrailFilterForm) -> TrailFilter:
    if not form.validate():
        return TrailFilter()
    until = form.until.data + dt.timedelta(days=1) if form.until.data else None
    return TrailFilter(
        actor_id=form.actor_id.data or None,
        object_type=form.object_type.data or None,
        action=(form.action.data or "").strip(),
        since=_day_start(form.since.data),
        until=_day_start(until),
    )


@bp.get("/rounds/<int:round_id>/supervision")
@login_required
def index(round_id: int) -> str:
    round_ = _round_for(round_id)
    form = TrailFilterForm(request.args)
    form.actor_id.choices = [(0, _("Mọi người"))] + [
        (u.id, f"{u.full_name} ({u.email})") for u in trail_actors(round_.id)
    ]
    form.object_type.choices = [("", _("Mọi loại"))] + [(t, t) for t in OBJECT_TYPES]
    trail = round_trail(round_.id, _filter(form), request.args.get("page", 1, type=int))
    arguments = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "supervision/index.html",
        round=round_,
        form=form,
        trail=trail,
        arguments=arguments,
        chain=chain_status(),
        reports=reports_of(round_.id),
        report_form=ReportForm(),
    )


@bp.post("/rounds/<int:round_id>/supervision/reports")
@login_required
def new_report(round_id: int) -> Response:
    round_ = _round_for(round_id)
    form = ReportForm()
    return submit_form_and_return(
        form,
        lambda: write_report(
            round_,
            scope=form.scope.data,
            findings=form.findings.data,
            recommendations=form.recommendations.data or "",
            author=current_user,
            at=utcnow(),
        ),
        _("Đã lưu báo cáo giám sát."),
        url_for("supervision.index", round_id=round_.id, _anchor="reports"),
    )


@bp.get("/supervision/reports/<int:report_id>.pdf")
@login_required
def report_pdf(report_id: int) -> Response:
    report = get_or_404(SupervisionReport, report_id)
    _round_for(report.round_id)
    if report.document is not None:  # as issued, the same bytes every time
        document = document_bytes(report.document)
    else:
        document = render_pdf("pdf/supervision_report.html", report=report_document(report))
    response = current_app.response_class(document, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="bao-cao-giam-sat-{report.id}.pdf"'
    )
    return response
