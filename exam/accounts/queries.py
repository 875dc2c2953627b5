"""Reading accounts: the administration's list, searched and filtered."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.accounts.models import AccountToken, Role, RoleGrant, TokenPurpose, User
from exam.core.db import TitledEnum
from exam.core.i18n import fold, vietnamese_sort_key
from exam.extensions import db

PAGE_SIZE = 50


class AccountState(TitledEnum):
    """Where an account stands, as the administration filters it (not stored: read from
    ``active`` and whether a password was set)."""

    ACTIVE = "active"
    AWAITING_PASSWORD = "awaiting_password"
    DEACTIVATED = "deactivated"

    @staticmethod
    def __titles__() -> dict:
        return {
            "active": _l("Đang hoạt động"),
            "awaiting_password": _l("Chưa đặt mật khẩu"),
            "deactivated": _l("Đã khóa"),
        }


def account_state(user: User) -> AccountState:
    return _state(user.active, has_password=user.password_hash is not None)


@dataclasses.dataclass(frozen=True)
class AccountRow:
    id: int
    email: str
    full_name: str
    state: AccountState
    roles: tuple[Role, ...] = ()
    # The latest invitation or reset link still usable, for an account without a password.
    link_expires_at: dt.datetime | None = None


@dataclasses.dataclass(frozen=True)
class AccountPage:
    rows: list[AccountRow]
    total: int
    page: int
    pages: int


# The Vietnamese order and the folded text are computed in Python for every account listed
# (10,000 accounts: about 0.3 s, nearly all of it here); kept per name, a page, a filter or
# a search after the first costs a look-up each.
_sort_key = functools.lru_cache(maxsize=100_000)(vietnamese_sort_key)
_folded = functools.lru_cache(maxsize=100_000)(fold)


_STATE_WHERE = {
    AccountState.ACTIVE: sa.and_(User.active.is_(True), User.password_hash.is_not(None)),
    AccountState.AWAITING_PASSWORD: sa.and_(User.active.is_(True), User.password_hash.is_(None)),
    AccountState.DEACTIVATED: User.active.is_(False),
}


def find_accounts(
    *,
    text: str = "",
    role: Role | None = None,
    state: AccountState | None = None,
    page: int = 1,
    at: dt.datetime,
) -> AccountPage:
    """Accounts whose name or e-mail holds ``text`` without regard to case or marks ("thu
    trang" finds "Lê Thị Thu Trang"), with ``role`` and in ``state`` when given, in the
    Vietnamese order of names (given name first), one page of ``PAGE_SIZE``. Role and state
    are filtered by the database; the text and the order need Vietnamese folding, done
    here on the four light columns only."""
    statement = sa.select(
        User.id, User.email, User.full_name, User.active, User.password_hash.is_not(None)
    )
    if role is not None:
        statement = statement.where(
            sa.exists().where(RoleGrant.user_id == User.id, RoleGrant.role == role)
        )
    if state is not None:
        statement = statement.where(_STATE_WHERE[state])
    needle = fold(text)
    found = [
        row
        for row in db.session.execute(statement)
        if not needle or needle in _folded(row.full_name) or needle in row.email.casefold()
    ]
    found.sort(key=lambda row: (_sort_key(row.full_name), row.email))
    pages = max(1, -(-len(found) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    ids = [row.id for row in shown]
    roles = _roles_of(ids)
    links = _usable_links_of(ids, at=at)
    rows = [
        AccountRow(
            id=row.id,
            email=row.email,
            full_name=row.full_name,
            state=_state(row.active, has_password=row[4]),
            roles=tuple(role for role in Role if role in roles.get(row.id, ())),
            link_expires_at=links.get(row.id),
        )
        for row in shown
    ]
    return AccountPage(rows=rows, total=len(found), page=page, pages=pages)


def _state(active: bool, *, has_password: bool) -> AccountState:
    if not active:
        return AccountState.DEACTIVATED
    return AccountState.ACTIVE if has_password else AccountState.AWAITING_PASSWORD


def _roles_of(user_ids: list[int]) -> dict[int, set[Role]]:
    roles: dict[int, set[Role]] = {}
    if user_ids:
        for user_id, role in db.session.execute(
            sa.select(RoleGrant.user_id, RoleGrant.role).where(RoleGrant.user_id.in_(user_ids))
        ):
            roles.setdefault(user_id, set()).add(role)
    return roles


def _usable_links_of(user_ids: list[int], *, at: dt.datetime) -> dict[int, dt.datetime]:
    if not user_ids:
        return {}
    return dict(
        db.session.execute(
            sa.select(AccountToken.user_id, sa.func.max(AccountToken.expires_at))
            .where(
                AccountToken.user_id.in_(user_ids),
                AccountToken.used_at.is_(None),
                AccountToken.expires_at > at,
            )
            .group_by(AccountToken.user_id)
        ).all()
    )


def usable_link_expires_at(user: User, *, at: dt.datetime) -> dt.datetime | None:
    """When the account's latest usable invitation or reset link expires (None: none)."""
    return _usable_links_of([user.id], at=at).get(user.id)


def invitation_count(user: User) -> int:
    """How many invitation links the account was ever sent."""
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.purpose == TokenPurpose.INVITATION)
    )
