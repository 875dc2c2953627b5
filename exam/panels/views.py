from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from exam.candidates.models import Application
from exam.core.auth import ensure, get_or_404, require
from exam.core.db import utcnow
from exam.core.views import refused, run_operation
from exam.council.models import BodyKind
from exam.council.queries import people_on
from exam.panels.forms import PanelForm, ScoreForm
from exam.panels.models import Panel, PanelRole
from exam.panels.operations import create_panel, record_panel_score, sheets_of_member
from exam.panels.permissions import (
    can_manage_panels,
    can_view_panel,
    is_panel_member,
    membership,
)
from exam.panels.queries import interview_list, panels_of_member
from exam.rounds.models import Round
from exam.rounds.permissions import INTERVIEW, ensure_in_round
from exam.rounds.seats import rounds_seated

bp = Blueprint("panels", __name__)


@bp.route("/rounds/<int:round_id>/panels/new", methods=["GET", "POST"])
@login_required
def new(round_id: int) -> str | Response:
    round_ = get_or_404(Round, round_id)
    ensure_in_round(can_manage_panels(current_user, round_), current_user, round_)
    form = PanelForm()
    people = people_on(round_.id, BodyKind.INTERVIEW)
    form.position_id.choices = [SelectChoice(p.id, p.label) for p in round_.positions]
    form.chair_id.choices = [SelectChoice(u.id, u.full_name) for u in people]
    form.member_ids.choices = [SelectChoice(u.id, u.full_name) for u in people]
    if form.validate_on_submit():
        by_id = {u.id: u for u in people}
        position = next(p for p in round_.positions if p.id == form.position_id.data)
        members = [(by_id[form.chair_id.data], PanelRole.CHAIR)] + [
            (by_id[i], PanelRole.MEMBER) for i in form.member_ids.data if i != form.chair_id.data
        ]
        panel = run_operation(
            lambda: create_panel(position, form.name.data, members, actor=current_user),
            _("Đã thành lập ban phỏng vấn."),
            form,
        )
        if panel:
            return redirect(url_for("panels.show", panel_id=panel.id))
    return refused(form) or render_template("panels/form.html", form=form, round=round_)


@bp.get("/panels/")
@require(is_panel_member)
def mine() -> str:
    rounds = rounds_seated(current_user, INTERVIEW)
    return render_template("panels/mine.html", panels=panels_of_member(current_user, rounds))


@bp.get("/panels/<int:panel_id>")
@require(lambda user: True)
def show(panel_id: int) -> str:
    panel = get_or_404(Panel, panel_id)
    ensure(can_view_panel(current_user, panel), hide=True)
    seat = membership(current_user, panel)
    scored = {s.application_id: s for s in sheets_of_member(seat)} if seat else {}
    return render_template(
        "panels/show.html",
        panel=panel,
        seat=seat,
        scored=scored,
        applications=interview_list(panel),
    )


@bp.route("/panels/<int:panel_id>/applications/<int:application_id>/score", methods=["GET", "POST"])
@login_required
def score(panel_id: int, application_id: int) -> str | Response:
    panel = get_or_404(Panel, panel_id)
    seat = membership(current_user, panel)
    ensure(seat is not None, hide=True)
    application = get_or_404(Application, application_id)
    ensure(application in interview_list(panel), hide=True)
    sealed = next((s for s in sheets_of_member(seat) if s.application_id == application.id), None)
    if sealed is not None:  # a sheet is given once: reopening it shows what was sealed
        if request.method == "POST":  # a second sheet: the operation says why not
            run_operation(
                lambda: record_panel_score(
                    seat, application, None, actor=current_user, at=utcnow()
                ),
                "",
            )
        return refused(None) or render_template(
            "panels/score.html", form=None, sheet=sealed, panel=panel, application=application
        )
    form = ScoreForm()
    if form.validate_on_submit():
        sheet = run_operation(
            lambda: record_panel_score(
                seat,
                application,
                form.score.data,
                comment=form.comment.data or "",
                actor=current_user,
                at=utcnow(),
            ),
            _("Đã gửi phiếu chấm."),
            form,
        )
        if sheet:
            return redirect(url_for("panels.show", panel_id=panel.id))
    return refused(form) or render_template(
        "panels/score.html", form=form, sheet=None, panel=panel, application=application
    )
