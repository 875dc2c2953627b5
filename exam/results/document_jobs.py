"""The results list of a position as a PDF, made in the background (exam/core/jobs.py).

A position of an ordinary recruitment round may rank 10,000 candidates: the table takes
minutes to render, far beyond a request's time. The board starts a job from the results page,
follows its progress, and downloads the stored file, the same bytes at every download, made
for one computed ranking (a new computation needs a new file).
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.core.db import utcnow
from exam.core.jobs import (
    Job,
    JobFailed,
    JobStatus,
    Progress,
    create_job,
    job_kind,
    recent_jobs,
)
from exam.core.storage import check_key, storage
from exam.extensions import db
from exam.results.documents import render_results_list
from exam.results.models import Ranking

KIND = "results.list_pdf"


FOLDER = "documents/results-lists"  # in the store (exam/core/storage.py): every node reads it


def stored_key(job: Job) -> str | None:
    """The key of the file a finished job stored (None while running, failed, or if it is
    gone)."""
    name = (job.result or {}).get("file") if job.status == JobStatus.DONE else None
    if not name or "/" in name or "\\" in name:  # a bare file name, nothing else
        return None
    try:
        key = check_key(f"{FOLDER}/{name}")
    except ValueError:
        return None
    return key if storage().exists(key) else None


def start_results_pdf(ranking: Ranking, *, actor: User) -> Job:
    """The job making the ranking's results list (queued; the caller commits, then
    dispatches it)."""
    return create_job(
        KIND,
        payload={"position_id": ranking.position_id, "ranking_id": ranking.id},
        actor=actor,
    )


@job_kind(KIND)
def make_results_pdf(job: Job, progress: Progress) -> dict[str, Any]:
    ranking = db.session.get(Ranking, job.payload["ranking_id"])
    if ranking is None or ranking.position_id != job.payload["position_id"]:
        raise JobFailed(_l("Bảng xếp hạng không còn tồn tại: không tạo được tệp."))
    rows = len(ranking.rows)
    progress(0, rows, _l("Đang dựng bảng kết quả của %(n)s thí sinh…", n=rows))

    def on_chunk(done: int, total: int) -> None:
        progress(min(rows, done * rows // total), rows, _l("Đang dựng các trang…"))

    pdf = render_results_list(ranking, at=utcnow(), on_chunk=on_chunk)
    name = f"ranking-{ranking.id}-job-{job.id}.pdf"
    storage().put(f"{FOLDER}/{name}", pdf)  # whole or absent: never half a file to download
    progress.start_writing(_l("Đang lưu tệp…"))
    return {
        "position_id": ranking.position_id,
        "ranking_id": ranking.id,
        "file": name,
        "bytes": len(pdf),
        "message": _l("Đã tạo bảng kết quả (PDF) của %(n)s thí sinh.", n=rows),
    }


def latest_results_pdf(ranking: Ranking) -> tuple[Job, str] | None:
    """The newest stored results list of this very ranking (its job and key), if one was
    made."""
    for job in recent_jobs(KIND, limit=20, ranking_id=ranking.id):
        key = stored_key(job)
        if key is not None:
            return job, key
    return None
