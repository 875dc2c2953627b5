"""What the panels ask of a round before its results are compiled (registered with
``exam/rounds/stages.py``; imported by the app factory)."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

from exam.panels.operations import MIN_PANEL_MEMBERS
from exam.panels.queries import interview_list, panel_of_position, sheets_for_application
from exam.rounds.models import Round, RoundStatus
from exam.rounds.stages import stage_guard


@stage_guard(RoundStatus.RESULTS)
def every_candidate_scored(round_: Round, at: dt.datetime) -> list[str]:
    """Before the results: each running position has its panel, and every candidate the
    panel may score has at least ``MIN_PANEL_MEMBERS`` sheets (the ranking needs them)."""
    problems: list[str] = []
    for position in round_.positions:
        if position.stopped_at is not None:
            continue
        panel = panel_of_position(position.id)
        if panel is None:
            problems.append(str(_l("Vị trí %(p)s chưa có ban phỏng vấn.", p=position.label)))
            continue
        short = [
            application.candidate.full_name
            for application in interview_list(panel)
            if len(sheets_for_application(application)) < MIN_PANEL_MEMBERS
        ]
        if short:
            problems.append(
                str(
                    _l(
                        "Ban phỏng vấn vị trí %(p)s chưa đủ %(n)s phiếu cho: %(names)s.",
                        p=position.label,
                        n=MIN_PANEL_MEMBERS,
                        names=", ".join(short),
                    )
                )
            )
    return problems
