"""The markers' sheets (docs/domain.md §6, §9): each marker seals a sheet of points per
criterion; the scores are reconciled by TT 22's rule (a third marker drawn blind, the head of
marking deciding with minutes); an appeal's re-marking is drawn to the re-marking board and,
once final, handed to the appeals' handler."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from random import Random

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.core.db import utcnow
from exam.core.errors import DomainError, NotAllowed, ValidationFailed
from exam.council.checks import on_member_added
from exam.council.models import BodyKind
from exam.council.queries import is_member
from exam.extensions import db
from exam.marking.models import (
    MarkingPlan,
    MarkingSheet,
    Script,
    ScriptStatus,
    SettledBy,
    SheetLine,
)
from exam.marking.operations import (
    _assign,
    _lock,
    _lock_plan,
    _markers,
    _marking_stage,
    _system_random,
)
from exam.marking.queries import marking_board, plan_of, scripts_of
from exam.marking.rules import (
    PAPER_ITEM_ID,
    Next,
    Outcome,
    criteria_of,
    draw_markers,
    half_up,
    item_points,
    mean,
    new_code,
    on_hundred,
    reconcile_three,
    reconcile_two,
)
from exam.rounds.models import RoundStatus
from exam.rounds.stages import require_stage

WHOLE_ANSWER = _l("Toàn bài")
# Who acts when a re-marking has its score: the appeals (above the marking) register here.
RemarkHandler = Callable[[Script, "User | None", dt.datetime], None]
_remark_handlers: list[RemarkHandler] = []


def on_remark_final(handler: RemarkHandler) -> RemarkHandler:
    """Register ``handler``, called in the same transaction when a re-marking is final."""
    if handler not in _remark_handlers:
        _remark_handlers.append(handler)
    return handler


def _script_stage(script: Script, action: object) -> None:
    """A re-marking on appeal is done once the results are published (§9)."""
    if script.remark:
        require_stage(script.plan.round, RoundStatus.PUBLISHED, action=action)
    else:
        _marking_stage(script.plan.round, action)


def _pool(script: Script) -> list[User]:
    """Who may be drawn for ``script``: the marking board; for a re-marking, the re-marking
    board without anyone who marked the script the first time. Never the Ban phách."""
    round_ = script.plan.round
    if not script.remark:
        return _markers(round_)
    return _remarkers_for(next(s for s in scripts_of(script.plan) if s.same_source(script)))


def _remarkers_for(first: Script) -> list[User]:
    """The re-marking board without the script's first markers and the Ban phách."""
    round_ = first.plan.round
    earlier = {sheet.marker_id for sheet in first.sheets}
    return [
        u
        for u in marking_board(round_.id, BodyKind.REMARKING)
        if u.id not in earlier and not is_member(u.id, round_.id, BodyKind.ANONYMISATION)
    ]


def open_remark(
    script: Script, *, actor: User | None, at: dt.datetime, rng: Random | None = None
) -> Script:
    """An appeal's re-marking (§9): the script's answers under a new code, drawn blind to two
    members of the re-marking board who did not mark it; nothing of the first marking goes
    with it. Once the results are published, on a script with its final score."""
    require_stage(script.plan.round, RoundStatus.PUBLISHED, action=_l("phúc khảo"))
    plan = script.plan
    _lock_plan(plan)
    if script.remark or script.status != ScriptStatus.FINAL or plan.unsealed_at is None:
        raise DomainError(_l("Bài thi này chưa có điểm đã công bố để phúc khảo."))
    used = set(db.session.scalars(sa.select(Script.code).where(Script.plan_id == plan.id)))
    if any(s.same_source(script) for s in scripts_of(plan, remark=True)):
        raise DomainError(_l("Bài thi này đã được chấm phúc khảo."))
    pool = _remarkers_for(script)  # checked before anything is added: nothing half-saved
    if len(pool) < 2:
        raise DomainError(
            _l(
                "Ban chấm phúc khảo cần ít nhất hai thành viên chưa chấm bài này lần đầu và "
                "không ở Ban phách; hiện có %(n)d. Hội đồng bổ sung %(m)d thành viên như vậy "
                "vào Ban chấm phúc khảo, rồi chuyển chấm phúc khảo lại.",
                n=len(pool),
                m=2 - len(pool),
            )
        )
    code = new_code()
    while code in used:
        code = new_code()
    remark = Script(
        plan=plan,
        code=code,
        attempt=script.attempt,
        paper_script=script.paper_script,
        remark=True,
        flagged_terms=[],
        flag_cleared=True,
        status=ScriptStatus.MARKING,
    )
    db.session.add(remark)
    markers = draw_markers(pool, 2, rng or _system_random)
    for turn, marker in enumerate(markers, start=1):
        _assign(remark, marker, turn, at)
    db.session.flush()
    record("marking.open_remark", remark, actor=actor, after={"code": code})
    return remark


