"""Screening and what follows it: the board's eligibility decisions, registration numbers,
the lot for the order of presentations and the summons.

Registration numbers (số báo danh) are given once, when the board finds an application
eligible, and never change or get reused (not even when the candidate withdraws). They run
001, 002, … within a round in the order of the decisions. When the board confirms every
application that met all criteria at once (``decide_prechecked``), that batch is numbered
by position (the round's order), then by the Vietnamese order of names (given name, family
name, middle names; ``exam.core.i18n.vietnamese_sort_key``), then by application number.
"""

from __future__ import annotations

import datetime as dt
import secrets

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.candidates.eligibility import Outcome, overall
from exam.candidates.models import Application, ApplicationStatus, PresentationDraw
from exam.candidates.operations import _notify
from exam.candidates.queries import (
    applications_for_round,
    draw_of,
    eligible_applications,
    precheck_of,
    presentation_order,
)
from exam.core.db import lock_row
from exam.core.errors import DomainError, ValidationFailed
from exam.core.i18n import vietnamese_sort_key
from exam.extensions import db
from exam.notices.models import NoticeKind
from exam.rounds.models import Position, Round, RoundStatus
from exam.rounds.stages import require_stage

# --- the board's decision ----------------------------------------------------------------


def _next_registration_number(round_id: int) -> str:
    """Numbers follow the order of the eligibility decisions, 001 upwards, within a round."""
    numbers = db.session.scalars(
        sa.select(Application.registration_number).where(
            Application.round_id == round_id, Application.registration_number.is_not(None)
        )
    ).all()
    return f"{max((int(n) for n in numbers), default=0) + 1:03d}"


def decide_eligibility(
    application: Application, *, eligible: bool, reason: str, actor: User, at: dt.datetime
) -> Application:
    """The board's decision. A rejection must give its reason (owed to the applicant); so
    must a decision of eligibility against a criterion the pre-check found not met. The
    pre-check is kept with the decision. A registration number is assigned once, on
    eligibility."""
    lock_row(application)  # two board members deciding at once, or the candidate withdrawing
    if application.status != ApplicationStatus.SUBMITTED:
        raise DomainError(_l("Hồ sơ này đã được xét."))
    # Screening follows the registration window (a dossier may change until the deadline).
    require_stage(application.round, RoundStatus.SCREENING, action=_l("xét hồ sơ"))
    reason = reason.strip()
    lines = precheck_of(application)
    summary = overall(lines)
    if not eligible and not reason:
        raise ValidationFailed([("reason", _l("Cần ghi rõ lý do không đủ điều kiện."))])
    if eligible and summary == Outcome.NOT_MET and not reason:
        raise ValidationFailed(
            [
                (
                    "reason",
                    _l(
                        "Kiểm tra tự động có tiêu chuẩn không đạt: cần ghi rõ lý do khi kết luận "
                        "đủ điều kiện."
                    ),
                )
            ]
        )
    before = {"status": application.status}
    if eligible:
        number = _next_registration_number(application.round_id)
        application.status, application.registration_number = ApplicationStatus.ELIGIBLE, number
    else:
        application.status = ApplicationStatus.NOT_ELIGIBLE
    application.decision_reason = reason
    application.decided_at, application.decided_by_id = at, actor.id
    application.precheck_at_decision = [line.to_dict() for line in lines]
    application.overrode_precheck = (eligible and summary == Outcome.NOT_MET) or (
        not eligible and summary == Outcome.MET
    )
    db.session.flush()
    record(
        "application.decide",
        application,
        actor=actor,
        before=before,
        after={
            "status": application.status,
            "registration_number": application.registration_number,
            "reason": reason,
            "precheck": summary,
            "overrode_precheck": application.overrode_precheck,
        },
    )
    kind = NoticeKind.ELIGIBLE if eligible else NoticeKind.NOT_ELIGIBLE
    _notify(application, kind, at, lines=[line for line in lines if line.outcome != Outcome.MET])
    return application


def decide_prechecked(round_: Round, *, actor: User, at: dt.datetime) -> list[Application]:
    """Find eligible, at once, every application that met every criterion of the pre-check,
    numbered by position, then Vietnamese name order (see the module's docstring)."""
    require_stage(round_, RoundStatus.SCREENING, action=_l("xét hồ sơ"))
    order = {p.id: i for i, p in enumerate(round_.positions)}
    ready = [
        a
        for a in applications_for_round(round_.id, ApplicationStatus.SUBMITTED)
        if overall(precheck_of(a)) == Outcome.MET
    ]
    if not ready:
        raise DomainError(_l("Không có hồ sơ nào đạt tất cả tiêu chuẩn đang chờ xét."))
    ready.sort(
        key=lambda a: (order[a.position_id], vietnamese_sort_key(a.candidate.full_name), a.id)
    )
    for application in ready:
        decide_eligibility(application, eligible=True, reason="", actor=actor, at=at)
    return ready


# --- after screening ---------------------------------------------------------------------


def draw_presentation_order(
    position: Position, *, actor: User, at: dt.datetime
) -> PresentationDraw:
    """Draw the order of presentations by lot, once: a random seed is recorded with the order
    it gives (``presentation_order``), so anyone can recompute it."""
    require_stage(
        position.round,
        RoundStatus.TESTING,
        RoundStatus.INTERVIEWS,
        action=_l("bốc thăm thứ tự trình bày"),
    )
    if position.stopped_at is not None:
        raise DomainError(_l("Vị trí này đã dừng thi tuyển."))
    if draw_of(position.id) is not None:
        raise DomainError(_l("Vị trí này đã bốc thăm; kết quả không thay đổi."))
    numbers = [a.registration_number for a in eligible_applications(position.id)]
    if not numbers:
        raise DomainError(_l("Vị trí này không có thí sinh đủ điều kiện."))
    seed = secrets.token_hex(16)
    draw = PresentationDraw(
        position=position,
        seed=seed,
        order=presentation_order(seed, sorted(numbers)),
        drawn_at=at,
        drawn_by_id=actor.id,
    )
    db.session.add(draw)
    record(
        "position.draw",
        draw,
        actor=actor,
        after={"position_id": position.id, "seed": seed, "order": draw.order},
    )
    return draw


def send_summons(round_: Round, *, actor: User, at: dt.datetime) -> int:
    """Queue a summons (giấy triệu tập) with the schedule to every eligible candidate of the
    positions going on, once each."""
    lock_row(round_)  # two sends at once: the second finds everyone summoned
    require_stage(
        round_, RoundStatus.TESTING, RoundStatus.INTERVIEWS, action=_l("gửi giấy triệu tập")
    )
    if round_.test_date is None and round_.presentation_starts_on is None:
        raise DomainError(_l("Kỳ thi chưa có lịch thi: cập nhật lịch trước khi triệu tập."))
    count = 0
    for application in applications_for_round(round_.id, ApplicationStatus.ELIGIBLE):
        if application.summoned_at is not None or application.position.stopped_at is not None:
            continue
        draw = draw_of(application.position_id)
        rank = (
            draw.order.index(application.registration_number) + 1
            if draw and application.registration_number in draw.order
            else None
        )
        _notify(application, NoticeKind.SUMMONS, at, presentation_rank=rank)
        application.summoned_at = at
        count += 1
    if not count:
        raise DomainError(_l("Không còn thí sinh nào cần gửi giấy triệu tập."))
    record("round.summons", round_, actor=actor, after={"count": count})
    return count
