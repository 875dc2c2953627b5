"""Applying the round's formula (exam/results/formula.py) to a position's candidates.

- Each part's score, out of 100: the computer test's score percent (exam/exams), the written
  test's paper scripts once the Ban phách has unsealed (exam/marking; without paper tests, the
  online paper, essays included, is the written test), the panel score (exam/panels: the mean
  of the sealed sheets, 2 decimals half up, at least the round's number of sheets), or the
  board's entered score for a further part.
- Parts are taken in the formula's order: below a part's gate (or absent from a test) the
  candidate is out; a later part is then not required of them.
- The total: Σ score × weight / 100, 2 decimals half up; the winner reaches the formula's
  minimum; as many winners as the position has posts.
- Equal totals are ordered by the tie-break chain (the parts the formula names, in its order).
  Candidates still equal share their rank (1, 1, 3). A group that fits in the posts left is
  selected whole; one that does not (a tie at the winning line) is "pending the Council" and
  those posts stay undecided: the software never picks among them (the Council votes).
  Vietnamese name order, then the registration number, only list tied candidates.
- The reserve: the next N runners-up reaching the minimum are kept (bảo lưu); an equal group
  reaching into the reserve is reserved whole.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.candidates.models import Application
from exam.candidates.queries import eligible_applications
from exam.core.errors import DomainError
from exam.core.i18n import format_score, vietnamese_sort_key
from exam.exams.models import AttemptStatus
from exam.exams.queries import attempt_of_application, paper_percent, tests_of_round
from exam.extensions import db
from exam.marking.queries import paper_tests_of, plan_of, written_scores
from exam.panels.models import ScoreSheet
from exam.panels.queries import (
    min_sheets_of,
    panel_of_position,
    panel_score,
    sheets_for_application,
)
from exam.results.formula import FormulaSpec, PartSpec, formula_of, part_scores_of
from exam.results.lifecycle import ensure_computable
from exam.results.models import Outcome, PartKind, Ranking, RankingRow
from exam.rounds.models import Position, Round

TWO_PLACES = Decimal("0.01")


def panel_mean(scores: list[Decimal]) -> Decimal:
    """Arithmetic mean rounded half-up to 2 decimals (no dropping of extremes)."""
    return (sum(scores, Decimal(0)) / len(scores)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


@dataclass
class Standing:
    """A candidate against the formula: ``scores`` by index of the formula's parts (None:
    absent or not required), ``failed_at`` the index of the part that put them out."""

    application: Application
    formula: FormulaSpec
    held: tuple[bool, ...]
    scores: dict[int, Decimal | None]
    failed_at: int | None
    absent_at: int | None
    total: Decimal | None
    sheets: list[ScoreSheet] = field(default_factory=list)

    @property
    def passed_gate(self) -> bool:
        return self.failed_at is None

    def _score(self, kind: PartKind) -> Decimal | None:
        for index, part in enumerate(self.formula.parts):
            if part.kind == kind:
                return self.scores.get(index)
        return None

    @property
    def test_percent(self) -> Decimal | None:
        return self._score(PartKind.COMPUTER_TEST)

    @property
    def panel_score(self) -> Decimal | None:
        return self._score(PartKind.INTERVIEW)

    @property
    def written_score(self) -> Decimal | None:
        return self._score(PartKind.WRITTEN_TEST)

    def _standing_key(self) -> tuple:
        def down(value: Decimal | None) -> Decimal:
            return -value if value is not None else Decimal(1)

        if self.failed_at is None:
            chain = [self.formula.parts.index(p) for p in self.formula.chain]
            return (0, down(self.total), *(down(self.scores.get(i)) for i in chain))
        # Out at a gate: those who went further first, then their scores part by part.
        parts = range(len(self.formula.parts))
        return (1, -self.failed_at, *(down(self.scores.get(i)) for i in parts))

    def tie_key(self) -> tuple:
        """Equal keys: equal in law (same rank, same outcome)."""
        return self._standing_key()

    def sort_key(self) -> tuple:
        """The ranking's order: the standing, then (listing only, never deciding) Vietnamese
        name order (given name, family name, middle names) and the registration number."""
        return (
            *self._standing_key(),
            vietnamese_sort_key(self.application.candidate.full_name),
            self.application.registration_number or "",
            self.application.id,
        )


@dataclass
class _Sources:
    """What the parts read, fetched once for the position."""

    round_: Round
    has_test: bool
    paper_test_ids: list[int]
    written: dict[int, dict[int, Decimal]]
    entered: dict[int, dict[int, Decimal]]  # by part index

    def held(self, part: PartSpec) -> bool:
        if part.kind == PartKind.COMPUTER_TEST:
            return self.has_test
        if part.kind == PartKind.WRITTEN_TEST:
            return bool(self.paper_test_ids) or self.has_test
        return True


def _online_percent(application: Application) -> Decimal | None:
    attempt = attempt_of_application(application)
    submitted = attempt is not None and attempt.status == AttemptStatus.SUBMITTED
    if submitted and attempt.score_percent is None:  # an essay still waits for its markers
        raise DomainError(
            _l(
                "Bài thi của %(name)s chưa chấm xong: chưa thể tổng hợp kết quả.",
                name=application.candidate.full_name,
            )
        )
    return paper_percent(attempt)


def _written(application: Application, sources: _Sources) -> Decimal | None:
    """The paper tests' mean for the candidate (None if they missed one), or the online
    paper when the round has no paper test."""
    if not sources.paper_test_ids:
        return _online_percent(application)
    scores = [sources.written.get(t, {}).get(application.id) for t in sources.paper_test_ids]
    if any(s is None for s in scores):
        return None
    return (sum(scores, Decimal(0)) / len(scores)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def _standing(
    application: Application, formula: FormulaSpec, sources: _Sources, missing: dict[int, list]
) -> Standing:
    held = tuple(sources.held(p) for p in formula.parts)
    scores: dict[int, Decimal | None] = {}
    failed_at = absent_at = None
    sheets = sheets_for_application(application)
    panel = panel_of_position(application.position_id)
    for index, part in enumerate(formula.parts):
        if not held[index]:
            continue
        if part.kind == PartKind.COMPUTER_TEST:
            score = _online_percent(application)
        elif part.kind == PartKind.WRITTEN_TEST:
            score = _written(application, sources)
        elif part.kind == PartKind.INTERVIEW:
            score = panel_score(panel, application) if panel is not None and sheets else None
        else:
            score = sources.entered.get(index, {}).get(application.id)
        scores[index] = score
        if failed_at is not None:
            continue  # already out: later parts are shown, not required
        if score is None:
            if part.kind in (PartKind.COMPUTER_TEST, PartKind.WRITTEN_TEST):
                failed_at = absent_at = index  # did not sit the test
            else:
                missing.setdefault(index, []).append(application.candidate.full_name)
        elif part.gate is not None and score < part.gate:
            failed_at = index
    weighted_known = all(
        scores.get(i) is not None for i, p in enumerate(formula.parts) if p.weight is not None
    )
    total = None
    if failed_at is None and weighted_known:
        exact = sum(
            (
                (scores[i] or Decimal(0)) * p.weight
                for i, p in enumerate(formula.parts)
                if p.weight is not None
            ),
            Decimal(0),
        )
        total = (exact / 100).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    return Standing(application, formula, held, scores, failed_at, absent_at, total, sheets)


def _sources(position: Position, formula: FormulaSpec, has_test: bool) -> _Sources:
    round_ = position.round
    paper_tests = paper_tests_of(round_.id)
    if paper_tests and any(p.kind == PartKind.WRITTEN_TEST for p in formula.parts):
        plan = plan_of(round_.id)
        if plan is None or plan.unsealed_at is None:
            raise DomainError(
                _l("Bài thi viết chưa rọc phách: chưa thể tổng hợp kết quả của phần thi viết.")
            )
    entered = {
        index: part_scores_of(stored)
        for index, (part, stored) in enumerate(
            zip(formula.parts, formula.stored_parts or [None] * len(formula.parts), strict=True)
        )
        if part.kind == PartKind.OTHER and stored is not None
    }
    return _Sources(
        round_, has_test, [t.id for t in paper_tests], written_scores(round_.id), entered
    )


def _check_formula_fits(round_: Round, formula: FormulaSpec, sources: _Sources) -> None:
    """A weighted part the round never held cannot be scored: refuse rather than guess."""
    for part in formula.weighted:
        if not sources.held(part):
            raise DomainError(
                _l(
                    "Công thức tính phần «%(p)s» với trọng số %(w)d %% nhưng kỳ thi không có "
                    "phần thi này.",
                    p=part.name,
                    w=part.weight,
                )
            )


def compute_standings(position: Position, *, has_test: bool | None = None) -> list[Standing]:
    """Every eligible candidate of the position against the round's formula, in ranking
    order; refused while a required score is missing."""
    round_ = position.round
    if has_test is None:
        has_test = bool(tests_of_round(round_.id))
    formula = formula_of(round_)
    sources = _sources(position, formula, has_test)
    _check_formula_fits(round_, formula, sources)
    missing: dict[int, list[str]] = {}
    standings = [
        _standing(a, formula, sources, missing) for a in eligible_applications(position.id)
    ]
    problems = []
    for index, names in sorted(missing.items()):
        part = formula.parts[index]
        if part.kind == PartKind.INTERVIEW:
            problems.append(
                str(
                    _l(
                        "Chưa đủ %(n)d phiếu chấm cho: %(names)s.",
                        n=min_sheets_of(round_),
                        names=", ".join(names),
                    )
                )
            )
        else:
            problems.append(
                str(
                    _l(
                        "Chưa nhập điểm «%(p)s» cho: %(names)s.",
                        p=part.name,
                        names=", ".join(names),
                    )
                )
            )
    if problems:
        raise DomainError(" ".join(problems))
    return sorted(standings, key=Standing.sort_key)


def _tie_groups(standings: list[Standing]) -> list[list[Standing]]:
    """Consecutive runs of candidates equal in law (``tie_key``), in ranking order."""
    groups: list[list[Standing]] = []
    for standing in standings:
        if groups and groups[-1][0].tie_key() == standing.tie_key():
            groups[-1].append(standing)
        else:
            groups.append([standing])
    return groups


# --- words -----------------------------------------------------------------------------------


def _points(value: Decimal | None) -> str:
    return format_score(value)


def _notes(standing: Standing, spread_limit: int, *, tied: bool, outcome: Outcome) -> list[str]:
    notes = []
    scores = [s.score for s in standing.sheets]
    if scores and max(scores) - min(scores) > spread_limit:
        notes.append(str(_l("Điểm các thành viên chênh lệch quá %(n)d điểm.", n=spread_limit)))
    if outcome == Outcome.PENDING_COUNCIL:
        notes.append(str(_l("Bằng điểm: Hội đồng quyết định.")))
    elif tied:
        notes.append(str(_l("Bằng điểm, cùng hạng.")))
    if standing.absent_at is not None:
        part = standing.formula.parts[standing.absent_at]
        if part.kind == PartKind.COMPUTER_TEST:
            notes.append(str(_l("Không dự thi trắc nghiệm.")))
        else:
            notes.append(str(_l("Không dự thi «%(p)s».", p=part.name)))
    elif standing.failed_at is not None:
        part = standing.formula.parts[standing.failed_at]
        notes.append(
            str(_l("Dưới điểm tối thiểu phần «%(p)s» (%(g)d).", p=part.name, g=part.gate or 0))
        )
    return notes


def _part_line(standing: Standing, index: int) -> str:
    part = standing.formula.parts[index]
    if not standing.held[index]:
        return str(_l("%(p)s: kỳ thi không tổ chức phần này.", p=part.name))
    score = standing.scores.get(index)
    rules = []
    if part.gate is not None:
        rules.append(str(_l("điểm tối thiểu %(g)d", g=part.gate)))
    if part.weight is not None:
        rules.append(str(_l("trọng số %(w)d %%", w=part.weight)))
    if score is None:
        said = (
            str(_l("không dự thi"))
            if index == standing.absent_at
            else str(_l("không xét (đã dừng ở phần trước)"))
        )
    else:
        said = str(_l("%(s)s điểm", s=_points(score)))
        if part.gate is not None:
            said += " — " + (str(_l("đạt")) if score >= part.gate else str(_l("không đạt")))
    return str(_l("%(p)s: %(said)s (%(rules)s).", p=part.name, said=said, rules=", ".join(rules)))


def _rule_line(
    standing: Standing, outcome: Outcome, *, formula: FormulaSpec, posts: int, group: int
) -> str:
    chain = ", ".join(p.name for p in formula.chain)
    if outcome == Outcome.FAILED_GATE:
        if standing.absent_at is not None:
            return str(_l("Không dự thi một phần bắt buộc nên không được xét trúng tuyển."))
        part = formula.parts[standing.failed_at or 0]
        return str(
            _l(
                "Điểm phần «%(p)s» dưới mức tối thiểu %(g)d nên không được xét trúng tuyển.",
                p=part.name,
                g=part.gate or 0,
            )
        )
    if outcome == Outcome.SELECTED:
        return str(
            _l(
                "Trúng tuyển: tổng điểm từ %(m)d trở lên và nằm trong %(n)d chỉ tiêu của vị trí, "
                "xếp theo tổng điểm từ cao xuống thấp.",
                m=formula.winner_min_score,
                n=posts,
            )
        )
    if outcome == Outcome.PENDING_COUNCIL:
        return str(
            _l(
                "Bằng điểm với %(k)d thí sinh khác ở chỉ tiêu cuối cùng sau khi đã xét lần lượt "
                "%(chain)s: phần mềm không chọn, Hội đồng thi tuyển biểu quyết quyết định.",
                k=group - 1,
                chain=chain or _l("tổng điểm"),
            )
        )
    if outcome == Outcome.RESERVED:
        return str(
            _l(
                "Bảo lưu: tổng điểm từ %(m)d trở lên, xếp ngay sau người trúng tuyển trong "
                "%(r)d suất bảo lưu.",
                m=formula.winner_min_score,
                r=formula.reserve_count,
            )
        )
    if standing.total is not None and standing.total < formula.winner_min_score:
        return str(
            _l(
                "Không trúng tuyển: tổng điểm dưới mức tối thiểu %(m)d để trúng tuyển.",
                m=formula.winner_min_score,
            )
        )
    return str(
        _l(
            "Không trúng tuyển: đã đủ %(n)d chỉ tiêu cho những người xếp trên.",
            n=posts,
        )
    )


def explanation(
    standing: Standing, outcome: Outcome, *, rank: int, count: int, posts: int, group: int
) -> str:
    """The candidate's line in Vietnamese words: each part with its gate and weight, the
    total, the rank and the rule that made the outcome."""
    formula = standing.formula
    sentences = [_part_line(standing, i) for i in range(len(formula.parts))]
    if standing.total is not None:
        formula_words = " + ".join(f"{p.name} × {p.weight} %" for p in formula.weighted)
        sentences.append(
            str(
                _l(
                    "Tổng điểm: %(t)s (%(f)s, làm tròn 2 chữ số thập phân).",
                    t=_points(standing.total),
                    f=formula_words,
                )
            )
        )
    sentences.append(str(_l("Xếp hạng %(r)d trên %(n)d thí sinh.", r=rank, n=count)))
    sentences.append(_rule_line(standing, outcome, formula=formula, posts=posts, group=group))
    return " ".join(sentences)


# --- the computation -----------------------------------------------------------------------


def _outcomes(
    groups: list[list[Standing]], formula: FormulaSpec, posts: int
) -> tuple[list[Outcome], int]:
    """Each group's outcome and the posts left undecided by a tie at the winning line."""
    outcomes: list[Outcome] = []
    posts_left, reserve_left, undecided = posts, formula.reserve_count, 0
    for group in groups:
        first = group[0]
        reaches = first.total is not None and first.total >= formula.winner_min_score
        if not first.passed_gate:
            outcome = Outcome.FAILED_GATE
        elif not reaches:
            outcome = Outcome.NOT_SELECTED
        elif posts_left == 0:
            if reserve_left > 0:
                outcome, reserve_left = Outcome.RESERVED, max(reserve_left - len(group), 0)
            else:
                outcome = Outcome.NOT_SELECTED
        elif len(group) <= posts_left:
            outcome, posts_left = Outcome.SELECTED, posts_left - len(group)
        else:  # more equal candidates than posts left: not ours to choose
            outcome = Outcome.PENDING_COUNCIL
            undecided, posts_left = posts_left, 0
        outcomes.append(outcome)
    return outcomes, undecided


