"""Computer-based tests: the blueprint (ma trận đề), sessions (ca thi) and rooms, each
candidate's paper and sitting, the answers given, and what invigilators record.

Numbers that the rules give (3× bank, −25 % / −50 % penalties, 15 minutes' late entry) are
columns with docs/domain.md's value as default, which the board may change (``*_DEFAULT`` and
``*_RANGE`` below are the only place these numbers are written).
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.accounts.models import User
from exam.candidates.models import Application
from exam.core.db import TimestampMixin, TitledEnum, UTCDateTime, enum_column
from exam.extensions import db
from exam.question_bank.models import Bank, Category, Difficulty, Question, QuestionVersion
from exam.rounds.models import Round

# The defaults of the test's settings (docs/domain.md §5 and §10 give their sources) and the
# ranges a form accepts; each test or session keeps its own value in a column.
LATE_ENTRY_MINUTES_DEFAULT = 15
LATE_ENTRY_MINUTES_RANGE = (0, 600)
BANK_RATIO_DEFAULT = 3
BANK_RATIO_RANGE = (1, 20)
REPRIMAND_PERCENT_DEFAULT = 25
WARNING_PERCENT_DEFAULT = 50
PENALTY_PERCENT_RANGE = (0, 100)


def late_entry_until(starts_at: dt.datetime, late_entry_minutes: int) -> dt.datetime:
    """The last moment a candidate may press Start (the rule of late entry, written once)."""
    return starts_at + dt.timedelta(minutes=late_entry_minutes)


class ReviewOption(TitledEnum):
    """What a candidate sees after the test, set per test."""

    SCORE_ONLY = "score_only"
    OWN_ANSWERS = "own_answers"
    CORRECT_ANSWERS = "correct_answers"

    @staticmethod
    def __titles__() -> dict:
        return {
            "score_only": _l("Chỉ điểm"),
            "own_answers": _l("Điểm và câu trả lời của mình"),
            "correct_answers": _l("Điểm, câu trả lời và đáp án đúng"),
        }


class Test(TimestampMixin, db.Model):
    """One test of a round: a blueprint of sections drawn from one bank, a duration, and
    one or more sessions (ca thi), each with its own fixed start."""

    __tablename__ = "tests"
    __table_args__ = (
        sa.CheckConstraint("duration_minutes BETWEEN 1 AND 600", name="duration_range"),
        sa.CheckConstraint("bank_ratio >= 1", name="bank_ratio_positive"),
        sa.CheckConstraint(
            "reprimand_percent BETWEEN 0 AND 100 AND warning_percent BETWEEN 0 AND 100",
            name="penalty_percent_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id", ondelete="CASCADE"))
    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("banks.id"))
    title: Mapped[str] = mapped_column(sa.String(200))
    duration_minutes: Mapped[int] = mapped_column()
    shuffle_questions: Mapped[bool] = mapped_column(default=True)
    shuffle_options: Mapped[bool] = mapped_column(default=True)
    review_option: Mapped[ReviewOption] = enum_column(ReviewOption, default=ReviewOption.SCORE_ONLY)
    # docs/domain.md: the bank holds at least 3× the questions of a paper (per section, see
    # definition.check_blueprint); penalties of TT 22's Nội quy, in percent of the score.
    bank_ratio: Mapped[int] = mapped_column(default=BANK_RATIO_DEFAULT)
    reprimand_percent: Mapped[int] = mapped_column(default=REPRIMAND_PERCENT_DEFAULT)
    warning_percent: Mapped[int] = mapped_column(default=WARNING_PERCENT_DEFAULT)
    papers_generated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    round: Mapped[Round] = relationship()
    bank: Mapped[Bank] = relationship()
    sections: Mapped[list[TestSection]] = relationship(
        back_populates="test", order_by="TestSection.position", cascade="all, delete-orphan"
    )
    sessions: Mapped[list[ExamSession]] = relationship(
        back_populates="test",
        order_by="[ExamSession.starts_at, ExamSession.id]",
        cascade="all, delete-orphan",
    )

    @property
    def question_count(self) -> int:
        return sum(section.question_count for section in self.sections)

    @property
    def max_score(self) -> float:
        return round(sum(s.question_count * s.points_per_question for s in self.sections), 2)

    @property
    def first_session(self) -> ExamSession | None:
        return self.sessions[0] if self.sessions else None

    @property
    def starts_at(self) -> dt.datetime | None:
        """The first session's start (a test with one session: its start)."""
        first = self.first_session
        return first.starts_at if first else None

    @property
    def ends_at(self) -> dt.datetime | None:
        first = self.first_session
        return first.ends_at if first else None

    @property
    def session_code(self) -> str | None:
        first = self.first_session
        return first.code if first else None


