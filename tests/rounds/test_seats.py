"""A person's powers in a round come from their seats on its bodies (issue 13 item 2): the
boards' work takes only their members, refused in words; a staff role alone gives nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from exam.accounts.models import Role
from exam.core.errors import ValidationFailed
from exam.council.models import BodyKind
from exam.exams.definition import add_room, assign_invigilator
from exam.exams.models import Room
from exam.extensions import db
from exam.rounds.permissions import can_manage_round, oversees, sits_in
from tests.conftest import login
from tests.factories import T0

START = T0 + dt.timedelta(days=30)


def _refusal(person) -> list[tuple[str, str]]:
    return [
        (
            "invigilator_id",
            f"{person.full_name} không phải thành viên Ban coi thi của kỳ thi này: chỉ phân "
            "công thành viên Ban coi thi vào phòng thi.",
        )
    ]


def test_a_room_takes_only_members_of_its_rounds_invigilation_board(make):
    round_, elsewhere = make.round(), make.round()
    test = make.test(round_, starts_at=START, papers=False)
    outsider = make.user(Role.INVIGILATOR, seated=False)  # the role alone
    make.seat(outsider, elsewhere, BodyKind.INVIGILATION)  # and another round's board
    with pytest.raises(ValidationFailed) as refused:
        add_room(test.sessions[0], name="Phòng 1", capacity=5, invigilators=[outsider], actor=None)
    assert refused.value.reasons == _refusal(outsider)
    db.session.flush()
    assert db.session.scalars(sa.select(Room)).all() == []

    room = add_room(test.sessions[0], name="Phòng 1", capacity=5, actor=None)
    with pytest.raises(ValidationFailed) as refused:
        assign_invigilator(room, outsider, actor=None)
    assert refused.value.reasons == _refusal(outsider)
    assert room.invigilators == []

    make.seat(outsider, round_, BodyKind.INVIGILATION)
    assign_invigilator(room, outsider, actor=None)
    assert room.invigilators == [outsider]


def test_the_room_form_refuses_a_non_member_in_words(app, make):
    """The form offers the board's members; a forged id is refused by the operation, in
    words, not by a bare "not a valid choice"."""
    round_ = make.round()
    council = make.user(Role.BOARD_ADMIN)  # seated on the round's Council by the factory
    test = make.test(round_, starts_at=START, papers=False)
    make.user(Role.INVIGILATOR, name="Lý Thị Coi Thi")  # seated on its Ban coi thi
    outsider = make.user(Role.INVIGILATOR, name="Người Ngoài Ban", seated=False)
    db.session.commit()
    client = login(app.test_client(), council)
    page = client.get(f"/tests/{test.id}").get_data(as_text=True)
    assert "Lý Thị Coi Thi" in page
    assert "Người Ngoài Ban" not in page
    response = client.post(
        f"/sessions/{test.sessions[0].id}/rooms",
        data={"room-name": "Phòng 9", "room-capacity": 5, "room-invigilator_id": outsider.id},
        follow_redirects=True,
    )
    assert "Người Ngoài Ban không phải thành viên Ban coi thi của kỳ thi này" in response.get_data(
        as_text=True
    )
    db.session.expire_all()
    assert db.session.scalars(sa.select(Room).where(Room.name == "Phòng 9")).all() == []


def test_a_platform_administrator_without_a_seat_runs_no_round(app, make):
    round_ = make.round()
    admin = make.user(Role.BOARD_ADMIN, seated=False)
    seated = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    assert not can_manage_round(admin, round_)
    assert can_manage_round(seated, round_)
    client = login(app.test_client(), admin)
    assert client.get("/rounds/new").status_code == 200  # it creates rounds
    assert client.get(f"/rounds/{round_.id}/applications").status_code == 404
    assert client.post(f"/rounds/{round_.id}/advance").status_code == 404
    assert client.get(f"/rounds/positions/{round_.positions[0].id}/edit").status_code == 404


def test_the_supervisory_board_reads_its_round_and_changes_nothing(app, make):
    round_ = make.round()
    supervisor = make.user(Role.SUPERVISOR)  # seated on the round's supervisory board
    db.session.commit()
    assert oversees(supervisor, round_)
    assert sits_in(supervisor, round_, "supervisory")
    assert not can_manage_round(supervisor, round_)
    client = login(app.test_client(), supervisor)
    assert client.get(f"/rounds/{round_.id}/applications").status_code == 200
    assert client.post(f"/rounds/{round_.id}/advance").status_code == 403
