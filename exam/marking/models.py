"""The marking of a round's written part (docs/domain.md §6, TT 22 Art. 15–16).

A ``Script`` is one candidate's written part under its code (số phách): the essay answers of
an online paper (``attempt_id``), or the scanned script of a test sat on paper
(``paper_script_id``: a ``PaperTest`` of the round, its criteria and points; one scanned PDF
per candidate, ``PaperScript``); the CHECK ``script_has_source`` names exactly one. Each
script gets two marking sheets (a third when they differ too much), each sealed when its marker
submits it; the score stays with the code until the Ban phách unseals the round's marking."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.accounts.models import User
from exam.candidates.models import Application
from exam.core.db import TimestampMixin, TitledEnum, UTCDateTime, enum_column
from exam.documents.models import IssuedDocument
from exam.exams.models import Attempt, AttemptQuestion
from exam.extensions import db
from exam.marking.rules import PaperPart, marked_by_people
from exam.rounds.models import Round

# TT 22 Art. 16: two markers within 5 points (of 100) → their mean; 10 or more apart → a third
# marker; in between, the head of marking settles it. Round settings with these defaults.
AGREE_LIMIT_DEFAULT = Decimal(5)
THIRD_MARKER_LIMIT_DEFAULT = Decimal(10)
SCALE = Decimal(100)  # the limits are points of a 100-point written part
# The appeals (NĐ 170 Art. 16, TT 22 Art. 17–18; docs/domain.md §9), round settings with the
# law's defaults: the window in working days after publication, the re-markers' agreement
# limit, how far from the published score a re-mark still replaces it, and the days the
# re-marking board has once the window closes (10, up to 20).
APPEAL_WORKING_DAYS_DEFAULT = 5
REMARK_AGREE_LIMIT_DEFAULT = Decimal(5)
REPLACE_LIMIT_DEFAULT = Decimal(5)
REMARK_DAYS_DEFAULT = 10
APPEAL_WORKING_DAYS_RANGE = (1, 30)
REMARK_DAYS_RANGE = (1, 20)


class MarkingPlan(TimestampMixin, db.Model):
    """A round's marking: its limits, its appeals' settings, and the Ban phách's steps
    (coding, hand-over to the marking board, unsealing), each done once and in this order."""

    __tablename__ = "marking_plans"
    __table_args__ = (
        sa.UniqueConstraint("round_id"),
        sa.CheckConstraint(
            "agree_limit >= 0 AND third_marker_limit > agree_limit AND third_marker_limit <= 100",
            name="limits_order",
        ),
        sa.CheckConstraint(
            "appeal_working_days BETWEEN 1 AND 30 AND remark_days BETWEEN 1 AND 20",
            name="appeal_days_range",
        ),
        sa.CheckConstraint(
            "remark_agree_limit >= 0 AND remark_agree_limit <= 100 "
            "AND replace_limit > 0 AND replace_limit <= 100",
            name="appeal_limits_range",
        ),
        sa.CheckConstraint(
            "handed_over_at IS NULL OR coded_at IS NOT NULL", name="handed_over_after_coding"
        ),
        sa.CheckConstraint(
            "unsealed_at IS NULL OR handed_over_at IS NOT NULL", name="unsealed_after_hand_over"
        ),
        sa.CheckConstraint(
            "hand_over_number IS NULL OR handed_over_at IS NOT NULL",
            name="hand_over_number_when_handed_over",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id", ondelete="CASCADE"))
    agree_limit: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=AGREE_LIMIT_DEFAULT)
    third_marker_limit: Mapped[Decimal] = mapped_column(
        sa.Numeric(5, 2), default=THIRD_MARKER_LIMIT_DEFAULT
    )
    appeal_working_days: Mapped[int] = mapped_column(default=APPEAL_WORKING_DAYS_DEFAULT)
    remark_agree_limit: Mapped[Decimal] = mapped_column(
        sa.Numeric(5, 2), default=REMARK_AGREE_LIMIT_DEFAULT
    )
    replace_limit: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=REPLACE_LIMIT_DEFAULT)
    remark_days: Mapped[int] = mapped_column(default=REMARK_DAYS_DEFAULT)
    coded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    coded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    handed_over_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    handed_over_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    unsealed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    unsealed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    # The minutes' number in the Council's register, taken in the hand-over's transaction
    # (exam/documents/numbering.py reads it: no other document takes it meanwhile); their
    # document is issued by a job (exam/marking/hand_over_jobs.py). NULL for a hand-over made
    # before the minutes were issued at all.
    hand_over_number: Mapped[str | None] = mapped_column(sa.String(50), nullable=True)
    # The hand-over's minutes, issued once after the scripts are handed over (the documents
    # registry: same bytes at every download); NULL until their job has issued them.
    hand_over_document_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("issued_documents.id"), unique=True, nullable=True
    )

    round: Mapped[Round] = relationship()
    hand_over_document: Mapped[IssuedDocument | None] = relationship()
    scripts: Mapped[list[Script]] = relationship(
        back_populates="plan", order_by="Script.code", cascade="all, delete-orphan"
    )


class ScriptStatus(TitledEnum):
    CODED = "coded"  # with the Ban phách, not handed over yet
    MARKING = "marking"  # with its two markers
    DISCUSSION = "discussion"  # between the limits: the head of marking settles it
    THIRD_MARKER = "third_marker"  # too far apart: a third marker marks it
    HEAD_DECIDES = "head_decides"  # three markers, no two agreeing
    FINAL = "final"

    @staticmethod
    def __titles__() -> dict:
        return {
            "coded": _l("Đã đánh phách"),
            "marking": _l("Đang chấm"),
            "discussion": _l("Chờ Trưởng ban chấm thi thống nhất điểm"),
            "third_marker": _l("Chấm lần ba"),
            "head_decides": _l("Chấm tập thể, Trưởng ban quyết định"),
            "final": _l("Đã có điểm"),
        }


class SettledBy(TitledEnum):
    """How a script's score was reached."""

    MEAN = "mean"  # two markers within the agreement limit
    PAIR = "pair"  # two of three markers agreeing
    HEAD = "head"  # the head of marking, after discussing or collective marking
    ZERO = "zero"  # a zero-score case

    @staticmethod
    def __titles__() -> dict:
        return {
            "mean": _l("Trung bình cộng điểm của hai thành viên chấm"),
            "pair": _l("Hai trong ba thành viên chấm thống nhất"),
            "head": _l("Trưởng ban chấm thi quyết định"),
            "zero": _l("Điểm 0"),
        }


