"""What the candidates domain asks of a round before it moves on (registered with
``exam/rounds/stages.py``; imported by the app factory)."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

from exam.candidates.queries import position_counts
from exam.rounds.models import Round, RoundStatus
from exam.rounds.stages import stage_guard


@stage_guard(RoundStatus.TESTING)
def every_dossier_decided_and_enough_eligible(round_: Round, at: dt.datetime) -> list[str]:
    """Before the test: every dossier of a running position decided, and each such position
    with the round's minimum of eligible candidates (2424/BNV-CCVC)."""
    problems: list[str] = []
    active = [p for p in round_.positions if p.stopped_at is None]
    if not active:
        problems.append(str(_l("Không còn vị trí nào tiếp tục thi tuyển.")))
    for position in active:
        counts = position_counts(position)
        if counts.submitted:
            problems.append(
                str(_l("%(p)s: còn %(n)s hồ sơ chưa xét.", p=position.label, n=counts.submitted))
            )
        if counts.eligible < round_.min_candidates_per_position:
            problems.append(
                str(
                    _l(
                        "%(p)s: chỉ có %(n)s thí sinh đủ điều kiện, cần ít nhất %(m)s. "
                        "Dừng thi tuyển vị trí này hoặc xét lại hồ sơ.",
                        p=position.label,
                        n=counts.eligible,
                        m=round_.min_candidates_per_position,
                    )
                )
            )
    return problems
