from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from exam.accounts.permissions import is_candidate, is_panel_member
from exam.candidates.queries import applications_of_candidate
from exam.core.http import local_path
from exam.core.i18n import SESSION_LANGUAGE_KEY
from exam.exams.queries import attempts_of_candidate
from exam.main import round_views  # noqa: F401  (the round's page, on the rounds' blueprint)
from exam.panels.queries import panels_of_member
from exam.rounds.queries import public_rounds

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> str:
    context: dict = {"rounds": public_rounds()}
    if is_candidate(current_user):
        context["applications"] = applications_of_candidate(current_user)
        context["attempts"] = attempts_of_candidate(current_user)
    if is_panel_member(current_user):
        context["panels"] = panels_of_member(current_user)
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
