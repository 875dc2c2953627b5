"""The marking's write path (docs/domain.md §6), the Ban phách's part: the round's plan and
its limits; the Ban phách codes the scripts, decides the flagged ones and hands the coded
scripts over, two markers drawn at random to each; once every script is final, it unseals and
the points join their candidates' papers. The markers' sheets, their reconciliation by TT 22's
rule and the re-marking on appeal are in ``exam.marking.sheets``."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from random import Random

from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.core.db import lock_row
from exam.core.documents import COUNCIL
from exam.core.errors import DomainError, ValidationFailed
from exam.core.i18n import to_local
from exam.council.models import BodyKind
from exam.council.queries import is_member
from exam.documents.numbering import suggested_number
from exam.exams.models import AttemptQuestion
from exam.exams.scoring import record_item_points
from exam.extensions import db
from exam.marking.documents import HAND_OVER_SYMBOL
from exam.marking.hand_over_jobs import queue_hand_over_minutes
from exam.marking.models import (
    MarkingPlan,
    MarkingSheet,
    Script,
    ScriptStatus,
    SettledBy,
    ZeroReason,
)
from exam.marking.queries import (
    all_final,
    marking_board,
    open_papers,
    papers_with_essays,
    plan_of,
    scripts_of,
    uncoded_paper_scripts,
)
from exam.marking.rules import (
    PAPER_ITEM_ID,
    draw_markers,
    half_up,
    identifying_terms,
    new_code,
)
from exam.rounds.models import Round, RoundStatus
from exam.rounds.stages import require_stage, stages_between

_system_random = secrets.SystemRandom()


def _lock(script: Script) -> None:
    """Take the script's row for update (PostgreSQL) and read its state and sheets again: two
    markers submitting at once reconcile once, on both sheets; a sheet sent twice is sealed
    by the first."""
    lock_row(script)
    db.session.refresh(script, attribute_names=["sheets"])
    for sheet in script.sheets:
        db.session.refresh(sheet, attribute_names=["submitted_at", "score"])


def _lock_plan(plan: MarkingPlan) -> None:
    """The plan's row for update, read again (PostgreSQL): its steps are taken once."""
    lock_row(plan)


def _marking_stage(round_: Round, action: object) -> None:
    """Marking follows the test (its papers closed) and ends before the results are
    published."""
    require_stage(round_, *stages_between(RoundStatus.TESTING, RoundStatus.RESULTS), action=action)


def plan_for(round_: Round) -> MarkingPlan:
    """The round's plan, made with TT 22's limits on first use."""
    plan = plan_of(round_.id)
    if plan is None:
        plan = MarkingPlan(round_id=round_.id, round=round_)
        db.session.add(plan)
        db.session.flush()
    return plan


def set_limits(
    round_: Round, *, agree_limit: Decimal, third_marker_limit: Decimal, actor: User
) -> MarkingPlan:
    """The round's reconciliation limits (points of 100), until the scripts are handed over."""
    plan = plan_for(round_)
    if plan.handed_over_at is not None:
        raise DomainError(_l("Bài thi đã bàn giao cho Ban chấm thi: không đổi được ngưỡng."))
    if not 0 <= agree_limit < third_marker_limit <= 100:
        raise ValidationFailed(
            [
                (
                    "third_marker_limit",
                    _l("Cần 0 ≤ ngưỡng lấy trung bình < ngưỡng chấm lần ba ≤ 100."),
                )
            ]
        )
    before = {"agree": str(plan.agree_limit), "third": str(plan.third_marker_limit)}
    plan.agree_limit, plan.third_marker_limit = half_up(agree_limit), half_up(third_marker_limit)
    db.session.flush()
    after = {"agree": str(plan.agree_limit), "third": str(plan.third_marker_limit)}
    record("marking.set_limits", plan, actor=actor, before=before, after=after)
    return plan


# --- the Ban phách ----------------------------------------------------------------------------


