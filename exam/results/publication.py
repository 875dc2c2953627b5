"""The life of a position's ranking (docs/domain.md §8): a draft, computed as often as needed
in the results stage; approved by the Council's decision (its number in the Council's own
sequence, its date, the Chair as signer), which locks it as a version (1, 2, …) and issues
its document once; published with the round (each candidate told, with their appeal rights).
A later version comes only from an audited correction or an appeal, with its reason, and is
approved again; the earlier stays readable. A winner who withdraws: the reserve, then the next
ranked who passed the gates and the minimum, is called. Every step audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.core.db import utcnow
from exam.core.documents import COUNCIL
from exam.core.errors import DomainError, ValidationFailed
from exam.core.i18n import to_local
from exam.core.jobs import create_job, dispatch_after_commit
from exam.council.models import MemberFunction
from exam.council.queries import council_of
from exam.documents.models import DocumentKind, IssuedDocument
from exam.documents.numbering import canonical_number, number_problems, suggested_number
from exam.documents.operations import issue_document
from exam.documents.queries import document_with_number
from exam.exams.models import Attempt, AttemptStatus
from exam.extensions import db
from exam.marking.models import PaperScript, Script, ScriptStatus
from exam.notices.models import NoticeKind
from exam.notices.operations import queue_notice
from exam.panels.models import ScoreSheet
from exam.results.documents import (
    DECISION_SYMBOL,
    render_result_notice,
)
from exam.results.formula import formula_of
from exam.results.lifecycle import ensure_computable
from exam.results.models import (
    Outcome,
    PublicResults,
    PublicScope,
    Ranking,
    RankingDecision,
    RankingRow,
    RankingStatus,
    Withdrawal,
)
from exam.results.queries import (
    current_version,
    latest_ranking,
    next_version,
    published_ranking,
    withdrawals_by_row,
)
from exam.results.ranking import compute_ranking
from exam.rounds.models import Position, Round, RoundStatus
from exam.rounds.operations import advance_round
from exam.rounds.stages import require_stage

NOTICE_JOB_KIND = "results.issue_notices"  # registered by exam/results/notice_jobs.py
DECISION_JOB_KIND = "results.issue_decision"  # registered by exam/results/decision_jobs.py

# --- the appeal window, which the appeals (above the results) know ------------------------

AppealDeadline = Callable[[Round, dt.date], dt.date]
_appeal_deadline: dict[str, AppealDeadline] = {}


def appeal_deadline_rule(rule: AppealDeadline) -> AppealDeadline:
    """Registered by the appeals: ``rule(round_, published_on)`` is the last day to appeal,
    printed in each candidate's result notice."""
    _appeal_deadline["rule"] = rule
    return rule


def appeal_deadline_for(round_: Round, published_on: dt.date) -> dt.date | None:
    rule = _appeal_deadline.get("rule")
    return rule(round_, published_on) if rule is not None else None


# --- approval ------------------------------------------------------------------------------


def approval_problems(ranking: Ranking) -> list[str]:
    """What stands in the way of the Council's approval: unmarked written scripts, unsealed
    panel sheets, a tie for the last post still waiting for the Council's vote."""
    problems: list[str] = []
    application_ids = [row.application_id for row in ranking.rows]
    online = sa.select(Attempt.id).where(Attempt.application_id.in_(application_ids))
    scanned = sa.select(PaperScript.id).where(PaperScript.application_id.in_(application_ids))
    unmarked = db.session.scalar(
        sa.select(sa.func.count(Script.id)).where(
            Script.remark.is_(False),
            Script.status != ScriptStatus.FINAL,
            sa.or_(Script.attempt_id.in_(online), Script.paper_script_id.in_(scanned)),
        )
    )
    unmarked += db.session.scalar(
        sa.select(sa.func.count(Attempt.id)).where(
            Attempt.application_id.in_(application_ids),
            Attempt.status == AttemptStatus.SUBMITTED,
            Attempt.final_score.is_(None),
        )
    )
    unsealed_scans = db.session.scalar(
        sa.select(sa.func.count(PaperScript.id)).where(
            PaperScript.application_id.in_(application_ids), PaperScript.score.is_(None)
        )
    )
    if unmarked:
        problems.append(str(_l("Còn %(n)s bài thi viết chưa chấm xong.", n=unmarked)))
    if unsealed_scans:
        problems.append(
            str(_l("Còn %(n)s bài thi viết trên giấy chưa rọc phách.", n=unsealed_scans))
        )
    open_sheets = db.session.scalar(
        sa.select(sa.func.count(ScoreSheet.id)).where(
            ScoreSheet.application_id.in_(application_ids), ScoreSheet.submitted_at.is_(None)
        )
    )
    if open_sheets:
        problems.append(
            str(_l("Còn %(n)s phiếu chấm phỏng vấn, đề án chưa niêm phong.", n=open_sheets))
        )
    if ranking.pending_rows:
        problems.append(
            str(
                _l(
                    "%(n)s thí sinh bằng điểm cùng tranh chỉ tiêu cuối cùng: chờ Hội đồng "
                    "biểu quyết trước khi phê duyệt.",
                    n=len(ranking.pending_rows),
                )
            )
        )
    return problems


