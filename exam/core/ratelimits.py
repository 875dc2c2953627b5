"""Where the rate limits count (sign-in, registration, password links), and what happens when
that store cannot be reached.

``memory://`` (the embedded default) counts in each process: right for `make run`, one
process. With several gunicorn workers, or several nodes, every worker would count on its
own and the real limit would be the configured one times the number of workers: production
then refuses to start, and names RATELIMIT_STORAGE_URI=redis://… (Flask-Limiter's Redis
storage, shared by every worker of every node).

When Redis is down, a limited request (a sign-in attempt) is refused with 503 and a message
rather than let through uncounted or answered with a 500; the routes without a limit (the
exam page's saves, its poll) never ask Redis anything.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app, render_template
from limits.errors import StorageError

PER_PROCESS_SCHEMES = ("memory://",)
REDIS_SCHEMES = ("redis://", "rediss://", "redis+unix://", "redis+sentinel://", "redis+cluster://")
# A Redis that does not answer must not hold a sign-in for long (seconds).
REDIS_TIMEOUT_SECONDS = 2
# Exported by gunicorn.conf.py's on_starting hook: gunicorn's own, final worker count.
WORKERS_VARIABLE = "EXAM_GUNICORN_WORKERS"


def _workers_in_arguments(arguments: str) -> int | None:
    words = shlex.split(arguments)
    found = None
    for index, word in enumerate(words):
        if word in ("-w", "--workers") and index + 1 < len(words):
            found = words[index + 1]
        elif word.startswith("--workers="):
            found = word.partition("=")[2]
        elif word.startswith("-w") and word[2:].isdigit():
            found = word[2:]
    return int(found) if found and found.isdigit() else None


def planned_workers(environ: Mapping[str, str] = os.environ) -> int:
    """How many processes serve the app, as far as the environment tells: gunicorn's count
    exported by gunicorn.conf.py, else GUNICORN_CMD_ARGS' ``--workers``, else GUNICORN_WORKERS
    (read by gunicorn.conf.py), else WEB_CONCURRENCY (gunicorn's own default), else one."""
    exported = environ.get(WORKERS_VARIABLE, "")
    if exported.isdigit():
        return int(exported)
    from_arguments = _workers_in_arguments(environ.get("GUNICORN_CMD_ARGS", ""))
    if from_arguments is not None:
        return from_arguments
    for name in ("GUNICORN_WORKERS", "WEB_CONCURRENCY"):
        value = environ.get(name, "").strip()
        if value.isdigit():
            return int(value)
    return 1


def refuse_per_process_limits(config: Mapping[str, Any], workers: int) -> None:
    """Production with several workers must count the limits in one shared store."""
    if config.get("ENV_NAME") != "production" or not config.get("RATELIMIT_ENABLED", True):
        return
    storage = str(config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if workers > 1 and storage.startswith(PER_PROCESS_SCHEMES):
        raise RuntimeError(
            f"RATELIMIT_STORAGE_URI={storage} counts the sign-in limits in each process, and "
            f"{workers} gunicorn workers are planned: each would count on its own, and an "
            f"attacker would get {workers} times the configured attempts. Set "
            "RATELIMIT_STORAGE_URI=redis://HOST:6379/0 (a Redis every worker and node "
            "reaches), or run one worker (GUNICORN_WORKERS=1)."
        )


def storage_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """Flask-Limiter's storage options: errors wrapped in StorageError (handled below), and
    short timeouts for Redis."""
    options: dict[str, Any] = {"wrap_exceptions": True}
    if str(config.get("RATELIMIT_STORAGE_URI", "")).startswith(REDIS_SCHEMES):
        options |= {
            "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
            "socket_timeout": REDIS_TIMEOUT_SECONDS,
        }
    return {**options, **config.get("RATELIMIT_STORAGE_OPTIONS", {})}


def init_rate_limits(app: Flask) -> None:
    """Before ``limiter.init_app``: refuse per-process counting in production with several
    workers, set the storage options, answer a store that cannot be reached with 503."""
    refuse_per_process_limits(app.config, planned_workers())
    app.config["RATELIMIT_STORAGE_OPTIONS"] = storage_options(app.config)
    app.register_error_handler(StorageError, _store_unreachable)


def _store_unreachable(error: StorageError) -> tuple[str, int, dict[str, str]]:
    # Refused, not let through uncounted: the attempt may be tried again in a minute.
    current_app.logger.error("Rate-limit storage unreachable: %s", error.storage_error)
    return render_template("errors.html", code=503), 503, {"Retry-After": "60"}
