"""Reading panels and sheets."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from exam.accounts.models import User
from exam.candidates.models import Application
from exam.candidates.queries import eligible_applications
from exam.exams.queries import passed_test, tests_of_round
from exam.extensions import db
from exam.panels.models import (
    Criterion,
    Declaration,
    InterviewGuide,
    Panel,
    PanelMember,
    PanelPosition,
    ScoreSheet,
    SheetScan,
    SpreadDecision,
    SpreadRuling,
)
from exam.rounds.models import Position, Round

TWO_PLACES = Decimal("0.01")
DEFAULT_MIN_SHEETS = 2


def panels_of_member(user: User, round_ids: set[int]) -> list[Panel]:
    """The panels the person sits on, of the rounds ``round_ids`` (those whose interview
    board they are on)."""
    return list(
        db.session.scalars(
            sa.select(Panel)
            .join(PanelMember)
            .join(Position, Position.id == Panel.position_id)
            .where(PanelMember.user_id == user.id, Position.round_id.in_(round_ids))
            .order_by(Panel.id)
        )
    )


def interview_list(panel: Panel) -> list[Application]:
    """The candidates a panel may score: eligible for one of its positions and, where the round has
    a computer test, past its gate (submitted, marked, at least the pass mark). Nobody still
    sitting, absent or below the mark is offered."""
    eligible = [
        a
        for position in panel.positions or [panel.position]
        for a in eligible_applications(position.id)
    ]
    round_ = panel.position.round
    if not tests_of_round(round_.id):
        return eligible
    return [a for a in eligible if passed_test(a, round_.test_pass_mark)]


def panel_of_position(position_id: int) -> Panel | None:
    """The panel serving the position, if any."""
    return db.session.scalars(
        sa.select(Panel).join(PanelPosition).where(PanelPosition.position_id == position_id)
    ).first()


def sheets_for_application(application: Application) -> list[ScoreSheet]:
    """The sealed sheets of a candidate (a draft or a reopened sheet counts for nothing)."""
    return list(
        db.session.scalars(
            sa.select(ScoreSheet)
            .where(
                ScoreSheet.application_id == application.id,
                ScoreSheet.submitted_at.is_not(None),
            )
            .order_by(ScoreSheet.id)
        )
    )


def guide_of(round_: Round) -> InterviewGuide | None:
    """The round's own marking guide (its minimum of sheets and trimmed mean, and the
    criteria of every position without a guide of its own)."""
    return db.session.scalars(
        sa.select(InterviewGuide).where(
            InterviewGuide.round_id == round_.id, InterviewGuide.position_id.is_(None)
        )
    ).first()


def position_guide(position: Position) -> InterviewGuide | None:
    """The position's own marking guide, if it has one."""
    return db.session.scalars(
        sa.select(InterviewGuide).where(InterviewGuide.position_id == position.id)
    ).first()


def guide_for(position: Position) -> InterviewGuide | None:
    """The guide whose criteria score the position's candidates: its own, else the
    round's."""
    return position_guide(position) or guide_of(position.round)


def criteria_for(application: Application) -> list[Criterion]:
    """The criteria a sheet for ``application`` gives points to (none: a single total)."""
    guide = guide_for(application.position)
    return list(guide.criteria) if guide else []


def min_sheets_of(round_: Round) -> int:
    guide = guide_of(round_)
    return guide.min_sheets if guide else DEFAULT_MIN_SHEETS


def sheet_of(member: PanelMember, application: Application) -> ScoreSheet | None:
    """The member's sheet for the candidate, draft or sealed."""
    return db.session.scalars(
        sa.select(ScoreSheet).where(
            ScoreSheet.panel_member_id == member.id,
            ScoreSheet.application_id == application.id,
        )
    ).first()


def declarations_of(member: PanelMember) -> dict[int, Declaration]:
    """The member's declarations, by application id."""
    rows = db.session.scalars(
        sa.select(Declaration).where(Declaration.panel_member_id == member.id)
    )
    return {d.application_id: d for d in rows}


def has_declared_all(member: PanelMember) -> bool:
    """Declared a relation (or none) for every candidate of the panel's list."""
    declared = declarations_of(member)
    return all(a.id in declared for a in interview_list(member.panel))


