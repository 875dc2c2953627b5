"""Pages of the đề án and of the interview sessions, on the panels' blueprint (imported by
the app factory before the blueprint is registered)."""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from exam.candidates.models import Application
from exam.core.auth import ensure, get_or_404
from exam.core.db import utcnow
from exam.core.http import allows_upload_of
from exam.core.storage import storage
from exam.core.views import refused, run_operation
from exam.panels import media
from exam.panels.models import Panel
from exam.panels.permissions import can_manage_panels, can_view_panel, membership
from exam.panels.plans import (
    Plan,
    admitted,
    can_read_plan,
    current_plan,
    plans_by_application,
    set_interview_settings,
    settings_of,
    upload_plan,
)
from exam.panels.queries import interview_list
from exam.panels.session_forms import (
    InterviewSettingsForm,
    PlanForm,
    SessionForm,
    prefill_session,
    prefill_settings,
    recording_form,
)
from exam.panels.sessions import (
    Phase,
    Recording,
    attach_recording,
    end_phase,
    mark_presence,
    presentation_sequence,
    recordings_of,
    running_turn,
    runs_session,
    session_of,
    set_session,
    start_phase,
    timetable,
)
from exam.panels.views import bp
from exam.rounds.models import Round
from exam.rounds.permissions import ensure_in_round, runs

UPLOAD_OVERHEAD = 1024 * 1024  # the form's other fields and the multipart framing


def _private_file(stored_name: str, mimetype: str, name: str, *, attachment: bool) -> Response:
    """Streamed from the store (Range requests answered 206), never cached by a proxy."""
    return storage().send(
        media.key_of(stored_name), download_name=name, mimetype=mimetype, as_attachment=attachment
    )


# --- the round's settings -------------------------------------------------------------------


@bp.route("/rounds/<int:round_id>/interview-settings", methods=["GET", "POST"])
@login_required
def interview_settings(round_id: int) -> str | Response:
    round_ = get_or_404(Round, round_id)
    ensure_in_round(can_manage_panels(current_user, round_), current_user, round_)
    settings = settings_of(round_)
    form = InterviewSettingsForm()
    if not form.is_submitted():
        prefill_settings(form, settings)
    if form.validate_on_submit():
        done = run_operation(
            lambda: set_interview_settings(
                round_,
                plan_deadline=form.plan_deadline.utc,
                presentation_minutes=form.presentation_minutes.data,
                questions_min_minutes=form.questions_min_minutes.data,
                questions_max_minutes=form.questions_max_minutes.data,
                actor=current_user,
            ),
            _("Đã lưu thiết lập đề án và phỏng vấn."),
            form,
        )
        if done:
            return redirect(url_for("panels.interview_settings", round_id=round_.id))
    return refused(form) or render_template("panels/plan_settings.html", form=form, round=round_)


# --- the candidate's đề án ------------------------------------------------------------------


def _own_application(application_id: int) -> Application:
    application = get_or_404(Application, application_id)
    ensure(application.candidate_id == current_user.id, hide=True)
    return application


@bp.route("/applications/<int:application_id>/plan", methods=["GET", "POST"])
@allows_upload_of(lambda: media.plan_max_bytes() + UPLOAD_OVERHEAD)
@login_required
def plan(application_id: int) -> str | Response:
    application = _own_application(application_id)
    form = PlanForm()
    if form.validate_on_submit():
        storage = form.file.data
        done = run_operation(
            lambda: upload_plan(
                application,
                filename=storage.filename or "",
                stream=storage.stream,
                actor=current_user,
                at=utcnow(),
            ),
            _("Đã nộp đề án."),
            form,
        )
        if done:
            return redirect(url_for("panels.plan", application_id=application.id))
    return refused(form) or render_template(
        "panels/plan.html", form=form, **_plan_page(application)
    )


def _plan_page(application: Application) -> dict[str, Any]:
    """The candidate's đề án as it stands, and whether and until when one may be sent."""
    return dict(
        application=application,
        plan=current_plan(application),
        admitted=admitted(application),
        settings=settings_of(application.round),
        max_mb=f"{media.plan_max_bytes() / 1024 / 1024:g}",
        now=utcnow(),
    )


@bp.get("/applications/<int:application_id>/plan.pdf")
@login_required
def plan_file(application_id: int) -> Response:
    application = get_or_404(Application, application_id)
    ensure(can_read_plan(current_user, application), hide=True)
    found: Plan | None = current_plan(application)
    if found is None:
        abort(404)
    return _private_file(
        found.stored_name, found.content_type, found.original_name, attachment=True
    )


@bp.get("/panels/<int:panel_id>/plans")
@login_required
def plans(panel_id: int) -> str:
    panel = get_or_404(Panel, panel_id)
    round_ = panel.position.round
    ensure(membership(current_user, panel) is not None or runs(current_user, round_), hide=True)
    applications = presentation_sequence(panel) or interview_list(panel)
    return render_template(
        "panels/plans.html",
        panel=panel,
        applications=applications,
        plans=plans_by_application(applications),
        settings=settings_of(round_),
    )


# --- the session ----------------------------------------------------------------------------


def _viewable(panel_id: int) -> Panel:
    panel = get_or_404(Panel, panel_id)
    ensure(can_view_panel(current_user, panel), hide=True)
    return panel


def _run(panel_id: int) -> Panel:
    panel = _viewable(panel_id)
    ensure(runs_session(current_user, panel))
    return panel


