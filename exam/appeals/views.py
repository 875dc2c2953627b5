"""The appeals' pages (docs/domain.md §9): the candidate's appeals and filing; the round's
appeals for its Council, Ban phách and supervisory board; a re-marker's list of their own
re-marking sheets (each marked on the marking's sheet page, which shows only the new code,
the questions and the answers). A page a reader has no part in answers 404."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from exam.appeals.forms import AppealRulesForm
from exam.appeals.models import Appeal, AppealStatus
from exam.appeals.operations import (
    WRITTEN,
    chair_decides,
    file_appeal,
    refer_to_meeting,
    set_appeal_rules,
    start_remark,
)
from exam.appeals.permissions import (
    can_refer,
    can_set_appeal_rules,
    can_start_remark,
    can_view_appeals,
    is_chair,
    is_remarker,
    is_remarking_head,
    owns,
)
from exam.appeals.queries import (
    appeal_deadline,
    appeal_of_script,
    appeal_rules,
    appeals_of_candidate,
    appeals_of_round,
    has_appeals,
    overdue_appeals,
    published_applications,
    remark_deadline,
    written_scripts_of,
)
from exam.candidates.models import Application
from exam.core.auth import ensure, get_or_404, require
from exam.core.db import utcnow
from exam.core.i18n import to_local
from exam.core.views import refused, run_operation, submit_form_and_return
from exam.council.models import Meeting
from exam.council.queries import council_of, meetings_of
from exam.marking.queries import plan_of, sheets_of_marker
from exam.marking.sheets import awaiting_third_marker
from exam.rounds.models import Round

bp = Blueprint("appeals", __name__)

signed_in = require(lambda user: True)


@bp.get("/appeals")
@signed_in
def mine() -> str:
    """The candidate's page: each published result with its written part, the deadline, the
    filing form, and the appeals filed with their status."""
    parts = [
        (
            application,
            appeal_deadline(application.round),
            [(s, appeal_of_script(s.id)) for s in written_scripts_of(application)],
        )
        for application in published_applications(current_user.id)
    ]
    return render_template(
        "appeals/mine.html",
        parts=parts,
        appeals=appeals_of_candidate(current_user.id),
        appeal_deadline=appeal_deadline,
    )


@bp.post("/applications/<int:application_id>/appeal")
@signed_in
def file(application_id: int) -> Response:
    application = get_or_404(Application, application_id)
    ensure(owns(current_user, application), hide=True)
    run_operation(
        lambda: file_appeal(
            application,
            request.form.get("part", WRITTEN),
            request.form.get("reason", ""),
            actor=current_user,
            at=utcnow(),
            script_id=request.form.get("script", type=int),
        ),
        _("Đã nhận đơn phúc khảo."),
    )
    return redirect(url_for("appeals.mine"))


@bp.get("/rounds/<int:round_id>/appeals")
@signed_in
def round_appeals(round_id: int) -> str | Response:
    round_ = get_or_404(Round, round_id)
    reader = can_view_appeals(current_user, round_)
    remarker = is_remarker(current_user, round_)
    ensure(reader or remarker, hide=True)
    council = council_of(round_.id)
    rules = appeal_rules(round_)
    editable = can_set_appeal_rules(current_user, round_)
    form = AppealRulesForm(data=_rules_values(rules)) if editable else None
    return refused(form) or render_template(
        "appeals/round.html",
        round=round_,
        appeals=appeals_of_round(round_.id) if reader else [],
        my_sheets=sheets_of_marker(current_user.id, round_.id, remark=True) if remarker else [],
        meetings=meetings_of(council) if council and can_refer(current_user, round_) else [],
        can_start=can_start_remark(current_user, round_),
        can_refer=can_refer(current_user, round_),
        chair=is_chair(current_user, round_),
        Status=AppealStatus,
        rules=rules,
        rules_form=form,
        rules_frozen=has_appeals(round_.id),
        deadline=appeal_deadline(round_),
        remark_due=remark_deadline(round_),
        overdue=_overdue(round_) if is_remarking_head(current_user, round_) else [],
        waiting_third=awaiting_third_marker(plan_of(round_.id), remark=True)
        if is_remarking_head(current_user, round_) or editable
        else [],
    )


def _rules_values(plan) -> dict:
    return {
        "working_days": plan.appeal_working_days,
        "remark_agree_limit": plan.remark_agree_limit,
        "replace_limit": plan.replace_limit,
        "remark_days": plan.remark_days,
    }


def _overdue(round_: Round) -> list:
    """The re-marks past their deadline for the head of the re-marking board: the appeal's
    number, the new code and the sheets not yet in, never the candidate."""
    return overdue_appeals(round_, to_local(utcnow()).date())


@bp.post("/rounds/<int:round_id>/appeals/rules")
@signed_in
def rules(round_id: int) -> Response:
    round_ = get_or_404(Round, round_id)
    ensure(can_view_appeals(current_user, round_), hide=True)
    ensure(can_set_appeal_rules(current_user, round_))
    form = AppealRulesForm()
    return submit_form_and_return(
        form,
        lambda: set_appeal_rules(
            round_,
            working_days=form.working_days.data,
            remark_agree_limit=form.remark_agree_limit.data,
            replace_limit=form.replace_limit.data,
            remark_days=form.remark_days.data,
            actor=current_user,
        ),
        _("Đã lưu quy định phúc khảo."),
        url_for("appeals.round_appeals", round_id=round_.id),
    )


def _appeal_for(appeal_id: int, allowed) -> Appeal:
    appeal = get_or_404(Appeal, appeal_id)
    ensure(can_view_appeals(current_user, appeal.round_id), hide=True)
    ensure(allowed(current_user, appeal.round_id))
    return appeal


def _back(appeal: Appeal) -> Response:
    return redirect(url_for("appeals.round_appeals", round_id=appeal.round_id))


@bp.post("/appeals/<int:appeal_id>/remark")
@signed_in
def remark(appeal_id: int) -> Response:
    appeal = _appeal_for(appeal_id, can_start_remark)
    run_operation(
        lambda: start_remark(appeal, actor=current_user, at=utcnow()),
        _("Đã đánh phách lại và bốc thăm hai thành viên chấm phúc khảo."),
    )
    return _back(appeal)


@bp.post("/appeals/<int:appeal_id>/refer")
@signed_in
def refer(appeal_id: int) -> Response:
    appeal = _appeal_for(appeal_id, can_refer)
    meeting = get_or_404(Meeting, request.form.get("meeting_id", type=int))
    run_operation(
        lambda: refer_to_meeting(appeal, meeting, actor=current_user),
        _("Đã đưa đơn phúc khảo ra cuộc họp Hội đồng."),
    )
    return _back(appeal)


@bp.post("/appeals/<int:appeal_id>/decide")
@signed_in
def decide(appeal_id: int) -> Response:
    appeal = _appeal_for(appeal_id, is_chair)
    run_operation(
        lambda: chair_decides(
            appeal, request.form.get("decision", ""), actor=current_user, at=utcnow()
        ),
        _("Đã ghi quyết định của Chủ tịch Hội đồng."),
    )
    return _back(appeal)
