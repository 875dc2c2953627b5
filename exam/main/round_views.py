"""The round's page: its stage, plan and positions, and what every domain has of it (dossiers,
tests, panels, the lot, results), so it lives at the top. It keeps the rounds' address and
endpoint (``rounds.show``): the route is added to the rounds' blueprint, which
``exam/main/views.py`` imports before the app registers it."""

from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user

from exam.candidates.queries import draw_of, round_counts
from exam.core.auth import get_or_404
from exam.core.db import utcnow
from exam.council.permissions import is_platform_admin
from exam.exams.queries import tests_of_round
from exam.panels.queries import panel_of_position
from exam.rounds.models import Round, RoundStatus
from exam.rounds.operations import advance_problems
from exam.rounds.permissions import can_view_round_admin
from exam.rounds.views import bp as rounds_bp


@rounds_bp.get("/<int:round_id>")
def show(round_id: int) -> str:
    round_ = get_or_404(Round, round_id)
    admin = can_view_round_admin(current_user, round_)
    # A draft is not announced yet: only its Council and supervisory board see it, and the
    # platform administration, which sets its bodies up.
    if round_.status == RoundStatus.DRAFT and not (admin or is_platform_admin(current_user)):
        abort(404)
    target = round_.next_status()
    return render_template(
        "rounds/show.html",
        round=round_,
        tests=tests_of_round(round_.id),
        panels={p.id: panel_of_position(p.id) for p in round_.positions},
        counts=round_counts(round_) if admin else {},
        draws={p.id: draw_of(p.id) for p in round_.positions},
        # What stands in the way of the next stage, listed before its button (disabled).
        problems=advance_problems(round_, target, utcnow()) if admin and target else [],
    )
