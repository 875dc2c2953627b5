"""The pages of a ranking's lifecycle (routes on the results' blueprint, imported by the app
factory): the Council's versions page (approve, correct, a winner's withdrawal, what the public
page shows), a candidate's own results, the public results page of a published round."""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from exam.core.auth import get_or_404
from exam.core.db import utcnow
from exam.core.forms import PageForm
from exam.core.jobs import Job, job_status
from exam.core.views import commit_after, submit_form_and_return
from exam.council.queries import council_of
from exam.documents.models import DocumentKind
from exam.documents.numbering import today
from exam.documents.permissions import register_access
from exam.results import decision_jobs
from exam.results.deadlines import Deadline
from exam.results.deadlines import results_deadlines as deadlines_of
from exam.results.decision_jobs import decision_jobs_of, retry_decision_document
from exam.results.models import PublicScope, Ranking, RankingRow, RankingStatus
from exam.results.notice_jobs import notice_jobs_of, notices_issued
from exam.results.permissions import can_compute_results, can_view_results
from exam.results.proposals import issue_proposal, suggested_proposal_number
from exam.results.publication import (
    approval_problems,
    approve_ranking,
    correct_ranking,
    decision_document,
    next_to_call,
    result_notice_document,
    set_public_scope,
    suggested_decision_number,
    withdraw_winner,
)
from exam.results.publication_forms import ApprovalForm, ProposalForm, PublicScopeForm, ReasonForm
from exam.results.queries import (
    current_version,
    is_published,
    latest_ranking,
    my_results,
    public_lines,
    public_scope,
    published_ranking,
    versions_of,
    withdrawals_by_row,
)
from exam.results.views import bp
from exam.rounds.models import Position, Round
from exam.rounds.permissions import ensure_in_round

# The Council's decisions approving results: read by the round's Council and supervisory board.
register_access(DocumentKind.RESULTS_DECISION, lambda user, doc: can_view_results(user, doc.round))
# A candidate's result notice: the candidate (its subject) and the round's Council and board.
register_access(DocumentKind.RESULT_NOTICE, lambda user, doc: can_view_results(user, doc.round))
# The proposal to the appointing authority: the round's Council and supervisory board.
register_access(DocumentKind.RESULTS_PROPOSAL, lambda user, doc: can_view_results(user, doc.round))


@bp.app_template_global()
def results_deadlines(position: Position) -> list[tuple[Deadline, bool]]:
    """Each deadline of the position's results and whether it is overdue today (Hanoi)."""
    day = today()
    return [(d, d.overdue(day)) for d in deadlines_of(position)]


def _position_for(position_id: int, *, write: bool) -> Position:
    position = get_or_404(Position, position_id)
    allowed = (can_compute_results if write else can_view_results)(current_user, position.round)
    ensure_in_round(allowed, current_user, position.round)
    return position


def _versions_url(position_id: int) -> str:
    return url_for("results.versions", position_id=position_id)


def _versions_page(position: Position) -> str:
    round_ = position.round
    latest, current = latest_ranking(position.id), current_version(position.id)
    approval = ApprovalForm()
    if not approval.restored and not approval.is_submitted():
        approval.decided_on.data = today()
        approval.decision_number.data = suggested_decision_number(round_.id, on=today())
    council = council_of(round_.id)
    withdrawn, called = withdrawals_by_row(current) if current else ({}, {})
    scope_form = PublicScopeForm(scope=public_scope(round_.id).value)
    return render_template(
        "results/versions.html",
        position=position,
        latest=latest,
        current=current,
        versions=versions_of(position.id),
        problems=approval_problems(latest)
        if latest and latest.status == RankingStatus.DRAFT
        else [],
        approval=approval,
        correction=ReasonForm(prefix="correct"),
        withdrawal=ReasonForm(prefix="withdraw"),
        scope_form=scope_form,
        chair=council.leader.user if council is not None and council.leader else None,
        withdrawn=withdrawn,
        called=called,
        next_rows=next_to_call(current) if current else [],
        document_of=decision_document,
        decision_progress=_decision_progress,
        retry_form=PageForm(prefix="retry"),
        can_write=can_compute_results(current_user, round_),
        proposal=_proposal_form(current),
    )


def _decision_progress(ranking: Ranking) -> dict[str, Any] | None:
    """While a version's decision has no document yet: the latest job issuing it and its
    status (None when no job was started)."""
    if ranking.decision is None or decision_document(ranking) is not None:
        return None
    jobs = decision_jobs_of(ranking)
    return {"job": jobs[0], "status": job_status(jobs[0])} if jobs else None


def _proposal_form(current: Ranking | None) -> ProposalForm | None:
    """The proposal's form while the version in force has none (the next number suggested)."""
    if current is None or current.decision is None or current.decision.proposal_document_id:
        return None
    form = ProposalForm(prefix="proposal")
    if not form.restored and not form.is_submitted():
        form.issued_on.data = today()
        form.number.data = suggested_proposal_number(current.position.round_id, on=today())
    return form


@bp.get("/positions/<int:position_id>/results/notices")
@login_required
def notices(position_id: int) -> str:
    """The board follows the issuing of the candidates' notices after publication."""
    position = _position_for(position_id, write=False)
    ranking = published_ranking(position)
    return render_template(
        "results/notices.html",
        position=position,
        ranking=ranking,
        issued=notices_issued(ranking) if ranking is not None else 0,
        total=len(ranking.rows) if ranking is not None else 0,
        jobs=[(job, job_status(job)) for job in notice_jobs_of(position.id)],
    )


