"""The marking's pages (docs/domain.md §6). One page per round lists what each reader may do:
the Ban phách's work, the head of marking's table, a marker's own sheets. A page a reader has
no part in answers 404, as if it did not exist."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from exam.core.auth import ensure, get_or_404, require
from exam.core.db import utcnow
from exam.core.forms import PageForm
from exam.core.jobs import Job, job_status
from exam.core.pdf import render_pdf
from exam.core.storage import storage
from exam.core.views import refused, run_operation, submit_form_and_return
from exam.marking import hand_over_jobs
from exam.marking.documents import hand_over_document
from exam.marking.forms import (
    LimitsForm,
    PaperTestForm,
    ScanForm,
    ScanZipForm,
    SettleForm,
    SheetForm,
    ZeroForm,
    marks_from,
    with_points,
)
from exam.marking.hand_over_jobs import minutes_progress, retry_hand_over_minutes
from exam.marking.models import MarkingSheet, PaperTest, Script, ScriptStatus, ZeroReason
from exam.marking.operations import (
    clear_flag,
    code_scripts,
    hand_over,
    record_zero,
    set_limits,
    unseal,
)
from exam.marking.papers import define_paper_test, upload_scan, upload_scan_zip
from exam.marking.permissions import (
    can_mark,
    can_read_hand_over,
    can_record_zero,
    can_set_limits,
    can_view_code_table,
    can_view_marking,
    can_view_scan,
    is_anonymiser,
    is_marking_head,
)
from exam.marking.queries import (
    all_final,
    marker_statistics,
    marks_of,
    paper_scripts_of,
    paper_tests_of,
    plan_of,
    scripts_of,
    sheets_of_marker,
)
from exam.marking.rules import criteria_of
from exam.marking.scans import scan_key
from exam.marking.sheets import (
    WHOLE_ANSWER,
    draw_third_marker,
    settle,
    sheet_points,
    submit_sheet,
)
from exam.rounds.models import Round

bp = Blueprint("marking", __name__)

signed_in = require(lambda user: True)


def _round_for(round_id: int, allowed) -> Round:
    round_ = get_or_404(Round, round_id)
    ensure(allowed(current_user, round_), hide=True)
    return round_


def _script_for_head(script_id: int) -> Script:
    script = get_or_404(Script, script_id)
    # A re-marking on appeal is the re-marking board's: the head of marking has no part in it.
    ensure(not script.remark and is_marking_head(current_user, script.plan.round_id), hide=True)
    return script


def _back(round_id: int) -> Response:
    return redirect(url_for("marking.index", round_id=round_id))


@bp.get("/rounds/<int:round_id>/marking")
@signed_in
def index(round_id: int) -> str:
    round_ = _round_for(round_id, can_view_marking)
    plan = plan_of(round_.id)
    scripts = scripts_of(plan)
    counts = {status: sum(s.status == status for s in scripts) for status in ScriptStatus}
    limits = LimitsForm(obj=plan) if can_set_limits(current_user, round_) else None
    return refused(limits) or render_template(
        "marking/index.html",
        round=round_,
        plan=plan,
        scripts=scripts,
        counts=counts,
        anonymiser=is_anonymiser(current_user, round_),
        head=is_marking_head(current_user, round_),
        my_sheets=sheets_of_marker(current_user.id, round_.id),
        code_table=plan is not None and can_view_code_table(current_user, plan),
        all_final=plan is not None and all_final(plan),
        limits=limits,
        minutes=minutes_progress(plan),
        retry_form=PageForm(prefix="retry"),
    )


@bp.post("/rounds/<int:round_id>/marking/limits")
@signed_in
def limits(round_id: int) -> Response:
    round_ = _round_for(round_id, can_view_marking)
    ensure(can_set_limits(current_user, round_))
    form = LimitsForm()
    return submit_form_and_return(
        form,
        lambda: set_limits(
            round_,
            agree_limit=form.agree_limit.data,
            third_marker_limit=form.third_marker_limit.data,
            actor=current_user,
        ),
        _("Đã lưu ngưỡng chênh lệch."),
        url_for("marking.index", round_id=round_.id),
    )


def _anonymiser_step(round_id: int, step, success: str) -> Response:
    round_ = _round_for(round_id, is_anonymiser)
    run_operation(lambda: step(round_, actor=current_user, at=utcnow()), success)
    return _back(round_.id)


@bp.post("/rounds/<int:round_id>/marking/code")
@signed_in
def code(round_id: int) -> Response:
    return _anonymiser_step(round_id, code_scripts, _("Đã đánh phách."))


@bp.post("/rounds/<int:round_id>/marking/hand-over")
@signed_in
def hand_over_scripts(round_id: int) -> Response:
    return _anonymiser_step(round_id, hand_over, _("Đã bàn giao bài thi cho Ban chấm thi."))


@bp.post("/rounds/<int:round_id>/marking/hand-over/minutes")
@signed_in
def retry_hand_over_minutes_job(round_id: int) -> Response:
    """The Ban phách starts the hand-over's minutes again after their job failed."""
    round_ = _round_for(round_id, can_view_marking)
    ensure(is_anonymiser(current_user, round_))
    return submit_form_and_return(
        PageForm(prefix="retry"),
        lambda: retry_hand_over_minutes(plan_of(round_.id), actor=current_user),
        _("Đã bắt đầu tạo lại biên bản bàn giao."),
        url_for("marking.index", round_id=round_.id),
    )


