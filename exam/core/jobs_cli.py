"""`flask jobs work`: the process that runs background jobs (exam/core/jobs.py) outside the
web workers, on any node: from the RQ queue when ``REDIS_URL`` is set, else from the rows
waiting in the database."""

from __future__ import annotations

import time

import click
from flask import current_app

from exam.core.jobs import QUEUE_NAME, queue_kind, redis_queue, run_queued_jobs


@click.group("jobs", help="Background jobs (imports, long documents).")
def jobs_cli() -> None:
    pass


@jobs_cli.command("work", help="Run background jobs as they are queued (Ctrl+C to stop).")
@click.option("--burst", is_flag=True, help="Stop once no job is waiting.")
@click.option(
    "--poll-seconds",
    default=2.0,
    show_default=True,
    help="Without Redis: how often the database is asked for waiting jobs.",
)
def work(burst: bool, poll_seconds: float) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if queue_kind(app.config) == "redis":
        from rq import SimpleWorker

        queue = redis_queue(app)
        click.echo(f"Working on the RQ queue {QUEUE_NAME!r} of {app.config['REDIS_URL']}.")
        # SimpleWorker: the job runs in this process, in the app's context and with its
        # database pool (a forked work horse would share the parent's connections).
        worker = SimpleWorker([queue], connection=queue.connection)
        worker.work(burst=burst, logging_level="WARNING")
        return
    click.echo("Working on the jobs waiting in the database.")
    while True:
        ran = run_queued_jobs(app)
        if ran:
            click.echo(f"{ran} job(s) run.")
        if burst:
            return
        time.sleep(poll_seconds)
