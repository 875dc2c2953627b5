"""The question board's workshop. Every page here is secret: authors and the council only
(a candidate reaches a question's image through their running attempt: exams.attempt_asset)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, unquote

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from exam.core.auth import ensure, get_or_404, require
from exam.core.db import utcnow
from exam.core.views import commit_after, refused, run_operation, submit_form_and_return
from exam.question_bank import rich_text
from exam.question_bank.formats import FORMATS
from exam.question_bank.forms import (
    BankForm,
    ConfirmImportForm,
    ImportForm,
    QuestionForm,
    RejectForm,
    coverage_form,
    export_form,
    filter_form,
    form_data,
    type_choices,
)
from exam.question_bank.imports import (
    discard_staged,
    load_staged,
    plan_import,
    run_import,
    stage_file,
)
from exam.question_bank.models import (
    Bank,
    Difficulty,
    Question,
    QuestionVersion,
)
from exam.question_bank.operations import (
    approve_question,
    create_bank,
    create_question,
    delete_question,
    edit_question,
    export_questions,
    question_data,
    reinstate_question,
    reject_question,
    retire_question,
    reveal_question,
    reveal_questions,
    submit_for_review,
)
from exam.question_bank.pages import (
    export_preview,
    export_selection,
    known_type,
    paper_check,
    question_filter,
    version_diffs,
)
from exam.question_bank.permissions import (
    can_approve_question,
    can_delete_question,
    can_edit_question,
    can_export_bank,
    can_reject_question,
    can_retire_question,
    can_view_bank,
    can_write_questions,
)
from exam.question_bank.qtypes import get_type, registered_types
from exam.question_bank.qtypes.matching import answers_in_order
from exam.question_bank.qtypes.ordering import items_in_order
from exam.question_bank.queries import (
    all_banks,
    category_tree,
    count_by_status,
    coverage,
    find_questions,
    key_position_report,
    media_file,
    review_history,
    uncategorised_count,
)

bp = Blueprint("question_bank", __name__, url_prefix="/bank")
PAGE_SIZE = 50


@bp.get("/")
@require(can_view_bank)
def index() -> str:
    banks = all_banks()
    return render_template(
        "question_bank/index.html", banks=banks, counts={b.id: count_by_status(b) for b in banks}
    )


@bp.route("/new", methods=["GET", "POST"])
@require(can_view_bank)
def new_bank() -> str | Response:
    form = BankForm()
    if form.validate_on_submit():
        bank = run_operation(
            lambda: create_bank(form.name.data, form.description.data or "", actor=current_user),
            _("Đã tạo ngân hàng câu hỏi."),
            form,
        )
        if bank:
            return redirect(url_for("question_bank.show", bank_id=bank.id))
    return refused(form) or render_template("question_bank/bank_form.html", form=form)


# --- the bank page: find questions -----------------------------------------------------------


@bp.get("/<int:bank_id>")
@require(can_view_bank)
def show(bank_id: int) -> str:
    bank = get_or_404(Bank, bank_id)
    form = filter_form(bank.id, request.args)
    found = find_questions(bank.id, question_filter(form))
    pages = max(1, (len(found) + PAGE_SIZE - 1) // PAGE_SIZE)
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    shown = found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    commit_after(  # an audited read
        lambda: reveal_questions(
            bank, [f.question.key for f in shown], actor=current_user, what="bank"
        )
    )
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "question_bank/show.html",
        bank=bank,
        form=form,
        found=shown,
        total=len(found),
        page=page,
        pages=pages,
        args=args,
        counts=count_by_status(bank),
        filtered=any(v for v in args.values()),
    )


@bp.get("/<int:bank_id>/categories")
@require(can_view_bank)
def categories(bank_id: int) -> str:
    bank = get_or_404(Bank, bank_id)
    return render_template(
        "question_bank/categories.html",
        bank=bank,
        tree=category_tree(bank.id),
        uncategorised=uncategorised_count(bank.id),
    )


@bp.get("/<int:bank_id>/coverage")
@require(can_view_bank)
def coverage_view(bank_id: int) -> str:
    bank = get_or_404(Bank, bank_id)
    tree = category_tree(bank.id)
    form = coverage_form(request.args, tree)
    counts = coverage(bank.id)
    return render_template(
        "question_bank/coverage.html",
        bank=bank,
        form=form,
        tree=tree,
        counts=counts,
        difficulties=[*Difficulty, None],
        types=counts.types(),
        titles={name: qtype.title for name, qtype in registered_types().items()},
        check=paper_check(form, counts),
        keys=key_position_report(bank.id),
    )


# --- writing and editing ---------------------------------------------------------------------


def _question_form(qtype: str, **kwargs: Any) -> QuestionForm:
    if qtype not in registered_types():
        abort(404)
    return QuestionForm(qtype, **kwargs)


@bp.route("/<int:bank_id>/questions/new", methods=["GET", "POST"])
@require(can_write_questions)
def new_question(bank_id: int) -> str | Response:
    bank = get_or_404(Bank, bank_id)
    qtype = request.args.get("type", "single_choice")
    form = _question_form(qtype)
    if "add_row" in request.form:
        form.add_row()
    elif form.validate_on_submit():
        question = run_operation(
            lambda: create_question(bank, form.to_data(), actor=current_user),
            _("Đã lưu câu hỏi (bản nháp)."),
            form,
        )
        if question:
            return redirect(url_for("question_bank.question", question_id=question.id))
    return _question_page(form, bank, None, qtype, type_choices())


@bp.route("/questions/<int:question_id>/edit", methods=["GET", "POST"])
@require(can_write_questions)
def edit(question_id: int) -> str | Response:
    question = get_or_404(Question, question_id)
    ensure(can_edit_question(current_user, question))
    current = question_data(question.current)
    if request.method == "GET":
        form = _question_form(question.current.type, data=form_data(current))
        commit_after(lambda: reveal_question(question, actor=current_user))  # an audited read
    else:
        form = _question_form(question.current.type)
    if "add_row" in request.form:
        form.add_row()
    elif form.validate_on_submit():
        saved = run_operation(
            lambda: edit_question(
                question, form.to_data(key=question.key, media=current.media), actor=current_user
            ),
            _("Đã lưu thay đổi."),
            form,
        )
        if saved:
            return redirect(url_for("question_bank.question", question_id=question.id))
    return _question_page(form, question.bank, question, question.current.type, [])


def _question_page(
    form: QuestionForm, bank: Bank, question: Question | None, qtype: str, types: list
) -> str | Response:
    """The writing page: a new question (``types`` to switch to) or one being edited."""
    return refused(form) or render_template(
        "question_bank/question_form.html",
        form=form,
        bank=bank,
        question=question,
        qtype=get_type(qtype),
        types=types,
    )


@bp.get("/questions/<int:question_id>")
@require(can_view_bank)
def question(question_id: int) -> str:
    question = get_or_404(Question, question_id)
    commit_after(lambda: reveal_question(question, actor=current_user))  # an audited read
    version = question.current
    return render_template(
        "question_bank/question.html",
        question=question,
        v=version,
        qtype=get_type(version.type),
        reject_form=RejectForm(),
    )


@bp.get("/questions/<int:question_id>/history")
@require(can_view_bank)
def history(question_id: int) -> str:
    question = get_or_404(Question, question_id)
    commit_after(lambda: reveal_question(question, actor=current_user))  # an audited read
    return render_template(
        "question_bank/history.html",
        question=question,
        versions=version_diffs(question),
        events=review_history(question),
    )


# --- review and life cycle --------------------------------------------------------------------


def _back(question: Question) -> Response:
    return redirect(url_for("question_bank.question", question_id=question.id))


@bp.post("/questions/<int:question_id>/submit")
@require(can_write_questions)
def submit(question_id: int) -> Response:
    question = get_or_404(Question, question_id)
    ensure(current_user.id in (question.author_id, question.current.created_by_id))
    run_operation(lambda: submit_for_review(question, actor=current_user), _("Đã gửi duyệt."))
    return _back(question)


@bp.post("/questions/<int:question_id>/approve")
@require(can_view_bank)
def approve(question_id: int) -> Response:
    question = get_or_404(Question, question_id)
    ensure(can_approve_question(current_user, question))
    run_operation(
        lambda: approve_question(question, actor=current_user, at=utcnow()),
        _("Đã duyệt câu hỏi."),
    )
    return _back(question)


@bp.post("/questions/<int:question_id>/reject")
@require(can_view_bank)
def reject(question_id: int) -> str | Response:
    question = get_or_404(Question, question_id)
    ensure(can_reject_question(current_user, question))
    form = RejectForm()
    return submit_form_and_return(
        form,
        lambda: reject_question(question, form.comment.data, actor=current_user),
        _("Đã trả lại câu hỏi cho người soạn."),
        url_for("question_bank.question", question_id=question.id),
    )


@bp.post("/questions/<int:question_id>/retire")
@require(can_view_bank)
def retire(question_id: int) -> Response:
    question = get_or_404(Question, question_id)
    ensure(can_retire_question(current_user, question))
    run_operation(
        lambda: retire_question(question, actor=current_user), _("Đã ngừng sử dụng câu hỏi.")
    )
    return _back(question)


@bp.post("/questions/<int:question_id>/reinstate")
@require(can_view_bank)
def reinstate(question_id: int) -> Response:
    question = get_or_404(Question, question_id)
    ensure(can_retire_question(current_user, question))
    run_operation(
        lambda: reinstate_question(question, actor=current_user),
        _("Đã khôi phục câu hỏi (bản nháp)."),
    )
    return _back(question)


@bp.post("/questions/<int:question_id>/delete")
@require(can_view_bank)
def delete(question_id: int) -> Response:
    question = get_or_404(Question, question_id)
    ensure(can_delete_question(current_user, question))
    bank_id = question.bank_id
    if run_operation(lambda: delete_question(question, actor=current_user), _("Đã xoá câu hỏi.")):
        return redirect(url_for("question_bank.show", bank_id=bank_id))
    return _back(question)


# --- import and export -----------------------------------------------------------------------


@bp.route("/<int:bank_id>/import", methods=["GET", "POST"])
@require(can_write_questions)
def import_file(bank_id: int) -> str:
    """Upload, then a dry run: what would be imported, every problem by line."""
    bank = get_or_404(Bank, bank_id)
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        plan = plan_import(bank, data, form.format.data or None, upload.filename or "")
        confirm = None
        if plan.ok:
            token = stage_file(
                data,
                filename=plan.filename,
                fmt=plan.format,
                bank_id=bank.id,
                user_id=current_user.id,
            )
            confirm = ConfirmImportForm(formdata=None, token=token)
        return render_template(
            "question_bank/import_preview.html", bank=bank, plan=plan, confirm=confirm
        )
    return refused(form) or render_template("question_bank/import.html", bank=bank, form=form)


@bp.post("/<int:bank_id>/import/confirm")
@require(can_write_questions)
def confirm_import(bank_id: int) -> str | Response:
    bank = get_or_404(Bank, bank_id)
    form = ConfirmImportForm()
    staged = load_staged(form.token.data or "", bank_id=bank.id, user_id=current_user.id)
    valid = form.validate_on_submit()
    wrong_basis = not valid and set(form.errors) <= {"legal_basis", "legal_basis_date"}
    if staged is None or not (valid or wrong_basis):
        return render_template(
            "question_bank/import.html", bank=bank, form=ImportForm(formdata=None), expired=True
        )
    data, meta = staged
    plan = plan_import(bank, data, meta["format"], meta["filename"])
    if wrong_basis:  # the preview again with the errors, the file still staged
        confirm = form if plan.ok else None
        return render_template(
            "question_bank/import_preview.html", bank=bank, plan=plan, confirm=confirm
        )
    created = run_operation(
        lambda: run_import(bank, plan, actor=current_user, **form.import_settings()),
        _("Đã nhập %(n)d câu hỏi.", n=len(plan.questions)),
    )
    if created:
        discard_staged(form.token.data, user_id=current_user.id)
        return redirect(url_for("question_bank.show", bank_id=bank.id))
    return render_template("question_bank/import_preview.html", bank=bank, plan=plan, confirm=None)


@bp.route("/<int:bank_id>/export", methods=["GET", "POST"])
@require(can_export_bank)
def export(bank_id: int) -> str | Response:
    """Choose a format; see what it would lose (``export_losses``) before downloading."""
    bank = get_or_404(Bank, bank_id)
    form = export_form(request.form if request.method == "POST" else request.args)
    preview = None
    if form.format.data in FORMATS and (request.args or request.method == "POST"):
        questions = export_selection(
            bank, bool(form.only_approved.data), known_type(form.qtype.data)
        )
        if request.method == "POST" and form.validate_on_submit():
            done = run_operation(
                lambda: export_questions(bank, questions, form.format.data, actor=current_user),
                _("Đã xuất câu hỏi."),
                form,
            )
            if done:
                return _download(bank, form.format.data, done.content)
        preview = export_preview(questions, form.format.data)
    chosen = {k: v for k, v in request.form.items() if k != "csrf_token"}  # the preview's GET
    return refused(form, url_for("question_bank.export", bank_id=bank.id, **chosen)) or (
        render_template("question_bank/export.html", bank=bank, form=form, preview=preview)
    )


def _download(bank: Bank, fmt: str, content: bytes) -> Response:
    spec = FORMATS[fmt]
    extension = spec.extensions[0]
    slug = re.sub(r"[^A-Za-z0-9]+", "-", bank.name).strip("-").lower() or "bank"
    filename = f"{slug}-{bank.id}{extension}"
    response = Response(content, mimetype=spec.media_type)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# --- embedded files ----------------------------------------------------------------------------

_SAFE_INLINE = {"image/png", "image/jpeg", "image/gif", "image/webp"}


@bp.get("/media/<int:version_id>/<path:name>")
@login_required
def media(version_id: int, name: str) -> Response:
    """An image of a question, for the bank's people. Anyone else: 404, as if it did not
    exist; a candidate's paper links its images to exams.attempt_asset instead."""
    version = get_or_404(QuestionVersion, version_id)
    ensure(can_view_bank(current_user), hide=True)
    stored = media_file(version, name)
    ensure(stored is not None, hide=True)
    response = Response(stored.content, mimetype=stored.content_type)
    if stored.content_type not in _SAFE_INLINE:
        response.headers["Content-Disposition"] = "attachment"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- rich text on pages --------------------------------------------------------------------------


