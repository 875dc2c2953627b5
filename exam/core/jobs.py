"""Background jobs: work too long for one request (a large import), started from a request
and followed on a page that polls its progress.

A job is a row of ``jobs``: its kind, status, progress (done of total, a message) and, at the
end, a result summary. The work is a function registered with ``@job_kind("name")``; it gets
the job and a ``Progress`` reporter and returns the summary. It runs with its own app context
and database session, and everything it writes is committed in one transaction together with
the job's "done" status: a failure leaves nothing saved and the status says why.

Progress is committed at once on a session of its own, so that every worker sees it while
the job's work is still uncommitted. SQLite has one writer at a time, so a job reports its
progress while it reads and checks, then calls ``progress.start_writing()`` and writes
everything at the end.

How a job is run is the runner's business (``dispatch``), chosen by ``JOBS_QUEUE``:
``thread`` (the default with nothing installed: a thread of the worker that received the
request), ``database`` (the row waits; a ``flask jobs work`` process polls for it) or
``redis`` (the default when ``REDIS_URL`` is set: the job's id goes to an RQ queue that
``flask jobs work`` processes on any node serve). ``JOBS_RUN_INLINE`` runs it in the caller's
thread (tests). Whoever runs it first claims the row (queued → running in one statement), so
a job is never run twice, and its progress is in the database, readable from every node.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import sqlalchemy as sa
from flask import Flask, after_this_request, current_app, has_request_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from exam.core.db import TitledEnum, UTCDateTime, enum_column, utcnow
from exam.core.errors import DomainError
from exam.extensions import db


class JobStatus(TitledEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @staticmethod
    def __titles__() -> dict:
        return {
            "queued": _l("Đang chờ"),
            "running": _l("Đang chạy"),
            "done": _l("Đã xong"),
            "failed": _l("Không thành công"),
        }


FINISHED = (JobStatus.DONE, JobStatus.FAILED)


class Job(db.Model):
    __tablename__ = "jobs"
    __table_args__ = (
        sa.CheckConstraint("done >= 0 AND total >= 0 AND done <= total", name="progress_bounds"),
        sa.CheckConstraint(
            "(status IN ('done', 'failed')) = (finished_at IS NOT NULL)",
            name="finished_iff_dated",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(60))
    status: Mapped[JobStatus] = enum_column(JobStatus, default=JobStatus.QUEUED)
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(sa.String(500), default="")
    payload: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    result: Mapped[dict | None] = mapped_column(sa.JSON, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    def lost(self, now: dt.datetime, after_seconds: int) -> bool:
        """Unfinished and silent for too long: its process stopped (a restart, a crash)."""
        return not self.finished and (now - self.updated_at).total_seconds() > after_seconds

    def as_status(self, now: dt.datetime, lost_after: int) -> dict[str, Any]:
        lost = self.lost(now, lost_after)
        return {
            "id": self.id,
            "status": JobStatus.FAILED.value if lost else self.status.value,
            "status_title": JobStatus.FAILED.title if lost else self.status.title,
            "finished": self.finished or lost,
            "done": self.done,
            "total": self.total,
            "percent": self.percent,
            "message": str(LOST_MESSAGE) if lost else self.message,
        }


LOST_MESSAGE = _l(
    "Công việc bị gián đoạn (máy chủ khởi động lại); không có gì được lưu. Hãy làm lại."
)
UNEXPECTED_MESSAGE = _l(
    "Đã xảy ra lỗi ngoài dự kiến; không có gì được lưu. Hãy thử lại hoặc báo quản trị hệ thống."
)


class JobFailed(DomainError):
    """The job's work was refused; ``result`` carries the details kept for the page."""

    def __init__(self, message: Any, result: dict[str, Any] | None = None):
        super().__init__(message)
        self.result = result


JobFunction = Callable[["Job", "Progress"], dict[str, Any]]
_KINDS: dict[str, JobFunction] = {}


def job_kind(name: str) -> Callable[[JobFunction], JobFunction]:
    """Register the function doing the work of jobs of this kind."""

    def register(function: JobFunction) -> JobFunction:
        _KINDS[name] = function
        return function

    return register


