from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from exam.accounts.invitations import invite
from exam.candidates import import_jobs, imports, uploads
from exam.candidates.eligibility import DocumentKind, overall
from exam.candidates.forms import (
    ApplicationForm,
    ConfirmImportForm,
    DecisionForm,
    DocumentForm,
    ImportForm,
    NoticeNumberForm,
    WithdrawForm,
)
from exam.candidates.invitations import (
    application_in_round,
    invite_uninvited,
    uninvited_candidates,
)
from exam.candidates.list_notices import issued_list_notice, render_list_notice
from exam.candidates.models import Application, ApplicationDocument, ApplicationStatus
from exam.candidates.operations import (
    DECLARATION_TEXT,
    add_document,
    apply_to_position,
    remove_document,
    update_application,
    withdraw_application,
)
from exam.candidates.paper_dossiers import ImportRefused, import_candidates
from exam.candidates.permissions import (
    can_apply,
    can_decide_eligibility,
    can_draw_lots,
    can_edit_application,
    can_import_candidates,
    can_send_summons,
    can_view_application,
    can_view_candidates,
)
from exam.candidates.queries import (
    applications_for_round,
    applications_of_candidate,
    draw_checks_out,
    draw_of,
    eligible_applications,
    latest_application_of,
    lot_key,
    precheck_of,
    published_list,
    rating_years,
    round_counts,
)
from exam.candidates.screening import (
    decide_eligibility,
    decide_prechecked,
    draw_presentation_order,
    send_summons,
)
from exam.core.auth import ensure, get_or_404, require
from exam.core.db import utcnow
from exam.core.errors import DomainError
from exam.core.jobs import Job, dispatch, job_status, recent_jobs
from exam.core.storage import storage
from exam.core.views import commit_after, refused, run_operation, submit_form_and_return
from exam.rounds.models import Position, Round, RoundStatus
from exam.rounds.permissions import ensure_in_round

bp = Blueprint("candidates", __name__)

LISTS = {"eligible": ApplicationStatus.ELIGIBLE, "not-eligible": ApplicationStatus.NOT_ELIGIBLE}
IMPORT_MAX_BYTES = 5 * 1024 * 1024


def _application_form(round_: Round, **kwargs) -> ApplicationForm:
    return ApplicationForm(
        years=rating_years(round_), declaration_text=str(DECLARATION_TEXT), **kwargs
    )


@bp.route("/positions/<int:position_id>/apply", methods=["GET", "POST"])
@require(can_apply)
def apply(position_id: int) -> str | Response:
    position = get_or_404(Position, position_id)
    if position.round.status == RoundStatus.DRAFT:
        abort(404)
    form = _application_form(position.round)
    if not form.is_submitted() and (earlier := latest_application_of(current_user)):
        form.fill_from(earlier)
    if form.validate_on_submit():
        application = run_operation(
            lambda: apply_to_position(
                current_user,
                position,
                **form.person().__dict__,
                details=form.details(),
                declaration=str(DECLARATION_TEXT),
                at=utcnow(),
            ),
            _("Đã nộp hồ sơ dự tuyển. Hội đồng sẽ xét điều kiện và thông báo kết quả."),
            form,
        )
        if application:
            return redirect(url_for("candidates.show", application_id=application.id))
    return refused(form) or render_template("candidates/apply.html", form=form, position=position)


@bp.get("/applications/")
@require(can_apply)
def mine() -> str:
    return render_template(
        "candidates/mine.html", applications=applications_of_candidate(current_user)
    )


def _load(application_id: int) -> Application:
    """The application, or 404 for anyone who may not see it (existence must not leak)."""
    application = get_or_404(Application, application_id)
    ensure(can_view_application(current_user, application), hide=True)
    return application


