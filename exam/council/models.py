"""A round's bodies (the Council, its boards, the supervisory board), each set up by a
decision, their members and functions, and the Council's meetings with their votes."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.accounts.models import User
from exam.core.db import TimestampMixin, TitledEnum, UTCDateTime, enum_column
from exam.documents.models import IssuedDocument
from exam.extensions import db
from exam.rounds.models import Round


class BodyKind(TitledEnum):
    """The bodies of a round, in the order they are listed (docs/domain.md §2)."""

    COUNCIL = "council"
    SUPERVISORY = "supervisory"
    ELIGIBILITY = "eligibility"
    QUESTIONS = "questions"
    INVIGILATION = "invigilation"
    ANONYMISATION = "anonymisation"
    MARKING = "marking"
    REMARKING = "remarking"
    INTERVIEW = "interview"

    @staticmethod
    def __titles__() -> dict:
        return {
            "council": _l("Hội đồng thi tuyển"),
            "supervisory": _l("Ban giám sát"),
            "eligibility": _l("Ban kiểm tra phiếu đăng ký, hồ sơ dự tuyển"),
            "questions": _l("Ban đề thi"),
            "invigilation": _l("Ban coi thi"),
            "anonymisation": _l("Ban phách"),
            "marking": _l("Ban chấm thi"),
            "remarking": _l("Ban chấm phúc khảo"),
            "interview": _l("Ban phỏng vấn, chấm đề án"),
        }

    @property
    def is_board(self) -> bool:
        """A helper board of the Council (set up by the Council, led by a head)."""
        return self not in (BodyKind.COUNCIL, BodyKind.SUPERVISORY)


class MemberFunction(TitledEnum):
    """A member's function: the Council has a Chair, Vice-chairs, a Member-secretary and
    members; a board (and the supervisory board) a head, deputies, a secretary and members."""

    CHAIR = "chair"
    VICE_CHAIR = "vice_chair"
    HEAD = "head"
    DEPUTY = "deputy"
    SECRETARY = "secretary"
    MEMBER = "member"

    @staticmethod
    def __titles__() -> dict:
        return {
            "chair": _l("Chủ tịch"),
            "vice_chair": _l("Phó Chủ tịch"),
            "head": _l("Trưởng ban"),
            "deputy": _l("Phó Trưởng ban"),
            "secretary": _l("Thư ký"),
            "member": _l("Thành viên"),
        }


COUNCIL_FUNCTIONS = (
    MemberFunction.CHAIR,
    MemberFunction.VICE_CHAIR,
    MemberFunction.SECRETARY,
    MemberFunction.MEMBER,
)
BOARD_FUNCTIONS = (
    MemberFunction.HEAD,
    MemberFunction.DEPUTY,
    MemberFunction.SECRETARY,
    MemberFunction.MEMBER,
)


def functions_for(kind: BodyKind) -> tuple[MemberFunction, ...]:
    return COUNCIL_FUNCTIONS if kind == BodyKind.COUNCIL else BOARD_FUNCTIONS


def function_title(kind: BodyKind, function: MemberFunction) -> str:
    """The function as a decision names it: on the Council the secretary is "Ủy viên kiêm
    Thư ký" and a member "Ủy viên"."""
    if kind == BodyKind.COUNCIL and function == MemberFunction.SECRETARY:
        return str(_l("Ủy viên kiêm Thư ký"))
    if kind == BodyKind.COUNCIL and function == MemberFunction.MEMBER:
        return str(_l("Ủy viên"))
    return function.title


class Body(TimestampMixin, db.Model):
    """One body of a round, set up by a decision: the Council by the head of the organising
    agency, the boards by the Council's Chair. Every kind but the interview panels exists
    once per round (they have no name); a round has one interview panel per name (e.g. per
    position)."""

    __tablename__ = "bodies"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "kind", "name"),
        # The decision numbers of a round's bodies form one sequence: never one twice.
        sa.UniqueConstraint("round_id", "decision_number"),
        sa.CheckConstraint("(kind = 'interview') = (name != '')", name="only_panels_named"),
        sa.CheckConstraint("length(decision_number) > 0", name="decision_number_not_empty"),
        sa.CheckConstraint("length(signer_name) > 0", name="signer_name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id"), index=True)
    kind: Mapped[BodyKind] = enum_column(BodyKind)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    decision_number: Mapped[str] = mapped_column(sa.String(50))
    decision_on: Mapped[dt.date] = mapped_column(sa.Date)  # a Hanoi date
    signer_name: Mapped[str] = mapped_column(sa.String(120))
    signer_title: Mapped[str] = mapped_column(sa.String(200))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)

    round: Mapped[Round] = relationship()
    members: Mapped[list[Membership]] = relationship(
        back_populates="body", cascade="all, delete-orphan", order_by="Membership.id"
    )

    @property
    def title(self) -> str:
        return f"{self.kind.title} ({self.name})" if self.name else self.kind.title

    @property
    def leader(self) -> Membership | None:
        """The Chair of the Council, the head of a board."""
        return next(
            (m for m in self.members if m.function in (MemberFunction.CHAIR, MemberFunction.HEAD)),
            None,
        )

    def sorted_members(self) -> list[Membership]:
        """Chair or head first, then vice-chairs or deputies, the secretary, the members."""
        order = {f: i for i, f in enumerate(functions_for(self.kind))}
        return sorted(self.members, key=lambda m: (order.get(m.function, 99), m.id))


