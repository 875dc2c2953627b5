"""Submitting a paper and the server's closing of expired papers on the fast path: the
points of each answer were scored when it was saved (``Answer.points``), so closing a paper
reads its items' stored points (one statement for a whole batch of papers), adds them up as
``rescore`` does (``exam.exams.scoring.scores_of``) and writes the paper, its items' points
and its audit entry to the pending journal: on PostgreSQL one statement, on SQLite three.
No ORM, no version's data, no response is read.

Both run in the caller's transaction (several writes): the candidate's submit under
``commit_after(…, write_lock=True)``, the server's closing one batch per transaction
(``exam.exams.sitting.close_expired_attempts``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.audit.operations import pending_fields
from exam.core.errors import DomainError
from exam.exams.hotpath.adapters import PaperToScore
from exam.exams.hotpath.paper import NotYours
from exam.exams.hotpath.runner import StatementRunner, run_statements
from exam.exams.hotpath.statements import Statement
from exam.exams.models import Answer, AttemptQuestion, AttemptStatus
from exam.exams.rules import AlreadySubmitted, accepting_answers, penalty_factor_of
from exam.exams.scoring import PaperScores, answer_points, scores_of
from exam.extensions import db
from exam.question_bank.models import QuestionVersion
from exam.question_bank.qtypes import get_type


@dataclass(frozen=True)
class _Candidate:
    """Who submitted, for the audit trail (the user object is not loaded)."""

    id: int
    email: str


def submit_paper(
    attempt_id: int,
    candidate_id: int,
    *,
    session_token: str,
    at: dt.datetime,
    grace_seconds: int,
) -> bool:
    """The candidate's submit: True when submitted now; False when the paper's time and
    grace were over, so that the server closed it now at its deadline (as
    ``close_if_expired``). Refused when already submitted or not started."""
    db.session.connection()  # in the caller's transaction (several writes), never autocommit
    with run_statements() as run:
        row = run(
            Statement.SUBMIT_STATE,
            {"attempt": attempt_id, "candidate": candidate_id, "token": session_token},
        )
        if row is None:
            raise NotYours()
        if row.paper.status == AttemptStatus.SUBMITTED:
            raise AlreadySubmitted()
        if row.paper.status != AttemptStatus.IN_PROGRESS:
            raise DomainError(_l("Bài thi chưa bắt đầu."))
        paper = _papers_to_score(run, [attempt_id])[attempt_id]
        if not accepting_answers(paper.paper.status, paper.paper.deadline_at, at, grace_seconds):
            _close(run, attempt_id, paper, by_server=True, actor=None, at=at)
            return False
        candidate = _Candidate(candidate_id, row.email)
        _close(run, attempt_id, paper, by_server=False, actor=candidate, at=at)
        return True


def close_papers(attempt_ids: list[int], *, at: dt.datetime, grace_seconds: int) -> int:
    """The server closes those of ``attempt_ids`` still in progress whose time and grace are
    over at ``at``, each submitted at its deadline: one batch, in the caller's transaction.
    Returns how many it closed."""
    if not attempt_ids:
        return 0
    closed = 0
    db.session.connection()  # in the caller's transaction (several writes), never autocommit
    with run_statements() as run:
        locked = run(Statement.LOCK_PAPERS, {"papers": sorted(attempt_ids)})
        if not locked:
            return 0
        papers = _papers_to_score(run, locked)
        for attempt_id in locked:
            paper = papers[attempt_id]
            state = paper.paper
            if accepting_answers(state.status, state.deadline_at, at, grace_seconds):
                continue  # given more time meanwhile
            closed += _close(run, attempt_id, paper, by_server=True, actor=None, at=at)
    return closed


def _papers_to_score(run: StatementRunner, attempt_ids: list[int]) -> dict[int, PaperToScore]:
    papers = run(Statement.SCORING_ROWS, {"papers": attempt_ids})
    unscored = [
        item.item
        for paper in papers.values()
        for item in paper.items
        if item.answered is not None and item.stored_points is None and _by_key(item.type)
    ]
    if unscored:  # saved before the points were stored with each answer: scored once now
        _store_points(unscored)
        papers = run(Statement.SCORING_ROWS, {"papers": attempt_ids})
    return papers


def _by_key(qtype: str) -> bool:
    return get_type(qtype).auto_scored


def _store_points(item_ids: list[int]) -> None:
    rows = db.session.execute(
        sa.select(
            Answer.id,
            Answer.response,
            AttemptQuestion.points,
            QuestionVersion.type,
            QuestionVersion.data,
        )
        .join(AttemptQuestion, AttemptQuestion.id == Answer.attempt_question_id)
        .join(QuestionVersion, QuestionVersion.id == AttemptQuestion.question_version_id)
        .where(Answer.attempt_question_id.in_(item_ids))
    ).all()
    for row in rows:
        points = answer_points(row.type, row.data, row.points, row.response)
        db.session.execute(sa.update(Answer).where(Answer.id == row.id).values(points=points))


def paper_scores_from_stored(paper: PaperToScore) -> PaperScores:
    """``exam.exams.scoring.paper_scores`` from the points stored with the answers."""
    earned = []
    for item in paper.items:
        by_key = _by_key(item.type)
        if item.voided:
            points = item.points
        elif not by_key:
            points = item.awarded_points
        else:
            points = item.stored_points if item.stored_points is not None else 0.0
        earned.append((points, item.voided or by_key))
    factor = penalty_factor_of(paper.penalty, paper.reprimand_percent, paper.warning_percent)
    return scores_of(earned, factor)


def _close(
    run: StatementRunner,
    attempt_id: int,
    paper: PaperToScore,
    *,
    by_server: bool,
    actor: _Candidate | None,
    at: dt.datetime,
) -> int:
    """Write the paper's closing (``Statement.CLOSE`` and ``SCORE_ITEMS``) and its audit
    entry, with the values ``submit_attempt`` records. 1 when it was still in progress."""
    scores = paper_scores_from_stored(paper)
    submitted_at = min(at, paper.paper.deadline_at) if by_server else at
    values = {
        "attempt": attempt_id,
        "submitted": submitted_at,
        "by_server": by_server,
        "paper_score": scores.score,
        "paper_final_score": scores.final_score,
        "at": at,
    }
    audit = {
        "actor": actor,
        "object_type": "Attempt",
        "object_id": attempt_id,
        "after": {
            "by_server": by_server,
            "score": scores.score,
            "final_score": scores.final_score,
            "item_points": {
                str(item.item): points
                for item, points in zip(paper.items, scores.points, strict=True)
                if points is not None
            },
        },
    }
    fields = pending_fields("attempt.submit", **audit)
    if run.dialect == "postgresql":  # the paper, its items and its entry: one statement
        return run(Statement.CLOSE_AUDITED, values | fields)
    if not run(Statement.CLOSE, values):
        return 0
    run(Statement.SCORE_ITEMS, {"attempt": attempt_id})
    run(Statement.PENDING_ENTRY, fields)
    return 1