def _decision_number_problems(
    round_: Round, number: str, decided_on: dt.date
) -> list[tuple[str | None, str]]:
    """The decision's number in the Council's sequence (exam/documents/numbering.py)."""
    return number_problems(
        round_.id, COUNCIL, number, on=decided_on, field="decision_number", example="05/QĐ-HĐTT"
    )


def suggested_decision_number(round_id: int, *, on: dt.date | None = None) -> str:
    """The next number of the Council's sequence in the round, with the decision's symbol."""
    return suggested_number(round_id, COUNCIL, DECISION_SYMBOL, on=on)


def _ensure_chair(round_: Round, signer: User) -> None:
    council = council_of(round_.id)
    chair = council.leader if council is not None else None
    if chair is None or chair.function != MemberFunction.CHAIR:
        raise DomainError(_l("Hội đồng thi tuyển chưa có Chủ tịch để ký quyết định."))
    if chair.user_id != signer.id:
        raise ValidationFailed(
            [("signer", _l("Quyết định phê duyệt kết quả do Chủ tịch Hội đồng thi tuyển ký."))]
        )


def approve_ranking(
    ranking: Ranking,
    *,
    decision_number: str,
    decided_on: dt.date,
    signer: User,
    actor: User,
    at: dt.datetime | None = None,
) -> Ranking:
    """The Council approves the position's latest draft by a decision: it becomes the next
    version, locked, with the decision recorded (number, date ``decided_on``, signer). Its
    document, the decision with the results table as annex (about a minute at 10,000 rows),
    is issued by a background job started once this is committed
    (exam/results/decision_jobs.py). In the published stage (a correction, an appeal) the
    new version is published by that job once its document exists, the earlier one kept
    official until then; the candidates are told."""
    at = at or utcnow()
    position, round_ = ranking.position, ranking.position.round
    require_stage(
        round_, RoundStatus.RESULTS, RoundStatus.PUBLISHED, action=_l("phê duyệt kết quả")
    )
    if ranking.status != RankingStatus.DRAFT:
        raise DomainError(
            _l("Bảng kết quả này đã được phê duyệt (phiên bản %(v)s).", v=ranking.version)
        )
    latest = latest_ranking(position.id)
    if latest is None or latest.id != ranking.id:
        raise DomainError(_l("Đã có bảng tổng hợp mới hơn: phê duyệt bảng mới nhất."))
    previous = current_version(position.id)
    if previous is not None and not ranking.reason:
        raise DomainError(_l("Phiên bản mới cần có lý do (phúc khảo hoặc đính chính)."))
    if problems := approval_problems(ranking):
        raise ValidationFailed([(None, p) for p in problems])
    number = canonical_number(decision_number)
    if errors := _decision_number_problems(round_, number, decided_on):
        raise ValidationFailed(errors)
    _ensure_chair(round_, signer)
    decision = RankingDecision(
        ranking_id=ranking.id,
        round_id=round_.id,
        position_id=position.id,
        version=next_version(position.id),
        decision_number=number,
        decided_on=decided_on,
        signer_id=signer.id,
        signer_name=signer.full_name,
        approved_by_id=actor.id,
        approved_at=at,
    )
    try:
        with db.session.begin_nested():
            db.session.add(decision)
    except sa.exc.IntegrityError:  # another request took the number or the version meanwhile
        raise ValidationFailed(
            _decision_number_problems(round_, number, decided_on)
            or [(None, _l("Vừa có thay đổi khác cùng lúc: vui lòng thử lại."))]
        ) from None
    ranking.decision = decision
    if previous is not None and previous.status == RankingStatus.APPROVED:
        previous.status = RankingStatus.SUPERSEDED  # never published: replaced at once
    ranking.status = RankingStatus.APPROVED  # a published version waits for its document
    db.session.flush()
    job = create_job(
        DECISION_JOB_KIND,
        payload={"ranking_id": ranking.id, "position_id": position.id},
        actor=actor,
    )
    record(
        "ranking.approve",
        ranking,
        actor=actor,
        after={
            "position_id": position.id,
            "version": decision.version,
            "decision_number": number,
            "decided_on": decided_on.isoformat(),
            "signer_id": signer.id,
            "reason": ranking.reason,
            "status": ranking.status.value,
            "supersedes": previous.id if previous is not None else None,
            "decision_job_id": job.id,
        },
    )
    dispatch_after_commit(job.id)
    return ranking


