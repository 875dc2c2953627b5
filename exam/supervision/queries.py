"""A round's audit trail, as its supervisory board reads it, and its reports' data.

The trail is one hash chain for the whole installation (exam/audit/): an entry names its
object by class and id, not its round. The entries of a round are those whose object belongs
to it, found through each kind of object's way to its round (``_ROUND_OBJECTS``); an entry on
an object of no round (a unit, a question, an account) belongs to none."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import force_locale

from exam.accounts.models import User
from exam.audit.models import AuditEntry
from exam.audit.operations import current_anchor, stored_anchors, verify_chain
from exam.candidates.models import Application, ApplicationDocument, PresentationDraw
from exam.core.documents import DocumentFrame, Signature, Verification
from exam.council.models import Body, Meeting, MeetingItem, Membership
from exam.documents.models import IssuedDocument
from exam.exams.models import Attempt, ExamSession, Room, Test, TestSection
from exam.extensions import db
from exam.marking.models import MarkingPlan, MarkingSheet, Script
from exam.panels.models import Panel, ScoreSheet
from exam.results.models import Ranking
from exam.rounds.models import Position, Round
from exam.supervision.models import SupervisionReport

PER_PAGE = 50


def _tests(round_id: int) -> sa.Select:
    return sa.select(Test.id).where(Test.round_id == round_id)


def _attempts(round_id: int) -> sa.Select:
    return sa.select(Attempt.id).where(Attempt.test_id.in_(_tests(round_id)))


def _positions(round_id: int) -> sa.Select:
    return sa.select(Position.id).where(Position.round_id == round_id)


def _applications(round_id: int) -> sa.Select:
    return sa.select(Application.id).where(Application.round_id == round_id)


def _bodies(round_id: int) -> sa.Select:
    return sa.select(Body.id).where(Body.round_id == round_id)


def _meetings(round_id: int) -> sa.Select:
    return sa.select(Meeting.id).where(Meeting.body_id.in_(_bodies(round_id)))


def _sessions(round_id: int) -> sa.Select:
    return sa.select(ExamSession.id).where(ExamSession.test_id.in_(_tests(round_id)))


# Each kind of object (as the trail names it: its class) → the ids of those of a round.
_ROUND_OBJECTS: dict[str, Callable[[int], sa.Select]] = {
    "Round": lambda r: sa.select(Round.id).where(Round.id == r),
    "Position": _positions,
    "Application": _applications,
    "ApplicationDocument": lambda r: sa.select(ApplicationDocument.id).where(
        ApplicationDocument.application_id.in_(_applications(r))
    ),
    "PresentationDraw": lambda r: sa.select(PresentationDraw.id).where(
        PresentationDraw.position_id.in_(_positions(r))
    ),
    "Test": _tests,
    "TestSection": lambda r: sa.select(TestSection.id).where(TestSection.test_id.in_(_tests(r))),
    "ExamSession": _sessions,
    "Room": lambda r: sa.select(Room.id).where(Room.session_id.in_(_sessions(r))),
    "Attempt": _attempts,
    "Panel": lambda r: sa.select(Panel.id).where(Panel.position_id.in_(_positions(r))),
    "ScoreSheet": lambda r: sa.select(ScoreSheet.id).where(
        ScoreSheet.application_id.in_(_applications(r))
    ),
    "Ranking": lambda r: sa.select(Ranking.id).where(Ranking.position_id.in_(_positions(r))),
    "Body": _bodies,
    "Membership": lambda r: sa.select(Membership.id).where(Membership.body_id.in_(_bodies(r))),
    "Meeting": _meetings,
    "MeetingItem": lambda r: sa.select(MeetingItem.id).where(
        MeetingItem.meeting_id.in_(_meetings(r))
    ),
    "MarkingPlan": lambda r: sa.select(MarkingPlan.id).where(MarkingPlan.round_id == r),
    "Script": lambda r: sa.select(Script.id).where(Script.attempt_id.in_(_attempts(r))),
    "MarkingSheet": lambda r: sa.select(MarkingSheet.id).where(
        MarkingSheet.script_id.in_(sa.select(Script.id).where(Script.attempt_id.in_(_attempts(r))))
    ),
    "SupervisionReport": lambda r: sa.select(SupervisionReport.id).where(
        SupervisionReport.round_id == r
    ),
    "IssuedDocument": lambda r: sa.select(IssuedDocument.id).where(IssuedDocument.round_id == r),
}
OBJECT_TYPES = tuple(_ROUND_OBJECTS)


def _as_text(ids: sa.Select) -> sa.Select:
    """The trail keeps an object's id as text."""
    return ids.with_only_columns(sa.cast(ids.selected_columns[0], sa.String))


