"""People and the roles they hold. One person may hold several roles."""

from __future__ import annotations

import datetime as dt
import secrets

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.core.db import TimestampMixin, TitledEnum, UTCDateTime, enum_column
from exam.extensions import db


class Role(TitledEnum):
    BOARD_ADMIN = "board_admin"
    QUESTION_AUTHOR = "question_author"
    PANEL_MEMBER = "panel_member"
    CANDIDATE = "candidate"
    SUPERVISOR = "supervisor"
    INVIGILATOR = "invigilator"

    @staticmethod
    def __titles__() -> dict:
        return {
            "board_admin": _l("Quản trị nền tảng (cơ quan tổ chức thi tuyển)"),
            "question_author": _l("Ban đề thi"),
            "panel_member": _l("Thành viên ban phỏng vấn"),
            "candidate": _l("Thí sinh"),
            "supervisor": _l("Ban giám sát"),
            "invigilator": _l("Cán bộ coi thi"),
        }


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (sa.CheckConstraint("email = lower(email)", name="email_lowercase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    # None: no password yet (a candidate imported from Excel, until they accept an
    # invitation); such an account cannot sign in.
    password_hash: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Changes when the owner signs out, changes their password or is deactivated: every
    # session carries it (get_id), so those issued before end (exam/accounts/sessions.py).
    session_token: Mapped[str] = mapped_column(sa.String(64), default=new_session_token)

    role_grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    def get_id(self) -> str:  # Flask-Login: what the session and remember cookie hold
        if self.session_token is None:  # not flushed yet
            self.session_token = new_session_token()
        return f"{self.id}:{self.session_token}"

    def end_sessions(self) -> None:
        """Every session signed in so far ends at its next request."""
        self.session_token = new_session_token()

    @property
    def is_active(self) -> bool:  # Flask-Login: a deactivated account cannot sign in
        return self.active

    @property
    def roles(self) -> set[Role]:
        return {grant.role for grant in self.role_grants}

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class RoleGrant(db.Model):
    __tablename__ = "role_grants"
    __table_args__ = (sa.UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[Role] = enum_column(Role)

    user: Mapped[User] = relationship(back_populates="role_grants")


class TokenPurpose(TitledEnum):
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"

    @staticmethod
    def __titles__() -> dict:
        return {
            "invitation": _l("Thư mời đặt mật khẩu"),
            "password_reset": _l("Đặt lại mật khẩu"),
        }


class AccountToken(db.Model):
    """A single-use, expiring link sent by e-mail (invitation, password reset). Only the
    SHA-256 of the token is stored: a copy of the database opens no account."""

    __tablename__ = "account_tokens"
    __table_args__ = (
        sa.CheckConstraint("expires_at > created_at", name="expires_after_creation"),
        sa.CheckConstraint("used_at IS NULL OR used_at >= created_at", name="used_after_creation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = enum_column(TokenPurpose)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )

    user: Mapped[User] = relationship(foreign_keys=[user_id])