# --- the documents, issued once -----------------------------------------------------------


def result_notice_document(row: RankingRow, *, actor: User) -> IssuedDocument:
    """The candidate's notice of their published result (C4's notice: parts, total, rank,
    outcome, appeal rights and deadline), issued once under the decision's number, for this
    candidate, dated at publication: every later download gives the same bytes."""
    ranking = row.ranking
    decision, round_ = ranking.decision, ranking.position.round
    if ranking.status != RankingStatus.PUBLISHED or decision is None:
        raise DomainError(_l("Kết quả này chưa được công bố."))
    candidate = row.application.candidate
    issued = document_with_number(
        round_.id, DocumentKind.RESULT_NOTICE, decision.decision_number, candidate.id
    )
    if issued is not None:
        return issued
    assert ranking.published_at is not None
    published_on = to_local(ranking.published_at).date()
    deadline = appeal_deadline_for(round_, published_on)
    return issue_document(
        kind=DocumentKind.RESULT_NOTICE,
        round_=round_,
        number=decision.decision_number,
        title=str(
            _l(
                "Thông báo kết quả thi tuyển vị trí %(p)s cho %(n)s",
                p=ranking.position.label,
                n=candidate.full_name,
            )
        ),
        issuer=COUNCIL,
        issued_on=published_on,
        render=lambda verification: render_result_notice(
            row, verification=verification, appeal_deadline=deadline
        ),
        actor=actor,
        subject_user=candidate,
    )


def decision_document(ranking: Ranking) -> IssuedDocument | None:
    decision = ranking.decision
    if decision is None:
        return None
    return document_with_number(
        decision.round_id, DocumentKind.RESULTS_DECISION, decision.decision_number, None
    )


# --- publication ---------------------------------------------------------------------------


def publication_problems(round_: Round) -> list[str]:
    """Before publication: each running position's latest ranking approved by the Council."""
    problems = []
    for position in round_.positions:
        if position.stopped_at is not None:
            continue
        latest = latest_ranking(position.id)
        if latest is None:
            problems.append(str(_l("Vị trí %(p)s chưa tổng hợp kết quả.", p=position.label)))
        elif latest.status == RankingStatus.DRAFT:
            problems.append(
                str(_l("Kết quả vị trí %(p)s chưa được Hội đồng phê duyệt.", p=position.label))
            )
        elif latest.decision is not None and decision_document(latest) is None:
            problems.append(
                str(
                    _l(
                        "Quyết định số %(n)s phê duyệt kết quả vị trí %(p)s chưa ban hành xong "
                        "(đang tạo văn bản): công bố sau khi văn bản được tạo.",
                        n=latest.decision.decision_number,
                        p=position.label,
                    )
                )
            )
    return problems


