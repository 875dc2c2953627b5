"""Where background jobs run (exam/core/jobs.py): a thread with nothing installed, rows
waiting in the database for `flask jobs work`, or an RQ queue in Redis for workers on any
node; a job is claimed once whoever runs it, and Redis down fails it with a message."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from exam import create_app
from exam.core import jobs
from exam.core.jobs import Job, JobStatus, create_job, dispatch, job_kind, run_job
from exam.extensions import db
from tests.helpers import config_for_tests

KIND = "test-queue-echo"
ran_jobs: list[int] = []


@job_kind(KIND)
def _echo(job: Job, progress: jobs.Progress) -> dict:
    progress(1, 2, "Đang đọc")
    progress.start_writing("Đang ghi")
    ran_jobs.append(job.id)
    return {"message": "Xong", "echo": job.payload["value"]}


def _queued(value: int = 7) -> int:
    job = create_job(KIND, payload={"value": value}, actor=None)
    db.session.commit()
    return job.id


def _status(job_id: int) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A redis-server of its own on a free loopback port (installed by `make system-deps
    WITH_TEST_DEPS=1`)."""
    server = shutil.which("redis-server")
    assert server, "redis-server is missing: make system-deps WITH_TEST_DEPS=1"
    port = _free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        for line in process.stdout:  # ready when it says so
            if "Ready to accept connections" in line:
                break
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(30)


@pytest.fixture
def queued_by(app, monkeypatch):
    """Jobs dispatched as in production (not inline), through the named queue."""

    def configure(kind: str, redis_url: str = "") -> None:
        monkeypatch.setitem(app.config, "JOBS_RUN_INLINE", False)
        monkeypatch.setitem(app.config, "JOBS_QUEUE", kind)
        monkeypatch.setitem(app.config, "REDIS_URL", redis_url)

    ran_jobs.clear()
    return configure


def test_the_queue_is_a_thread_by_default_and_redis_when_redis_url_is_set():
    assert jobs.queue_kind({}) == "thread"
    assert jobs.queue_kind({"REDIS_URL": "redis://r:6379/0"}) == "redis"
    assert jobs.queue_kind({"JOBS_QUEUE": "database", "REDIS_URL": "redis://r"}) == "database"
    with pytest.raises(RuntimeError, match="expected one of thread, database, redis"):
        jobs.queue_kind({"JOBS_QUEUE": "celery"})
    with pytest.raises(RuntimeError, match="needs REDIS_URL"):
        jobs.queue_kind({"JOBS_QUEUE": "redis"})


def test_a_misnamed_queue_stops_the_app_at_start():
    with pytest.raises(RuntimeError, match="JOBS_QUEUE='celery'"):
        create_app(config_for_tests(JOBS_QUEUE="celery"))


def test_without_redis_a_job_waits_in_the_database_for_flask_jobs_work(app, queued_by):
    queued_by("database")
    job_id = _queued()
    dispatch(job_id)
    assert _status(job_id).status == JobStatus.QUEUED
    assert ran_jobs == []

    result = app.test_cli_runner().invoke(args=["jobs", "work", "--burst"])
    assert result.exit_code == 0, result.output
    assert "1 job(s) run." in result.output
    job = _status(job_id)
    assert (job.status, job.result, job.message) == (JobStatus.DONE, {"echo": 7}, "Xong")
    assert ran_jobs == [job_id]
    # Nothing left: a second worker runs nothing.
    assert jobs.run_queued_jobs(app) == 0


def test_a_job_is_claimed_once_whoever_runs_it(app, queued_by):
    queued_by("database")
    job_id = _queued()
    assert run_job(app, job_id) is True
    assert run_job(app, job_id) is False  # a second runner finds it claimed
    assert ran_jobs == [job_id]


def test_with_redis_a_job_goes_to_the_rq_queue_and_a_worker_runs_it(app, queued_by, redis_url):
    queued_by("redis", redis_url)
    job_id = _queued(value=42)
    dispatch(job_id)
    queue = jobs.redis_queue(app)
    assert queue.count == 1
    assert ran_jobs == []
    assert _status(job_id).status == JobStatus.QUEUED

    result = app.test_cli_runner().invoke(args=["jobs", "work", "--burst"])
    assert result.exit_code == 0, result.output
    job = _status(job_id)
    assert (job.status, job.result) == (JobStatus.DONE, {"echo": 42})
    assert ran_jobs == [job_id]
    assert queue.count == 0


def test_redis_down_fails_the_job_at_once_with_a_message(app, queued_by):
    queued_by("redis", f"redis://127.0.0.1:{_free_port()}/0")  # nothing listens there
    job_id = _queued()
    dispatch(job_id)
    job = _status(job_id)
    assert job.status == JobStatus.FAILED
    assert job.finished_at is not None
    assert job.message.startswith("Hàng đợi công việc (Redis) không phản hồi")
    assert ran_jobs == []
