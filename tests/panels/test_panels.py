"""Interview panels: who may sit on one, and each member's single, signed score sheet."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
import sqlalchemy as sa

from exam.accounts.models import Role, User
from exam.core.errors import DomainError, ValidationFailed
from exam.council.models import BodyKind
from exam.extensions import db
from exam.panels.models import Panel, PanelRole, ScoreSheet
from exam.panels.operations import create_panel, record_panel_score
from exam.rounds.models import RoundStatus
from tests.conftest import login
from tests.factories import T0
from tests.panels.helpers import declare_no_relation

# --- create_panel --------------------------------------------------------------------------


def _members(make, n: int) -> list[tuple[User, PanelRole]]:
    people = [make.user(Role.PANEL_MEMBER) for _ in range(n)]
    return [(p, PanelRole.CHAIR if i == 0 else PanelRole.MEMBER) for i, p in enumerate(people)]


def _panels_of(position) -> list[Panel]:
    return list(db.session.scalars(sa.select(Panel).where(Panel.position_id == position.id)))


def test_create_panel_with_two_members(make):
    position = make.round().positions[0]
    seats = _members(make, 2)
    panel = create_panel(
        position, "  Ban phỏng vấn số 1 ", seats, actor=make.user(Role.BOARD_ADMIN)
    )
    db.session.flush()
    assert panel.name == "Ban phỏng vấn số 1"
    assert [(m.user_id, m.role) for m in panel.members] == [(u.id, r) for u, r in seats]
    assert _panels_of(position) == [panel]


def test_a_second_panel_for_a_position_is_refused_in_words(app, make):
    position = make.round().positions[0]
    board = make.user(Role.BOARD_ADMIN)
    first = create_panel(position, "Ban 1", _members(make, 2), actor=board)
    db.session.flush()
    with pytest.raises(ValidationFailed) as refused:
        create_panel(position, "Ban 2", _members(make, 2), actor=board)
    assert refused.value.reasons == [
        ("position_id", "Vị trí này đã có ban phỏng vấn; mỗi vị trí có một ban.")
    ]
    assert _panels_of(position) == [first]


def test_the_form_says_why_a_second_panel_is_refused(app, make):
    position = make.round().positions[0]
    board = make.user(Role.BOARD_ADMIN)
    seats = _members(make, 3)
    create_panel(position, "Ban 1", seats[:2], actor=board)
    db.session.commit()
    response = login(app.test_client(), board).post(
        f"/rounds/{position.round_id}/panels/new",
        data={
            "position_id": position.id,
            "name": "Ban 2",
            "chair_id": seats[2][0].id,
            "member_ids": [seats[0][0].id],
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Vị trí này đã có ban phỏng vấn" in response.get_data(as_text=True)
    assert len(_panels_of(position)) == 1


@pytest.mark.parametrize("n", [0, 1])
def test_create_panel_needs_at_least_two_members(make, n):
    position = make.round().positions[0]
    with pytest.raises(ValidationFailed) as refused:
        create_panel(position, "Ban", _members(make, n), actor=make.user(Role.BOARD_ADMIN))
    assert refused.value.reasons == [("members", "Ban phỏng vấn cần ít nhất 2 thành viên.")]
    db.session.flush()
    assert _panels_of(position) == []


def test_create_panel_refuses_a_member_of_another_rounds_interview_board(make):
    """The panel member role, and a seat on another round's interview board, give nothing."""
    position = make.round().positions[0]
    elsewhere = make.user(Role.PANEL_MEMBER, seated=False)
    make.seat(elsewhere, make.round(), BodyKind.INTERVIEW)
    seats = [*_members(make, 2), (elsewhere, PanelRole.MEMBER)]
    with pytest.raises(ValidationFailed) as refused:
        create_panel(position, "Ban", seats, actor=make.user(Role.BOARD_ADMIN))
    assert "không phải thành viên Ban phỏng vấn" in refused.value.reasons[0][1]
    make.seat(elsewhere, position.round, BodyKind.INTERVIEW)
    assert create_panel(position, "Ban", seats, actor=make.user(Role.BOARD_ADMIN))


def test_create_panel_refuses_the_same_person_twice(make):
    position = make.round().positions[0]
    chair, member = make.user(Role.PANEL_MEMBER), make.user(Role.PANEL_MEMBER)
    seats = [(chair, PanelRole.CHAIR), (member, PanelRole.MEMBER), (chair, PanelRole.SECRETARY)]
    with pytest.raises(ValidationFailed) as refused:
        create_panel(position, "Ban", seats, actor=make.user(Role.BOARD_ADMIN))
    assert refused.value.reasons == [("members", "Một người chỉ được có một vị trí trong ban.")]
    db.session.flush()
    assert _panels_of(position) == []


