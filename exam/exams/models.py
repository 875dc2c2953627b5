"""A timed online test, each candidate's paper, and the answers given."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.candidates.models import Application
from exam.core.db import TimestampMixin, TitledEnum, UTCDateTime, enum_column
from exam.extensions import db
from exam.question_bank.models import Bank, QuestionVersion
from exam.rounds.models import Round


class Test(TimestampMixin, db.Model):
    """One test of a round: N approved questions drawn from a bank, one fixed start."""

    __tablename__ = "tests"
    __table_args__ = (
        sa.CheckConstraint("question_count >= 1", name="question_count_positive"),
        sa.CheckConstraint("duration_minutes BETWEEN 1 AND 600", name="duration_range"),
        sa.CheckConstraint("points_per_question > 0", name="points_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id", ondelete="CASCADE"))
    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("banks.id"))
    title: Mapped[str] = mapped_column(sa.String(200))
    question_count: Mapped[int] = mapped_column()
    points_per_question: Mapped[float] = mapped_column(default=1.0)
    duration_minutes: Mapped[int] = mapped_column()
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    session_code: Mapped[str] = mapped_column(sa.String(12))
    shuffle_questions: Mapped[bool] = mapped_column(default=True)
    shuffle_options: Mapped[bool] = mapped_column(default=True)
    papers_generated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    round: Mapped[Round] = relationship()
    bank: Mapped[Bank] = relationship()

    @property
    def ends_at(self) -> dt.datetime:
        return self.starts_at + dt.timedelta(minutes=self.duration_minutes)

    @property
    def max_score(self) -> float:
        return self.question_count * self.points_per_question


class AttemptStatus(TitledEnum):
    READY = "ready"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"

    @staticmethod
    def __titles__() -> dict:
        return {
            "ready": _l("Chưa bắt đầu"),
            "in_progress": _l("Đang làm bài"),
            "submitted": _l("Đã nộp bài"),
        }


class Attempt(TimestampMixin, db.Model):
    """A candidate's paper for a test (made before the start) and its sitting."""

    __tablename__ = "attempts"
    __table_args__ = (
        sa.UniqueConstraint("test_id", "application_id"),
        sa.CheckConstraint(
            "(status = 'ready') = (started_at IS NULL)", name="started_iff_not_ready"
        ),
        sa.CheckConstraint(
            "(status = 'submitted') = (submitted_at IS NOT NULL AND score IS NOT NULL)",
            name="submitted_iff_scored",
        ),
        sa.CheckConstraint("score IS NULL OR score >= 0", name="score_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    test_id: Mapped[int] = mapped_column(sa.ForeignKey("tests.id", ondelete="CASCADE"))
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE")
    )
    seed: Mapped[int] = mapped_column(sa.BigInteger)
    status: Mapped[AttemptStatus] = enum_column(AttemptStatus, default=AttemptStatus.READY)
    extra_minutes: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    submitted_by_server: Mapped[bool] = mapped_column(default=False)
    score: Mapped[float | None] = mapped_column(nullable=True)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    test: Mapped[Test] = relationship()
    application: Mapped[Application] = relationship()
    questions: Mapped[list[AttemptQuestion]] = relationship(
        back_populates="attempt", order_by="AttemptQuestion.position", cascade="all"
    )

    @property
    def deadline_at(self) -> dt.datetime:
        """Fixed by the test's start, whatever the login time, plus accommodation."""
        return self.test.ends_at + dt.timedelta(minutes=self.extra_minutes)

    @property
    def score_percent(self) -> float | None:
        if self.score is None:
            return None
        return round(100 * self.score / self.test.max_score, 2)


class AttemptQuestion(db.Model):
    """One question of a paper, pinned to the version drawn, with its option order."""

    __tablename__ = "attempt_questions"
    __table_args__ = (
        sa.UniqueConstraint("attempt_id", "position"),
        sa.UniqueConstraint("attempt_id", "question_version_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("attempts.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column()
    question_version_id: Mapped[int] = mapped_column(sa.ForeignKey("question_versions.id"))
    option_order: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    points: Mapped[float] = mapped_column()

    attempt: Mapped[Attempt] = relationship(back_populates="questions")
    version: Mapped[QuestionVersion] = relationship()
    answer: Mapped[Answer | None] = relationship(back_populates="attempt_question", uselist=False)


class Answer(db.Model):
    """The latest saved response to one question of a paper. ``seq`` orders saves: an
    older save arriving late never overwrites a newer one."""

    __tablename__ = "answers"
    __table_args__ = (
        sa.UniqueConstraint("attempt_question_id"),
        sa.CheckConstraint("seq >= 0", name="seq_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("attempt_questions.id", ondelete="CASCADE")
    )
    response: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger)
    saved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    attempt_question: Mapped[AttemptQuestion] = relationship(back_populates="answer")