def draw_third_marker(
    script: Script, *, actor: User | None, at: dt.datetime, rng: Random | None = None
) -> MarkingSheet:
    """A third marker, drawn blind from the board's members not yet on the script."""
    _lock(script)
    if script.status != ScriptStatus.THIRD_MARKER or any(s.turn == 3 for s in script.sheets):
        raise DomainError(_l("Bài thi này không cần chấm lần ba."))
    on_script = [s.marker for s in script.sheets]
    try:
        (marker,) = draw_markers(_pool(script), 1, rng or _system_random, besides=on_script)
    except ValueError:
        board = _l("Ban chấm phúc khảo") if script.remark else _l("Ban chấm thi")
        raise DomainError(
            _l(
                "%(board)s không còn thành viên nào chưa chấm bài này (và không ở Ban phách): "
                "Hội đồng bổ sung một thành viên vào %(board)s; thành viên chấm lần ba được "
                "bốc thăm ngay khi bổ sung.",
                board=board,
            )
        ) from None
    sheet = _assign(script, marker, 3, at)
    db.session.flush()
    record("marking.third_marker", script, actor=actor, after={"code": script.code})
    return sheet


def awaiting_third_marker(plan: MarkingPlan | None, *, remark: bool) -> list[Script]:
    """The scripts (or re-markings) whose third marker could not be drawn: the board had
    nobody left who had not marked them."""
    return [
        s
        for s in scripts_of(plan, remark=remark)
        if s.status == ScriptStatus.THIRD_MARKER and not any(t.turn == 3 for t in s.sheets)
    ]


@on_member_added
def _draw_when_the_board_grows(round_id: int, kind: str, actor: object) -> None:
    """A member joined the marking or re-marking board: each script that waited for a third
    marker gets one drawn now, blind, among those who may mark it."""
    if kind not in (BodyKind.MARKING.value, BodyKind.REMARKING.value):
        return
    plan = plan_of(round_id)
    at = utcnow()
    for script in awaiting_third_marker(plan, remark=kind == BodyKind.REMARKING.value):
        with contextlib.suppress(DomainError):
            draw_third_marker(script, actor=actor, at=at)


# --- the markers ------------------------------------------------------------------------------


def submit_sheet(
    sheet: MarkingSheet,
    marks: Mapping[str, object],
    comments: str,
    *,
    actor: User,
    at: dt.datetime,
    rng: Random | None = None,
) -> MarkingSheet:
    """A marker's sheet: points per criterion (``marks`` by the criterion's field name), each
    from 0 to its maximum; sealed once submitted. The script then moves on by TT 22's rule."""
    script = sheet.script
    _script_stage(script, _l("chấm bài"))
    _lock(script)
    if sheet.marker_id != actor.id:
        raise NotAllowed(_l("Phiếu chấm này không phải của bạn."))
    if sheet.submitted_at is not None:
        raise DomainError(_l("Phiếu chấm đã nộp và niêm phong: không chấm lại được."))
    if script.status not in (ScriptStatus.MARKING, ScriptStatus.THIRD_MARKER):
        raise DomainError(_l("Bài thi này không còn chờ chấm."))
    lines, errors = [], []
    for item in script.essay_items():
        for criterion in criteria_of(item, str(WHOLE_ANSWER)):
            points = _decimal(marks.get(criterion.field))
            if points is None:
                errors.append((criterion.field, _l("Nhập điểm của «%(c)s».", c=criterion.title)))
            elif not 0 <= points <= criterion.max_points or points != half_up(points):
                errors.append(
                    (
                        criterion.field,
                        _l(
                            "Điểm của «%(c)s» từ 0 đến %(max)s, tối đa hai chữ số thập phân.",
                            c=criterion.title,
                            max=f"{criterion.max_points:g}",
                        ),
                    )
                )
            else:
                lines.append(
                    SheetLine(
                        item_id=None if item.id == PAPER_ITEM_ID else item.id,
                        criterion=criterion.index,
                        points=points,
                        max_points=criterion.max_points,
                    )
                )
    if errors:
        raise ValidationFailed(errors)
    sheet.lines = lines
    sheet.comments = comments.strip()
    sheet.score = on_hundred(sum(sheet_points(sheet).values(), Decimal(0)), _script_max(script))
    sheet.submitted_at = at
    db.session.flush()
    record(
        "marking.submit_sheet",
        sheet,
        actor=actor,
        after={"code": script.code, "turn": sheet.turn, "score": str(sheet.score)},
    )
    _move_on(script, actor=actor, at=at, rng=rng)
    return sheet