class ZeroReason(TitledEnum):
    """The cases scored zero (TT 22 Art. 16; Nội quy)."""

    TWO_SCRIPTS = "two_scripts"
    TWO_HANDWRITINGS = "two_handwritings"
    FOREIGN_PAPER = "foreign_paper"
    IDENTIFYING_MARKS = "identifying_marks"

    @staticmethod
    def __titles__() -> dict:
        return {
            "two_scripts": _l("Nộp hai bài cho một bài thi"),
            "two_handwritings": _l("Bài thi có hai loại chữ viết khác nhau"),
            "foreign_paper": _l("Bài thi viết trên giấy không đúng quy định"),
            "identifying_marks": _l("Bài thi có đánh dấu hoặc thông tin nhận biết thí sinh"),
        }


class Script(TimestampMixin, db.Model):
    """One candidate's written part under its code. ``flagged_terms``: what in the answers may
    identify the candidate (their name, registration number, unit), for the Ban phách to
    decide before the hand-over (``flag_cleared``: sent on anyway)."""

    __tablename__ = "marking_scripts"
    __table_args__ = (
        sa.UniqueConstraint("plan_id", "code"),
        sa.UniqueConstraint("attempt_id", "remark"),  # its marking, and one re-marking
        sa.UniqueConstraint("paper_script_id", "remark"),
        sa.CheckConstraint(
            "(attempt_id IS NULL) <> (paper_script_id IS NULL)", name="script_has_source"
        ),
        sa.CheckConstraint("length(code) >= 6", name="code_length"),
        sa.CheckConstraint(
            "(status = 'final') = (final_score IS NOT NULL AND settled_by IS NOT NULL)",
            name="final_iff_scored",
        ),
        sa.CheckConstraint(
            "final_score IS NULL OR final_score BETWEEN 0 AND 100", name="final_score_range"
        ),
        sa.CheckConstraint(
            "(zero_reason IS NULL) = (settled_by IS NULL OR settled_by != 'zero')",
            name="zero_has_reason",
        ),
        sa.CheckConstraint(
            "settled_by IS NULL OR settled_by NOT IN ('head', 'zero') "
            "OR (decided_by_id IS NOT NULL AND length(minutes) > 0)",
            name="decision_minuted",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("marking_plans.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(sa.String(12))
    attempt_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("attempts.id", ondelete="CASCADE"), nullable=True
    )
    paper_script_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("marking_paper_scripts.id", ondelete="CASCADE"), nullable=True
    )
    # A re-marking on appeal (docs/domain.md §9): a new code, the re-marking board's markers,
    # nothing of the first marking shown; it changes the paper only through the appeal.
    remark: Mapped[bool] = mapped_column(default=False)
    status: Mapped[ScriptStatus] = enum_column(ScriptStatus, default=ScriptStatus.CODED)
    flagged_terms: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    flag_cleared: Mapped[bool] = mapped_column(default=False)
    # The result, kept with the code until unsealing: on the 100-point scale, and each essay
    # item's points (by AttemptQuestion id) as unsealing writes them on the paper.
    final_score: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2), nullable=True)
    final_points: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)
    settled_by: Mapped[SettledBy | None] = enum_column(SettledBy, nullable=True)
    zero_reason: Mapped[ZeroReason | None] = enum_column(ZeroReason, nullable=True)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    minutes: Mapped[str] = mapped_column(sa.Text, default="")

    plan: Mapped[MarkingPlan] = relationship(back_populates="scripts")
    attempt: Mapped[Attempt | None] = relationship()
    paper_script: Mapped[PaperScript | None] = relationship()
    sheets: Mapped[list[MarkingSheet]] = relationship(
        back_populates="script", order_by="MarkingSheet.turn", cascade="all, delete-orphan"
    )

    @property
    def awaiting_flag_decision(self) -> bool:
        return bool(self.flagged_terms) and not self.flag_cleared and self.settled_by is None

    def same_source(self, other: Script) -> bool:
        """The same candidate's written part: a script and its re-marking."""
        return (self.attempt_id, self.paper_script_id) == (other.attempt_id, other.paper_script_id)

    @property
    def application(self) -> Application:
        """Whose script it is: for the Ban phách's code table only, never for a marker."""
        if self.paper_script is not None:
            return self.paper_script.application
        return self.attempt.application

    def essay_items(self) -> list[AttemptQuestion | PaperPart]:
        """The items its markers mark, in order: the online paper's essays, or the paper
        test's single part (its criteria and points)."""
        if self.paper_script is not None:
            return [self.paper_script.paper_test.part()]
        return [i for i in self.attempt.questions if marked_by_people(i)] if self.attempt else []