def _image_source(
    version: QuestionVersion, attempt_id: int | None, images: bool
) -> rich_text.ImageSource:
    """Where the viewer fetches each image the text names (``@@PLUGINFILE@@/a.png`` or
    ``a.png``): the candidate's attempt route on a paper, the bank's route elsewhere; no
    URL (its alt text shows) for a file the version lacks or when ``images`` is off."""
    names = version.media or {}

    def source(written: str) -> str | None:
        name = written.removeprefix("@@PLUGINFILE@@/")
        name = name if name in names else unquote(name)
        if not images or name not in names:
            return None
        if attempt_id is not None:
            return url_for("exams.attempt_asset", attempt_id=attempt_id, digest=names[name])
        return url_for("question_bank.media", version_id=version.id, name=name)

    return source


@bp.app_template_filter("rich")
def rich(
    text: str,
    version: QuestionVersion,
    attempt_id: int | None = None,
    images: bool = True,
    inline: bool = False,
) -> Markup:
    """A question's text as its format says: HTML sanitised (again: defence in depth), with
    its images served to the viewer (``attempt_id``: on that candidate's paper); plain and
    Markdown text escaped (shown with its line breaks by the ``pre-line`` class)."""
    try:
        return rich_text.render(
            text or "",
            version.text_format or "plain",
            _image_source(version, attempt_id, images),
            inline=inline,
        )
    except rich_text.HtmlTooComplex:
        message = _("Nội dung quá phức tạp để hiển thị; cần sửa lại câu hỏi.")
        return Markup('<span class="text-danger">%s</span>') % message


@bp.app_template_filter("plain_words")
def plain_words(text: str, version: QuestionVersion) -> str:
    """The words of a question's text, tags removed only when the text is HTML."""
    if (version.text_format or "plain") != "html":
        return text or ""
    return rich_text.to_plain(text or "")


@bp.app_template_global("qtype_title")
def qtype_title(name: str) -> str:
    try:
        return get_type(name).title
    except LookupError:
        return name


@bp.app_template_global("matching_answers")
def matching_answers(item: Any) -> list[dict[str, str]]:
    """A paper's matching answers in its order (``item``: a paper's question)."""
    return answers_in_order(item.version.data, item.option_order)


@bp.app_template_global("ordering_items")
def ordering_items(item: Any) -> list[dict[str, str]]:
    """A paper's ordering items in its (shuffled) order, never the right one on purpose."""
    return items_in_order(item.version.data, item.option_order)
