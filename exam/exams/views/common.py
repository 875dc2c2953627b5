"""What several audiences' views share: the answer grace, the signed-in candidate (id and
session token, read without the ORM) and their own paper."""

from __future__ import annotations

from flask import abort, current_app, session
from flask_login import current_user
from sqlalchemy.orm import joinedload

from exam.accounts.sessions import parse_user_id
from exam.core.auth import ensure
from exam.core.db import utcnow
from exam.core.views import commit_after
from exam.exams.models import Attempt
from exam.exams.permissions import can_sit
from exam.exams.rules import effective_status
from exam.exams.sitting import close_if_expired
from exam.extensions import db


def answer_grace() -> int:
    return current_app.config["ANSWER_GRACE_SECONDS"]


def own_attempt(attempt_id: int) -> Attempt:
    """The signed-in candidate's own paper; anyone else's is a 404."""
    attempt = db.session.get(
        Attempt,
        attempt_id,
        options=[
            joinedload(Attempt.application),
            joinedload(Attempt.session),
            joinedload(Attempt.test),
        ],
    )
    if attempt is None:
        abort(404)
    ensure(can_sit(current_user, attempt), hide=True)
    return attempt


def own_attempt_closed_if_expired(attempt_id: int) -> Attempt:
    """The candidate's own paper, closed by the server first when its time is up: the
    candidate's own requests write the closing (docs/architecture.md, Transactions)."""
    attempt = own_attempt(attempt_id)
    if effective_status(attempt, utcnow(), answer_grace()) != attempt.status:
        commit_after(
            lambda: close_if_expired(attempt, at=utcnow(), grace_seconds=answer_grace()),
            write_lock=True,
        )
    return attempt


def _signed_in() -> tuple[int, str] | None:
    """(user id, session token) of the session; the queries check that the token is still
    the account's (exam/accounts/sessions.py)."""
    user_id = session.get("_user_id")
    if user_id is None and current_user.is_authenticated:  # remembered sign-in
        user_id = current_user.get_id()
    return parse_user_id(user_id)


def signed_in_candidate() -> int | None:
    signed_in = _signed_in()
    return signed_in[0] if signed_in else None


def signed_in_token() -> str:
    signed_in = _signed_in()
    return signed_in[1] if signed_in else ""