@pytest.mark.parametrize("role", [Role.CANDIDATE, Role.BOARD_ADMIN, Role.SUPERVISOR])
def test_create_panel_refuses_people_outside_the_rounds_interview_board(make, role):
    position = make.round().positions[0]
    outsider = make.user(role)
    seats = [*_members(make, 2), (outsider, PanelRole.MEMBER)]
    with pytest.raises(ValidationFailed) as refused:
        create_panel(position, "Ban", seats, actor=make.user(Role.BOARD_ADMIN))
    assert refused.value.reasons == [
        (
            "members",
            f"{outsider.full_name} không phải thành viên Ban phỏng vấn của kỳ thi này: chỉ "
            "thành viên Ban phỏng vấn mới được cử vào ban chấm.",
        )
    ]
    db.session.flush()
    assert _panels_of(position) == []


# --- score sheets --------------------------------------------------------------------------


@dataclass
class Scoring:
    panel_id: int
    member: User
    second_member: User
    application_id: int
    other_application_id: int


@pytest.fixture
def scoring(make) -> Scoring:
    round_ = make.round(positions=2)
    position = round_.positions[0]
    panel = make.panel(position, members=3)
    first = make.application(position)
    second = make.application(position)
    make.stage(round_, RoundStatus.INTERVIEWS)  # panels score during the interviews
    declare_no_relation(panel, T0)
    db.session.commit()
    return Scoring(panel.id, panel.members[1].user, panel.members[2].user, first.id, second.id)


def _url(panel_id: int, application_id: int) -> str:
    return f"/panels/{panel_id}/applications/{application_id}/score"


def _sheets(application_id: int | None = None) -> list[ScoreSheet]:
    db.session.expire_all()
    query = sa.select(ScoreSheet).order_by(ScoreSheet.id)
    if application_id is not None:
        query = query.where(ScoreSheet.application_id == application_id)
    return list(db.session.scalars(query))