def create_job(kind: str, *, payload: dict[str, Any], actor: Any) -> Job:
    """A queued job (flushed, not committed): the caller commits, then ``dispatch``es it."""
    if kind not in _KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    now = utcnow()
    job = Job(
        kind=kind,
        status=JobStatus.QUEUED,
        payload=payload,
        created_by_id=getattr(actor, "id", None),
        created_at=now,
        updated_at=now,
        message=str(_l("Đang chờ bắt đầu…")),
    )
    db.session.add(job)
    db.session.flush()
    return job


def _in_vietnamese(message: Any) -> str:
    with force_locale("vi"):
        return str(message)[:500]


def _update(app: Flask, job_id: int, *, when: JobStatus | None = None, **values: Any) -> bool:
    """Write the job's row in a transaction of its own, committed at once; with ``when``,
    only if the job is in that status. Returns whether the row was written."""
    with app.app_context():
        try:
            db.session.connection(execution_options={"sqlite_immediate": True})
            statement = sa.update(Job).where(Job.id == job_id)
            if when is not None:
                statement = statement.where(Job.status == when)
            written = db.session.execute(statement.values(updated_at=utcnow(), **values))
            db.session.commit()
            return written.rowcount == 1
        finally:
            db.session.remove()


class Progress:
    """Reports how far a job got; at most a few writes a second."""

    INTERVAL_SECONDS = 0.5

    def __init__(self, app: Flask, job_id: int):
        self._app = app
        self._job_id = job_id
        self._last = 0.0
        self.writing = False
        self.done = 0
        self.total = 0

    def __call__(self, done: int, total: int | None = None, message: Any = None) -> None:
        if self.writing:
            return  # the job holds the write lock now; its commit will say done
        self.total = max(total if total is not None else self.total, 0)
        self.done = min(max(done, 0), self.total)
        now = time.monotonic()
        if now - self._last < self.INTERVAL_SECONDS and done not in (0, self.total):
            return
        self._last = now
        values: dict[str, Any] = {"done": self.done, "total": self.total}
        if message is not None:
            values["message"] = _in_vietnamese(message)
        self._record(**values)

    def _record(self, **values: Any) -> None:
        try:
            _update(self._app, self._job_id, **values)
        except Exception:  # progress is for show: its failure must not fail the work
            self._app.logger.warning("job %s: progress not recorded", self._job_id, exc_info=True)

    def start_writing(self, message: Any) -> None:
        """The job has read and checked everything: say so, end the reading transaction
        (nothing written yet) and take the write lock for the rest of the job."""
        if db.session.new or db.session.dirty or db.session.deleted:
            raise RuntimeError("a job writes only after start_writing()")
        self._record(
            done=self.total,
            total=self.total,
            message=_in_vietnamese(message),
        )
        self.writing = True
        db.session.rollback()
        db.session.connection(execution_options={"sqlite_immediate": True})


# --- running -------------------------------------------------------------------------------

_finished_events: dict[int, threading.Event] = {}
_events_lock = threading.Lock()


def _expect(job_id: int) -> None:
    """A fresh completion event for a job about to run in the background."""
    with _events_lock:
        _finished_events[job_id] = threading.Event()


def _finished(job_id: int) -> None:
    with _events_lock:
        event = _finished_events.get(job_id)
    if event is not None:
        event.set()


def wait_for(job_id: int, timeout: float | None = None) -> bool:
    """Wait until a job this process runs in the background has finished (True), or the
    timeout (False). A job not running here (inline, or already waited for): True."""
    with _events_lock:
        event = _finished_events.get(job_id)
    if event is None:
        return True
    finished = event.wait(timeout)
    if finished:
        with _events_lock:
            _finished_events.pop(job_id, None)
    return finished