class MarkingSheet(TimestampMixin, db.Model):
    """One marker's sheet for one script (turn 1 and 2, a third when they differ too much):
    never the same person twice on a script; sealed (``submitted_at``) once submitted."""

    __tablename__ = "marking_sheets"
    __table_args__ = (
        sa.UniqueConstraint("script_id", "marker_id"),
        sa.UniqueConstraint("script_id", "turn"),
        sa.CheckConstraint("turn BETWEEN 1 AND 3", name="turn_range"),
        sa.CheckConstraint("(submitted_at IS NULL) = (score IS NULL)", name="submitted_iff_scored"),
        sa.CheckConstraint("score IS NULL OR score BETWEEN 0 AND 100", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    script_id: Mapped[int] = mapped_column(
        sa.ForeignKey("marking_scripts.id", ondelete="CASCADE"), index=True
    )
    marker_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    turn: Mapped[int] = mapped_column()
    assigned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    score: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2), nullable=True)  # of 100
    comments: Mapped[str] = mapped_column(sa.Text, default="")

    script: Mapped[Script] = relationship(back_populates="sheets")
    marker: Mapped[User] = relationship()
    lines: Mapped[list[SheetLine]] = relationship(
        back_populates="sheet", order_by="SheetLine.id", cascade="all, delete-orphan"
    )


