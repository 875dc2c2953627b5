"""The panel's papers as plain values (NĐ 30/2020), rendered to PDF through
``templates/pdf/_document.html``: a member's score sheet as a paper form to sign
(``templates/pdf/panel_sheet.html``) and the minutes of the panel's session
(``templates/pdf/panel_minutes.html``), in Vietnamese whatever the reader's language.

The minutes print a candidate's points only once every member scoring them has sealed
(``all_sealed``), the same seal as the pages'."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_decimal
from flask_babel import force_locale

from exam.core.db import utcnow
from exam.core.documents import COUNCIL, DocumentFrame, Signature, Verification
from exam.panels.attendance import attendance_of, incidents_of
from exam.panels.models import Panel, PanelRole, ScoreSheet
from exam.panels.queries import (
    all_sealed,
    criteria_for,
    declarations_of,
    guide_for,
    interview_list,
    panel_score,
    sealed_sheets,
)
from exam.panels.sessions import session_of, timetable

RECIPIENTS = ("Hội đồng thi tuyển", "Ban giám sát", "Lưu: HĐTT")
MINUTES_SYMBOL = "BB-HĐTT"


def points(value: Decimal | str | None) -> str:
    """Points as the documents print them: "18,50"; a blank line when none."""
    if value is None or value == "":
        return ""
    return format_decimal(Decimal(value), "0.00", locale="vi")


def _frame(
    panel: Panel,
    issued_at: dt.datetime,
    signature: Signature,
    *,
    verification: Verification | None = None,
    symbol: str | None = None,
    number: int | None = None,
) -> DocumentFrame:
    return DocumentFrame(
        parent_body=panel.position.round.parent_body,
        issued_at=issued_at,
        signature=signature,
        recipients=RECIPIENTS,
        issuer=COUNCIL,
        symbol=symbol,
        number=number,
        verification=verification,
    )


# --- the member's sheet ---------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionLine:
    number: int
    title: str
    descriptor: str
    max_points: str
    points: str


@dataclass(frozen=True)
class SheetPaper:
    """Phiếu chấm điểm phỏng vấn, đề án: one member's sheet for one candidate."""

    document: DocumentFrame
    round_name: str
    panel_name: str
    position: str
    registration_number: str
    candidate_name: str
    member_name: str
    member_role: str
    criteria: tuple[CriterionLine, ...]
    total: str
    comment: str
    sealed_at: dt.datetime | None


def sheet_document(sheet: ScoreSheet, *, verification: Verification | None = None) -> dict:
    """The data of ``templates/pdf/panel_sheet.html`` for ``sheet``; ``verification``: the
    code of the sheet as issued when sealed (exam/panels/records.py)."""
    with force_locale("vi"):
        member, application = sheet.member, sheet.application
        panel = member.panel
        guide = guide_for(application.position)  # its own criteria, else the round's
        paper = SheetPaper(
            document=_frame(
                panel,
                sheet.submitted_at or utcnow(),
                Signature(function="THÀNH VIÊN CHẤM", signer=member.user.full_name),
                verification=verification,
            ),
            round_name=panel.position.round.name,
            panel_name=panel.name,
            position=application.position.label,
            registration_number=application.registration_number,
            candidate_name=application.candidate.full_name,
            member_name=member.user.full_name,
            member_role=str(member.role.title),
            criteria=tuple(
                CriterionLine(
                    c.number,
                    c.title,
                    c.descriptor,
                    points(c.max_points),
                    points(sheet.points.get(str(c.id))),
                )
                for c in (guide.criteria if guide else [])
            ),
            total=points(sheet.score),
            comment=sheet.comment,
            sealed_at=sheet.submitted_at,
        )
    return {"sheet": paper}


# --- the session's minutes ------------------------------------------------------------------


@dataclass(frozen=True)
class AttendeeLine:
    full_name: str
    role: str
    attendance: str  # "Có mặt", "Vắng mặt" or "Chưa ghi nhận"


@dataclass(frozen=True)
class TurnLine:
    number: int
    registration_number: str
    full_name: str
    position: str
    planned_at: dt.datetime | None
    presence: str
    presentation_started_at: dt.datetime | None
    presentation_ended_at: dt.datetime | None
    questions_started_at: dt.datetime | None
    questions_ended_at: dt.datetime | None


@dataclass(frozen=True)
class DeclarationLine:
    full_name: str
    statement: str


@dataclass(frozen=True)
class IncidentLine:
    occurred_at: dt.datetime
    description: str


@dataclass(frozen=True)
class AnnexSheet:
    """One candidate's sheets: a row per criterion, a column per member."""

    registration_number: str
    full_name: str
    sealed: bool
    members: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]  # (criterion, each member's points)
    totals: tuple[str, ...]
    panel_score: str


@dataclass(frozen=True)
class PanelMinutes:
    """Biên bản buổi phỏng vấn, chấm đề án (NĐ 30/2020, Phụ lục III, Mẫu 1.9)."""

    document: DocumentFrame
    round_name: str
    panel_name: str
    positions: tuple[str, ...]
    room: str
    starts_at: dt.datetime | None
    chair: str
    secretary: str
    attendees: tuple[AttendeeLine, ...]
    turns: tuple[TurnLine, ...]
    declarations: tuple[DeclarationLine, ...]
    incidents: tuple[IncidentLine, ...]
    annex: tuple[AnnexSheet, ...]


def _presence(turn: object) -> str:
    present = getattr(turn, "present", None)
    return {True: "Có mặt", False: "Vắng mặt"}.get(present, "Chưa ghi nhận")


