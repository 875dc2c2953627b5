from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from exam.candidates.models import Application
from exam.core.auth import ensure, get_or_404, require
from exam.core.db import utcnow
from exam.core.errors import DomainError, ValidationFailed
from exam.core.http import is_id
from exam.core.i18n import to_local
from exam.core.views import commit_after, refused, run_operation
from exam.council.models import BodyKind
from exam.council.queries import people_on
from exam.panels.forms import (
    AddPositionForm,
    DeclarationForm,
    GuideForm,
    ReasonForm,
    ReplaceMemberForm,
    ScoreForm,
    declared_relations,
    guide_rows,
    panel_form,
    points_from,
    prefill_guide,
    prefill_sheet,
    relation_choices,
    seated_members,
    sheet_form,
    spread_form,
)
from exam.panels.models import (
    Panel,
    PanelMember,
    PanelRole,
    ScoreSheet,
    SpreadDecision,
)
from exam.panels.operations import (
    add_position,
    create_panel,
    declare,
    drop_position_guide,
    record_panel_score,
    reopen_sheet,
    replace_member,
    rule_on_spread,
    save_draft,
    seal_sheet,
    set_guide,
    sheets_of_member,
)
from exam.panels.permissions import (
    can_manage_panels,
    can_view_panel,
    is_panel_member,
    membership,
)
from exam.panels.queries import (
    all_sealed,
    awaits_ruling,
    criteria_for,
    declarations_of,
    guide_of,
    has_declared_all,
    interview_list,
    is_recused,
    latest_ruling,
    panel_of_position,
    panel_score,
    panels_of_member,
    position_guide,
    sealed_sheets,
    sheet_of,
)
from exam.rounds.models import Position, Round
from exam.rounds.permissions import INTERVIEW, ensure_in_round
from exam.rounds.seats import rounds_seated

bp = Blueprint("panels", __name__)


@bp.route("/rounds/<int:round_id>/panels/new", methods=["GET", "POST"])
@login_required
def new(round_id: int) -> str | Response:
    round_ = get_or_404(Round, round_id)
    ensure_in_round(can_manage_panels(current_user, round_), current_user, round_)
    people = people_on(round_.id, BodyKind.INTERVIEW)
    form = panel_form(round_.positions, people)
    if form.validate_on_submit():
        position = next(p for p in round_.positions if p.id == form.position_id.data)
        members = seated_members(form, people)
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
    can_manage = can_manage_panels(current_user, panel.position.round)
    return render_template(
        "panels/show.html",
        **_show_context(panel, membership(current_user, panel)),
        can_manage=can_manage,
        replace_form=_replace_form(panel) if can_manage else None,
        position_form=_position_form(panel) if can_manage else None,
    )


def _show_context(panel: Panel, seat: PanelMember | None) -> dict[str, Any]:
    """What the panel's page shows of each candidate for the user's seat (if any)."""
    applications = interview_list(panel)
    return dict(
        panel=panel,
        seat=seat,
        scored={s.application_id: s for s in sheets_of_member(seat)} if seat else {},
        applications=applications,
        declared=has_declared_all(seat) if seat else False,
        recused={a.id for a in applications if seat and is_recused(seat, a)},
        complete={a.id for a in applications if all_sealed(panel, a)},
        # For the head: who has sealed (names only, never points), to reopen on request.
        sealed_by=(
            {a.id: sealed_sheets(panel, a) for a in applications}
            if seat is not None and seat.role == PanelRole.CHAIR
            else {}
        ),
        awaiting={a.id for a in applications if awaits_ruling(panel, a)},
    )


def _replace_form(panel: Panel) -> ReplaceMemberForm:
    form = ReplaceMemberForm()
    seated = {m.user_id for m in panel.members}
    form.user_id.choices = [
        SelectChoice(u.id, u.full_name)
        for u in people_on(panel.position.round_id, BodyKind.INTERVIEW)
        if u.id not in seated
    ]
    return form


def _position_form(panel: Panel) -> AddPositionForm:
    form = AddPositionForm()
    form.position_id.choices = [
        SelectChoice(p.id, p.label)
        for p in panel.position.round.positions
        if panel_of_position(p.id) is None
    ]
    return form


