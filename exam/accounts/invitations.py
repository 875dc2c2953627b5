"""Links e-mailed to set a password: invitations (candidates imported from Excel have an
account without a password) and "forgot password" for every account.

A link carries a random token (256 bits); only its SHA-256 is stored, so a copy of the
database or of a backup opens no account. A token is single-use and expires
(``INVITATION_VALID_DAYS``, ``PASSWORD_RESET_VALID_MINUTES``); setting a password uses it
and voids every other outstanding token of the account. Unknown, used and expired tokens
get the same answer, and "forgot password" answers the same whether the address has an
account or not: nothing here tells which addresses exist.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from exam.accounts.models import AccountToken, TokenPurpose, User
from exam.accounts.operations import find_user_by_email, set_password
from exam.accounts.passwords import password_problems
from exam.audit.operations import record
from exam.core.errors import DomainError, ValidationFailed
from exam.core.http import public_url_for
from exam.extensions import db
from exam.notices.models import NoticeKind
from exam.notices.operations import queue_notice

TOKEN_BYTES = 32


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _valid_for(purpose: TokenPurpose) -> dt.timedelta:
    if purpose == TokenPurpose.INVITATION:
        return dt.timedelta(days=current_app.config["INVITATION_VALID_DAYS"])
    return dt.timedelta(minutes=current_app.config["PASSWORD_RESET_VALID_MINUTES"])


def _link(token: str) -> str:
    """The absolute link to the page that takes the token. Built from ``PUBLIC_URL`` when
    set, so that a forged Host header cannot send a reset link to another site."""
    return public_url_for("accounts.use_token", token=token)


def _void_outstanding(user: User, at: dt.datetime, purpose: TokenPurpose | None = None) -> None:
    statement = sa.update(AccountToken).where(
        AccountToken.user_id == user.id, AccountToken.used_at.is_(None)
    )
    if purpose is not None:
        statement = statement.where(AccountToken.purpose == purpose)
    db.session.execute(
        statement.values(used_at=at), execution_options={"synchronize_session": False}
    )


def _issue(
    user: User, purpose: TokenPurpose, *, actor: User | None, at: dt.datetime
) -> tuple[AccountToken, str]:
    """A new token (the previous ones of this purpose voided), and the token itself, which
    only the e-mail will carry."""
    _void_outstanding(user, at, purpose)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = AccountToken(
        user_id=user.id,
        purpose=purpose,
        token_hash=token_digest(token),
        created_at=at,
        expires_at=at + _valid_for(purpose),
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(row)
    db.session.flush()
    return row, token


def invite(user: User, *, actor: User, at: dt.datetime) -> AccountToken:
    """E-mail ``user`` a link to set their password (again: a new link voids the old)."""
    if not user.active:
        raise DomainError(_l("Tài khoản này đã bị khóa: không gửi thư mời."))
    if user.password_hash is not None:
        raise DomainError(_l("Tài khoản này đã có mật khẩu: không cần thư mời."))
    row, token = _issue(user, TokenPurpose.INVITATION, actor=actor, at=at)
    queue_notice(
        NoticeKind.INVITATION,
        user.email,
        obj=user,
        at=at,
        user=user,
        link=_link(token),
        expires_at=row.expires_at,
    )
    record("account.invite", user, actor=actor, after={"expires_at": row.expires_at})
    return row


def awaiting_invitation() -> sa.ColumnElement[bool]:
    """An active account without a password that was never invited (the condition, for a
    domain listing its own people: the candidates of a round)."""
    invited = sa.select(AccountToken.user_id).where(AccountToken.purpose == TokenPurpose.INVITATION)
    return sa.and_(User.password_hash.is_(None), User.active.is_(True), User.id.not_in(invited))


def invite_many(users: list[User], *, actor: User, at: dt.datetime) -> dt.datetime:
    """Invite every one of ``users`` in a few statements (thousands after a large import: one
    at a time took 2 ms each); the caller writes the audit entry naming them. Returns when
    the links expire."""
    expires_at = at + _valid_for(TokenPurpose.INVITATION)
    rows = []
    for user in users:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        rows.append(
            {
                "user_id": user.id,
                "purpose": TokenPurpose.INVITATION,
                "token_hash": token_digest(token),
                "created_at": at,
                "expires_at": expires_at,
                "created_by_id": actor.id,
            }
        )
        queue_notice(
            NoticeKind.INVITATION,
            user.email,
            obj=user,
            at=at,
            flush=False,
            user=user,
            link=_link(token),
            expires_at=expires_at,
        )
    if rows:
        db.session.execute(sa.insert(AccountToken), rows)
        db.session.flush()
    return expires_at


def request_password_reset(email: str, *, at: dt.datetime) -> None:
    """E-mail a reset link if an active account has this address; say nothing either way.
    An account that never set its password gets an invitation-like link all the same."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        return
    row, token = _issue(user, TokenPurpose.PASSWORD_RESET, actor=None, at=at)
    queue_notice(
        NoticeKind.RESET,
        user.email,
        obj=user,
        at=at,
        user=user,
        link=_link(token),
        expires_at=row.expires_at,
    )
    record("account.reset_requested", user, actor=None)


def find_token(token: str, *, at: dt.datetime) -> AccountToken | None:
    """The usable token (known, unused, unexpired, of an active account), else None."""
    if not token or len(token) > 100:
        return None
    row = db.session.scalars(
        sa.select(AccountToken).where(AccountToken.token_hash == token_digest(token))
    ).first()
    if row is None or row.used_at is not None or row.expires_at <= at or not row.user.active:
        return None
    return row


class TokenUnusable(DomainError):
    """Unknown, used or expired: one message for all three."""

    def __init__(self) -> None:
        super().__init__(
            _l("Đường dẫn không hợp lệ, đã được dùng hoặc đã hết hạn. Hãy đề nghị gửi lại.")
        )


def use_token(token: str, password: str, confirm: str, *, at: dt.datetime) -> User:
    """Set the account's password with a token; the token and every other outstanding
    token of the account are used up. Returns the account, to be signed in."""
    row = find_token(token, at=at)
    if row is None:
        raise TokenUnusable()
    user = row.user
    reasons = [
        ("password", message)
        for message in password_problems(password, email=user.email, full_name=user.full_name)
    ]
    if password != confirm:
        reasons.append(("confirm", _l("Hai mật khẩu không khớp.")))
    if reasons:
        raise ValidationFailed(reasons)
    # Used up by a conditional update: of two requests racing with one token, one wins.
    claimed = db.session.execute(
        sa.update(AccountToken)
        .where(AccountToken.id == row.id, AccountToken.used_at.is_(None))
        .values(used_at=at),
        execution_options={"synchronize_session": False},
    )
    if claimed.rowcount != 1:
        raise TokenUnusable()
    set_password(user, password)  # voids the account's other links too
    record(
        "account.invitation_accept"
        if row.purpose == TokenPurpose.INVITATION
        else "account.password_reset",
        user,
        actor=user,
    )
    return user