def code_scripts(round_: Round, *, actor: User, at: dt.datetime) -> list[Script]:
    """Đánh phách: every submitted paper of the round holding an essay becomes a script under
    a random code unique in the round; answers naming the candidate, their registration number
    or unit are flagged for the Ban phách."""
    _marking_stage(round_, _l("đánh phách"))
    plan = plan_for(round_)
    _lock_plan(plan)
    if plan.coded_at is not None:
        raise DomainError(_l("Bài thi của kỳ thi này đã được đánh phách."))
    if (still_open := open_papers(round_.id, at)) > 0:
        raise DomainError(
            _l(
                "Còn %(n)d bài thi chưa kết thúc hoặc chưa được đóng: chỉ đánh phách khi mọi "
                "bài đã nộp.",
                n=still_open,
            )
        )
    papers = papers_with_essays(round_.id)
    scanned = uncoded_paper_scripts(round_.id)
    if not papers and not scanned:
        raise DomainError(_l("Không có bài thi nào có phần tự luận để đánh phách."))
    used: set[str] = set()
    scripts = []
    for attempt in papers:
        code = new_code()
        while code in used:
            code = new_code()
        used.add(code)
        application = attempt.application
        script = Script(plan=plan, code=code, attempt=attempt, flagged_terms=[])
        db.session.add(script)
        script.flagged_terms = identifying_terms(
            [_answer_text(i) for i in script.essay_items()],
            name=application.candidate.full_name,
            number=application.registration_number or "",
            unit=application.current_unit,
        )
        scripts.append(script)
    for paper_script in scanned:  # scanned pages: nothing to search, the Ban phách reads them
        code = new_code()
        while code in used:
            code = new_code()
        used.add(code)
        script = Script(plan=plan, code=code, paper_script=paper_script, flagged_terms=[])
        db.session.add(script)
        scripts.append(script)
    plan.coded_at, plan.coded_by_id = at, actor.id
    db.session.flush()
    record(
        "marking.code_scripts",
        plan,
        actor=actor,
        after={"scripts": len(scripts), "flagged": sum(bool(s.flagged_terms) for s in scripts)},
    )
    return scripts


def _answer_text(item: AttemptQuestion) -> str:
    response = item.answer.response if item.answer is not None else None
    return response if isinstance(response, str) else ""


def _before_hand_over(script: Script) -> None:
    if script.plan.handed_over_at is not None:
        raise DomainError(_l("Bài thi đã bàn giao cho Ban chấm thi."))


def clear_flag(script: Script, *, actor: User, at: dt.datetime) -> Script:
    """The Ban phách read the flagged answer and sends it on to the markers."""
    _before_hand_over(script)
    if not script.awaiting_flag_decision:
        raise DomainError(_l("Bài thi này không có nội dung cần xem xét."))
    script.flag_cleared = True
    db.session.flush()
    record(
        "marking.clear_flag",
        script,
        actor=actor,
        after={"code": script.code, "terms": len(script.flagged_terms)},
    )
    return script


def record_zero(
    script: Script, reason: ZeroReason, minutes: str, *, actor: User, at: dt.datetime
) -> Script:
    """A zero-score case (two scripts, two handwritings, foreign paper, identifying marks),
    with its minutes: by the Ban phách before the hand-over, by the head of marking after."""
    _marking_stage(script.plan.round, _l("ghi nhận bài thi bị điểm 0"))
    _lock(script)
    if script.status == ScriptStatus.FINAL or script.plan.unsealed_at is not None:
        raise DomainError(_l("Bài thi này đã có điểm."))
    if not minutes.strip():
        raise ValidationFailed([("minutes", _l("Ghi biên bản xử lý: lý do, người chứng kiến."))])
    zeros = {str(item.id): "0" for item in script.essay_items()}  # read before any change
    script.status, script.settled_by, script.zero_reason = (
        ScriptStatus.FINAL,
        SettledBy.ZERO,
        reason,
    )
    script.final_score, script.final_points = Decimal(0), zeros
    script.decided_by_id, script.minutes = actor.id, minutes.strip()
    db.session.flush()
    record(
        "marking.zero",
        script,
        actor=actor,
        after={
            "code": script.code,
            "reason": reason.value,
            "minutes": script.minutes,
            "score": str(script.final_score),
        },
    )
    return script


