from __future__ import annotations

from flask import Blueprint, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from exam.audit.operations import current_anchor
from exam.core.auth import get_or_404
from exam.core.db import utcnow
from exam.core.pdf import render_pdf
from exam.core.views import run_operation
from exam.exams.queries import tests_of_round
from exam.results.formula import describe, formula_of
from exam.results.operations import compute_ranking
from exam.results.permissions import can_compute_results, can_view_results
from exam.results.queries import latest_ranking, ranking_document
from exam.rounds.models import Position
from exam.rounds.permissions import ensure_in_round

bp = Blueprint("results", __name__)


@bp.get("/positions/<int:position_id>/results")
@login_required
def show(position_id: int) -> str:
    position = get_or_404(Position, position_id)
    ensure_in_round(can_view_results(current_user, position.round), current_user, position.round)
    return render_template(
        "results/show.html",
        position=position,
        ranking=latest_ranking(position.id),
        formula_rule=describe(formula_of(position.round)),
    )


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


@bp.get("/positions/<int:position_id>/results.pdf")
@login_required
def pdf(position_id: int) -> Response:
    position = get_or_404(Position, position_id)
    ensure_in_round(can_view_results(current_user, position.round), current_user, position.round)
    ranking = latest_ranking(position.id)
    if ranking is None:
        return redirect(url_for("results.show", position_id=position.id))
    data = ranking_document(position, ranking, at=utcnow(), audit_anchor=current_anchor())
    document = render_pdf("pdf/ranking.html", ranking=data)
    response = make_response(document)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="ket-qua-vi-tri-{position.id}.pdf"'
    )
    return response
