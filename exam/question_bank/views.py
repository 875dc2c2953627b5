"""The question board's workshop. Every page here is secret: authors and the council only."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from exam.core.auth import ensure, get_or_404, require
from exam.core.db import utcnow
from exam.core.views import run_operation
from exam.extensions import db
from exam.question_bank.forms import OPTION_LETTERS, BankForm, SingleChoiceQuestionForm
from exam.question_bank.interchange import Choice, QuestionData
from exam.question_bank.models import Bank, Question
from exam.question_bank.operations import (
    approve_question,
    create_bank,
    create_question,
    reveal_question,
    submit_for_review,
)
from exam.question_bank.permissions import (
    can_approve_question,
    can_view_bank,
    can_write_questions,
)
from exam.question_bank.queries import all_banks, count_by_status, questions_of_bank

bp = Blueprint("question_bank", __name__, url_prefix="/bank")


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
    return render_template("question_bank/bank_form.html", form=form)


@bp.get("/<int:bank_id>")
@require(can_view_bank)
def show(bank_id: int) -> str:
    bank = get_or_404(Bank, bank_id)
    return render_template("question_bank/show.html", bank=bank, questions=questions_of_bank(bank))


def _question_data(form: SingleChoiceQuestionForm) -> QuestionData:
    options = [getattr(form, f"option_{letter.lower()}").data for letter in OPTION_LETTERS]
    return QuestionData(
        type="single_choice",
        text=form.text.data,
        category=form.category.data or "",
        difficulty=form.difficulty.data,
        legal_basis=form.legal_basis.data,
        legal_basis_date=form.legal_basis_date.data,
        choices=[
            Choice(text=text, fraction=1.0 if letter == form.correct.data else 0.0)
            for letter, text in zip(OPTION_LETTERS, options, strict=True)
        ],
    )


@bp.route("/<int:bank_id>/questions/new", methods=["GET", "POST"])
@require(can_write_questions)
def new_question(bank_id: int) -> str | Response:
    bank = get_or_404(Bank, bank_id)
    form = SingleChoiceQuestionForm()
    if form.validate_on_submit():
        question = run_operation(
            lambda: create_question(bank, _question_data(form), actor=current_user),
            _("Đã lưu câu hỏi (bản nháp)."),
            form,
        )
        if question:
            return redirect(url_for("question_bank.question", question_id=question.id))
    return render_template("question_bank/question_form.html", form=form, bank=bank)


@bp.get("/questions/<int:question_id>")
@require(can_view_bank)
def question(question_id: int) -> str:
    question = get_or_404(Question, question_id)
    reveal_question(question, actor=current_user)
    db.session.commit()
    return render_template("question_bank/question.html", question=question)


@bp.post("/questions/<int:question_id>/submit")
@require(can_write_questions)
def submit(question_id: int) -> Response:
    question = get_or_404(Question, question_id)
    ensure(question.author_id == current_user.id)
    run_operation(lambda: submit_for_review(question, actor=current_user), _("Đã gửi duyệt."))
    return redirect(url_for("question_bank.question", question_id=question.id))


@bp.post("/questions/<int:question_id>/approve")
@require(can_view_bank)
def approve(question_id: int) -> Response:
    question = get_or_404(Question, question_id)
    ensure(can_approve_question(current_user, question))
    run_operation(
        lambda: approve_question(question, actor=current_user, at=utcnow()),
        _("Đã duyệt câu hỏi."),
    )
    return redirect(url_for("question_bank.question", question_id=question.id))
