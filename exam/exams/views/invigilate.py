"""The invigilators' pages: their rooms, the room's console and its poll, one candidate's
page, extra time, incidents and retakes."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from flask import jsonify, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from exam.core.auth import get_or_404, require
from exam.core.db import utcnow
from exam.core.i18n import format_datetime
from exam.core.views import submit_form_and_return
from exam.exams.closing import as_read
from exam.exams.forms import ExtraTimeForm, IncidentForm, RetakeForm
from exam.exams.invigilation import allow_retake, grant_extra_time, record_incident
from exam.exams.models import Attempt, AttemptStatus, Penalty, Room
from exam.exams.permissions import (
    can_invigilate,
    can_invigilate_attempt,
    can_watch_room,
    can_watch_some_room,
)
from exam.exams.queries import ConsoleRow, progress_of, room_attempts, rooms_of, wrong_codes_of
from exam.exams.sitting import close_if_expired
from exam.exams.views.blueprint import bp
from exam.exams.views.common import answer_grace
from exam.rounds.permissions import COUNCIL, INVIGILATION, SUPERVISORY, ensure_in_round
from exam.rounds.seats import rounds_seated

CODE_SHOWN_BEFORE = dt.timedelta(minutes=30)  # the console shows the session code from then


@bp.get("/invigilation/")
@require(can_watch_some_room)
def my_rooms() -> str:
    rooms = rooms_of(
        current_user,
        invigilated_rounds=rounds_seated(current_user, INVIGILATION),
        watched_rounds=rounds_seated(current_user, COUNCIL, SUPERVISORY),
    )
    return render_template("exams/my_rooms.html", rooms=rooms)


def _room_for(room_id: int, *, act: bool = False) -> Room:
    room = get_or_404(Room, room_id)
    allowed = can_invigilate(current_user, room) if act else can_watch_room(current_user, room)
    ensure_in_round(allowed, current_user, room.session.test.round_id)
    return room


def _rows_as_read(room: Room) -> list[ConsoleRow]:
    """The room's rows, an expired paper shown closed (nothing written: exam/exams/closing.py)."""
    now, grace = utcnow(), answer_grace()
    return [
        replace(row, attempt=as_read(row.attempt, at=now, grace_seconds=grace))
        for row in room_attempts(room)
    ]


@bp.get("/rooms/<int:room_id>")
@login_required
def console(room_id: int) -> str:
    room = _room_for(room_id)
    now = utcnow()
    show_code = now >= room.session.starts_at - CODE_SHOWN_BEFORE
    return render_template(
        "exams/console.html", room=room, rows=_rows_as_read(room), now=now, show_code=show_code
    )


def _row_json(row: Any) -> dict[str, Any]:
    attempt = row.attempt
    last = row.last_contact_at
    return {
        "attempt": attempt.id,
        "status": attempt.status.value,
        "status_title": attempt.status.title,
        "answered": row.progress.answered,
        "items": row.progress.items,
        "last_contact": last.isoformat() if last else None,
        "last_contact_text": format_datetime(last) if last else "—",
        "deadline": attempt.deadline_at.isoformat(),
        "deadline_text": format_datetime(attempt.deadline_at),
        "penalty": attempt.penalty.value,
        "penalty_title": attempt.penalty.title if attempt.penalty != Penalty.NONE else "",
    }


@bp.get("/rooms/<int:room_id>/live")
@login_required
def console_live(room_id: int) -> Response:
    """The console's poll: one row per candidate of the room."""
    room = _room_for(room_id)
    rows = _rows_as_read(room)
    counts = {status.value: 0 for status in AttemptStatus}
    for row in rows:
        counts[row.attempt.status.value] += 1
    return jsonify(
        server_time=utcnow().isoformat(), counts=counts, rows=[_row_json(r) for r in rows]
    )


def _invigilated(attempt_id: int) -> Attempt:
    attempt = get_or_404(Attempt, attempt_id)
    allowed = can_invigilate_attempt(current_user, attempt)
    ensure_in_round(allowed, current_user, attempt.test.round_id)
    return attempt


def _render_candidate(attempt: Attempt) -> str:
    """One candidate's page for the invigilator; a refused form of it comes back here."""
    return render_template(
        "exams/invigilate.html",
        attempt=as_read(attempt, at=utcnow(), grace_seconds=answer_grace()),
        progress=progress_of([attempt.id])[attempt.id],
        wrong_codes=wrong_codes_of(attempt),
        time_form=ExtraTimeForm(prefix="time"),
        incident_form=IncidentForm(prefix="incident"),
        retake_form=RetakeForm(prefix="retake"),
    )


@bp.get("/attempts/<int:attempt_id>/invigilate")
@login_required
def invigilate(attempt_id: int) -> str:
    return _render_candidate(_invigilated(attempt_id))


def _closed_if_expired(attempt: Attempt) -> Attempt:
    """An invigilator's action applies to the paper as its page showed it: an expired paper
    is closed first, in the action's transaction (a GET never writes it)."""
    close_if_expired(attempt, at=utcnow(), grace_seconds=answer_grace())
    return attempt


def _invigilator_action(
    attempt_id: int, form_class: type, prefix: str, operation: Any, message: str
):
    attempt = _invigilated(attempt_id)
    form = form_class(prefix=prefix)
    return submit_form_and_return(
        form,
        lambda: operation(_closed_if_expired(attempt), form),
        message,
        url_for("exams.invigilate", attempt_id=attempt.id),
    )


@bp.post("/attempts/<int:attempt_id>/extra-time")
@login_required
def extra_time(attempt_id: int):
    return _invigilator_action(
        attempt_id,
        ExtraTimeForm,
        "time",
        lambda attempt, form: grant_extra_time(
            attempt,
            minutes=form.minutes.data,
            reason=form.reason.data,
            actor=current_user,
            at=utcnow(),
        ),
        _("Đã cộng thêm thời gian."),
    )


@bp.post("/attempts/<int:attempt_id>/incidents")
@login_required
def incident(attempt_id: int):
    return _invigilator_action(
        attempt_id,
        IncidentForm,
        "incident",
        lambda attempt, form: record_incident(
            attempt,
            penalty=Penalty(form.penalty.data),
            description=form.description.data,
            actor=current_user,
            at=utcnow(),
        ),
        _("Đã ghi nhận vi phạm."),
    )


@bp.post("/attempts/<int:attempt_id>/retake")
@login_required
def retake(attempt_id: int):
    return _invigilator_action(
        attempt_id,
        RetakeForm,
        "retake",
        lambda attempt, form: allow_retake(
            attempt,
            minutes=form.minutes.data,
            reason=form.reason.data,
            actor=current_user,
            at=utcnow(),
        ),
        _("Đã cho thí sinh thi tiếp trên bài đang làm."),
    )