def hand_over(
    round_: Round, *, actor: User, at: dt.datetime, rng: Random | None = None
) -> list[MarkingSheet]:
    """The coded scripts go to the marking board (minuted): each gets two markers drawn at
    random from the board, two different people. The minutes' number is taken at once and a
    job queued in the same transaction issues them (exam/marking/hand_over_jobs.py): what
    they list is the hand-over as it was, whatever happens to the scripts afterwards."""
    _marking_stage(round_, _l("bàn giao bài thi"))
    plan = plan_for(round_)
    _lock_plan(plan)
    if plan.coded_at is None:
        raise DomainError(_l("Chưa đánh phách."))
    if plan.handed_over_at is not None:
        raise DomainError(_l("Bài thi đã bàn giao cho Ban chấm thi."))
    waiting = [s.code for s in scripts_of(plan) if s.awaiting_flag_decision]
    if waiting:
        raise DomainError(
            _l(
                "Còn bài thi có thông tin có thể nhận biết thí sinh chưa xử lý: %(codes)s.",
                codes=", ".join(waiting),
            )
        )
    board = _markers(round_)
    if len(board) < 2:
        raise DomainError(_l("Ban chấm thi cần ít nhất hai thành viên chấm."))
    draw = rng or _system_random
    sheets = []
    for script in scripts_of(plan):
        if script.status != ScriptStatus.CODED:
            continue  # a zero-score case recorded by the Ban phách
        for turn, marker in enumerate(draw_markers(board, 2, draw), start=1):
            sheets.append(_assign(script, marker, turn, at))
        script.status = ScriptStatus.MARKING
    plan.handed_over_at, plan.handed_over_by_id = at, actor.id
    # The minutes take the next number of the Council's register now (dated the day of the
    # hand-over in Hanoi); a job queued in this transaction renders and issues them.
    plan.hand_over_number = suggested_number(
        round_.id, COUNCIL, HAND_OVER_SYMBOL, on=to_local(at).date()
    )
    db.session.flush()
    record(
        "marking.hand_over",
        plan,
        actor=actor,
        after={
            "scripts": len(scripts_of(plan)),
            "sheets": len(sheets),
            "minutes_number": plan.hand_over_number,
        },
    )
    queue_hand_over_minutes(plan, actor=actor)
    return sheets


def _markers(round_: Round) -> list[User]:
    """The marking board, without anyone who also sits on the Ban phách (who knows the
    codes' candidates: TT 22 keeps them apart)."""
    return [
        u
        for u in marking_board(round_.id)
        if not is_member(u.id, round_.id, BodyKind.ANONYMISATION)
    ]


def _assign(script: Script, marker: User, turn: int, at: dt.datetime) -> MarkingSheet:
    sheet = MarkingSheet(script=script, marker=marker, marker_id=marker.id, turn=turn)
    sheet.assigned_at = at
    db.session.add(sheet)
    return sheet


# --- unsealing --------------------------------------------------------------------------------


def unseal(round_: Round, *, actor: User, at: dt.datetime) -> MarkingPlan:
    """Rọc phách: when every script has its final score, the Ban phách joins the scores to
    their candidates: each essay item's points are written on the paper
    (``record_item_points``), whose final score follows."""
    _marking_stage(round_, _l("rọc phách"))
    plan = plan_of(round_.id)
    if plan is not None:
        _lock_plan(plan)
    if plan is None or plan.handed_over_at is None:
        raise DomainError(_l("Bài thi chưa bàn giao cho Ban chấm thi."))
    if plan.unsealed_at is not None:
        raise DomainError(_l("Đã rọc phách."))
    if not all_final(plan):
        waiting = [s.code for s in scripts_of(plan) if s.status != ScriptStatus.FINAL]
        raise DomainError(
            _l("Còn bài thi chưa có điểm cuối cùng: %(codes)s.", codes=", ".join(waiting))
        )
    for script in scripts_of(plan):
        join_scores(script, actor=actor, at=at)
    plan.unsealed_at, plan.unsealed_by_id = at, actor.id
    db.session.flush()
    record("marking.unseal", plan, actor=actor, after={"scripts": len(scripts_of(plan))})
    return plan


def join_scores(script: Script, *, actor: User | None, at: dt.datetime) -> None:
    """A final script's points written where the results read them: each essay item's on the
    online paper (``record_item_points``, whose final score follows), or the paper test's on
    its scanned script. Unsealing does it for the marking; an appeal's outcome for a
    re-marking that replaces the published score (in the published stage)."""
    if script.paper_script is not None:
        paper_script = script.paper_script
        before = {"points": str(paper_script.points), "score": str(paper_script.score)}
        paper_script.points = Decimal(script.final_points[str(PAPER_ITEM_ID)])
        paper_script.score = script.final_score
        db.session.flush()
        record(  # the score the results read: vouched for by the trail (exam/marking/audited.py)
            "marking.join_remark" if script.remark else "marking.join_score",
            paper_script,
            actor=actor,
            before=before,
            after={"points": str(paper_script.points), "score": str(paper_script.score)},
        )
        return
    for item in script.essay_items():
        points = Decimal(script.final_points[str(item.id)])
        record_item_points(item, float(points), actor=actor, at=at, on_appeal=script.remark)
