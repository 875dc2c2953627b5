"""A re-marking board too small to draw from (docs/domain.md §9): the refusal says how many
members must be added, and once the Council adds one the draw goes ahead: the two
re-markers when the Ban phách sends the appeal again, the third drawn at once, blind."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from exam.appeals.operations import start_remark
from exam.audit.models import AuditEntry
from exam.core.errors import DomainError
from exam.council.models import Body, BodyKind, MemberFunction
from exam.council.operations import add_member
from exam.extensions import db
from exam.marking.models import ScriptStatus
from exam.marking.queries import plan_of
from exam.marking.sheets import awaiting_third_marker
from tests.appeals.test_filing_and_remarking import _file, _mark, _published
from tests.conftest import login
from tests.marking.conftest import AFTER, seat_on, staff


def _board(w, kind: BodyKind) -> Body:
    return db.session.scalar(sa.select(Body).where(Body.round_id == w.round_id, Body.kind == kind))


def _chair(w):
    chair = staff("Chủ Tịch Hội Đồng")
    seat_on(w.round, BodyKind.COUNCIL, chair, MemberFunction.CHAIR)
    return chair


def test_too_few_re_markers_says_how_many_to_add_then_the_draw_goes_ahead(make):
    w = _published(
        make, remarkers=1
    )  # the board's others marked the script or sit on the Ban phách
    appeal = _file(w)
    with pytest.raises(DomainError) as refused:
        start_remark(appeal, actor=w.anonymiser, at=AFTER)
    message = str(refused.value)
    assert "hiện có 1" in message
    assert "bổ sung 1 thành viên" in message
    assert appeal.remark_script_id is None
    newcomer = staff("Phúc Khảo Mới")
    add_member(_board(w, BodyKind.REMARKING), newcomer, MemberFunction.MEMBER, actor=_chair(w))
    start_remark(appeal, actor=w.anonymiser, at=AFTER)
    assert {s.marker_id for s in appeal.remark_script.sheets} == {w.remarkers[0].id, newcomer.id}


def test_a_third_re_marker_waits_for_a_new_member_and_is_drawn_when_one_joins(app, make):
    w = _published(make, remarkers=2)
    appeal = _file(w)
    start_remark(appeal, actor=w.anonymiser, at=AFTER)
    first, second = appeal.remark_script.sheets
    _mark(first, "42", "30")  # 72
    _mark(second, "48", "32")  # 80: beyond 5, and nobody left to draw
    remark = appeal.remark_script
    assert remark.status == ScriptStatus.THIRD_MARKER
    assert awaiting_third_marker(plan_of(w.round_id), remark=True) == [remark]
    chair = _chair(w)
    db.session.commit()
    page = login(app.test_client(), w.remarkers[0]).get(f"/rounds/{w.round_id}/appeals")
    text = page.get_data(as_text=True)
    assert "Bài phúc khảo chờ thành viên chấm lần ba" in text
    assert remark.code in text

    # A member of another board changes nothing; a new re-marker is drawn at once.
    add_member(
        _board(w, BodyKind.MARKING), staff("Chấm Thi Mới"), MemberFunction.MEMBER, actor=chair
    )
    assert not any(s.turn == 3 for s in remark.sheets)
    newcomer = staff("Phúc Khảo Mới")
    add_member(_board(w, BodyKind.REMARKING), newcomer, MemberFunction.MEMBER, actor=chair)
    third = next(s for s in remark.sheets if s.turn == 3)
    assert third.marker_id == newcomer.id
    assert awaiting_third_marker(plan_of(w.round_id), remark=True) == []
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "marking.third_marker")
    )
    assert entry.actor_id == chair.id
    _mark(third, "43", "30")  # 73: with 72 → 72.50
    assert appeal.remark_score is not None


def test_the_third_marker_s_refusal_says_who_must_be_added(make):
    w = _published(make, remarkers=2)
    appeal = _file(w)
    start_remark(appeal, actor=w.anonymiser, at=AFTER)
    first, second = appeal.remark_script.sheets
    _mark(first, "42", "30")
    _mark(second, "48", "32")
    from exam.marking.sheets import draw_third_marker

    with pytest.raises(DomainError, match="bổ sung một thành viên vào Ban chấm phúc khảo"):
        draw_third_marker(appeal.remark_script, actor=w.anonymiser, at=AFTER)
