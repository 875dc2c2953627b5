"""The paper's questions as HTML: rendered for the page, or ahead of time when papers are
made (RenderedPaper), so that the start of a session costs one read per candidate; and a
question's response and key said in words for the review after the test."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import render_template
from flask_babel import force_locale, format_decimal
from flask_babel import lazy_gettext as _l

from exam.exams.models import Attempt, AttemptQuestion, RenderedPaper, Test
from exam.exams.sitting import load_paper
from exam.exams.tokens import part_tokens
from exam.extensions import db
from exam.question_bank import rich_text
from exam.question_bank.qtypes import get_type

_BETWEEN_TAGS = re.compile(r">\s+<")

# Said once per question: translated once per page, then filled in by the template.
PAPER_LABELS = {
    "question": _l("Câu %(n)d"),
    "points": _l("%(points)s điểm"),
    "flag": _l("Đánh dấu để xem lại"),
}


def body_context(attempt: Attempt, items: list[AttemptQuestion]) -> dict[str, Any]:
    """What the questions' templates need; ``tokens[item id][part id]`` is the value the
    page shows for a part (exam.exams.tokens), never the bank's id."""
    return {
        "attempt": attempt,
        "items": items,
        "tokens": {
            item.id: part_tokens(
                attempt.token_secret, item.id, item.version.type, item.version.data
            )
            for item in items
        },
        "points_text": {p: format_decimal(p, "0.00") for p in {item.points for item in items}},
        "labels": {key: str(text) for key, text in PAPER_LABELS.items()},
    }


def render_body(attempt: Attempt, items: list[AttemptQuestion]) -> str:
    return render_template("exams/_paper_body.html", **body_context(attempt, items))


def prerender_papers(test: Test, *, locale: str = "vi") -> int:
    """Render every paper of the test that has no answer and no rendering yet."""
    done = set(
        db.session.scalars(
            sa.select(RenderedPaper.attempt_id).join(Attempt).where(Attempt.test_id == test.id)
        )
    )
    attempts = db.session.scalars(sa.select(Attempt).where(Attempt.test_id == test.id)).all()
    made = 0
    with force_locale(locale):
        for attempt in attempts:
            if attempt.id in done:
                continue
            items = load_paper(attempt)
            if any(item.answer is not None for item in items):
                continue
            html = _BETWEEN_TAGS.sub("> <", render_body(attempt, items))  # ~half the bytes
            db.session.add(
                RenderedPaper(attempt_id=attempt.id, locale=locale, questions=len(items), html=html)
            )
            made += 1
    db.session.flush()
    return made


# --- the review: responses in words ---------------------------------------------------------


def _in_words(item: AttemptQuestion, words: str) -> str:
    # An HTML question's parts are HTML: named in a sentence by their words, never their tags.
    return rich_text.to_plain(words) if item.version.text_format == "html" else words


def response_words(item: AttemptQuestion, response: Any) -> str:
    """A response as the candidate saw it, through its question type's ``describe_response``:
    the texts of the parts, options by the letters of this paper, never the bank's ids."""
    qtype = get_type(item.version.type)
    data = qtype.as_on_paper(item.version.data, item.option_order)
    return _in_words(item, qtype.describe_response(data, response))


def key_words(item: AttemptQuestion) -> str:
    """The expected answer in the same terms (``describe_answer``, this paper's letters)."""
    qtype = get_type(item.version.type)
    return _in_words(
        item, qtype.describe_answer(qtype.as_on_paper(item.version.data, item.option_order))
    )
