"""Banks, categories, questions and their immutable versions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.accounts.models import User
from exam.core.db import TimestampMixin, TitledEnum, UTCDateTime, enum_column, utcnow
from exam.extensions import db


class QuestionStatus(TitledEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETIRED = "retired"

    @staticmethod
    def __titles__() -> dict:
        return {
            "draft": _l("Bản nháp"),
            "submitted": _l("Chờ duyệt"),
            "approved": _l("Đã duyệt"),
            "retired": _l("Ngừng sử dụng"),
        }


class Difficulty(TitledEnum):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"

    @staticmethod
    def __titles__() -> dict:
        return {"easy": _l("Dễ"), "medium": _l("Trung bình"), "hard": _l("Khó")}


TEXT_FORMATS = ("plain", "html", "markdown")


class Bank(TimestampMixin, db.Model):
    __tablename__ = "banks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")

    categories: Mapped[list[Category]] = relationship(
        back_populates="bank", cascade="all, delete-orphan"
    )


class Category(db.Model):
    __tablename__ = "categories"
    __table_args__ = (sa.UniqueConstraint("bank_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("banks.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("categories.id", ondelete="CASCADE"), nullable=True
    )
    name: Mapped[str] = mapped_column(sa.String(200))
    path: Mapped[str] = mapped_column(sa.String(1000))  # "Level 1/Level 2", for lookups

    bank: Mapped[Bank] = relationship(back_populates="categories")
    parent: Mapped[Category | None] = relationship(remote_side=[id])

    @property
    def depth(self) -> int:
        return self.path.count("/")


class Tag(db.Model):
    """A free label of a bank's questions (Moodle's tags): "luat-vien-chuc", "2025"…"""

    __tablename__ = "tags"
    __table_args__ = (sa.UniqueConstraint("bank_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("banks.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(100))


question_tags = sa.Table(
    "question_tags",
    db.metadata,
    sa.Column("question_id", sa.ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class BankMedia(db.Model):
    """A file embedded in questions (an image), stored once per bank by its content hash.
    Versions refer to it by the name their text uses (``QuestionVersion.media``)."""

    __tablename__ = "bank_media"
    __table_args__ = (
        sa.UniqueConstraint("bank_id", "sha256"),
        sa.CheckConstraint("size >= 0", name="size_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("banks.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column()
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)


class Question(TimestampMixin, db.Model):
    """A question's identity and review state; its content lives in versions."""

    __tablename__ = "questions"
    __table_args__ = (
        sa.UniqueConstraint("bank_id", "key"),
        sa.CheckConstraint(
            "status != 'approved' OR approved_by_id IS NOT NULL", name="approved_has_approver"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("banks.id", ondelete="RESTRICT"))
    category_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("categories.id", ondelete="SET NULL"), nullable=True
    )
    key: Mapped[str] = mapped_column(sa.String(60))
    status: Mapped[QuestionStatus] = enum_column(QuestionStatus, default=QuestionStatus.DRAFT)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Why a reviewer last sent the question back to its author (empty once resubmitted).
    review_comment: Mapped[str] = mapped_column(sa.Text, default="")
    # When the question was first drawn onto a paper (told by the exams domain when it draws
    # papers): a used question is never deleted, only retired.
    first_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    bank: Mapped[Bank] = relationship()
    category: Mapped[Category | None] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    versions: Mapped[list[QuestionVersion]] = relationship(
        back_populates="question", order_by="QuestionVersion.number", cascade="all"
    )
    tags: Mapped[list[Tag]] = relationship(secondary=question_tags, order_by="Tag.name")

    @property
    def current(self) -> QuestionVersion:
        return self.versions[-1]


class QuestionVersion(db.Model):
    """What a question said at one time. Never edited: an edit writes a new version, and
    papers pin the version they were drawn with."""

    __tablename__ = "question_versions"
    __table_args__ = (
        sa.UniqueConstraint("question_id", "number"),
        sa.CheckConstraint("number >= 1", name="number_positive"),
        sa.CheckConstraint("default_points > 0", name="points_positive"),
        sa.CheckConstraint(
            "text_format IN ('plain', 'html', 'markdown')", name="text_format_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id", ondelete="RESTRICT"))
    number: Mapped[int] = mapped_column()
    type: Mapped[str] = mapped_column(sa.String(30))
    name: Mapped[str] = mapped_column(sa.String(255), default="")
    text: Mapped[str] = mapped_column(sa.Text)
    text_format: Mapped[str] = mapped_column(sa.String(10), default="plain")
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    default_points: Mapped[float] = mapped_column(default=1.0)
    difficulty: Mapped[Difficulty | None] = enum_column(Difficulty, nullable=True)
    legal_basis: Mapped[str] = mapped_column(sa.String(500), default="")
    legal_basis_date: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    general_feedback: Mapped[str] = mapped_column(sa.Text, default="")
    # Embedded files by the name the text uses: {"hinh.png": sha256 of a BankMedia}.
    media: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    question: Mapped[Question] = relationship(back_populates="versions")
    created_by: Mapped[User] = relationship()