class TestSection(db.Model):
    """One cell of the blueprint: N approved questions of a category (with its
    subcategories), a difficulty and a type — each left empty for "any" — worth P points."""

    __tablename__ = "test_sections"
    __table_args__ = (
        sa.UniqueConstraint("test_id", "position"),
        sa.CheckConstraint("question_count BETWEEN 1 AND 300", name="question_count_range"),
        sa.CheckConstraint("points_per_question > 0", name="points_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    test_id: Mapped[int] = mapped_column(sa.ForeignKey("tests.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(200))
    category_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("categories.id", ondelete="RESTRICT"), nullable=True
    )
    difficulty: Mapped[Difficulty | None] = enum_column(Difficulty, nullable=True)
    question_type: Mapped[str | None] = mapped_column(sa.String(30), nullable=True)
    question_count: Mapped[int] = mapped_column()
    points_per_question: Mapped[float] = mapped_column(default=1.0)

    test: Mapped[Test] = relationship(back_populates="sections")
    category: Mapped[Category | None] = relationship()

    @property
    def points(self) -> float:
        return round(self.question_count * self.points_per_question, 2)


class ExamSession(TimestampMixin, db.Model):
    """A ca thi: one fixed start for everyone in it, a code the invigilators read out, and a
    late-entry limit after which nobody may start."""

    __tablename__ = "exam_sessions"
    __table_args__ = (
        sa.UniqueConstraint("test_id", "name"),
        sa.CheckConstraint("late_entry_minutes BETWEEN 0 AND 600", name="late_entry_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    test_id: Mapped[int] = mapped_column(sa.ForeignKey("tests.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(100))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    code: Mapped[str] = mapped_column(sa.String(12))
    late_entry_minutes: Mapped[int] = mapped_column(default=LATE_ENTRY_MINUTES_DEFAULT)

    test: Mapped[Test] = relationship(back_populates="sessions")
    rooms: Mapped[list[Room]] = relationship(
        back_populates="session", order_by="Room.name", cascade="all, delete-orphan"
    )

    @property
    def ends_at(self) -> dt.datetime:
        return self.starts_at + dt.timedelta(minutes=self.test.duration_minutes)

    @property
    def late_entry_until(self) -> dt.datetime:
        return late_entry_until(self.starts_at, self.late_entry_minutes)


room_invigilators = sa.Table(
    "room_invigilators",
    db.metadata,
    sa.Column("room_id", sa.ForeignKey("exam_rooms.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Room(db.Model):
    """A room of a session, its seats and its invigilators."""

    __tablename__ = "exam_rooms"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "name"),
        sa.CheckConstraint("capacity BETWEEN 1 AND 1000", name="capacity_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_sessions.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(100))
    capacity: Mapped[int] = mapped_column()

    session: Mapped[ExamSession] = relationship(back_populates="rooms")
    invigilators: Mapped[list[User]] = relationship(secondary=room_invigilators)


class Accommodation(TimestampMixin, db.Model):
    """Extra time granted to a candidate once (e.g. +25 %), applied to every test they sit."""

    __tablename__ = "accommodations"
    __table_args__ = (
        sa.UniqueConstraint("candidate_id"),
        sa.CheckConstraint("extra_time_percent BETWEEN 0 AND 200", name="percent_range"),
        sa.CheckConstraint("length(reason) > 0", name="has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    extra_time_percent: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(sa.Text)
    granted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    candidate: Mapped[User] = relationship(foreign_keys=[candidate_id])


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


class Penalty(TitledEnum):
    """Disciplinary measures of TT 22's Nội quy; the most severe one recorded applies."""

    NONE = "none"
    REPRIMAND = "reprimand"
    WARNING = "warning"
    SUSPENSION = "suspension"

    @staticmethod
    def __titles__() -> dict:
        return {
            "none": _l("Chỉ ghi nhận"),
            "reprimand": _l("Khiển trách"),
            "warning": _l("Cảnh cáo"),
            "suspension": _l("Đình chỉ thi"),
        }

    @property
    def severity(self) -> int:
        return list(Penalty).index(self)


def new_token_secret() -> str:
    return secrets.token_hex(16)


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
        sa.CheckConstraint(
            "final_score IS NULL OR (status = 'submitted' AND final_score >= 0)",
            name="final_score_when_submitted",
        ),
        sa.CheckConstraint("extra_minutes >= 0", name="extra_minutes_not_negative"),
        sa.CheckConstraint("time_percent BETWEEN 0 AND 200", name="time_percent_range"),
        sa.Index("ix_attempts_status_session", "status", "session_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    test_id: Mapped[int] = mapped_column(sa.ForeignKey("tests.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_sessions.id"))
    room_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("exam_rooms.id", ondelete="SET NULL"), nullable=True, index=True
    )
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE")
    )
    seed: Mapped[int] = mapped_column(sa.BigInteger)
    # The paper's secret for the tokens that stand for option ids on the page
    # (exam.exams.tokens): never sent to the browser.
    token_secret: Mapped[str] = mapped_column(sa.String(32), default=new_token_secret)
    status: Mapped[AttemptStatus] = enum_column(AttemptStatus, default=AttemptStatus.READY)
    # Accommodation (percent of the duration, copied from the candidate's Accommodation)
    # and minutes added by invigilators (sum of the TimeGrants).
    time_percent: Mapped[int] = mapped_column(default=0)
    extra_minutes: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    submitted_by_server: Mapped[bool] = mapped_column(default=False)
    # score: the automatically scored part, known at once; final_score: everything marked,
    # voided questions given, the penalty applied (None while an essay awaits marking).
    score: Mapped[float | None] = mapped_column(nullable=True)
    final_score: Mapped[float | None] = mapped_column(nullable=True)
    penalty: Mapped[Penalty] = enum_column(Penalty, default=Penalty.NONE)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    test: Mapped[Test] = relationship()
    session: Mapped[ExamSession] = relationship()
    room: Mapped[Room | None] = relationship()
    application: Mapped[Application] = relationship()
    questions: Mapped[list[AttemptQuestion]] = relationship(
        back_populates="attempt", order_by="AttemptQuestion.position", cascade="all"
    )
    incidents: Mapped[list[Incident]] = relationship(
        back_populates="attempt", order_by="Incident.recorded_at", cascade="all"
    )
    time_grants: Mapped[list[TimeGrant]] = relationship(
        back_populates="attempt", order_by="TimeGrant.granted_at", cascade="all"
    )

    @property
    def deadline_at(self) -> dt.datetime:
        return deadline(
            self.session.starts_at,
            self.test.duration_minutes,
            self.time_percent,
            self.extra_minutes,
        )

    @property
    def max_score(self) -> float:
        return round(sum(item.points for item in self.questions), 2)

    @property
    def pending_marking(self) -> bool:
        """Submitted, but a question scored by people (an essay) has no mark yet."""
        return self.status == AttemptStatus.SUBMITTED and self.final_score is None

    @property
    def score_percent(self) -> float | None:
        """The final score in percent of the paper's points (None until final)."""
        if self.final_score is None or not self.max_score:
            return None
        return round(100 * self.final_score / self.max_score, 2)


def deadline(
    starts_at: dt.datetime, duration_minutes: int, time_percent: int, extra_minutes: int
) -> dt.datetime:
    """The session's start + the duration lengthened by the accommodation (rounded up to the
    second) + minutes added by invigilators. Fixed by the start, whatever the login time."""
    seconds = math.ceil(duration_minutes * 60 * (100 + time_percent) / 100)
    return starts_at + dt.timedelta(seconds=seconds, minutes=extra_minutes)


class AttemptQuestion(db.Model):
    """One question of a paper, pinned to the version drawn, with its option order, the
    section and slot it fills, and the points it earned."""

    __tablename__ = "attempt_questions"
    __table_args__ = (
        sa.UniqueConstraint("attempt_id", "position"),
        sa.UniqueConstraint("attempt_id", "question_version_id"),
        sa.CheckConstraint(
            "awarded_points IS NULL OR (awarded_points >= 0 AND awarded_points <= points)",
            name="awarded_points_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("attempts.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column()
    section_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("test_sections.id", ondelete="SET NULL"), nullable=True
    )
    slot: Mapped[int] = mapped_column(default=0)  # the n-th question drawn for its section
    question_version_id: Mapped[int] = mapped_column(sa.ForeignKey("question_versions.id"))
    option_order: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    points: Mapped[float] = mapped_column()
    awarded_points: Mapped[float | None] = mapped_column(nullable=True)
    voided: Mapped[bool] = mapped_column(default=False)

    attempt: Mapped[Attempt] = relationship(back_populates="questions")
    section: Mapped[TestSection | None] = relationship()
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
    answered: Mapped[bool] = mapped_column(default=False)  # a non-empty response
    seq: Mapped[int] = mapped_column(sa.BigInteger)
    saved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # The points the response earns by its question's key, computed when it is saved (the
    # key is on the server) so that submitting or closing the paper only adds them up
    # (exam.exams.scoring.answer_points); None for a question scored by people.
    points: Mapped[float | None] = mapped_column(nullable=True)

    attempt_question: Mapped[AttemptQuestion] = relationship(back_populates="answer")


class RefusedAnswer(db.Model):
    """An answer that arrived after the paper closed: refused, and kept here as evidence.

    Evidence is capped per paper (exam.exams.sitting.log_refused_answers): beyond the
    caps, refused answers are only counted, on the paper's one summary row (``summary``,
    no question, no response), whose ``count`` says how many more were refused and whose
    ``received_at`` is the last of them."""

    __tablename__ = "refused_answers"
    __table_args__ = (
        sa.CheckConstraint("count >= 1", name="count_positive"),
        sa.CheckConstraint(
            "NOT summary OR (item_id IS NULL AND seq IS NULL)", name="summary_has_no_answer"
        ),
        sa.Index(
            "uq_refused_answers_summary",
            "attempt_id",
            unique=True,
            sqlite_where=sa.text("summary"),
            postgresql_where=sa.text("summary"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        sa.ForeignKey("attempts.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int | None] = mapped_column(nullable=True)
    seq: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    response: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    count: Mapped[int] = mapped_column(default=1, server_default="1")


class WrongSessionCode(db.Model):
    """A wrong session code typed on a paper's start page: shown to the invigilator, and
    counted, so that a paper whose code was guessed too often stops taking codes for a
    while (exam.exams.sitting.start_paper)."""

    __tablename__ = "wrong_session_codes"
    __table_args__ = (sa.Index("ix_wrong_session_codes_attempt_at", "attempt_id", "entered_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("attempts.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(sa.String(20))  # as typed, cut to 20 characters
    entered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class TimeGrant(db.Model):
    """Minutes added to one candidate's time by an invigilator, with the reason."""

    __tablename__ = "time_grants"
    __table_args__ = (
        sa.CheckConstraint("minutes BETWEEN 1 AND 600", name="minutes_range"),
        sa.CheckConstraint("length(reason) > 0", name="has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("attempts.id", ondelete="CASCADE"))
    minutes: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(sa.Text)
    reopened: Mapped[bool] = mapped_column(default=False)  # a retake after a machine failure
    granted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    granted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    attempt: Mapped[Attempt] = relationship(back_populates="time_grants")
    granted_by: Mapped[User] = relationship()


class Incident(db.Model):
    """A breach of the rules recorded by an invigilator (with its minutes) and its penalty."""

    __tablename__ = "exam_incidents"
    __table_args__ = (sa.CheckConstraint("length(description) > 0", name="has_description"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("attempts.id", ondelete="CASCADE"))
    penalty: Mapped[Penalty] = enum_column(Penalty)
    description: Mapped[str] = mapped_column(sa.Text)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    attempt: Mapped[Attempt] = relationship(back_populates="incidents")
    recorded_by: Mapped[User] = relationship()


class VoidedQuestion(db.Model):
    """A faulty question of a test: every candidate who had it gets its points."""

    __tablename__ = "voided_questions"
    __table_args__ = (
        sa.UniqueConstraint("test_id", "question_id"),
        sa.CheckConstraint("length(reason) > 0", name="has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    test_id: Mapped[int] = mapped_column(sa.ForeignKey("tests.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id"))
    reason: Mapped[str] = mapped_column(sa.Text)
    voided_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    voided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    question: Mapped[Question] = relationship()


class RenderedPaper(db.Model):
    """The questions of a paper as HTML, rendered when the paper is made: opening an
    unanswered paper at the start of the session is then one read, not 60 questions to
    render for each of 2,000 candidates in the same minute. A cache: deleting it is safe."""

    __tablename__ = "rendered_papers"

    attempt_id: Mapped[int] = mapped_column(
        sa.ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True
    )
    locale: Mapped[str] = mapped_column(sa.String(10))
    questions: Mapped[int] = mapped_column()
    html: Mapped[str] = mapped_column(sa.Text)
