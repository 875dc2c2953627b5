"""Panels as bodies of the round (issue 15 item 2): one panel for several positions, a
member replaced with a reason until scoring starts (audited), the secretary's seat."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from exam import create_app
from exam.accounts.models import Role
from exam.audit.models import AuditEntry
from exam.core.errors import DomainError, ValidationFailed
from exam.extensions import db
from exam.panels.models import PanelRole
from exam.panels.operations import add_position, record_panel_score, replace_member
from exam.panels.queries import interview_list, panel_of_position
from exam.rounds.models import RoundStatus
from tests.conftest import login
from tests.factories import T0
from tests.helpers import config_for_tests, fresh_database_url
from tests.panels.helpers import declare_no_relation


def test_one_panel_serves_two_positions_and_scores_both_lists(make):
    round_ = make.round(positions=2)
    first, second = round_.positions
    panel = make.panel(first, members=2)
    board = make.user(Role.BOARD_ADMIN)
    add_position(panel, second, actor=board)
    a, b = make.application(first), make.application(second)
    assert panel_of_position(second.id) is panel
    assert set(interview_list(panel)) == {a, b}
    make.stage(round_, RoundStatus.INTERVIEWS)
    declare_no_relation(panel, T0)
    member = panel.members[1]
    record_panel_score(member, b, "80", actor=member.user, at=T0)
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "panel.add_position")
    ).one()
    assert entry.after == {"position_id": second.id}


def test_a_position_of_another_round_or_with_a_panel_is_refused(make):
    round_ = make.round(positions=2)
    first, second = round_.positions
    panel = make.panel(first, members=2)
    make.panel(second, members=2)
    board = make.user(Role.BOARD_ADMIN)
    with pytest.raises(ValidationFailed, match="đã có ban phỏng vấn"):
        add_position(panel, second, actor=board)
    with pytest.raises(ValidationFailed, match="kỳ thi khác"):
        add_position(panel, make.round().positions[0], actor=board)


def test_a_member_is_replaced_with_a_reason_until_scoring_starts(make):
    round_ = make.round()
    position = round_.positions[0]
    panel = make.panel(position, members=3)
    application = make.application(position)
    board = make.user(Role.BOARD_ADMIN)
    newcomer = make.user(Role.PANEL_MEMBER)  # seated on the round's interview board
    sick = panel.members[2]
    with pytest.raises(ValidationFailed, match="lý do"):
        replace_member(sick, newcomer, " ", actor=board)
    with pytest.raises(ValidationFailed, match="Chỉ thành viên Ban phỏng vấn"):
        replace_member(sick, make.user(Role.BOARD_ADMIN, seated=False), "Ốm", actor=board)
    with pytest.raises(ValidationFailed, match="đã có trong ban"):
        replace_member(sick, panel.members[1].user, "Ốm", actor=board)
    replace_member(sick, newcomer, "Ốm, nằm viện", actor=board)
    assert sick.user_id == newcomer.id
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "panel.replace_member")
    ).one()
    assert entry.after == {"user_id": newcomer.id, "reason": "Ốm, nằm viện"}
    make.stage(round_, RoundStatus.INTERVIEWS)
    declare_no_relation(panel, T0)
    member = panel.members[1]
    record_panel_score(member, application, "80", actor=member.user, at=T0)
    with pytest.raises(DomainError, match="đã bắt đầu chấm"):
        replace_member(panel.members[0], make.user(Role.PANEL_MEMBER), "Bận", actor=board)


def test_the_panel_page_replaces_a_member_and_adds_a_position(app, make):
    round_ = make.round(positions=2)
    first, second = round_.positions
    panel = make.panel(first, members=2)
    board = make.user(Role.BOARD_ADMIN)
    newcomer = make.user(Role.PANEL_MEMBER, name="Người Thay Thế")
    db.session.commit()
    client = login(app.test_client(), board)
    page = client.get(f"/panels/{panel.id}").get_data(as_text=True)
    assert second.label in page
    seat = panel.members[1]
    client.post(
        f"/panels/{panel.id}/members/{seat.id}/replace",
        data={"user_id": newcomer.id, "reason": "Đi công tác"},
    )
    client.post(f"/panels/{panel.id}/positions", data={"position_id": second.id})
    db.session.expire_all()
    assert seat.user_id == newcomer.id
    assert panel_of_position(second.id).id == panel.id
    member = login(app.test_client(), panel.members[0].user)
    response = member.post(
        f"/panels/{panel.id}/members/{seat.id}/replace",
        data={"user_id": panel.members[0].user_id, "reason": "x"},
    )
    assert response.status_code == 403


def test_the_panel_form_seats_a_secretary(app, make):
    position = make.round().positions[0]
    board = make.user(Role.BOARD_ADMIN)
    chair, secretary, member = (make.user(Role.PANEL_MEMBER) for _ in range(3))
    db.session.commit()
    login(app.test_client(), board).post(
        f"/rounds/{position.round_id}/panels/new",
        data={
            "position_id": position.id,
            "name": "Ban có thư ký",
            "chair_id": chair.id,
            "secretary_id": secretary.id,
            "member_ids": [member.id, secretary.id],
        },
    )
    panel = panel_of_position(position.id)
    assert {(m.user_id, m.role) for m in panel.members} == {
        (chair.id, PanelRole.CHAIR),
        (secretary.id, PanelRole.SECRETARY),
        (member.id, PanelRole.MEMBER),
    }


def test_the_migration_keeps_each_existing_panel_on_its_position(tmp_path):
    """Panels set up before one panel could serve several positions keep theirs."""
    app = create_app(config_for_tests(SQLALCHEMY_DATABASE_URI=fresh_database_url(tmp_path, "pp")))
    at = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    rows = [
        "INSERT INTO users (id, email, full_name, active, created_at, updated_at,"
        " session_token) VALUES (1, 'a@b.vn', 'A', TRUE, :at, :at, 'x')",
        "INSERT INTO rounds (id, name, organisation, parent_body, status, registration_opens_at,"
        " registration_closes_at, min_candidates_per_position, test_pass_mark,"
        " winner_min_score, panel_spread_limit, created_by_id, created_at, updated_at)"
        " VALUES (1, 'R', 'O', 'P', 'interviews', :at, :later, 2, 50, 50, 10, 1, :at, :at)",
        "INSERT INTO positions (id, round_id, title, unit_name, posts, standards, criteria,"
        " stop_reason, created_at, updated_at)"
        " VALUES (:id, 1, :title, 'U', 1, '', '[]', '', :at, :at)",
        "INSERT INTO panels (id, position_id, name, created_at, updated_at)"
        " VALUES (:id, :position, 'Ban', :at, :at)",
    ]
    with app.app_context():
        upgrade(revision="d8f2a6c4e915")
        with db.engine.begin() as connection:
            values = {"at": at, "later": at + dt.timedelta(days=1)}
            connection.execute(sa.text(rows[0]), values)
            connection.execute(sa.text(rows[1]), values)
            for position in (1, 2):
                connection.execute(
                    sa.text(rows[2]), {**values, "id": position, "title": f"T{position}"}
                )
            connection.execute(sa.text(rows[3]), {**values, "id": 7, "position": 2})
            connection.execute(sa.text(rows[3]), {**values, "id": 8, "position": 1})
        upgrade(revision="b5d1f7e3a926")
        with db.engine.connect() as connection:
            served = connection.execute(
                sa.text("SELECT panel_id, position_id FROM panel_positions ORDER BY panel_id")
            ).all()
        assert [tuple(row) for row in served] == [(7, 2), (8, 1)]
        downgrade(revision="d8f2a6c4e915")  # and back: the table goes, the panels stay
        with db.engine.connect() as connection:
            assert "panel_positions" not in db.inspect(connection).get_table_names()
            assert connection.scalar(sa.text("SELECT count(*) FROM panels")) == 2
        db.engine.dispose()