class SheetLine(db.Model):
    """The points one sheet gives one criterion of one essay item (criterion 0 is the whole
    answer when its question has no criteria); ``item_id`` NULL: a paper test's criterion."""

    __tablename__ = "marking_sheet_lines"
    __table_args__ = (
        sa.UniqueConstraint("sheet_id", "item_id", "criterion"),
        sa.CheckConstraint("criterion >= 0", name="criterion_not_negative"),
        sa.CheckConstraint("points >= 0 AND points <= max_points", name="points_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(sa.ForeignKey("marking_sheets.id", ondelete="CASCADE"))
    item_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("attempt_questions.id", ondelete="CASCADE"), nullable=True
    )
    criterion: Mapped[int] = mapped_column()
    points: Mapped[Decimal] = mapped_column(sa.Numeric(7, 2))
    max_points: Mapped[Decimal] = mapped_column(sa.Numeric(7, 2))

    sheet: Mapped[MarkingSheet] = relationship(back_populates="lines")


class PaperTest(TimestampMixin, db.Model):
    """A written test of the round sat on paper (exam/exams' tests are online only): its
    title, its marking guide (``criteria``: ``{"criterion", "points"}``, in order) whose
    points total ``max_points``. Each candidate's script is scanned (``PaperScript``) and
    marked under its code like an online essay."""

    __tablename__ = "marking_paper_tests"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "title"),
        sa.CheckConstraint("length(title) > 0", name="title_not_empty"),
        sa.CheckConstraint("max_points > 0", name="max_points_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(200))
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    max_points: Mapped[Decimal] = mapped_column(sa.Numeric(7, 2))

    round: Mapped[Round] = relationship()
    scripts: Mapped[list[PaperScript]] = relationship(
        back_populates="paper_test", cascade="all, delete-orphan"
    )

    def part(self) -> PaperPart:
        return PaperPart(
            self.title,
            Decimal(self.max_points),
            tuple((c["criterion"], c["points"]) for c in self.criteria),
        )


class PaperScript(TimestampMixin, db.Model):
    """One candidate's scanned script of a paper test: a PDF stored under a random name
    (``exam/marking/scans.py``), replaced while the round is not coded yet. ``points`` and
    ``score`` (of 100) are written when the Ban phách unseals: what the results read."""

    __tablename__ = "marking_paper_scripts"
    __table_args__ = (
        sa.UniqueConstraint("paper_test_id", "application_id"),
        sa.UniqueConstraint("stored_name"),
        sa.CheckConstraint("size > 0", name="size_positive"),
        sa.CheckConstraint("(points IS NULL) = (score IS NULL)", name="scored_together"),
        sa.CheckConstraint("score IS NULL OR score BETWEEN 0 AND 100", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    paper_test_id: Mapped[int] = mapped_column(
        sa.ForeignKey("marking_paper_tests.id", ondelete="CASCADE"), index=True
    )
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    stored_name: Mapped[str] = mapped_column(sa.String(80))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    points: Mapped[Decimal | None] = mapped_column(sa.Numeric(7, 2), nullable=True)
    score: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2), nullable=True)

    paper_test: Mapped[PaperTest] = relationship(back_populates="scripts")
    application: Mapped[Application] = relationship()