def _show(application: Application, **forms) -> str:
    lines = precheck_of(application)
    at = utcnow()
    editable = (
        application.status == ApplicationStatus.SUBMITTED
        and application.round.registration_is_open(at)
        and can_edit_application(current_user, application)
    )
    return render_template(
        "candidates/show.html",
        application=application,
        lines=lines,
        summary=overall(lines),
        editable=editable,
        withdrawable=can_edit_application(current_user, application)
        and application.status in (ApplicationStatus.SUBMITTED, ApplicationStatus.ELIGIBLE)
        and application.round.is_before(RoundStatus.TESTING),
        years=rating_years(application.round),
        form=forms.get("form") or DecisionForm(),
        document_form=forms.get("document_form") or DocumentForm(),
        withdraw_form=forms.get("withdraw_form") or WithdrawForm(),
        max_mb=f"{uploads.max_bytes() / 1024 / 1024:g}",
    )


@bp.get("/applications/<int:application_id>")
@login_required
def show(application_id: int) -> str:
    return _show(_load(application_id))


@bp.route("/applications/<int:application_id>/edit", methods=["GET", "POST"])
@login_required
def edit(application_id: int) -> str | Response:
    application = _load(application_id)
    ensure(can_edit_application(current_user, application))
    form = _application_form(application.round)
    if not form.is_submitted():
        form.fill_from(application)
    if form.validate_on_submit():
        done = run_operation(
            lambda: update_application(
                application,
                person=form.person(),
                details=form.details(),
                declaration=str(DECLARATION_TEXT),
                actor=current_user,
                at=utcnow(),
            ),
            _("Đã lưu hồ sơ."),
            form,
        )
        if done:
            return redirect(url_for("candidates.show", application_id=application.id))
    return refused(form) or render_template(
        "candidates/apply.html", form=form, position=application.position, application=application
    )


@bp.post("/applications/<int:application_id>/withdraw")
@login_required
def withdraw(application_id: int) -> str | Response | tuple[str, int]:
    application = _load(application_id)
    ensure(can_edit_application(current_user, application))
    form = WithdrawForm()
    return submit_form_and_return(
        form,
        lambda: withdraw_application(application, actor=current_user, at=utcnow()),
        _("Đã rút hồ sơ dự tuyển."),
        url_for("candidates.show", application_id=application.id),
    )


@bp.post("/applications/<int:application_id>/documents")
@login_required
def upload(application_id: int) -> str | Response | tuple[str, int]:
    application = _load(application_id)
    ensure(can_edit_application(current_user, application))
    form = DocumentForm()
    if form.validate_on_submit():
        storage = form.file.data
        data = storage.stream.read(uploads.max_bytes() + 1)
        done = run_operation(
            lambda: add_document(
                application,
                kind=DocumentKind(form.kind.data),
                filename=storage.filename or "",
                data=data,
                actor=current_user,
                at=utcnow(),
            ),
            _("Đã tải lên tài liệu."),
            form,
        )
        if done:
            return redirect(url_for("candidates.show", application_id=application.id))
    return refused(form, url_for("candidates.show", application_id=application.id))


def _document(application_id: int, document_id: int) -> ApplicationDocument:
    application = _load(application_id)
    document = get_or_404(ApplicationDocument, document_id)
    if document.application_id != application.id:
        abort(404)
    return document


@bp.get("/applications/<int:application_id>/documents/<int:document_id>")
@login_required
def download(application_id: int, document_id: int) -> Response:
    document = _document(application_id, document_id)
    return storage().send(
        uploads.key_of(document.stored_name),
        download_name=document.display_name,  # werkzeug adds RFC 5987 filename*
        mimetype=document.content_type,
        as_attachment=True,
    )


@bp.post("/applications/<int:application_id>/documents/<int:document_id>/delete")
@login_required
def delete_document(application_id: int, document_id: int) -> Response:
    document = _document(application_id, document_id)
    ensure(can_edit_application(current_user, document.application))
    run_operation(
        lambda: remove_document(document, actor=current_user, at=utcnow()),
        _("Đã xóa tài liệu."),
    )
    return redirect(url_for("candidates.show", application_id=application_id))


