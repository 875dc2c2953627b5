"""A position's own interview marking guide (issue 15 item 5): its candidates are scored by
its criteria, the others by the round's; set on the guide's page per position, fixed once a
sheet for one of its candidates exists, dropped to fall back to the round's."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from exam.accounts.models import Role
from exam.audit.models import AuditEntry
from exam.core.errors import DomainError, ValidationFailed
from exam.extensions import db
from exam.panels.models import InterviewGuide
from exam.panels.operations import (
    DEFAULT_CRITERIA,
    add_position,
    drop_position_guide,
    seal_sheet,
    set_guide,
)
from exam.panels.queries import criteria_for, guide_for, guide_of, position_guide
from exam.rounds.models import RoundStatus
from tests.conftest import login
from tests.factories import T0
from tests.panels.helpers import declare_no_relation

OWN = [("Chiến lược ngành", "50", "Tầm nhìn"), ("Quản trị nhân sự", "50", "")]


def _rows():
    return [(str(t), m, str(d)) for t, m, d in DEFAULT_CRITERIA]


@pytest.fixture
def two(make):
    """A round of two positions served by one panel, the round's guide and the second
    position's own."""
    round_ = make.round(positions=2)
    first, second = round_.positions
    panel = make.panel(first, members=2)
    board = make.user(Role.BOARD_ADMIN)
    add_position(panel, second, actor=board)
    a, b = make.application(first), make.application(second)
    set_guide(round_, _rows(), actor=board)
    set_guide(round_, OWN, actor=board, position=second)
    db.session.flush()
    return round_, panel, board, a, b


def test_each_candidate_is_scored_by_the_guide_of_their_position(make, two):
    round_, panel, _, a, b = two
    assert [c.title for c in criteria_for(a)] == [str(t) for t, _, _ in DEFAULT_CRITERIA]
    assert [c.title for c in criteria_for(b)] == ["Chiến lược ngành", "Quản trị nhân sự"]
    assert guide_for(a.position) is guide_of(round_)
    make.stage(round_, RoundStatus.INTERVIEWS)
    declare_no_relation(panel, T0)
    member = panel.members[1]
    round_ids = {str(c.id): "10" for c in criteria_for(a)}
    with pytest.raises(ValidationFailed):  # the round's criteria are not the position's
        seal_sheet(member, b, round_ids, actor=member.user, at=T0)
    own = {str(c.id): p for c, p in zip(criteria_for(b), ("40", "35.5"), strict=True)}
    sheet = seal_sheet(member, b, own, actor=member.user, at=T0)
    assert sheet.score == 75.5
    sheet = seal_sheet(member, a, round_ids, actor=member.user, at=T0)
    assert sheet.score == 50


def test_the_position_s_guide_is_checked_like_the_round_s_and_audited(make, two):
    round_, _, board, _, b = two
    with pytest.raises(ValidationFailed, match="phải bằng 100"):
        set_guide(round_, [("A", "60", ""), ("B", "30", "")], actor=board, position=b.position)
    assert [c.max_points for c in position_guide(b.position).criteria] == [50, 50]
    with pytest.raises(DomainError, match="kỳ thi khác"):
        set_guide(round_, OWN, actor=board, position=make.round().positions[0])
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "panel.guide").order_by(AuditEntry.id)
    ).all()[-1]
    assert entry.after["position_id"] == b.position.id


def test_fixed_once_a_sheet_of_its_candidates_exists_and_dropped_before(make, two):
    round_, panel, board, a, b = two
    make.stage(round_, RoundStatus.INTERVIEWS)
    declare_no_relation(panel, T0)
    member = panel.members[1]
    seal_sheet(member, a, {str(c.id): "10" for c in criteria_for(a)}, actor=member.user, at=T0)
    with pytest.raises(DomainError, match="không sửa được"):
        set_guide(round_, _rows(), actor=board)  # the round's: a sheet of the round exists
    set_guide(round_, list(reversed(OWN)), actor=board, position=b.position)  # none of b's yet
    drop_position_guide(b.position, actor=board)
    assert position_guide(b.position) is None
    assert guide_for(b.position) is guide_of(round_)
    with pytest.raises(DomainError, match="không có hướng dẫn chấm riêng"):
        drop_position_guide(b.position, actor=board)


def test_the_guide_page_per_position(app, make, two):
    round_, _, board, _, b = two
    drop_position_guide(b.position, actor=board)
    db.session.commit()
    client = login(app.test_client(), board)
    url = f"/rounds/{round_.id}/panels/guide?position={b.position.id}"
    page = client.get(url).get_data(as_text=True)
    assert "đang dùng hướng dẫn chấm chung" in page
    assert 'name="min_sheets"' not in page  # the round's setting, not the position's
    data = {
        "criteria-0-title": "Chiến lược",
        "criteria-0-max_points": "70",
        "criteria-1-title": "Trả lời câu hỏi",
        "criteria-1-max_points": "30",
    }
    assert client.post(url, data=data).status_code == 302
    db.session.expire_all()
    assert [c.title for c in position_guide(b.position).criteria] == [
        "Chiến lược",
        "Trả lời câu hỏi",
    ]
    assert guide_of(round_).min_sheets == 2
    page = client.get(url).get_data(as_text=True)
    assert "có hướng dẫn chấm riêng" in page
    other = make.round().positions[0]
    db.session.commit()
    assert client.get(f"/rounds/{round_.id}/panels/guide?position={other.id}").status_code == 404
    drop = f"/rounds/{round_.id}/panels/guide/positions/{b.position.id}/drop"
    assert client.post(drop).status_code == 302
    assert (
        db.session.scalar(
            sa.select(sa.func.count(InterviewGuide.id)).where(
                InterviewGuide.position_id.is_not(None)
            )
        )
        == 0
    )


def test_the_score_page_shows_the_position_s_criteria(app, make, two):
    round_, panel, _, a, b = two
    make.stage(round_, RoundStatus.INTERVIEWS)
    declare_no_relation(panel, T0)
    db.session.commit()
    client = login(app.test_client(), panel.members[1].user)
    text = client.get(f"/panels/{panel.id}/applications/{b.id}/score").get_data(as_text=True)
    assert "Chiến lược ngành" in text
    assert str(DEFAULT_CRITERIA[0][0]) not in text
    text = client.get(f"/panels/{panel.id}/applications/{a.id}/score").get_data(as_text=True)
    assert str(DEFAULT_CRITERIA[0][0]) in text


def _refused(guide: InterviewGuide) -> None:
    with db.session.begin_nested():
        db.session.add(guide)
        with pytest.raises(sa.exc.IntegrityError):
            db.session.flush()


def test_the_database_holds_one_guide_per_round_and_one_per_position(make, two):
    round_, _, _, _, b = two
    _refused(InterviewGuide(round_id=round_.id, min_sheets=2, trimmed_mean=False))
    _refused(
        InterviewGuide(
            round_id=round_.id, position_id=b.position.id, min_sheets=2, trimmed_mean=False
        )
    )