def run_job(app: Flask, job_id: int) -> bool:
    """Do a job's work in its own app context and transaction; record how it ended.
    False when the job was not waiting (gone, or claimed by another runner)."""
    try:
        with app.app_context():
            try:
                claimed = _update(  # one statement: two runners never both claim it
                    app,
                    job_id,
                    when=JobStatus.QUEUED,
                    status=JobStatus.RUNNING,
                    message=_in_vietnamese(_l("Đang bắt đầu…")),
                )
                if not claimed:
                    return False
                job = db.session.get(Job, job_id)
                kind = job.kind
                progress = Progress(app, job_id)
                try:
                    summary = _KINDS[kind](job, progress)
                    if not progress.writing:
                        raise RuntimeError("a job calls progress.start_writing() before it ends")
                    job = db.session.get(Job, job_id)
                    job.status = JobStatus.DONE
                    job.done = job.total = progress.total
                    summary = dict(summary)
                    job.message = _in_vietnamese(summary.pop("message", _l("Đã xong.")))
                    job.result = summary
                    job.finished_at = job.updated_at = utcnow()
                    db.session.commit()
                except Exception as error:  # any failure: nothing kept, say why
                    db.session.rollback()
                    if isinstance(error, JobFailed):
                        message, result = error.message, error.result
                    elif isinstance(error, DomainError):
                        message, result = error.message, None
                    else:
                        app.logger.exception("job %s (%s) failed", job_id, kind)
                        message, result = UNEXPECTED_MESSAGE, None
                    now = utcnow()
                    _update(
                        app,
                        job_id,
                        status=JobStatus.FAILED,
                        message=_in_vietnamese(message),
                        result=result,
                        finished_at=now,
                    )
                return True
            finally:
                db.session.remove()
    finally:
        _finished(job_id)


class Runner(Protocol):
    def submit(self, app: Flask, job_id: int) -> None: ...


class InlineRunner:
    """Runs the job at once in the caller's thread (tests, command line)."""

    def submit(self, app: Flask, job_id: int) -> None:
        run_job(app, job_id)


class ThreadRunner:
    """Runs the job in a thread of this worker process. Good enough for the rare large
    import; a job whose process dies is shown as interrupted (``Job.lost``). Started from
    a request, the job waits for the response to be closed (the request's transaction and
    connection are done with by then), but never longer than ``CLOSE_WAIT_SECONDS``: a
    server may not close it (werkzeug's development server skips it when the client has
    dropped the connection first), and the job must not stay queued for ever."""

    CLOSE_WAIT_SECONDS = 2.0

    def submit(self, app: Flask, job_id: int) -> None:
        _expect(job_id)  # before the thread starts, so that wait_for cannot miss its end
        if not has_request_context():
            self._start(lambda: run_job(app, job_id), job_id)
            return
        closed = threading.Event()

        def run_once_closed() -> None:
            closed.wait(self.CLOSE_WAIT_SECONDS)
            run_job(app, job_id)

        self._start(run_once_closed, job_id)

        @after_this_request
        def start_when_closed(response: Any) -> Any:
            response.call_on_close(closed.set)
            return response

    @staticmethod
    def _start(target: Any, job_id: int) -> None:
        threading.Thread(target=target, name=f"job-{job_id}", daemon=True).start()


class DatabaseQueue:
    """The row is the queue: a ``flask jobs work`` process finds it (``run_queued_jobs``)."""

    def submit(self, app: Flask, job_id: int) -> None:
        pass


QUEUE_NAME = "exam-jobs"
QUEUE_DOWN_MESSAGE = _l(
    "Hàng đợi công việc (Redis) không phản hồi nên công việc chưa được bắt đầu; không có gì "
    "được lưu. Hãy thử lại sau ít phút hoặc báo quản trị hệ thống."
)


def redis_queue(app: Flask) -> Any:
    """The RQ queue of ``REDIS_URL``, with short timeouts: a request never hangs on it."""
    from redis import Redis
    from rq import Queue

    connection = Redis.from_url(app.config["REDIS_URL"], socket_timeout=5, socket_connect_timeout=2)
    return Queue(QUEUE_NAME, connection=connection)


def run_enqueued(job_id: int) -> None:
    """What an RQ worker runs (``flask jobs work``, inside the app's context)."""
    run_job(current_app._get_current_object(), job_id)  # type: ignore[attr-defined]


class RedisQueue:
    """The job's id goes to an RQ queue in Redis; a ``flask jobs work`` process on any node
    runs it. Redis down: the job is marked failed at once with a message saying so."""

    def submit(self, app: Flask, job_id: int) -> None:
        from redis.exceptions import RedisError

        try:
            redis_queue(app).enqueue_call(
                run_enqueued,
                args=(job_id,),
                job_id=f"exam-job-{job_id}",
                timeout=app.config.get("JOBS_TIMEOUT_SECONDS", 3600),
                # Its end stays 10 minutes in Redis: whoever holds the id can wait on it
                # (rq's Job.latest_result(timeout=…): tests/cluster does) or read it.
                result_ttl=600,
                failure_ttl=7 * 24 * 3600,
            )
        except RedisError:
            app.logger.exception("job %s: not queued, Redis did not answer", job_id)
            _update(
                app,
                job_id,
                when=JobStatus.QUEUED,
                status=JobStatus.FAILED,
                message=_in_vietnamese(QUEUE_DOWN_MESSAGE),
                finished_at=utcnow(),
            )