@bp.get("/rounds/<int:round_id>/applications")
@login_required
def for_round(round_id: int) -> str:
    round_ = get_or_404(Round, round_id)
    ensure_in_round(can_view_candidates(current_user, round_), current_user, round_)
    status = request.args.get("status")
    wanted = ApplicationStatus(status) if status in {s.value for s in ApplicationStatus} else None
    applications = applications_for_round(round_.id, wanted)
    return render_template(
        "candidates/for_round.html",
        round=round_,
        applications=applications,
        summaries={a.id: overall(precheck_of(a)) for a in applications},
        counts=round_counts(round_),
        status=wanted,
        statuses=list(ApplicationStatus),
        number_form=NoticeNumberForm(request.args),
    )


@bp.post("/applications/<int:application_id>/decide")
@login_required
def decide(application_id: int) -> str | Response | tuple[str, int]:
    application = get_or_404(Application, application_id)
    round_ = application.position.round
    ensure_in_round(can_decide_eligibility(current_user, round_), current_user, round_)
    form = DecisionForm()
    if request.form.get("decision") not in ("eligible", "not_eligible"):
        abort(400)
    eligible = request.form.get("decision") == "eligible"
    if form.validate_on_submit():
        done = run_operation(
            lambda: decide_eligibility(
                application,
                eligible=eligible,
                reason=form.reason.data or "",
                actor=current_user,
                at=utcnow(),
            ),
            _("Đã ghi nhận kết luận."),
            form,
        )
        if done:
            return redirect(url_for("candidates.for_round", round_id=application.round_id))
    return refused(form, url_for("candidates.show", application_id=application.id))


@bp.post("/rounds/<int:round_id>/applications/decide-prechecked")
@login_required
def decide_all_prechecked(round_id: int) -> Response:
    round_ = get_or_404(Round, round_id)
    ensure_in_round(can_decide_eligibility(current_user, round_), current_user, round_)
    decided = run_operation(
        lambda: decide_prechecked(round_, actor=current_user, at=utcnow()),
        _("Đã kết luận đủ điều kiện cho các hồ sơ đạt tất cả tiêu chuẩn."),
    )
    if decided:
        flash(_("Số hồ sơ đã kết luận: %(n)s.", n=len(decided)), "info")
    return redirect(url_for("candidates.for_round", round_id=round_.id))


# --- import ------------------------------------------------------------------------------


def _preview(round_: Round, data: bytes) -> tuple[list, list]:
    """(rows, problems) of an import, every rule checked, nothing written."""
    result = imports.read_import(round_, data)
    if result.problems:
        return result.rows, result.problems
    try:
        import_candidates(round_, result.rows, actor=current_user, at=utcnow(), dry_run=True)
    except ImportRefused as refused:
        return result.rows, imports.located(round_, refused.problems)
    except DomainError as error:
        return result.rows, [imports.RowProblem(0, "", error.message)]
    return result.rows, []


@bp.get("/rounds/<int:round_id>/applications/import-template.xlsx")
@login_required
def import_template(round_id: int) -> Response:
    round_ = get_or_404(Round, round_id)
    ensure_in_round(can_import_candidates(current_user, round_), current_user, round_)
    return _xlsx(imports.template_workbook(round_), f"mau-nhap-ho-so-ky-thi-{round_.id}.xlsx")


