"""The confirmed import of paper dossiers, run as a background job (``exam.core.jobs``).

The preview has already read and checked the file, which waits in the uploads folder. On
confirmation the file is claimed (taken once, so that a second click cannot import it twice)
and a job reads it again, checks every row against the database (reporting its progress),
then writes everything in one transaction: a failure leaves nothing saved, and the job's
status says why (in Vietnamese, with the problems by row and column).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from typing import Any

from flask import current_app, has_request_context, request
from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.candidates.imports import located, read_import
from exam.candidates.invitations import invite_uninvited
from exam.candidates.paper_dossiers import ImportRefused, import_candidates
from exam.core.db import utcnow
from exam.core.jobs import Job, JobFailed, Progress, create_job, job_kind
from exam.core.staging import StagedUploads
from exam.extensions import db
from exam.rounds.models import Round

KIND = "candidates.import"


# The preview's file, kept for the board's confirmation (the rule in exam/core/staging.py).
STAGED = StagedUploads("imports", suffix=".xlsx", max_age=dt.timedelta(days=1))


def stage_file(user: User, data: bytes) -> str:
    """Keep an uploaded file for its confirmation; returns the token naming it."""
    return STAGED.stage(data, owner_id=user.id)


def claim_staged(user: User, token: str) -> str | None:
    """Take the staged file for one import (None: already taken, or unknown)."""
    return STAGED.claim(token, owner_id=user.id)


def prune_staged(older_than: dt.timedelta | None = None) -> list[str]:
    """Delete previewed files never confirmed (they hold every row's personal data), and
    those a job left behind; the recent ones may still be confirmed."""
    return STAGED.prune(older_than)


def start_import(round_: Round, file_name: str, *, actor: User) -> Job:
    """The job importing a claimed file into the round (queued; the caller commits, then
    dispatches it). The site's address as the board reached it is kept for the links of
    the invitations, which the job writes outside any request."""
    site = request.url_root if has_request_context() else ""
    return create_job(
        KIND, payload={"round_id": round_.id, "file": file_name, "site": site}, actor=actor
    )


def _links_as_confirmed(job: Job) -> contextlib.AbstractContextManager:
    """A request context on the address the import was confirmed from, so that e-mailed
    links can be built (``PUBLIC_URL``, when set, is used instead, as for every link)."""
    if has_request_context():
        return contextlib.nullcontext()
    return current_app.test_request_context(base_url=job.payload.get("site") or None)


def _problems(problems: list) -> dict[str, Any]:
    return {"problems": [dataclasses.asdict(p) for p in problems]}


@job_kind(KIND)
def run_import(job: Job, progress: Progress) -> dict[str, Any]:
    round_ = db.session.get(Round, job.payload["round_id"])
    actor = db.session.get(User, job.created_by_id) if job.created_by_id else None
    if round_ is None or actor is None:
        raise JobFailed(_l("Kỳ thi hoặc người nhập không còn tồn tại: không có gì được lưu."))
    try:
        data = STAGED.read_claimed(job.payload["file"])
    except FileNotFoundError:
        raise JobFailed(_l("Không tìm thấy tệp đã tải lên: vui lòng tải lên lại.")) from None
    try:
        progress(0, 0, _l("Đang đọc tệp Excel…"))
        result = read_import(round_, data)
        if result.problems:
            raise JobFailed(
                _l("Tệp có lỗi: không hồ sơ nào được nhập."), _problems(result.problems)
            )
        total = len(result.rows)
        progress(0, total, _l("Đang kiểm tra %(n)s hồ sơ…", n=total))
        import_candidates(
            round_, result.rows, actor=actor, at=utcnow(), dry_run=True, progress=progress
        )
        progress.start_writing(_l("Đang lưu %(n)s hồ sơ…", n=total))
        # Checked again inside the writing transaction: the database may have changed.
        created = import_candidates(round_, result.rows, actor=actor, at=utcnow())
        # The board expects the people it imported to be able to sign in: each account
        # without a password and never invited gets its invitation, in the same transaction.
        with _links_as_confirmed(job):
            invited = invite_uninvited(round_, actor=actor, at=utcnow())
    except ImportRefused as refused:
        raise JobFailed(refused.message, _problems(located(round_, refused.problems))) from None
    finally:
        STAGED.drop_claimed(job.payload["file"])
    return {
        "round_id": round_.id,
        "created": len(created),
        "invited": invited,
        "message": _l(
            "Đã nhập %(n)s hồ sơ dự tuyển và gửi thư mời đặt mật khẩu cho %(i)s thí sinh.",
            n=len(created),
            i=invited,
        )
        if invited
        else _l("Đã nhập %(n)s hồ sơ dự tuyển.", n=len(created)),
    }
