"""The đề án (docs/domain.md §7): each candidate admitted to the interview uploads their plan
for the unit, a PDF, before the deadline the Council set for the round; the panel of their
position and the Council read it before the sessions.

A new upload before the deadline replaces the previous one as the candidate's plan; the
earlier files are kept (their rows carry ``replaced_at``), since a round's papers are archived
whole, and the replacement is audited with both files' SHA-256.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, BinaryIO

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.accounts.models import User
from exam.audit.operations import record
from exam.candidates.models import Application, ApplicationStatus
from exam.core.db import UTCDateTime, lock_row
from exam.core.errors import DomainError, ValidationFailed
from exam.core.i18n import format_datetime
from exam.core.storage import TooLarge, storage
from exam.core.stored_files import ReplacedFileMixin
from exam.exams.queries import passed_test, tests_of_round
from exam.extensions import db
from exam.panels import media
from exam.panels.permissions import membership
from exam.panels.queries import panel_of_position
from exam.rounds.models import Round, RoundStatus
from exam.rounds.permissions import runs
from exam.rounds.stages import require_stage

PRESENTATION_MINUTES = 45  # TT 22: the presentation lasts up to 45 minutes
QUESTIONS_MIN_MINUTES, QUESTIONS_MAX_MINUTES = 60, 90  # questions and answers: 60 to 90

# --- models ---------------------------------------------------------------------------------


class InterviewSettings(db.Model):
    """A round's settings for the đề án and the sessions, set by its Council."""

    __tablename__ = "interview_settings"
    __table_args__ = (
        sa.CheckConstraint(
            "presentation_minutes > 0 AND presentation_minutes <= 45", name="presentation_limit"
        ),
        sa.CheckConstraint(
            "questions_min_minutes > 0 AND questions_min_minutes <= questions_max_minutes",
            name="questions_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("rounds.id", ondelete="CASCADE"), unique=True
    )
    plan_deadline: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    presentation_minutes: Mapped[int] = mapped_column(default=PRESENTATION_MINUTES)
    questions_min_minutes: Mapped[int] = mapped_column(default=QUESTIONS_MIN_MINUTES)
    questions_max_minutes: Mapped[int] = mapped_column(default=QUESTIONS_MAX_MINUTES)

    round: Mapped[Round] = relationship()


class Plan(ReplacedFileMixin, db.Model):
    """One upload of a candidate's đề án; the newest not replaced is their plan."""

    __tablename__ = "plans"
    __table_args__ = (
        sa.CheckConstraint("size > 0", name="plan_not_empty"),
        sa.CheckConstraint("content_type = 'application/pdf'", name="plan_is_pdf"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="RESTRICT"), index=True
    )
    # the file's columns: ReplacedFileMixin

    application: Mapped[Application] = relationship()


# --- queries --------------------------------------------------------------------------------


def settings_of(round_: Round) -> InterviewSettings:
    """The round's settings; the defaults (no deadline yet) when the Council set none."""
    found = db.session.scalars(
        sa.select(InterviewSettings).where(InterviewSettings.round_id == round_.id)
    ).first()
    return found or InterviewSettings(
        round=round_,
        presentation_minutes=PRESENTATION_MINUTES,
        questions_min_minutes=QUESTIONS_MIN_MINUTES,
        questions_max_minutes=QUESTIONS_MAX_MINUTES,
    )


def admitted(application: Application) -> bool:
    """Past the earlier gates (as ``queries.interview_list``): eligible and, where the round
    has a computer test, past its pass mark."""
    if application.status != ApplicationStatus.ELIGIBLE:
        return False
    round_ = application.round
    return not tests_of_round(round_.id) or passed_test(application, round_.test_pass_mark)


def can_read_plan(user: Any, application: Application) -> bool:
    """The candidate, the panel of their position, the round's Council."""
    if application.candidate_id == getattr(user, "id", None):
        return True
    if runs(user, application.round):
        return True
    panel = panel_of_position(application.position_id)
    return panel is not None and membership(user, panel) is not None


def current_plan(application: Application) -> Plan | None:
    return db.session.scalars(
        sa.select(Plan)
        .where(Plan.application_id == application.id, Plan.replaced_at.is_(None))
        .order_by(Plan.id.desc())
    ).first()


def plans_by_application(applications: list[Application]) -> dict[int, Plan]:
    ids = [a.id for a in applications]
    rows = db.session.scalars(
        sa.select(Plan)
        .where(Plan.application_id.in_(ids), Plan.replaced_at.is_(None))
        .order_by(Plan.id)
    )
    return {plan.application_id: plan for plan in rows}


# --- operations -----------------------------------------------------------------------------


def set_interview_settings(
    round_: Round,
    *,
    plan_deadline: dt.datetime | None,
    presentation_minutes: int,
    questions_min_minutes: int,
    questions_max_minutes: int,
    actor: User,
) -> InterviewSettings:
    problems: list[tuple[str | None, Any]] = []
    if not 0 < presentation_minutes <= PRESENTATION_MINUTES:
        problems.append(("presentation_minutes", _l("Trình bày đề án tối đa %(n)s phút.", n=45)))
    if not 0 < questions_min_minutes <= questions_max_minutes:
        problems.append(
            ("questions_max_minutes", _l("Thời gian hỏi đáp: tối thiểu không quá tối đa."))
        )
    if problems:
        raise ValidationFailed(problems)
    settings = settings_of(round_)
    before = _settings_values(settings) if settings.id else None
    settings.plan_deadline = plan_deadline
    settings.presentation_minutes = presentation_minutes
    settings.questions_min_minutes = questions_min_minutes
    settings.questions_max_minutes = questions_max_minutes
    db.session.add(settings)
    db.session.flush()
    record(
        "round.interview_settings",
        settings,
        actor=actor,
        before=before,
        after=_settings_values(settings),
    )
    return settings


def _settings_values(settings: InterviewSettings) -> dict[str, Any]:
    return {
        "round_id": settings.round_id,
        "plan_deadline": settings.plan_deadline.isoformat() if settings.plan_deadline else None,
        "presentation_minutes": settings.presentation_minutes,
        "questions_min_minutes": settings.questions_min_minutes,
        "questions_max_minutes": settings.questions_max_minutes,
    }


def upload_plan(
    application: Application,
    *,
    filename: str,
    stream: BinaryIO,
    actor: User,
    at: dt.datetime,
) -> Plan:
    """The candidate's đề án: their own dossier, admitted to the interview, before the
    round's deadline; a PDF read as one (``%PDF-`` and pypdf opens it), within
    ``PLAN_MAX_BYTES``. Replaces their previous upload, whose file is kept."""
    if application.candidate_id != actor.id:
        raise DomainError(_l("Chỉ thí sinh nộp đề án của mình."))
    require_stage(
        application.round,
        RoundStatus.TESTING,
        RoundStatus.INTERVIEWS,
        action=_l("nộp đề án"),
    )
    if not admitted(application):
        raise DomainError(_l("Chỉ thí sinh đã qua các vòng trước mới nộp đề án."))
    deadline = settings_of(application.round).plan_deadline
    if deadline is None:
        raise DomainError(_l("Hội đồng chưa đặt hạn nộp đề án."))
    if at > deadline:
        raise DomainError(
            _l("Đã quá hạn nộp đề án (%(deadline)s).", deadline=format_datetime(deadline))
        )
    head = stream.read(8)
    stream.seek(0)
    if not head:
        raise ValidationFailed([("file", _l("Tệp rỗng."))])
    if media.sniff_pdf(head) is None:
        raise ValidationFailed(
            [("file", _l("Đề án phải là tệp PDF (kiểm tra theo nội dung tệp)."))]
        )
    limit = media.plan_max_bytes()
    try:
        upload = media.store_stream(
            stream, filename=filename, content_type=media.PDF[0], extension=".pdf", limit=limit
        )
    except TooLarge:
        raise ValidationFailed(
            [("file", _l("Tệp quá lớn: tối đa %(n)s MB.", n=f"{limit / 1024 / 1024:g}"))]
        ) from None
    stream.seek(0)  # read from the request's copy: the stored one may be in a bucket
    try:
        pages = len(PdfReader(stream).pages)
    except (PyPdfError, ValueError, OSError):
        pages = 0
    if pages == 0:
        storage().delete(upload.key)
        raise ValidationFailed(
            [("file", _l("Tệp PDF bị hỏng hoặc không đọc được; hãy xuất lại tệp."))]
        )
    lock_row(application)  # two uploads at once: the second replaces the first
    previous = current_plan(application)
    if previous is not None:
        previous.replaced_at = at
    plan = Plan(application=application, **upload.columns(uploaded_by_id=actor.id, uploaded_at=at))
    db.session.add(plan)
    db.session.flush()
    record(
        "plan.replace" if previous else "plan.upload",
        plan,
        actor=actor,
        before={"plan_id": previous.id, "sha256": previous.sha256} if previous else None,
        after={
            "application_id": application.id,
            "name": plan.original_name,
            "size": plan.size,
            "sha256": plan.sha256,
            "pages": pages,
        },
    )
    return plan
