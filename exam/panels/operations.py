"""Setting up panels and recording each member's independent score."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.candidates.models import Application, ApplicationStatus
from exam.core.db import lock_row
from exam.core.errors import DomainError, ValidationFailed
from exam.council.models import BodyKind
from exam.council.queries import people_on
from exam.extensions import db
from exam.panels.models import (
    MAX_PANEL_SCORE,
    Criterion,
    Declaration,
    InterviewGuide,
    Panel,
    PanelMember,
    PanelPosition,
    PanelRole,
    Relation,
    ScoreSheet,
    SpreadDecision,
    SpreadRuling,
)
from exam.panels.queries import (
    awaits_ruling,
    criteria_for,
    declarations_of,
    guide_of,
    has_declared_all,
    interview_list,
    is_recused,
    panel_of_position,
    position_guide,
    sealed_sheets,
    sheet_of,
)
from exam.panels.records import issue_sheet, minutes_follow
from exam.rounds.models import Position, Round, RoundStatus
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
    if panel_of_position(position.id) is not None:
        raise ValidationFailed(
            [("position_id", _l("Vị trí này đã có ban phỏng vấn; mỗi vị trí có một ban."))]
        )
    panel = Panel(position=position, name=name.strip())
    panel.members = [PanelMember(user=user, role=role) for user, role in members]
    panel.served = [PanelPosition(position=position)]
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


def _check_can_score(member: PanelMember, application: Application, actor: User) -> None:
    """Who may write a sheet for whom, checked on the server for drafts and seals alike."""
    require_stage(
        member.panel.position.round, RoundStatus.INTERVIEWS, action=_l("chấm điểm phỏng vấn")
    )
    if member.user_id != actor.id:
        raise DomainError(_l("Chỉ thành viên được phân công mới chấm được phiếu này."))
    if application.position_id not in {p.id for p in member.panel.positions}:
        raise DomainError(_l("Thí sinh không thuộc vị trí của ban này."))
    if application.status != ApplicationStatus.ELIGIBLE:
        raise DomainError(_l("Thí sinh chưa đủ điều kiện dự phỏng vấn."))
    if application not in interview_list(member.panel):
        raise DomainError(
            _l("Thí sinh chưa qua vòng thi trắc nghiệm (đang thi, vắng thi hoặc chưa đạt).")
        )
    if not has_declared_all(member):
        raise DomainError(
            _l(
                "Bạn chưa kê khai quan hệ với từng thí sinh của ban: chưa kê khai thì chưa "
                "được chấm."
            )
        )
    if is_recused(member, application):
        raise DomainError(
            _l("Bạn đã kê khai có quan hệ với thí sinh này nên không được chấm thí sinh này.")
        )


def parse_points(
    criteria: list[Criterion], raw: dict, *, complete: bool
) -> tuple[dict[str, str], Decimal]:
    """Points per criterion (keys: criterion ids) within each maximum, 2 decimals at most;
    ``complete``: every criterion given (a seal), else blanks are left out (a draft)."""
    errors: list[tuple[str | None, str]] = []
    points: dict[str, str] = {}
    known = {str(c.id) for c in criteria}
    if any(str(key) not in known for key in raw):
        raise ValidationFailed([(None, _l("Phiếu có tiêu chí không thuộc hướng dẫn chấm."))])
    for criterion in criteria:
        key = str(criterion.id)
        field = f"criterion_{criterion.id}"  # the form's field, where the reason shows
        text = str(raw.get(key, raw.get(criterion.id, "")) or "").strip()
        if not text:
            if complete:
                errors.append((field, _l("Chưa cho điểm tiêu chí %(t)s.", t=criterion.title)))
            continue
        try:
            value = parse_score(text)
        except ValidationFailed:
            errors.append(
                (
                    field,
                    _l(
                        "Điểm tiêu chí %(t)s phải là một số, tối đa 2 chữ số thập phân.",
                        t=criterion.title,
                    ),
                )
            )
            continue
        if value > criterion.max_points:
            errors.append(
                (
                    field,
                    _l(
                        "Điểm tiêu chí %(t)s tối đa là %(m)s.",
                        t=criterion.title,
                        m=format(criterion.max_points.normalize(), "f"),
                    ),
                )
            )
            continue
        points[key] = str(value.quantize(Decimal("0.01")))
    if errors:
        raise ValidationFailed(errors)
    return points, sum((Decimal(v) for v in points.values()), Decimal(0))


def _writable_sheet(member: PanelMember, application: Application) -> ScoreSheet | None:
    sheet = sheet_of(member, application)
    if sheet is not None and sheet.submitted_at is not None:
        raise DomainError(_l("Bạn đã chấm thí sinh này; phiếu chấm không sửa được."))
    return sheet


def _criteria(application: Application) -> list[Criterion]:
    """The criteria of the candidate's position: its own guide's, else the round's."""
    return criteria_for(application)