@bp.route("/panels/<int:panel_id>/session", methods=["GET", "POST"])
@login_required
def session(panel_id: int) -> str | Response:
    panel = _viewable(panel_id)
    runner = runs_session(current_user, panel)
    form = SessionForm()
    if runner and not form.is_submitted() and (current := session_of(panel)) is not None:
        prefill_session(form, current)
    if request.method == "POST":
        ensure(runner)
        if form.validate_on_submit():
            done = run_operation(
                lambda: set_session(
                    panel,
                    room=form.room.data,
                    starts_at=form.starts_at.utc,
                    slot_minutes=form.slot_minutes.data,
                    actor=current_user,
                ),
                _("Đã lưu lịch phỏng vấn."),
                form,
            )
            if done:
                return redirect(url_for("panels.session", panel_id=panel.id))
    return refused(form) or render_template(
        "panels/session.html", form=form if runner else None, **_session_page(panel, runner)
    )


def _session_page(panel: Panel, runner: bool) -> dict[str, Any]:
    """The timetable and the recordings, with the upload's form for who runs the session."""
    return dict(
        panel=panel,
        runner=runner,
        recording_form=recording_form(panel) if runner else None,
        slots=timetable(panel),
        recordings=recordings_of(panel),
        max_recording_mb=f"{media.recording_max_bytes() / 1024 / 1024:g}",
    )


def _timer_facts(panel: Panel) -> dict:
    """What the room's screen shows: the running phase with its server-recorded start and
    limits, or the next candidate."""
    settings = settings_of(panel.position.round)
    turn = running_turn(panel)
    facts: dict = {"server_now": utcnow().timestamp(), "phase": None, "candidate": None}
    if turn is None:
        return facts
    application = turn.application
    facts["candidate"] = f"{application.registration_number} — {application.candidate.full_name}"
    if turn.presentation_ended_at is None:
        facts.update(
            phase=Phase.PRESENTATION.value,
            started=turn.presentation_started_at.timestamp(),
            limit=settings.presentation_minutes * 60,
            minimum=0,
        )
    else:
        facts.update(
            phase=Phase.QUESTIONS.value,
            started=turn.questions_started_at.timestamp(),
            limit=settings.questions_max_minutes * 60,
            minimum=settings.questions_min_minutes * 60,
        )
    return facts


@bp.get("/panels/<int:panel_id>/session/run")
@login_required
def session_run(panel_id: int) -> str:
    panel = _run(panel_id)
    return render_template(
        "panels/session_run.html",
        panel=panel,
        slots=timetable(panel),
        facts=_timer_facts(panel),
        settings=settings_of(panel.position.round),
    )


@bp.get("/panels/<int:panel_id>/session/screen")
@login_required
def session_screen(panel_id: int) -> str:
    panel = _viewable(panel_id)
    return render_template(
        "panels/session_screen.html",
        panel=panel,
        facts=_timer_facts(panel),
    )


@bp.get("/panels/<int:panel_id>/session/state.json")
@login_required
def session_state(panel_id: int) -> Response:
    response = jsonify(_timer_facts(_viewable(panel_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


ACTIONS = {
    "present": lambda p, a, **kw: mark_presence(p, a, present=True, **kw),
    "absent": lambda p, a, **kw: mark_presence(p, a, present=False, **kw),
    "presentation-start": lambda p, a, **kw: start_phase(p, a, Phase.PRESENTATION, **kw),
    "presentation-end": lambda p, a, **kw: end_phase(p, a, Phase.PRESENTATION, **kw),
    "questions-start": lambda p, a, **kw: start_phase(p, a, Phase.QUESTIONS, **kw),
    "questions-end": lambda p, a, **kw: end_phase(p, a, Phase.QUESTIONS, **kw),
}


@bp.post("/panels/<int:panel_id>/session/turns/<int:application_id>/<action>")
@login_required
def session_turn(panel_id: int, application_id: int, action: str) -> Response:
    panel = _run(panel_id)
    if action not in ACTIONS:
        abort(404)
    application = get_or_404(Application, application_id)
    run_operation(
        lambda: ACTIONS[action](panel, application, actor=current_user, at=utcnow()),
        _("Đã ghi nhận."),
    )
    return redirect(url_for("panels.session_run", panel_id=panel.id), code=303)


# --- recordings -----------------------------------------------------------------------------


@bp.post("/panels/<int:panel_id>/recordings")
@allows_upload_of(lambda: media.recording_max_bytes() + UPLOAD_OVERHEAD)
@login_required
def add_recording(panel_id: int) -> Response:
    panel = _run(panel_id)
    form = recording_form(panel)
    page = url_for("panels.session", panel_id=panel.id)
    if form.validate_on_submit():
        storage = form.file.data
        chosen = form.application_id.data or None
        application = get_or_404(Application, chosen) if chosen else None
        run_operation(
            lambda: attach_recording(
                panel,
                application=application,
                filename=storage.filename or "",
                stream=storage.stream,
                actor=current_user,
                at=utcnow(),
            ),
            _("Đã đính kèm bản ghi."),
            form,
        )
        if not form.errors:
            return redirect(page, code=303)
    return refused(form, page) or redirect(page, code=303)


@bp.get("/recordings/<int:recording_id>")
@login_required
def recording(recording_id: int) -> Response:
    found = get_or_404(Recording, recording_id)
    ensure(can_view_panel(current_user, found.panel), hide=True)
    return _private_file(
        found.stored_name, found.content_type, found.original_name, attachment=False
    )