def _decimal(raw: object) -> Decimal | None:
    try:
        value = Decimal(str(raw).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def sheet_points(sheet: MarkingSheet) -> dict[int, Decimal]:
    """A submitted sheet's points per essay item, on the paper's scale."""
    totals: dict[int, Decimal] = {}
    for line in sheet.lines:
        key = line.item_id if line.item_id is not None else PAPER_ITEM_ID
        totals[key] = totals.get(key, Decimal(0)) + Decimal(line.points)
    points = {}
    for item in sheet.script.essay_items():
        rubric_total = sum((c.max_points for c in criteria_of(item, str(WHOLE_ANSWER))), Decimal(0))
        points[item.id] = item_points(item, totals.get(item.id, Decimal(0)), rubric_total)
    return points


def _script_max(script: Script) -> Decimal:
    return sum((Decimal(str(i.points)) for i in script.essay_items()), Decimal(0))


def _move_on(script: Script, *, actor: User, at: dt.datetime, rng: Random | None) -> None:
    plan = script.plan
    done = {s.turn: s for s in script.sheets if s.score is not None}
    # A re-marking (§9) has its own agreement limit and no discussion step: beyond the limit,
    # a third marker; three not agreeing: the mean of the three.
    agree = plan.remark_agree_limit if script.remark else plan.agree_limit
    third_limit = agree if script.remark else plan.third_marker_limit
    if script.status == ScriptStatus.MARKING and set(done) == {1, 2}:
        outcome = reconcile_two(done[1].score, done[2].score, agree, third_limit)
    elif script.status == ScriptStatus.THIRD_MARKER and set(done) == {1, 2, 3}:
        outcome = reconcile_three({t: s.score for t, s in done.items()}, agree)
        if script.remark and outcome.next == Next.HEAD_DECIDES:
            outcome = Outcome(Next.FINAL, mean(*(s.score for s in done.values())), (1, 2, 3))
    else:
        return
    if outcome.next == Next.FINAL:
        per_sheet = [sheet_points(done[t]) for t in outcome.turns]
        script.final_points = {
            str(item.id): str(mean(*(p[item.id] for p in per_sheet)))
            for item in script.essay_items()
        }
        script.final_score = outcome.score
        script.settled_by = SettledBy.MEAN if len(done) == 2 else SettledBy.PAIR
        script.status = ScriptStatus.FINAL
    else:
        script.status = ScriptStatus(outcome.next.value)
    db.session.flush()
    record(
        "marking.reconcile",
        script,
        actor=actor,
        after={
            "code": script.code,
            "status": script.status.value,
            "score": None if script.final_score is None else str(script.final_score),
        },
    )
    if script.status == ScriptStatus.THIRD_MARKER:
        # Nobody left to draw: the head of marking's page says so and draws later.
        with contextlib.suppress(DomainError):
            draw_third_marker(script, actor=None, at=at, rng=rng)
    if script.remark and script.status == ScriptStatus.FINAL:
        for handler in _remark_handlers:
            handler(script, actor, at)


# --- the head of marking ----------------------------------------------------------------------


def settle(
    script: Script,
    points: Mapping[str, object],
    minutes: str,
    *,
    actor: User,
    at: dt.datetime,
) -> Script:
    """The head of marking records the score (each essay item's points) of a script whose
    markers differ between the limits (after discussing it with both), or whose three markers
    do not agree (after collective marking), with the minutes of how it was reached."""
    _marking_stage(script.plan.round, _l("quyết định điểm"))
    _lock(script)
    if script.status not in (ScriptStatus.DISCUSSION, ScriptStatus.HEAD_DECIDES):
        raise DomainError(_l("Bài thi này không chờ Trưởng ban chấm thi quyết định."))
    errors, decided = [], {}
    for item in script.essay_items():
        field, value = f"item-{item.id}", _decimal(points.get(f"item-{item.id}"))
        maximum = half_up(Decimal(str(item.points)))
        if value is None or not 0 <= value <= maximum or value != half_up(value):
            errors.append((field, _l("Điểm từ 0 đến %(max)s.", max=f"{maximum:g}")))
        else:
            decided[item.id] = value
    if not minutes.strip():
        errors.append(("minutes", _l("Ghi biên bản: ý kiến của các thành viên chấm, kết luận.")))
    if errors:
        raise ValidationFailed(errors)
    score = on_hundred(sum(decided.values(), Decimal(0)), _script_max(script))
    script.final_points = {str(k): str(v) for k, v in decided.items()}
    script.final_score = score
    script.settled_by, script.status = SettledBy.HEAD, ScriptStatus.FINAL
    script.decided_by_id, script.minutes = actor.id, minutes.strip()
    db.session.flush()
    record(
        "marking.settle",
        script,
        actor=actor,
        after={"code": script.code, "score": str(script.final_score), "minutes": script.minutes},
    )
    return script