def _declarations(panel: Panel, candidates: dict[int, str]) -> tuple[DeclarationLine, ...]:
    lines = []
    for member in panel.members:
        declared = declarations_of(member)
        if not declared:
            statement = "Chưa kê khai."
        else:
            relations = [
                f"có quan hệ với thí sinh {candidates.get(d.application_id, '')} "
                f"({d.relation.title}), không chấm thí sinh này"
                for d in sorted(declared.values(), key=lambda d: d.application_id)
                if d.recuses
            ]
            statement = (
                "Kê khai " + "; ".join(relations) + "."
                if relations
                else "Kê khai không có quan hệ gia đình với thí sinh nào."
            )
            missing = [n for i, n in candidates.items() if i not in declared]
            if missing:
                statement += " Chưa kê khai với: " + ", ".join(missing) + "."
        lines.append(DeclarationLine(member.user.full_name, statement))
    return tuple(lines)


def _cells(
    panel: Panel,
    by_member: dict[int, ScoreSheet],
    recused: set[int],
    value: Callable[[ScoreSheet], str],
) -> tuple[str, ...]:
    """Each member's entry: ``value(sheet)`` from their sealed sheet, "Không chấm" for a
    recused member, "—" for a member who wrote no sheet."""
    cells = []
    for member in panel.members:
        if member.id in recused:
            cells.append("Không chấm")
        elif member.id in by_member:
            cells.append(value(by_member[member.id]))
        else:
            cells.append("—")
    return tuple(cells)


def _annex(panel: Panel, applications: list) -> tuple[AnnexSheet, ...]:
    names = tuple(m.user.full_name for m in panel.members)
    declared = {m.id: declarations_of(m) for m in panel.members}
    sheets = []
    for application in applications:
        sealed = all_sealed(panel, application)
        by_member = (
            {s.panel_member_id: s for s in sealed_sheets(panel, application)} if sealed else {}
        )
        recused = {
            member_id
            for member_id, given in declared.items()
            if application.id in given and given[application.id].recuses
        }
        rows = tuple(
            (
                f"{c.title} (tối đa {points(c.max_points)})",
                _cells(
                    panel, by_member, recused, lambda s, key=str(c.id): points(s.points.get(key))
                ),
            )
            for c in criteria_for(application)  # its position's guide, else the round's
        )
        score = panel_score(panel, application) if sealed else None
        sheets.append(
            AnnexSheet(
                application.registration_number,
                application.candidate.full_name,
                sealed,
                names,
                rows,
                _cells(panel, by_member, recused, lambda s: points(s.score)),
                points(score),
            )
        )
    return tuple(sheets)


@dataclass(frozen=True)
class MinutesIssue:
    """What the minutes as issued print besides the record (exam/panels/records.py): their
    date (the record completed), their number in the Council's register, their code."""

    issued_at: dt.datetime
    sequence: int | None
    verification: Verification


def minutes_document(panel: Panel, issue: MinutesIssue | None = None) -> dict:
    """The data of ``templates/pdf/panel_minutes.html`` for the panel's session: as issued
    (``issue``), else a copy of the record so far, unnumbered, dated the session's start."""
    with force_locale("vi"):
        return {"minutes": _minutes(panel, issue)}


def _minutes(panel: Panel, issue: MinutesIssue | None) -> PanelMinutes:
    session = session_of(panel)
    slots = timetable(panel)
    attendance = attendance_of(panel)
    chair = next((m.user.full_name for m in panel.members if m.role == PanelRole.CHAIR), "")
    secretary = next((m.user.full_name for m in panel.members if m.role == PanelRole.SECRETARY), "")
    # Before the lots are drawn there is no order: the list as the panel has it.
    applications = [s.application for s in slots] or interview_list(panel)
    candidates = {a.id: f"{a.registration_number} – {a.candidate.full_name}" for a in applications}
    turns = tuple(
        TurnLine(
            number=s.turn_number,
            registration_number=s.application.registration_number,
            full_name=s.application.candidate.full_name,
            position=s.application.position.label,
            planned_at=s.starts_at,
            presence=_presence(s.turn),
            presentation_started_at=getattr(s.turn, "presentation_started_at", None),
            presentation_ended_at=getattr(s.turn, "presentation_ended_at", None),
            questions_started_at=getattr(s.turn, "questions_started_at", None),
            questions_ended_at=getattr(s.turn, "questions_ended_at", None),
        )
        for s in slots
    )
    return PanelMinutes(
        document=_frame(
            panel,
            issue.issued_at if issue else session.starts_at if session else utcnow(),
            Signature(function="TRƯỞNG BAN", signer=chair),
            verification=issue.verification if issue else None,
            symbol=MINUTES_SYMBOL if issue else None,
            number=issue.sequence if issue else None,
        ),
        round_name=panel.position.round.name,
        panel_name=panel.name,
        positions=tuple(p.label for p in panel.positions or [panel.position]),
        room=session.room if session else "",
        starts_at=session.starts_at if session else None,
        chair=chair,
        secretary=secretary,
        attendees=tuple(
            AttendeeLine(
                m.user.full_name,
                str(m.role.title),
                {True: "Có mặt", False: "Vắng mặt"}.get(attendance.get(m.user_id), "Chưa ghi nhận"),
            )
            for m in panel.members
        ),
        turns=turns,
        declarations=_declarations(panel, candidates),
        incidents=tuple(IncidentLine(i.occurred_at, i.description) for i in incidents_of(panel)),
        annex=_annex(panel, applications),
    )
