"""Combining scores into a ranking.

The rule (docs/domain.md, "Results"; the Central Organizing Committee's leadership exams):
- the computer test is a gate: a candidate below the round's pass mark (default 50% of the
  test's points) is not ranked for selection; an absent candidate fails the gate;
- the panel score is the arithmetic mean of the members' sheets, rounded half-up to
  2 decimals (TT 22/2025 Art. 19–22); at least 2 sheets are required;
- the winner has the highest panel score, at least the round's minimum (default 50/100);
  as many winners as the position has posts;
- ties (NĐ 170/2025 Art. 10): the higher test score, then the Council decides. Until the
  Council's vote is recorded, candidates still tied for the last post(s) are all "pending the
  Council" and those posts stay undecided: no rule of the software picks among them.
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
from exam.core.i18n import vietnamese_sort_key
from exam.exams.models import AttemptStatus
from exam.exams.queries import attempt_of_application, paper_percent, passed_test
from exam.extensions import db
from exam.panels.models import ScoreSheet
from exam.panels.queries import (
    min_sheets_of,
    panel_of_position,
    panel_score,
    sheets_for_application,
)
from exam.results.models import Outcome, Ranking, RankingRow
from exam.rounds.models import Position, RoundStatus
from exam.rounds.stages import require_stage

TWO_PLACES = Decimal("0.01")


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
        4. Vietnamese name order (given name, family name, middle names), then
           5. registration number: only the order in which tied candidates are listed.
           Candidates equal on steps 1–3 share their rank and their outcome; steps 4–5
           never decide who wins (a tie for the last post goes to the Council).
        """
        return (
            *self._standing_key(),
            vietnamese_sort_key(self.application.candidate.full_name),
            self.application.registration_number or "",
            self.application.id,
        )

    def _standing_key(self) -> tuple:
        return (
            not self.passed_gate,
            -(self.panel_score or Decimal(-1)),
            -(self.test_percent if self.test_percent is not None else Decimal(-1)),
        )

    def tie_key(self) -> tuple:
        """Equal keys: equal in law (same rank, same outcome)."""
        return self._standing_key()


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
        test_percent = paper_percent(attempt)
    passed = not has_test or passed_test(application, pass_mark)
    sheets = sheets_for_application(application)
    # The panel's score: its mean (or trimmed mean), only once sealed and any spread ruled on.
    panel = panel_of_position(application.position_id)
    score = panel_score(panel, application) if panel is not None and sheets else None
    return Standing(application, test_percent, passed, score, sheets)


def compute_standings(position: Position, *, has_test: bool) -> list[Standing]:
    round_ = position.round
    standings = [
        _standing(a, round_.test_pass_mark, has_test) for a in eligible_applications(position.id)
    ]
    missing = [
        s.application.candidate.full_name
        for s in standings
        if s.passed_gate and (len(s.sheets) < min_sheets_of(round_) or s.panel_score is None)
    ]
    if missing:
        raise DomainError(
            _l(
                "Chưa đủ %(n)d phiếu chấm cho: %(names)s.",
                n=min_sheets_of(round_),
                names=", ".join(missing),
            )
        )
    return sorted(standings, key=Standing.sort_key)


def _notes(standing: Standing, spread_limit: int, *, tied: bool, pending: bool) -> list[str]:
    notes = []
    scores = [s.score for s in standing.sheets]
    if scores and max(scores) - min(scores) > spread_limit:
        notes.append(str(_l("Điểm các thành viên chênh lệch quá %(n)d điểm.", n=spread_limit)))
    if pending:
        notes.append(str(_l("Bằng điểm: Hội đồng quyết định.")))
    elif tied:
        notes.append(str(_l("Bằng điểm, cùng hạng.")))
    if standing.test_percent is None and not standing.passed_gate:
        notes.append(str(_l("Không dự thi trắc nghiệm.")))
    return notes


def _tie_groups(standings: list[Standing]) -> list[list[Standing]]:
    """Consecutive runs of candidates equal in law (``tie_key``), in ranking order."""
    groups: list[list[Standing]] = []
    for standing in standings:
        if groups and groups[-1][0].tie_key() == standing.tie_key():
            groups[-1].append(standing)
        else:
            groups.append([standing])
    return groups


def compute_ranking(position: Position, *, has_test: bool, actor: User, at: dt.datetime) -> Ranking:
    """Compute and keep a ranking of the position's eligible candidates (audited).

    Ranks are shared by equal candidates (1, 1, 3). A group of equal candidates that fits in
    the posts left is selected whole; one that does not fit (a tie at the winning line) is
    pending the Council, and the posts it competes for stay undecided."""
    round_ = position.round
    # After the interviews, before publication: a published ranking never changes.
    require_stage(round_, RoundStatus.RESULTS, action=_l("tổng hợp kết quả"))
    standings = compute_standings(position, has_test=has_test)
    ranking = Ranking(position=position, computed_at=at, computed_by_id=actor.id)
    posts_left = position.posts
    row_number = 0
    for group in _tie_groups(standings):
        first = group[0]
        reaches_minimum = (first.panel_score or 0) >= round_.winner_min_score
        if not first.passed_gate:
            outcome = Outcome.FAILED_GATE
        elif not reaches_minimum or posts_left == 0:
            outcome = Outcome.NOT_SELECTED
        elif len(group) <= posts_left:
            outcome, posts_left = Outcome.SELECTED, posts_left - len(group)
        else:  # more equal candidates than posts left: not ours to choose
            outcome = Outcome.PENDING_COUNCIL
            ranking.undecided_posts, posts_left = posts_left, 0
        rank = row_number + 1
        for standing in group:
            row_number += 1
            ranking.rows.append(
                RankingRow(
                    application=standing.application,
                    row_number=row_number,
                    rank=rank,
                    test_percent=standing.test_percent,
                    panel_score=standing.panel_score,
                    panel_sheets=len(standing.sheets),
                    outcome=outcome,
                    note=" ".join(
                        _notes(
                            standing,
                            round_.panel_spread_limit,
                            tied=len(group) > 1,
                            pending=outcome == Outcome.PENDING_COUNCIL,
                        )
                    ),
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
                # application.id: application_id is only set at the flush, after this
                [r.application.id, r.rank, r.panel_score, r.test_percent, r.outcome]
                for r in ranking.rows
            ],
            "undecided_posts": ranking.undecided_posts,
        },
    )
    return ranking
