"""The interview session (docs/domain.md §7): the panel's candidates in the order drawn by
lot, each with the room and a time computed from the start the secretary set and the length
of a slot; the secretary's page marks each candidate present or absent and starts and ends
the presentation (up to 45 minutes) and the questions (60 to 90): the server records each
start and end, and the timers shown in the room count from those records.

Recordings of the session (audio or video) are attached by the secretary and read by the
panel, the Council and the supervisory board of the round.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, BinaryIO

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.accounts.models import User
from exam.audit.operations import record
from exam.candidates.models import Application
from exam.candidates.queries import draw_of
from exam.core.db import UTCDateTime, lock_row
from exam.core.errors import DomainError, ValidationFailed
from exam.core.storage import TooLarge
from exam.core.stored_files import StoredFileMixin
from exam.extensions import db
from exam.panels import media
from exam.panels.models import Panel, PanelRole
from exam.panels.queries import interview_list
from exam.rounds.models import RoundStatus
from exam.rounds.stages import require_stage

MAX_SLOT_MINUTES = 240

# --- models ---------------------------------------------------------------------------------


class PanelSession(db.Model):
    """Where and when a panel hears its candidates."""

    __tablename__ = "panel_sessions"
    __table_args__ = (
        sa.CheckConstraint(
            f"slot_minutes > 0 AND slot_minutes <= {MAX_SLOT_MINUTES}", name="slot_length"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(
        sa.ForeignKey("panels.id", ondelete="CASCADE"), unique=True
    )
    room: Mapped[str] = mapped_column(sa.String(120))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    slot_minutes: Mapped[int]

    panel: Mapped[Panel] = relationship()


class Turn(db.Model):
    """One candidate's turn before the panel, as the secretary recorded it."""

    __tablename__ = "session_turns"
    __table_args__ = (
        sa.UniqueConstraint("panel_id", "application_id"),
        sa.CheckConstraint(
            "presentation_started_at IS NULL OR present", name="only_present_present"
        ),
        sa.CheckConstraint(
            "presentation_ended_at IS NULL OR presentation_started_at IS NOT NULL",
            name="presentation_ends_after_start",
        ),
        sa.CheckConstraint(
            "questions_started_at IS NULL OR presentation_ended_at IS NOT NULL",
            name="questions_after_presentation",
        ),
        sa.CheckConstraint(
            "questions_ended_at IS NULL OR questions_started_at IS NOT NULL",
            name="questions_end_after_start",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(sa.ForeignKey("panels.id", ondelete="CASCADE"))
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="RESTRICT")
    )
    present: Mapped[bool | None] = mapped_column(nullable=True)
    marked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    presentation_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    presentation_ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    questions_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    questions_ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    application: Mapped[Application] = relationship()


class Recording(StoredFileMixin, db.Model):
    """An audio or video file of a panel's session, optionally of one candidate's turn."""

    __tablename__ = "session_recordings"
    __table_args__ = (sa.CheckConstraint("size > 0", name="recording_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(sa.ForeignKey("panels.id", ondelete="RESTRICT"))
    application_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="RESTRICT"), nullable=True
    )
    # the file's columns: StoredFileMixin

    panel: Mapped[Panel] = relationship()
    application: Mapped[Application | None] = relationship()


class Phase(StrEnum):
    PRESENTATION = "presentation"
    QUESTIONS = "questions"


# --- queries --------------------------------------------------------------------------------


def runs_session(user: Any, panel: Panel) -> bool:
    """The panel's secretary runs its sessions; the head of the panel when it has none."""
    roles = {m.role for m in panel.members if m.user_id == getattr(user, "id", None)}
    if PanelRole.SECRETARY in roles:
        return True
    has_secretary = any(m.role == PanelRole.SECRETARY for m in panel.members)
    return not has_secretary and PanelRole.CHAIR in roles


def session_of(panel: Panel) -> PanelSession | None:
    return db.session.scalars(
        sa.select(PanelSession).where(PanelSession.panel_id == panel.id)
    ).first()


def turns_of(panel: Panel) -> dict[int, Turn]:
    rows = db.session.scalars(sa.select(Turn).where(Turn.panel_id == panel.id))
    return {turn.application_id: turn for turn in rows}


def recordings_of(panel: Panel) -> list[Recording]:
    return list(
        db.session.scalars(
            sa.select(Recording).where(Recording.panel_id == panel.id).order_by(Recording.id)
        )
    )


@dataclass(frozen=True)
class Slot:
    turn_number: int
    application: Application
    starts_at: dt.datetime | None
    room: str
    turn: Turn | None


