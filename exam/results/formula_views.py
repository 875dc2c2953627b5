"""The board's pages for the round's formula, a further part's scores and the Council's vote
on a tie (routes on the results' blueprint, imported by the app factory)."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from exam.candidates.queries import eligible_applications
from exam.core.auth import get_or_404
from exam.core.db import utcnow
from exam.core.views import refused, run_operation
from exam.results.forms import FormulaForm, part_scores_form, score_field, tie_form
from exam.results.formula import (
    describe,
    enter_part_scores,
    formula_of,
    part_scores_of,
    set_formula,
)
from exam.results.models import FormulaPart, PartKind
from exam.results.permissions import can_compute_results, can_set_formula
from exam.results.queries import latest_ranking
from exam.results.ties import council_items, settle_tie
from exam.results.views import bp
from exam.rounds.models import Position, Round
from exam.rounds.permissions import ensure_in_round


@bp.route("/rounds/<int:round_id>/formula", methods=["GET", "POST"])
@login_required
def formula(round_id: int) -> str | Response:
    """Choose a preset or write the parts; the operation refuses once the round is not a
    draft."""
    round_ = get_or_404(Round, round_id)
    ensure_in_round(can_set_formula(current_user, round_), current_user, round_)
    current = formula_of(round_)
    form = FormulaForm()
    if request.method == "GET" and not form.restored:
        form.fill(current)
    if form.validate_on_submit():
        done = run_operation(
            lambda: set_formula(round_, form.chosen(round_), actor=current_user),
            _("Đã lưu công thức tính kết quả."),
            form,
        )
        if done:
            return redirect(url_for("results.formula", round_id=round_.id))
    return refused(form) or render_template(
        "results/formula.html",
        round=round_,
        formula=current,
        sentences=describe(current),
        form=form,
    )


@bp.route("/rounds/<int:round_id>/formula/parts/<int:part_id>/scores", methods=["GET", "POST"])
@login_required
def part_scores(round_id: int, part_id: int) -> str | Response:
    """A further part's scores, typed by the board for every candidate of the round."""
    round_ = get_or_404(Round, round_id)
    ensure_in_round(can_set_formula(current_user, round_), current_user, round_)
    part = get_or_404(FormulaPart, part_id)
    if part.formula.round_id != round_.id or part.kind != PartKind.OTHER:
        return redirect(url_for("results.formula", round_id=round_.id))
    applications = [a for p in round_.positions for a in eligible_applications(p.id)]
    form = part_scores_form([a.id for a in applications])
    entered = part_scores_of(part)
    if request.method == "GET" and not form.restored:
        for a in applications:
            if a.id in entered:
                getattr(form, score_field(a.id)).data = format(entered[a.id], "f")
    if form.validate_on_submit():
        typed = [(a, getattr(form, score_field(a.id)).data or "") for a in applications]
        done = run_operation(
            lambda: enter_part_scores(
                part, typed, actor=current_user, at=utcnow(), field_of=lambda a: score_field(a.id)
            ),
            _("Đã lưu điểm phần thi."),
            form,
        )
        if done:
            return redirect(url_for("results.part_scores", round_id=round_.id, part_id=part.id))
    return refused(form) or render_template(
        "results/part_scores.html",
        round=round_,
        part=part,
        rows=[(a, form[score_field(a.id)]) for a in applications],
        form=form,
    )


@bp.post("/positions/<int:position_id>/results/ties")
@login_required
def settle(position_id: int) -> Response:
    """Record the Council's adopted vote on a tie at the winning line of the latest ranking."""
    position = get_or_404(Position, position_id)
    ensure_in_round(can_compute_results(current_user, position.round), current_user, position.round)
    page = url_for("results.show", position_id=position.id)
    ranking = latest_ranking(position.id)
    if ranking is None or not ranking.pending_rows:
        return redirect(page)
    items = council_items(position.round_id)
    form = tie_form(ranking.pending_rows, items)
    if form.validate_on_submit():
        pending = {row.id: row for row in ranking.pending_rows}
        winners = [pending[i] for i in form.winner_ids.data or [] if i in pending]
        item = next(i for i in items if i.id == form.item_id.data)
        run_operation(
            lambda: settle_tie(ranking, winners, item=item, actor=current_user, at=utcnow()),
            _("Đã ghi quyết định của Hội đồng về thí sinh bằng điểm."),
            form,
        )
    return refused(form, page) or redirect(page)
