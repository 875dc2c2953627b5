"""A panel, its members, and the sheet each member signs for each candidate."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.accounts.models import User
from exam.candidates.models import Application
from exam.core.db import TimestampMixin, TitledEnum, UTCDateTime, enum_column
from exam.core.stored_files import ReplacedFileMixin
from exam.documents.models import IssuedDocument
from exam.extensions import db
from exam.rounds.models import Position

MAX_PANEL_SCORE = Decimal(100)


class PanelRole(TitledEnum):
    CHAIR = "chair"
    SECRETARY = "secretary"
    MEMBER = "member"

    @staticmethod
    def __titles__() -> dict:
        return {
            "chair": _l("Trưởng ban"),
            "secretary": _l("Thư ký"),
            "member": _l("Ủy viên"),
        }


class Panel(TimestampMixin, db.Model):
    """Scores the candidates of the positions it serves, in one round."""

    __tablename__ = "panels"
    __table_args__ = (sa.UniqueConstraint("position_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    position_id: Mapped[int] = mapped_column(sa.ForeignKey("positions.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(200))
    # The session's minutes, issued when the secretary completes the record (the documents
    # registry); a re-sealed sheet after that re-issues them and this points at the newest.
    # Set: the record is closed (exam/panels/records.py).
    minutes_document_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("issued_documents.id"), unique=True, nullable=True
    )

    # The position it was set up for (its round, its name); ``served`` lists every position
    # whose candidates it scores, this one first.
    position: Mapped[Position] = relationship()
    members: Mapped[list[PanelMember]] = relationship(
        back_populates="panel", cascade="all, delete-orphan", order_by="PanelMember.id"
    )
    served: Mapped[list[PanelPosition]] = relationship(
        back_populates="panel", cascade="all, delete-orphan", order_by="PanelPosition.id"
    )

    @property
    def positions(self) -> list[Position]:
        return [s.position for s in self.served]


class PanelPosition(db.Model):
    """A position whose candidates the panel scores: one panel may serve several positions
    of its round, a position has one panel."""

    __tablename__ = "panel_positions"
    __table_args__ = (sa.UniqueConstraint("position_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(sa.ForeignKey("panels.id", ondelete="CASCADE"))
    position_id: Mapped[int] = mapped_column(sa.ForeignKey("positions.id", ondelete="CASCADE"))

    panel: Mapped[Panel] = relationship(back_populates="served")
    position: Mapped[Position] = relationship()


class PanelMember(db.Model):
    __tablename__ = "panel_members"
    __table_args__ = (sa.UniqueConstraint("panel_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(sa.ForeignKey("panels.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    role: Mapped[PanelRole] = enum_column(PanelRole, default=PanelRole.MEMBER)

    panel: Mapped[Panel] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class ScoreSheet(db.Model):
    """Phiếu chấm: one member's score for one candidate, given once, secret until results."""

    __tablename__ = "score_sheets"
    __table_args__ = (
        sa.UniqueConstraint("panel_member_id", "application_id"),
        sa.CheckConstraint("score >= 0 AND score <= 100", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("panel_members.id", ondelete="RESTRICT")
    )
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="RESTRICT")
    )
    # The total of ``points`` (or the one number given where the round has no criteria).
    score: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))
    # Criterion id (as text) -> points, as "0.00" strings: a draft may leave some out.
    points: Mapped[dict] = mapped_column(sa.JSON, default=dict, server_default=sa.text("'{}'"))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    # Sealed when set; None while the member drafts it (or after the head reopened it).
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The sheet as issued when sealed (the documents registry); a sheet reopened and sealed
    # again is re-issued and this points at the newest. NULL: never sealed, or sealed before
    # sheets were issued (their PDF is rendered on request as before).
    document_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("issued_documents.id"), unique=True, nullable=True
    )

    member: Mapped[PanelMember] = relationship()
    application: Mapped[Application] = relationship()
    document: Mapped[IssuedDocument | None] = relationship()


