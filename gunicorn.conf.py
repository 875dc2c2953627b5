"""Gunicorn settings for exam days, read by `make serve` and by the benchmarks (bench/).

Sync workers, one request at a time each, behind a buffering reverse proxy (nginx) that keeps
the browsers' connections alive, as gunicorn's documentation advises. Measured on the 2-core
machine of the README's Performance section: at the start of a session the threaded worker
(gthread) spends its CPU handing each request between threads, and 2,000 candidates opening
their paper within 10 s then queue for seconds on PostgreSQL; sync workers keep p99 under half
a second. One thread per process also means a request holding SQLite's write lock never waits
for the GIL behind a sibling. Override with GUNICORN_WORKERS / GUNICORN_WORKER_CLASS /
GUNICORN_THREADS.
"""

import os

# gunicorn serves exam days: production settings (secure cookies, a checked SECRET_KEY) unless
# EXAM_ENV names another explicitly. config.config_from_environment() also takes production
# under gunicorn when this file is not used.
os.environ.setdefault("EXAM_ENV", "production")


def default_workers(database_url: str) -> int:
    """gunicorn's rule of thumb, 2 × cores + 1, on PostgreSQL: a worker sits idle while its
    request waits for the database's round trips and the WAL flush of its commit. One
    fewer on SQLite, which runs inside the worker and writes one transaction at a time: a
    fifth worker on 2 cores only queued for the write lock (autosave 41 % of the ceiling
    against 46 % with four; PostgreSQL 46 % with five against 40-42 % with four)."""
    cores = os.cpu_count() or 1
    return 2 * cores + (1 if database_url.startswith("postgresql") else 0)


workers = int(
    os.environ.get("GUNICORN_WORKERS") or default_workers(os.environ.get("DATABASE_URL", ""))
)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", 1))
keepalive = 30  # used by gthread only: sync workers close after each response
backlog = 4096  # the whole session's candidates may knock at once


def post_worker_init(worker) -> None:
    """Each worker ready for the start of a session before its first request (exam.warm_up)."""
    from exam import warm_up

    warm_up(worker.wsgi)


def on_starting(server) -> None:
    """Before any worker: gunicorn's final worker count (this file, GUNICORN_CMD_ARGS, the
    command line) exported for the app, and production refused at once when the rate limits
    would count in each worker's memory (exam/core/ratelimits.py says why and what to set)."""
    from config import config_from_environment
    from exam.core.ratelimits import WORKERS_VARIABLE, refuse_per_process_limits

    os.environ[WORKERS_VARIABLE] = str(server.cfg.workers)
    settings = config_from_environment()
    refuse_per_process_limits(
        {name: getattr(settings, name) for name in dir(settings) if name.isupper()},
        server.cfg.workers,
    )
