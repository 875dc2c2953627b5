"""Real-browser tests: the app served by a real WSGI server in a thread, on its own database
(a SQLite file, or a PostgreSQL database beside the test one), driven by Playwright with
Debian's /usr/bin/chromium. No browser is ever downloaded."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from exam import create_app
from exam.extensions import db
from tests.helpers import config_for_tests, fresh_database_url

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    config = config_for_tests(
        SQLALCHEMY_DATABASE_URI=fresh_database_url(tmp_path_factory.mktemp("e2e"), "e2e"),
        WTF_CSRF_ENABLED=True,  # a real browser goes through CSRF like everyone else
        # Jobs in a thread once the response is sent, as in production: run inside the POST
        # that starts them, their progress writes would wait for that request's write lock.
        JOBS_RUN_INLINE=False,
    )
    app = create_app(config)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="session")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser) -> Iterator:
    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def live_db(live_app: Flask) -> Iterator:
    """The live app's database, for arranging data and checking what the browser saved."""
    with live_app.app_context():
        yield db.session
        db.session.rollback()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_until(page, expression: str, timeout: float = 10.0) -> None:
    """Wait until ``expression`` is true in the page. Unlike ``page.wait_for_function``, whose
    polling compiles the string inside the page (refused by our CSP without 'unsafe-eval'),
    each check here goes through ``page.evaluate``, which the CSP does not govern."""
    give_up = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > give_up:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        page.wait_for_timeout(20)  # one animation frame or so between checks
