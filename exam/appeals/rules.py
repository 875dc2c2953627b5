"""The appeal's rules on plain values (docs/domain.md §9; NĐ 170/2025 Art. 16, TT 22 Art. 17–18):
the window in working days, the re-marking's reconciliation, and what a re-mark does to the
published score. The numbers are round settings (``MarkingPlan``'s appeal columns) whose
defaults are the law's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum

from exam.core.calendar import add_working_days, is_working_day  # noqa: F401  (re-exported)
from exam.marking.models import (  # the law's values, the defaults of the round's settings
    APPEAL_WORKING_DAYS_DEFAULT,  # "trong thời hạn 05 ngày làm việc kể từ ngày thông báo"
    REMARK_AGREE_LIMIT_DEFAULT,  # two re-markers within it: their mean
    REMARK_DAYS_DEFAULT,
    REPLACE_LIMIT_DEFAULT,  # a re-mark this far from the published score: the Chair
)

CENT = Decimal("0.01")


def appeal_closes_on(
    published_on: dt.date,
    holidays: Collection[dt.date],
    working_days: int = APPEAL_WORKING_DAYS_DEFAULT,
) -> dt.date:
    """The last day (Hanoi) an appeal may be filed: the ``working_days``-th working day after
    the day of publication, which does not count (a period in days starts the next day, Bộ
    luật Dân sự 2015 Art. 147)."""
    return add_working_days(published_on, working_days, holidays)


def within_window(
    filed_on: dt.date,
    published_on: dt.date,
    holidays: Collection[dt.date],
    working_days: int = APPEAL_WORKING_DAYS_DEFAULT,
) -> bool:
    """An appeal filed on ``filed_on`` (Hanoi date) is in time: on the day of publication or
    after it, until the end of the window's last day."""
    return published_on <= filed_on <= appeal_closes_on(published_on, holidays, working_days)


def remark_due_on(window_closes_on: dt.date, days: int = REMARK_DAYS_DEFAULT) -> dt.date:
    """The last day of the re-marking: ``days`` (10, up to 20) counted from the day after the
    appeal window's last day, which does not count (Bộ luật Dân sự 2015 Art. 147)."""
    return window_closes_on + dt.timedelta(days=days)


def _mean(*values: Decimal) -> Decimal:
    return (sum(values, Decimal(0)) / len(values)).quantize(CENT, rounding=ROUND_HALF_UP)


class RemarkNext(Enum):
    FINAL = "final"
    THIRD_MARKER = "third_marker"


def reconcile_remark(
    scores: list[Decimal], agree: Decimal = REMARK_AGREE_LIMIT_DEFAULT
) -> tuple[RemarkNext, Decimal | None]:
    """The re-marking (§9): two re-markers at most ``agree`` apart → their mean; else a third;
    of three, the closest pair at most ``agree`` apart → its mean (two pairs equally close:
    the mean of the three), no pair → the mean of the three."""
    if len(scores) == 2:
        first, second = scores
        if abs(first - second) <= agree:
            return RemarkNext.FINAL, _mean(first, second)
        return RemarkNext.THIRD_MARKER, None
    if len(scores) != 3:
        raise ValueError("two or three re-markers")
    pairs = sorted(
        (abs(scores[a] - scores[b]), (a, b))
        for a, b in ((0, 1), (0, 2), (1, 2))
        if abs(scores[a] - scores[b]) <= agree
    )
    if not pairs or (len(pairs) > 1 and pairs[0][0] == pairs[1][0]):
        return RemarkNext.FINAL, _mean(*scores)
    a, b = pairs[0][1]
    return RemarkNext.FINAL, _mean(scores[a], scores[b])


class RemarkDecision(Enum):
    REPLACES = "replaces"  # the re-mark replaces the published score
    CHAIR_DECIDES = "chair_decides"  # after a minuted meeting of the Council


def remark_decision(
    published: Decimal, remarked: Decimal, limit: Decimal = REPLACE_LIMIT_DEFAULT
) -> RemarkDecision:
    """A re-mark less than ``limit`` (5) from the published score replaces it; ``limit`` or
    more goes to the Chair after a minuted Council meeting."""
    if abs(remarked - published) < limit:
        return RemarkDecision.REPLACES
    return RemarkDecision.CHAIR_DECIDES
