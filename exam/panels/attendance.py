"""Who of the panel sat at its session, and what happened there (docs/domain.md §7): the
secretary records each member present or absent and the incidents (a time and a free text),
all audited; both go into the session's minutes (``exam/panels/documents.py``)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.accounts.models import User
from exam.audit.operations import record
from exam.core.db import UTCDateTime
from exam.core.errors import DomainError, ValidationFailed
from exam.extensions import db
from exam.panels.models import Panel, PanelMember
from exam.panels.sessions import runs_session
from exam.rounds.models import RoundStatus
from exam.rounds.stages import require_stage

MAX_INCIDENT_CHARS = 2000

# --- models ---------------------------------------------------------------------------------


class MemberAttendance(db.Model):
    """A person of the panel present at (or absent from) its session, as the secretary
    recorded it last. Keyed on the person, not the seat, so a replaced member's record
    never passes to their successor."""

    __tablename__ = "panel_attendance"
    __table_args__ = (sa.UniqueConstraint("panel_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(sa.ForeignKey("panels.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    present: Mapped[bool]
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class SessionIncident(db.Model):
    """Something that happened during the session, in the secretary's words."""

    __tablename__ = "panel_incidents"
    __table_args__ = (sa.CheckConstraint("length(description) > 0", name="incident_described"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(sa.ForeignKey("panels.id", ondelete="CASCADE"))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    description: Mapped[str] = mapped_column(sa.Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))


# --- queries --------------------------------------------------------------------------------


def attendance_of(panel: Panel) -> dict[int, bool]:
    """Present (True) or absent (False) by user id, for the panel's current members only;
    a member not recorded is missing from the mapping."""
    seated = {m.user_id for m in panel.members}
    rows = db.session.scalars(
        sa.select(MemberAttendance).where(MemberAttendance.panel_id == panel.id)
    )
    return {row.user_id: row.present for row in rows if row.user_id in seated}


def incidents_of(panel: Panel) -> list[SessionIncident]:
    return list(
        db.session.scalars(
            sa.select(SessionIncident)
            .where(SessionIncident.panel_id == panel.id)
            .order_by(SessionIncident.occurred_at, SessionIncident.id)
        )
    )


# --- operations -----------------------------------------------------------------------------


def _ensure_runs(panel: Panel, actor: User) -> None:
    if not runs_session(actor, panel):
        raise DomainError(_l("Chỉ thư ký của ban điều hành buổi phỏng vấn."))
    require_stage(
        panel.position.round, RoundStatus.INTERVIEWS, action=_l("ghi biên bản buổi phỏng vấn")
    )
    if panel.minutes_document_id is not None:  # issued: exam/panels/records.py
        raise DomainError(
            _l("Biên bản buổi phỏng vấn đã ban hành: không ghi thêm vào biên bản được nữa.")
        )


def record_attendance(
    panel: Panel, member: PanelMember, *, present: bool, actor: User, at: dt.datetime
) -> MemberAttendance:
    """The member present or absent; a later record corrects an earlier one (both audited)."""
    _ensure_runs(panel, actor)
    if member.panel_id != panel.id:
        raise DomainError(_l("Người này không phải thành viên của ban."))
    row = db.session.scalars(
        sa.select(MemberAttendance).where(
            MemberAttendance.panel_id == panel.id, MemberAttendance.user_id == member.user_id
        )
    ).first()
    before = None if row is None else {"present": row.present}
    if row is None:
        row = MemberAttendance(panel_id=panel.id, user_id=member.user_id)
        db.session.add(row)
    row.present, row.recorded_at, row.recorded_by_id = present, at, actor.id
    db.session.flush()
    record(
        "panel.attendance",
        row,
        actor=actor,
        before=before,
        after={"panel_id": panel.id, "user_id": member.user_id, "present": present},
    )
    return row


def record_incident(
    panel: Panel, *, occurred_at: dt.datetime, description: str, actor: User, at: dt.datetime
) -> SessionIncident:
    """An incident at a time of the session, described in free text; never edited, a
    correction is a further incident."""
    _ensure_runs(panel, actor)
    text = (description or "").strip()
    problems: list[tuple[str | None, object]] = []
    if not text:
        problems.append(("description", _l("Hãy mô tả sự việc.")))
    elif len(text) > MAX_INCIDENT_CHARS:
        problems.append(("description", _l("Mô tả tối đa %(n)s ký tự.", n=MAX_INCIDENT_CHARS)))
    if occurred_at > at:
        problems.append(("occurred_at", _l("Thời điểm xảy ra không thể ở tương lai.")))
    if problems:
        raise ValidationFailed(problems)
    incident = SessionIncident(
        panel_id=panel.id,
        occurred_at=occurred_at,
        description=text,
        recorded_at=at,
        recorded_by_id=actor.id,
    )
    db.session.add(incident)
    db.session.flush()
    record(
        "panel.incident",
        incident,
        actor=actor,
        after={"panel_id": panel.id, "at": occurred_at.isoformat(), "description": text},
    )
    return incident