def save_draft(
    member: PanelMember,
    application: Application,
    raw_points: dict,
    *,
    comment: str = "",
    actor: User,
    at: dt.datetime,
) -> ScoreSheet:
    """Keep what the member has written so far (not sealed, read by nobody else)."""
    _check_can_score(member, application, actor)
    points, total = parse_points(_criteria(application), raw_points, complete=False)
    sheet = _writable_sheet(member, application)
    if sheet is None:
        sheet = ScoreSheet(member=member, application=application, submitted_at=None)
        db.session.add(sheet)
    sheet.points, sheet.score, sheet.comment = points, total, comment.strip()
    db.session.flush()
    return sheet


def seal_sheet(
    member: PanelMember,
    application: Application,
    raw_points: dict,
    *,
    comment: str = "",
    actor: User,
    at: dt.datetime,
) -> ScoreSheet:
    """Seal the member's sheet with a point for every criterion of the guide of the
    candidate's position (its own, else the round's)."""
    _check_can_score(member, application, actor)
    criteria = _criteria(application)
    if not criteria:
        raise DomainError(_l("Kỳ thi chưa có hướng dẫn chấm với các tiêu chí."))
    points, total = parse_points(criteria, raw_points, complete=True)
    return _seal(member, application, points, total, comment, actor=actor, at=at)


def _seal(
    member: PanelMember,
    application: Application,
    points: dict[str, str],
    total: Decimal,
    comment: str,
    *,
    actor: User,
    at: dt.datetime,
) -> ScoreSheet:
    sheet = _writable_sheet(member, application)
    if sheet is None:
        sheet = ScoreSheet(member=member, application=application)
        db.session.add(sheet)
    sheet.points, sheet.score, sheet.comment, sheet.submitted_at = (
        points,
        total,
        comment.strip(),
        at,
    )
    db.session.flush()
    record(
        "panel.score",
        sheet,
        actor=actor,
        after={"application_id": application.id, "score": total, "points": points},
    )
    # The sheet becomes official as it is sealed: issued now, in this transaction.
    issue_sheet(sheet, actor=actor, at=at)
    minutes_follow(member.panel, actor=actor, at=at)
    return sheet


def record_panel_score(
    member: PanelMember,
    application: Application,
    raw_score: object,
    *,
    comment: str = "",
    actor: User,
    at: dt.datetime,
) -> ScoreSheet:
    """One signed sheet per member and candidate with a single total, where the round has
    no marking guide with criteria (phiếu kín), during the interviews only."""
    _check_can_score(member, application, actor)
    if _criteria(application):
        raise DomainError(_l("Kỳ thi chấm theo tiêu chí: cho điểm từng tiêu chí."))
    _writable_sheet(member, application)
    score = parse_score(raw_score)
    return _seal(member, application, {}, score, comment, actor=actor, at=at)