RUNNERS: dict[str, type] = {"thread": ThreadRunner, "database": DatabaseQueue, "redis": RedisQueue}


def queue_kind(config: Any) -> str:
    """``JOBS_QUEUE`` as set, else ``redis`` when ``REDIS_URL`` is, else ``thread``."""
    kind = config.get("JOBS_QUEUE") or ("redis" if config.get("REDIS_URL") else "thread")
    if kind not in RUNNERS:
        raise RuntimeError(f"JOBS_QUEUE={kind!r}: expected one of {', '.join(RUNNERS)}.")
    if kind == "redis" and not config.get("REDIS_URL"):
        raise RuntimeError("JOBS_QUEUE=redis needs REDIS_URL (redis://HOST:6379/0).")
    return kind


def runner() -> Runner:
    if current_app.config.get("JOBS_RUN_INLINE"):
        return InlineRunner()
    return RUNNERS[queue_kind(current_app.config)]()


def run_queued_jobs(app: Flask) -> int:
    """Run the jobs waiting in the database, oldest first, until none is left; returns how
    many this process ran. Each is claimed before it runs, so
    several ``flask jobs work`` processes (and the threads) share the rows safely."""
    ran = 0
    while True:
        with app.app_context():
            try:
                waiting = db.session.scalars(
                    sa.select(Job.id)
                    .where(Job.status == JobStatus.QUEUED)
                    .order_by(Job.id)
                    .limit(20)
                ).all()
            finally:
                db.session.remove()
        if not waiting:
            return ran
        for job_id in waiting:
            ran += run_job(app, job_id)


def dispatch(job_id: int) -> None:
    """Start a job whose row has been committed. Called right after the commit, before the
    request reads anything again: the job runs in its own transaction (inline, the tests'
    request would otherwise hold one around it)."""
    runner().submit(current_app._get_current_object(), job_id)  # type: ignore[attr-defined]


def recent_jobs(kind: str, *, limit: int = 5, **payload: Any) -> list[Job]:
    """The newest jobs of a kind whose payload holds these integer values (e.g. round_id)."""
    statement = sa.select(Job).where(Job.kind == kind)
    for key, value in payload.items():
        statement = statement.where(Job.payload[key].as_integer() == value)
    return list(db.session.scalars(statement.order_by(Job.id.desc()).limit(limit)))


def job_status(job: Job) -> dict[str, Any]:
    return job.as_status(utcnow(), current_app.config.get("JOBS_LOST_AFTER_SECONDS", 900))


def unfinished_job(jobs: list[Job]) -> Job | None:
    """The first of ``jobs`` still queued or running (not lost), if any: a document's job
    is started again only once none is."""
    return next((job for job in jobs if not job_status(job)["finished"]), None)


def retry_evidence(jobs: list[Job], retry: Job) -> dict[str, Any]:
    """What the audit entry of a document's retry says: the new job, and the one it follows
    (``jobs``' newest, read before the retry was created: the failed or lost one)."""
    failed = jobs[0] if jobs else None
    return {
        "job_id": retry.id,
        "failed_job_id": failed.id if failed is not None else None,
        "failed_message": job_status(failed)["message"] if failed is not None else "",
    }


# --- started once committed ----------------------------------------------------------------

_TO_DISPATCH = "jobs_to_dispatch"


def dispatch_after_commit(job_id: int) -> None:
    """Start a job created by an operation (or another job) once its transaction commits:
    the caller does not know who commits (a stage's hook, a job's own end). A rollback
    forgets it, and the row with it."""
    db.session().info.setdefault(_TO_DISPATCH, []).append(job_id)


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _dispatch_committed(session: sa.orm.Session) -> None:
    job_ids = session.info.pop(_TO_DISPATCH, [])
    for job_id in job_ids:
        dispatch(job_id)


@sa.event.listens_for(sa.orm.Session, "after_rollback")
def _forget_rolled_back(session: sa.orm.Session) -> None:
    session.info.pop(_TO_DISPATCH, None)
