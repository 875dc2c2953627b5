from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from exam.candidates.forms import ApplicationForm, DecisionForm
from exam.candidates.models import Application, Gender
from exam.candidates.operations import apply_to_position, decide_eligibility
from exam.candidates.permissions import can_apply, can_decide_eligibility, can_view_application
from exam.candidates.queries import applications_for_round, applications_of_candidate
from exam.core.auth import ensure, get_or_404, require
from exam.core.db import utcnow
from exam.core.views import run_operation
from exam.rounds.models import Position, Round
from exam.rounds.permissions import can_view_round_admin

bp = Blueprint("candidates", __name__)


@bp.route("/positions/<int:position_id>/apply", methods=["GET", "POST"])
@require(can_apply)
def apply(position_id: int) -> str | Response:
    position = get_or_404(Position, position_id)
    form = ApplicationForm()
    if form.validate_on_submit():
        application = run_operation(
            lambda: apply_to_position(
                current_user,
                position,
                date_of_birth=form.date_of_birth.data,
                gender=Gender(form.gender.data),
                current_unit=form.current_unit.data,
                current_post=form.current_post.data,
                at=utcnow(),
            ),
            _("Đã nộp hồ sơ dự tuyển. Hội đồng sẽ xét điều kiện và thông báo kết quả."),
            form,
        )
        if application:
            return redirect(url_for("candidates.show", application_id=application.id))
    return render_template("candidates/apply.html", form=form, position=position)


@bp.get("/applications/")
@require(can_apply)
def mine() -> str:
    return render_template(
        "candidates/mine.html", applications=applications_of_candidate(current_user)
    )


@bp.get("/applications/<int:application_id>")
@login_required
def show(application_id: int) -> str:
    application = get_or_404(Application, application_id)
    ensure(can_view_application(current_user, application), hide=True)
    return render_template("candidates/show.html", application=application, form=DecisionForm())


@bp.get("/rounds/<int:round_id>/applications")
@require(can_view_round_admin)
def for_round(round_id: int) -> str:
    round_ = get_or_404(Round, round_id)
    return render_template(
        "candidates/for_round.html",
        round=round_,
        applications=applications_for_round(round_.id),
    )


@bp.post("/applications/<int:application_id>/decide")
@require(can_decide_eligibility)
def decide(application_id: int) -> str | Response:
    application = get_or_404(Application, application_id)
    form = DecisionForm()
    eligible = request.form.get("decision") == "eligible"
    if request.form.get("decision") not in ("eligible", "not_eligible"):
        abort(400)
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
    return render_template("candidates/show.html", application=application, form=form), 422
