"""The outbox: every notice is a row first, an e-mail second, so a failing mail server loses
nothing (the transactional outbox pattern)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from exam.core.db import TitledEnum, UTCDateTime, enum_column, utcnow
from exam.extensions import db


class NoticeKind(TitledEnum):
    RECEIVED = "received"
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    SUMMONS = "summons"
    WITHDRAWN = "withdrawn"
    HAS_ACCOUNT = "has_account"  # someone registered again with the address of an account
    APPEAL = "appeal"  # the outcome of an appeal (phúc khảo)
    RESULT = "result"  # a candidate's result, once published, with their appeal rights
    CALLED = "called"  # called to the post a winner withdrew from
    INVITATION = "invitation"
    RESET = "reset"

    @staticmethod
    def __titles__() -> dict:
        return {
            "invitation": _l("Thư mời đặt mật khẩu"),
            "reset": _l("Đặt lại mật khẩu"),
            "received": _l("Xác nhận đã nhận hồ sơ"),
            "eligible": _l("Thông báo đủ điều kiện dự tuyển"),
            "not_eligible": _l("Thông báo không đủ điều kiện dự tuyển"),
            "summons": _l("Giấy triệu tập"),
            "withdrawn": _l("Xác nhận rút hồ sơ"),
            "has_account": _l("Địa chỉ email đã có tài khoản"),
            "appeal": _l("Thông báo kết quả phúc khảo"),
            "result": _l("Thông báo kết quả thi tuyển"),
            "called": _l("Thông báo trúng tuyển thay thế"),
        }


class OutboxStatus(TitledEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"

    @staticmethod
    def __titles__() -> dict:
        return {
            "pending": _l("Chờ gửi"),
            "sent": _l("Đã gửi"),
            "failed": _l("Gửi không thành công"),
        }


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        sa.CheckConstraint("(status = 'sent') = (sent_at IS NOT NULL)", name="sent_iff_dated"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.Index("ix_outbox_messages_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[NoticeKind] = enum_column(NoticeKind)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    # What the notice is about (e.g. "Application", 12), for the board's outbox page.
    object_type: Mapped[str] = mapped_column(sa.String(60), default="")
    object_id: Mapped[int | None] = mapped_column(nullable=True)
    status: Mapped[OutboxStatus] = enum_column(OutboxStatus, default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
