"""The application as a whole: security headers, no inline script, local assets only, safe
cookies, refusing to start unsafely in production, the language switch, safe redirects and
error pages in Vietnamese."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

import pytest
import time_machine

import config as app_config
from exam import create_app
from exam.accounts.models import Role
from exam.exams.sitting import start_attempt
from exam.extensions import db, limiter
from exam.rounds.models import RoundStatus
from tests.conftest import login
from tests.factories import PASSWORD


class PageScan(HTMLParser):
    """Collects what a strict Content-Security-Policy would block or what would leave the site."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inline_scripts: list[str] = []
        self.handlers: list[tuple[str, str]] = []
        self.javascript_urls: list[str] = []
        self.inline_styles: list[str] = []
        self.assets: list[str] = []
        self.html_lang: str | None = None
        self._in_script = False
        self._script_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.handlers.append((tag, name))
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.javascript_urls.append(value or "")
        if tag == "html":
            self.html_lang = attributes.get("lang")
        if tag == "script":
            self._in_script = True
            self._script_text = []
            if attributes.get("src"):
                self.assets.append(attributes["src"] or "")
        if tag == "style":
            self.inline_styles.append("<style>")
        if tag == "link" and attributes.get("href"):
            self.assets.append(attributes["href"] or "")
        if tag == "img" and attributes.get("src"):
            self.assets.append(attributes["src"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            text = "".join(self._script_text).strip()
            if text:
                self.inline_scripts.append(text)
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self._script_text.append(data)


def scan(html: str) -> PageScan:
    parser = PageScan()
    parser.feed(html)
    parser.close()
    return parser


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.fixture
def pages(client, make):
    """Paths of pages of every kind, with who should see them (None: a guest)."""
    round_ = make.round(status=RoundStatus.REGISTRATION_OPEN)
    candidate = make.user(Role.CANDIDATE)
    make.application(round_.positions[0], candidate)
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    return [
        ("/", None),
        ("/login", None),
        ("/register", None),
        ("/rounds/", None),
        (f"/rounds/{round_.id}", None),
        ("/", candidate),
        (f"/rounds/{round_.id}", board),
        ("/rounds/new", board),
        ("/khong-co-trang-nay", None),
    ]


# --- Headers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/", 200),
        ("get", "/login", 200),
        ("get", "/register", 200),
        ("get", "/rounds/", 200),
        ("get", "/khong-co-trang-nay", 404),
        ("get", "/logout", 405),
        ("post", "/language", 302),
        ("get", "/static/css/app.css", 200),
        ("get", "/static/vendor/bootstrap/bootstrap.bundle.min.js", 200),
    ],
)
def test_every_response_carries_the_security_headers(client, method, path, status):
    response = getattr(client, method)(path)

    assert response.status_code == status
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    policy = csp_directives(response.headers["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in policy["style-src"]
    for sources in policy.values():
        assert "*" not in sources
        assert not any(s.startswith(("http:", "https:")) for s in sources)


def test_pages_have_no_inline_script_and_no_event_handler(client, pages):
    scanned = 0
    for path, user in pages:
        login(client, user)
        html = client.get(path).get_data(as_text=True)
        page = scan(html)
        assert page.inline_scripts == [], path
        assert page.handlers == [], path
        assert page.javascript_urls == [], path
        assert page.inline_styles == [], path
        assert 'style="' not in html, path  # style-src 'self' would block it
        assert page.assets, path  # the scan did see the page's scripts and stylesheets
        scanned += 1
        client.post("/logout")
    assert scanned == len(pages)


def test_the_exam_page_loads_its_script_from_a_file(client, make):
    """The one page with real JavaScript: the paper of a test in progress."""
    round_ = make.round(status=RoundStatus.REGISTRATION_OPEN)
    candidate = make.user(Role.CANDIDATE)
    application = make.application(round_.positions[0], candidate)
    test = make.test(round_)
    attempt = make.attempt(test, application)
    during = test.starts_at + dt.timedelta(minutes=5)
    start_attempt(attempt, session_code=test.session_code, at=during)
    db.session.commit()

    with time_machine.travel(during, tick=False):
        login(client, candidate)
        response = client.get(f"/attempts/{attempt.id}")

    assert response.status_code == 200
    page = scan(response.get_data(as_text=True))
    assert "/static/js/attempt.js" in page.assets
    assert page.inline_scripts == []
    assert page.handlers == []
    assert page.javascript_urls == []


def test_every_asset_is_served_by_the_site_itself(client, pages):
    seen: set[str] = set()
    for path, user in pages:
        login(client, user)
        for asset in scan(client.get(path).get_data(as_text=True)).assets:
            parts = urlsplit(asset)
            assert not parts.scheme, f"{path} loads {asset}"
            assert not parts.netloc, f"{path} loads {asset}"
            assert asset.startswith("/static/"), f"{path} loads {asset}"
            seen.add(asset)
        client.post("/logout")

    assert any(a.endswith(".js") for a in seen)
    assert any(a.endswith(".css") for a in seen)
    for asset in seen:  # vendored, not merely referenced
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert response.data, asset


# --- Cookies --------------------------------------------------------------------------------


def session_cookie_header(response) -> str:
    [header] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    return header


def test_the_session_cookie_is_httponly_and_samesite_lax(client):
    response = client.post("/language", data={"language": "en", "next": "/"})

    attributes = [a.strip().lower() for a in session_cookie_header(response).split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes


def test_the_cookie_given_at_login_is_httponly_and_samesite_lax(client, make):
    make.user(Role.CANDIDATE, email="cookie@test.example")
    db.session.commit()

    response = client.post("/login", data={"email": "cookie@test.example", "password": PASSWORD})

    assert response.status_code == 302
    attributes = [a.strip().lower() for a in session_cookie_header(response).split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes


# --- Production settings --------------------------------------------------------------------


@pytest.mark.parametrize("secret", ["", None])
def test_production_without_a_secret_key_refuses_to_start(monkeypatch, secret):
    monkeypatch.setattr(app_config.ProductionConfig, "SECRET_KEY", secret)

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(app_config.ProductionConfig)


def test_production_with_a_secret_key_starts_with_secure_cookies(monkeypatch):
    key = secrets.token_urlsafe(48)
    monkeypatch.setattr(app_config.ProductionConfig, "SECRET_KEY", key)
    monkeypatch.setattr(app_config.ProductionConfig, "SQLALCHEMY_DATABASE_URI", "sqlite://")
    monkeypatch.setattr(app_config.ProductionConfig, "RATELIMIT_ENABLED", False)
    was_enabled = limiter.enabled
    try:
        production = create_app(app_config.ProductionConfig)
    finally:
        limiter.enabled = was_enabled

    assert production.config["SECRET_KEY"] == key
    assert production.config["WTF_CSRF_ENABLED"] is True
    assert production.config["SESSION_COOKIE_HTTPONLY"] is True
    assert production.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert not production.testing


# --- Language -------------------------------------------------------------------------------


def test_vietnamese_is_the_default_language(client):
    html = client.get("/").get_data(as_text=True)

    assert scan(html).html_lang == "vi"
    assert "Thi tuyển chức danh lãnh đạo, quản lý" in html
    assert 'name="language" value="en"' in html  # the switch offers English


def test_choosing_english_is_remembered(client):
    response = client.post("/language", data={"language": "en", "next": "/rounds/"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/rounds/"
    with client.session_transaction() as session:
        assert session["language"] == "en"
    html = client.get("/").get_data(as_text=True)
    assert scan(html).html_lang == "en"
    assert 'name="language" value="vi"' in html  # and offers the way back

    client.post("/language", data={"language": "vi", "next": "/"})
    assert scan(client.get("/").get_data(as_text=True)).html_lang == "vi"


@pytest.mark.parametrize("language", ["fr", "", "EN", "vi-VN"])
def test_an_unknown_language_is_ignored(client, language):
    response = client.post("/language", data={"language": language, "next": "/"})

    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "language" not in session
    assert scan(client.get("/").get_data(as_text=True)).html_lang == "vi"


def test_a_language_forged_into_the_session_is_not_used(client):
    with client.session_transaction() as session:
        session["language"] = "xx"

    assert scan(client.get("/").get_data(as_text=True)).html_lang == "vi"


# --- Redirects stay on the site -------------------------------------------------------------

HOSTILE_TARGETS = [
    "//evil.example",
    "//evil.example/login",
    "https://evil.example",
    "http://evil.example/",
    "evil.example",
    "javascript:alert(1)",
    "/\t/evil.example",  # browsers drop tabs: would become //evil.example
    "/\n/evil.example",
    " //evil.example",
    "/\\evil.example",  # browsers read a backslash as a slash: //evil.example
    "/\\/evil.example",
    "\\\\evil.example",
]


def assert_local(location: str) -> None:
    parts = urlsplit(location)
    assert not parts.scheme, location
    assert not parts.netloc, location
    assert location.startswith("/"), location
    assert not location.startswith("//"), location
    assert not re.search(r"[\x00-\x1f\\]", location), location


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_the_language_switch_never_redirects_off_site(client, target):
    response = client.post("/language", data={"language": "en", "next": target})

    assert response.status_code == 302
    assert_local(response.headers["Location"])
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_login_never_redirects_off_site(client, make, target):
    make.user(Role.CANDIDATE, email="redirect@test.example")
    db.session.commit()

    response = client.post(
        "/login?next=" + quote(target, safe=""),
        data={"email": "redirect@test.example", "password": PASSWORD},
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_a_local_target_with_a_query_is_kept(client):
    response = client.post("/language", data={"language": "en", "next": "/rounds/?trang=2"})

    assert response.headers["Location"] == "/rounds/?trang=2"


# --- Error pages ----------------------------------------------------------------------------


def test_a_missing_page_answers_404_in_vietnamese(client):
    response = client.get("/khong-co-trang-nay")

    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Không tìm thấy trang bạn yêu cầu." in html
    assert "Về trang chính" in html
    assert scan(html).html_lang == "vi"
    assert "Not Found" not in html


def test_a_missing_object_answers_404_in_vietnamese(client):
    response = client.get("/rounds/999999")

    assert response.status_code == 404
    assert "Không tìm thấy trang bạn yêu cầu." in response.get_data(as_text=True)


def test_a_forbidden_page_answers_403_in_vietnamese(client, make):
    login(client, make.user(Role.CANDIDATE))
    db.session.commit()

    response = client.get("/rounds/new")

    assert response.status_code == 403
    assert "Bạn không có quyền thực hiện thao tác này." in response.get_data(as_text=True)


def test_a_guest_is_asked_to_sign_in_in_vietnamese(client):
    response = client.get("/rounds/new")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Vui lòng đăng nhập để tiếp tục." in page


def test_a_new_server_process_is_warmed_up_before_the_first_candidates(app, tmp_path):
    """gunicorn.conf.py warms each worker up: the exam pages' templates and the hot
    statements compiled before the first request of a session's start."""
    from exam import warm_up
    from exam.exams import hotpath
    from exam.exams.hotpath import runner, statements

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url == "sqlite://":  # the suite's in-memory database is the tests' own connection
        url = f"sqlite:///{tmp_path / 'warm.sqlite3'}"
    # Limits off: the limiter is one object for every app, and on would limit the later tests.
    fresh = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "RATELIMIT_ENABLED": False}
    )
    statements._STATEMENTS.clear()
    runner._DRIVER_STATEMENTS.clear()
    runner._SQLITE_STATEMENTS.clear()

    warm_up(fresh)

    compiled = {key[1] for key in fresh.jinja_env.cache}
    assert {"exams/paper.html", "exams/start.html", "base.html"} <= compiled
    dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
    assert (dialect, hotpath.Statement.OPEN_PAPER) in statements._STATEMENTS
    assert (dialect, hotpath.Statement.START_STATE) in statements._STATEMENTS
    # compiled for the driver too (keyed by statement and lists)
    on_driver = runner._DRIVER_STATEMENTS if dialect == "postgresql" else runner._SQLITE_STATEMENTS
    compiled_for_driver = {statement for statement, _lists in on_driver}
    assert {hotpath.Statement.OPEN_PAPER, hotpath.Statement.STATE_AND_ITEMS} <= compiled_for_driver


def test_the_site_has_a_favicon(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200
    assert icon.get_data().startswith(b"<svg")
    assert client.get("/favicon.ico").headers["Location"].endswith("/static/favicon.svg")
