"""The results' files (routes on the results' blueprint, imported by the app factory): the
results list PDF made in the background with its progress page and stored download, the Excel
export, the board's report with the charts, the proposal for the winners; and the charts of
the results page."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from exam.core.auth import get_or_404
from exam.core.db import utcnow
from exam.core.jobs import Job, dispatch, job_status, recent_jobs
from exam.core.storage import storage
from exam.core.views import run_operation
from exam.documents.models import DocumentKind
from exam.documents.permissions import register_access
from exam.results import document_jobs
from exam.results.charts import svg_data_uri
from exam.results.documents import distributions, render_results_report
from exam.results.export import results_workbook
from exam.results.models import Ranking
from exam.results.permissions import can_compute_results, can_view_results
from exam.results.queries import latest_ranking, published_ranking
from exam.results.reports import issue_results_report, report_to_issue
from exam.results.views import bp
from exam.rounds.models import Position
from exam.rounds.permissions import ensure_in_round

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The board's report once issued: read by the round's Council and supervisory board, as the
# results themselves.
register_access(DocumentKind.RESULTS_REPORT, lambda user, doc: can_view_results(user, doc.round))


def _position_for_viewer(position_id: int) -> Position:
    position = get_or_404(Position, position_id)
    ensure_in_round(can_view_results(current_user, position.round), current_user, position.round)
    return position


def _ranking_or_back(position: Position) -> Ranking | Response:
    ranking = latest_ranking(position.id)
    if ranking is None:
        flash(_("Chưa tổng hợp kết quả."), "warning")
        return redirect(url_for("results.show", position_id=position.id))
    return ranking


def _download(data: bytes, mimetype: str, name: str) -> Response:
    response = current_app.response_class(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.app_template_global()
def results_charts(ranking: Ranking) -> list[tuple[str, str]]:
    """(part name, chart address) for each part and the total, for the results page."""
    return [(d.name, svg_data_uri(d.svg)) for d in distributions(ranking)]


# --- the results list, made in the background ------------------------------------------------


@bp.post("/positions/<int:position_id>/results/pdf-jobs")
@login_required
def start_pdf(position_id: int) -> Response:
    position = _position_for_viewer(position_id)
    # A job is a write: those who compute the results start it; readers download it.
    ensure_in_round(can_compute_results(current_user, position.round), current_user, position.round)
    ranking = _ranking_or_back(position)
    if not isinstance(ranking, Ranking):
        return ranking
    job_id = run_operation(
        lambda: document_jobs.start_results_pdf(ranking, actor=current_user).id,
        _("Đã bắt đầu tạo bảng kết quả (PDF)."),
    )
    if job_id is None:
        return redirect(url_for("results.show", position_id=position.id))
    dispatch(job_id)  # after the commit: the job reads the committed ranking
    return redirect(url_for("results.pdf_job", position_id=position.id, job_id=job_id))


def _job_or_404(position: Position, job_id: int) -> Job:
    job = get_or_404(Job, job_id)
    if job.kind != document_jobs.KIND or job.payload.get("position_id") != position.id:
        abort(404)
    return job


@bp.get("/positions/<int:position_id>/results/pdf-jobs/<int:job_id>")
@login_required
def pdf_job(position_id: int, job_id: int) -> Response:
    """The job's progress: the page polls the JSON below (static/js/job-progress.js);
    without JavaScript, reloading shows it."""
    position = _position_for_viewer(position_id)
    job = _job_or_404(position, job_id)
    response = make_response(
        render_template(
            "results/pdf_job.html",
            position=position,
            job=job,
            status=job_status(job),
            stored=document_jobs.stored_key(job) is not None,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/positions/<int:position_id>/results/pdf-jobs/<int:job_id>.json")
@login_required
def pdf_job_status(position_id: int, job_id: int) -> Response:
    position = _position_for_viewer(position_id)
    response = jsonify(job_status(_job_or_404(position, job_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/positions/<int:position_id>/results/pdf-jobs/<int:job_id>/file")
@login_required
def pdf_file(position_id: int, job_id: int) -> Response:
    """The stored file, as the job made it: nothing is rendered here."""
    position = _position_for_viewer(position_id)
    key = document_jobs.stored_key(_job_or_404(position, job_id))
    if key is None:
        abort(404)
    return storage().send(
        key,
        download_name=f"ket-qua-vi-tri-{position.id}.pdf",
        mimetype="application/pdf",
        as_attachment=True,
    )


@bp.get("/positions/<int:position_id>/results.pdf")
@login_required
def pdf(position_id: int) -> Response:
    return latest_pdf(_position_for_viewer(position_id))


def latest_pdf(position: Position) -> Response:
    """The newest results list stored for the position's current ranking; without one, the
    results page, where the board starts making it."""
    ranking = latest_ranking(position.id)
    stored = document_jobs.latest_results_pdf(ranking) if ranking is not None else None
    if stored is None:
        if ranking is not None:
            flash(_("Hãy tạo bảng kết quả (PDF) trước; tệp được tạo ở chế độ nền."), "info")
        return redirect(url_for("results.show", position_id=position.id))
    job, _key = stored
    return redirect(url_for("results.pdf_file", position_id=position.id, job_id=job.id))


# --- the other files -------------------------------------------------------------------------


@bp.get("/positions/<int:position_id>/results.xlsx")
@login_required
def export_xlsx(position_id: int) -> Response:
    position = _position_for_viewer(position_id)
    ranking = _ranking_or_back(position)
    if not isinstance(ranking, Ranking):
        return ranking
    return _download(results_workbook(ranking), XLSX_MIME, f"ket-qua-vi-tri-{position.id}.xlsx")


@bp.get("/positions/<int:position_id>/results/report.pdf")
@login_required
def report_pdf(position_id: int) -> Response:
    """The report as issued for the published version; before it is issued, a working copy
    of the latest ranking (unnumbered, without a code), rendered on request as before."""
    position = _position_for_viewer(position_id)
    published = published_ranking(position)
    if published is not None and published.decision and published.decision.report_document_id:
        return redirect(
            url_for("documents.download", document_id=published.decision.report_document_id)
        )
    ranking = _ranking_or_back(position)
    if not isinstance(ranking, Ranking):
        return ranking
    data = render_results_report(ranking, at=utcnow())
    return _download(data, "application/pdf", f"bao-cao-ket-qua-vi-tri-{position.id}.pdf")


@bp.post("/positions/<int:position_id>/results/report")
@login_required
def issue_report(position_id: int) -> Response:
    """The board issues the report of the published version (Ban hành báo cáo)."""
    position = _position_for_viewer(position_id)
    ensure_in_round(can_compute_results(current_user, position.round), current_user, position.round)
    ranking = published_ranking(position)
    if ranking is None:
        flash(_("Báo cáo kết quả chỉ ban hành sau khi kết quả được công bố."), "warning")
        return redirect(url_for("results.show", position_id=position.id))
    run_operation(
        lambda: issue_results_report(ranking, actor=current_user, at=utcnow()),
        _("Đã ban hành báo cáo kết quả thi tuyển."),
    )
    return redirect(url_for("results.show", position_id=position.id))


@bp.app_template_global()
def results_report_to_issue(position: Position) -> Ranking | None:
    """The published version whose report the board may issue now (its button), or None."""
    return report_to_issue(position)


@bp.get("/positions/<int:position_id>/results/proposal.pdf")
@login_required
def proposal_pdf(position_id: int) -> Response:
    """The proposal for the winners, once the Council has approved the ranking."""
    position = _position_for_viewer(position_id)
    ranking = _ranking_or_back(position)
    if not isinstance(ranking, Ranking):
        return ranking
    decision = getattr(ranking, "decision", None)
    if decision is None:
        flash(_("Tờ trình chỉ lập sau khi Hội đồng phê duyệt kết quả."), "warning")
        return redirect(url_for("results.show", position_id=position.id))
    if decision.proposal_document_id is None:  # issued once, from the versions page
        flash(_("Hãy ban hành tờ trình (số, ngày) trên trang phê duyệt."), "info")
        return redirect(url_for("results.versions", position_id=position.id, _anchor="proposal"))
    return redirect(url_for("documents.download", document_id=decision.proposal_document_id))


def recent_pdf_jobs(position: Position) -> list[Job]:
    return recent_jobs(document_jobs.KIND, position_id=position.id)
