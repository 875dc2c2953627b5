"""What the appeals give the results (above which they sit, docs/domain.md §9): the appeal
window printed in each candidate's result notice, and, once an appeal changes a written
score, the position's ranking computed again as a new version (reason: the appeal), for the
Council to approve; the earlier version stays readable."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.appeals.models import Appeal
from exam.appeals.queries import appeal_rules, appeal_window_closes_on
from exam.council.queries import council_of
from exam.results.models import Ranking
from exam.results.publication import appeal_deadline_rule, new_version
from exam.results.queries import current_version
from exam.rounds.models import Round


@appeal_deadline_rule
def appeal_closes_on_for_results(round_: Round, published_on: dt.date) -> dt.date:
    return appeal_window_closes_on(published_on, appeal_rules(round_).appeal_working_days)


def new_version_after_appeal(
    appeal: Appeal, *, actor: User | None, at: dt.datetime
) -> Ranking | None:
    """The appealed position's ranking again, as a draft of its next version; None when its
    results were never approved (nothing published to replace)."""
    position = appeal.remark_script.application.position if appeal.remark_script else None
    if position is None or current_version(position.id) is None:
        return None
    reason = str(
        _l(
            "Phúc khảo bài thi viết của %(n)s: điểm %(p)s thay bằng %(r)s.",
            n=appeal.candidate.full_name,
            p=appeal.published_score,
            r=appeal.final_score,
        )
    )
    if actor is None:  # the re-marking closed by the system: the Council's Chair answers for it
        council = council_of(appeal.round_id)
        actor = council.leader.user if council is not None and council.leader else None
    if actor is None:
        return None
    return new_version(position, reason=reason, actor=actor, at=at)
