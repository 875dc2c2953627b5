"""Rate limits across workers and nodes (exam/core/ratelimits.py): production refuses to
count them in each process when several workers serve it; Redis down refuses a sign-in with
a message (never a 500, never uncounted) and leaves the exam page's saves alone; two app
processes on one Redis share the count."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from flask import Flask

import config as app_config
from exam import create_app
from exam.core.ratelimits import planned_workers, refuse_per_process_limits, storage_options
from exam.extensions import db, limiter
from tests.accounts.test_accounts import signed_in_user_id
from tests.conftest import IsolatedClient, login
from tests.exams.test_attempts import MINUTE, START, _answers, _post, _start, sitting  # noqa: F401
from tests.helpers import paper_token
from tests.notices.test_outbox import free_port

ROOT = Path(__file__).resolve().parents[2]
WAIT = 60
REFUSED_FOR_NOW = "Hệ thống tạm thời không kiểm tra được số lần thử nên chưa nhận yêu cầu này."


@pytest.mark.parametrize(
    ("environ", "workers"),
    [
        ({}, 1),
        ({"WEB_CONCURRENCY": "3"}, 3),
        ({"GUNICORN_WORKERS": "4", "WEB_CONCURRENCY": "3"}, 4),
        ({"GUNICORN_CMD_ARGS": "--bind 0.0.0.0:80 --workers 5", "GUNICORN_WORKERS": "4"}, 5),
        ({"GUNICORN_CMD_ARGS": "--workers=6"}, 6),
        ({"GUNICORN_CMD_ARGS": "-w 2 --timeout 30"}, 2),
        ({"GUNICORN_CMD_ARGS": "-w7"}, 7),
        ({"EXAM_GUNICORN_WORKERS": "8", "GUNICORN_CMD_ARGS": "-w 2"}, 8),  # gunicorn's own
        ({"WEB_CONCURRENCY": "many"}, 1),
    ],
)
def test_the_planned_workers_are_read_where_gunicorn_reads_them(environ, workers):
    assert planned_workers(environ) == workers


def _production(**changes: object) -> dict:
    return {
        "ENV_NAME": "production",
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        **changes,
    }


def test_production_refuses_per_process_limits_with_several_workers():
    with pytest.raises(RuntimeError) as refused:
        refuse_per_process_limits(_production(), workers=4)
    message = str(refused.value)
    assert "4 gunicorn workers" in message
    assert "RATELIMIT_STORAGE_URI=redis://" in message
    # Each of these starts: one worker, a shared store, development, limits switched off.
    refuse_per_process_limits(_production(), workers=1)
    refuse_per_process_limits(_production(RATELIMIT_STORAGE_URI="redis://redis:6379/0"), 4)
    refuse_per_process_limits(_production(ENV_NAME="development"), workers=4)
    refuse_per_process_limits(_production(RATELIMIT_ENABLED=False), workers=4)


def test_the_production_app_refuses_to_start_with_memory_storage_and_workers(monkeypatch):
    monkeypatch.setenv("GUNICORN_CMD_ARGS", "--workers 3")
    for name, value in (
        ("SECRET_KEY", secrets.token_urlsafe(48)),
        ("SQLALCHEMY_DATABASE_URI", "sqlite://"),
        ("RATELIMIT_ENABLED", True),
        ("RATELIMIT_STORAGE_URI", "memory://"),
    ):
        monkeypatch.setattr(app_config.ProductionConfig, name, value)
    was_enabled = limiter.enabled
    try:
        with pytest.raises(RuntimeError, match="3 gunicorn workers"):
            create_app(app_config.ProductionConfig)
        monkeypatch.setattr(app_config.ProductionConfig, "RATELIMIT_STORAGE_URI", "redis://r:1")
        assert create_app(app_config.ProductionConfig).config["ENV_NAME"] == "production"
    finally:
        limiter.enabled = was_enabled


def test_gunicorn_refuses_to_start_in_production_with_memory_storage(tmp_path):
    """The real server, gunicorn.conf.py and two workers on the command line: it stops before
    forking, with the reason and what to set."""
    environment = {
        **os.environ,
        "EXAM_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'exam.sqlite3'}",
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    environment.pop("RATELIMIT_ENABLED", None)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    started = subprocess.run(
        [gunicorn, "--config", "gunicorn.conf.py", "--bind", "127.0.0.1:0", "-w", "2", "wsgi:app"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=WAIT,
    )
    assert started.returncode != 0
    assert "2 gunicorn workers are planned" in started.stderr
    assert "Set RATELIMIT_STORAGE_URI=redis://" in started.stderr


def test_redis_storage_gets_short_timeouts_and_every_store_wrapped_errors():
    redis = storage_options({"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"})
    assert redis["wrap_exceptions"] is True
    assert redis["socket_timeout"] <= 2
    assert storage_options({"RATELIMIT_STORAGE_URI": "memory://"}) == {"wrap_exceptions": True}


@pytest.fixture
def closed_port() -> int:
    return free_port()  # nothing listens there: Redis is down


@contextlib.contextmanager
def redis_down_app(port: int) -> Iterator[Flask]:
    """An app with the limits on and counted in a Redis that does not answer (the suite's
    app has them off; the module-level limiter is switched back after)."""
    was_enabled = limiter.enabled
    try:
        limited = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": "sqlite://",
                "RATELIMIT_ENABLED": True,
                "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{port}/0",
                "WTF_CSRF_ENABLED": False,
                "PASSWORD_HASH_CHEAP": True,
                "SECRET_KEY": "x",
            }
        )
        limited.test_client_class = IsolatedClient
        yield limited
    finally:
        limiter.enabled = was_enabled


def test_redis_down_refuses_a_sign_in_with_a_message(make, closed_port):
    from exam.accounts.models import Role
    from tests.factories import PASSWORD

    user = make.user(Role.CANDIDATE, email="redis-down@test.example")
    db.session.commit()

    with redis_down_app(closed_port) as limited:
        client = limited.test_client()
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
        page = client.get("/login")

    assert response.status_code == 503  # refused: neither a 500 nor let through uncounted
    assert REFUSED_FOR_NOW in response.get_data(as_text=True)
    assert response.headers["Retry-After"] == "60"
    assert signed_in_user_id(client) is None
    assert page.status_code == 200  # the sign-in page itself still shows


def test_redis_down_leaves_the_exam_page_saves_alone(sitting, closed_port):  # noqa: F811
    attempt = _start(sitting.attempt, sitting.candidate)
    item_id = attempt.questions[0].id

    with (
        redis_down_app(closed_port) as limited,
        time_machine.travel(START + 5 * MINUTE, tick=False),
    ):
        client = login(limited.test_client(), sitting.candidate)
        saved = _post(
            client,
            attempt.id,
            {"item": item_id, "response": paper_token(item_id, "b"), "seq": 1},
        )

    assert saved.status_code == 200, saved.get_data(as_text=True)
    assert saved.get_json()["saved"] == [{"item": item_id, "seq": 1}]
    assert _answers(attempt.id) == {item_id: ("b", 1)}


# --- Two app processes on one Redis --------------------------------------------------------


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    server = shutil.which("redis-server")
    assert server, "redis-server is missing: make system-deps WITH_TEST_DEPS=1"
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        for line in process.stdout:  # ready when it says so (no sleep)
            if "Ready to accept connections" in line:
                break
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(WAIT)


SIGN_IN_ATTEMPTS = textwrap.dedent(
    """
    import sys
    from exam import create_app
    from exam.extensions import db

    app = create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": sys.argv[1], "SECRET_KEY": "x",
        "WTF_CSRF_ENABLED": False, "PASSWORD_HASH_CHEAP": True, "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": sys.argv[2], "LOGIN_RATE_LIMIT": "3 per minute",
    })
    with app.app_context():
        db.create_all()
    client = app.test_client()
    for _ in range(int(sys.argv[3])):
        wrong = {"email": "ai@test.example", "password": "sai-mat-khau"}
        print(client.post("/login", data=wrong).status_code)
    """
)


def test_two_app_processes_on_one_redis_share_the_sign_in_count(tmp_path, redis_url):
    def attempts(count: int) -> list[int]:
        run = subprocess.run(
            [
                sys.executable,
                "-c",
                SIGN_IN_ATTEMPTS,
                f"sqlite:///{tmp_path / 'exam.sqlite3'}",
                redis_url,
                str(count),
            ],
            cwd=ROOT,
            env={**os.environ, "EXAM_ENV": "development"},
            capture_output=True,
            text=True,
            timeout=WAIT,
        )
        assert run.returncode == 0, run.stderr
        return [int(line) for line in run.stdout.split()]

    first_node = attempts(2)
    second_node = attempts(2)  # its own process: only Redis knows about the first two

    assert 429 not in first_node
    assert second_node[0] != 429
    assert second_node[1] == 429