def declare(
    member: PanelMember,
    application: Application,
    relation: Relation,
    *,
    actor: User,
    at: dt.datetime,
) -> Declaration:
    """The member's declaration about one candidate, once, before any sheet for them."""
    require_stage(member.panel.position.round, *_UNTIL_INTERVIEWS, action=_l("kê khai quan hệ"))
    if member.user_id != actor.id:
        raise DomainError(_l("Chỉ thành viên mới tự kê khai được."))
    if application not in interview_list(member.panel):
        raise DomainError(_l("Thí sinh không thuộc danh sách của ban này."))
    if application.id in declarations_of(member):
        raise DomainError(_l("Bạn đã kê khai cho thí sinh này."))
    declaration = Declaration(
        member=member, application=application, relation=relation, declared_at=at
    )
    db.session.add(declaration)
    db.session.flush()
    record(
        "panel.declare",
        declaration,
        actor=actor,
        after={"application_id": application.id, "relation": relation.value},
    )
    return declaration


def _require_head(panel: Panel, actor: User) -> None:
    if not any(m.user_id == actor.id and m.role == PanelRole.CHAIR for m in panel.members):
        raise DomainError(_l("Chỉ Trưởng ban phỏng vấn mới làm được việc này."))


def _reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed([("reason", _l("Cần ghi rõ lý do."))])
    return text


def reopen_sheet(sheet: ScoreSheet, reason: str, *, actor: User, at: dt.datetime) -> ScoreSheet:
    """The head of the panel reopens a sealed sheet, with a written reason; the member
    seals it again."""
    panel = sheet.member.panel
    require_stage(panel.position.round, RoundStatus.INTERVIEWS, action=_l("mở lại phiếu chấm"))
    _require_head(panel, actor)
    text = _reason(reason)
    if sheet.submitted_at is None:
        raise DomainError(_l("Phiếu này chưa niêm phong."))
    before = {"score": sheet.score, "submitted_at": sheet.submitted_at}
    sheet.submitted_at = None
    db.session.flush()
    record("panel.reopen", sheet, actor=actor, before=before, after={"reason": text})
    return sheet


def rule_on_spread(
    panel: Panel,
    application: Application,
    decision: SpreadDecision,
    reason: str,
    *,
    actor: User,
    at: dt.datetime,
) -> SpreadRuling:
    """The head's ruling on totals more than the round's limit apart: the sheets stand, or
    every sheet of the candidate is reopened for a re-score."""
    require_stage(panel.position.round, RoundStatus.INTERVIEWS, action=_l("xử lý chênh lệch"))
    _require_head(panel, actor)
    text = _reason(reason)
    lock_row(panel)  # a second click waits, then finds the ruling made
    if not awaits_ruling(panel, application):
        raise DomainError(
            _l(
                "Điểm các thành viên không chênh lệch quá %(n)s điểm (hoặc chưa đủ phiếu niêm "
                "phong): không cần quyết định.",
                n=panel.position.round.panel_spread_limit,
            )
        )
    ruling = SpreadRuling(
        panel_id=panel.id,
        application_id=application.id,
        decision=decision,
        reason=text,
        decided_by_id=actor.id,
        decided_at=at,
    )
    db.session.add(ruling)
    if decision == SpreadDecision.RESCORE:
        for sheet in sealed_sheets(panel, application):
            sheet.submitted_at = None
    db.session.flush()
    record(
        "panel.spread_ruling",
        ruling,
        actor=actor,
        after={"application_id": application.id, "decision": decision.value, "reason": text},
    )
    minutes_follow(panel, actor=actor, at=at)
    return ruling


DEFAULT_CRITERIA = (
    (_l("Phân tích thực trạng"), "20", _l("Đánh giá đúng, đủ thực trạng của cơ quan, đơn vị.")),
    (_l("Giải pháp"), "30", _l("Mục tiêu, nhiệm vụ, giải pháp rõ ràng, đột phá.")),
    (_l("Tính khả thi"), "20", _l("Nguồn lực, lộ trình, điều kiện thực hiện.")),
    (_l("Trình bày"), "15", _l("Mạch lạc, đúng thời gian.")),
    (_l("Trả lời câu hỏi"), "15", _l("Đúng, đủ, thuyết phục.")),
)


