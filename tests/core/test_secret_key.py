"""The exam-day server signs sessions with a key nobody else knows (issue 10 item 2): gunicorn
runs production settings, and production refuses a known, short or patterned SECRET_KEY."""

from __future__ import annotations

import os
import secrets
import string

import pytest

import config as app_config
from exam import create_app
from exam.core.secret_key import GENERATE, secret_key_problem
from exam.extensions import limiter


def production_app(monkeypatch, key: str | None, key_file: str = ""):
    monkeypatch.setattr(app_config.ProductionConfig, "SECRET_KEY", key)
    monkeypatch.setattr(app_config.ProductionConfig, "SECRET_KEY_FILE", key_file)
    monkeypatch.setattr(app_config.ProductionConfig, "SQLALCHEMY_DATABASE_URI", "sqlite://")
    monkeypatch.setattr(app_config.ProductionConfig, "RATELIMIT_ENABLED", False)
    was_enabled = limiter.enabled
    try:
        return create_app(app_config.ProductionConfig)
    finally:
        limiter.enabled = was_enabled


@pytest.mark.parametrize(
    "key",
    [
        None,
        "",
        "dev-only-not-secret",  # config.py's development key
        "testing-only",  # the tests' key
        "bench-only-secret-key",  # the benchmarks' former key
        "a-long-random-secret",
        "CHANGEME",
        secrets.token_urlsafe(16),  # 16 random bytes: too short
        secrets.token_hex(31),  # 62 hex digits: 248 bits
        "a" * 64,
        "ab" * 40,
        secrets.token_urlsafe(8) * 6,  # a random chunk, repeated
        string.ascii_letters + string.digits,  # a sequence
        "9876543210" * 5,
        "correct horse battery staple",
    ],
)
def test_production_refuses_a_known_short_or_patterned_key(monkeypatch, key):
    with pytest.raises(RuntimeError, match="SECRET_KEY") as refused:
        production_app(monkeypatch, key)

    message = str(refused.value)
    assert "refuses to start" in message
    assert GENERATE in message  # it says how to make a good one
    assert 'python -c "import secrets; print(secrets.token_urlsafe(48))"' in message


@pytest.mark.parametrize(
    "key",
    [
        secrets.token_urlsafe(48),
        secrets.token_urlsafe(32),  # 43 characters: 32 bytes
        secrets.token_hex(32),
        secrets.token_hex(48),
    ],
)
def test_production_starts_with_a_random_key(monkeypatch, key):
    production = production_app(monkeypatch, key)

    assert production.config["SECRET_KEY"] == key
    assert production.config["SESSION_COOKIE_SECURE"] is True
    assert secret_key_problem(key) is None


def test_a_generated_key_is_always_accepted():
    """The checks reject patterns, not bad luck: keys made as the message says always pass."""
    for _ in range(2000):
        assert secret_key_problem(secrets.token_urlsafe(48)) is None
        assert secret_key_problem(secrets.token_hex(32)) is None


def test_a_key_file_readable_by_others_is_refused(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    key_file = tmp_path / "secret_key"
    key = secrets.token_urlsafe(48)
    key_file.write_text(key + "\n")
    key_file.chmod(0o644)

    with pytest.raises(RuntimeError, match="readable by others"):
        production_app(monkeypatch, key, str(key_file))

    key_file.chmod(0o600)
    assert production_app(monkeypatch, key, str(key_file)).config["SECRET_KEY"] == key


def test_production_reads_the_key_from_the_environment_then_the_file(monkeypatch, tmp_path):
    key_file = tmp_path / "secret_key"
    from_file = secrets.token_urlsafe(48)
    key_file.write_text(from_file + "\n")
    monkeypatch.setattr(app_config, "SECRET_KEY_FILE", str(key_file))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    assert app_config._production_secret_key() == from_file

    from_environment = secrets.token_urlsafe(48)
    monkeypatch.setenv("SECRET_KEY", from_environment)
    assert app_config._production_secret_key() == from_environment

    monkeypatch.delenv("SECRET_KEY")
    key_file.unlink()
    assert app_config._production_secret_key() == ""


@pytest.mark.parametrize(
    ("exam_env", "server", "expected"),
    [
        (None, None, "development"),  # flask run, flask commands
        (None, "gunicorn/27.0.1", "production"),  # gunicorn, with or without gunicorn.conf.py
        ("development", "gunicorn/27.0.1", "development"),  # said explicitly
        ("production", None, "production"),
        ("testing", None, "testing"),
    ],
)
def test_gunicorn_runs_production_settings_unless_told_otherwise(
    monkeypatch, exam_env, server, expected
):
    for name, value in (("EXAM_ENV", exam_env), ("SERVER_SOFTWARE", server)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)

    chosen = app_config.config_from_environment()
    assert chosen is app_config.CONFIGS[expected]


def test_an_unknown_environment_name_is_refused(monkeypatch):
    monkeypatch.setenv("EXAM_ENV", "prod")

    with pytest.raises(RuntimeError, match="EXAM_ENV='prod'"):
        app_config.config_from_environment()


def test_gunicorn_conf_chooses_production(monkeypatch):
    import runpy

    monkeypatch.setenv("EXAM_ENV", "")  # so that the original is put back after
    monkeypatch.delenv("EXAM_ENV")
    runpy.run_path(os.path.join(os.path.dirname(app_config.__file__), "gunicorn.conf.py"))

    assert os.environ["EXAM_ENV"] == "production"
