from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from exam.core.auth import get_or_404, require
from exam.core.db import utcnow
from exam.core.views import refused, run_operation
from exam.rounds.forms import (
    PositionForm,
    RoundForm,
    StopPositionForm,
    UnitEditForm,
    UnitForm,
)
from exam.rounds.models import Position, Round, RoundStatus, Unit, UnitLevel
from exam.rounds.operations import (
    add_position,
    advance_round,
    create_round,
    create_unit,
    edit_unit,
    restore_unit,
    retire_unit,
    rules_owned_elsewhere,
    stop_position,
    update_position,
    update_round,
)
from exam.rounds.permissions import (
    can_manage_round,
    can_manage_rounds,
    can_manage_units,
    can_view_units,
    ensure_in_round,
    rounds_overseen,
)
from exam.rounds.queries import all_rounds, all_units, rounds_listed_for, units_matching
from exam.rounds.standards import Standards

bp = Blueprint("rounds", __name__, url_prefix="/rounds")


@bp.get("/")
def index() -> str:
    # Announced rounds for everyone; a round's drafts only to those sitting on its Council or
    # supervisory board, and every round to the platform administration, which sets them up.
    rounds = (
        all_rounds()
        if can_manage_rounds(current_user)
        else rounds_listed_for(rounds_overseen(current_user))
    )
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
                parent_body=form.parent_body.data,
                schedule=form.schedule(),
                rules=form.rules(),
                actor=current_user,
            ),
            _("Đã tạo kỳ thi."),
            form,
        )
        if round_:
            return redirect(url_for("rounds.show", round_id=round_.id))
    return refused(form) or render_template("rounds/form.html", form=form, round=None)


@bp.route("/<int:round_id>/edit", methods=["GET", "POST"])
@login_required
def edit(round_id: int) -> str | Response:
    round_ = get_or_404(Round, round_id)
    ensure_in_round(can_manage_round(current_user, round_), current_user, round_)
    form = RoundForm(obj=round_)
    for rule, where in rules_owned_elsewhere(round_).items():  # shown, set on its own page
        getattr(form, rule).render_kw = {"readonly": True}
        getattr(form, rule).description = where
    if form.validate_on_submit():
        done = run_operation(
            lambda: update_round(
                round_,
                name=form.name.data,
                organisation=form.organisation.data,
                parent_body=form.parent_body.data or "",
                schedule=form.schedule(),
                rules=form.rules(),
                actor=current_user,
            ),
            _("Đã lưu kế hoạch và quy chế."),
            form,
        )
        if done:
            return redirect(url_for("rounds.show", round_id=round_.id))
    return refused(form) or render_template("rounds/form.html", form=form, round=round_)


@bp.route("/<int:round_id>/positions/new", methods=["GET", "POST"])
@login_required
def new_position(round_id: int) -> str | Response:
    round_ = get_or_404(Round, round_id)
    ensure_in_round(can_manage_round(current_user, round_), current_user, round_)
    form = PositionForm(all_units())
    if form.validate_on_submit():
        done = run_operation(
            lambda: add_position(
                round_,
                title=form.title.data,
                unit=get_or_404(Unit, form.unit_id.data),
                posts=form.posts.data,
                standards=form.standards.data or "",
                criteria=Standards.from_dict(form.criteria()),
                actor=current_user,
            ),
            _("Đã thêm vị trí."),
            form,
        )
        if done:
            return redirect(url_for("rounds.show", round_id=round_.id))
    return refused(form) or render_template(
        "rounds/position_form.html", form=form, round=round_, position=None
    )


@bp.route("/positions/<int:position_id>/edit", methods=["GET", "POST"])
@login_required
def edit_position(position_id: int) -> str | Response:
    position = get_or_404(Position, position_id)
    ensure_in_round(can_manage_round(current_user, position.round), current_user, position.round)
    form = PositionForm(all_units(), obj=position, current_unit_id=position.unit_id)
    if not form.is_submitted():
        form.fill(position.standards_obj)
        form.unit_id.data = position.unit_id or 0
    if form.validate_on_submit():
        done = run_operation(
            lambda: update_position(
                position,
                unit=get_or_404(Unit, form.unit_id.data),
                **form.details(),
                actor=current_user,
            ),
            _("Đã lưu vị trí và tiêu chuẩn."),
            form,
        )
        if done:
            return redirect(url_for("rounds.show", round_id=position.round_id))
    return refused(form) or render_template(
        "rounds/position_form.html", form=form, round=position.round, position=position
    )


