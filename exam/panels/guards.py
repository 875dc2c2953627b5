"""What the panels ask of a round before its results are compiled (registered with
``exam/rounds/stages.py``; imported by the app factory)."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

from exam.panels.queries import (
    awaits_ruling,
    interview_list,
    min_sheets_of,
    panel_of_position,
    sealed_sheets,
)
from exam.rounds.models import Round, RoundStatus
from exam.rounds.stages import stage_guard


@stage_guard(RoundStatus.RESULTS)
def every_candidate_scored(round_: Round, at: dt.datetime) -> list[str]:
    """Before the results: each running position has its panel, and every candidate the
    panel may score has the round's minimum of sealed sheets (counted after recusals) and
    no spread awaiting the head's ruling."""
    problems: list[str] = []
    checked: set[int] = set()  # a panel serving several positions is checked once
    for position in round_.positions:
        if position.stopped_at is not None:
            continue
        panel = panel_of_position(position.id)
        if panel is None:
            problems.append(str(_l("Vị trí %(p)s chưa có ban phỏng vấn.", p=position.label)))
            continue
        if panel.id in checked:
            continue
        checked.add(panel.id)
        minimum = min_sheets_of(round_)
        for application in interview_list(panel):
            name = application.candidate.full_name
            # Counted after recusals: a recused member's sheet never exists.
            if len(sealed_sheets(panel, application)) < minimum:
                problems.append(
                    str(
                        _l(
                            "Ban phỏng vấn %(panel)s: thí sinh %(name)s chưa đủ %(n)s phiếu.",
                            panel=panel.name,
                            name=name,
                            n=minimum,
                        )
                    )
                )
            elif awaits_ruling(panel, application):
                problems.append(
                    str(
                        _l(
                            "Ban phỏng vấn %(panel)s: thí sinh %(name)s chờ Trưởng ban quyết "
                            "định về chênh lệch điểm.",
                            panel=panel.name,
                            name=name,
                        )
                    )
                )
    return problems
