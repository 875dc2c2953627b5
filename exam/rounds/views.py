from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from exam.core.auth import get_or_404, require
from exam.core.views import run_operation
from exam.exams.queries import tests_of_round
from exam.panels.queries import panel_of_position
from exam.rounds.forms import PositionForm, RoundForm
from exam.rounds.models import Round, RoundStatus
from exam.rounds.operations import add_position, advance_round, create_round
from exam.rounds.permissions import can_manage_rounds, can_view_round_admin
from exam.rounds.queries import all_rounds, public_rounds

bp = Blueprint("rounds", __name__, url_prefix="/rounds")


@bp.get("/")
def index() -> str:
    rounds = all_rounds() if can_view_round_admin(current_user) else public_rounds()
    return render_template("rounds/index.html", rounds=rounds)


@bp.route("/new", methods=["GET", "POST"])
@require(can_manage_rounds)
def new() -> str | Response:
    form = RoundForm()
    if form.validate_on_submit():
        round_ = run_operation(
            lambda: create_round(
                name=form.name.data,
                organisation=form.organisation.data,
                registration_opens_at=form.registration_opens_at.utc,
                registration_closes_at=form.registration_closes_at.utc,
                actor=current_user,
            ),
            _("Đã tạo kỳ thi."),
            form,
        )
        if round_:
            return redirect(url_for("rounds.show", round_id=round_.id))
    return render_template("rounds/form.html", form=form)


@bp.get("/<int:round_id>")
def show(round_id: int) -> str:
    round_ = get_or_404(Round, round_id)
    if round_.status == RoundStatus.DRAFT and not can_view_round_admin(current_user):
        abort(404)  # a draft is not announced yet
    panels = {p.id: panel_of_position(p.id) for p in round_.positions}
    return render_template(
        "rounds/show.html", round=round_, tests=tests_of_round(round_.id), panels=panels
    )


@bp.route("/<int:round_id>/positions/new", methods=["GET", "POST"])
@require(can_manage_rounds)
def new_position(round_id: int) -> str | Response:
    round_ = get_or_404(Round, round_id)
    form = PositionForm()
    if form.validate_on_submit():
        done = run_operation(
            lambda: add_position(
                round_,
                title=form.title.data,
                unit_name=form.unit_name.data,
                posts=form.posts.data,
                standards=form.standards.data or "",
                actor=current_user,
            ),
            _("Đã thêm vị trí."),
            form,
        )
        if done:
            return redirect(url_for("rounds.show", round_id=round_.id))
    return render_template("rounds/position_form.html", form=form, round=round_)


@bp.post("/<int:round_id>/advance")
@require(can_manage_rounds)
def advance(round_id: int) -> Response:
    round_ = get_or_404(Round, round_id)
    run_operation(lambda: advance_round(round_, actor=current_user), _("Đã chuyển giai đoạn."))
    return redirect(url_for("rounds.show", round_id=round_.id))