@bp.get("/rounds/<int:round_id>/marking/hand-over-jobs/<int:job_id>.json")
@signed_in
def hand_over_job_status(round_id: int, job_id: int) -> Response:
    """The progress of the hand-over's minutes (the marking page polls it)."""
    round_ = _round_for(round_id, can_read_hand_over)
    job = get_or_404(Job, job_id)
    if job.kind != hand_over_jobs.KIND or job.payload.get("round_id") != round_.id:
        abort(404)
    response = jsonify(job_status(job))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/rounds/<int:round_id>/marking/unseal")
@signed_in
def unseal_scripts(round_id: int) -> Response:
    return _anonymiser_step(round_id, unseal, _("Đã rọc phách: điểm đã ghép vào bài thi."))


@bp.get("/rounds/<int:round_id>/marking/codes")
@signed_in
def codes(round_id: int) -> str:
    """The table matching codes to candidates, with the flagged answers to decide."""
    round_ = _round_for(round_id, can_view_marking)
    plan = plan_of(round_.id)
    ensure(plan is not None and can_view_code_table(current_user, plan), hide=True)
    return render_template(
        "marking/codes.html",
        round=round_,
        plan=plan,
        scripts=scripts_of(plan),
        anonymiser=is_anonymiser(current_user, round_),
        zero_form=ZeroForm(),
    )


@bp.get("/rounds/<int:round_id>/marking/hand-over.pdf")
@signed_in
def hand_over_pdf(round_id: int) -> Response:
    round_ = _round_for(round_id, can_read_hand_over)
    plan = plan_of(round_.id)
    ensure(plan is not None and plan.handed_over_at is not None, hide=True)
    if plan.hand_over_document_id is not None:  # issued after the hand-over: its bytes
        return redirect(url_for("documents.download", document_id=plan.hand_over_document_id))
    progress = minutes_progress(plan)
    if progress is not None:  # numbered at the hand-over, their job not done yet
        status = progress.get("status")
        if status is not None and status["finished"]:
            flash(_("Chưa tạo được biên bản bàn giao: %(m)s", m=status["message"]), "danger")
        else:
            flash(
                _("Biên bản bàn giao đang được tạo; tải lại sau ít phút."),
                "info",
            )
        return redirect(url_for("marking.index", round_id=round_.id), code=303)
    # A hand-over made before the minutes were issued: rendered on request, as then.
    document = render_pdf("pdf/marking_hand_over.html", **hand_over_document(plan))
    response = current_app.response_class(document, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="bien-ban-ban-giao-bai-thi-{round_.id}.pdf"'
    )
    return response


