"""An issued document: the bytes of one official PDF as issued, stored once, with what a
reader needs to check it (its number, date, issuer, SHA-256) and the code printed on it."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.accounts.models import User
from exam.core.db import TitledEnum, UTCDateTime, enum_column, utcnow
from exam.extensions import db
from exam.rounds.models import Round

# The verification code: no look-alikes (0/O, 1/I/L, U: Crockford's choice), so it can be
# read off paper and typed back. 30 symbols, 10 of them: about 5.9 × 10¹⁴ codes, never
# guessed under the page's rate limit.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10


class DocumentKind(TitledEnum):
    """The kinds of official documents the application issues. A kind is public when anyone
    may download it once issued; the others are downloaded by whom their owning domain
    allows (exam/documents/permissions.py::register_access) and by their subject."""

    SUPERVISION_REPORT = "supervision_report"
    ROUND_ANNOUNCEMENT = "round_announcement"
    ADMISSION_CARD = "admission_card"
    RESULTS_DECISION = "results_decision"
    RESULT_NOTICE = "result_notice"
    RESULTS_PROPOSAL = "results_proposal"
    ELIGIBILITY_NOTICE = "eligibility_notice"
    BODY_DECISION = "body_decision"
    COUNCIL_MINUTES = "council_minutes"
    MARKING_HAND_OVER = "marking_hand_over"
    PANEL_SHEET = "panel_sheet"
    PANEL_MINUTES = "panel_minutes"
    RESULTS_REPORT = "results_report"

    @staticmethod
    def __titles__() -> dict[str, str]:
        return {
            "supervision_report": _l("Báo cáo giám sát"),
            "round_announcement": _l("Thông báo thi tuyển"),
            "admission_card": _l("Giấy báo dự thi"),
            "results_decision": _l("Quyết định phê duyệt kết quả thi tuyển"),
            "result_notice": _l("Thông báo kết quả thi tuyển"),
            "results_proposal": _l("Tờ trình đề nghị bổ nhiệm"),
            "eligibility_notice": _l("Thông báo kết quả xét duyệt hồ sơ"),
            "body_decision": _l("Quyết định thành lập Hội đồng, Ban"),
            "council_minutes": _l("Biên bản họp Hội đồng thi tuyển"),
            "marking_hand_over": _l("Biên bản bàn giao bài thi"),
            "panel_sheet": _l("Phiếu chấm đề án, phỏng vấn"),
            "panel_minutes": _l("Biên bản buổi phỏng vấn"),
            "results_report": _l("Báo cáo kết quả thi tuyển"),
        }

    @property
    def is_public(self) -> bool:
        return self in PUBLIC_KINDS


PUBLIC_KINDS = frozenset({DocumentKind.ROUND_ANNOUNCEMENT})


class IssuedDocument(db.Model):
    """One document as issued: never changed, never re-rendered. A corrected document is a
    new one (a new number), the earlier stays readable."""

    __tablename__ = "issued_documents"
    __table_args__ = (
        sa.UniqueConstraint("code"),
        # A numbered document is issued once; documents sent to each candidate under one
        # number (a notice) differ by their subject.
        sa.UniqueConstraint("round_id", "kind", "number", "subject_user_id"),
        # NULLs differ in a unique constraint: a document without a subject needs its own.
        sa.Index(
            "uq_issued_documents_number_without_subject",
            "round_id",
            "kind",
            "number",
            unique=True,
            sqlite_where=sa.text("subject_user_id IS NULL"),
            postgresql_where=sa.text("subject_user_id IS NULL"),
        ),
        sa.CheckConstraint(f"length(code) = {CODE_LENGTH}", name="code_length"),
        sa.CheckConstraint("length(sha256) = 64", name="sha256_length"),
        sa.CheckConstraint("length(number) > 0", name="number_not_empty"),
        sa.CheckConstraint("length(title) > 0", name="title_not_empty"),
        sa.CheckConstraint("length(issuer) > 0", name="issuer_not_empty"),
        sa.CheckConstraint("size > 0", name="size_positive"),
        sa.CheckConstraint(
            "(superseded_by_id IS NULL) = (superseded_at IS NULL)", name="superseded_together"
        ),
        sa.CheckConstraint("superseded_by_id <> id", name="not_superseded_by_itself"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DocumentKind] = enum_column(DocumentKind)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id"), index=True)
    number: Mapped[str] = mapped_column(sa.String(60))  # "05/QĐ-HĐTT"
    title: Mapped[str] = mapped_column(sa.String(500))
    issuer: Mapped[str] = mapped_column(sa.String(300))
    issued_on: Mapped[dt.date] = mapped_column(sa.Date)
    subject_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    code: Mapped[str] = mapped_column(sa.String(CODE_LENGTH))
    # Relative to DOCUMENTS_DIR, so the directory can move with its files.
    storage_path: Mapped[str] = mapped_column(sa.String(300))
    size: Mapped[int] = mapped_column(sa.Integer)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A document whose content changed after it was issued (a card's room moved, a body's
    # members changed) is replaced by a new one; the verification page of the old code says
    # so and names its successor. Set once, never cleared.
    superseded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("issued_documents.id"), unique=True
    )
    superseded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    round: Mapped[Round] = relationship()
    subject_user: Mapped[User | None] = relationship(foreign_keys=[subject_user_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    superseded_by: Mapped[IssuedDocument | None] = relationship(
        remote_side=[id], foreign_keys=[superseded_by_id]
    )
