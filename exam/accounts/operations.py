"""Creating accounts and signing in."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import CHEAPEST
from flask import current_app
from flask_babel import lazy_gettext as _l

from exam.accounts.models import Role, RoleGrant, User
from exam.audit.operations import record
from exam.core.db import utcnow
from exam.core.errors import ValidationFailed
from exam.extensions import db

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
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        reasons.append(("password", _l("Mật khẩu cần ít nhất %(n)d ký tự.", n=MIN_PASSWORD_LENGTH)))
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


def register_candidate(email: str, full_name: str, password: str) -> User:
    """Self-registration: every new account so made is a candidate and nothing else."""
    user = create_user(email, full_name, password, {Role.CANDIDATE}, actor=None)
    return user


def grant_role(user: User, role: Role, *, actor: User) -> User:
    if role not in user.roles:
        user.role_grants.append(RoleGrant(role=role))
        record("account.grant_role", user, actor=actor, after={"role": role})
    return user


_DUMMY_HASHES: dict[int, str] = {}


def _dummy_hash() -> str:
    """A hash of a random password with the hasher's parameters (verified in vain)."""
    hasher = _hasher()
    if id(hasher) not in _DUMMY_HASHES:
        _DUMMY_HASHES[id(hasher)] = hasher.hash(secrets.token_urlsafe(16))
    return _DUMMY_HASHES[id(hasher)]


def set_password(user: User, password: str) -> None:
    """Store the hash of a new password (checked by the caller against the rule)."""
    user.password_hash = _hasher().hash(password)


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
