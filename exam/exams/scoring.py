"""Scoring a paper: each item's points, the automatic part, the final score with the
penalty, and the marks given by people."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.audit.reconcile import attempt_values
from exam.core.errors import DomainError, ValidationFailed
from exam.exams.models import Attempt, AttemptQuestion, AttemptStatus
from exam.exams.rules import is_answered, penalty_factor
from exam.question_bank.qtypes import get_type
from exam.rounds.models import RoundStatus
from exam.rounds.stages import require_stage, stages_between

# --- scoring --------------------------------------------------------------------------------


def auto_scored(item: AttemptQuestion) -> bool:
    return get_type(item.version.type).auto_scored


def answer_points(qtype: str, data: dict[str, Any], points: float, response: Any) -> float | None:
    """The points a response earns by its question's key: what an answer stores when it is
    saved (``Answer.points``). None for a question scored by people (an essay)."""
    kind = get_type(qtype)
    if not kind.auto_scored:
        return None
    if not is_answered(response):
        return 0.0
    fraction = kind.score_fraction(data, response)
    return round(points * min(1.0, max(0.0, fraction)), 4)


def _item_points(item: AttemptQuestion) -> float | None:
    """Points earned by one item: all of them when voided, the type's score when scored
    automatically, the mark given by people otherwise (None until marked)."""
    if item.voided:
        return item.points
    if not auto_scored(item):
        return item.awarded_points
    answer = item.answer
    if answer is None:
        return 0.0
    return answer_points(item.version.type, item.version.data, item.points, answer.response)


@dataclass(frozen=True)
class PaperScores:
    """A paper's scores, computed without writing: each item's points (in the order of
    ``attempt.questions``), the automatic part and the final score."""

    points: tuple[float | None, ...]
    score: float
    final_score: float | None  # None while an item awaits marking


def scores_of(earned: Sequence[tuple[float | None, bool]], factor: float) -> PaperScores:
    """The scores of a paper from each item's (points earned, scored automatically or
    voided), in the paper's order, and its penalty's factor: the one sum that the ORM's
    ``paper_scores`` and the fast path's submit and closing share."""
    objective, total, pending = 0.0, 0.0, False
    for points, automatic in earned:
        if points is None:
            pending = True
            continue
        total += points
        if automatic:
            objective += points
    final = None if pending else round(total * factor, 2)
    return PaperScores(tuple(points for points, _ in earned), round(objective, 2), final)


def paper_scores(attempt: Attempt) -> PaperScores:
    """Each item's points, the automatic part and the final score (None while an item awaits
    marking; the penalty applied), read from the paper as it stands."""
    earned = [(_item_points(item), item.voided or auto_scored(item)) for item in attempt.questions]
    return scores_of(earned, penalty_factor(attempt.test, attempt.penalty))


def rescore(attempt: Attempt) -> None:
    """Recompute a submitted paper and write its scores (``paper_scores``)."""
    scores = paper_scores(attempt)
    for item, points in zip(attempt.questions, scores.points, strict=True):
        item.awarded_points = points
        _refresh_stored_points(item)
    attempt.score = scores.score
    attempt.final_score = scores.final_score


def _refresh_stored_points(item: AttemptQuestion) -> None:
    """The answer's stored points recomputed from its question's key as it stands (a key
    corrected after the test), so that the stored points always match a rescore."""
    answer = item.answer
    if answer is not None:
        stored = answer_points(item.version.type, item.version.data, item.points, answer.response)
        if answer.points != stored:
            answer.points = stored


def record_item_points(
    item: AttemptQuestion,
    points: float,
    *,
    actor: User,
    at: dt.datetime,
    on_appeal: bool = False,
) -> AttemptQuestion:
    """The mark of a question scored by people (an essay), once the paper is submitted;
    the paper's final score follows when its last such question is marked. ``on_appeal``:
    the re-marked points an appeal's outcome writes once the results are published."""
    attempt = item.attempt
    stages = (
        (RoundStatus.PUBLISHED,)
        if on_appeal
        else stages_between(RoundStatus.TESTING, RoundStatus.RESULTS)
    )
    require_stage(attempt.test.round, *stages, action=_l("chấm bài"))
    if attempt.status != AttemptStatus.SUBMITTED:
        raise DomainError(_l("Bài thi chưa nộp."))
    if auto_scored(item) or item.voided:
        raise DomainError(_l("Câu hỏi này được chấm tự động."))
    if not 0 <= points <= item.points:
        raise ValidationFailed(
            [("points", _l("Điểm phải từ 0 đến %(max)s.", max=f"{item.points:g}"))]
        )
    before = item.awarded_points
    item.awarded_points = round(points, 2)
    rescore(attempt)
    record(
        "attempt.mark_item",
        attempt,
        actor=actor,
        before={"item": item.id, "points": before},
        after={"item": item.id, "points": item.awarded_points, **attempt_values(attempt)},
    )
    return item
