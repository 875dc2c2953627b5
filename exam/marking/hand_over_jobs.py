"""The minutes of the hand-over of coded scripts to the marking board, issued in the
background (exam/core/jobs.py).

The hand-over (exam/marking/operations.py::hand_over) draws the markers, records the
hand-over and takes the minutes' number in the Council's register, in the request's one
transaction; rendering the minutes takes seconds for a thousand scripts, so a job queued in
that same transaction (a rolled-back hand-over queues nothing) renders them and issues them
once in the documents registry. The marking page follows its progress; a failed job is
retried by the Ban phách (audited). The minutes list the hand-over as it was: the scripts'
codes and the zero-score cases recorded before it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.core.documents import COUNCIL, Verification
from exam.core.errors import DomainError
from exam.core.i18n import to_local
from exam.core.jobs import (
    Job,
    JobFailed,
    Progress,
    create_job,
    dispatch_after_commit,
    job_kind,
    job_status,
    recent_jobs,
    retry_evidence,
    unfinished_job,
)
from exam.core.pdf import render_pdf
from exam.documents.models import DocumentKind, IssuedDocument
from exam.documents.numbering import split_number
from exam.documents.operations import issue_document
from exam.extensions import db
from exam.marking.documents import hand_over_document
from exam.marking.models import MarkingPlan
from exam.marking.queries import scripts_of

KIND = "marking.hand_over_minutes"


def queue_hand_over_minutes(plan: MarkingPlan, *, actor: User) -> Job:
    """A job issuing the plan's minutes, started once the caller's transaction commits."""
    job = create_job(KIND, payload={"round_id": plan.round_id, "plan_id": plan.id}, actor=actor)
    dispatch_after_commit(job.id)
    return job


def issue_hand_over_minutes(
    plan: MarkingPlan, *, actor: User, before_writing: Callable[[], None] | None = None
) -> IssuedDocument:
    """The minutes under the Council's heading with the number taken at the hand-over,
    dated the day of the hand-over in Hanoi, issued once (a retry after they were: the
    stored ones). ``before_writing`` runs once the PDF is rendered, before anything is
    written (a job takes the write lock there)."""
    if plan.hand_over_document is not None:
        if before_writing is not None:
            before_writing()
        return plan.hand_over_document
    if plan.hand_over_number is None:
        raise DomainError(_l("Bài thi chưa bàn giao cho Ban chấm thi."))
    plan_id, number = plan.id, plan.hand_over_number
    round_ = plan.round
    sequence, _symbol = split_number(number)

    def render(verification: Verification) -> bytes:
        data = render_pdf(
            "pdf/marking_hand_over.html",
            **hand_over_document(plan, sequence=sequence, verification=verification),
        )
        if before_writing is not None:
            before_writing()
        return data

    document = issue_document(
        kind=DocumentKind.MARKING_HAND_OVER,
        round_=round_,
        number=number,
        title=f"Biên bản bàn giao bài thi đã đánh phách cho Ban chấm thi – {round_.name}",
        issuer=COUNCIL,
        issued_on=to_local(plan.handed_over_at).date(),
        render=render,
        actor=actor,
    )
    plan = db.session.get(MarkingPlan, plan_id)  # expired by the job's write lock
    plan.hand_over_document = document
    db.session.flush()
    return document


@job_kind(KIND)
def issue_minutes(job: Job, progress: Progress) -> dict[str, Any]:
    plan = db.session.get(MarkingPlan, job.payload["plan_id"])
    if plan is None or plan.handed_over_at is None:
        raise JobFailed(_l("Không tìm thấy việc bàn giao bài thi này: không lập được biên bản."))
    scripts, number = len(scripts_of(plan)), plan.hand_over_number
    progress(0, scripts, _l("Đang dựng biên bản bàn giao %(n)s bài thi…", n=scripts))
    actor = db.session.get(User, job.created_by_id or plan.handed_over_by_id)
    document = issue_hand_over_minutes(
        plan,
        actor=actor,
        before_writing=lambda: progress.start_writing(_l("Đang lưu biên bản bàn giao…")),
    )
    return {
        "round_id": job.payload["round_id"],
        "plan_id": job.payload["plan_id"],
        "document_id": document.id,
        "message": _l("Đã ban hành Biên bản bàn giao bài thi số %(n)s.", n=number),
    }


def hand_over_jobs_of(plan: MarkingPlan) -> list[Job]:
    """The jobs issuing this plan's minutes, newest first."""
    return recent_jobs(KIND, limit=5, plan_id=plan.id)


def minutes_progress(plan: MarkingPlan | None) -> dict[str, Any] | None:
    """While a hand-over's minutes are not issued yet: the latest job issuing them and its
    status (``job`` None when none was started). None when there is nothing to wait for: no
    hand-over, the minutes issued, or a hand-over made before they were issued at all."""
    if plan is None or plan.hand_over_number is None or plan.hand_over_document_id is not None:
        return None
    jobs = hand_over_jobs_of(plan)
    return {"job": jobs[0], "status": job_status(jobs[0])} if jobs else {"job": None}


def retry_hand_over_minutes(plan: MarkingPlan | None, *, actor: User) -> Job:
    """The Ban phách starts the minutes again after their job failed (or was lost with its
    server): a new job, audited with the failure it follows."""
    if plan is None or plan.hand_over_number is None:
        raise DomainError(_l("Bài thi chưa bàn giao cho Ban chấm thi."))
    if plan.hand_over_document_id is not None:
        raise DomainError(_l("Biên bản bàn giao đã được ban hành."))
    jobs = hand_over_jobs_of(plan)
    if unfinished_job(jobs) is not None:
        raise DomainError(
            _l("Biên bản bàn giao đang được tạo: chờ công việc hiện tại kết thúc rồi mới làm lại.")
        )
    job = queue_hand_over_minutes(plan, actor=actor)
    record(
        "marking.hand_over_minutes_retry",
        plan,
        actor=actor,
        after={"number": plan.hand_over_number, **retry_evidence(jobs, job)},
    )
    return job
