"""The paper page at the start of a session, filled into a shell rendered once per process.

The page is the same for every candidate but for a few values: the paper's id (in its
addresses), the test's title, the candidate's name, the deadline, the number of questions,
the CSRF token and the questions rendered ahead of time. Rendering base.html and
exams/paper.html anew for each of 2,000 candidates pressing Start in the same minute cost
about 0.4 ms of a worker's CPU each (its two dozen translated strings, its addresses); so the
template is rendered once per language (and per variant: just started or not) with a marker in
place of each value, cut at the markers, and each page is the pieces joined with the values,
escaped as the template escapes them. tests/exams/test_paper_shell.py checks that the page is
the template's own output, byte for byte, for hostile values too.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from flask import current_app, render_template, request, session
from flask_babel import force_locale, get_locale
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from exam.core.i18n import SESSION_LANGUAGE_KEY
from exam.exams.hotpath import OpenPaper

_SUFFIX = secrets.token_hex(6)  # letters and digits: unchanged by escaping and URL quoting
_ID = 918273645546372819  # the paper's id: an int, as the addresses' converter needs one
_MARKS = {
    name: f"slot{name}{_SUFFIX}" for name in ("title", "name", "deadline", "count", "csrf", "body")
}
_SPLIT = re.compile("(" + "|".join([str(_ID), *_MARKS.values()]) + ")")
_NAMES = {str(_ID): "id", **{mark: name for name, mark in _MARKS.items()}}


@dataclass(frozen=True)
class _Moment:
    """The deadline's place in the shell: the template calls ``isoformat()`` on it."""

    mark: str

    def isoformat(self) -> str:
        return self.mark


@dataclass(frozen=True)
class _Shell:
    pieces: tuple[str, ...]  # literal text at even positions, a value's name at odd ones

    def fill(self, values: dict[str, str]) -> str:
        return "".join(
            values[piece] if index % 2 else piece for index, piece in enumerate(self.pieces)
        )


_SHELLS: dict[tuple[str, bool, str], _Shell] = {}


def render_open_paper(paper: OpenPaper, *, just_started: bool) -> str:
    """The page of a paper in progress whose questions were rendered ahead (``open_paper``),
    as ``render_template("exams/paper.html", ...)`` renders it. A page with flashed messages
    to show is rendered by the template itself."""
    if session.get("_flashes"):
        return _render(paper, just_started=just_started)
    locale = str(get_locale())
    key = (locale, just_started, request.script_root)
    shell = _SHELLS.get(key)
    if shell is None:
        shell = _SHELLS[key] = _make_shell(locale, just_started)
    return shell.fill(
        {
            "id": str(paper.attempt_id),
            "title": str(escape(paper.title)),
            "name": str(escape(paper.candidate_name)),
            "deadline": str(escape(paper.deadline_at.isoformat())),
            "count": str(paper.questions),
            "csrf": str(escape(generate_csrf())),
            "body": paper.html,
        }
    )


def _render(paper: OpenPaper, *, just_started: bool, **extra: object) -> str:
    return render_template(
        "exams/paper.html",
        paper=paper,
        body_html=Markup(paper.html),
        item_count=paper.questions,
        just_started=just_started,
        **extra,
    )


def _make_shell(locale: str, just_started: bool) -> _Shell:
    """The page rendered with markers for values, in a request for the marker's paper (the
    header's language switch and the sign-in link name the page's own address)."""
    marked = OpenPaper(
        _ID,
        _MARKS["title"],
        _MARKS["name"],
        _Moment(_MARKS["deadline"]),  # type: ignore[arg-type]
        _MARKS["body"],
        _MARKS["count"],  # type: ignore[arg-type]
    )
    path = f"/attempts/{_ID}" + ("?started=1" if just_started else "")
    # A neutral host: the shell is shared by every candidate, so nothing of the request that
    # made it (its Host header) may end up in it; only the mount point (script root) counts.
    base_url = "http://paper-shell.invalid" + request.script_root
    with current_app.test_request_context(path, base_url=base_url), force_locale(locale):
        session[SESSION_LANGUAGE_KEY] = locale  # the header's switch reads the choice there
        page = _render(marked, just_started=just_started, csrf_token=lambda: _MARKS["csrf"])
    pieces = _SPLIT.split(page)
    return _Shell(tuple(_NAMES[p] if i % 2 else p for i, p in enumerate(pieces)))