def publish_approved(round_: Round, at: dt.datetime) -> None:
    """Entering the published stage publishes each position's approved version and tells each
    candidate their result."""
    for position in round_.positions:
        ranking = current_version(position.id)
        if ranking is None or ranking.status != RankingStatus.APPROVED:
            continue
        ranking.status, ranking.published_at = RankingStatus.PUBLISHED, at
        db.session.flush()
        record(
            "ranking.publish",
            ranking,
            after={"position_id": position.id, "version": ranking.version},
        )
        _notify(ranking, at=at)


def publish_version(ranking: Ranking, *, at: dt.datetime, actor: User | None = None) -> None:
    """A version approved in the published stage (a correction, an appeal) is published once
    its decision's document exists: the version published until then is superseded, kept and
    readable; each candidate is told. Nothing when it is no longer the one to publish."""
    round_ = ranking.position.round
    if round_.status != RoundStatus.PUBLISHED or ranking.status != RankingStatus.APPROVED:
        return
    if decision_document(ranking) is None:
        raise DomainError(_l("Quyết định phê duyệt phiên bản này chưa được ban hành."))
    previous = published_ranking(ranking.position)
    if previous is not None:
        previous.status = RankingStatus.SUPERSEDED
        db.session.flush()  # one published version at a time (a unique index)
    ranking.status, ranking.published_at = RankingStatus.PUBLISHED, at
    db.session.flush()
    record(
        "ranking.publish",
        ranking,
        actor=actor,
        after={
            "position_id": ranking.position_id,
            "version": ranking.version,
            "supersedes": previous.id if previous is not None else None,
        },
    )
    _notify(ranking, at=at, actor=actor)


def publish_round(round_: Round, *, actor: User, at: dt.datetime | None = None) -> Round:
    """Publish the round's results: the round moves to the published stage (its guards: every
    position's ranking approved)."""
    require_stage(round_, RoundStatus.RESULTS, action=_l("công bố kết quả"))
    return advance_round(round_, actor=actor, at=at or utcnow(), to=RoundStatus.PUBLISHED)


def _notify(ranking: Ranking, *, at: dt.datetime, actor: User | None = None) -> None:
    """Each candidate of the published version gets their own result and appeal rights."""
    round_ = ranking.position.round
    deadline = appeal_deadline_for(round_, to_local(at).date())
    for row in ranking.rows:
        candidate = row.application.candidate
        queue_notice(
            NoticeKind.RESULT,
            candidate.email,
            obj=row,
            at=at,
            flush=False,
            round=round_,
            position=ranking.position,
            ranking=ranking,
            candidate=candidate,
            row=row,
            appeal_deadline=deadline,
        )
    db.session.flush()
    # Each candidate's notice issued in the background (exam/results/notice_jobs.py), started
    # once this is committed; a candidate downloading theirs first has it issued on demand.
    job = create_job(
        NOTICE_JOB_KIND,
        payload={"ranking_id": ranking.id, "position_id": ranking.position_id},
        actor=actor,
    )
    dispatch_after_commit(job.id)


def set_public_scope(round_: Round, scope: PublicScope, *, actor: User) -> PublicResults:
    """What the round's public results page shows (the winners, or everyone with totals)."""
    scope = PublicScope(scope)
    choice = db.session.scalar(sa.select(PublicResults).where(PublicResults.round_id == round_.id))
    before = {"scope": choice.scope.value} if choice is not None else None
    if choice is None:
        choice = PublicResults(round_id=round_.id)
        db.session.add(choice)
    choice.scope, choice.updated_at, choice.updated_by_id = scope, utcnow(), actor.id
    db.session.flush()
    record("results.public_scope", choice, actor=actor, before=before, after={"scope": scope.value})
    return choice


# --- later versions ------------------------------------------------------------------------


def new_version(
    position: Position, *, reason: str, actor: User, at: dt.datetime | None = None
) -> Ranking:
    """A new draft of an approved ranking (a correction, an appeal), with its reason; the
    Council approves it as the next version."""
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationFailed([("reason", _l("Ghi lý do điều chỉnh kết quả."))])
    if current_version(position.id) is None:
        raise DomainError(_l("Kết quả vị trí này chưa được phê duyệt: tổng hợp lại bảng dự thảo."))
    ensure_computable(position, reason=reason)
    ranking = compute_ranking(position, actor=actor, at=at or utcnow(), reason=reason)
    db.session.flush()
    record("ranking.new_version", ranking, actor=actor, after={"reason": reason})
    return ranking


