"""What the computer tests ask of a round before the interviews (registered with
``exam/rounds/stages.py``; imported by the app factory).

Papers are drawn only in the testing stage and the round leaves it only once every paper is
over, so nobody sits a test in another stage."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from exam.exams.closing import as_read
from exam.exams.models import Attempt, AttemptStatus
from exam.exams.queries import tests_of_round
from exam.exams.sitting import close_expired_attempts
from exam.extensions import db
from exam.rounds.models import Round, RoundStatus
from exam.rounds.stages import on_entering, stage_guard


def _still_open(attempt: Attempt, at: dt.datetime, grace_seconds: int) -> bool:
    """Still being sat, or may still be started, at ``at``."""
    if attempt.status == AttemptStatus.READY:
        return at < attempt.deadline_at
    return at <= attempt.deadline_at + dt.timedelta(seconds=grace_seconds)


@stage_guard(RoundStatus.INTERVIEWS)
def every_paper_over_and_marked(round_: Round, at: dt.datetime) -> list[str]:
    """Before the interviews (the test is their gate): every paper submitted or past its
    time, and every essay marked."""
    grace = current_app.config["ANSWER_GRACE_SECONDS"]
    problems: list[str] = []
    for test in tests_of_round(round_.id):
        unfinished = db.session.scalars(
            sa.select(Attempt).where(
                Attempt.test_id == test.id, Attempt.status != AttemptStatus.SUBMITTED
            )
        ).all()
        running = [a for a in unfinished if _still_open(a, at, grace)]
        # Closed by their time but not yet by the server: marked as the closing will mark.
        expired = [
            a
            for a in unfinished
            if a.status == AttemptStatus.IN_PROGRESS and not _still_open(a, at, grace)
        ]
        unmarked = db.session.scalar(
            sa.select(sa.func.count()).where(
                Attempt.test_id == test.id,
                Attempt.status == AttemptStatus.SUBMITTED,
                Attempt.final_score.is_(None),
            )
        ) + sum(1 for a in expired if as_read(a, at=at, grace_seconds=grace).pending_marking)
        if running:
            problems.append(
                str(_l("%(t)s: còn %(n)s bài thi chưa kết thúc.", t=test.title, n=len(running)))
            )
        if unmarked:
            problems.append(
                str(_l("%(t)s: %(n)s bài tự luận chưa chấm xong.", t=test.title, n=unmarked))
            )
    return problems


@on_entering(RoundStatus.INTERVIEWS)
def close_the_papers_whose_time_is_up(round_: Round, at: dt.datetime) -> None:
    """Papers over by their time but not yet closed by the server (the cron runs each minute;
    a round may move on before it did) are closed as the round leaves the testing stage, so
    the interviews' list and the results read every paper closed and scored."""
    test_ids = [test.id for test in tests_of_round(round_.id)]
    if test_ids:
        close_expired_attempts(
            at=at,
            grace_seconds=current_app.config["ANSWER_GRACE_SECONDS"],
            where=Attempt.test_id.in_(test_ids),
        )
