"""Every route × every role: who gets the page (200), who is sent to log in (302), who is
refused (403), and who must not even learn that the thing exists (404)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
import time_machine

from exam.accounts.models import Role
from exam.exams.definition import add_room
from exam.exams.models import Test as ExamTest
from exam.extensions import db
from exam.rounds.models import RoundStatus
from tests.conftest import login
from tests.results.test_ranking import QUESTIONS, _sit

ROLES = [
    "guest",
    "candidate",
    "other_candidate",
    "panel_member",
    "outsider_member",
    "author",
    "board_admin",
    "supervisor",
]


@dataclass
class World:
    users: dict
    round_id: int
    draft_round_id: int
    position_id: int
    application_id: int
    attempt_id: int
    test_id: int
    panel_id: int
    bank_id: int
    question_id: int
    room_id: int = 0
    interviewed_id: int = 0  # an application past the test gate, which the panel scores
    account_id: int = 0  # a staff account, for the account administration's pages
    session_id: int = 0  # the test's first session, for its late-entry setting


@pytest.fixture
def world(make) -> World:
    round_ = make.round()
    draft = make.round(status=RoundStatus.DRAFT)
    position = round_.positions[0]
    candidate = make.user(Role.CANDIDATE)
    other = make.user(Role.CANDIDATE)
    application = make.application(position, candidate)
    passed = make.application(position, other)
    test = make.test(round_, question_count=QUESTIONS)
    attempt = make.attempt(test, application)
    _sit(test, passed, QUESTIONS)
    room = add_room(test.sessions[0], name="Phòng 1", capacity=5, actor=make.user(Role.BOARD_ADMIN))
    panel = make.panel(position)
    member = panel.members[1].user
    outsider = make.user(Role.PANEL_MEMBER)
    author = make.user(Role.QUESTION_AUTHOR)
    question = make.question(author=author)
    db.session.commit()
    users = {
        "guest": None,
        "candidate": candidate,
        "other_candidate": other,
        "panel_member": member,
        "outsider_member": outsider,
        "author": author,
        "board_admin": make.user(Role.BOARD_ADMIN),
        "supervisor": make.user(Role.SUPERVISOR),
    }
    db.session.commit()
    return World(
        users,
        round_.id,
        draft.id,
        position.id,
        application.id,
        attempt.id,
        test.id,
        panel.id,
        question.bank_id,
        question.id,
        room.id,
        passed.id,
        account_id=author.id,
        session_id=test.sessions[0].id,
    )


# Expected status per role, in the order of ROLES.
#            guest cand other member outsider author board super
GET_MATRIX = [
    ("/", [200, 200, 200, 200, 200, 200, 200, 200]),
    ("/login", [200, 302, 302, 302, 302, 302, 302, 302]),
    ("/register", [200, 302, 302, 302, 302, 302, 302, 302]),
    ("/rounds/", [200, 200, 200, 200, 200, 200, 200, 200]),
    ("/rounds/new", [302, 403, 403, 403, 403, 403, 200, 403]),
    ("/rounds/{round_id}", [200, 200, 200, 200, 200, 200, 200, 200]),
    ("/rounds/{draft_round_id}", [404, 404, 404, 404, 404, 404, 200, 200]),
    ("/rounds/{draft_round_id}/positions/new", [302, 403, 403, 403, 403, 403, 200, 403]),
    ("/positions/{position_id}/apply", [302, 200, 200, 403, 403, 403, 403, 403]),
    ("/applications/", [302, 200, 200, 403, 403, 403, 403, 403]),
    ("/applications/{application_id}", [302, 200, 404, 404, 404, 404, 200, 200]),
    ("/rounds/{round_id}/applications", [302, 403, 403, 403, 403, 403, 200, 200]),
    ("/bank/", [302, 403, 403, 403, 403, 200, 200, 403]),
    ("/bank/new", [302, 403, 403, 403, 403, 200, 200, 403]),
    ("/bank/{bank_id}", [302, 403, 403, 403, 403, 200, 200, 403]),
    ("/bank/{bank_id}/questions/new", [302, 403, 403, 403, 403, 200, 403, 403]),
    ("/bank/questions/{question_id}", [302, 403, 403, 403, 403, 200, 200, 403]),
    ("/bank/{bank_id}/questions/new?type=matching", [302, 403, 403, 403, 403, 200, 403, 403]),
    ("/bank/{bank_id}/categories", [302, 403, 403, 403, 403, 200, 200, 403]),
    ("/bank/{bank_id}/coverage?paper=10", [302, 403, 403, 403, 403, 200, 200, 403]),
    ("/bank/{bank_id}/import", [302, 403, 403, 403, 403, 200, 403, 403]),
    ("/bank/{bank_id}/export?format=gift", [302, 403, 403, 403, 403, 200, 200, 403]),
    ("/bank/questions/{question_id}/edit", [302, 403, 403, 403, 403, 200, 403, 403]),
    ("/bank/questions/{question_id}/history", [302, 403, 403, 403, 403, 200, 200, 403]),
    # A question's image: an unknown one is a 404 for everyone signed in (existence hidden).
    ("/bank/media/{question_id}/none.png", [302, 404, 404, 404, 404, 404, 404, 404]),
    ("/rounds/{round_id}/tests/new", [302, 403, 403, 403, 403, 403, 200, 403]),
    ("/tests/{test_id}", [302, 403, 403, 403, 403, 403, 200, 200]),
    ("/attempts/{attempt_id}", [302, 200, 404, 404, 404, 404, 404, 404]),
    ("/attempts/{attempt_id}/state", [302, 200, 404, 404, 404, 404, 404, 404]),
    # A question's image on a paper: only inside the candidate's running attempt (this one
    # has not started), and a guest is not even sent to sign in.
    ("/attempts/{attempt_id}/assets/" + "0" * 64, [404, 404, 404, 404, 404, 404, 404, 404]),
    ("/exam-clock", [200, 200, 200, 200, 200, 200, 200, 200]),
    ("/tests/{test_id}/analysis", [302, 403, 403, 403, 403, 403, 200, 200]),
    ("/tests/{test_id}/analysis.csv", [302, 403, 403, 403, 403, 403, 200, 200]),
    # Voiding: only the board; a question of another bank than the test's is a 404.
    ("/tests/{test_id}/questions/{question_id}/void", [302, 403, 403, 403, 403, 403, 404, 403]),
    ("/invigilation/", [302, 403, 403, 403, 403, 403, 200, 200]),
    ("/rooms/{room_id}", [302, 403, 403, 403, 403, 403, 200, 200]),
    ("/rooms/{room_id}/live", [302, 403, 403, 403, 403, 403, 200, 200]),
    ("/attempts/{attempt_id}/invigilate", [302, 403, 403, 403, 403, 403, 200, 403]),
    ("/rounds/{round_id}/panels/new", [302, 403, 403, 403, 403, 403, 200, 403]),
    ("/panels/", [302, 403, 403, 200, 200, 403, 403, 403]),
    ("/panels/{panel_id}", [302, 404, 404, 200, 404, 404, 200, 200]),
    (
        "/panels/{panel_id}/applications/{interviewed_id}/score",
        [302, 403, 403, 200, 404, 403, 403, 403],
    ),
    ("/positions/{position_id}/results", [302, 403, 403, 403, 403, 403, 200, 200]),
    ("/positions/{position_id}/results.pdf", [302, 403, 403, 403, 403, 403, 302, 302]),
    # Rounds, candidates and eligibility (issue 3)
    ("/rounds/{draft_round_id}/edit", [302, 403, 403, 403, 403, 403, 200, 403]),
    ("/rounds/units/", [302, 403, 403, 403, 403, 403, 200, 200]),
    ("/rounds/units/new", [302, 403, 403, 403, 403, 403, 200, 403]),
    ("/rounds/positions/{position_id}/edit", [302, 403, 403, 403, 403, 403, 200, 403]),
    ("/rounds/positions/{position_id}/stop", [302, 403, 403, 403, 403, 403, 200, 403]),
    ("/applications/{application_id}/edit", [302, 200, 404, 404, 404, 404, 403, 403]),
    (
        "/rounds/{round_id}/applications/import-template.xlsx",
        [302, 403, 403, 403, 403, 403, 200, 403],
    ),
    ("/rounds/{round_id}/applications/import", [302, 403, 403, 403, 403, 403, 200, 403]),
    ("/rounds/{round_id}/applications/eligible.xlsx", [302, 403, 403, 403, 403, 403, 200, 200]),
    (
        "/rounds/{round_id}/applications/not-eligible.xlsx",
        [302, 403, 403, 403, 403, 403, 200, 200],
    ),
    ("/rounds/{round_id}/applications/eligible.pdf", [302, 403, 403, 403, 403, 403, 200, 200]),
    ("/positions/{position_id}/draw", [200, 200, 200, 200, 200, 200, 200, 200]),
    ("/notices/", [302, 403, 403, 403, 403, 403, 200, 200]),
    # Account administration (issue 13): the platform administration only.
    ("/accounts/", [302, 403, 403, 403, 403, 403, 200, 403]),
    ("/accounts/new", [302, 403, 403, 403, 403, 403, 200, 403]),
    ("/accounts/{account_id}", [302, 403, 403, 403, 403, 403, 200, 403]),
]

# Writes: only the denials are listed here (the allowed behaviour has its own tests).
POST_DENIALS = [
    ("/rounds/{round_id}/advance", {"board_admin"}),
    ("/applications/{application_id}/decide", {"board_admin"}),
    ("/bank/questions/{question_id}/submit", {"author"}),
    ("/bank/questions/{question_id}/approve", {"author", "board_admin"}),
    ("/bank/questions/{question_id}/edit", {"author"}),
    ("/bank/questions/{question_id}/reject", {"board_admin"}),
    ("/bank/questions/{question_id}/retire", {"author", "board_admin"}),
    ("/bank/questions/{question_id}/reinstate", {"author", "board_admin"}),
    ("/bank/questions/{question_id}/delete", {"author", "board_admin"}),
    ("/bank/{bank_id}/import", {"author"}),
    ("/bank/{bank_id}/import/confirm", {"author"}),
    ("/bank/{bank_id}/export", {"author", "board_admin"}),
    ("/tests/{test_id}/papers", {"board_admin"}),
    ("/attempts/{attempt_id}/start", {"candidate"}),
    ("/attempts/{attempt_id}/answers", {"candidate"}),
    ("/attempts/{attempt_id}/submit", {"candidate"}),
    ("/attempts/{attempt_id}/acknowledge", {"candidate"}),
    ("/tests/{test_id}/sections", {"board_admin"}),
    ("/tests/{test_id}/sessions", {"board_admin"}),
    ("/tests/{test_id}/review", {"board_admin"}),
    ("/tests/{test_id}/rules", {"board_admin"}),
    ("/sessions/{session_id}/late-entry", {"board_admin"}),
    ("/tests/{test_id}/accommodations", {"board_admin"}),
    ("/attempts/{attempt_id}/move", {"board_admin"}),
    ("/attempts/{attempt_id}/extra-time", {"board_admin"}),
    ("/attempts/{attempt_id}/incidents", {"board_admin"}),
    ("/attempts/{attempt_id}/retake", {"board_admin"}),
    ("/positions/{position_id}/results/compute", {"board_admin"}),
    ("/rounds/{draft_round_id}/edit", {"board_admin"}),
    ("/rounds/units/new", {"board_admin"}),
    ("/rounds/positions/{position_id}/edit", {"board_admin"}),
    ("/rounds/positions/{position_id}/stop", {"board_admin"}),
    ("/applications/{application_id}/edit", {"candidate"}),
    ("/applications/{application_id}/withdraw", {"candidate"}),
    ("/applications/{application_id}/documents", {"candidate"}),
    ("/rounds/{round_id}/applications/decide-prechecked", {"board_admin"}),
    ("/rounds/{round_id}/applications/import", {"board_admin"}),
    ("/rounds/{round_id}/applications/import/confirm", {"board_admin"}),
    ("/positions/{position_id}/draw", {"board_admin"}),
    ("/rounds/{round_id}/summons", {"board_admin"}),
    ("/notices/1/retry", {"board_admin"}),
    ("/accounts/new", {"board_admin"}),
    ("/accounts/{account_id}/roles", {"board_admin"}),
    ("/accounts/{account_id}/invitation", {"board_admin"}),
    ("/accounts/{account_id}/deactivate", {"board_admin"}),
    ("/accounts/{account_id}/reactivate", {"board_admin"}),
]


def _url(template: str, world: World) -> str:
    return template.format(**world.__dict__)


@pytest.mark.parametrize(("template", "expected"), GET_MATRIX, ids=[t for t, _ in GET_MATRIX])
def test_get_routes_answer_each_role_as_expected(app, world, template, expected):
    url = _url(template, world)
    got = []
    for role in ROLES:
        client = login(app.test_client(), world.users[role])
        got.append(client.get(url).status_code)
    assert dict(zip(ROLES, got, strict=True)) == dict(zip(ROLES, expected, strict=True))


@pytest.mark.parametrize(("template", "allowed"), POST_DENIALS, ids=[t for t, _ in POST_DENIALS])
def test_writes_are_refused_to_everyone_else(app, world, template, allowed):
    url = _url(template, world)
    for role in ROLES:
        if role in allowed:
            continue
        client = login(app.test_client(), world.users[role])
        status = client.post(url, data={}).status_code
        expected = {302} if role == "guest" else {403, 404}
        assert status in expected, f"{role} got {status} on POST {url}"


def test_attempt_routes_hide_existence_from_other_candidates(app, world):
    """Another candidate's paper and a paper that does not exist look exactly the same."""
    client = login(app.test_client(), world.users["other_candidate"])
    assert client.get(f"/attempts/{world.attempt_id}").status_code == 404
    assert client.get("/attempts/999999").status_code == 404


def test_questions_are_not_shown_before_the_start(app, world):
    """The paper exists (made in advance) but no page shows its questions before the start
    and the session code."""
    starts_at = db.session.get(ExamTest, world.test_id).starts_at
    with time_machine.travel(starts_at - dt.timedelta(minutes=10), tick=False):
        client = login(app.test_client(), world.users["candidate"])
        before = client.get(f"/attempts/{world.attempt_id}").get_data(as_text=True)
        state = client.get(f"/attempts/{world.attempt_id}/state").get_json()
    with time_machine.travel(starts_at + dt.timedelta(minutes=1), tick=False):
        client = login(app.test_client(), world.users["candidate"])
        started = client.get(f"/attempts/{world.attempt_id}").get_data(as_text=True)
    for page in (before, started):
        assert "Câu hỏi thử nghiệm" not in page
    assert "Chưa đến giờ thi" in before
    assert "Mã ca thi" in started
    assert state["status"] == "ready"
