"""The organisation tree: reachable from every board page, searchable without marks,
units renamed, moved and retired (kept for the positions that name them)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from exam.accounts.models import Role
from exam.audit.models import AuditEntry
from exam.core.db import utcnow
from exam.core.errors import DomainError, ValidationFailed
from exam.extensions import db
from exam.rounds.models import Position, RoundStatus, Unit, UnitLevel
from exam.rounds.operations import (
    add_position,
    create_unit,
    edit_unit,
    restore_unit,
    retire_unit,
)
from tests.conftest import login


@pytest.fixture
def tree(make):
    """Hà Nội › Sở Y tế › Bệnh viện Đống Đa › Phòng Điều dưỡng, and Sở Giáo dục beside."""
    division = make.unit_tree("Bệnh viện Đống Đa", "Phòng Điều dưỡng")
    hospital = division.parent
    health = hospital.parent
    education = create_unit(
        "Sở Giáo dục và Đào tạo", UnitLevel.DEPARTMENT, health.parent, actor=make.user()
    )
    db.session.flush()
    return {"division": division, "hospital": hospital, "health": health, "edu": education}


def test_every_board_page_links_to_the_tree(app, make):
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    page = login(app.test_client(), board).get("/rounds/").get_data(as_text=True)
    assert 'href="/rounds/units/"' in page


def test_a_candidate_has_no_link_to_the_tree_and_gets_403(app, make):
    candidate = make.user(Role.CANDIDATE)
    db.session.commit()
    client = login(app.test_client(), candidate)
    assert 'href="/rounds/units/"' not in client.get("/").get_data(as_text=True)
    assert client.get("/rounds/units/").status_code == 403


@pytest.mark.parametrize("query", ["dong da", "ĐỐNG ĐA", "  Đống   Đa "])
def test_search_finds_a_unit_without_marks_and_keeps_its_ancestors(app, make, tree, query):
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    page = (
        login(app.test_client(), board)
        .get("/rounds/units/", query_string={"q": query})
        .get_data(as_text=True)
    )
    for shown in ("Thành phố Hà Nội", "Sở Y tế", "Bệnh viện Đống Đa"):
        assert shown in page
    assert "Sở Giáo dục và Đào tạo" not in page
    assert "Phòng Điều dưỡng" not in page


def test_a_search_that_finds_nothing_says_so(app, make, tree):
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    page = (
        login(app.test_client(), board)
        .get("/rounds/units/", query_string={"q": "không có"})
        .get_data(as_text=True)
    )
    assert "Không có đơn vị nào khớp với «không có»." in page


def test_rename_keeps_announced_positions_as_they_were(make, tree):
    board = make.user(Role.BOARD_ADMIN)
    round_ = make.round(status=RoundStatus.DRAFT, board=board)
    position = add_position(
        round_, title="Trưởng phòng Điều dưỡng", posts=1, unit=tree["division"], actor=board
    )
    edit_unit(
        tree["hospital"], name="Bệnh viện Đa khoa Đống Đa", parent=tree["health"], actor=board
    )
    db.session.flush()
    assert tree["hospital"].name == "Bệnh viện Đa khoa Đống Đa"
    assert position.unit_name == "Bệnh viện Đống Đa"
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "unit.update")
    ).one()
    assert entry.before["name"] == "Bệnh viện Đống Đa"
    assert entry.after["name"] == "Bệnh viện Đa khoa Đống Đa"


def test_move_under_another_department(make, tree):
    edit_unit(tree["hospital"], name="Bệnh viện Đống Đa", parent=tree["edu"], actor=make.user())
    db.session.flush()
    assert tree["division"].path_label == (
        "Thành phố Hà Nội › Sở Giáo dục và Đào tạo › Bệnh viện Đống Đa › Phòng Điều dưỡng"
    )


def test_move_must_keep_the_levels(make, tree):
    with pytest.raises(ValidationFailed) as refused:
        edit_unit(tree["division"], name="Phòng Điều dưỡng", parent=tree["edu"], actor=make.user())
    assert refused.value.reasons == [
        (
            "parent_id",
            "Đơn vị cấp «Phòng, khoa hoặc tương đương» phải thuộc một đơn vị cấp "
            "«Đơn vị sự nghiệp công lập».",
        )
    ]


def test_rename_refuses_a_sibling_name_and_an_empty_name(make, tree):
    other = create_unit("Phòng Khám bệnh", UnitLevel.DIVISION, tree["hospital"], actor=make.user())
    with pytest.raises(ValidationFailed, match="Đã có đơn vị cùng tên ở cấp này"):
        edit_unit(other, name=" Phòng  Điều dưỡng ", parent=tree["hospital"], actor=make.user())
    with pytest.raises(ValidationFailed, match="Vui lòng điền mục này"):
        edit_unit(other, name="   ", parent=tree["hospital"], actor=make.user())
    db.session.flush()
    assert other.name == "Phòng Khám bệnh"


def test_retire_needs_the_sub_units_retired_first(make, tree):
    board = make.user()
    with pytest.raises(DomainError, match="Còn đơn vị trực thuộc đang sử dụng: Phòng Điều dưỡng"):
        retire_unit(tree["hospital"], actor=board, at=utcnow())
    retire_unit(tree["division"], actor=board, at=utcnow())
    retire_unit(tree["hospital"], actor=board, at=utcnow())
    assert tree["hospital"].retired


def test_nothing_new_goes_under_a_retired_unit(make, tree):
    board = make.user(Role.BOARD_ADMIN)
    retire_unit(tree["division"], actor=board, at=utcnow())
    round_ = make.round(status=RoundStatus.DRAFT, board=board)
    with pytest.raises(ValidationFailed) as refused:
        add_position(round_, title="Trưởng phòng", posts=1, unit=tree["division"], actor=board)
    assert refused.value.reasons == [("unit_id", "Đơn vị này đã ngừng sử dụng.")]
    retire_unit(tree["hospital"], actor=board, at=utcnow())
    with pytest.raises(ValidationFailed, match="Đơn vị cấp trên đã ngừng sử dụng"):
        create_unit("Phòng mới", UnitLevel.DIVISION, tree["hospital"], actor=board)
    with pytest.raises(DomainError, match="khôi phục đơn vị đó trước"):
        restore_unit(tree["division"], actor=board)
    restore_unit(tree["hospital"], actor=board)
    restore_unit(tree["division"], actor=board)
    assert not tree["division"].retired


def test_a_position_may_stay_in_its_unit_after_the_unit_is_retired(app, make, tree):
    board = make.user(Role.BOARD_ADMIN)
    round_ = make.round(status=RoundStatus.DRAFT, board=board)
    position = add_position(
        round_, title="Trưởng phòng", posts=1, unit=tree["division"], actor=board
    )
    retire_unit(tree["division"], actor=board, at=utcnow())
    db.session.commit()
    client = login(app.test_client(), board)
    form = client.get(f"/rounds/positions/{position.id}/edit").get_data(as_text=True)
    assert "Phòng Điều dưỡng" in form
    new_form = client.get(f"/rounds/{round_.id}/positions/new").get_data(as_text=True)
    assert "Phòng Điều dưỡng" not in new_form


def test_the_edit_page_renames_retires_and_restores(app, make, tree):
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    client = login(app.test_client(), board)
    unit_id = tree["division"].id
    assert "Sửa đơn vị" in client.get(f"/rounds/units/{unit_id}/edit").get_data(as_text=True)
    response = client.post(
        f"/rounds/units/{unit_id}/edit",
        data={"name": "Phòng Điều dưỡng – Kiểm soát nhiễm khuẩn", "parent_id": tree["hospital"].id},
    )
    assert response.status_code == 302
    assert client.post(f"/rounds/units/{unit_id}/retire").status_code == 302
    db.session.expire_all()
    unit = db.session.get(Unit, unit_id)
    assert (unit.name, unit.retired) == ("Phòng Điều dưỡng – Kiểm soát nhiễm khuẩn", True)
    page = client.get("/rounds/units/").get_data(as_text=True)
    assert "Đã ngừng sử dụng" in page
    client.post(f"/rounds/units/{unit_id}/restore")
    db.session.expire_all()
    assert not db.session.get(Unit, unit_id).retired


def test_a_refused_edit_shows_why_and_changes_nothing(app, make, tree):
    board = make.user(Role.BOARD_ADMIN)
    create_unit("Phòng Khám bệnh", UnitLevel.DIVISION, tree["hospital"], actor=board)
    db.session.commit()
    response = login(app.test_client(), board).post(
        f"/rounds/units/{tree['division'].id}/edit",
        data={"name": "Phòng Khám bệnh", "parent_id": tree["hospital"].id},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Đã có đơn vị cùng tên ở cấp này." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Unit, tree["division"].id).name == "Phòng Điều dưỡng"


@pytest.mark.parametrize("role", [Role.CANDIDATE, Role.PANEL_MEMBER, Role.SUPERVISOR])
def test_only_the_board_edits_the_tree(app, make, tree, role):
    user = make.user(role)
    db.session.commit()
    client = login(app.test_client(), user)
    unit_id = tree["division"].id
    assert client.get(f"/rounds/units/{unit_id}/edit").status_code == 403
    assert client.post(f"/rounds/units/{unit_id}/retire").status_code == 403
    db.session.expire_all()
    assert not db.session.get(Unit, unit_id).retired
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Position)) == 0
