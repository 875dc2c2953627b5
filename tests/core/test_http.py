"""Addresses a request carries and addresses the site gives out (exam/core/http.py)."""

from __future__ import annotations

import pytest

from exam.core.http import local_path, public_url_for

FALLBACK = "/"


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "//evil.example",
        "https://evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "evil.example",
        " /rounds/",
        "/\tevil.example",
        "/\t/evil.example",
        "/\r\n/evil.example",
        "/\\evil.example",
        "/\\/evil.example",
        "\\\\evil.example",
        "/rounds/\\..\\\\evil.example",
        "/\x00/evil.example",
    ],
)
def test_anything_but_a_local_path_gives_the_fallback(target):
    assert local_path(target, FALLBACK) == FALLBACK


@pytest.mark.parametrize("target", ["/", "/rounds/?trang=2", "/exams/tests/3#ca", "/tìm?q=Hà Nội"])
def test_a_local_path_is_kept(target):
    assert local_path(target, FALLBACK) == target


def test_public_addresses_outside_a_request_are_built_on_public_url(app, monkeypatch):
    # A background job or a command issues documents and e-mails with no request around.
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://thituyen.example.vn/")
    with app.app_context():
        assert public_url_for("documents.verify", code="ABCDEFGHJK") == (
            "https://thituyen.example.vn/xac-minh/ABCDEFGHJK"
        )


def test_public_addresses_outside_a_request_without_public_url_still_build(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "")
    with app.app_context():
        assert public_url_for("documents.verify", code="ABCDEFGHJK") == (
            "http://localhost/xac-minh/ABCDEFGHJK"
        )


def test_public_addresses_in_a_request_ignore_a_forged_host_when_public_url_is_set(
    app, monkeypatch
):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://thituyen.example.vn")
    with app.test_request_context("/", base_url="http://evil.example"):
        assert public_url_for("documents.verify", code="ABCDEFGHJK").startswith(
            "https://thituyen.example.vn/"
        )
    monkeypatch.setitem(app.config, "PUBLIC_URL", "")
    with app.test_request_context("/", base_url="http://exam.local"):
        assert public_url_for("documents.verify", code="ABCDEFGHJK").startswith(
            "http://exam.local/"
        )
