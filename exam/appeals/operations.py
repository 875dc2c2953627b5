"""The appeals' write path (docs/domain.md §9): the public holidays (platform administration),
a candidate's filing within the window, the Ban phách's new code for the re-marking board,
the outcome (a re-mark < 5 from the published score replaces it; ≥ 5: the Chair decides after
a minuted Council meeting), the candidate's notice. Every step audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from random import Random

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.appeals.models import Appeal, AppealStatus, PublicHoliday
from exam.appeals.queries import (
    appeal_deadline,
    appeal_of_remark,
    appeal_of_script,
    has_appeals,
    published_on,
    written_scripts_of,
)
from exam.appeals.rules import RemarkDecision, remark_decision
from exam.appeals.versions import new_version_after_appeal
from exam.audit.operations import record
from exam.candidates.models import Application
from exam.core.db import lock_row
from exam.core.errors import DomainError, NotAllowed, ValidationFailed
from exam.core.i18n import format_date, to_local
from exam.council.models import BodyKind, Meeting, MeetingItem
from exam.council.operations import add_item
from exam.council.queries import Verdict, decide
from exam.extensions import db
from exam.marking.models import (
    APPEAL_WORKING_DAYS_RANGE,
    REMARK_DAYS_RANGE,
    MarkingPlan,
    Script,
    ScriptStatus,
)
from exam.marking.operations import join_scores, plan_for
from exam.marking.rules import half_up
from exam.marking.sheets import on_remark_final, open_remark
from exam.notices.models import NoticeKind
from exam.notices.operations import queue_notice
from exam.rounds.models import Round, RoundStatus
from exam.rounds.stages import require_stage, stages_between

WRITTEN = "written"  # the parts a candidate may name when filing; only this one is appealed


def add_holiday(day: dt.date, name: str, *, actor: User | None) -> PublicHoliday:
    name = name.strip()
    if not name:
        raise ValidationFailed([("name", _l("Ghi tên ngày nghỉ lễ."))])
    if db.session.scalar(sa.select(PublicHoliday.id).where(PublicHoliday.day == day)):
        raise DomainError(_l("Ngày này đã là ngày nghỉ lễ."))
    holiday = PublicHoliday(day=day, name=name)
    db.session.add(holiday)
    db.session.flush()
    record("holiday.add", holiday, actor=actor, after={"day": day.isoformat(), "name": name})
    return holiday


def remove_holiday(day: dt.date, *, actor: User | None) -> None:
    holiday = db.session.scalar(sa.select(PublicHoliday).where(PublicHoliday.day == day))
    if holiday is None:
        raise DomainError(_l("Ngày này không phải ngày nghỉ lễ."))
    record(
        "holiday.remove",
        holiday,
        actor=actor,
        before={"day": day.isoformat(), "name": holiday.name},
    )
    db.session.delete(holiday)
    db.session.flush()


# --- the round's appeal settings -----------------------------------------------------------


def set_appeal_rules(
    round_: Round,
    *,
    working_days: int,
    remark_agree_limit: Decimal,
    replace_limit: Decimal,
    remark_days: int,
    actor: User,
) -> MarkingPlan:
    """The round's appeal settings (§9), the law's values by default: the window in working
    days, the re-markers' agreement limit, the distance under which a re-mark replaces the
    published score, the re-marking's days. Fixed once an appeal has been filed, so that every
    appeal of a round is handled by the same numbers."""
    require_stage(
        round_,
        *stages_between(RoundStatus.DRAFT, RoundStatus.PUBLISHED),
        action=_l("đổi quy định phúc khảo"),
    )
    if has_appeals(round_.id):
        raise DomainError(_l("Đã có đơn phúc khảo: không đổi được quy định phúc khảo nữa."))
    errors = []
    low, high = APPEAL_WORKING_DAYS_RANGE
    if not low <= working_days <= high:
        errors.append(
            (
                "working_days",
                _l("Thời hạn nhận đơn từ %(a)d đến %(b)d ngày làm việc.", a=low, b=high),
            )
        )
    if not 0 <= remark_agree_limit <= 100 or remark_agree_limit != half_up(remark_agree_limit):
        errors.append(
            (
                "remark_agree_limit",
                _l(
                    "Chênh lệch giữa hai thành viên chấm phúc khảo từ 0 đến 100 điểm, "
                    "tối đa hai chữ số thập phân."
                ),
            )
        )
    if not 0 < replace_limit <= 100 or replace_limit != half_up(replace_limit):
        errors.append(
            (
                "replace_limit",
                _l(
                    "Chênh lệch so với điểm đã công bố lớn hơn 0 và không quá 100 điểm, "
                    "tối đa hai chữ số thập phân."
                ),
            )
        )
    low, high = REMARK_DAYS_RANGE
    if not low <= remark_days <= high:
        errors.append(
            ("remark_days", _l("Thời hạn chấm phúc khảo từ %(a)d đến %(b)d ngày.", a=low, b=high))
        )
    if errors:
        raise ValidationFailed(errors)
    plan = plan_for(round_)
    before = _appeal_rule_values(plan)
    plan.appeal_working_days, plan.remark_days = working_days, remark_days
    plan.remark_agree_limit, plan.replace_limit = remark_agree_limit, replace_limit
    db.session.flush()
    record("appeal.set_rules", plan, actor=actor, before=before, after=_appeal_rule_values(plan))
    return plan


def _appeal_rule_values(plan: MarkingPlan) -> dict:
    return {
        "working_days": plan.appeal_working_days,
        "remark_agree_limit": str(half_up(Decimal(plan.remark_agree_limit))),
        "replace_limit": str(half_up(Decimal(plan.replace_limit))),
        "remark_days": plan.remark_days,
    }


# --- filing -------------------------------------------------------------------------------


def file_appeal(
    application: Application,
    part: str,
    reason: str,
    *,
    actor: User,
    at: dt.datetime,
    script_id: int | None = None,
) -> Appeal:
    """The candidate appeals a written part's score (``script_id``: which one, when they sat
    several; an online paper's essays or a scanned script), from their account, within the
    window (5 working days after the day of publication). Never a computer-scored test, an
    interview or a đề án (TT 22 Art. 17), never twice the same part."""
    if application.candidate_id != actor.id:
        raise NotAllowed(_l("Đây không phải hồ sơ của Ông/Bà."))
    round_ = application.round
    require_stage(round_, RoundStatus.PUBLISHED, action=_l("nộp đơn phúc khảo"))
    if part != WRITTEN:
        raise DomainError(
            _l("Chỉ phúc khảo bài thi viết; không phúc khảo điểm phỏng vấn hoặc đề án.")
        )
    deadline = appeal_deadline(round_)
    filed_on = to_local(at).date()
    if deadline is None or not published_on(round_) <= filed_on <= deadline:
        raise DomainError(
            _l(
                "Đã hết thời hạn phúc khảo: đơn nhận đến hết ngày %(d)s.",
                d=format_date(deadline),
            )
        )
    scripts = [s for s in written_scripts_of(application) if s.status == ScriptStatus.FINAL]
    script = next(
        (s for s in scripts if script_id is None or s.id == script_id),
        None,
    )
    if script is None:
        raise DomainError(
            _l(
                "Bài thi của Ông/Bà được chấm tự động trên máy tính, không có phần thi viết: "
                "không thuộc diện phúc khảo."
            )
        )
    if appeal_of_script(script.id) is not None:
        raise DomainError(_l("Ông/Bà đã nộp đơn phúc khảo bài thi này."))
    appeal = Appeal(
        round_id=round_.id,
        candidate_id=actor.id,
        script=script,
        script_id=script.id,
        reason=reason.strip(),
        filed_at=at,
        status=AppealStatus.FILED,
        published_score=script.final_score,
        decision="",
    )
    db.session.add(appeal)
    db.session.flush()
    record(
        "appeal.file",
        appeal,
        actor=actor,
        after={"application_id": application.id, "published_score": str(script.final_score)},
    )
    return appeal


# --- the re-marking -----------------------------------------------------------------------


def start_remark(
    appeal: Appeal, *, actor: User, at: dt.datetime, rng: Random | None = None
) -> Appeal:
    """The Ban phách codes the script again (a new code) and two members of the re-marking
    board who did not mark it are drawn blind."""
    if appeal.status != AppealStatus.FILED:
        raise DomainError(_l("Đơn phúc khảo này đã được chuyển chấm."))
    remark = open_remark(appeal.script, actor=actor, at=at, rng=rng)
    appeal.remark_script, appeal.remark_script_id = remark, remark.id
    appeal.status = AppealStatus.REMARKING
    db.session.flush()
    record("appeal.start_remark", appeal, actor=actor, after={"status": appeal.status.value})
    return appeal


@on_remark_final  # registered when this module is imported (the app imports the appeals' pages)
def _remarked(script: Script, actor: User | None, at: dt.datetime) -> None:
    """The re-marking has its score: less than 5 from the published score, it replaces it;
    5 or more, the appeal goes to the Chair."""
    appeal = appeal_of_remark(script.id)
    if appeal is None:
        return
    appeal.remark_score = script.final_score
    limit = script.plan.replace_limit
    if (
        remark_decision(appeal.published_score, script.final_score, limit)
        == RemarkDecision.REPLACES
    ):
        _conclude(appeal, replace=True, actor=actor, at=at)
        return
    appeal.status = AppealStatus.CHAIR
    db.session.flush()
    record(
        "appeal.to_chair",
        appeal,
        actor=actor,
        after={"published": str(appeal.published_score), "remark": str(appeal.remark_score)},
    )


def _conclude(appeal: Appeal, *, replace: bool, actor: User | None, at: dt.datetime) -> None:
    """The outcome: the re-marked points written on the paper through the marking's path
    (``record_item_points``, as unsealing does) when they replace the published score; the
    candidate notified."""
    if replace:
        join_scores(appeal.remark_script, actor=actor, at=at)
    appeal.final_score = appeal.remark_score if replace else appeal.published_score
    appeal.status, appeal.decided_at = AppealStatus.DECIDED, at
    db.session.flush()
    record(
        "appeal.decide",
        appeal,
        actor=actor,
        after={
            "published": str(appeal.published_score),
            "remark": str(appeal.remark_score),
            "final": str(appeal.final_score),
            "replaced": replace,
        },
    )
    if replace:  # the position's ranking again, a new version for the Council to approve
        new_version_after_appeal(appeal, actor=actor, at=at)
    queue_notice(
        NoticeKind.APPEAL,
        appeal.candidate.email,
        obj=appeal,
        at=at,
        round=appeal.round,
        candidate=appeal.candidate,
        appeal=appeal,
    )


# --- the Chair, after a minuted meeting of the Council --------------------------------------


def _awaiting_chair(appeal: Appeal) -> None:
    lock_row(appeal)  # a decision or a referral sent twice: the second finds it taken
    require_stage(appeal.round, RoundStatus.PUBLISHED, action=_l("quyết định phúc khảo"))
    if appeal.status != AppealStatus.CHAIR:
        raise DomainError(_l("Đơn phúc khảo này không chờ Chủ tịch Hội đồng quyết định."))


def refer_to_meeting(appeal: Appeal, meeting: Meeting, *, actor: User) -> MeetingItem:
    """The appeal put on a meeting of the round's Council: a "for" vote adopts the re-mark."""
    _awaiting_chair(appeal)
    if meeting.body.kind != BodyKind.COUNCIL or meeting.body.round_id != appeal.round_id:
        raise DomainError(_l("Chọn một cuộc họp của Hội đồng thi tuyển kỳ thi này."))
    if appeal.meeting_item_id is not None:
        raise DomainError(_l("Đơn phúc khảo này đã được đưa ra cuộc họp Hội đồng."))
    item = add_item(
        meeting,
        title=str(
            _l(
                "Phúc khảo bài thi viết của %(n)s: điểm công bố %(p)s, điểm chấm phúc khảo %(r)s",
                n=appeal.candidate.full_name,
                p=appeal.published_score,
                r=appeal.remark_score,
            )
        ),
        motion=str(_l("Công nhận điểm chấm phúc khảo %(r)s.", r=appeal.remark_score)),
        actor=actor,
    )
    db.session.flush()
    appeal.meeting_item, appeal.meeting_item_id = item, item.id
    db.session.flush()
    record("appeal.refer", appeal, actor=actor, after={"meeting_item_id": item.id})
    return item


def chair_decides(appeal: Appeal, decision: str, *, actor: User, at: dt.datetime) -> Appeal:
    """The Chair's decision after the meeting: the Council's vote on the item says whether
    the re-mark replaces the published score; the decision cites the minutes."""
    _awaiting_chair(appeal)
    if appeal.meeting_item is None:
        raise DomainError(_l("Đưa đơn phúc khảo ra cuộc họp Hội đồng trước khi quyết định."))
    outcome = decide(appeal.meeting_item)
    if outcome.verdict not in (Verdict.ADOPTED, Verdict.REJECTED):
        raise DomainError(
            _l("Cuộc họp Hội đồng chưa có kết luận về đơn này: %(v)s.", v=outcome.verdict.title)
        )
    if not decision.strip():
        raise ValidationFailed(
            [("decision", _l("Ghi quyết định, dẫn biên bản cuộc họp Hội đồng."))]
        )
    appeal.decided_by_id, appeal.decision = actor.id, decision.strip()
    _conclude(appeal, replace=outcome.adopted, actor=actor, at=at)
    return appeal
