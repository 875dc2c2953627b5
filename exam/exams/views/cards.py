"""A candidate's admission card (PDF), for the candidate and for the board of their round;
the board issuing the round's cards and following the jobs that issue them."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from exam.candidates.models import Application
from exam.candidates.permissions import can_view_application
from exam.core.auth import ensure, get_or_404
from exam.core.db import utcnow
from exam.core.jobs import job_status
from exam.core.views import run_operation
from exam.exams.cards import (
    admission_card_pdf,
    card_document,
    card_jobs_of,
    cards_issued,
    cards_problems,
    start_issuing_cards,
)
from exam.exams.permissions import can_manage_tests, can_monitor_tests
from exam.exams.views.blueprint import bp
from exam.rounds.models import Round, RoundStatus
from exam.rounds.permissions import ensure_in_round


@bp.get("/applications/<int:application_id>/admission-card.pdf")
@login_required
def admission_card(application_id: int) -> Response:
    application = get_or_404(Application, application_id)
    ensure(can_view_application(current_user, application), hide=True)
    if not application.registration_number:
        flash(
            _("Thẻ dự thi chỉ có sau khi hồ sơ được xét đủ điều kiện và có số báo danh."), "warning"
        )
        return redirect(url_for("candidates.show", application_id=application.id))
    issued = card_document(application)
    if issued is not None:  # as issued by the board (exam/exams/cards.py)
        return redirect(url_for("documents.download", document_id=issued.id))
    response = current_app.response_class(
        admission_card_pdf(application), mimetype="application/pdf"
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="the-du-thi-{application.registration_number}.pdf"'
    )
    return response


def _round_for_cards(round_id: int, *, write: bool) -> Round:
    round_ = get_or_404(Round, round_id)
    allowed = can_manage_tests if write else can_monitor_tests
    ensure_in_round(allowed(current_user, round_), current_user, round_)
    return round_


@bp.get("/rounds/<int:round_id>/admission-cards")
@login_required
def cards(round_id: int) -> str:
    """The round's cards: how many are issued, the jobs issuing them, what stands before."""
    round_ = _round_for_cards(round_id, write=False)
    return render_template(
        "exams/cards.html",
        round=round_,
        issued=cards_issued(round_),
        problems=cards_problems(round_) if round_.status == RoundStatus.TESTING else [],
        jobs=[(job, job_status(job)) for job in card_jobs_of(round_)],
        manage=can_manage_tests(current_user, round_),
    )


@bp.post("/rounds/<int:round_id>/admission-cards")
@login_required
def issue_cards(round_id: int) -> Response:
    round_ = _round_for_cards(round_id, write=True)
    run_operation(
        lambda: start_issuing_cards(round_, actor=current_user, at=utcnow()),
        _("Đã bắt đầu phát hành thẻ dự thi."),
    )
    return redirect(url_for("exams.cards", round_id=round_.id))
