"""Sign-in sessions: revocable, with an idle limit and an absolute lifetime.

The session cookie names the account as "<user id>:<session token>" (Flask-Login's
alternative id, ``User.get_id``). The account's token changes when its owner signs out,
changes their password or is deactivated, so every session and remember cookie issued
before names a token that no longer matches: ``load_user`` and the exam page's hot path
(its query compares the token, exam/exams/hotpath/statements.py) both refuse it.

The cookie also carries when the session signed in and when it was last active.
``enforce_limits`` ends a session idle too long (shorter for staff than for a candidate, whose
exam page polls and autosaves while the paper is open) or signed in too long ago. It reads
the signed cookie only: no query, and the last activity is written back at most once a minute,
so the exam page's poll and autosave still cost one read and one write each.
"""

from __future__ import annotations

import hmac
import time
from typing import Any

from flask import current_app, flash, g, request, session
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from exam.accounts.models import Role, User

USER_ID = "_user_id"  # Flask-Login's key: "<id>:<token>"
SIGNED_IN_AT = "_signed_in_at"  # seconds since the epoch
LAST_SEEN = "_seen"
KIND = "_kind"  # "staff" or "candidate": which idle limit applies
ACTIVITY_STEP_SECONDS = 60  # last activity is rewritten at most this often
# Kept when a session is cleared: the language, the messages the next page shows, and
# Flask-Login's order to delete a remember cookie.
_KEPT_ACROSS_SIGN_IN = ("language", "_flashes", "_remember")


def parse_user_id(value: Any) -> tuple[int, str] | None:
    """(user id, session token) from the session's "<id>:<token>", or None."""
    if not isinstance(value, str):
        return None
    user_id, _sep, token = value.partition(":")
    if not token or not user_id.isdigit() or len(user_id) > 18:
        return None
    return int(user_id), token


def token_matches(user: User, token: str) -> bool:
    return hmac.compare_digest(user.session_token.encode(), token.encode())


def session_kind(user: User) -> str:
    """A candidate and nothing else: the candidate's idle limit; anyone else: the staff's."""
    return "candidate" if user.roles == {Role.CANDIDATE} else "staff"


def session_fields(user: User, *, now: int | None = None) -> dict[str, Any]:
    """What a signed-in session holds about its account (also used by the tests and
    benchmarks that sign in without the login page)."""
    now = int(time.time()) if now is None else now
    return {
        USER_ID: user.get_id(),
        "_fresh": True,
        SIGNED_IN_AT: now,
        LAST_SEEN: now,
        KIND: session_kind(user),
    }


def _clear_session() -> None:
    """Everything goes but the language and the messages to show: a new CSRF token is
    made for the next form."""
    kept = {key: session[key] for key in _KEPT_ACROSS_SIGN_IN if key in session}
    session.clear()
    session.update(kept)
    g.pop("csrf_token", None)  # Flask-WTF's copy of this request's token


def start_session(user: User) -> None:
    """Sign ``user`` in on a fresh session: whatever the browser held before (a CSRF token
    a page may have leaked, a session fixed by someone else) is not carried over."""
    _clear_session()
    login_user(user)
    session.update(session_fields(user))


def end_session() -> None:
    """Sign this browser out (the account's other sessions end by its new token)."""
    logout_user()
    _clear_session()


def _limits_seconds(kind: Any) -> tuple[int, int]:
    config = current_app.config
    idle = (
        config["SESSION_IDLE_MINUTES_CANDIDATE"]
        if kind == "candidate"
        else config["SESSION_IDLE_MINUTES_STAFF"]
    )
    return idle * 60, int(config["PERMANENT_SESSION_LIFETIME"].total_seconds())


def enforce_limits() -> None:
    """Before each request: end a session idle or signed in too long; note its activity."""
    if request.endpoint == "static" or USER_ID not in session:
        return
    now = int(time.time())
    seen, signed_in_at = session.get(LAST_SEEN), session.get(SIGNED_IN_AT)
    idle, lifetime = _limits_seconds(session.get(KIND))
    if (
        type(seen) is not int
        or type(signed_in_at) is not int
        or now - seen > idle
        or now - signed_in_at > lifetime
    ):
        end_session()
        flash(_("Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại."), "info")
        return
    if now - seen >= ACTIVITY_STEP_SECONDS:
        session[LAST_SEEN] = now
