"""The Council's decision approving a ranking, issued in the background (exam/core/jobs.py).

The approval records the decision (its number, date, signer, the version it makes) and locks
the ranking in the request (exam/results/publication.py::approve_ranking); its document, the
decision with the results table as its annex, takes about a minute at 10,000 rows, so a job
started once the approval is committed renders it (the board follows its progress on the
versions page) and issues it once in the documents registry. Until the document exists the
decision is not official: the round is not published (exam/results/publication.py::
publication_problems), no proposal is made, and a version approved after publication stays
unpublished, the earlier one in force. A failed job is retried by the board (audited)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.core.db import utcnow
from exam.core.documents import COUNCIL
from exam.core.errors import DomainError
from exam.core.jobs import (
    Job,
    JobFailed,
    Progress,
    create_job,
    dispatch_after_commit,
    job_kind,
    recent_jobs,
    retry_evidence,
    unfinished_job,
)
from exam.documents.models import DocumentKind, IssuedDocument
from exam.documents.operations import issue_document
from exam.extensions import db
from exam.results.documents import render_results_decision
from exam.results.models import Ranking
from exam.results.publication import DECISION_JOB_KIND, decision_document, publish_version

KIND = DECISION_JOB_KIND

ChunkProgress = Callable[[int, int], None]


def issue_decision_document(
    ranking: Ranking,
    *,
    actor: User,
    at: dt.datetime | None = None,
    on_chunk: ChunkProgress | None = None,
    before_writing: Callable[[], None] | None = None,
) -> IssuedDocument:
    """The decision's document, issued once by the documents registry (every download the
    same bytes, dated at the decision), then, in the published stage, its version published.
    Issued already (a retry): the stored one. ``before_writing`` runs once the PDF is
    rendered, before anything is written (a job takes the write lock there)."""
    decision = ranking.decision
    if decision is None:
        raise DomainError(_l("Bảng kết quả này chưa được Hội đồng phê duyệt."))
    document = decision_document(ranking)
    if document is None:

        def render(verification: Any) -> bytes:
            data = render_results_decision(ranking, verification=verification, on_chunk=on_chunk)
            if before_writing is not None:
                before_writing()
            return data

        position = ranking.position
        document = issue_document(
            kind=DocumentKind.RESULTS_DECISION,
            round_=position.round,
            number=decision.decision_number,
            title=str(
                _l(
                    "Phê duyệt kết quả thi tuyển vị trí %(p)s (phiên bản %(v)s)",
                    p=position.label,
                    v=decision.version,
                )
            ),
            issuer=COUNCIL,
            issued_on=decision.decided_on,
            render=render,
            actor=actor,
        )
    elif before_writing is not None:
        before_writing()
    publish_version(ranking, at=at or utcnow(), actor=actor)
    return document


def _actor(job: Job, ranking: Ranking) -> User:
    """Who started the job (the approval or a retry); else who recorded the approval."""
    return db.session.get(User, job.created_by_id or ranking.decision.approved_by_id)


@job_kind(KIND)
def issue_decision(job: Job, progress: Progress) -> dict[str, Any]:
    ranking = db.session.get(Ranking, job.payload["ranking_id"])
    if ranking is None or ranking.decision is None:
        raise JobFailed(_l("Quyết định phê duyệt này không còn tồn tại: không ban hành được."))
    number, rows = ranking.decision.decision_number, len(ranking.rows)
    progress(0, rows, _l("Đang dựng quyết định và phụ lục kết quả của %(n)s thí sinh…", n=rows))

    def on_chunk(done: int, total: int) -> None:
        progress(min(rows, done * rows // max(total, 1)), rows, _l("Đang dựng các trang…"))

    document = issue_decision_document(
        ranking,
        actor=_actor(job, ranking),
        on_chunk=on_chunk,
        before_writing=lambda: progress.start_writing(_l("Đang lưu quyết định…")),
    )
    return {
        "ranking_id": job.payload["ranking_id"],
        "position_id": job.payload["position_id"],
        "document_id": document.id,
        "message": _l("Đã ban hành Quyết định số %(n)s.", n=number),
    }


def decision_jobs_of(ranking: Ranking) -> list[Job]:
    """The jobs issuing this ranking's decision, newest first."""
    return recent_jobs(KIND, limit=5, ranking_id=ranking.id)


def retry_decision_document(ranking: Ranking, *, actor: User) -> Job:
    """The board starts the decision's document again after its job failed (or was lost
    with its server): a new job, audited with the failure it follows."""
    if ranking.decision is None:
        raise DomainError(_l("Bảng kết quả này chưa được Hội đồng phê duyệt."))
    if decision_document(ranking) is not None:
        raise DomainError(_l("Quyết định này đã được ban hành."))
    jobs = decision_jobs_of(ranking)
    if unfinished_job(jobs) is not None:
        raise DomainError(
            _l("Quyết định đang được ban hành: chờ công việc hiện tại kết thúc rồi mới làm lại.")
        )
    job = create_job(
        KIND, payload={"ranking_id": ranking.id, "position_id": ranking.position_id}, actor=actor
    )
    record(
        "ranking.decision_retry",
        ranking,
        actor=actor,
        after={"decision_number": ranking.decision.decision_number, **retry_evidence(jobs, job)},
    )
    dispatch_after_commit(job.id)
    return job
