"""The marking's rules on plain values (docs/domain.md §6): the codes, the identifying text,
the 100-point scale of the written part and the reconciliation of the markers' scores."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from random import Random
from typing import Any, TypeVar

from exam.core.i18n import fold
from exam.question_bank.qtypes import get_type

# Codes avoid letters and digits read alike (0/O, 1/I/L, 2/Z, 5/S, 8/B, 6/G): a marker or a
# secretary copies them by hand. 23 symbols, 6 of them: about 148 million codes per round.
CODE_ALPHABET = "ACDEFHJKMNPQRTUVWXY3479"
CODE_LENGTH = 6
CENT = Decimal("0.01")
PAPER_ITEM_ID = 0  # a paper test's scripts have one item, the test itself
T = TypeVar("T")


def new_code() -> str:
    """A random code, drawn by the operating system's generator: nothing about the candidate
    (not the registration number, not the order) goes into it."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def draw_markers(
    pool: Sequence[T], count: int, rng: Random, *, besides: Sequence[T] = ()
) -> list[T]:
    """``count`` different people drawn at random from ``pool``, none of ``besides`` (those
    already on the script): never the same person twice on one script."""
    candidates = [p for p in dict.fromkeys(pool) if p not in besides]
    if len(candidates) < count:
        raise ValueError("not enough markers to draw from")
    return rng.sample(candidates, count)


def half_up(value: Decimal) -> Decimal:
    """Two decimals, half up (TT 22: a mean "lấy đến hai chữ số thập phân")."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def marked_by_people(item: Any) -> bool:
    """An item of a paper that markers mark: an essay (a type not scored automatically), not
    voided (a voided question gives everyone its points)."""
    return not item.voided and not get_type(item.version.type).auto_scored


@dataclass(frozen=True)
class Criterion:
    """One line of a marking sheet: an essay item's criterion (index, wording, maximum), or
    the whole answer (index 0, the item's points) when its question has no criteria."""

    item_id: int
    index: int
    title: str
    max_points: Decimal

    @property
    def field(self) -> str:
        return f"mark-{self.item_id}-{self.index}"


@dataclass(frozen=True)
class PaperPart:
    """A paper test as the one item of its scanned scripts: ``id`` 0 (no paper item), its
    points and its criteria ``(wording, points)``."""

    title: str
    points: Decimal
    criteria: tuple[tuple[str, Any], ...]
    id: int = PAPER_ITEM_ID


def criteria_of(item: Any, whole_answer: str) -> list[Criterion]:
    if isinstance(item, PaperPart):
        rubric = [{"criterion": c, "points": p} for c, p in item.criteria]
    else:
        rubric = item.version.data.get("rubric", [])
    rubric = [r for r in rubric if float(r.get("points", 0)) > 0]
    if not rubric:
        return [Criterion(item.id, 0, whole_answer, half_up(Decimal(str(item.points))))]
    return [
        Criterion(item.id, index, str(r["criterion"]), half_up(Decimal(str(r["points"]))))
        for index, r in enumerate(rubric)
    ]


def item_points(item: Any, criteria_total: Decimal, rubric_total: Decimal) -> Decimal:
    """A sheet's points for an item on the paper's scale: the criteria's sum taken from the
    guide's total to the item's points (the same when the guide totals the item's points)."""
    points = Decimal(str(item.points))
    if rubric_total == points:
        return half_up(criteria_total)
    return half_up(criteria_total * points / rubric_total)


def on_hundred(points: Decimal, max_points: Decimal) -> Decimal:
    """Points of the written part on its 100-point scale, where TT 22's limits apply."""
    return half_up(points * 100 / max_points) if max_points else Decimal(0)


def mean(*values: Decimal) -> Decimal:
    return half_up(sum(values, Decimal(0)) / len(values))


class Next(Enum):
    FINAL = "final"
    DISCUSSION = "discussion"
    THIRD_MARKER = "third_marker"
    HEAD_DECIDES = "head_decides"


@dataclass(frozen=True)
class Outcome:
    """What follows the sheets: a final score (and which sheets it is the mean of: their
    turns), or the next step."""

    next: Next
    score: Decimal | None = None
    turns: tuple[int, ...] = ()


def reconcile_two(first: Decimal, second: Decimal, agree: Decimal, third: Decimal) -> Outcome:
    """TT 22 Art. 16 for two markers on the 100-point scale: a difference of at most
    ``agree`` (5) → their mean; of ``third`` (10) or more → a third marker; in between → the
    head of marking settles it with both markers."""
    difference = abs(first - second)
    if difference <= agree:
        return Outcome(Next.FINAL, mean(first, second), (1, 2))
    if difference >= third:
        return Outcome(Next.THIRD_MARKER)
    return Outcome(Next.DISCUSSION)


def reconcile_three(scores: dict[int, Decimal], agree: Decimal) -> Outcome:
    """After a third marker: "two of the three agreeing" means two scores at most ``agree``
    apart (the same limit that makes two markers' mean final), and the score is that pair's
    mean. When two pairs agree equally closely (the third marker exactly between), or none
    does, the head of marking decides after collective marking."""
    pairs = [
        (abs(scores[a] - scores[b]), (a, b))
        for a, b in ((1, 2), (1, 3), (2, 3))
        if abs(scores[a] - scores[b]) <= agree
    ]
    if not pairs:
        return Outcome(Next.HEAD_DECIDES)
    pairs.sort()
    if len(pairs) > 1 and pairs[0][0] == pairs[1][0]:
        return Outcome(Next.HEAD_DECIDES)
    turns = pairs[0][1]
    return Outcome(Next.FINAL, mean(*(scores[t] for t in turns)), turns)


def identifying_terms(texts: list[str], *, name: str, number: str, unit: str) -> list[str]:
    """What in the answers may identify the candidate: their full name, registration number
    or unit, compared without case or diacritics (``fold``)."""
    answers = fold(" ".join(texts))
    found = []
    for term in (name, number, unit):
        folded = fold(term)
        if folded and folded in answers:
            found.append(term)
    return found
