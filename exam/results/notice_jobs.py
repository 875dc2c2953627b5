"""Each candidate's result notice issued in the background once the results are published
(exam/core/jobs.py): a position may rank 10,000 candidates, a notice takes a fraction of a
second to render, far beyond one request. A job issues a batch of notices
(``NOTICES_PER_JOB``) in its one transaction and starts the next job for the rest
(exam/core/job_batches.py), so that the board's progress page (the notices issued of the
ranking's rows, read from the documents registry) moves batch by batch. A candidate who
downloads theirs first has it issued on demand
(exam/results/publication.py::result_notice_document); the job skips it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.candidates.models import Application
from exam.core.job_batches import work_in_batches
from exam.core.jobs import Job, Progress, job_kind, recent_jobs
from exam.documents.models import DocumentKind, IssuedDocument
from exam.extensions import db
from exam.results.models import Ranking, RankingRow, RankingStatus
from exam.results.publication import NOTICE_JOB_KIND, result_notice_document

KIND = NOTICE_JOB_KIND
NOTICES_PER_JOB_DEFAULT = 200


def notices_issued(ranking: Ranking) -> int:
    """How many of the ranking's candidates have their notice issued."""
    decision = ranking.decision
    if decision is None:
        return 0
    candidates = (
        sa.select(Application.candidate_id)
        .join(RankingRow, RankingRow.application_id == Application.id)
        .where(RankingRow.ranking_id == ranking.id)
    )
    return db.session.scalar(
        sa.select(sa.func.count(IssuedDocument.id)).where(
            IssuedDocument.round_id == decision.round_id,
            IssuedDocument.kind == DocumentKind.RESULT_NOTICE,
            IssuedDocument.number == decision.decision_number,
            IssuedDocument.subject_user_id.in_(candidates),
        )
    )


def _waiting_rows(ranking: Ranking) -> list[RankingRow]:
    decision = ranking.decision
    issued = sa.select(IssuedDocument.subject_user_id).where(
        IssuedDocument.round_id == decision.round_id,
        IssuedDocument.kind == DocumentKind.RESULT_NOTICE,
        IssuedDocument.number == decision.decision_number,
    )
    return list(
        db.session.scalars(
            sa.select(RankingRow)
            .join(Application, RankingRow.application_id == Application.id)
            .where(RankingRow.ranking_id == ranking.id, Application.candidate_id.notin_(issued))
            .order_by(RankingRow.row_number)
        )
    )


def _actor(job: Job, ranking: Ranking) -> User:
    """Who started the publication; else who recorded the Council's approval."""
    user_id = job.created_by_id or ranking.decision.approved_by_id
    return db.session.get(User, user_id)


@job_kind(KIND)
def issue_notices(job: Job, progress: Progress) -> dict[str, Any]:
    ranking = db.session.get(Ranking, job.payload["ranking_id"])
    if ranking is None or ranking.status != RankingStatus.PUBLISHED or ranking.decision is None:
        # superseded meanwhile (an appeal's new version has its own job): nothing to issue
        progress.start_writing(_l("Phiên bản kết quả này không còn được công bố."))
        return {"ranking_id": job.payload["ranking_id"], "issued": 0, "message": _l("Đã xong.")}
    total = len(ranking.rows)
    actor = _actor(job, ranking)
    batch = work_in_batches(
        job,
        progress,
        waiting=_waiting_rows(ranking),
        total=total,
        per_job=int(current_app.config.get("NOTICES_PER_JOB", NOTICES_PER_JOB_DEFAULT)),
        work=lambda row: result_notice_document(row, actor=actor),
        actor=actor,
        message=_l("Đang ban hành thông báo kết quả…"),
    )
    return {
        "ranking_id": ranking.id,
        "position_id": ranking.position_id,
        "issued": batch.in_batch,
        "next_job_id": batch.next_job.id if batch.next_job is not None else None,
        "message": _l(
            "Đã ban hành %(n)s thông báo kết quả (%(d)s/%(t)s).",
            n=batch.in_batch,
            d=batch.done,
            t=total,
        ),
    }


def notice_jobs_of(position_id: int) -> list[Job]:
    return recent_jobs(KIND, limit=10, position_id=position_id)
