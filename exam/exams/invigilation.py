"""What invigilators do in the room: extra time, a retake after a machine failure, an
incident and its measure."""

from __future__ import annotations

import datetime as dt
import math

from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.audit.reconcile import attempt_values
from exam.core.errors import DomainError, ValidationFailed
from exam.core.i18n import to_local
from exam.exams.models import Attempt, AttemptStatus, Incident, Penalty, TimeGrant
from exam.exams.rules import required_text
from exam.exams.scoring import auto_scored, rescore
from exam.exams.sitting import lock_paper, submit_attempt
from exam.rounds.models import RoundStatus
from exam.rounds.stages import require_stage, stages_between

# A measure changes a score: never once the results are published.
_UNTIL_RESULTS = stages_between(RoundStatus.TESTING, RoundStatus.RESULTS)

# --- the invigilator's actions --------------------------------------------------------------


def grant_extra_time(
    attempt: Attempt, *, minutes: int, reason: str, actor: User, at: dt.datetime
) -> TimeGrant:
    """Add minutes to one candidate's time (a paper not yet submitted), with the reason."""
    require_stage(attempt.test.round, RoundStatus.TESTING, action=_l("cộng thêm giờ làm bài"))
    reason = required_text(reason, "reason", _l("Ghi rõ lý do cộng thêm giờ."))
    if not 1 <= minutes <= 600:
        raise ValidationFailed([("minutes", _l("Từ 1 đến 600 phút."))])
    lock_paper(attempt)  # two grants add up; a paper closed meanwhile is seen closed
    if attempt.status == AttemptStatus.SUBMITTED:
        raise DomainError(_l("Bài thi đã nộp: hãy dùng «Cho thi lại» nếu máy bị lỗi."))
    before = attempt.deadline_at
    grant = TimeGrant(
        minutes=minutes, reason=reason, granted_by_id=actor.id, granted_at=at, reopened=False
    )
    attempt.time_grants.append(grant)
    attempt.extra_minutes += minutes
    record(
        "attempt.extra_time",
        attempt,
        actor=actor,
        before={"deadline": before},
        after={"deadline": attempt.deadline_at, "minutes": minutes, "reason": reason},
    )
    return grant


def allow_retake(
    attempt: Attempt, *, minutes: int, reason: str, actor: User, at: dt.datetime
) -> Attempt:
    """After a machine failure, the same paper goes on (on another machine) with ``minutes``
    from now: a paper in progress gets the time added, a submitted one is reopened with
    every saved answer. Only on the day of its session (docs/domain.md: retake in the same
    session)."""
    require_stage(attempt.test.round, RoundStatus.TESTING, action=_l("cho thí sinh thi lại"))
    reason = required_text(reason, "reason", _l("Ghi rõ sự cố máy tính."))
    if not 1 <= minutes <= 600:
        raise ValidationFailed([("minutes", _l("Từ 1 đến 600 phút."))])
    lock_paper(attempt)
    if attempt.status == AttemptStatus.READY:
        raise DomainError(_l("Thí sinh chưa bắt đầu làm bài."))
    if attempt.penalty == Penalty.SUSPENSION:
        raise DomainError(_l("Thí sinh đã bị đình chỉ thi."))
    if to_local(at).date() != to_local(attempt.session.starts_at).date():
        raise DomainError(_l("Chỉ cho thi lại trong ngày thi của ca thi."))
    before = {
        "status": attempt.status,
        "deadline": attempt.deadline_at,
        "score": attempt.score,
        "submitted_at": attempt.submitted_at,
    }
    lock_paper(attempt)
    reopened = attempt.status == AttemptStatus.SUBMITTED
    # Minutes so that the candidate has ``minutes`` from now (at least).
    lacking = (at + dt.timedelta(minutes=minutes) - attempt.deadline_at).total_seconds()
    added = max(0, math.ceil(lacking / 60))
    if added:
        attempt.extra_minutes += added
        attempt.time_grants.append(
            TimeGrant(
                minutes=added, reason=reason, granted_by_id=actor.id, granted_at=at, reopened=True
            )
        )
    if reopened:
        attempt.status = AttemptStatus.IN_PROGRESS
        attempt.submitted_at = None
        attempt.submitted_by_server = False
        attempt.score = attempt.final_score = None
        attempt.acknowledged_at = None
        for item in attempt.questions:
            if auto_scored(item) or item.voided:
                item.awarded_points = None
    record(
        "attempt.retake",
        attempt,
        actor=actor,
        before=before,
        after={
            "status": attempt.status,
            "deadline": attempt.deadline_at,
            "minutes_added": added,
            "reopened": reopened,
            "reason": reason,
            **attempt_values(attempt),
        },
    )
    return attempt


def record_incident(
    attempt: Attempt, *, penalty: Penalty, description: str, actor: User, at: dt.datetime
) -> Incident:
    """A breach of the rules and its measure (TT 22 Nội quy): the most severe measure applies
    to the final score; a suspension ends the sitting at once and voids the result."""
    require_stage(attempt.test.round, *_UNTIL_RESULTS, action=_l("lập biên bản vi phạm"))
    lock_paper(attempt)  # a submit in flight first: the measure applies to its final score
    description = required_text(
        description, "description", _l("Mô tả vi phạm (nội dung biên bản).")
    )
    if attempt.status == AttemptStatus.READY:
        raise DomainError(_l("Thí sinh chưa bắt đầu làm bài."))
    incident = Incident(
        penalty=penalty, description=description, recorded_by_id=actor.id, recorded_at=at
    )
    attempt.incidents.append(incident)
    before = {"penalty": attempt.penalty, "final_score": attempt.final_score}
    if penalty.severity > attempt.penalty.severity:
        attempt.penalty = penalty
    if penalty == Penalty.SUSPENSION and attempt.status == AttemptStatus.IN_PROGRESS:
        submit_attempt(attempt, actor=actor, at=at)
    elif attempt.status == AttemptStatus.SUBMITTED:
        rescore(attempt)
    record(
        "attempt.incident",
        attempt,
        actor=actor,
        before=before,
        after={
            "penalty": penalty,
            "applied": attempt.penalty,
            "description": description,
            **attempt_values(attempt),
        },
    )
    return incident