class Membership(TimestampMixin, db.Model):
    """A person's seat on one body, with its function. One Chair (or head) per body."""

    __tablename__ = "memberships"
    __table_args__ = (
        sa.UniqueConstraint("body_id", "user_id"),
        sa.Index(
            "uq_memberships_one_leader",
            "body_id",
            unique=True,
            sqlite_where=sa.text("function IN ('chair', 'head')"),
            postgresql_where=sa.text("function IN ('chair', 'head')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(sa.ForeignKey("bodies.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    function: Mapped[MemberFunction] = enum_column(MemberFunction)
    # Chức vụ, đơn vị công tác: as the decision lists the member (free text).
    post: Mapped[str] = mapped_column(sa.String(200), default="")

    body: Mapped[Body] = relationship(back_populates="members")
    user: Mapped[User] = relationship()

    @property
    def function_title(self) -> str:
        return function_title(self.body.kind, self.function)


class VoteChoice(TitledEnum):
    FOR = "for"
    AGAINST = "against"
    ABSTAIN = "abstain"

    @staticmethod
    def __titles__() -> dict:
        return {
            "for": _l("Tán thành"),
            "against": _l("Không tán thành"),
            "abstain": _l("Không biểu quyết"),
        }


class Meeting(TimestampMixin, db.Model):
    """A meeting of the Council: who attended, who presided, the items voted on."""

    __tablename__ = "council_meetings"
    __table_args__ = (sa.CheckConstraint("council_size >= 1", name="council_size_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(sa.ForeignKey("bodies.id"), index=True)
    held_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(sa.String(200))
    presiding_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    # Members of the Council when the meeting was recorded: the quorum is counted against
    # it, so a later change of members does not change a past meeting's outcome.
    council_size: Mapped[int] = mapped_column()
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    # Set when the meeting is closed: its minutes as issued (exam/council/issuing.py). A
    # closed meeting takes no more items or votes.
    minutes_document_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("issued_documents.id"), unique=True
    )

    body: Mapped[Body] = relationship()
    presiding: Mapped[User] = relationship(foreign_keys=[presiding_id])
    minutes_document: Mapped[IssuedDocument | None] = relationship()

    @property
    def closed(self) -> bool:
        return self.minutes_document_id is not None

    attendees: Mapped[list[MeetingAttendee]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="MeetingAttendee.id"
    )
    items: Mapped[list[MeetingItem]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="MeetingItem.number"
    )


class MeetingAttendee(db.Model):
    """A member present, with the function they held that day."""

    __tablename__ = "council_meeting_attendees"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("council_meetings.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    function: Mapped[MemberFunction] = enum_column(MemberFunction)

    meeting: Mapped[Meeting] = relationship(back_populates="attendees")
    user: Mapped[User] = relationship()


class MeetingItem(db.Model):
    """A matter put to the vote (e.g. breaking a tie in a ranking, an appeal)."""

    __tablename__ = "council_meeting_items"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "number"),
        sa.CheckConstraint("number >= 1", name="number_positive"),
        sa.CheckConstraint("length(title) > 0", name="title_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("council_meetings.id", ondelete="CASCADE")
    )
    number: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(300))
    motion: Mapped[str] = mapped_column(sa.Text, default="")  # what a "for" vote adopts

    meeting: Mapped[Meeting] = relationship(back_populates="items")
    votes: Mapped[list[Vote]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="Vote.id"
    )


class Vote(db.Model):
    """One attendee's vote on one item, cast once."""

    __tablename__ = "council_votes"
    __table_args__ = (sa.UniqueConstraint("item_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("council_meeting_items.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    choice: Mapped[VoteChoice] = enum_column(VoteChoice)
    cast_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    item: Mapped[MeetingItem] = relationship(back_populates="votes")
    user: Mapped[User] = relationship()
