"""The scoring pages (issue 15): the seal as a 404 for everyone until every member who
scores the candidate has sealed, the draft autosave, declarations, the guide's form, the
head's reopening and spread ruling."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from exam.accounts.models import Role
from exam.council.models import BodyKind, MemberFunction
from exam.extensions import db
from exam.panels.models import Declaration, InterviewGuide, Relation, ScoreSheet, SpreadRuling
from exam.panels.operations import DEFAULT_CRITERIA, set_guide
from exam.panels.queries import guide_of
from exam.rounds.models import RoundStatus
from tests.conftest import login
from tests.factories import T0
from tests.panels.helpers import declare_no_relation


@dataclass
class Page:
    panel_id: int
    round_id: int
    application_id: int
    member_ids: list[int]
    criterion_ids: list[int]


@pytest.fixture
def page(make) -> Page:
    round_ = make.round()
    position = round_.positions[0]
    panel = make.panel(position, members=3)
    application = make.application(position)
    rows = [(str(t), m, str(d)) for t, m, d in DEFAULT_CRITERIA]
    set_guide(round_, rows, actor=make.user(Role.BOARD_ADMIN))
    make.stage(round_, RoundStatus.INTERVIEWS)
    declare_no_relation(panel, T0)
    db.session.commit()
    return Page(
        panel.id,
        round_.id,
        application.id,
        [m.user_id for m in panel.members],
        [c.id for c in guide_of(round_).criteria],
    )


def _user(user_id: int):
    from exam.accounts.models import User

    return db.session.get(User, user_id)


def _score_url(page: Page) -> str:
    return f"/panels/{page.panel_id}/applications/{page.application_id}/score"


def _sheets_url(page: Page) -> str:
    return f"/panels/{page.panel_id}/applications/{page.application_id}/sheets"


def _form(page: Page, values: list[str]) -> dict[str, str]:
    data = {f"criterion_{cid}": v for cid, v in zip(page.criterion_ids, values, strict=True)}
    data["comment"] = ""
    return data


def _seal(app, page: Page, index: int, values: list[str]) -> None:
    client = login(app.test_client(), _user(page.member_ids[index]))
    response = client.post(_score_url(page), data=_form(page, values))
    assert response.status_code == 302, response.get_data(as_text=True)


def test_nobody_reads_the_sheets_until_every_member_has_sealed(app, make, page):
    round_id = page.round_id
    from exam.rounds.models import Round

    chair = make.user(Role.BOARD_ADMIN, seated=False)
    make.seat(chair, db.session.get(Round, round_id), BodyKind.COUNCIL, MemberFunction.CHAIR)
    db.session.commit()
    _seal(app, page, 0, ["15", "20", "15", "10", "10"])
    _seal(app, page, 1, ["16", "20", "15", "10", "10"])
    for user_id in [*page.member_ids, chair.id]:
        client = login(app.test_client(), _user(user_id))
        assert client.get(_sheets_url(page)).status_code == 404
    _seal(app, page, 2, ["17", "20", "15", "10", "10"])
    for user_id in [*page.member_ids, chair.id]:
        client = login(app.test_client(), _user(user_id))
        text = client.get(_sheets_url(page)).get_data(as_text=True)
        assert "71,00" in text or "71.00" in text


def test_a_recused_members_post_is_refused_and_the_sheet_needs_only_the_others(app, make):
    round_ = make.round()
    position = round_.positions[0]
    panel = make.panel(position, members=3)
    application = make.application(position)
    set_guide(
        round_,
        [(str(t), m, str(d)) for t, m, d in DEFAULT_CRITERIA],
        actor=make.user(Role.BOARD_ADMIN),
    )
    make.stage(round_, RoundStatus.INTERVIEWS)
    recused = panel.members[2]
    from exam.panels.operations import declare

    declare(recused, application, Relation.SPOUSE, actor=recused.user, at=T0)
    declare_no_relation(panel, T0)
    db.session.commit()
    page = Page(
        panel.id,
        round_.id,
        application.id,
        [m.user_id for m in panel.members],
        [c.id for c in guide_of(round_).criteria],
    )
    client = login(app.test_client(), recused.user)
    response = client.post(_score_url(page), data=_form(page, ["15", "20", "15", "10", "10"]))
    assert response.status_code == 303
    assert "có quan hệ với thí sinh này" in client.get(_score_url(page)).get_data(as_text=True)
    assert db.session.query(ScoreSheet).count() == 0
    _seal(app, page, 0, ["15", "20", "15", "10", "10"])
    _seal(app, page, 1, ["15", "20", "15", "10", "10"])
    assert login(app.test_client(), panel.members[0].user).get(_sheets_url(page)).status_code == 200


def test_the_draft_is_saved_as_json_and_refusals_come_back_in_words(app, page):
    client = login(app.test_client(), _user(page.member_ids[1]))
    url = f"/panels/{page.panel_id}/applications/{page.application_id}/draft"
    first = str(page.criterion_ids[0])
    response = client.post(url, json={"points": {first: "12,5"}, "comment": "Tốt"})
    assert response.status_code == 200
    assert response.get_json()["total"] == "12.50"
    sheet = db.session.query(ScoreSheet).one()
    assert sheet.submitted_at is None
    assert sheet.points == {first: "12.50"}
    response = client.post(url, json={"points": {first: "25"}})
    assert response.status_code == 422
    assert "tối đa là 20" in next(iter(response.get_json()["errors"].values()))
    assert client.post(url, data="not json").status_code == 400
    db.session.expire_all()
    assert sheet.points == {first: "12.50"}
    # the page shows the draft back
    assert 'value="12.50"' in client.get(_score_url(page)).get_data(as_text=True)


def test_a_member_of_another_panel_cannot_save_a_draft_here(app, make, page):
    outsider = make.panel(make.round().positions[0], members=2).members[0].user
    db.session.commit()
    client = login(app.test_client(), outsider)
    url = f"/panels/{page.panel_id}/applications/{page.application_id}/draft"
    assert client.post(url, json={"points": {}}).status_code == 404


def test_points_over_the_maximum_come_back_next_to_the_field(app, page):
    client = login(app.test_client(), _user(page.member_ids[1]))
    response = client.post(
        _score_url(page), data=_form(page, ["25", "20", "15", "10", "10"]), follow_redirects=True
    )
    assert "tối đa là 20" in response.get_data(as_text=True)
    assert db.session.query(ScoreSheet).count() == 0


def test_the_declarations_page_records_each_candidate(app, make):
    round_ = make.round()
    position = round_.positions[0]
    panel = make.panel(position, members=2)
    application = make.application(position)
    make.stage(round_, RoundStatus.INTERVIEWS)
    db.session.commit()
    client = login(app.test_client(), panel.members[1].user)
    url = f"/panels/{panel.id}/declarations"
    assert "Vợ hoặc chồng" in client.get(url).get_data(as_text=True)
    response = client.post(url, data={f"relation_{application.id}": "bogus"})
    assert response.status_code == 303
    assert db.session.query(Declaration).count() == 0
    client.post(url, data={f"relation_{application.id}": "aunt_or_uncle"})
    declaration = db.session.query(Declaration).one()
    assert declaration.relation == Relation.AUNT_OR_UNCLE


def test_the_guide_form_refuses_a_total_other_than_100(app, make):
    round_ = make.round()
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    client = login(app.test_client(), board)
    url = f"/rounds/{round_.id}/panels/guide"
    assert "Phân tích thực trạng" in client.get(url).get_data(as_text=True)  # prefilled
    data = {
        "criteria-0-title": "Giải pháp",
        "criteria-0-max_points": "60",
        "criteria-1-title": "Trình bày",
        "criteria-1-max_points": "30",
        "min_sheets": "2",
    }
    text = client.post(url, data=data, follow_redirects=True).get_data(as_text=True)
    assert "phải bằng 100" in text
    assert db.session.query(InterviewGuide).count() == 0
    data["criteria-1-max_points"] = "40"
    client.post(url, data=data)
    assert [c.max_points for c in guide_of(round_).criteria] == [60, 40]


def test_the_head_reopens_with_a_reason_and_rules_on_a_spread(app, page):
    _seal(app, page, 0, ["10", "20", "15", "10", "10"])  # 65
    _seal(app, page, 1, ["20", "30", "15", "10", "10"])  # 85
    _seal(app, page, 2, ["15", "25", "15", "10", "10"])  # 75
    head = login(app.test_client(), _user(page.member_ids[0]))
    member = login(app.test_client(), _user(page.member_ids[1]))
    text = head.get(_sheets_url(page)).get_data(as_text=True)
    assert "chênh lệch quá 10 điểm" in text
    spread_url = f"/panels/{page.panel_id}/applications/{page.application_id}/spread"
    assert member.post(spread_url, data={"decision": "confirm", "reason": "x"}).status_code == 403
    head.post(spread_url, data={"decision": "confirm", "reason": ""})
    assert db.session.query(SpreadRuling).count() == 0
    head.post(spread_url, data={"decision": "confirm", "reason": "Giữ nguyên sau trao đổi"})
    assert db.session.query(SpreadRuling).one().reason == "Giữ nguyên sau trao đổi"
    assert "75,00" in head.get(_sheets_url(page)).get_data(as_text=True)
    sheet = db.session.query(ScoreSheet).filter_by(score=85).one()
    reopen_url = f"/panels/{page.panel_id}/sheets/{sheet.id}/reopen"
    assert member.post(reopen_url, data={"reason": "x"}).status_code == 403
    head.post(reopen_url, data={"reason": ""})
    db.session.expire_all()
    assert sheet.submitted_at is not None
    head.post(reopen_url, data={"reason": "Nhầm tiêu chí 2"})
    db.session.expire_all()
    assert sheet.submitted_at is None
    assert head.get(_sheets_url(page)).status_code == 404  # sealed again first


def test_the_draft_autosave_needs_the_pages_csrf_token(app, page, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    client = login(app.test_client(), _user(page.member_ids[1]))
    html = client.get(_score_url(page)).get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)
    url = f"/panels/{page.panel_id}/applications/{page.application_id}/draft"
    body = {"points": {str(page.criterion_ids[0]): "10"}}
    assert client.post(url, json=body).status_code == 400
    assert db.session.query(ScoreSheet).count() == 0
    assert client.post(url, json=body, headers={"X-CSRFToken": token}).status_code == 200
    assert db.session.query(ScoreSheet).one().score == 10


def test_the_head_reopens_a_sheet_before_the_others_have_sealed_without_seeing_points(app, page):
    _seal(app, page, 1, ["15", "20", "15", "10", "13"])  # 73
    head = login(app.test_client(), _user(page.member_ids[0]))
    html = head.get(f"/panels/{page.panel_id}").get_data(as_text=True)
    assert "Đã niêm phong: 1 phiếu" in html
    assert "73,00" not in html  # names only, never the points
    member_page = login(app.test_client(), _user(page.member_ids[2]))
    assert "Đã niêm phong: 1 phiếu" not in member_page.get(f"/panels/{page.panel_id}").get_data(
        as_text=True
    )
    sheet = db.session.query(ScoreSheet).one()
    head.post(f"/panels/{page.panel_id}/sheets/{sheet.id}/reopen", data={"reason": "Gõ nhầm"})
    db.session.expire_all()
    assert sheet.submitted_at is None
