"""The exam page's JSON API (docs/api.md): the poll, autosave and the server's clock.

It reads the signed-in user's id from the session and checks ownership in the same query
as the paper's state: no ORM, no user object, one read and one write per save."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, current_app, jsonify
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from exam.core.db import utcnow
from exam.core.errors import DomainError
from exam.core.http import is_id, json_body
from exam.core.views import commit_after
from exam.exams.hotpath import (
    NotYours,
    PaperState,
    paper_state,
    poll_paper,
    save_answers,
    touch_attempt,
)
from exam.exams.models import Attempt, AttemptStatus
from exam.exams.rules import AnswerRefused
from exam.exams.sitting import RefusedEvidence, close_if_expired, log_refused_answers
from exam.exams.views.blueprint import bp
from exam.exams.views.common import answer_grace, signed_in_candidate, signed_in_token
from exam.extensions import db, login_manager


def _state_json(status: AttemptStatus | str, deadline_at: Any) -> dict[str, Any]:
    return {
        "status": AttemptStatus(status).value,
        "server_time": utcnow().isoformat(),
        "deadline": deadline_at.isoformat(),
    }


def _close_now(attempt_id: int) -> Attempt:
    """The slow path, once per paper: the server submits it."""
    attempt = db.session.get(Attempt, attempt_id)
    close_if_expired(attempt, at=utcnow(), grace_seconds=answer_grace())
    return attempt


def _closed_state(attempt_id: int) -> dict[str, Any]:
    """The poll found the paper expired: the server submits it now (a write)."""
    attempt = commit_after(lambda: _close_now(attempt_id), write_lock=True)
    return _state_json(attempt.status, attempt.deadline_at)


def _note_contact(attempt_id: int, at: dt.datetime) -> None:
    commit_after(lambda: touch_attempt(attempt_id, at=at), write_lock=True)


@bp.get("/attempts/<int:attempt_id>/state")
def state(attempt_id: int) -> Response:
    """The exam page's poll (docs/api.md): one read; a write only when one is due."""
    candidate_id = signed_in_candidate()
    if candidate_id is None:
        return login_manager.unauthorized()
    now = utcnow()
    try:
        poll = poll_paper(
            attempt_id,
            candidate_id,
            session_token=signed_in_token(),
            at=now,
            grace_seconds=answer_grace(),
        )
    except NotYours:
        abort(404)
    if poll.expired:
        return jsonify(_closed_state(attempt_id))
    reply = _state_json(poll.state.status, poll.state.deadline_at)
    if poll.answers is not None:
        reply["answers"] = {str(item): seq for item, seq in poll.answers.items()}
    if poll.contact_due:
        _note_contact(attempt_id, now)
    return jsonify(reply)


def _entries(payload: Any) -> list[tuple[int, Any, int]] | None:
    if not isinstance(payload, dict) or not isinstance(payload.get("answers"), list):
        return None
    entries = []
    for entry in payload["answers"]:
        if not isinstance(entry, dict):
            return None
        item, seq = entry.get("item"), entry.get("seq")
        if not is_id(item) or type(seq) is not int or seq < 0 or seq >= 2**63:
            return None
        entries.append((item, entry.get("response"), seq))
    return entries or None


def _read_batch() -> tuple[list[tuple[int, Any, int]] | None, str | None]:
    """The save's entries; None when malformed, with the reason when it is too large."""
    limit = current_app.config["MAX_ANSWERS_PER_SAVE"]
    try:
        payload = json_body()
    except RequestEntityTooLarge:  # over MAX_CONTENT_LENGTH: said in JSON, as the page reads
        return None, _("Dữ liệu gửi lên quá lớn.")
    batch = payload.get("answers") if isinstance(payload, dict) else None
    if isinstance(batch, list) and len(batch) > limit:  # the page sends one per question
        return None, _("Quá nhiều câu trả lời trong một lần lưu (tối đa %(n)d).", n=limit)
    return _entries(payload), None


def _bad_batch(attempt_id: int, candidate_id: int, too_large: str | None) -> tuple[Response, int]:
    try:
        # someone else's paper: 404, not 400
        paper_state(attempt_id, candidate_id, session_token=signed_in_token())
    except NotYours:
        abort(404)
    if too_large:  # refused before any other work
        return jsonify(error=too_large), 413
    return jsonify(error=_("Dữ liệu gửi lên không hợp lệ.")), 400


def _save(
    attempt_id: int, candidate_id: int, entries: list[tuple[int, Any, int]]
) -> tuple[PaperState, dict[int, int]]:
    return commit_after(
        lambda: save_answers(
            attempt_id,
            candidate_id,
            entries,
            session_token=signed_in_token(),
            at=utcnow(),
            grace_seconds=answer_grace(),
        ),
        release=True,  # the connection (and SQLite's write turn) goes back at once
    )


def _refused_save(
    attempt_id: int, entries: list[tuple[int, Any, int]], refused: AnswerRefused
) -> tuple[Response, int]:
    """A save for a closed paper: the server closes it and keeps the answers as evidence
    (the refused save was rolled back by ``commit_after``)."""

    def close_and_keep() -> tuple[Attempt, RefusedEvidence]:
        attempt = _close_now(attempt_id)
        evidence = log_refused_answers(
            attempt_id,
            entries,
            reason=refused.message,
            at=utcnow(),
            per_minute=current_app.config["REFUSED_EVIDENCE_PER_MINUTE"],
            per_paper=current_app.config["REFUSED_EVIDENCE_PER_PAPER"],
        )
        return attempt, evidence

    attempt, evidence = commit_after(close_and_keep)
    state = _state_json(attempt.status, attempt.deadline_at)
    if evidence.retry_after is None:
        return jsonify(error=refused.message, **state), 409
    # Beyond the evidence kept for a closed paper: only counted; the client must slow down.
    reply = jsonify(error=_("Quá nhiều câu trả lời gửi đến bài thi đã đóng."), **state)
    reply.headers["Retry-After"] = str(evidence.retry_after)
    return reply, 429


def _invalid_save(error: DomainError) -> tuple[Response, int]:
    message = error.message
    if message != _("Câu trả lời không hợp lệ."):
        message = _("Dữ liệu gửi lên không hợp lệ.")
    return jsonify(error=message), 400


@bp.post("/attempts/<int:attempt_id>/answers")
def answers(attempt_id: int) -> Response | tuple[Response, int]:
    """Autosave (docs/api.md): a batch of {item, response, seq}; stale saves are ignored."""
    candidate_id = signed_in_candidate()
    if candidate_id is None:
        return login_manager.unauthorized()
    entries, too_large = _read_batch()
    if entries is None:
        return _bad_batch(attempt_id, candidate_id, too_large)
    try:
        current, stored = _save(attempt_id, candidate_id, entries)
    except NotYours:
        abort(404)
    except AnswerRefused as refused:
        return _refused_save(attempt_id, entries, refused)
    except DomainError as error:
        return _invalid_save(error)
    saved = [{"item": item_id, "seq": seq} for item_id, seq in stored.items()]
    return jsonify(saved=saved, **_state_json(current.status, current.deadline_at)), 200


@bp.get("/exam-clock")
def clock() -> Response:
    """The server's time, for pages that count down before a paper is open (no database)."""
    return jsonify(server_time=utcnow().isoformat())
