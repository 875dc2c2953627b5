"""The one check of a ``next`` address (exam/core/http.py::local_path)."""

from __future__ import annotations

import pytest

from exam.core.http import local_path

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
