"""Setting up panels and recording each member's independent score."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.candidates.models import Application, ApplicationStatus
from exam.core.errors import DomainError, ValidationFailed
from exam.council.models import BodyKind
from exam.council.queries import people_on
from exam.extensions import db
from exam.panels.models import MAX_PANEL_SCORE, Panel, PanelMember, PanelRole, ScoreSheet
from exam.panels.queries import interview_list
from exam.rounds.models import Position, RoundStatus
from exam.rounds.stages import require_stage, stages_between

MIN_PANEL_MEMBERS = 2  # docs/domain.md: at least two members score each candidate
_UNTIL_INTERVIEWS = stages_between(RoundStatus.DRAFT, RoundStatus.INTERVIEWS)


def create_panel(
    position: Position, name: str, members: list[tuple[User, PanelRole]], *, actor: User
) -> Panel:
    # A panel is set up for the interviews, at the latest when they begin.
    require_stage(position.round, *_UNTIL_INTERVIEWS, action=_l("thành lập ban phỏng vấn"))
    if len(members) < MIN_PANEL_MEMBERS:
        raise ValidationFailed([("members", _l("Ban phỏng vấn cần ít nhất 2 thành viên."))])
    if len({user.id for user, _ in members}) != len(members):
        raise ValidationFailed([("members", _l("Một người chỉ được có một vị trí trong ban."))])
    # Only members of an interview board of the round sit on its panels (docs/domain.md §2).
    board = {person.id for person in people_on(position.round_id, BodyKind.INTERVIEW)}
    outside = [user.full_name for user, _ in members if user.id not in board]
    if outside:
        raise ValidationFailed(
            [
                (
                    "members",
                    _l(
                        "%(names)s không phải thành viên Ban phỏng vấn của kỳ thi này: chỉ "
                        "thành viên Ban phỏng vấn mới được cử vào ban chấm.",
                        names=", ".join(outside),
                    ),
                )
            ]
        )
    if db.session.scalar(sa.select(Panel.id).where(Panel.position_id == position.id)):
        raise ValidationFailed(
            [("position_id", _l("Vị trí này đã có ban phỏng vấn; mỗi vị trí có một ban."))]
        )
    panel = Panel(position=position, name=name.strip())
    panel.members = [PanelMember(user=user, role=role) for user, role in members]
    db.session.add(panel)
    record(
        "panel.create",
        panel,
        actor=actor,
        after={"position_id": position.id, "members": [[u.id, r] for u, r in members]},
    )
    return panel


def parse_score(raw: object) -> Decimal:
    """A score out of 100 with at most 2 decimals, or ValidationFailed."""
    text = str(raw).strip().replace(",", ".")
    if not text or any(c not in "0123456789.-" for c in text):
        raise ValidationFailed([("score", _l("Điểm phải là một số."))])
    try:
        score = Decimal(text)
    except (InvalidOperation, ValueError):
        raise ValidationFailed([("score", _l("Điểm phải là một số."))]) from None
    if not score.is_finite() or score < 0 or score > MAX_PANEL_SCORE:
        raise ValidationFailed([("score", _l("Điểm phải từ 0 đến 100."))])
    if score != score.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP):
        raise ValidationFailed([("score", _l("Điểm có tối đa 2 chữ số thập phân."))])
    return score


def record_panel_score(
    member: PanelMember,
    application: Application,
    raw_score: object,
    *,
    comment: str = "",
    actor: User,
    at: dt.datetime,
) -> ScoreSheet:
    """One signed sheet per member and candidate, given once (phiếu kín), during the
    interviews only."""
    require_stage(
        member.panel.position.round, RoundStatus.INTERVIEWS, action=_l("chấm điểm phỏng vấn")
    )
    if member.user_id != actor.id:
        raise DomainError(_l("Chỉ thành viên được phân công mới chấm được phiếu này."))
    if application.position_id != member.panel.position_id:
        raise DomainError(_l("Thí sinh không thuộc vị trí của ban này."))
    if application.status != ApplicationStatus.ELIGIBLE:
        raise DomainError(_l("Thí sinh chưa đủ điều kiện dự phỏng vấn."))
    if application not in interview_list(member.panel):
        raise DomainError(
            _l("Thí sinh chưa qua vòng thi trắc nghiệm (đang thi, vắng thi hoặc chưa đạt).")
        )
    if any(s.application_id == application.id for s in sheets_of_member(member)):
        raise DomainError(_l("Bạn đã chấm thí sinh này; phiếu chấm không sửa được."))
    score = parse_score(raw_score)
    sheet = ScoreSheet(
        member=member,
        application=application,
        score=score,
        comment=comment.strip(),
        submitted_at=at,
    )
    db.session.add(sheet)
    record(
        "panel.score",
        sheet,
        actor=actor,
        after={"application_id": application.id, "score": score},
    )
    return sheet


def sheets_of_member(member: PanelMember) -> list[ScoreSheet]:
    return list(
        db.session.scalars(db.select(ScoreSheet).where(ScoreSheet.panel_member_id == member.id))
    )