@bp.post("/scripts/<int:script_id>/clear-flag")
@signed_in
def send_on(script_id: int) -> Response:
    script = get_or_404(Script, script_id)
    ensure(is_anonymiser(current_user, script.plan.round_id), hide=True)
    run_operation(
        lambda: clear_flag(script, actor=current_user, at=utcnow()),
        _("Đã chuyển bài thi đi chấm."),
    )
    return redirect(url_for("marking.codes", round_id=script.plan.round_id))


@bp.post("/scripts/<int:script_id>/zero")
@signed_in
def zero(script_id: int) -> Response:
    script = get_or_404(Script, script_id)
    round_id = script.plan.round_id
    ensure(
        is_anonymiser(current_user, round_id) or is_marking_head(current_user, round_id), hide=True
    )
    ensure(can_record_zero(current_user, script))
    form = ZeroForm()
    return submit_form_and_return(
        form,
        lambda: record_zero(
            script,
            ZeroReason(form.reason.data),
            form.minutes.data,
            actor=current_user,
            at=utcnow(),
        ),
        _("Đã ghi nhận bài thi bị điểm 0."),
        _zero_page(script),
    )


def _zero_page(script: Script) -> str:
    """Back to the Ban phách's table before the hand-over, to the script's page after it."""
    if script.plan.handed_over_at is None:
        return url_for("marking.codes", round_id=script.plan.round_id)
    return url_for("marking.script", script_id=script.id)


# --- a marker's sheet -------------------------------------------------------------------------


def _sheet_for(sheet_id: int) -> MarkingSheet:
    sheet = get_or_404(MarkingSheet, sheet_id)
    ensure(can_mark(current_user, sheet), hide=True)
    return sheet


@bp.route("/marking/sheets/<int:sheet_id>", methods=["GET", "POST"])
@signed_in
def sheet(sheet_id: int) -> str | Response:
    """What a marker sees: the code, each essay question with its marking guide, the answer,
    their own sheet. Nothing of the candidate, nothing of the other sheets."""
    sheet = _sheet_for(sheet_id)
    script = sheet.script
    items = [(item, criteria_of(item, str(WHOLE_ANSWER))) for item in script.essay_items()]
    form = with_points(SheetForm, [c.field for _, criteria in items for c in criteria])
    if form.validate_on_submit() and _submitted(sheet, form):
        return redirect(url_for("marking.sheet", sheet_id=sheet.id))
    return refused(form) or render_template(
        "marking/sheet.html",
        sheet=sheet,
        script=script,
        items=items,
        marks=marks_of(sheet),
        form=form,
    )


def _submitted(sheet: MarkingSheet, form: SheetForm) -> bool:
    """The marker's points sent and sealed (False: refused, the reasons on the form)."""
    return bool(
        run_operation(
            lambda: submit_sheet(
                sheet,
                marks_from(request.form, "mark-"),
                form.comments.data or "",
                actor=current_user,
                at=utcnow(),
            ),
            _("Đã nộp phiếu chấm; phiếu đã được niêm phong."),
            form,
        )
    )


# --- the head of marking ----------------------------------------------------------------------


@bp.get("/rounds/<int:round_id>/marking/board")
@signed_in
def board(round_id: int) -> str:
    round_ = _round_for(round_id, is_marking_head)
    plan = plan_of(round_.id)
    return render_template(
        "marking/board.html",
        round=round_,
        plan=plan,
        scripts=scripts_of(plan),
        statistics=marker_statistics(plan) if plan else [],
    )


@bp.route("/scripts/<int:script_id>", methods=["GET", "POST"])
@signed_in
def script(script_id: int) -> str | Response:
    """The head of marking's page of one script: every sheet, the settlement, a zero case."""
    script = _script_for_head(script_id)
    form = with_points(SettleForm, [f"item-{item.id}" for item in script.essay_items()])
    if form.validate_on_submit() and _settled(script, form):
        return redirect(url_for("marking.script", script_id=script.id))
    return refused(form) or render_template(
        "marking/script.html",
        script=script,
        round=script.plan.round,
        sheets=[(s, sheet_points(s) if s.score is not None else {}) for s in script.sheets],
        form=form,
        zero_form=ZeroForm() if can_record_zero(current_user, script) else None,
    )