def presentation_sequence(panel: Panel) -> list[Application]:
    """The panel's candidates (``interview_list``): position by position in the round's
    order of positions, and within one in the order drawn by lot for it. A position whose
    lot is not drawn yet has no turns; empty while no lot has been drawn."""
    by_number = {a.registration_number: a for a in interview_list(panel)}
    sequence: list[Application] = []
    for position in sorted(panel.positions or [panel.position], key=lambda p: p.id):
        draw = draw_of(position.id)
        if draw is not None:
            sequence += [
                by_number[n]
                for n in draw.order
                if n in by_number and by_number[n].position_id == position.id
            ]
    return sequence


def timetable(panel: Panel) -> list[Slot]:
    """Each candidate's turn, room and planned time: the start plus a slot per turn."""
    session, turns = session_of(panel), turns_of(panel)
    slots = []
    for index, application in enumerate(presentation_sequence(panel)):
        starts_at = None
        if session is not None:
            starts_at = session.starts_at + dt.timedelta(minutes=session.slot_minutes * index)
        slots.append(
            Slot(
                index + 1,
                application,
                starts_at,
                session.room if session else "",
                turns.get(application.id),
            )
        )
    return slots


def running_turn(panel: Panel) -> Turn | None:
    """The turn whose presentation or questions are under way, if any."""
    return db.session.scalars(
        sa.select(Turn).where(
            Turn.panel_id == panel.id,
            sa.or_(
                sa.and_(
                    Turn.presentation_started_at.is_not(None),
                    Turn.presentation_ended_at.is_(None),
                ),
                sa.and_(Turn.questions_started_at.is_not(None), Turn.questions_ended_at.is_(None)),
            ),
        )
    ).first()


# --- operations -----------------------------------------------------------------------------


def _ensure_runs(panel: Panel, actor: User) -> None:
    if not runs_session(actor, panel):
        raise DomainError(_l("Chỉ thư ký của ban điều hành buổi phỏng vấn."))


def _ensure_record_open(panel: Panel) -> None:
    """The session's schedule and turns are in its minutes: nothing changes once they are
    issued (exam/panels/records.py)."""
    if panel.minutes_document_id is not None:
        raise DomainError(
            _l("Biên bản buổi phỏng vấn đã ban hành: không sửa lịch và diễn biến được nữa.")
        )


def set_session(
    panel: Panel,
    *,
    room: str,
    starts_at: dt.datetime,
    slot_minutes: int,
    actor: User,
) -> PanelSession:
    """The room, the first turn's time and the length of a slot."""
    _ensure_runs(panel, actor)
    _ensure_record_open(panel)
    require_stage(
        panel.position.round,
        RoundStatus.TESTING,
        RoundStatus.INTERVIEWS,
        action=_l("lập lịch phỏng vấn"),
    )
    problems: list[tuple[str | None, Any]] = []
    room = (room or "").strip()
    if not room:
        problems.append(("room", _l("Hãy nhập phòng.")))
    if not 0 < slot_minutes <= MAX_SLOT_MINUTES:
        problems.append(("slot_minutes", _l("Mỗi lượt từ 1 đến %(n)s phút.", n=MAX_SLOT_MINUTES)))
    if problems:
        raise ValidationFailed(problems)
    session = session_of(panel) or PanelSession(panel=panel)
    before = (
        {
            "room": session.room,
            "starts_at": session.starts_at.isoformat(),
            "slot": session.slot_minutes,
        }
        if session.id
        else None
    )
    session.room, session.starts_at, session.slot_minutes = room, starts_at, slot_minutes
    db.session.add(session)
    db.session.flush()
    record(
        "panel.session",
        session,
        actor=actor,
        before=before,
        after={"room": room, "starts_at": starts_at.isoformat(), "slot": slot_minutes},
    )
    return session


def _turn(panel: Panel, application: Application) -> Turn:
    if application not in presentation_sequence(panel):
        raise DomainError(_l("Thí sinh này không có trong lịch của ban."))
    turn = turns_of(panel).get(application.id)
    if turn is None:
        turn = Turn(panel_id=panel.id, application_id=application.id)
        db.session.add(turn)
    return turn


def mark_presence(
    panel: Panel, application: Application, *, present: bool, actor: User, at: dt.datetime
) -> Turn:
    """Present or absent; may be corrected until the presentation starts."""
    _ensure_runs(panel, actor)
    _ensure_record_open(panel)
    require_stage(
        panel.position.round, RoundStatus.INTERVIEWS, action=_l("điều hành buổi phỏng vấn")
    )
    turn = _turn(panel, application)
    if turn.presentation_started_at is not None:
        raise DomainError(_l("Thí sinh đã bắt đầu trình bày; không sửa có mặt/vắng được nữa."))
    turn.present, turn.marked_at = present, at
    db.session.flush()
    record(
        "panel.presence",
        turn,
        actor=actor,
        after={"application_id": application.id, "present": present},
    )
    return turn