def _of_round(round_id: int, object_types: tuple[str, ...] = OBJECT_TYPES) -> sa.ColumnElement:
    """The trail's entries on the round's objects (of ``object_types``)."""
    return sa.or_(
        *(
            sa.and_(
                AuditEntry.object_type == name,
                AuditEntry.object_id.in_(_as_text(_ROUND_OBJECTS[name](round_id))),
            )
            for name in object_types
        )
    )


@dataclass(frozen=True)
class TrailFilter:
    """What the supervisory board asks of the trail; every field optional. ``since`` and
    ``until`` are instants (the form reads Hanoi dates)."""

    actor_id: int | None = None
    object_type: str | None = None
    action: str = ""  # the action's beginning: "application" finds every dossier action
    since: dt.datetime | None = None
    until: dt.datetime | None = None


@dataclass(frozen=True)
class TrailPage:
    entries: list[AuditEntry]
    page: int
    pages: int
    total: int


def round_trail(round_id: int, wanted: TrailFilter, page: int = 1) -> TrailPage:
    """The round's entries matching ``wanted``, newest first, ``PER_PAGE`` a page."""
    types = (wanted.object_type,) if wanted.object_type in _ROUND_OBJECTS else OBJECT_TYPES
    conditions = [_of_round(round_id, types)]
    if wanted.actor_id is not None:
        conditions.append(AuditEntry.actor_id == wanted.actor_id)
    if wanted.action:
        conditions.append(AuditEntry.action.startswith(wanted.action, autoescape=True))
    if wanted.since is not None:
        conditions.append(AuditEntry.created_at >= wanted.since)
    if wanted.until is not None:
        conditions.append(AuditEntry.created_at < wanted.until)
    where = sa.and_(*conditions)
    total = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(where)) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, page), pages)
    entries = db.session.scalars(
        sa.select(AuditEntry)
        .where(where)
        .order_by(AuditEntry.seq.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    return TrailPage(list(entries), page, pages, total)


def trail_actors(round_id: int) -> list[User]:
    """Everyone who acted on the round's objects, for the filter's list."""
    ids = sa.select(AuditEntry.actor_id).where(
        _of_round(round_id), AuditEntry.actor_id.is_not(None)
    )
    return list(
        db.session.scalars(sa.select(User).where(User.id.in_(ids)).order_by(User.full_name))
    )


@dataclass(frozen=True)
class ChainStatus:
    intact: bool
    checked: int
    problems: tuple[str, ...]
    anchor: str  # the newest link, "SEQ:HASH" ("" for an empty chain)


def chain_status() -> ChainStatus:
    """The whole chain verified against the anchors kept outside the database."""
    report = verify_chain(stored_anchors())
    anchor = current_anchor()
    return ChainStatus(report.intact, report.checked, tuple(report.problems), str(anchor or ""))


def reports_of(round_id: int) -> list[SupervisionReport]:
    return list(
        db.session.scalars(
            sa.select(SupervisionReport)
            .where(SupervisionReport.round_id == round_id)
            .order_by(SupervisionReport.written_at.desc(), SupervisionReport.id.desc())
        )
    )


# --- the report as a document (NĐ 30) -------------------------------------------------------


@dataclass(frozen=True)
class ReportDocument:
    document: DocumentFrame
    round_name: str
    organisation: str
    scope: str
    findings: tuple[str, ...]  # one paragraph each
    recommendations: tuple[str, ...]
    audit_anchor: str
    chain_intact: bool


def _paragraphs(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.replace("\r\n", "\n").split("\n") if p.strip())


REPORT_SYMBOL = "BC-BGS"
REPORT_ISSUER = "Ban giám sát kỳ thi tuyển"


def report_document(
    report: SupervisionReport,
    *,
    number: int | None = None,
    verification: Verification | None = None,
) -> ReportDocument:
    """The data of ``templates/pdf/supervision_report.html``, in Vietnamese; ``number`` and
    ``verification`` are those of the report as issued (exam/documents)."""
    with force_locale("vi"):
        round_ = report.round
        return ReportDocument(
            document=DocumentFrame(
                parent_body=round_.parent_body,
                issuer=REPORT_ISSUER,
                issued_at=report.written_at,
                symbol=REPORT_SYMBOL,
                number=number,
                verification=verification,
                signature=Signature(function="TRƯỞNG BAN", signer=report.author.full_name),
                recipients=("Hội đồng thi tuyển", "Cơ quan tổ chức thi tuyển", "Lưu: BGS"),
            ),
            round_name=round_.name,
            organisation=round_.organisation,
            scope=report.scope,
            findings=_paragraphs(report.findings),
            recommendations=_paragraphs(report.recommendations),
            audit_anchor=report.audit_anchor,
            chain_intact=report.chain_intact,
        )