def _ensure_manages(panel: Panel) -> None:
    ensure(can_view_panel(current_user, panel), hide=True)
    ensure(can_manage_panels(current_user, panel.position.round))


@bp.post("/panels/<int:panel_id>/members/<int:member_id>/replace")
@login_required
def replace(panel_id: int, member_id: int) -> Response:
    """Another member of the interview board takes a seat, with a reason (audited)."""
    panel = get_or_404(Panel, panel_id)
    _ensure_manages(panel)
    seat = get_or_404(PanelMember, member_id)
    ensure(seat.panel_id == panel.id, hide=True)
    form = _replace_form(panel)
    if form.validate_on_submit():
        by_id = {u.id: u for u in people_on(panel.position.round_id, BodyKind.INTERVIEW)}
        run_operation(
            lambda: replace_member(
                seat, by_id[form.user_id.data], form.reason.data, actor=current_user
            ),
            _("Đã thay thành viên ban."),
        )
    else:
        flash(_("Chọn người thay và ghi rõ lý do."), "danger")
    return redirect(url_for("panels.show", panel_id=panel.id), code=303)


@bp.post("/panels/<int:panel_id>/positions")
@login_required
def positions(panel_id: int) -> Response:
    """The panel also scores another position of its round."""
    panel = get_or_404(Panel, panel_id)
    _ensure_manages(panel)
    form = _position_form(panel)
    if form.validate_on_submit():
        position = next(p for p in panel.position.round.positions if p.id == form.position_id.data)
        run_operation(
            lambda: add_position(panel, position, actor=current_user),
            _("Đã giao thêm vị trí cho ban."),
        )
    else:
        flash(_("Chọn một vị trí chưa có ban phỏng vấn."), "danger")
    return redirect(url_for("panels.show", panel_id=panel.id), code=303)


def _seat_and_application(panel_id: int, application_id: int) -> tuple:
    """The user's seat on the panel and a candidate of its list, else 404."""
    panel = get_or_404(Panel, panel_id)
    seat = membership(current_user, panel)
    ensure(seat is not None, hide=True)
    application = get_or_404(Application, application_id)
    ensure(application in interview_list(panel), hide=True)
    return panel, seat, application


@bp.route("/panels/<int:panel_id>/applications/<int:application_id>/score", methods=["GET", "POST"])
@login_required
def score(panel_id: int, application_id: int) -> str | Response:
    panel, seat, application = _seat_and_application(panel_id, application_id)
    criteria = criteria_for(application)  # its position's guide, else the round's
    sheet = sheet_of(seat, application)
    context = {
        "panel": panel,
        "application": application,
        "criteria": criteria,
        "recused": is_recused(seat, application),
        "declared": has_declared_all(seat),
    }
    if sheet is not None and sheet.submitted_at is not None:
        return _sealed_sheet(seat, application, sheet, context)
    if not criteria:
        return _plain_score(seat, application, context)
    return _sheet_by_criteria(seat, application, criteria, sheet, context)


def _sealed_sheet(
    seat: PanelMember, application: Application, sealed: ScoreSheet, context: dict[str, Any]
) -> str | Response:
    """A sheet is given once: reopening it shows what was sealed."""
    if request.method == "POST":  # a second sheet: the operation says why not
        run_operation(
            lambda: record_panel_score(seat, application, None, actor=current_user, at=utcnow()),
            "",
        )
    return refused(None) or render_template("panels/score.html", form=None, sheet=sealed, **context)


