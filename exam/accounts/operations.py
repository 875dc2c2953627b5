"""Creating accounts and signing in."""

from __future__ import annotations

import datetime as dt
import secrets

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import CHEAPEST
from flask import current_app
from flask_babel import lazy_gettext as _l

from exam.accounts.models import AccountToken, Role, RoleGrant, User
from exam.accounts.passwords import password_problems
from exam.audit.operations import record
from exam.core.db import utcnow
from exam.core.errors import ValidationFailed
from exam.extensions import db
from exam.notices.models import NoticeKind
from exam.notices.operations import queue_notice

_DEFAULT_HASHER = PasswordHasher()
_CHEAP_HASHER = PasswordHasher.from_parameters(CHEAPEST)


def _hasher() -> PasswordHasher:
    """argon2id with the library's defaults; tests may choose the cheapest parameters."""
    return _CHEAP_HASHER if current_app.config.get("PASSWORD_HASH_CHEAP") else _DEFAULT_HASHER


MIN_PASSWORD_LENGTH = 10


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalars(sa.select(User).where(User.email == normalise_email(email))).first()


def _check_new_account(email: str, full_name: str, password: str | None) -> None:
    reasons = []
    if find_user_by_email(email) is not None:
        reasons.append(("email", _l("Địa chỉ email này đã được đăng ký.")))
    if not full_name.strip():
        reasons.append(("full_name", _l("Vui lòng nhập họ và tên.")))
    if password is not None:
        problems = password_problems(password, email=email, full_name=full_name)
        reasons += [("password", message) for message in problems]
    if reasons:
        raise ValidationFailed(reasons)


def create_user(
    email: str, full_name: str, password: str | None, roles: set[Role], *, actor: User | None
) -> User:
    """An account with the given roles (board admins create staff accounts this way).
    Without a password the account cannot sign in until its owner sets one through an
    invitation (``exam.accounts.invitations``)."""
    _check_new_account(email, full_name, password)
    user = User(
        email=normalise_email(email),
        full_name=" ".join(full_name.split()),
        password_hash=_hasher().hash(password) if password is not None else None,
    )
    user.role_grants = [RoleGrant(role=role) for role in sorted(roles)]
    db.session.add(user)
    record(
        "account.create",
        user,
        actor=actor,
        after={"email": user.email, "full_name": user.full_name, "roles": sorted(roles)},
    )
    return user


def register_candidate(
    email: str, full_name: str, password: str, *, at: dt.datetime
) -> User | None:
    """Self-registration: every new account so made is a candidate and nothing else. When
    the address has an account already, its owner is told by e-mail and None is returned:
    the page answers the same either way, so it tells no one which addresses have an
    account (the same work is done, so its timing does not tell either)."""
    existing = find_user_by_email(email)
    if existing is None:
        return create_user(email, full_name, password, {Role.CANDIDATE}, actor=None)
    problems = password_problems(password, email=email, full_name=full_name)
    reasons = [("password", message) for message in problems]
    if not full_name.strip():
        reasons.append(("full_name", _l("Vui lòng nhập họ và tên.")))
    if reasons:
        raise ValidationFailed(reasons)
    _hasher().hash(password)
    queue_notice(NoticeKind.HAS_ACCOUNT, existing.email, obj=existing, at=at, user=existing)
    return None


def grant_role(user: User, role: Role, *, actor: User) -> User:
    if role not in user.roles:
        user.role_grants.append(RoleGrant(role=role))
        record("account.grant_role", user, actor=actor, after={"role": role})
    return user


def revoke_role(user: User, role: Role, *, actor: User) -> User:
    for grant in [grant for grant in user.role_grants if grant.role == role]:
        user.role_grants.remove(grant)
        record("account.revoke_role", user, actor=actor, before={"role": role})
    return user


_DUMMY_HASHES: dict[int, str] = {}


def _dummy_hash() -> str:
    """A hash of a random password with the hasher's parameters (verified in vain)."""
    hasher = _hasher()
    if id(hasher) not in _DUMMY_HASHES:
        _DUMMY_HASHES[id(hasher)] = hasher.hash(secrets.token_urlsafe(16))
    return _DUMMY_HASHES[id(hasher)]


def set_password(user: User, password: str) -> None:
    """Store the hash of a new password (checked by the caller against the rule). Every
    session signed in with the old one ends, and every e-mailed link (invitation, reset)
    not yet used is void."""
    user.password_hash = _hasher().hash(password)
    user.end_sessions()
    void_links(user)


def void_links(user: User) -> None:
    """Every e-mailed link (invitation, reset) of the account not yet used becomes void."""
    db.session.execute(
        sa.update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.used_at.is_(None))
        .values(used_at=utcnow()),
        execution_options={"synchronize_session": False},
    )


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None. Same work whether or not the email
    exists, so timing does not tell which accounts exist."""
    user = find_user_by_email(email)
    try:
        if user is None:
            _hasher().hash(password)
            return None
        if user.password_hash is None:
            # No password yet (invited, not accepted): refused like a wrong password,
            # after the same work, so timing does not tell such accounts apart.
            _hasher().verify(_dummy_hash(), password)
            return None
        _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if not user.active:
        return None
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = _hasher().hash(password)
    user.last_login_at = utcnow()
    return user


# --- ending sessions (exam/accounts/sessions.py) --------------------------------------------


def end_all_sessions(user: User) -> User:
    """Signing out: every session of the account ends, on this device and any other (a
    copied cookie included)."""
    user.end_sessions()
    return user


def change_password(user: User, current_password: str, new_password: str, *, actor: User) -> User:
    """The owner changes their password; their other sessions end (the caller signs this
    device in again)."""
    try:
        _hasher().verify(user.password_hash or "", current_password)
    except (VerificationError, InvalidHashError):
        raise ValidationFailed(
            [("current_password", _l("Mật khẩu hiện tại không đúng."))]
        ) from None
    problems = password_problems(new_password, email=user.email, full_name=user.full_name)
    if problems:
        raise ValidationFailed([("password", message) for message in problems])
    set_password(user, new_password)
    record("account.password_change", user, actor=actor)
    return user


def deactivate_user(user: User, *, actor: User | None) -> User:
    """The account can no longer sign in, its sessions end at their next request, and its
    e-mailed links are void (a reactivation does not bring an old link back)."""
    if user.active:
        user.active = False
        user.end_sessions()
        void_links(user)
        record("account.deactivate", user, actor=actor, after={"active": False})
    return user


def reactivate_user(user: User, *, actor: User) -> User:
    """The account may sign in again (with its password, or once it has set one)."""
    if not user.active:
        user.active = True
        record("account.reactivate", user, actor=actor, after={"active": True})
    return user
