"""After the test: voiding a faulty question (every paper that had it is rescored) and the
item analysis as a spreadsheet (the statistics themselves: exam/exams/statistics.py)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.audit.reconcile import attempt_values
from exam.core.db import lock_row
from exam.core.errors import DomainError
from exam.core.spreadsheets import csv_writer
from exam.exams.models import Attempt, AttemptQuestion, AttemptStatus, Test, VoidedQuestion
from exam.exams.queries import item_analysis
from exam.exams.rules import required_text
from exam.exams.scoring import rescore
from exam.extensions import db
from exam.question_bank.models import Question, QuestionVersion
from exam.rounds.models import RoundStatus
from exam.rounds.stages import require_stage, stages_between

# --- after the test -------------------------------------------------------------------------


def void_question(
    test: Test, question: Question, *, reason: str, actor: User, at: dt.datetime
) -> VoidedQuestion:
    """A faulty question: every candidate who had it (any version) gets its points; the
    papers already submitted are rescored."""
    require_stage(
        test.round,
        *stages_between(RoundStatus.TESTING, RoundStatus.RESULTS),
        action=_l("hủy câu hỏi"),
    )
    reason = required_text(reason, "reason", _l("Ghi rõ lý do hủy câu hỏi."))
    lock_row(test)  # two questions voided at once: the second rescores with the first voided
    exists = db.session.scalars(
        sa.select(VoidedQuestion).where(
            VoidedQuestion.test_id == test.id, VoidedQuestion.question_id == question.id
        )
    ).first()
    if exists:
        raise DomainError(_l("Câu hỏi này đã được hủy."))
    items = db.session.scalars(
        sa.select(AttemptQuestion)
        .join(Attempt)
        .join(QuestionVersion)
        .where(Attempt.test_id == test.id, QuestionVersion.question_id == question.id)
    ).all()
    if not items:
        raise DomainError(_l("Câu hỏi này không có trong đề của thí sinh nào."))
    voided = VoidedQuestion(
        test_id=test.id, question_id=question.id, reason=reason, voided_by_id=actor.id, voided_at=at
    )
    db.session.add(voided)
    changes = []
    for item in items:
        item.voided = True
        attempt = item.attempt
        if attempt.status == AttemptStatus.SUBMITTED:
            old = attempt.final_score
            rescore(attempt)
            changes.append({"attempt": attempt.id, "before": old, "after": attempt.final_score})
    db.session.flush()
    record(
        "test.void_question",
        test,
        actor=actor,
        after={
            "question_id": question.id,
            "reason": reason,
            "papers": len(items),
            "rescored": changes,
        },
    )
    # Each rescored paper's new values in its own entry, as every change of a score has.
    rescored = {item.attempt for item in items if item.attempt.status == AttemptStatus.SUBMITTED}
    for attempt in sorted(rescored, key=lambda paper: paper.id):
        record("attempt.rescore", attempt, actor=actor, after=attempt_values(attempt))
    return voided


def _decimal(value: float | None) -> Decimal | str:
    # a number, not text: a negative index must stay a number in the escaped CSV
    return "" if value is None else Decimal(f"{value:.3f}")


def item_analysis_csv(test: Test) -> str:
    """The item analysis of a test as CSV text: one row per question, then the test's own
    figures (candidates, slots, Cronbach's alpha, KR-20)."""
    result = item_analysis(test)
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(
        [
            "question",
            "section",
            "type",
            "points",
            "voided",
            "candidates",
            "facility",
            "discrimination_27",
            "point_biserial",
            "no_answer",
            "options",
        ]
    )
    for item in result.items:
        options = " ".join(
            f"{letter}{'*' if right else ''}={count}" for letter, _, count, right in item.options
        )
        writer.writerow(
            [
                item.key,
                item.section,
                item.qtype,
                item.points,
                int(item.voided),
                item.n,
                _decimal(item.facility),
                _decimal(item.discrimination),
                _decimal(item.point_biserial),
                item.no_answer,
                options,
            ]
        )
    writer.writerow([])
    writer.writerow(["candidates", result.candidates])
    writer.writerow(["slots", result.slots])
    writer.writerow(["cronbach_alpha", _decimal(result.alpha)])
    writer.writerow(["kr20", _decimal(result.kr20)])
    return out.getvalue()