def _plain_score(
    seat: PanelMember, application: Application, context: dict[str, Any]
) -> str | Response:
    """No marking guide: one score out of 100 and a comment."""
    form = ScoreForm()
    if form.validate_on_submit():
        done = run_operation(
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
        if done:
            return redirect(url_for("panels.show", panel_id=seat.panel_id))
    return refused(form) or render_template("panels/score.html", form=form, sheet=None, **context)


def _sheet_by_criteria(
    seat: PanelMember,
    application: Application,
    criteria: list,
    draft: ScoreSheet | None,
    context: dict[str, Any],
) -> str | Response:
    """The guide's criteria, prefilled with the draft, sealed when sent."""
    form = sheet_form(criteria)
    if request.method == "GET" and draft is not None:
        prefill_sheet(form, criteria, draft)
    if form.validate_on_submit():
        done = run_operation(
            lambda: seal_sheet(
                seat,
                application,
                points_from(form, criteria),
                comment=form.comment.data or "",
                actor=current_user,
                at=utcnow(),
            ),
            _("Đã niêm phong phiếu chấm."),
            form,
        )
        if done:
            return redirect(url_for("panels.show", panel_id=seat.panel_id))
    return refused(form) or render_template(
        "panels/score.html", form=form, sheet=None, draft=draft, **context
    )


@bp.post("/panels/<int:panel_id>/applications/<int:application_id>/draft")
@login_required
def draft(panel_id: int, application_id: int) -> tuple[Response, int]:
    """Autosave of a sheet being written (JSON, CSRF header as the exam page)."""
    _panel, seat, application = _seat_and_application(panel_id, application_id)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("points", {}), dict):
        return jsonify(ok=False, errors={"": _("Dữ liệu không hợp lệ.")}), 400
    try:
        sheet = commit_after(
            lambda: save_draft(
                seat,
                application,
                payload.get("points", {}),
                comment=str(payload.get("comment", ""))[:2000],
                actor=current_user,
                at=utcnow(),
            )
        )
    except ValidationFailed as error:
        return jsonify(ok=False, errors={f or "": str(m) for f, m in error.reasons}), 422
    except DomainError as error:
        return jsonify(ok=False, errors={"": str(error.message)}), 409
    return jsonify(ok=True, total=str(sheet.score), saved_at=to_local(utcnow()).isoformat()), 200


@bp.route("/panels/<int:panel_id>/declarations", methods=["GET", "POST"])
@login_required
def declarations(panel_id: int) -> str | Response:
    panel = get_or_404(Panel, panel_id)
    seat = membership(current_user, panel)
    ensure(seat is not None, hide=True)
    applications = interview_list(panel)
    declared = declarations_of(seat)
    form = DeclarationForm()
    if form.validate_on_submit():
        given = declared_relations(request.form, applications, declared)
        if given is None:
            flash(_("Chọn quan hệ (hoặc không có quan hệ) cho từng thí sinh."), "danger")
            return redirect(url_for("panels.declarations", panel_id=panel.id), code=303)
        done = run_operation(
            lambda: [
                declare(seat, a, r, actor=current_user, at=utcnow()) for a, r in given.items()
            ],
            _("Đã ghi bản kê khai."),
            form,
        )
        if done:
            return redirect(url_for("panels.show", panel_id=panel.id))
    context = dict(panel=panel, applications=applications, declared=declared)
    return refused(form) or render_template(
        "panels/declarations.html", form=form, choices=relation_choices(), **context
    )


@bp.get("/panels/<int:panel_id>/applications/<int:application_id>/sheets")
@login_required
def sheets(panel_id: int, application_id: int) -> str:
    """Every member's sheet for the candidate: nobody, the Chair included, reads them until
    every member who scores the candidate has sealed theirs (404 before)."""
    panel = get_or_404(Panel, panel_id)
    ensure(can_view_panel(current_user, panel), hide=True)
    application = get_or_404(Application, application_id)
    ensure(application in interview_list(panel), hide=True)
    ensure(all_sealed(panel, application), hide=True)
    seat = membership(current_user, panel)
    return render_template(
        "panels/sheets.html",
        panel=panel,
        application=application,
        sheets=sealed_sheets(panel, application),
        criteria=criteria_for(application),
        is_head=seat is not None and seat.role == PanelRole.CHAIR,
        awaits=awaits_ruling(panel, application),
        ruling=latest_ruling(panel, application),
        score=panel_score(panel, application),
        reopen_form=ReasonForm(),
        spread_form=spread_form(),
    )


def _require_head_seat(panel: Panel) -> Any:
    seat = membership(current_user, panel)
    ensure(seat is not None, hide=True)
    ensure(seat.role == PanelRole.CHAIR)
    return seat