def correct_ranking(
    ranking: Ranking, *, reason: str, actor: User, at: dt.datetime | None = None
) -> Ranking:
    """An audited correction of an approved version: computed again with its reason, to be
    approved by the Council as the next version."""
    if ranking.status not in (RankingStatus.APPROVED, RankingStatus.PUBLISHED):
        raise DomainError(_l("Chỉ đính chính phiên bản kết quả đang có hiệu lực."))
    return new_version(ranking.position, reason=reason, actor=actor, at=at)


# --- a winner withdraws --------------------------------------------------------------------


def _reaches_minimum(row: RankingRow) -> bool:
    score = row.total if row.total is not None else row.panel_score
    return score is not None and score >= formula_of(row.ranking.position.round).winner_min_score


def next_to_call(ranking: Ranking) -> list[RankingRow]:
    """Who is called when a winner withdraws: the first of the reserve (bảo lưu) still free,
    else the next ranked who passed the gates and the minimum. Several rows (equal in law)
    mean a tie the Council decides."""
    withdrawn, called = withdrawals_by_row(ranking)
    free = [r for r in ranking.rows if r.id not in withdrawn and r.id not in called]
    reserve = [r for r in free if r.outcome == Outcome.RESERVED]
    others = [r for r in free if r.outcome == Outcome.NOT_SELECTED and _reaches_minimum(r)]
    candidates = reserve or others
    if not candidates:
        return []
    return [r for r in candidates if r.rank == candidates[0].rank]


def withdraw_winner(
    row: RankingRow, *, reason: str, actor: User, at: dt.datetime | None = None
) -> Withdrawal:
    """A winner of the approved version withdraws (their written reason); the next is called
    and notified. A tie among the next is left to the Council (nobody is called)."""
    at = at or utcnow()
    ranking = row.ranking
    require_stage(
        ranking.position.round,
        RoundStatus.RESULTS,
        RoundStatus.PUBLISHED,
        RoundStatus.CLOSED,
        action=_l("ghi nhận người trúng tuyển từ chối"),
    )
    if ranking.status not in (RankingStatus.APPROVED, RankingStatus.PUBLISHED):
        raise DomainError(_l("Chỉ ghi nhận trên phiên bản kết quả đang có hiệu lực."))
    withdrawn, called = withdrawals_by_row(ranking)
    if row.id in withdrawn:
        raise DomainError(_l("Thí sinh này đã được ghi nhận từ chối."))
    if row.outcome != Outcome.SELECTED and row.id not in called:
        raise DomainError(_l("Chỉ người trúng tuyển mới từ chối kết quả trúng tuyển."))
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationFailed([("reason", _l("Ghi lý do (đơn từ chối của thí sinh)."))])
    following = next_to_call(ranking)
    chosen = following[0] if len(following) == 1 else None
    withdrawal = Withdrawal(
        ranking=ranking,
        row_id=row.id,
        called_row_id=chosen.id if chosen is not None else None,
        reason=reason,
        withdrawn_at=at,
        recorded_by_id=actor.id,
    )
    db.session.add(withdrawal)
    db.session.flush()
    db.session.refresh(ranking, ["withdrawals"])
    record(
        "ranking.withdraw",
        withdrawal,
        actor=actor,
        after={
            "ranking_id": ranking.id,
            "row_id": row.id,
            "called_row_id": withdrawal.called_row_id,
            "tied": [r.id for r in following] if len(following) > 1 else [],
            "reason": reason,
        },
    )
    if chosen is not None:
        candidate = chosen.application.candidate
        queue_notice(
            NoticeKind.CALLED,
            candidate.email,
            obj=withdrawal,
            at=at,
            round=ranking.position.round,
            position=ranking.position,
            candidate=candidate,
            row=chosen,
        )
    return withdrawal