@bp.route("/rounds/<int:round_id>/applications/import", methods=["GET", "POST"])
@login_required
def import_file(round_id: int) -> str:
    round_ = get_or_404(Round, round_id)
    ensure_in_round(can_import_candidates(current_user, round_), current_user, round_)
    form = ImportForm()
    rows, problems, token = [], [], None
    if form.validate_on_submit():
        data = form.file.data.stream.read(IMPORT_MAX_BYTES + 1)
        if len(data) > IMPORT_MAX_BYTES:
            form.file.errors.append(_("Tệp quá lớn: tối đa 5 MB."))
        else:
            rows, problems = _preview(round_, data)
            if not problems:
                token = import_jobs.stage_file(current_user, data)
    return refused(form) or render_template(
        "candidates/import.html",
        round=round_,
        form=form,
        rows=rows,
        problems=problems,
        confirm_form=ConfirmImportForm(token=token) if token else None,
        uninvited=len(uninvited_candidates(round_)) if not rows else 0,
        jobs=[] if rows else recent_jobs(import_jobs.KIND, round_id=round_.id),
    )


@bp.post("/rounds/<int:round_id>/applications/import/confirm")
@login_required
def import_confirm(round_id: int) -> Response:
    """Start the import of a previewed file in the background; its page shows progress."""
    round_ = get_or_404(Round, round_id)
    ensure_in_round(can_import_candidates(current_user, round_), current_user, round_)
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    staged = import_jobs.claim_staged(current_user, form.token.data)
    if staged is None:
        flash(_("Tệp đã được nhập hoặc đã hết hạn: vui lòng tải lên lại."), "danger")
        return redirect(url_for("candidates.import_file", round_id=round_.id))
    job_id = run_operation(
        lambda: import_jobs.start_import(round_, staged, actor=current_user).id,
        _("Đã bắt đầu nhập tệp."),
    )
    if job_id is None:
        return redirect(url_for("candidates.import_file", round_id=round_.id))
    dispatch(job_id)  # after the commit: the job reads what the request wrote
    return redirect(url_for("candidates.import_job", round_id=round_id, job_id=job_id))


def _import_job_or_404(round_: Round, job_id: int) -> Job:
    job = get_or_404(Job, job_id)
    if job.kind != import_jobs.KIND or job.payload.get("round_id") != round_.id:
        abort(404)
    return job


