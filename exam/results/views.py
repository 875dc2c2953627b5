from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from exam.core.auth import get_or_404
from exam.core.db import utcnow
from exam.core.views import run_operation
from exam.exams.queries import tests_of_round
from exam.results.forms import TieForm, tie_form
from exam.results.formula import describe, formula_of
from exam.results.models import Ranking
from exam.results.operations import compute_ranking
from exam.results.permissions import can_compute_results, can_view_results
from exam.results.queries import latest_ranking, versions_of
from exam.results.ties import council_items
from exam.rounds.models import Position
from exam.rounds.permissions import ensure_in_round

bp = Blueprint("results", __name__)


@bp.get("/positions/<int:position_id>/results")
@login_required
def show(position_id: int) -> str:
    position = get_or_404(Position, position_id)
    ensure_in_round(can_view_results(current_user, position.round), current_user, position.round)
    ranking = latest_ranking(position.id)
    return render_template(
        "results/show.html",
        position=position,
        ranking=ranking,
        formula_rule=describe(formula_of(position.round)),
        tie=_tie_form(ranking),
        versions=versions_of(position.id),
    )


def _tie_form(ranking: Ranking | None) -> TieForm | None:
    """The form recording the Council's vote, while candidates tie for the last post(s)."""
    if ranking is None or not ranking.pending_rows:
        return None
    items = council_items(ranking.position.round_id)
    return tie_form(ranking.pending_rows, items) if items else None


@bp.post("/positions/<int:position_id>/results/compute")
@login_required
def compute(position_id: int) -> Response:
    position = get_or_404(Position, position_id)
    ensure_in_round(can_compute_results(current_user, position.round), current_user, position.round)
    has_test = bool(tests_of_round(position.round_id))
    run_operation(
        lambda: compute_ranking(position, has_test=has_test, actor=current_user, at=utcnow()),
        _("Đã tổng hợp kết quả và xếp hạng."),
    )
    return redirect(url_for("results.show", position_id=position.id))
