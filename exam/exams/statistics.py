"""Classical test theory, as pure functions on plain numbers (no database, no Flask).

Definitions (as in Moodle's quiz statistics and the usual psychometric texts):

- facility (p): the mean score on an item as a share of its points (for a right/wrong
  item, the share of candidates who got it right). Low p = hard.
- discrimination index (D): p among the upper 27 % of candidates by total score minus p
  among the lower 27 % (Kelley). From −1 to 1; below 0.2 the item separates poorly.
- point-biserial (r_pb): Pearson's correlation between the item score and the *rest*
  score (the total without this item), so an item is not correlated with itself.
- Cronbach's alpha: k/(k−1) · (1 − Σ var(item) / var(total)); KR-20 is the same formula
  for right/wrong items, with var(item) = p·q. Population variances throughout.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

UPPER_LOWER_FRACTION = 0.27


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def variance(values: Sequence[float]) -> float | None:
    """Population variance (divided by n)."""
    m = mean(values)
    if m is None:
        return None
    return sum((v - m) ** 2 for v in values) / len(values)


def facility(scores: Sequence[float], max_points: float) -> float | None:
    m = mean(scores)
    if m is None or max_points <= 0:
        return None
    return m / max_points


def discrimination_index(
    scores: Sequence[float],
    totals: Sequence[float],
    max_points: float,
    fraction: float = UPPER_LOWER_FRACTION,
) -> float | None:
    """Facility in the upper group minus facility in the lower group, the groups being the
    ``fraction`` of candidates with the highest and the lowest totals (at least one each;
    ties in the total keep the candidates' order)."""
    n = len(scores)
    if n < 2 or n != len(totals) or max_points <= 0:
        return None
    size = max(1, round(n * fraction))
    size = min(size, n // 2)
    order = sorted(range(n), key=lambda i: totals[i])
    lower = [scores[i] for i in order[:size]]
    upper = [scores[i] for i in order[-size:]]
    return (sum(upper) / size - sum(lower) / size) / max_points


def pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    n = len(x)
    if n < 2 or n != len(y):
        return None
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def point_biserial(scores: Sequence[float], totals: Sequence[float]) -> float | None:
    """Correlation of the item with the rest of the test (total minus the item)."""
    if len(scores) != len(totals):
        return None
    rest = [t - s for s, t in zip(scores, totals, strict=True)]
    return pearson(scores, rest)


def cronbach_alpha(matrix: Sequence[Sequence[float]]) -> float | None:
    """``matrix``: one row per candidate, one column per item (same items for all)."""
    if len(matrix) < 2:
        return None
    k = len(matrix[0])
    if k < 2 or any(len(row) != k for row in matrix):
        return None
    item_variances = [variance([row[j] for row in matrix]) or 0.0 for j in range(k)]
    total_variance = variance([sum(row) for row in matrix])
    if not total_variance:
        return None
    return k / (k - 1) * (1 - sum(item_variances) / total_variance)


def kr20(matrix: Sequence[Sequence[float]]) -> float | None:
    """KR-20 for right/wrong items scored 0 or 1; None if any score is something else."""
    if any(value not in (0, 1) for row in matrix for value in row):
        return None
    if len(matrix) < 2:
        return None
    k = len(matrix[0])
    if k < 2 or any(len(row) != k for row in matrix):
        return None
    n = len(matrix)
    pq = 0.0
    for j in range(k):
        p = sum(row[j] for row in matrix) / n
        pq += p * (1 - p)
    total_variance = variance([sum(row) for row in matrix])
    if not total_variance:
        return None
    return k / (k - 1) * (1 - pq / total_variance)


def option_frequencies(responses: Iterable[object]) -> Counter:
    """How often each option was chosen: a response is an option id, a list of them (each
    counted), a boolean (True/False counted as such) or None (counted as None: no answer)."""
    counts: Counter = Counter()
    for response in responses:
        if isinstance(response, list):
            if not response:
                counts[None] += 1
            for option in response:
                counts[option] += 1
        elif response == "" or response is None:
            counts[None] += 1
        else:
            counts[response] += 1
    return counts