@bp.get("/rounds/<int:round_id>/applications/import/jobs/<int:job_id>")
@login_required
def import_job(round_id: int, job_id: int) -> Response:
    """The import's progress: the page polls the JSON below; without JavaScript, reloading
    the page shows the progress."""
    round_ = get_or_404(Round, round_id)
    ensure_in_round(can_import_candidates(current_user, round_), current_user, round_)
    job = _import_job_or_404(round_, job_id)
    status = job_status(job)
    response = make_response(
        render_template(
            "candidates/import_job.html",
            round=round_,
            job=job,
            status=status,
            problems=(job.result or {}).get("problems", []) if status["finished"] else [],
            uninvited=len(uninvited_candidates(round_)) if status["status"] == "done" else 0,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/rounds/<int:round_id>/applications/import/jobs/<int:job_id>.json")
@login_required
def import_job_status(round_id: int, job_id: int) -> Response:
    round_ = get_or_404(Round, round_id)
    ensure_in_round(can_import_candidates(current_user, round_), current_user, round_)
    response = jsonify(job_status(_import_job_or_404(round_, job_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


# --- published lists ---------------------------------------------------------------------


def _xlsx(data: bytes, name: str) -> Response:
    response = current_app.response_class(data, mimetype=imports.XLSX_MIME)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/rounds/<int:round_id>/applications/<any(eligible, 'not-eligible'):which>.xlsx")
@login_required
def export_xlsx(round_id: int, which: str) -> Response:
    round_ = get_or_404(Round, round_id)
    ensure_in_round(can_view_candidates(current_user, round_), current_user, round_)
    applications = published_list(round_, LISTS[which])
    data = imports.list_workbook(round_, applications, eligible=which == "eligible")
    return _xlsx(data, f"danh-sach-{which}-ky-thi-{round_.id}.xlsx")


@bp.get("/rounds/<int:round_id>/applications/<any(eligible, 'not-eligible'):which>.pdf")
@login_required
def export_pdf(round_id: int, which: str) -> Response:
    round_ = get_or_404(Round, round_id)
    ensure_in_round(can_view_candidates(current_user, round_), current_user, round_)
    issued = commit_after(lambda: issued_list_notice(round_, LISTS[which]))
    if issued is not None:  # the notice issued as screening ended: its bytes, as issued
        return redirect(url_for("documents.download", document_id=issued.id))
    form = NoticeNumberForm(request.args)
    number = form.number.data if form.validate() else None
    document = render_list_notice(round_, LISTS[which], number=number, at=utcnow())
    response = current_app.response_class(document, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="thong-bao-{which}-ky-thi-{round_.id}.pdf"'
    )
    return response


# --- after screening ---------------------------------------------------------------------


@bp.get("/positions/<int:position_id>/draw")
def draw(position_id: int) -> str:
    """The lot for the order of presentations: anyone may see the seed and re-check it
    (registration numbers only; the names for the board and the supervisors)."""
    position = get_or_404(Position, position_id)
    admin = can_view_candidates(current_user, position.round)
    if position.round.status == RoundStatus.DRAFT and not admin:
        abort(404)
    record = draw_of(position.id)
    names = {a.registration_number: a for a in eligible_applications(position.id)}
    return render_template(
        "candidates/draw.html",
        position=position,
        draw=record,
        checks_out=draw_checks_out(record) if record else None,
        keys={n: lot_key(record.seed, n) for n in record.order} if record else {},
        names=names if admin else {},
    )


@bp.post("/positions/<int:position_id>/draw")
@login_required
def make_draw(position_id: int) -> Response:
    position = get_or_404(Position, position_id)
    ensure_in_round(can_draw_lots(current_user, position.round), current_user, position.round)
    run_operation(
        lambda: draw_presentation_order(position, actor=current_user, at=utcnow()),
        _("Đã bốc thăm thứ tự trình bày."),
    )
    return redirect(url_for("candidates.draw", position_id=position.id))


@bp.post("/rounds/<int:round_id>/summons")
@login_required
def summons(round_id: int) -> Response:
    round_ = get_or_404(Round, round_id)
    ensure_in_round(can_send_summons(current_user, round_), current_user, round_)
    count = run_operation(
        lambda: send_summons(round_, actor=current_user, at=utcnow()),
        _("Đã đưa giấy triệu tập vào hàng đợi gửi thư."),
    )
    if count:
        flash(_("Số giấy triệu tập: %(n)s.", n=count), "info")
    return redirect(url_for("candidates.for_round", round_id=round_.id))


# --- invitations to set a password -----------------------------------------------------------


@bp.post("/rounds/<int:round_id>/invitations")
@login_required
def invite_round(round_id: int) -> Response:
    """Invite every candidate of the round who has no password and no invitation yet."""
    round_ = get_or_404(Round, round_id)
    ensure(can_import_candidates(current_user, round_), hide=True)
    count = commit_after(lambda: invite_uninvited(round_, actor=current_user, at=utcnow()))
    flash(_("Đã gửi thư mời đặt mật khẩu cho %(n)s thí sinh.", n=count), "success")
    return redirect(url_for("candidates.for_round", round_id=round_.id))


@bp.post("/rounds/<int:round_id>/candidates/<int:user_id>/invitation")
@login_required
def invite_candidate(round_id: int, user_id: int) -> Response:
    """Invite (again) one candidate of the round; a new link voids the previous one."""
    round_ = get_or_404(Round, round_id)
    ensure(can_import_candidates(current_user, round_), hide=True)
    application = application_in_round(round_, user_id)
    if application is None:
        abort(404)
    run_operation(
        lambda: invite(application.candidate, actor=current_user, at=utcnow()),
        _("Đã gửi thư mời đặt mật khẩu cho %(n)s.", n=application.candidate.full_name),
    )
    return redirect(url_for("candidates.show", application_id=application.id))