@bp.route("/positions/<int:position_id>/stop", methods=["GET", "POST"])
@login_required
def stop(position_id: int) -> str | Response:
    position = get_or_404(Position, position_id)
    ensure_in_round(can_manage_round(current_user, position.round), current_user, position.round)
    form = StopPositionForm()
    if form.validate_on_submit():
        done = run_operation(
            lambda: stop_position(
                position, reason=form.reason.data, actor=current_user, at=utcnow()
            ),
            _("Đã dừng thi tuyển vị trí này."),
            form,
        )
        if done:
            return redirect(url_for("rounds.show", round_id=position.round_id))
    return refused(form) or render_template("rounds/stop.html", form=form, position=position)


@bp.post("/<int:round_id>/advance")
@login_required
def advance(round_id: int) -> Response:
    round_ = get_or_404(Round, round_id)
    ensure_in_round(can_manage_round(current_user, round_), current_user, round_)
    to = _stage_named(request.form.get("to"))
    run_operation(
        lambda: advance_round(round_, actor=current_user, at=utcnow(), to=to),
        _("Đã chuyển giai đoạn."),
    )
    return redirect(url_for("rounds.show", round_id=round_.id))


def _stage_named(value: str | None) -> RoundStatus | None:
    """The stage the advance button names (the one the page showed as next); None when the
    form names none, 400 for a name that is no stage."""
    if not value:
        return None
    try:
        return RoundStatus(value)
    except ValueError:
        abort(400)


@bp.get("/units/")
@require(can_view_units)
def units() -> str:
    query = request.args.get("q", "")[:200]
    return render_template(
        "rounds/units.html", units=units_matching(all_units(), query), query=query.strip()
    )


@bp.route("/units/new", methods=["GET", "POST"])
@require(can_manage_units)
def new_unit() -> str | Response:
    units_ = all_units()
    form = UnitForm(units_)
    if form.validate_on_submit():
        parent = get_or_404(Unit, form.parent_id.data) if form.parent_id.data else None
        done = run_operation(
            lambda: create_unit(
                form.name.data, UnitLevel(form.level.data), parent, actor=current_user
            ),
            _("Đã thêm đơn vị."),
            form,
        )
        if done:
            return redirect(url_for("rounds.units"))
    return refused(form) or render_template("rounds/unit_form.html", form=form)


@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@require(can_manage_units)
def edit_unit_view(unit_id: int) -> str | Response:
    unit = get_or_404(Unit, unit_id)
    form = UnitEditForm(unit, all_units(), obj=unit)
    if not form.is_submitted():
        form.parent_id.data = unit.parent_id or 0
    if form.validate_on_submit():
        parent = get_or_404(Unit, form.parent_id.data) if form.parent_id.data else None
        done = run_operation(
            lambda: edit_unit(unit, name=form.name.data, parent=parent, actor=current_user),
            _("Đã lưu đơn vị."),
            form,
        )
        if done:
            return redirect(url_for("rounds.units"))
    return refused(form) or render_template("rounds/unit_edit.html", form=form, unit=unit)


@bp.post("/units/<int:unit_id>/retire")
@require(can_manage_units)
def retire_unit_view(unit_id: int) -> Response:
    unit = get_or_404(Unit, unit_id)
    run_operation(
        lambda: retire_unit(unit, actor=current_user, at=utcnow()),
        _("Đã ngừng sử dụng đơn vị."),
    )
    return redirect(url_for("rounds.edit_unit_view", unit_id=unit.id))


@bp.post("/units/<int:unit_id>/restore")
@require(can_manage_units)
def restore_unit_view(unit_id: int) -> Response:
    unit = get_or_404(Unit, unit_id)
    run_operation(lambda: restore_unit(unit, actor=current_user), _("Đã khôi phục đơn vị."))
    return redirect(url_for("rounds.edit_unit_view", unit_id=unit.id))