class Relation(TitledEnum):
    """What a member declares about a candidate before scoring (docs/domain.md §7): any
    relation but NONE recuses them from that candidate."""

    NONE = "none"
    SPOUSE = "spouse"
    PARENT = "parent"
    PARENT_IN_LAW = "parent_in_law"
    CHILD = "child"
    SIBLING = "sibling"
    AUNT_OR_UNCLE = "aunt_or_uncle"
    SPOUSES_SIBLING = "spouses_sibling"
    SIBLINGS_SPOUSE = "siblings_spouse"

    @staticmethod
    def __titles__() -> dict:
        return {
            "none": _l("Không có quan hệ"),
            "spouse": _l("Vợ hoặc chồng"),
            "parent": _l("Cha, mẹ"),
            "parent_in_law": _l("Cha, mẹ vợ hoặc chồng"),
            "child": _l("Con"),
            "sibling": _l("Anh, chị, em ruột"),
            "aunt_or_uncle": _l("Cô, dì, chú, bác, cậu"),
            "spouses_sibling": _l("Anh, chị, em ruột của vợ hoặc chồng"),
            "siblings_spouse": _l("Vợ hoặc chồng của anh, chị, em ruột"),
        }


class Declaration(db.Model):
    """A member's declaration of their relation to one candidate of the panel's list."""

    __tablename__ = "panel_declarations"
    __table_args__ = (sa.UniqueConstraint("panel_member_id", "application_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("panel_members.id", ondelete="CASCADE")
    )
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="RESTRICT")
    )
    relation: Mapped[Relation] = enum_column(Relation)
    declared_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    member: Mapped[PanelMember] = relationship()
    application: Mapped[Application] = relationship()

    @property
    def recuses(self) -> bool:
        return self.relation != Relation.NONE


ROUND_GUIDE = sa.text("position_id IS NULL")


class InterviewGuide(db.Model):
    """A marking guide (hướng dẫn chấm): the round's (``position_id`` NULL: its criteria, the
    minimum of sheets per candidate counted after recusals, and whether the panel score drops
    the extremes), or a position's own criteria, which its candidates are scored by instead
    of the round's (the minimum and the trimmed mean stay the round's)."""

    __tablename__ = "interview_guides"
    __table_args__ = (
        sa.UniqueConstraint("position_id"),  # a position's own guide, at most one
        sa.Index(  # one guide of the round itself
            "uq_interview_guides_round_guide",
            "round_id",
            unique=True,
            sqlite_where=ROUND_GUIDE,
            postgresql_where=ROUND_GUIDE,
        ),
        sa.CheckConstraint("min_sheets >= 1", name="min_sheets_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id", ondelete="CASCADE"))
    position_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("positions.id", ondelete="CASCADE"), nullable=True
    )
    min_sheets: Mapped[int] = mapped_column(default=2)
    trimmed_mean: Mapped[bool] = mapped_column(default=False)

    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="guide", cascade="all, delete-orphan", order_by="Criterion.number"
    )


class Criterion(db.Model):
    __tablename__ = "interview_criteria"
    __table_args__ = (
        sa.UniqueConstraint("guide_id", "number"),
        sa.CheckConstraint("max_points > 0 AND max_points <= 100", name="max_points_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    guide_id: Mapped[int] = mapped_column(sa.ForeignKey("interview_guides.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(200))
    max_points: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))
    descriptor: Mapped[str] = mapped_column(sa.Text, default="")

    guide: Mapped[InterviewGuide] = relationship(back_populates="criteria")


class SpreadDecision(TitledEnum):
    CONFIRM = "confirm"
    RESCORE = "rescore"

    @staticmethod
    def __titles__() -> dict:
        return {
            "confirm": _l("Giữ nguyên điểm các phiếu"),
            "rescore": _l("Chấm lại"),
        }


class SpreadRuling(db.Model):
    """The head's decision on a candidate whose sheets differ by more than the round's limit:
    the sheets stand, or they are reopened for a re-score. The panel score exists only once
    the latest ruling, made after the last seal, confirms."""

    __tablename__ = "panel_spread_rulings"

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(sa.ForeignKey("panels.id", ondelete="CASCADE"))
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="RESTRICT"), index=True
    )
    decision: Mapped[SpreadDecision] = enum_column(SpreadDecision)
    reason: Mapped[str] = mapped_column(sa.Text)
    decided_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class SheetScan(ReplacedFileMixin, db.Model):
    """One upload of the signed paper form of a sealed sheet (``exam/panels/scans.py``);
    the newest not replaced is the sheet's scan."""

    __tablename__ = "sheet_scans"
    __table_args__ = (
        sa.CheckConstraint("size > 0", name="scan_not_empty"),
        sa.CheckConstraint(
            "content_type IN ('application/pdf', 'image/jpeg', 'image/png')", name="scan_type"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    score_sheet_id: Mapped[int] = mapped_column(
        sa.ForeignKey("score_sheets.id", ondelete="RESTRICT"), index=True
    )
    # the file's columns: ReplacedFileMixin

    sheet: Mapped[ScoreSheet] = relationship()
