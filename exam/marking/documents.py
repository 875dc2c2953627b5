"""The minutes of the hand-over of coded scripts to the marking board (biên bản bàn giao bài
thi đã đánh phách) as plain values, rendered by ``templates/pdf/marking_hand_over.html``. They
list codes only: never a name or a registration number."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import force_locale

from exam.core.documents import DocumentFrame, Signature, Verification
from exam.council.models import BodyKind
from exam.extensions import db
from exam.marking.models import MarkingPlan, MarkingSheet, Script, ScriptStatus
from exam.marking.queries import head_of, scripts_of


@dataclass(frozen=True)
class ScriptLine:
    number: int
    code: str
    items: int
    note: str


@dataclass(frozen=True)
class HandOverMinutes:
    document: DocumentFrame
    round_name: str
    handed_over_at: dt.datetime
    giver: str  # the head of the Ban phách
    receiver: str  # the head of the marking board
    scripts: tuple[ScriptLine, ...]
    to_markers: int


HAND_OVER_SYMBOL = "BB-BP"


def hand_over_document(
    plan: MarkingPlan, *, sequence: int | None = None, verification: Verification | None = None
) -> dict:
    """The data of ``templates/pdf/marking_hand_over.html``, in Vietnamese. ``sequence`` and
    ``verification``: the number in the Council's register and the code of the minutes as
    issued (exam/marking/operations.py::hand_over); without them, a copy rendered on request
    (a hand-over made before the minutes were issued)."""
    with force_locale("vi"):
        giver = head_of(plan.round_id, BodyKind.ANONYMISATION)
        receiver = head_of(plan.round_id, BodyKind.MARKING)
        scripts = scripts_of(plan)
        # A zero recorded after the hand-over (by the head of marking) is not the hand-over's:
        # its script was handed over with markers drawn. The minutes may be rendered later
        # (their job, a retry), so they tell the two apart by the sheets drawn.
        drawn = set(
            db.session.scalars(
                sa.select(MarkingSheet.script_id)
                .join(Script, Script.id == MarkingSheet.script_id)
                .where(Script.plan_id == plan.id)
                .distinct()
            )
        )
        lines = []
        for number, script in enumerate(scripts, start=1):
            zero = (
                script.status == ScriptStatus.FINAL
                and script.zero_reason is not None
                and script.id not in drawn
            )
            note = f"Điểm 0: {script.zero_reason.title}" if zero else ""
            lines.append(ScriptLine(number, script.code, len(script.essay_items()), note))
        minutes = HandOverMinutes(
            document=DocumentFrame(
                parent_body=plan.round.parent_body,
                issued_at=plan.handed_over_at,
                symbol=HAND_OVER_SYMBOL,
                number=sequence,
                verification=verification,
                signature=Signature(
                    function="TRƯỞNG BAN PHÁCH", signer=giver.full_name if giver else ""
                ),
                recipients=("Ban chấm thi", "Ban giám sát", "Lưu: HĐTT"),
            ),
            round_name=plan.round.name,
            handed_over_at=plan.handed_over_at,
            giver=giver.full_name if giver else "",
            receiver=receiver.full_name if receiver else "",
            scripts=tuple(lines),
            to_markers=sum(1 for line in lines if not line.note),
        )
    return {"minutes": minutes}