def _settled(script: Script, form: SettleForm) -> bool:
    """The head's points for the script recorded (False: refused, the reasons on the form)."""
    return bool(
        run_operation(
            lambda: settle(
                script,
                marks_from(request.form, "item-"),
                form.minutes.data or "",
                actor=current_user,
                at=utcnow(),
            ),
            _("Đã ghi điểm của bài thi."),
            form,
        )
    )


@bp.post("/scripts/<int:script_id>/third-marker")
@signed_in
def third_marker(script_id: int) -> Response:
    script = _script_for_head(script_id)
    run_operation(
        lambda: draw_third_marker(script, actor=current_user, at=utcnow()),
        _("Đã bốc thăm thành viên chấm lần ba."),
    )
    return redirect(url_for("marking.script", script_id=script.id))


# --- paper tests: the Ban phách's scans -------------------------------------------------------


def _paper_test_for(paper_test_id: int) -> PaperTest:
    paper_test = get_or_404(PaperTest, paper_test_id)
    ensure(is_anonymiser(current_user, paper_test.round_id), hide=True)
    return paper_test


def _paper_tests_page(round_id: int) -> str:
    return url_for("marking.paper_tests", round_id=round_id)


@bp.route("/rounds/<int:round_id>/marking/paper-tests", methods=["GET", "POST"])
@signed_in
def paper_tests(round_id: int) -> str | Response:
    """The round's written tests sat on paper and their scanned scripts (the Ban phách)."""
    round_ = _round_for(round_id, is_anonymiser)
    form = PaperTestForm()
    if form.validate_on_submit():
        run_operation(
            lambda: define_paper_test(
                round_, form.title.data, form.criteria_lines(), actor=current_user
            ),
            _("Đã khai báo bài thi viết trên giấy."),
            form,
        )
    plan = plan_of(round_.id)
    return refused(form) or render_template(
        "marking/paper_tests.html",
        round=round_,
        coded=plan is not None and plan.coded_at is not None,
        tests=[(t, paper_scripts_of(t)) for t in paper_tests_of(round_.id)],
        form=form,
        scan_form=ScanForm(),
        zip_form=ScanZipForm(),
    )


@bp.post("/paper-tests/<int:paper_test_id>/scans")
@signed_in
def upload_one(paper_test_id: int) -> Response:
    paper_test = _paper_test_for(paper_test_id)
    form = ScanForm()
    return submit_form_and_return(
        form,
        lambda: upload_scan(
            paper_test,
            form.registration_number.data,
            form.file.data.read(),
            actor=current_user,
            at=utcnow(),
        ),
        _("Đã lưu bài thi đã quét."),
        _paper_tests_page(paper_test.round_id),
    )


@bp.post("/paper-tests/<int:paper_test_id>/scans.zip")
@signed_in
def upload_zip(paper_test_id: int) -> Response:
    paper_test = _paper_test_for(paper_test_id)
    form = ScanZipForm()
    if form.validate_on_submit():
        report = run_operation(
            lambda: upload_scan_zip(
                paper_test, form.file.data.read(), actor=current_user, at=utcnow()
            ),
            _("Đã nhận ZIP bài thi đã quét."),
            form,
        )
        if report:
            flash(
                _(
                    "Thêm mới: %(added)s. Thay thế: %(replaced)s. Thí sinh chưa có bài quét: "
                    "%(missing)s.",
                    added=", ".join(report.added) or "0",
                    replaced=", ".join(report.replaced) or "0",
                    missing=", ".join(report.missing) or "0",
                ),
                "info",
            )
    page = _paper_tests_page(paper_test.round_id)
    return refused(form, page) or redirect(page)


@bp.get("/scripts/<int:script_id>/scan.pdf")
@signed_in
def scan(script_id: int) -> Response:
    """A scanned script's pages under its code only: the address names the script, the
    file is offered as ``<code>.pdf``; nothing in it names the candidate."""
    script = get_or_404(Script, script_id)
    ensure(can_view_scan(current_user, script), hide=True)
    return storage().send(
        scan_key(script.paper_script.stored_name),
        download_name=f"{script.code}.pdf",
        mimetype="application/pdf",
        as_attachment=False,
    )