@bp.post("/panels/<int:panel_id>/sheets/<int:sheet_id>/reopen")
@login_required
def reopen(panel_id: int, sheet_id: int) -> Response:
    panel = get_or_404(Panel, panel_id)
    _require_head_seat(panel)
    sheet = get_or_404(ScoreSheet, sheet_id)
    ensure(sheet.member.panel_id == panel.id, hide=True)
    form = ReasonForm()
    if form.validate_on_submit():
        run_operation(
            lambda: reopen_sheet(sheet, form.reason.data, actor=current_user, at=utcnow()),
            _("Đã mở lại phiếu chấm; thành viên chấm và niêm phong lại."),
        )
    else:
        flash(_("Cần ghi rõ lý do."), "danger")
    return redirect(url_for("panels.show", panel_id=panel.id), code=303)


@bp.post("/panels/<int:panel_id>/applications/<int:application_id>/spread")
@login_required
def spread(panel_id: int, application_id: int) -> Response:
    panel = get_or_404(Panel, panel_id)
    _require_head_seat(panel)
    application = get_or_404(Application, application_id)
    ensure(application in interview_list(panel), hide=True)
    form = spread_form()
    back = url_for("panels.sheets", panel_id=panel.id, application_id=application.id)
    if not form.validate_on_submit():
        flash(_("Chọn quyết định và ghi rõ lý do."), "danger")
        return redirect(back, code=303)
    done = run_operation(
        lambda: rule_on_spread(
            panel,
            application,
            SpreadDecision(form.decision.data),
            form.reason.data,
            actor=current_user,
            at=utcnow(),
        ),
        _("Đã ghi quyết định của Trưởng ban."),
    )
    if done and form.decision.data == SpreadDecision.RESCORE.value:
        return redirect(url_for("panels.show", panel_id=panel.id), code=303)
    return redirect(back, code=303)


@bp.route("/rounds/<int:round_id>/panels/guide", methods=["GET", "POST"])
@login_required
def guide(round_id: int) -> str | Response:
    """The round's marking guide, or (``?position=<id>``) a position's own criteria, edited by
    the board; the guide in force (else the legal example) prefilled."""
    round_ = get_or_404(Round, round_id)
    ensure_in_round(can_manage_panels(current_user, round_), current_user, round_)
    position = _guide_position(round_)
    own = position_guide(position) if position else None
    form = GuideForm()
    if position is not None:  # a position's guide holds criteria only
        del form.min_sheets, form.trimmed_mean
    if request.method == "GET":
        prefill_guide(form, own or guide_of(round_))
    if form.validate_on_submit():
        rows = guide_rows(form)
        done = run_operation(
            lambda: set_guide(
                round_,
                rows,
                min_sheets=(form.min_sheets.data or 2) if form.min_sheets else 2,
                trimmed_mean=bool(form.trimmed_mean and form.trimmed_mean.data),
                actor=current_user,
                position=position,
            ),
            _("Đã lưu hướng dẫn chấm."),
            form,
        )
        if done:
            return redirect(request.full_path if position else request.path)
    return refused(form) or render_template(
        "panels/guide.html", form=form, round=round_, position=position, own=own
    )


def _guide_position(round_: Round) -> Position | None:
    """The position named by ``?position=``, one of the round's (else 404)."""
    position_id = request.args.get("position", type=int)
    if position_id is None:
        return None
    ensure(is_id(position_id), hide=True)  # beyond the id column: no query that would fail
    position = get_or_404(Position, position_id)
    ensure(position.round_id == round_.id, hide=True)
    return position


@bp.post("/rounds/<int:round_id>/panels/guide/positions/<int:position_id>/drop")
@login_required
def drop_guide(round_id: int, position_id: int) -> Response:
    """The position goes back to the round's guide."""
    round_ = get_or_404(Round, round_id)
    ensure_in_round(can_manage_panels(current_user, round_), current_user, round_)
    position = get_or_404(Position, position_id)
    ensure(position.round_id == round_.id, hide=True)
    run_operation(
        lambda: drop_position_guide(position, actor=current_user),
        _("Vị trí này dùng lại hướng dẫn chấm chung của kỳ thi."),
    )
    return redirect(url_for("panels.guide", round_id=round_.id, position=position.id))