def is_recused(member: PanelMember, application: Application) -> bool:
    declaration = declarations_of(member).get(application.id)
    return declaration is not None and declaration.recuses


def scoring_members(panel: Panel, application: Application) -> list[PanelMember]:
    """The members who score this candidate: every member not recused from them."""
    return [m for m in panel.members if not is_recused(m, application)]


def sealed_sheets(panel: Panel, application: Application) -> list[ScoreSheet]:
    member_ids = {m.id for m in panel.members}
    return [s for s in sheets_for_application(application) if s.panel_member_id in member_ids]


def all_sealed(panel: Panel, application: Application) -> bool:
    """Every member who scores the candidate has sealed their sheet: only then may anyone
    read another member's sheet (the seal, docs/domain.md §7)."""
    sealed = {s.panel_member_id for s in sealed_sheets(panel, application)}
    members = scoring_members(panel, application)
    return bool(members) and all(m.id in sealed for m in members)


def spread_of(sheets: list[ScoreSheet]) -> Decimal:
    scores = [s.score for s in sheets]
    return max(scores) - min(scores) if scores else Decimal(0)


def latest_ruling(panel: Panel, application: Application) -> SpreadRuling | None:
    return db.session.scalars(
        sa.select(SpreadRuling)
        .where(SpreadRuling.panel_id == panel.id, SpreadRuling.application_id == application.id)
        .order_by(SpreadRuling.decided_at.desc(), SpreadRuling.id.desc())
    ).first()


def open_sheets(panel: Panel, application: Application) -> list[ScoreSheet]:
    """Sheets of the panel's members for the candidate being written (a draft, or reopened)."""
    member_ids = {m.id for m in panel.members}
    return [
        s
        for s in db.session.scalars(
            sa.select(ScoreSheet).where(
                ScoreSheet.application_id == application.id, ScoreSheet.submitted_at.is_(None)
            )
        )
        if s.panel_member_id in member_ids
    ]


def awaits_ruling(panel: Panel, application: Application) -> bool:
    """The sealed totals more than the round's limit apart, no sheet still open, and no
    confirming ruling made since the last seal."""
    sheets = sealed_sheets(panel, application)
    if len(sheets) < 2 or open_sheets(panel, application):
        return False
    if spread_of(sheets) <= panel.position.round.panel_spread_limit:
        return False
    ruling = latest_ruling(panel, application)
    last_seal = max(s.submitted_at for s in sheets if s.submitted_at is not None)
    return not (
        ruling is not None
        and ruling.decision == SpreadDecision.CONFIRM
        and ruling.decided_at >= last_seal
    )


def mean_of(scores: list[Decimal], *, trimmed: bool = False) -> Decimal:
    """The mean rounded half up to 2 decimals; trimmed: without one highest and one lowest
    (from three sheets on)."""
    values = sorted(scores)
    if trimmed and len(values) >= 3:
        values = values[1:-1]
    return (sum(values, Decimal(0)) / len(values)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def panel_score(panel: Panel, application: Application) -> Decimal | None:
    """The candidate's panel score, or None while a sheet is open (a draft or reopened), the
    sealed sheets are fewer than the round's minimum, or a spread awaits the head's ruling.
    A member who wrote no sheet (absent) does not hold the score back; the seal on reading
    (``all_sealed``) does wait for them."""
    if open_sheets(panel, application) or awaits_ruling(panel, application):
        return None
    sheets = sealed_sheets(panel, application)
    round_ = panel.position.round
    if len(sheets) < min_sheets_of(round_):
        return None
    guide = guide_of(round_)
    return mean_of([s.score for s in sheets], trimmed=bool(guide and guide.trimmed_mean))


def current_scan(sheet: ScoreSheet) -> SheetScan | None:
    """The sheet's signed paper form: its newest scan not replaced."""
    return db.session.scalars(
        sa.select(SheetScan)
        .where(SheetScan.score_sheet_id == sheet.id, SheetScan.replaced_at.is_(None))
        .order_by(SheetScan.id.desc())
    ).first()
