"""The candidate's pages: the paper (start, the paper itself, the result and its review),
submitting, acknowledging the score, the paper's images and the templates' helpers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from exam.core.db import utcnow
from exam.core.errors import DomainError
from exam.core.forms import populate_errors
from exam.core.views import commit_after, refused, run_operation
from exam.exams.forms import StartForm
from exam.exams.hotpath import NotYours, OpenPaper, open_paper, paper_result, submit_paper
from exam.exams.models import Attempt, AttemptQuestion, AttemptStatus, ReviewOption
from exam.exams.queries import media_on_paper, review_opens_at
from exam.exams.rendering import body_context, key_words, response_words
from exam.exams.rules import AlreadySubmitted, TooManyWrongCodes, WrongCode
from exam.exams.sitting import (
    acknowledge_result,
    load_paper,
    note_wrong_code,
    start_paper,
)
from exam.exams.views.blueprint import bp
from exam.exams.views.common import (
    answer_grace,
    own_attempt,
    own_attempt_closed_if_expired,
    signed_in_candidate,
    signed_in_token,
)
from exam.exams.views.paper_shell import render_open_paper
from exam.extensions import login_manager
from exam.question_bank.qtypes import get_type


@bp.app_template_global("qtype_template")
def qtype_template(item: AttemptQuestion) -> str:
    return get_type(item.version.type).template


def _review_items(attempt: Attempt) -> tuple[list[AttemptQuestion], bool]:
    """The paper for the result page when the test's review option shows it, and only once
    every paper of the test has closed."""
    if attempt.test.review_option == ReviewOption.SCORE_ONLY:
        return [], False
    opens = review_opens_at(attempt.test)
    if opens is None or utcnow() <= opens + dt.timedelta(seconds=answer_grace()):
        return [], True
    return load_paper(attempt), False


@bp.get("/attempts/<int:attempt_id>")
def attempt(attempt_id: int) -> str | Response:
    """The candidate's paper. At the start of the session (unanswered, rendered ahead of
    time) it is one read and no ORM, and so is its result right after the submit
    (``paper_result``); every other case takes the general path."""
    candidate_id = signed_in_candidate()
    if candidate_id is None:
        return login_manager.unauthorized()
    paper = open_paper(
        attempt_id,
        candidate_id,
        session_token=signed_in_token(),
        locale=str(get_locale()),
        at=utcnow(),
    )
    if paper is not None:
        return render_open_paper(paper, just_started=request.args.get("started") == "1")
    result = paper_result(
        attempt_id,
        candidate_id,
        session_token=signed_in_token(),
        at=utcnow(),
        grace_seconds=answer_grace(),
    )
    if result is not None:  # right after the submit: one read, no ORM, no site menu
        return render_template(
            "exams/result.html",
            attempt=result,
            items=[],
            review_later=result.review_later,
            signed_in_name=result.candidate_name,
            without_nav=True,
            just_submitted=request.args.get("submitted") == "1",
        )
    return _attempt_page(attempt_id)


def _paper_page(attempt: Attempt) -> str:
    """The paper in progress on the general path: rendered now, with the saved answers."""
    items = load_paper(attempt)
    return render_template(
        "exams/paper.html",
        paper=OpenPaper(
            attempt.id,
            attempt.test.title,
            attempt.application.candidate.full_name,
            attempt.deadline_at,
            html="",  # rendered now, with the answers: body_context
            questions=len(items),
        ),
        item_count=len(items),
        just_started=request.args.get("started") == "1",
        **body_context(attempt, items),
    )


@login_required
def _attempt_page(attempt_id: int) -> str:
    attempt = own_attempt_closed_if_expired(attempt_id)
    if attempt.status == AttemptStatus.READY:
        return render_template("exams/start.html", attempt=attempt, form=StartForm(), now=utcnow())
    if attempt.status == AttemptStatus.IN_PROGRESS:
        if utcnow() > attempt.deadline_at:  # answers in flight still land until the grace
            return render_template("exams/closing.html", attempt=attempt)
        return _paper_page(attempt)
    items, review_later = _review_items(attempt)
    return render_template(
        "exams/result.html",
        attempt=attempt,
        items=items,
        review_later=review_later,
        just_submitted=request.args.get("submitted") == "1",
    )


def _refused_start(
    attempt_id: int, candidate_id: int, error: DomainError, now: dt.datetime
) -> Response | tuple[str, int, dict[str, str]]:
    """Start refused: a wrong code is kept; the page says why (429 once the paper is locked)."""
    if isinstance(error, WrongCode):  # the one branch of Start that writes when refused
        commit_after(lambda: note_wrong_code(attempt_id, candidate_id, error.given, at=now))
    form = StartForm()
    populate_errors(form, error)
    if not isinstance(error, TooManyWrongCodes):  # back to the paper's page (303)
        return refused(form, url_for("exams.attempt", attempt_id=attempt_id))
    page = render_template(
        "exams/start.html", attempt=own_attempt(attempt_id), form=form, now=utcnow()
    )
    return page, 429, {"Retry-After": str(error.retry_after)}


@bp.post("/attempts/<int:attempt_id>/start")
def start(attempt_id: int) -> Response | tuple[str, int] | tuple[str, int, dict[str, str]]:
    """Pressing Start with the session code: one read and one write (start_paper); the
    slow path only to show what was wrong."""
    candidate_id = signed_in_candidate()
    if candidate_id is None:
        return login_manager.unauthorized()
    code, now, config = request.form.get("session_code", ""), utcnow(), current_app.config
    try:
        commit_after(
            lambda: start_paper(
                attempt_id,
                candidate_id,
                code,
                session_token=signed_in_token(),
                at=now,
                tries=config["START_CODE_TRIES"],
                window=dt.timedelta(minutes=config["START_CODE_WINDOW_MINUTES"]),
            )
        )
    except NotYours:
        abort(404)
    except DomainError as error:
        return _refused_start(attempt_id, candidate_id, error, now)
    # Said on the paper (?started=1), not flashed: the session cookie is then neither
    # rewritten here nor on the paper, 2,000 times in the session's first minute.
    return redirect(url_for("exams.attempt", attempt_id=attempt_id, started=1))


@bp.post("/attempts/<int:attempt_id>/submit")
def submit(attempt_id: int) -> Response:
    """Submitting: scored from the points stored with each answer (``submit_paper``), no
    ORM. A paper whose time and grace are over is closed by the server instead."""
    candidate_id = signed_in_candidate()
    if candidate_id is None:
        return login_manager.unauthorized()
    try:
        submitted = commit_after(
            lambda: submit_paper(
                attempt_id,
                candidate_id,
                session_token=signed_in_token(),
                at=utcnow(),
                grace_seconds=answer_grace(),
            ),
            write_lock=True,
        )
    except NotYours:
        abort(404)
    except AlreadySubmitted:  # sent again (a retry, a second click): the first one's answer
        submitted = True
    except DomainError as error:
        flash(error.message, "danger")
        return redirect(url_for("exams.attempt", attempt_id=attempt_id))
    if submitted:  # said on the result page (?submitted=1), not flashed: no cookie rewritten
        return redirect(url_for("exams.attempt", attempt_id=attempt_id, submitted=1))
    flash(
        _("Đã hết giờ làm bài: bài thi được nộp lúc hết giờ, với các câu trả lời đã lưu."),
        "warning",
    )
    return redirect(url_for("exams.attempt", attempt_id=attempt_id))


@bp.post("/attempts/<int:attempt_id>/acknowledge")
@login_required
def acknowledge(attempt_id: int) -> Response:
    attempt = own_attempt_closed_if_expired(attempt_id)
    run_operation(
        lambda: acknowledge_result(attempt, actor=current_user, at=utcnow()),
        _("Đã xác nhận kết quả."),
    )
    return redirect(url_for("exams.attempt", attempt_id=attempt.id))


def option_text(item: AttemptQuestion, option_id: str) -> str:
    for choice in item.version.data.get("choices", []):
        if choice["id"] == option_id:
            return choice["text"]
    return ""


@bp.app_template_filter("ordered_options")
def ordered_options(item: AttemptQuestion) -> list[dict[str, str]]:
    """The paper's options in this candidate's order, with no hint of which is right."""
    order = item.option_order or [c["id"] for c in item.version.data.get("choices", [])]
    return [{"id": option_id, "text": option_text(item, option_id)} for option_id in order]


@bp.app_template_filter("response_text")
def response_text(item: AttemptQuestion, response: Any) -> str:
    """The review's words for a response (exam.exams.rendering.response_words)."""
    if response in (None, "", [], {}):
        return _("(không trả lời)")
    return response_words(item, response)


@bp.app_template_filter("correct_text")
def correct_text(item: AttemptQuestion) -> str:
    return key_words(item)


# --- question images on the paper (issue 10 item 9) -------------------------------------------

_INLINE_IMAGES = {"image/png", "image/jpeg", "image/gif", "image/webp"}


@bp.get("/attempts/<int:attempt_id>/assets/<digest>")
def attempt_asset(attempt_id: int, digest: str) -> Response:
    """An image of a question on the candidate's own paper, while the paper is open. A
    guest, another candidate, a paper not running, a file of no question on this paper:
    404, as if it did not exist (docs/domain.md: candidates see a question only inside their
    running attempt)."""
    if not current_user.is_authenticated:
        abort(404)
    attempt = own_attempt(attempt_id)
    running = attempt.status == AttemptStatus.IN_PROGRESS and utcnow() <= attempt.deadline_at
    stored = media_on_paper(attempt.id, digest) if running else None
    if stored is None or stored.content_type not in _INLINE_IMAGES:
        abort(404)
    response = Response(stored.content, mimetype=stored.content_type)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
