"""What the results ask of a round before they are published (registered with
``exam/rounds/stages.py``; imported by the app factory)."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

from exam.results.queries import latest_ranking
from exam.rounds.models import Round, RoundStatus
from exam.rounds.stages import stage_guard


@stage_guard(RoundStatus.PUBLISHED)
def every_ranking_computed(round_: Round, at: dt.datetime) -> list[str]:
    """Before publication: each running position has its ranking computed."""
    return [
        str(_l("Vị trí %(p)s chưa tổng hợp kết quả.", p=position.label))
        for position in round_.positions
        if position.stopped_at is None and latest_ranking(position.id) is None
    ]
