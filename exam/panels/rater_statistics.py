"""Rater statistics of a panel for the Council, once every sheet of the panel is sealed
(docs/domain.md §7, issue 15 item 8): how far the members agree (Krippendorff's alpha,
interval metric), how severe each member is (the mean deviation of their totals from the
panel's mean for the same candidates), and whether a position's order would change if the
panel score dropped the highest and the lowest sheet (the trimmed mean) rather than not.

Krippendorff's alpha rather than ICC(2,1) because a recused member leaves a hole in the
candidates × members table, which alpha takes as it is and ICC does not. The PyPI package
``krippendorff`` needs NumPy, which the project does not otherwise use; the computation is a
few lines (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability", §C with the
interval difference (c - k)²), checked by the tests against the worked example of that paper
(interval alpha 0.849).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from exam.candidates.models import Application
from exam.panels.models import Panel, PanelMember, ScoreSheet
from exam.panels.queries import (
    all_sealed,
    interview_list,
    mean_of,
    open_sheets,
    sealed_sheets,
)
from exam.rounds.models import Position

TWO_PLACES = Decimal("0.01")


def krippendorff_alpha_interval(units: list[list[float | None]]) -> float | None:
    """Alpha for interval data: ``units`` one row per unit (candidate), one value per coder
    (member), None where a coder gave none. Only units with two values or more count. None
    when undefined (fewer than two pairable values, or no variation at all)."""
    pairable = [[float(v) for v in row if v is not None] for row in units]
    pairable = [row for row in pairable if len(row) >= 2]
    n = sum(len(row) for row in pairable)
    if n < 2:
        return None
    # Observed disagreement: within each unit, every ordered pair of values, weighted by
    # 1 / (m_u - 1).
    observed = sum(sum((a - b) ** 2 for a in row for b in row) / (len(row) - 1) for row in pairable)
    # Expected disagreement: every ordered pair of pairable values, whatever their unit.
    values = [v for row in pairable for v in row]
    expected = sum((a - b) ** 2 for a in values for b in values) / (n - 1)
    if expected == 0:
        return None
    return 1 - observed / expected


def _two_places(value: Decimal) -> Decimal:
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Severity:
    member: PanelMember
    sheets: int
    mean_deviation: Decimal | None  # positive: more generous than the panel, negative: stricter


@dataclass(frozen=True)
class Move:
    application: Application
    rank_by_mean: int
    rank_by_trimmed: int


@dataclass(frozen=True)
class PositionOrder:
    position: Position
    by_mean: list[tuple[Application, Decimal]]
    by_trimmed: list[tuple[Application, Decimal]]
    moves: list[Move]


@dataclass(frozen=True)
class PanelStatistics:
    panel: Panel
    alpha: float | None
    severities: list[Severity]
    orders: list[PositionOrder]
    candidates: int


def all_sheets_sealed(panel: Panel) -> bool:
    """Every candidate of the panel's list has every sheet sealed, none open: the gate of
    the statistics (before, they would show how members lean while some still score)."""
    applications = interview_list(panel)
    return bool(applications) and all(
        all_sealed(panel, a) and not open_sheets(panel, a) for a in applications
    )


def severities(panel: Panel, sheets: dict[int, list[ScoreSheet]]) -> list[Severity]:
    """Each member's mean of (their total − the mean of the candidate's totals), over the
    candidates they scored among those with two sheets or more."""
    deviations: dict[int, list[Decimal]] = {m.id: [] for m in panel.members}
    for candidate_sheets in sheets.values():
        if len(candidate_sheets) < 2:
            continue
        mean = sum((s.score for s in candidate_sheets), Decimal(0)) / len(candidate_sheets)
        for sheet in candidate_sheets:
            deviations[sheet.panel_member_id].append(sheet.score - mean)
    result = []
    for member in panel.members:
        own = deviations[member.id]
        mean_deviation = _two_places(sum(own, Decimal(0)) / len(own)) if own else None
        result.append(Severity(member, len(own), mean_deviation))
    return result


def _ranked(scores: dict[int, Decimal], by_id: dict[int, Application]) -> list[int]:
    # Highest first; ties by registration number, as a stable and visible order.
    return sorted(scores, key=lambda i: (-scores[i], by_id[i].registration_number))


def orders(panel: Panel, sheets: dict[int, list[ScoreSheet]]) -> list[PositionOrder]:
    """For each position the panel serves, its candidates ordered by the plain mean and by
    the trimmed mean, and those whose place differs."""
    result = []
    for position in panel.positions or [panel.position]:
        applications = {
            a.id: a
            for a in interview_list(panel)
            if a.position_id == position.id and sheets.get(a.id)
        }
        plain = {i: mean_of([s.score for s in sheets[i]]) for i in applications}
        trimmed = {i: mean_of([s.score for s in sheets[i]], trimmed=True) for i in applications}
        first, second = _ranked(plain, applications), _ranked(trimmed, applications)
        moves = [
            Move(applications[i], first.index(i) + 1, second.index(i) + 1)
            for i in first
            if first.index(i) != second.index(i)
        ]
        result.append(
            PositionOrder(
                position,
                [(applications[i], plain[i]) for i in first],
                [(applications[i], trimmed[i]) for i in second],
                moves,
            )
        )
    return result


def panel_statistics(panel: Panel) -> PanelStatistics | None:
    """The panel's statistics, or None while a sheet of the panel is not sealed."""
    if not all_sheets_sealed(panel):
        return None
    applications = interview_list(panel)
    sheets = {a.id: sealed_sheets(panel, a) for a in applications}
    members = [m.id for m in panel.members]
    units = []
    for application in applications:
        given = {s.panel_member_id: float(s.score) for s in sheets[application.id]}
        units.append([given.get(m) for m in members])
    return PanelStatistics(
        panel=panel,
        alpha=krippendorff_alpha_interval(units),
        severities=severities(panel, sheets),
        orders=orders(panel, sheets),
        candidates=len(applications),
    )
