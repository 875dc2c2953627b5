"""Combining scores into a ranking.

The rule (DOMAIN.md, "Results"; the Central Organizing Committee's leadership exams):
- the computer test is a gate: a candidate below the round's pass mark (default 50% of the
  test's points) is not ranked for selection; an absent candidate fails the gate;
- the panel score is the arithmetic mean of the members' sheets, rounded half-up to
  2 decimals (TT 22/2025 Art. 19–22); at least 2 sheets are required;
- the winner has the highest panel score, at least the round's minimum (default 50/100);
  as many winners as the position has posts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.candidates.models import Application
from exam.candidates.queries import eligible_applications
from exam.core.errors import DomainError
from exam.exams.models import AttemptStatus
from exam.exams.queries import attempt_of_application
from exam.extensions import db
from exam.panels.models import ScoreSheet
from exam.panels.queries import sheets_for_application
from exam.results.models import Outcome, Ranking, RankingRow
from exam.rounds.models import Position

TWO_PLACES = Decimal("0.01")
MIN_SHEETS = 2


def panel_mean(scores: list[Decimal]) -> Decimal:
    """Arithmetic mean rounded half-up to 2 decimals (no dropping of extremes)."""
    return (sum(scores, Decimal(0)) / len(scores)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


@dataclass
class Standing:
    application: Application
    test_percent: Decimal | None
    passed_gate: bool
    panel_score: Decimal | None
    sheets: list[ScoreSheet]

    def sort_key(self) -> tuple:
        """Order of the ranking, ending on a unique key.

        1. candidates who passed the test gate before those who did not;
        2. higher panel (professional) score;
        3. higher test score (NĐ 170/2025 Art. 10 breaks ties on the written part);
        4. registration number, only to make the list deterministic: a tie left after
           step 3 is flagged for the Council, which decides.
        """
        return (
            not self.passed_gate,
            -(self.panel_score or Decimal(-1)),
            -(self.test_percent if self.test_percent is not None else Decimal(-1)),
            self.application.registration_number or "",
        )

    def tie_key(self) -> tuple:
        return (self.passed_gate, self.panel_score, self.test_percent)


def _standing(application: Application, pass_mark: int, has_test: bool) -> Standing:
    attempt = attempt_of_application(application)
    test_percent = None
    if attempt is not None and attempt.status == AttemptStatus.SUBMITTED:
        if attempt.score_percent is None:  # an essay still waits for its markers
            raise DomainError(
                _l(
                    "Bài thi của %(name)s chưa chấm xong: chưa thể tổng hợp kết quả.",
                    name=application.candidate.full_name,
                )
            )
        test_percent = Decimal(str(attempt.score_percent)).quantize(TWO_PLACES, ROUND_HALF_UP)
    passed = not has_test or (test_percent is not None and test_percent >= pass_mark)
    sheets = sheets_for_application(application)
    score = panel_mean([s.score for s in sheets]) if sheets else None
    return Standing(application, test_percent, passed, score, sheets)


def compute_standings(position: Position, *, has_test: bool) -> list[Standing]:
    round_ = position.round
    standings = [
        _standing(a, round_.test_pass_mark, has_test) for a in eligible_applications(position.id)
    ]
    missing = [
        s.application.candidate.full_name
        for s in standings
        if s.passed_gate and len(s.sheets) < MIN_SHEETS
    ]
    if missing:
        raise DomainError(
            _l(
                "Chưa đủ %(n)d phiếu chấm cho: %(names)s.",
                n=MIN_SHEETS,
                names=", ".join(missing),
            )
        )
    return sorted(standings, key=Standing.sort_key)


def _notes(standing: Standing, spread_limit: int, tied: bool) -> list[str]:
    notes = []
    scores = [s.score for s in standing.sheets]
    if scores and max(scores) - min(scores) > spread_limit:
        notes.append(str(_l("Điểm các thành viên chênh lệch quá %(n)d điểm.", n=spread_limit)))
    if tied:
        notes.append(str(_l("Bằng điểm: Hội đồng quyết định.")))
    if standing.test_percent is None and not standing.passed_gate:
        notes.append(str(_l("Không dự thi trắc nghiệm.")))
    return notes


def compute_ranking(position: Position, *, has_test: bool, actor: User, at: dt.datetime) -> Ranking:
    """Compute and keep a ranking of the position's eligible candidates (audited)."""
    round_ = position.round
    standings = compute_standings(position, has_test=has_test)
    ranking = Ranking(position=position, computed_at=at, computed_by_id=actor.id)
    winners_left = position.posts
    for index, standing in enumerate(standings):
        neighbours = standings[max(0, index - 1) : index] + standings[index + 1 : index + 2]
        tied = any(n.tie_key() == standing.tie_key() for n in neighbours)
        if not standing.passed_gate:
            outcome = Outcome.FAILED_GATE
        elif winners_left > 0 and (standing.panel_score or 0) >= round_.winner_min_score:
            outcome, winners_left = Outcome.SELECTED, winners_left - 1
        else:
            outcome = Outcome.NOT_SELECTED
        ranking.rows.append(
            RankingRow(
                application=standing.application,
                rank=index + 1,
                test_percent=standing.test_percent,
                panel_score=standing.panel_score,
                panel_sheets=len(standing.sheets),
                outcome=outcome,
                note=" ".join(_notes(standing, round_.panel_spread_limit, tied)),
            )
        )
    db.session.add(ranking)
    record(
        "ranking.compute",
        ranking,
        actor=actor,
        after={
            "position_id": position.id,
            "rows": [
                [r.application_id, r.rank, r.panel_score, r.test_percent, r.outcome]
                for r in ranking.rows
            ],
        },
    )
    return ranking