def test_a_member_scores_a_candidate(app, scoring):
    client = login(app.test_client(), scoring.member)
    response = client.post(
        _url(scoring.panel_id, scoring.application_id),
        data={"score": "85,5", "comment": " Đề án khả thi. "},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/panels/{scoring.panel_id}")
    [sheet] = _sheets()
    assert sheet.application_id == scoring.application_id
    assert sheet.member.user_id == scoring.member.id
    assert sheet.score == Decimal("85.5")
    assert sheet.comment == "Đề án khả thi."
    assert sheet.submitted_at is not None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("85,5", "85.50"), ("85.25", "85.25"), ("0", "0.00"), ("100", "100.00"), (" 70,05 ", "70.05")],
)
def test_scores_with_a_decimal_comma_or_point_are_accepted(app, scoring, raw, expected):
    client = login(app.test_client(), scoring.member)
    response = client.post(_url(scoring.panel_id, scoring.application_id), data={"score": raw})
    assert response.status_code == 302
    [sheet] = _sheets()
    assert sheet.score == Decimal(expected)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("100.5", "Điểm phải từ 0 đến 100."),
        ("100,01", "Điểm phải từ 0 đến 100."),
        ("-1", "Điểm phải từ 0 đến 100."),
        ("NaN", "Điểm phải là một số."),
        ("1e2", "Điểm phải là một số."),
        ("abc", "Điểm phải là một số."),
        ("8,5,5", "Điểm phải là một số."),
        ("85.255", "Điểm có tối đa 2 chữ số thập phân."),
        ("85,001", "Điểm có tối đa 2 chữ số thập phân."),
        ("", "Vui lòng điền mục này."),
    ],
)
def test_bad_scores_are_refused_next_to_the_field(app, scoring, raw, message):
    client = login(app.test_client(), scoring.member)
    response = client.post(
        _url(scoring.panel_id, scoring.application_id), data={"score": raw}, follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<div id="score-error" class="field-error">{message}</div>' in html
    assert 'class="error-summary"' in html
    assert _sheets() == []


def test_a_second_sheet_for_the_same_candidate_is_refused(app, scoring):
    client = login(app.test_client(), scoring.member)
    url = _url(scoring.panel_id, scoring.application_id)
    assert client.post(url, data={"score": "80"}).status_code == 302
    response = client.post(url, data={"score": "95"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Bạn đã chấm thí sinh này; phiếu chấm không sửa được." in html
    [sheet] = _sheets()
    assert sheet.score == Decimal(80)


def test_each_member_and_each_candidate_has_its_own_sheet(app, scoring):
    member = login(app.test_client(), scoring.member)
    colleague = login(app.test_client(), scoring.second_member)
    assert (
        member.post(
            _url(scoring.panel_id, scoring.application_id), data={"score": "80"}
        ).status_code
        == 302
    )
    assert (
        member.post(
            _url(scoring.panel_id, scoring.other_application_id), data={"score": "70"}
        ).status_code
        == 302
    )
    assert (
        colleague.post(
            _url(scoring.panel_id, scoring.application_id), data={"score": "90"}
        ).status_code
        == 302
    )
    scores = {(s.member.user_id, s.application_id): s.score for s in _sheets()}
    assert scores == {
        (scoring.member.id, scoring.application_id): Decimal(80),
        (scoring.member.id, scoring.other_application_id): Decimal(70),
        (scoring.second_member.id, scoring.application_id): Decimal(90),
    }


def test_a_member_of_another_panel_gets_404(app, make, scoring):
    other_position = db.session.get(Panel, scoring.panel_id).position.round.positions[1]
    other_panel = make.panel(other_position, members=2)
    outsider = other_panel.members[1].user
    db.session.commit()
    client = login(app.test_client(), outsider)
    url = _url(scoring.panel_id, scoring.application_id)
    assert client.get(url).status_code == 404
    assert client.post(url, data={"score": "90"}).status_code == 404
    assert _sheets() == []


@pytest.mark.parametrize("kind", ["not_eligible", "submitted", "other_position", "missing"])
def test_a_candidate_who_cannot_be_scored_by_this_panel_is_404(app, make, scoring, kind):
    round_ = db.session.get(Panel, scoring.panel_id).position.round
    if kind == "not_eligible":
        application_id = make.application(round_.positions[0], eligible=False).id
    elif kind == "submitted":
        application_id = make.application(round_.positions[0], eligible=None).id
    elif kind == "other_position":
        application_id = make.application(round_.positions[1]).id
    else:
        application_id = 999999
    db.session.commit()
    client = login(app.test_client(), scoring.member)
    url = _url(scoring.panel_id, application_id)
    assert client.get(url).status_code == 404
    assert client.post(url, data={"score": "90"}).status_code == 404
    assert _sheets() == []


def test_the_panel_page_shows_only_the_members_own_sheets(app, scoring):
    member = login(app.test_client(), scoring.member)
    colleague = login(app.test_client(), scoring.second_member)
    member.post(_url(scoring.panel_id, scoring.application_id), data={"score": "77,5"})
    mine = member.get(f"/panels/{scoring.panel_id}").get_data(as_text=True)
    theirs = colleague.get(f"/panels/{scoring.panel_id}").get_data(as_text=True)
    assert "Đã chấm: 77,50" in mine
    assert _url(scoring.panel_id, scoring.application_id) not in mine
    assert "77,50" not in theirs  # sheets are secret (phiếu kín)
    assert _url(scoring.panel_id, scoring.application_id) in theirs


def test_reopening_a_sealed_sheet_shows_what_was_sealed(app, scoring):
    client = login(app.test_client(), scoring.member)
    url = _url(scoring.panel_id, scoring.application_id)
    client.post(url, data={"score": "87,5", "comment": "Trình bày rõ ràng."})
    page = client.get(url).get_data(as_text=True)
    assert "phiếu đã niêm phong và không sửa được" in page
    assert "87,50" in page
    assert "Trình bày rõ ràng." in page
    assert 'name="score"' not in page


def test_the_panel_is_offered_only_candidates_past_the_test_gate(app, make):
    from exam.exams.papers import attempt_for
    from exam.exams.sitting import start_attempt
    from tests.results.test_ranking import QUESTIONS, _sit

    round_ = make.round()
    position = round_.positions[0]
    people = {
        name: make.application(position, make.user(Role.CANDIDATE, name=name))
        for name in ("Lý Văn Đạt", "Lý Thị Trượt", "Lý Văn Đang Thi", "Lý Thị Vắng")
    }
    test = make.test(round_, question_count=QUESTIONS)
    panel = make.panel(position, members=2)
    _sit(test, people["Lý Văn Đạt"], 3)  # 75 %
    _sit(test, people["Lý Thị Trượt"], 1)  # 25 %: below the 50 % gate
    sitting = attempt_for(test, people["Lý Văn Đang Thi"])
    start_attempt(
        sitting,
        session_code=test.session_code,
        at=test.starts_at,
    )
    make.stage(round_, RoundStatus.INTERVIEWS)  # the gate itself, whatever the papers
    db.session.commit()
    member = panel.members[0].user
    client = login(app.test_client(), member)
    page = client.get(f"/panels/{panel.id}").get_data(as_text=True)
    assert "Lý Văn Đạt" in page
    for name in ("Lý Thị Trượt", "Lý Văn Đang Thi", "Lý Thị Vắng"):
        assert name not in page
        response = client.post(_url(panel.id, people[name].id), data={"score": "90"})
        assert response.status_code == 404
    assert _sheets() == []
    with pytest.raises(DomainError, match="chưa qua vòng thi trắc nghiệm"):
        record_panel_score(
            panel.members[0], people["Lý Thị Trượt"], "90", actor=member, at=test.starts_at
        )


def test_panel_members_are_chosen_with_checkboxes(app, make):
    round_ = make.round()
    board = make.user(Role.BOARD_ADMIN)
    people = [make.user(Role.PANEL_MEMBER, name=n) for n in ("Võ Văn Một", "Võ Thị Hai")]
    db.session.commit()
    page = (
        login(app.test_client(), board)
        .get(f"/rounds/{round_.id}/panels/new")
        .get_data(as_text=True)
    )
    for person in people:
        assert f'type="checkbox" value="{person.id}"' in page
    assert "<select multiple" not in page
    assert "Ctrl" not in page