def set_guide(
    round_: Round,
    rows: list[tuple[str, object, str]],
    *,
    min_sheets: int = 2,
    trimmed_mean: bool = False,
    actor: User,
    position: Position | None = None,
) -> InterviewGuide:
    """The round's marking guide, or (``position``) a position's own criteria: criteria
    (title, maximum, descriptor) whose maxima sum to exactly 100; changed only until the
    first sheet it applies to is written (the round's: any sheet of the round)."""
    require_stage(round_, *_UNTIL_INTERVIEWS, action=_l("sửa hướng dẫn chấm"))
    if position is not None and position.round_id != round_.id:
        raise DomainError(_l("Vị trí này thuộc kỳ thi khác."))
    errors: list[tuple[str | None, str]] = []
    criteria: list[Criterion] = []
    for number, (title, raw_max, descriptor) in enumerate(rows, start=1):
        if not (title or "").strip():
            errors.append((f"title-{number}", _l("Tiêu chí %(n)s chưa có tên.", n=number)))
            continue
        try:
            maximum = parse_score(raw_max)
        except ValidationFailed:
            errors.append(
                (f"max-{number}", _l("Điểm tối đa của tiêu chí %(n)s phải là một số.", n=number))
            )
            continue
        if maximum <= 0:
            errors.append(
                (f"max-{number}", _l("Điểm tối đa của tiêu chí %(n)s phải lớn hơn 0.", n=number))
            )
            continue
        criteria.append(
            Criterion(
                number=number,
                title=title.strip(),
                max_points=maximum,
                descriptor=(descriptor or "").strip(),
            )
        )
    if not errors and not criteria:
        errors.append((None, _l("Hướng dẫn chấm cần ít nhất một tiêu chí.")))
    total = sum((c.max_points for c in criteria), Decimal(0))
    if not errors and total != MAX_PANEL_SCORE:
        errors.append(
            (None, _l("Tổng điểm tối đa các tiêu chí phải bằng 100 (hiện là %(t)s).", t=total))
        )
    if min_sheets < 1:
        errors.append(("min_sheets", _l("Số phiếu tối thiểu phải từ 1 trở lên.")))
    if errors:
        raise ValidationFailed(errors)
    if _sheets_under(round_, position):
        raise DomainError(_l("Đã có phiếu chấm: hướng dẫn chấm không sửa được nữa."))
    guide = guide_of(round_) if position is None else position_guide(position)
    before = None
    if guide is None:
        guide = InterviewGuide(
            round_id=round_.id, position_id=position.id if position is not None else None
        )
        db.session.add(guide)
    else:
        before = {"criteria": [[c.title, c.max_points] for c in guide.criteria]}
        guide.criteria.clear()
        db.session.flush()
    if position is None:  # a position's guide has its criteria only (the class's docstring)
        guide.min_sheets, guide.trimmed_mean = min_sheets, trimmed_mean
    guide.criteria.extend(criteria)
    db.session.flush()
    after: dict = {"criteria": [[c.title, c.max_points] for c in criteria]}
    if position is None:
        after |= {"min_sheets": min_sheets, "trimmed_mean": trimmed_mean}
    else:
        after["position_id"] = position.id
    record("panel.guide", guide, actor=actor, before=before, after=after)
    return guide


def _sheets_under(round_: Round, position: Position | None) -> bool:
    """A sheet (draft or sealed) the guide applies to exists: for a position's guide, a
    sheet for one of its candidates; for the round's, any sheet of the round."""
    query = sa.select(ScoreSheet.id).join(Application, Application.id == ScoreSheet.application_id)
    if position is None:
        query = query.where(Application.round_id == round_.id)
    else:
        query = query.where(Application.position_id == position.id)
    return db.session.scalar(query.limit(1)) is not None


