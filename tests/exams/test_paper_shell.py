"""The paper page at the start of a session is filled into a shell rendered once per process
(exam/exams/views/paper_shell.py): it must be the template's own output, byte for byte."""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Callable

import pytest
from flask import flash, session

from exam.exams.hotpath import OpenPaper
from exam.exams.views import paper_shell
from exam.exams.views.paper_shell import render_open_paper

DEADLINE = dt.datetime(2026, 4, 1, 3, 0, tzinfo=dt.UTC)


def _paper(**changes) -> OpenPaper:
    values = {
        "attempt_id": 42,
        "title": "Trắc nghiệm <kiến thức> & \"chung\" 'A'",
        "candidate_name": "Nguyễn Văn <script>alert(1)</script> 918273645546372819",
        "deadline_at": DEADLINE,
        "html": '<ol class="paper"><li class="question">Câu 1 &amp; 2</li></ol>',
        "questions": 60,
    }
    return OpenPaper(**(values | changes))


def _in_request(app, path: str, language: str, work: Callable[[], object]) -> object:
    """``work`` in a request of its own, with its own app context and ``g`` (as in
    production; the suite's app context outlives each test)."""

    def run() -> object:
        with app.app_context(), app.test_request_context(path):
            session["language"] = language
            return work()

    return contextvars.Context().run(run)


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("just_started", [True, False])
def test_the_filled_shell_is_the_templates_own_page(app, language, just_started):
    paper_shell._SHELLS.clear()
    for paper in (_paper(), _paper(attempt_id=7, title="Đề số 2", questions=3)):
        path = f"/attempts/{paper.attempt_id}" + ("?started=1" if just_started else "")
        filled, rendered = _in_request(
            app,
            path,  # the page's address names its paper
            language,
            lambda paper=paper: (
                render_open_paper(paper, just_started=just_started),
                paper_shell._render(paper, just_started=just_started),
            ),
        )
        assert filled == rendered
    assert len(paper_shell._SHELLS) == 1  # one shell for both papers


def test_the_values_are_escaped_and_the_questions_are_not(app):
    page = _in_request(
        app, "/attempts/42", "vi", lambda: render_open_paper(_paper(), just_started=False)
    )
    assert "<script>alert(1)</script>" not in page
    assert "Nguyễn Văn &lt;script&gt;" in page
    assert '<li class="question">Câu 1 &amp; 2</li>' in page
    assert 'data-save-url="/attempts/42/answers"' in page
    assert 'data-deadline="2026-04-01T03:00:00+00:00"' in page
    assert "slot" + "title" not in page  # no marker left


def test_a_page_with_a_flashed_message_is_rendered_by_the_template(app):
    def flashed() -> str:
        flash("Thông báo thử", "info")
        return render_open_paper(_paper(), just_started=False)

    assert "Thông báo thử" in _in_request(app, "/attempts/42", "vi", flashed)


def test_a_shell_per_language_and_variant(app):
    paper_shell._SHELLS.clear()
    for language in ("vi", "en"):
        page = _in_request(
            app,
            "/attempts/42?started=1",
            language,
            lambda: render_open_paper(_paper(), just_started=True),
        )
        assert ("Nộp bài" in page) is (language == "vi")
    assert {key[:2] for key in paper_shell._SHELLS} == {("vi", True), ("en", True)}
