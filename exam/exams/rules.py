"""The test's fixed rules: the session code's alphabet, when a paper takes answers, the
penalties' factors, and the errors the sitting raises. The numbers a board may change (late
entry, the bank-to-paper ratio, the penalties' percentages) have their defaults and ranges in
``exam/exams/models.py``."""

from __future__ import annotations

import datetime as dt
import secrets

from flask_babel import lazy_gettext as _l

from exam.core.errors import DomainError, ValidationFailed
from exam.exams.models import Attempt, AttemptStatus, Penalty, Test

SESSION_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I look-alikes


class AnswerRefused(DomainError):
    """An answer that arrived too late or for a paper that is closed."""


class AlreadySubmitted(DomainError):
    """A submit for a paper already submitted: a second click, or the same submit sent again
    (by the page after a lost answer, or by nginx to another node after a node died). The
    paper is not scored again; the candidate is shown the result as after the first."""

    def __init__(self) -> None:
        super().__init__(_l("Bài thi đã được nộp."))


class WrongCode(ValidationFailed):
    """A wrong session code on the start page (kept by ``note_wrong_code``)."""

    def __init__(self, given: str):
        super().__init__([("session_code", _l("Mã ca thi không đúng."))])
        self.given = given


class TooManyWrongCodes(DomainError):
    """The paper's code was typed wrong too often lately: no code is taken until
    ``retry_after`` seconds have passed (answered 429)."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message, "session_code")
        self.retry_after = retry_after


def new_session_code() -> str:
    return "".join(secrets.choice(SESSION_CODE_ALPHABET) for _ in range(6))


def required_text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed([(field, message)])
    return value


CLOSED_MESSAGE = _l("Bài thi đã đóng: câu trả lời không được ghi nhận.")


def accepting_answers(
    status: AttemptStatus | str, deadline_at: dt.datetime, at: dt.datetime, grace_seconds: int
) -> bool:
    return status == AttemptStatus.IN_PROGRESS and at <= deadline_at + dt.timedelta(
        seconds=grace_seconds
    )


def effective_status(attempt: Attempt, at: dt.datetime, grace_seconds: int = 0) -> AttemptStatus:
    """The paper's status as every reader shows it at ``at``: a paper whose time and grace
    are over is closed, whether or not the server has written its closing yet (the cron, the
    candidate's submit or the candidate's own calls write it; a reader never does)."""
    if attempt.status == AttemptStatus.IN_PROGRESS and not accepting_answers(
        attempt.status, attempt.deadline_at, at, grace_seconds
    ):
        return AttemptStatus.SUBMITTED
    return attempt.status


def is_answered(response: object) -> bool:
    return response not in (None, "", [], {})


def penalty_factor(test: Test, penalty: Penalty) -> float:
    return penalty_factor_of(penalty, test.reprimand_percent, test.warning_percent)


def penalty_factor_of(penalty: Penalty, reprimand_percent: int, warning_percent: int) -> float:
    """``penalty_factor`` from the test's percentages as read by the fast path."""
    return {
        Penalty.NONE: 1.0,
        Penalty.REPRIMAND: 1 - reprimand_percent / 100,
        Penalty.WARNING: 1 - warning_percent / 100,
        Penalty.SUSPENSION: 0.0,
    }[penalty]
