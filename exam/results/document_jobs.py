"""The results list of a position as a PDF, made in the background (exam/core/jobs.py).

A position of an ordinary recruitment round may rank 10,000 candidates: the table takes
minutes to render, far beyond a request's time. The board starts a job from the results page,
follows its progress, and downloads the stored file, the same bytes at every download, made
for one computed ranking (a new computation needs a new file).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import current_app
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
from exam.extensions import db
from exam.results.documents import render_results_list
from exam.results.models import Ranking

KIND = "results.list_pdf"


def storage_dir() -> Path:
    return Path(current_app.config["DOCUMENTS_DIR"]) / "results-lists"


def stored_path(job: Job) -> Path | None:
    """The file a finished job stored (None while running, failed, or if it is gone)."""
    name = (job.result or {}).get("file") if job.status == JobStatus.DONE else None
    if not name or Path(name).name != name:  # a bare file name, nothing else
        return None
    path = storage_dir() / name
    return path if path.is_file() else None


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
    folder = storage_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"ranking-{ranking.id}-job-{job.id}.pdf"
    partial = folder / (name + ".part")
    partial.write_bytes(pdf)
    os.replace(partial, folder / name)  # whole or absent: never half a file to download
    progress.start_writing(_l("Đang lưu tệp…"))
    return {
        "position_id": ranking.position_id,
        "ranking_id": ranking.id,
        "file": name,
        "bytes": len(pdf),
        "message": _l("Đã tạo bảng kết quả (PDF) của %(n)s thí sinh.", n=rows),
    }


def latest_results_pdf(ranking: Ranking) -> tuple[Job, Path] | None:
    """The newest stored results list of this very ranking, if one was made."""
    for job in recent_jobs(KIND, limit=20, ranking_id=ranking.id):
        path = stored_path(job)
        if path is not None:
            return job, path
    return None
