from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from exam.accounts.permissions import is_candidate
from exam.candidates.queries import applications_of_candidate
from exam.core.http import local_path
from exam.core.i18n import SESSION_LANGUAGE_KEY
from exam.exams.queries import attempts_of_candidate
from exam.main import round_views  # noqa: F401  (the round's page, on the rounds' blueprint)
from exam.panels.permissions import is_panel_member
from exam.panels.queries import panels_of_member
from exam.rounds.permissions import INTERVIEW, rounds_overseen
from exam.rounds.queries import rounds_listed_for
from exam.rounds.seats import rounds_seated

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> str:
    # Announced rounds, and the drafts of the rounds whose Council or supervisory board the
    # person sits on; nothing of a round they have no seat in.
    context: dict = {"rounds": rounds_listed_for(rounds_overseen(current_user))}
    if is_candidate(current_user):
        context["applications"] = applications_of_candidate(current_user)
        context["attempts"] = attempts_of_candidate(current_user)
    if is_panel_member(current_user):
        rounds = rounds_seated(current_user, INTERVIEW)
        context["panels"] = panels_of_member(current_user, rounds)
    return render_template("main/index.html", **context)


@bp.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for /favicon.ico whatever the page links to."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.post("/language")
def set_language() -> Response:
    language = request.form.get("language", "")
    if language in ("vi", "en"):
        session[SESSION_LANGUAGE_KEY] = language
    return redirect(local_path(request.form.get("next"), url_for("main.index")))