@bp.post("/positions/<int:position_id>/results/proposal")
@login_required
def propose(position_id: int) -> Response:
    position = _position_for(position_id, write=True)
    current = current_version(position.id) or abort(404)
    form = ProposalForm(prefix="proposal")
    return submit_form_and_return(
        form,
        lambda: issue_proposal(
            current, number=form.number.data, issued_on=form.issued_on.data, actor=current_user
        ),
        _("Đã ban hành tờ trình đề nghị bổ nhiệm."),
        _versions_url(position.id),
    )


@bp.get("/positions/<int:position_id>/results/versions")
@login_required
def versions(position_id: int) -> str:
    return _versions_page(_position_for(position_id, write=False))


@bp.get("/positions/<int:position_id>/results/versions/<int:ranking_id>")
@login_required
def version(position_id: int, ranking_id: int) -> str:
    position = _position_for(position_id, write=False)
    ranking = get_or_404(Ranking, ranking_id)
    if ranking.position_id != position.id:
        abort(404)
    return render_template("results/version.html", position=position, ranking=ranking)


@bp.post("/positions/<int:position_id>/results/approve")
@login_required
def approve(position_id: int) -> Response:
    position = _position_for(position_id, write=True)
    ranking = latest_ranking(position.id)
    council = council_of(position.round_id)
    if ranking is None or council is None or council.leader is None:
        abort(404)
    form = ApprovalForm()
    return submit_form_and_return(
        form,
        lambda: approve_ranking(
            ranking,
            decision_number=form.decision_number.data,
            decided_on=form.decided_on.data,
            signer=council.leader.user,
            actor=current_user,
            at=utcnow(),
        ),
        _("Đã ghi nhận quyết định phê duyệt kết quả; văn bản quyết định đang được tạo."),
        _versions_url(position.id),
    )


@bp.post("/positions/<int:position_id>/results/versions/<int:ranking_id>/decision")
@login_required
def retry_decision(position_id: int, ranking_id: int) -> Response:
    """The board starts the decision's document again after its job failed."""
    position = _position_for(position_id, write=True)
    ranking = get_or_404(Ranking, ranking_id)
    if ranking.position_id != position.id:
        abort(404)
    return submit_form_and_return(
        PageForm(prefix="retry"),
        lambda: retry_decision_document(ranking, actor=current_user),
        _("Đã bắt đầu tạo lại văn bản quyết định."),
        _versions_url(position.id),
    )


@bp.get("/positions/<int:position_id>/results/decision-jobs/<int:job_id>.json")
@login_required
def decision_job_status(position_id: int, job_id: int) -> Response:
    """The progress of a decision's document (the versions page polls it)."""
    position = _position_for(position_id, write=False)
    job = get_or_404(Job, job_id)
    if job.kind != decision_jobs.KIND or job.payload.get("position_id") != position.id:
        abort(404)
    response = jsonify(job_status(job))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/positions/<int:position_id>/results/correct")
@login_required
def correct(position_id: int) -> Response:
    position = _position_for(position_id, write=True)
    current = current_version(position.id) or abort(404)
    form = ReasonForm(prefix="correct")
    return submit_form_and_return(
        form,
        lambda: correct_ranking(current, reason=form.reason.data, actor=current_user, at=utcnow()),
        _("Đã tổng hợp lại: trình Hội đồng phê duyệt phiên bản mới."),
        _versions_url(position.id),
    )


@bp.post("/results/rows/<int:row_id>/withdraw")
@login_required
def withdraw(row_id: int) -> Response:
    row = get_or_404(RankingRow, row_id)
    position = _position_for(row.ranking.position_id, write=True)
    form = ReasonForm(prefix="withdraw")
    return submit_form_and_return(
        form,
        lambda: withdraw_winner(row, reason=form.reason.data, actor=current_user, at=utcnow()),
        _("Đã ghi nhận người trúng tuyển từ chối."),
        _versions_url(position.id),
    )


@bp.post("/rounds/<int:round_id>/results/public")
@login_required
def public_choice(round_id: int) -> Response:
    round_ = get_or_404(Round, round_id)
    ensure_in_round(can_compute_results(current_user, round_), current_user, round_)
    form = PublicScopeForm()
    position_id = request.form.get("position", type=int)
    page = (
        _versions_url(position_id)
        if position_id in {p.id for p in round_.positions}
        else url_for("rounds.show", round_id=round_.id)
    )
    return submit_form_and_return(
        form,
        lambda: set_public_scope(round_, PublicScope(form.scope.data), actor=current_user),
        _("Đã lưu lựa chọn công khai kết quả."),
        page,
    )


@bp.get("/results/mine")
@login_required
def my() -> str:
    """The signed-in person's own published results, never another's."""
    return render_template("results/mine.html", lines=my_results(current_user.id))


@bp.get("/results/rows/<int:row_id>/notice.pdf")
@login_required
def my_notice(row_id: int) -> Response:
    """The candidate's own notice, issued on its first download, the same bytes after."""
    row = get_or_404(RankingRow, row_id)
    mine = row.application.candidate_id == current_user.id
    if not mine or row.ranking.status != RankingStatus.PUBLISHED:
        abort(404)
    document = commit_after(lambda: result_notice_document(row, actor=current_user))
    return redirect(url_for("documents.download", document_id=document.id))


@bp.get("/rounds/<int:round_id>/public-results")
def public(round_id: int) -> str:
    """Anyone, signed in or not: what the board chose to publish; 404 before publication."""
    round_ = get_or_404(Round, round_id)
    if not is_published(round_):
        abort(404)
    number = (request.args.get("sbd") or "").strip()[:20]
    return render_template(
        "results/public.html",
        round=round_,
        scope=public_scope(round_.id),
        lines=public_lines(round_, registration_number=number),
        number=number,
    )
