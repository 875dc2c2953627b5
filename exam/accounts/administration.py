"""The platform administration's work on accounts: staff accounts made without a password
and invited by e-mail, roles granted and revoked, accounts deactivated and reactivated.
Each change is audited by the operation it calls (``account.create``, ``account.invite``,
``account.grant_role``, ``account.revoke_role``, ``account.deactivate``,
``account.reactivate``). An administrator cannot lock themselves out: neither deactivate
their own account nor give up their own administration role."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from exam.accounts.invitations import invite
from exam.accounts.models import Role, User
from exam.accounts.operations import (
    create_user,
    deactivate_user,
    find_user_by_email,
    grant_role,
    reactivate_user,
    revoke_role,
)
from exam.core.errors import DomainError, ValidationFailed
from exam.extensions import db

# The roles given here. A candidate's role comes with a dossier (registration or import),
# never from this screen.
STAFF_ROLES: tuple[Role, ...] = (
    Role.BOARD_ADMIN,
    Role.QUESTION_AUTHOR,
    Role.PANEL_MEMBER,
    Role.INVIGILATOR,
    Role.SUPERVISOR,
)
ADMINISTRATION_ROLE = Role.BOARD_ADMIN
FULL_NAME_MAX = 120
EMAIL_MAX = 254

UNKNOWN_ROLE = _l("Vai trò không hợp lệ.")
EMAIL_TAKEN = _l(
    "Địa chỉ email này đã có tài khoản: tìm tài khoản đó trong danh sách để cấp thêm vai trò."
)


def staff_roles(values: Iterable[str | Role]) -> set[Role]:
    """The staff roles named by ``values``; anything else (a forged value, the candidate's
    role) is refused."""
    roles = set()
    for value in values:
        try:
            role = Role(value)
        except ValueError:
            raise ValidationFailed([("roles", UNKNOWN_ROLE)]) from None
        if role not in STAFF_ROLES:
            raise ValidationFailed([("roles", UNKNOWN_ROLE)])
        roles.add(role)
    return roles


def _email_problem(email: str) -> str | None:
    email = email.strip()
    if not email:
        return _l("Vui lòng nhập địa chỉ email.")
    if len(email) > EMAIL_MAX:
        return _l("Địa chỉ email dài quá %(n)s ký tự.", n=EMAIL_MAX)
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return _l("Địa chỉ email không hợp lệ.")
    return None


def create_staff_account(
    email: str, full_name: str, roles: Iterable[str | Role], *, actor: User, at: dt.datetime
) -> User:
    """An account with ``roles`` and no password, and an e-mail inviting its owner to set
    one (a single-use link that expires). Every reason to refuse is given at once and
    nothing is saved."""
    reasons = []
    problem = _email_problem(email)
    if problem:
        reasons.append(("email", problem))
    elif find_user_by_email(email) is not None:  # the address compared in lower case
        reasons.append(("email", EMAIL_TAKEN))
    if not full_name.strip():
        reasons.append(("full_name", _l("Vui lòng nhập họ và tên.")))
    elif len(" ".join(full_name.split())) > FULL_NAME_MAX:
        reasons.append(("full_name", _l("Họ và tên dài quá %(n)s ký tự.", n=FULL_NAME_MAX)))
    try:
        granted = staff_roles(roles)
    except ValidationFailed as refused:
        reasons += refused.reasons
    if reasons:
        raise ValidationFailed(reasons)
    try:
        user = create_user(email, full_name, None, granted, actor=actor)
        db.session.flush()
    except IntegrityError:
        # Another administrator created the same address a moment before: the same answer
        # (the caller's transaction is rolled back, nothing of this one is kept).
        raise ValidationFailed([("email", EMAIL_TAKEN)]) from None
    invite(user, actor=actor, at=at)
    return user


def resend_invitation(user: User, *, actor: User, at: dt.datetime) -> User:
    """A new invitation link; the previous one no longer opens anything."""
    invite(user, actor=actor, at=at)
    return user


def deactivate_account(user: User, *, actor: User) -> User:
    """The person can no longer sign in; their sessions end at their next request."""
    if user.id == actor.id:
        raise DomainError(_l("Bạn không thể tự khóa tài khoản của chính mình."))
    if not user.active:
        raise DomainError(_l("Tài khoản này đã bị khóa từ trước."))
    return deactivate_user(user, actor=actor)


def reactivate_account(user: User, *, actor: User) -> User:
    if user.active:
        raise DomainError(_l("Tài khoản này đang hoạt động."))
    return reactivate_user(user, actor=actor)


def set_staff_roles(user: User, roles: Iterable[str | Role], *, actor: User) -> User:
    """Grant the staff roles of ``roles`` the account lacks and revoke those it holds but
    ``roles`` leaves out; its candidate role, if any, is kept."""
    wanted = staff_roles(roles)
    if user.id == actor.id and ADMINISTRATION_ROLE in user.roles - wanted:
        raise ValidationFailed(
            [("roles", _l("Bạn không thể tự bỏ vai trò quản trị của chính mình."))]
        )
    for role in STAFF_ROLES:
        if role in wanted:
            grant_role(user, role, actor=actor)
        else:
            revoke_role(user, role, actor=actor)
    return user
