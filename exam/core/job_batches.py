"""Long lists worked through in batches of background jobs (exam/core/jobs.py): a job does
``per_job`` items in its one transaction, each in a savepoint, then starts the next job for
the rest, so that a progress page moves batch by batch and no transaction grows with the
list. An item whose row another worker (a person's own download) wrote meanwhile hits a
unique constraint: only its savepoint is undone and the batch goes on.

Used for the candidates' result notices (exam/results/notice_jobs.py) and admission cards
(exam/exams/cards.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa

from exam.core.jobs import Job, Progress, create_job, dispatch_after_commit
from exam.extensions import db

T = TypeVar("T")


@dataclass(frozen=True)
class BatchDone:
    done: int  # items of the whole list done, this batch included
    total: int
    in_batch: int
    next_job: Job | None


def work_in_batches(
    job: Job,
    progress: Progress,
    *,
    waiting: Sequence[T],
    total: int,
    per_job: int,
    work: Callable[[T], Any],
    actor: Any,
    message: Any,
) -> BatchDone:
    """Do ``work(item)`` for the first ``per_job`` of ``waiting`` (the items of the list of
    ``total`` not done yet), then start a job of the same kind and payload for the rest.
    ``message`` says what is being done ("Đang ban hành thẻ dự thi…")."""
    batch = list(waiting[:per_job])
    progress(total - len(waiting), total, message)
    progress.start_writing(message)
    for item in batch:
        try:
            with db.session.begin_nested():
                work(item)
        except sa.exc.IntegrityError:  # done meanwhile by another worker: theirs stands
            continue
    following = None
    if len(waiting) > len(batch):
        following = create_job(job.kind, payload=dict(job.payload), actor=actor)
        dispatch_after_commit(following.id)
    return BatchDone(total - len(waiting) + len(batch), total, len(batch), following)
