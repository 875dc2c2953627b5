"""A candidate's application (hồ sơ dự tuyển) to one position of a round, its documents and
the lot drawn for the order of presentations."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.accounts.models import User
from exam.candidates.eligibility import DocumentKind
from exam.candidates.uploads import extension_for
from exam.core.db import TimestampMixin, TitledEnum, UTCDateTime, enum_column
from exam.core.filenames import download_name
from exam.extensions import db
from exam.rounds.models import Position, Round
from exam.rounds.standards import (
    DegreeLevel,
    Discipline,
    PoliticalTheory,
    Rank,
    Rating,
    StateManagement,
)


class Gender(TitledEnum):
    MALE = "male"
    FEMALE = "female"

    @staticmethod
    def __titles__() -> dict:
        return {"male": _l("Nam"), "female": _l("Nữ")}


class ApplicationStatus(TitledEnum):
    SUBMITTED = "submitted"
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    WITHDRAWN = "withdrawn"

    @staticmethod
    def __titles__() -> dict:
        return {
            "submitted": _l("Đã nộp, chờ xét"),
            "eligible": _l("Đủ điều kiện"),
            "not_eligible": _l("Không đủ điều kiện"),
            "withdrawn": _l("Đã rút hồ sơ"),
        }


def _rating_column(name: str):
    """A rating column whose CHECK has its own name (three columns share the enum)."""
    return mapped_column(
        sa.Enum(
            Rating,
            name=name,
            native_enum=False,
            create_constraint=True,
            length=max(len(m.value) for m in Rating),
            values_callable=lambda cls: [m.value for m in cls],
            validate_strings=True,
        ),
        nullable=True,
    )


class Application(TimestampMixin, db.Model):
    __tablename__ = "applications"
    __table_args__ = (
        # One application per candidate and round (docs/domain.md: a candidate sits for one post).
        sa.UniqueConstraint("round_id", "candidate_id"),
        sa.UniqueConstraint("round_id", "registration_number"),
        # One person, one dossier: the national ID is unique within a round.
        sa.UniqueConstraint("round_id", "national_id"),
        sa.CheckConstraint(
            "status != 'eligible' OR registration_number IS NOT NULL",
            name="eligible_has_registration_number",
        ),
        # A number, once given, stays with its holder, even one who withdraws.
        sa.CheckConstraint(
            "registration_number IS NULL OR status IN ('eligible', 'withdrawn')",
            name="registration_number_only_when_eligible",
        ),
        sa.CheckConstraint(
            "status != 'not_eligible' OR length(decision_reason) > 0",
            name="rejection_has_reason",
        ),
        sa.CheckConstraint(
            "(status = 'withdrawn') = (withdrawn_at IS NOT NULL)", name="withdrawn_iff_dated"
        ),
        sa.CheckConstraint(
            "(status = 'submitted') = (decided_at IS NULL) OR status = 'withdrawn'",
            name="decided_iff_dated",
        ),
        sa.CheckConstraint(
            "national_id IS NULL OR length(national_id) = 12", name="national_id_length"
        ),
        sa.CheckConstraint(
            "(discipline IS NULL OR discipline = 'none') = (discipline_on IS NULL)",
            name="discipline_dated",
        ),
        sa.CheckConstraint(
            "(declared_at IS NULL) = (length(declaration_text) = 0)", name="declaration_dated"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id", ondelete="CASCADE"))
    position_id: Mapped[int] = mapped_column(sa.ForeignKey("positions.id", ondelete="CASCADE"))
    candidate_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[ApplicationStatus] = enum_column(
        ApplicationStatus, default=ApplicationStatus.SUBMITTED
    )
    registration_number: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)

    # Who the candidate is.
    national_id: Mapped[str | None] = mapped_column(sa.String(12), nullable=True)
    phone: Mapped[str] = mapped_column(sa.String(20), default="")
    date_of_birth: Mapped[dt.date] = mapped_column(sa.Date)
    gender: Mapped[Gender] = enum_column(Gender)
    current_unit: Mapped[str] = mapped_column(sa.String(200))
    current_post: Mapped[str] = mapped_column(sa.String(200))

    # What the standards need (None: not declared).
    degree_level: Mapped[DegreeLevel | None] = enum_column(DegreeLevel, nullable=True)
    degree_field: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    political_theory: Mapped[PoliticalTheory | None] = enum_column(PoliticalTheory, nullable=True)
    state_management: Mapped[StateManagement | None] = enum_column(StateManagement, nullable=True)
    leadership_training: Mapped[bool | None] = mapped_column(nullable=True)
    rank: Mapped[Rank | None] = enum_column(Rank, nullable=True)
    post_held_since: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    # Ratings of the three years before the deadline's year, the most recent first.
    rating_1: Mapped[Rating | None] = _rating_column("rating_1")
    rating_2: Mapped[Rating | None] = _rating_column("rating_2")
    rating_3: Mapped[Rating | None] = _rating_column("rating_3")
    discipline: Mapped[Discipline | None] = enum_column(Discipline, nullable=True)
    discipline_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    health_certificate_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)

    # The signed declaration: its text as shown, and when the candidate ticked it.
    declaration_text: Mapped[str] = mapped_column(sa.Text, default="")
    declared_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A dossier received on paper and imported by the board (documents checked on paper).
    paper_dossier: Mapped[bool] = mapped_column(default=False)

    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # The pre-check as it stood when the board decided, and whether the board overrode it.
    precheck_at_decision: Mapped[list | None] = mapped_column(sa.JSON, nullable=True)
    overrode_precheck: Mapped[bool] = mapped_column(default=False)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    summoned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    round: Mapped[Round] = relationship()
    position: Mapped[Position] = relationship()
    candidate: Mapped[User] = relationship(foreign_keys=[candidate_id])
    documents: Mapped[list[ApplicationDocument]] = relationship(
        back_populates="application",
        order_by="ApplicationDocument.id",
        cascade="all, delete-orphan",
    )

    @property
    def ratings(self) -> list[Rating | None]:
        return [self.rating_1, self.rating_2, self.rating_3]


class ApplicationDocument(db.Model):
    """A file of the dossier. The file lives outside the web root, under a generated name;
    its type was read from its content, never from its name."""

    __tablename__ = "application_documents"
    __table_args__ = (
        sa.CheckConstraint("size > 0", name="size_positive"),
        sa.CheckConstraint(
            "content_type IN ('application/pdf', 'image/jpeg', 'image/png')",
            name="allowed_content_type",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE")
    )
    kind: Mapped[DocumentKind] = enum_column(DocumentKind)
    original_name: Mapped[str] = mapped_column(sa.String(255))
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(40))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    application: Mapped[Application] = relationship(back_populates="documents")

    @property
    def display_name(self) -> str:
        """The name shown and offered on download: cleaned, with the stored type's extension
        (also for rows saved before names were cleaned on upload)."""
        return download_name(self.original_name, extension_for(self.content_type))


class PresentationDraw(db.Model):
    """The lot drawn for the order of presentations of one position (docs/domain.md, section 7).
    ``order`` lists registration numbers; anyone can recompute it from ``seed``."""

    __tablename__ = "presentation_draws"

    id: Mapped[int] = mapped_column(primary_key=True)
    position_id: Mapped[int] = mapped_column(
        sa.ForeignKey("positions.id", ondelete="CASCADE"), unique=True
    )
    seed: Mapped[str] = mapped_column(sa.String(64))
    order: Mapped[list] = mapped_column(sa.JSON)
    drawn_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    drawn_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    position: Mapped[Position] = relationship()
