"""A paper whose time is up is closed when read (docs/architecture.md, Transactions).

Only the cron (`flask exams close-expired`), the candidate's own submit and the candidate's
own requests write the closing (``exam.exams.sitting.close_if_expired``). Every other reader
(the board's lists, the invigilators' console and pages, the results' inputs) shows the paper
through ``as_read``: closed by the server at its deadline and scored as the closing will
score it, with nothing written, so a GET never writes."""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import Any

from exam.exams.models import Attempt, AttemptStatus
from exam.exams.rules import effective_status
from exam.exams.scoring import PaperScores, paper_scores
from exam.exams.sitting import load_paper


class ClosedOnRead:
    """An expired paper the server has not closed yet, as it will be once closed: submitted
    by the server at its deadline, scored (on first use of a score). Every other attribute is
    the paper's own. Read-only: the paper in the session is not changed."""

    status = AttemptStatus.SUBMITTED
    submitted_by_server = True
    # The paper's own rules on its scores, applied to the scores below.
    score_percent = Attempt.score_percent
    pending_marking = Attempt.pending_marking

    def __init__(self, attempt: Attempt):
        self._attempt = attempt

    def __getattr__(self, name: str) -> Any:
        if name == "_attempt":  # not set yet (a copy): no recursion
            raise AttributeError(name)
        return getattr(self._attempt, name)

    @property
    def submitted_at(self) -> dt.datetime:
        return self._attempt.deadline_at

    @cached_property
    def _scores(self) -> PaperScores:
        load_paper(self._attempt)  # the answers saved without the ORM, fresh
        return paper_scores(self._attempt)

    @property
    def score(self) -> float:
        return self._scores.score

    @property
    def final_score(self) -> float | None:
        return self._scores.final_score


def as_read(attempt: Attempt, *, at: dt.datetime, grace_seconds: int) -> Attempt | ClosedOnRead:
    """The paper as readers see it at ``at``: itself, or closed when its time and grace are
    over (``effective_status``)."""
    if effective_status(attempt, at, grace_seconds) != attempt.status:
        return ClosedOnRead(attempt)
    return attempt