def drop_position_guide(position: Position, *, actor: User) -> None:
    """The position goes back to the round's guide, until its first sheet."""
    require_stage(position.round, *_UNTIL_INTERVIEWS, action=_l("sửa hướng dẫn chấm"))
    guide = position_guide(position)
    if guide is None:
        raise DomainError(_l("Vị trí này không có hướng dẫn chấm riêng."))
    if _sheets_under(position.round, position):
        raise DomainError(_l("Đã có phiếu chấm: hướng dẫn chấm không sửa được nữa."))
    record(
        "panel.guide_drop",
        guide,
        actor=actor,
        before={
            "position_id": position.id,
            "criteria": [[c.title, c.max_points] for c in guide.criteria],
        },
    )
    db.session.delete(guide)
    db.session.flush()


def replace_member(member: PanelMember, new_user: User, reason: str, *, actor: User) -> PanelMember:
    """Put another member of the round's interview board in the seat, with a reason, until
    the panel's scoring starts (its first sheet)."""
    panel = member.panel
    require_stage(panel.position.round, *_UNTIL_INTERVIEWS, action=_l("thay thành viên ban"))
    text = _reason(reason)
    board = {p.id for p in people_on(panel.position.round_id, BodyKind.INTERVIEW)}
    if new_user.id not in board:
        raise ValidationFailed(
            [("user_id", _l("Chỉ thành viên Ban phỏng vấn của kỳ thi mới được cử vào ban."))]
        )
    if any(m.user_id == new_user.id for m in panel.members):
        raise ValidationFailed([("user_id", _l("Người này đã có trong ban."))])
    if db.session.scalar(
        sa.select(ScoreSheet.id).join(PanelMember).where(PanelMember.panel_id == panel.id).limit(1)
    ):
        raise DomainError(_l("Ban đã bắt đầu chấm: không thay thành viên được nữa."))
    before = {"user_id": member.user_id}
    db.session.execute(sa.delete(Declaration).where(Declaration.panel_member_id == member.id))
    member.user = new_user
    db.session.flush()
    record(
        "panel.replace_member",
        member,
        actor=actor,
        before=before,
        after={"user_id": new_user.id, "reason": text},
    )
    return member


def sheets_of_member(member: PanelMember) -> list[ScoreSheet]:
    """The member's sealed sheets."""
    return list(
        db.session.scalars(
            db.select(ScoreSheet).where(
                ScoreSheet.panel_member_id == member.id, ScoreSheet.submitted_at.is_not(None)
            )
        )
    )


def _scoring_started(panel: Panel) -> bool:
    return bool(
        db.session.scalar(
            sa.select(ScoreSheet.id)
            .join(PanelMember)
            .where(PanelMember.panel_id == panel.id)
            .limit(1)
        )
    )


def add_position(panel: Panel, position: Position, *, actor: User) -> PanelPosition:
    """Let the panel also score the candidates of another position of its round (one panel
    for several positions), until its scoring starts."""
    require_stage(panel.position.round, *_UNTIL_INTERVIEWS, action=_l("giao thêm vị trí cho ban"))
    if position.round_id != panel.position.round_id:
        raise ValidationFailed([("position_id", _l("Vị trí thuộc kỳ thi khác."))])
    if panel_of_position(position.id) is not None:
        raise ValidationFailed(
            [("position_id", _l("Vị trí này đã có ban phỏng vấn; mỗi vị trí có một ban."))]
        )
    if _scoring_started(panel):
        raise DomainError(_l("Ban đã bắt đầu chấm: không giao thêm vị trí được nữa."))
    served = PanelPosition(panel=panel, position=position)
    db.session.add(served)
    db.session.flush()
    record("panel.add_position", panel, actor=actor, after={"position_id": position.id})
    return served