def compute_ranking(
    position: Position,
    *,
    actor: User,
    at: dt.datetime,
    has_test: bool | None = None,
    reason: str = "",
) -> Ranking:
    """Compute and keep a ranking of the position's eligible candidates under the round's
    formula (audited). ``has_test``: whether the round held its computer test (read from the
    round's tests when not given). ``reason``: why an approved ranking is computed again (a
    correction, an appeal: exam/results/publication.py::new_version)."""
    round_ = position.round
    # In the results stage until the Council approves it; then locked: a new version only
    # with its reason (exam/results/lifecycle.py).
    ensure_computable(position, reason=reason)
    standings = compute_standings(position, has_test=has_test)
    formula = standings[0].formula if standings else formula_of(round_)
    ranking = Ranking(
        position=position, computed_at=at, computed_by_id=actor.id, reason=reason.strip()
    )
    groups = _tie_groups(standings)
    outcomes, ranking.undecided_posts = _outcomes(groups, formula, position.posts)
    row_number = 0
    for group, outcome in zip(groups, outcomes, strict=True):
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
                    written_score=standing.written_score,
                    total=standing.total,
                    part_scores=_part_scores(standing),
                    outcome=outcome,
                    note=" ".join(
                        _notes(
                            standing,
                            round_.panel_spread_limit,
                            tied=len(group) > 1,
                            outcome=outcome,
                        )
                    ),
                    explanation=explanation(
                        standing,
                        outcome,
                        rank=rank,
                        count=len(standings),
                        posts=position.posts,
                        group=len(group),
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
            "totals": [[r.application.id, r.total] for r in ranking.rows],
            "undecided_posts": ranking.undecided_posts,
            "formula": {
                "preset": formula.preset.value,
                "winner_min_score": formula.winner_min_score,
                "reserve_count": formula.reserve_count,
                "parts": [
                    [p.kind.value, p.name, p.gate, p.weight, p.tie_break] for p in formula.parts
                ],
            },
        },
    )
    return ranking


def _part_scores(standing: Standing) -> list[dict]:
    return [
        {
            "kind": part.kind.value,
            "name": part.name,
            "score": None if standing.scores.get(i) is None else str(standing.scores[i]),
            "gate": part.gate,
            "weight": part.weight,
            "held": standing.held[i],
        }
        for i, part in enumerate(standing.formula.parts)
    ]
