from __future__ import annotations

import pytest
import sqlalchemy as sa

from exam.accounts.models import Role
from exam.audit.models import AuditEntry
from exam.core.errors import DomainError
from exam.extensions import db
from exam.rounds.models import ROUND_FLOW, Round, RoundStatus
from exam.rounds.operations import advance_round
from tests.conftest import login


def test_board_creates_a_round_with_hanoi_times(client, make):
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    response = login(client, board).post(
        "/rounds/new",
        data={
            "name": "Thi tuyển Trưởng phòng năm 2026",
            "organisation": "Bệnh viện Đa khoa Thanh Xuân",
            "registration_opens_at": "01/03/2026 08:00",
            "registration_closes_at": "31/03/2026 17:00",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    round_ = db.session.scalars(sa.select(Round)).one()
    assert round_.status == RoundStatus.DRAFT
    assert round_.registration_opens_at.hour == 1  # 08:00 in Hanoi is 01:00 UTC
    assert (round_.min_candidates_per_position, round_.test_pass_mark) == (2, 50)
    page = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert "01/03/2026 08:00" in page


@pytest.mark.parametrize(
    ("opens", "closes", "message"),
    [
        ("2026-03-31T08:00", "2026-03-01T08:00", "Ngày hết hạn phải sau ngày bắt đầu"),
        ("2026-03-31T08:00", "2026-03-31T08:00", "Ngày hết hạn phải sau ngày bắt đầu"),
        ("31/03/2026", "2026-03-01T08:00", "Nhập ngày giờ hợp lệ."),
    ],
)
def test_a_wrong_registration_window_is_refused(client, make, opens, closes, message):
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    response = login(client, board).post(
        "/rounds/new",
        data={
            "name": "Kỳ thi",
            "organisation": "Đơn vị",
            "registration_opens_at": opens,
            "registration_closes_at": closes,
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Round.id))) == 0


def test_positions_are_added_in_draft_only_and_duplicates_refused(client, make):
    round_ = make.round(status=RoundStatus.DRAFT)
    board = make.user(Role.BOARD_ADMIN)
    division = make.unit_tree("Bệnh viện X", "Phòng Kế toán")
    db.session.commit()
    login(client, board)
    url = f"/rounds/{round_.id}/positions/new"
    data = {"title": "Trưởng phòng Kế toán", "unit_id": str(division.id), "posts": "1"}
    assert client.post(url, data=data).status_code == 302
    again = client.post(url, data=data, follow_redirects=True)
    assert "Vị trí này đã có trong kỳ thi." in again.get_data(as_text=True)
    zero = client.post(
        url, data={**data, "title": "Phó phòng", "posts": "0"}, follow_redirects=True
    )
    assert "Từ 1 đến 50." in zero.get_data(as_text=True)

    advance_round(db.session.get(Round, round_.id), actor=board)
    db.session.commit()
    late = client.post(url, data={**data, "title": "Trưởng phòng mới"}, follow_redirects=True)
    assert "Chỉ thêm vị trí khi kỳ thi còn là bản nháp." in late.get_data(as_text=True)
    db.session.expire_all()
    assert [p.title for p in db.session.get(Round, round_.id).positions] == [
        "Trưởng phòng số 1",
        "Trưởng phòng Kế toán",
    ]


@pytest.mark.parametrize("current", list(RoundStatus))
@pytest.mark.parametrize("target", list(RoundStatus))
def test_every_state_moves_only_to_the_next(current, target):
    round_ = Round(status=current)
    allowed = ROUND_FLOW.index(target) == ROUND_FLOW.index(current) + 1
    if allowed:
        round_.move_to(target)
        assert round_.status == target
    else:
        with pytest.raises(DomainError):
            round_.move_to(target)
        assert round_.status == current


def test_advancing_is_audited_and_needs_a_position(client, make):
    board = make.user(Role.BOARD_ADMIN)
    empty = make.round(status=RoundStatus.DRAFT, positions=0, board=board)
    db.session.commit()
    login(client, board)
    refused = client.post(f"/rounds/{empty.id}/advance", follow_redirects=True)
    assert "Kỳ thi cần ít nhất một vị trí trước khi nhận hồ sơ." in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Round, empty.id).status == RoundStatus.DRAFT

    full = make.round(status=RoundStatus.DRAFT, board=board)
    db.session.commit()
    client.post(f"/rounds/{full.id}/advance")
    db.session.expire_all()
    assert db.session.get(Round, full.id).status == RoundStatus.REGISTRATION_OPEN
    entry = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.action == "round.advance")
        .order_by(AuditEntry.seq.desc())
    ).first()
    assert entry.before == {"status": "draft"}
    assert entry.after == {"status": "registration_open"}
    assert entry.actor_id == board.id


def test_a_closed_round_cannot_advance(make):
    round_ = make.stage(make.screened_round(2), RoundStatus.PUBLISHED)
    board = make.user(Role.BOARD_ADMIN)
    advance_round(round_, actor=board)
    assert round_.status == RoundStatus.CLOSED
    with pytest.raises(DomainError, match="Kỳ thi đã kết thúc"):
        advance_round(round_, actor=board)


def test_a_second_click_on_advance_moves_the_round_no_further(client, make):
    """The button names the stage the page showed as next: pressed twice (or by two members
    at once: the round's row is locked), the second press is refused in words instead of
    taking the round one stage further, past a stage nobody meant to leave."""
    board = make.user(Role.BOARD_ADMIN)
    round_ = make.round(status=RoundStatus.DRAFT, board=board)
    db.session.commit()
    login(client, board)
    page = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert 'name="to" value="registration_open"' in page
    for _ in range(2):
        answer = client.post(
            f"/rounds/{round_.id}/advance", data={"to": "registration_open"}, follow_redirects=True
        )
    assert "trang vừa dùng đã cũ, không chuyển thêm" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Round, round_.id).status == RoundStatus.REGISTRATION_OPEN
    moves = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.action == "round.advance", AuditEntry.object_id == str(round_.id)
        )
    ).all()
    assert len(moves) == 1
    assert client.post(f"/rounds/{round_.id}/advance", data={"to": "nowhere"}).status_code == 400
    db.session.expire_all()
    assert db.session.get(Round, round_.id).status == RoundStatus.REGISTRATION_OPEN