def start_phase(
    panel: Panel, application: Application, phase: Phase, *, actor: User, at: dt.datetime
) -> Turn:
    """Start the presentation (the candidate present) or the questions (the presentation
    over); one phase at a time in the panel's room."""
    _ensure_runs(panel, actor)
    _ensure_record_open(panel)
    require_stage(
        panel.position.round, RoundStatus.INTERVIEWS, action=_l("điều hành buổi phỏng vấn")
    )
    lock_row(panel)  # one phase at a time in the room: two starts at once, one refused
    turn = _turn(panel, application)
    running = running_turn(panel)
    if running is not None:
        raise DomainError(_l("Một phần thi khác đang diễn ra; hãy kết thúc nó trước."))
    if phase == Phase.PRESENTATION:
        if turn.present is not True:
            raise DomainError(_l("Hãy ghi nhận thí sinh có mặt trước khi bắt đầu trình bày."))
        if turn.presentation_started_at is not None:
            raise DomainError(_l("Phần trình bày đã bắt đầu."))
        turn.presentation_started_at = at
    else:
        if turn.presentation_ended_at is None:
            raise DomainError(_l("Phần hỏi đáp bắt đầu sau khi kết thúc trình bày."))
        if turn.questions_started_at is not None:
            raise DomainError(_l("Phần hỏi đáp đã bắt đầu."))
        turn.questions_started_at = at
    db.session.flush()
    record(
        f"panel.{phase.value}_start",
        turn,
        actor=actor,
        after={"application_id": application.id, "at": at.isoformat()},
    )
    return turn


def end_phase(
    panel: Panel, application: Application, phase: Phase, *, actor: User, at: dt.datetime
) -> Turn:
    _ensure_runs(panel, actor)
    _ensure_record_open(panel)
    require_stage(
        panel.position.round, RoundStatus.INTERVIEWS, action=_l("điều hành buổi phỏng vấn")
    )
    lock_row(panel)  # a second click waits, then finds the phase ended
    turn = _turn(panel, application)
    started, ended = (
        ("presentation_started_at", "presentation_ended_at")
        if phase == Phase.PRESENTATION
        else ("questions_started_at", "questions_ended_at")
    )
    if getattr(turn, started) is None:
        raise DomainError(_l("Phần này chưa bắt đầu."))
    if getattr(turn, ended) is not None:
        raise DomainError(_l("Phần này đã kết thúc."))
    setattr(turn, ended, at)
    db.session.flush()
    record(
        f"panel.{phase.value}_end",
        turn,
        actor=actor,
        after={
            "application_id": application.id,
            "at": at.isoformat(),
            "seconds": int((at - getattr(turn, started)).total_seconds()),
        },
    )
    return turn


def attach_recording(
    panel: Panel,
    *,
    application: Application | None,
    filename: str,
    stream: BinaryIO,
    actor: User,
    at: dt.datetime,
) -> Recording:
    """An audio or video file of the session, as read from its content, within
    ``RECORDING_MAX_BYTES``; copied to its place in chunks."""
    _ensure_runs(panel, actor)
    if application is not None and application not in presentation_sequence(panel):
        raise DomainError(_l("Thí sinh này không có trong lịch của ban."))
    head = stream.read(64)
    stream.seek(0)
    if not head:
        raise ValidationFailed([("file", _l("Tệp rỗng."))])
    sniffed = media.sniff_media(head)
    if sniffed is None:
        raise ValidationFailed(
            [
                (
                    "file",
                    _l(
                        "Tệp không phải âm thanh hay video (MP3, MP4, M4A, WebM, Ogg, WAV, "
                        "FLAC; kiểm tra theo nội dung tệp)."
                    ),
                )
            ]
        )
    content_type, extension = sniffed
    limit = media.recording_max_bytes()
    try:
        upload = media.store_stream(
            stream,
            filename=filename,
            content_type=content_type,
            extension=extension,
            limit=limit,
        )
    except TooLarge:
        raise ValidationFailed(
            [("file", _l("Tệp quá lớn: tối đa %(n)s MB.", n=f"{limit / 1024 / 1024:g}"))]
        ) from None
    recording = Recording(
        panel=panel,
        application=application,
        **upload.columns(uploaded_by_id=actor.id, uploaded_at=at),
    )
    db.session.add(recording)
    db.session.flush()
    record(
        "panel.recording",
        recording,
        actor=actor,
        after={
            "panel_id": panel.id,
            "application_id": application.id if application else None,
            "name": recording.original_name,
            "type": content_type,
            "size": recording.size,
            "sha256": recording.sha256,
        },
    )
    return recording
