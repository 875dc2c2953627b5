"""Every route × every role: who gets the page (200), who is sent to log in (302), who is
refused (403), and who must not even learn that the thing exists (404).

A round's powers come from seats on its bodies (docs/domain.md §2). In the first matrix the
staff of ROLES sit on the world's round by the factories' default (tests/factories.py,
``AUTO_SEATS``): "board_admin" on its Council, "supervisor" on its supervisory board,
"panel_member" and "outsider_member" on its interview board. Someone with no seat in a round
gets 404 for its objects, a member without the power 403. The second part, bodies × rounds,
seats people explicitly on round A's bodies and checks them against rounds A and B."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
import time_machine

from exam.accounts.models import Role
from exam.council.models import BodyKind, MemberFunction
from exam.council.operations import add_item, hold_meeting
from exam.exams.definition import add_room
from exam.exams.models import Test as ExamTest
from exam.extensions import db
from exam.panels.models import PanelRole
from exam.panels.operations import create_panel
from exam.rounds.models import Round, RoundStatus
from tests.access.database import changed_tables, database_rows
from tests.conftest import login
from tests.council.conftest import seat
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
    body_id: int = 0  # the round's Council, on which none of ROLES sits
    membership_id: int = 0
    meeting_id: int = 0
    item_id: int = 0
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
    council_chair = make.user(Role.PANEL_MEMBER)
    seat_ = seat(round_, BodyKind.COUNCIL, council_chair, MemberFunction.CHAIR)
    meeting = hold_meeting(
        seat_.body,
        held_at=dt.datetime(2026, 2, 10, 2, 0, tzinfo=dt.UTC),
        place="Phòng họp",
        attendee_ids=[council_chair.id],
        presiding_id=council_chair.id,
        actor=council_chair,
        at=dt.datetime(2026, 2, 10, 3, 0, tzinfo=dt.UTC),
    )
    item = add_item(meeting, title="Nội dung", actor=council_chair)
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
        body_id=seat_.body_id,
        membership_id=seat_.id,
        meeting_id=meeting.id,
        item_id=item.id,
        session_id=test.sessions[0].id,
    )


# Expected status per role, in the order of ROLES.
#            guest cand other member outsider author board super
GET_MATRIX = [
    # A round's bodies (issue 13): platform administration and whoever sits on one of the
    # round's bodies (the panel members on its interview panel, the supervisor on its
    # supervisory board); the Council's meetings: the Council and the supervisory board;
    # setting up: platform administration (or the Council's secretariat); recording a
    # meeting: the Council's Chair or Member-secretary only (board_admin is a plain member).
    ("/rounds/{round_id}/bodies", [302, 404, 404, 200, 200, 404, 200, 200]),
    ("/rounds/{round_id}/bodies/new", [302, 404, 404, 403, 403, 404, 200, 403]),
    ("/bodies/{body_id}", [302, 404, 404, 200, 200, 404, 200, 200]),
    ("/bodies/{body_id}/decision.pdf", [302, 404, 404, 200, 200, 404, 200, 200]),
    ("/rounds/{round_id}/meetings/new", [302, 404, 404, 403, 403, 404, 403, 403]),
    ("/meetings/{meeting_id}", [302, 404, 404, 404, 404, 404, 200, 200]),
    ("/meetings/{meeting_id}/minutes.pdf", [302, 404, 404, 404, 404, 404, 200, 200]),
    ("/", [200, 200, 200, 200, 200, 200, 200, 200]),
    ("/login", [200, 302, 302, 302, 302, 302, 302, 302]),
    ("/register", [200, 302, 302, 302, 302, 302, 302, 302]),
    ("/rounds/", [200, 200, 200, 200, 200, 200, 200, 200]),
    ("/rounds/new", [302, 403, 403, 403, 403, 403, 200, 403]),
    ("/rounds/{round_id}", [200, 200, 200, 200, 200, 200, 200, 200]),
    ("/rounds/{draft_round_id}", [404, 404, 404, 404, 404, 404, 200, 200]),
    ("/rounds/{draft_round_id}/positions/new", [302, 404, 404, 403, 403, 404, 200, 403]),
    ("/positions/{position_id}/apply", [302, 200, 200, 403, 403, 403, 403, 403]),
    ("/applications/", [302, 200, 200, 403, 403, 403, 403, 403]),
    ("/applications/{application_id}", [302, 200, 404, 404, 404, 404, 200, 200]),
    ("/rounds/{round_id}/applications", [302, 404, 404, 403, 403, 404, 200, 200]),
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
    ("/rounds/{round_id}/tests/new", [302, 404, 404, 403, 403, 404, 200, 403]),
    ("/tests/{test_id}", [302, 404, 404, 403, 403, 404, 200, 200]),
    ("/attempts/{attempt_id}", [302, 200, 404, 404, 404, 404, 404, 404]),
    ("/attempts/{attempt_id}/state", [302, 200, 404, 404, 404, 404, 404, 404]),
    # A question's image on a paper: only inside the candidate's running attempt (this one
    # has not started), and a guest is not even sent to sign in.
    ("/attempts/{attempt_id}/assets/" + "0" * 64, [404, 404, 404, 404, 404, 404, 404, 404]),
    ("/exam-clock", [200, 200, 200, 200, 200, 200, 200, 200]),
    ("/tests/{test_id}/analysis", [302, 404, 404, 403, 403, 404, 200, 200]),
    ("/tests/{test_id}/analysis.csv", [302, 404, 404, 403, 403, 404, 200, 200]),
    # Voiding: only the board; a question of another bank than the test's is a 404.
    ("/tests/{test_id}/questions/{question_id}/void", [302, 404, 404, 403, 403, 404, 404, 403]),
    ("/invigilation/", [302, 403, 403, 403, 403, 403, 200, 200]),
    ("/rooms/{room_id}", [302, 404, 404, 403, 403, 404, 200, 200]),
    ("/rooms/{room_id}/live", [302, 404, 404, 403, 403, 404, 200, 200]),
    ("/attempts/{attempt_id}/invigilate", [302, 404, 404, 403, 403, 404, 200, 403]),
    # A paper and its answers, read by the round's Council and supervisory board.
    ("/attempts/{attempt_id}/paper", [302, 404, 404, 403, 403, 404, 200, 200]),
    ("/rounds/{round_id}/panels/new", [302, 404, 404, 403, 403, 404, 200, 403]),
    ("/panels/", [302, 403, 403, 200, 200, 403, 403, 403]),
    ("/panels/{panel_id}", [302, 404, 404, 200, 404, 404, 200, 200]),
    (
        "/panels/{panel_id}/applications/{interviewed_id}/score",
        [302, 404, 404, 200, 404, 404, 404, 404],
    ),
    # The đề án (issue 15): the candidate's own page; the plans for the position's panel and
    # the Council (here nobody has uploaded one: the file is 404 to all); the session's
    # timetable and room screen for whoever reads the panel, its running for its secretary
    # (the head of a panel without one, not among ROLES).
    ("/rounds/{round_id}/interview-settings", [302, 404, 404, 403, 403, 404, 200, 403]),
    # Interview scoring (issue 15): the guide for the Council; declarations for the panel's
    # members; the panel's sheets of a candidate: nobody before every member has sealed.
    ("/rounds/{round_id}/panels/guide", [302, 404, 404, 403, 403, 404, 200, 403]),
    ("/panels/{panel_id}/declarations", [302, 404, 404, 200, 404, 404, 404, 404]),
    (
        "/panels/{panel_id}/applications/{interviewed_id}/sheets",
        [302, 404, 404, 404, 404, 404, 404, 404],
    ),
    ("/applications/{application_id}/plan", [302, 200, 404, 404, 404, 404, 404, 404]),
    ("/applications/{application_id}/plan.pdf", [302, 404, 404, 404, 404, 404, 404, 404]),
    ("/panels/{panel_id}/plans", [302, 404, 404, 200, 404, 404, 200, 404]),
    ("/panels/{panel_id}/session", [302, 404, 404, 200, 404, 404, 200, 200]),
    ("/panels/{panel_id}/session/run", [302, 404, 404, 403, 404, 404, 403, 403]),
    ("/panels/{panel_id}/session/screen", [302, 404, 404, 200, 404, 404, 200, 200]),
    ("/panels/{panel_id}/session/state.json", [302, 404, 404, 200, 404, 404, 200, 200]),
    ("/panels/{panel_id}/record", [302, 404, 404, 403, 404, 404, 403, 403]),
    ("/panels/{panel_id}/minutes.pdf", [302, 404, 404, 200, 404, 404, 200, 200]),
    # The rater statistics: the Council's and the supervisors', once every sheet is sealed.
    ("/panels/{panel_id}/statistics", [302, 404, 404, 404, 404, 404, 404, 404]),
    ("/positions/{position_id}/results", [302, 404, 404, 403, 403, 404, 200, 200]),
    # The round's results formula (issue 16): its Council only (the supervisors read it on the
    # results page).
    ("/rounds/{round_id}/formula", [302, 404, 404, 403, 403, 404, 200, 403]),
    ("/rounds/{round_id}/formula/parts/999999/scores", [302, 404, 404, 403, 403, 404, 404, 403]),
    # The ranking's lifecycle (issue 16): the versions and the files for the Council and the
    # supervisors (no ranking yet: sent back to the results page); a pdf job of another
    # position, a row, a sheet or a document that does not exist is the same 404 for all.
    ("/positions/{position_id}/results/versions", [302, 404, 404, 403, 403, 404, 200, 200]),
    ("/positions/{position_id}/results/notices", [302, 404, 404, 403, 403, 404, 200, 200]),
    ("/positions/{position_id}/results.xlsx", [302, 404, 404, 403, 403, 404, 302, 302]),
    ("/positions/{position_id}/results/report.pdf", [302, 404, 404, 403, 403, 404, 302, 302]),
    ("/positions/{position_id}/results/proposal.pdf", [302, 404, 404, 403, 403, 404, 302, 302]),
    ("/positions/{position_id}/results/pdf-jobs/999999", [302, 404, 404, 403, 403, 404, 404, 404]),
    (
        "/positions/{position_id}/results/pdf-jobs/999999.json",
        [302, 404, 404, 403, 403, 404, 404, 404],
    ),
    (
        "/positions/{position_id}/results/pdf-jobs/999999/file",
        [302, 404, 404, 403, 403, 404, 404, 404],
    ),
    (
        "/rounds/{round_id}/panels/guide?position=2147483648",
        [302, 404, 404, 403, 403, 404, 404, 403],
    ),
    ("/results/mine", [302, 200, 200, 200, 200, 200, 200, 200]),
    ("/results/rows/999999/notice.pdf", [302, 404, 404, 404, 404, 404, 404, 404]),
    # The public results page: nobody before publication (the world's round is not published).
    ("/rounds/{round_id}/public-results", [404, 404, 404, 404, 404, 404, 404, 404]),
    ("/rounds/{draft_round_id}/public-results", [404, 404, 404, 404, 404, 404, 404, 404]),
    # Issued documents: verification is public; an unknown code or document is a 404.
    # The round's announcement: public once announced, a draft's for its Council and board.
    ("/rounds/{round_id}/announcement.pdf", [200, 200, 200, 200, 200, 200, 200, 200]),
    ("/rounds/{draft_round_id}/announcement.pdf", [404, 404, 404, 404, 404, 404, 200, 200]),
    ("/applications/{application_id}/admission-card.pdf", [302, 200, 404, 404, 404, 404, 200, 200]),
    ("/xac-minh", [200, 200, 200, 200, 200, 200, 200, 200]),
    ("/xac-minh/ABCDEFGHJK", [404, 404, 404, 404, 404, 404, 404, 404]),
    ("/documents/999999.pdf", [404, 404, 404, 404, 404, 404, 404, 404]),
    ("/panels/{panel_id}/sheets/999999/form.pdf", [302, 404, 404, 404, 404, 404, 404, 404]),
    ("/panels/{panel_id}/sheets/999999/paper", [302, 404, 404, 404, 404, 404, 404, 404]),
    ("/panels/{panel_id}/sheets/999999/scan", [302, 404, 404, 404, 404, 404, 404, 404]),
    ("/positions/{position_id}/results.pdf", [302, 404, 404, 403, 403, 404, 302, 302]),
    # Rounds, candidates and eligibility (issue 3)
    ("/rounds/{draft_round_id}/edit", [302, 404, 404, 403, 403, 404, 200, 403]),
    ("/rounds/units/", [302, 403, 403, 403, 403, 403, 200, 200]),
    ("/rounds/units/new", [302, 403, 403, 403, 403, 403, 200, 403]),
    ("/rounds/positions/{position_id}/edit", [302, 404, 404, 403, 403, 404, 200, 403]),
    ("/rounds/positions/{position_id}/stop", [302, 404, 404, 403, 403, 404, 200, 403]),
    ("/applications/{application_id}/edit", [302, 200, 404, 404, 404, 404, 403, 403]),
    (
        "/rounds/{round_id}/applications/import-template.xlsx",
        [302, 404, 404, 403, 403, 404, 200, 403],
    ),
    ("/rounds/{round_id}/applications/import", [302, 404, 404, 403, 403, 404, 200, 403]),
    ("/rounds/{round_id}/applications/eligible.xlsx", [302, 404, 404, 403, 403, 404, 200, 200]),
    (
        "/rounds/{round_id}/applications/not-eligible.xlsx",
        [302, 404, 404, 403, 403, 404, 200, 200],
    ),
    ("/rounds/{round_id}/applications/eligible.pdf", [302, 404, 404, 403, 403, 404, 200, 200]),
    ("/positions/{position_id}/draw", [200, 200, 200, 200, 200, 200, 200, 200]),
    ("/notices/", [302, 403, 403, 403, 403, 403, 200, 403]),
    # Account administration (issue 13): the platform administration only.
    ("/accounts/", [302, 403, 403, 403, 403, 403, 200, 403]),
    ("/accounts/new", [302, 403, 403, 403, 403, 403, 200, 403]),
    ("/accounts/{account_id}", [302, 403, 403, 403, 403, 403, 200, 403]),
    # Marking (issue 14): the round's Council and supervisory board see its progress; the
    # Ban phách's paper tests and the head of marking's table: nobody of ROLES.
    ("/rounds/{round_id}/marking", [302, 404, 404, 404, 404, 404, 200, 200]),
    ("/rounds/{round_id}/marking/paper-tests", [302, 404, 404, 404, 404, 404, 404, 404]),
    ("/rounds/{round_id}/marking/board", [302, 404, 404, 404, 404, 404, 404, 404]),
    # Appeals (issue 14): a candidate's own page; a round's appeals for its Council, Ban
    # phách and supervisory board (and its re-markers, their own sheets only).
    ("/appeals", [302, 200, 200, 200, 200, 200, 200, 200]),
    ("/rounds/{round_id}/appeals", [302, 404, 404, 404, 404, 404, 200, 200]),
]

# Writes: only the denials are listed here (the allowed behaviour has its own tests); a refused
# write must leave every table of the database as it was.
POST_DENIALS = [
    ("/rounds/{round_id}/bodies/new", {"board_admin"}),
    ("/bodies/{body_id}/members", {"board_admin"}),
    ("/rounds/{round_id}/interview-settings", {"board_admin"}),
    ("/rounds/{round_id}/panels/guide", {"board_admin"}),
    ("/panels/{panel_id}/declarations", {"panel_member"}),
    ("/panels/{panel_id}/applications/{interviewed_id}/draft", {"panel_member"}),
    ("/panels/{panel_id}/applications/{interviewed_id}/spread", set()),
    ("/panels/{panel_id}/positions", {"board_admin"}),
    ("/applications/{application_id}/plan", {"candidate"}),
    ("/panels/{panel_id}/session", set()),
    ("/panels/{panel_id}/session/turns/{interviewed_id}/present", set()),
    ("/panels/{panel_id}/recordings", set()),
    ("/panels/{panel_id}/record", set()),
    ("/bodies/{body_id}/members/{membership_id}/remove", {"board_admin"}),
    ("/rounds/{round_id}/meetings/new", set()),
    ("/meetings/{meeting_id}/items", set()),
    ("/meetings/items/{item_id}/votes", set()),
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
    ("/rounds/{round_id}/formula", {"board_admin"}),
    ("/positions/{position_id}/results/ties", {"board_admin"}),
    ("/positions/{position_id}/results/approve", {"board_admin"}),
    ("/positions/{position_id}/results/proposal", {"board_admin"}),
    ("/positions/{position_id}/results/correct", {"board_admin"}),
    ("/results/rows/999999/withdraw", set()),
    ("/rounds/{round_id}/results/public", {"board_admin"}),
    ("/positions/{position_id}/results/pdf-jobs", {"board_admin"}),
    ("/rounds/{round_id}/formula/parts/999999/scores", set()),
    ("/rounds/{round_id}/panels/guide/positions/{position_id}/drop", {"board_admin"}),
    ("/panels/{panel_id}/record/members/999999/present", set()),
    # The appeals' settings: the Council's Chair or secretary (the board is a plain member).
    ("/rounds/{round_id}/appeals/rules", set()),
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
    ("/rounds/{round_id}/marking/code", set()),
    ("/rounds/{round_id}/marking/hand-over", set()),
    ("/rounds/{round_id}/marking/unseal", set()),
    ("/rounds/{round_id}/marking/paper-tests", set()),
    ("/applications/{application_id}/appeal", {"candidate"}),
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
    before = database_rows()
    for role in ROLES:
        if role in allowed:
            continue
        client = login(app.test_client(), world.users[role])
        status = client.post(url, data={}).status_code
        expected = {302} if role == "guest" else {403, 404}
        assert status in expected, f"{role} got {status} on POST {url}"
    assert not changed_tables(before, database_rows()), f"a refused POST {url} changed data"


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


# --- bodies × rounds (issue 13): powers come from seats on a round's bodies ----------------

# Who sits where in round A (nobody here sits on round B), and the platform administration
# without a seat. Each person holds a staff role but is seated only explicitly
# (``seated=False``): the role gives nothing, the seat does.
SEATS = {
    "council": BodyKind.COUNCIL,
    "eligibility": BodyKind.ELIGIBILITY,
    "invigilation": BodyKind.INVIGILATION,
    "interview": BodyKind.INTERVIEW,
    "supervisory": BodyKind.SUPERVISORY,
    "marking": BodyKind.MARKING,
}
PEOPLE = [*SEATS, "platform"]


@dataclass
class RoundObjects:
    round_id: int
    position_id: int
    application_id: int
    interviewed_id: int
    test_id: int
    attempt_id: int
    room_id: int
    panel_id: int


def _round_objects(make, invigilator, interviewer) -> RoundObjects:
    """A round in the interview stage with a dossier, a test sat by one candidate, a room
    and a panel; ``invigilator`` and ``interviewer`` sit on its boards and on the room and
    the panel."""
    round_ = make.round()
    position = round_.positions[0]
    application = make.application(position)
    passed = make.application(position)
    with make.in_stage(round_, RoundStatus.TESTING):
        test = make.test(round_, question_count=QUESTIONS)
        _sit(test, passed, QUESTIONS)
    make.seat(invigilator, round_, BodyKind.INVIGILATION)
    room = add_room(
        test.sessions[0], name="Phòng 1", capacity=5, invigilators=[invigilator], actor=None
    )
    attempt = make.attempt(test, application)
    attempt.room = room  # seated in the room (made after the papers)
    make.seat(interviewer, round_, BodyKind.INTERVIEW)
    other = make.user(Role.PANEL_MEMBER)  # seated on the interview board by the factory
    panel = create_panel(
        position,
        "Ban phỏng vấn",
        [(interviewer, PanelRole.CHAIR), (other, PanelRole.MEMBER)],
        actor=None,
    )
    make.stage(round_, RoundStatus.INTERVIEWS)
    db.session.flush()
    return RoundObjects(
        round_.id,
        position.id,
        application.id,
        passed.id,
        test.id,
        attempt.id,
        room.id,
        panel.id,
    )


@dataclass
class TwoRounds:
    people: dict
    a: RoundObjects
    b: RoundObjects


@pytest.fixture
def two_rounds(make) -> TwoRounds:
    people = {name: make.user(Role.INVIGILATOR, seated=False) for name in SEATS}
    people["platform"] = make.user(Role.BOARD_ADMIN, seated=False)
    a = _round_objects(make, people["invigilation"], people["interview"])
    # Round B has its own invigilator and interviewer, seated there only.
    b = _round_objects(
        make, make.user(Role.INVIGILATOR, seated=False), make.user(Role.INVIGILATOR, seated=False)
    )
    round_a = db.session.get(Round, a.round_id)
    for name, kind in SEATS.items():
        if kind not in (BodyKind.INVIGILATION, BodyKind.INTERVIEW):  # seated with their work
            make.seat(people[name], round_a, kind)
    db.session.commit()
    return TwoRounds(people, a, b)


# A round's objects, and who in round A gets each of round A's (in the order of PEOPLE).
#                                council elig invig interv super marking platform
ROUND_MATRIX = [
    ("/rounds/{round_id}/applications", [200, 200, 403, 403, 200, 403, 404]),
    ("/applications/{application_id}", [200, 200, 404, 404, 200, 404, 404]),
    ("/rounds/{round_id}/applications/eligible.xlsx", [200, 200, 403, 403, 200, 403, 404]),
    ("/rounds/{round_id}/applications/import", [200, 403, 403, 403, 403, 403, 404]),
    ("/rounds/{round_id}/tests/new", [200, 403, 403, 403, 403, 403, 404]),
    ("/tests/{test_id}", [200, 403, 403, 403, 200, 403, 404]),
    ("/tests/{test_id}/analysis", [200, 403, 403, 403, 200, 403, 404]),
    ("/attempts/{attempt_id}/paper", [200, 403, 403, 403, 200, 403, 404]),
    ("/rooms/{room_id}", [200, 403, 200, 403, 200, 403, 404]),
    ("/attempts/{attempt_id}/invigilate", [200, 403, 200, 403, 403, 403, 404]),
    ("/rounds/{round_id}/panels/new", [200, 403, 403, 403, 403, 403, 404]),
    ("/panels/{panel_id}", [200, 404, 404, 200, 200, 404, 404]),
    ("/panels/{panel_id}/applications/{interviewed_id}/score", [404, 404, 404, 200, 404, 404, 404]),
    ("/rounds/{round_id}/interview-settings", [200, 403, 403, 403, 403, 403, 404]),
    ("/rounds/{round_id}/panels/guide", [200, 403, 403, 403, 403, 403, 404]),
    ("/panels/{panel_id}/declarations", [404, 404, 404, 200, 404, 404, 404]),
    ("/panels/{panel_id}/applications/{interviewed_id}/sheets", [404] * 7),
    ("/panels/{panel_id}/plans", [200, 404, 404, 200, 404, 404, 404]),
    ("/panels/{panel_id}/session", [200, 404, 404, 200, 200, 404, 404]),
    ("/panels/{panel_id}/session/run", [403, 404, 404, 200, 403, 404, 404]),
    ("/applications/{interviewed_id}/plan.pdf", [404, 404, 404, 404, 404, 404, 404]),
    ("/positions/{position_id}/results", [200, 403, 403, 403, 200, 403, 404]),
    ("/rounds/positions/{position_id}/stop", [200, 403, 403, 403, 403, 403, 404]),
    ("/rounds/{round_id}/marking", [200, 404, 404, 404, 200, 200, 404]),
    ("/rounds/{round_id}/marking/paper-tests", [404, 404, 404, 404, 404, 404, 404]),
    ("/rounds/{round_id}/marking/board", [404, 404, 404, 404, 404, 404, 404]),
    ("/rounds/{round_id}/appeals", [200, 404, 404, 404, 200, 404, 404]),
    ("/positions/{position_id}/results/versions", [200, 403, 403, 403, 200, 403, 404]),
    ("/positions/{position_id}/results.xlsx", [302, 403, 403, 403, 302, 403, 404]),
    ("/rounds/{round_id}/formula", [200, 403, 403, 403, 403, 403, 404]),
    ("/panels/{panel_id}/record", [403, 404, 404, 200, 403, 404, 404]),
    ("/panels/{panel_id}/minutes.pdf", [200, 404, 404, 200, 200, 404, 404]),
]


def _round_url(template: str, objects: RoundObjects) -> str:
    return template.format(**objects.__dict__)


@pytest.mark.parametrize(("template", "expected"), ROUND_MATRIX, ids=[t for t, _ in ROUND_MATRIX])
def test_a_seat_gives_its_powers_in_its_own_round(app, two_rounds, template, expected):
    url = _round_url(template, two_rounds.a)
    got = [login(app.test_client(), two_rounds.people[p]).get(url).status_code for p in PEOPLE]
    assert dict(zip(PEOPLE, got, strict=True)) == dict(zip(PEOPLE, expected, strict=True))


@pytest.mark.parametrize("template", [t for t, _ in ROUND_MATRIX])
def test_a_seat_in_round_a_shows_nothing_of_round_b(app, two_rounds, template):
    """Every member of round A's bodies, and the platform administration without a seat,
    is told that round B's objects do not exist."""
    url = _round_url(template, two_rounds.b)
    got = {p: login(app.test_client(), two_rounds.people[p]).get(url).status_code for p in PEOPLE}
    assert got == dict.fromkeys(PEOPLE, 404)


ROUND_WRITES = [
    "/rounds/{round_id}/advance",
    "/applications/{application_id}/decide",
    "/rounds/{round_id}/applications/decide-prechecked",
    "/rounds/{round_id}/summons",
    "/positions/{position_id}/draw",
    "/tests/{test_id}/papers",
    "/tests/{test_id}/sessions",
    "/attempts/{attempt_id}/extra-time",
    "/positions/{position_id}/results/compute",
    "/rounds/{round_id}/marking/limits",
    "/rounds/{round_id}/panels/guide",
    "/positions/{position_id}/results/approve",
    "/positions/{position_id}/results/proposal",
    "/positions/{position_id}/results/correct",
    "/rounds/{round_id}/results/public",
    "/rounds/{round_id}/formula",
    "/rounds/{round_id}/appeals/rules",
]
# Writes whose object is not a round's (an appeal): round B's answer 404 to round A's people.
ROUND_B_WRITES = [
    "/applications/{application_id}/appeal",
    "/panels/{panel_id}/declarations",
    "/panels/{panel_id}/applications/{interviewed_id}/draft",
    "/panels/{panel_id}/applications/{interviewed_id}/spread",
    "/panels/{panel_id}/positions",
    "/panels/{panel_id}/record",
]


@pytest.mark.parametrize("template", ROUND_WRITES)
def test_writes_in_round_b_are_404_and_the_supervisors_write_nothing(app, two_rounds, template):
    before = database_rows()
    for person in PEOPLE:
        client = login(app.test_client(), two_rounds.people[person])
        assert client.post(_round_url(template, two_rounds.b)).status_code == 404, person
    supervisor = login(app.test_client(), two_rounds.people["supervisory"])
    assert supervisor.post(_round_url(template, two_rounds.a)).status_code == 403
    assert not changed_tables(before, database_rows()), f"a refused POST {template} changed data"


@pytest.mark.parametrize("template", ROUND_B_WRITES)
def test_writes_on_round_b_s_objects_are_404(app, two_rounds, template):
    before = database_rows()
    for person in PEOPLE:
        client = login(app.test_client(), two_rounds.people[person])
        assert client.post(_round_url(template, two_rounds.b)).status_code == 404, person
    assert not changed_tables(before, database_rows()), f"a refused POST {template} changed data"


def test_lists_show_only_the_rounds_of_ones_bodies(app, two_rounds, make):
    """The rounds' list and the home page show round B's draft to nobody of round A; my
    rooms and my panels list round A's only."""
    draft_b = make.round(status=RoundStatus.DRAFT)
    draft_b.name = "Kỳ thi nháp của vòng B"
    round_a = db.session.get(Round, two_rounds.a.round_id)
    draft_a = make.round(status=RoundStatus.DRAFT)
    draft_a.name = "Kỳ thi nháp của vòng A"
    make.seat(two_rounds.people["council"], draft_a, BodyKind.COUNCIL)
    db.session.commit()
    council = login(app.test_client(), two_rounds.people["council"])
    for page in ("/rounds/", "/"):
        text = council.get(page).get_data(as_text=True)
        assert "Kỳ thi nháp của vòng A" in text
        assert "Kỳ thi nháp của vòng B" not in text
    assert council.get(f"/rounds/{draft_b.id}").status_code == 404
    assert council.get(f"/rounds/{draft_a.id}").status_code == 200
    invigilator = login(app.test_client(), two_rounds.people["invigilation"])
    rooms = invigilator.get("/invigilation/").get_data(as_text=True)
    assert f'/rooms/{two_rounds.a.room_id}"' in rooms
    assert f'/rooms/{two_rounds.b.room_id}"' not in rooms
    interviewer = login(app.test_client(), two_rounds.people["interview"])
    panels = interviewer.get("/panels/").get_data(as_text=True)
    assert f'/panels/{two_rounds.a.panel_id}"' in panels
    assert f'/panels/{two_rounds.b.panel_id}"' not in panels
    assert round_a.name in council.get("/rounds/").get_data(as_text=True)


def test_the_platform_administration_without_a_seat_creates_rounds_but_runs_none(
    app, two_rounds, make
):
    """It creates rounds and sets up their Council; a round's own work needs a seat on its
    Council (docs/domain.md §2)."""
    platform = login(app.test_client(), two_rounds.people["platform"])
    assert platform.get("/rounds/new").status_code == 200
    assert platform.get(f"/rounds/{two_rounds.a.round_id}/bodies").status_code == 200
    assert platform.get(f"/rounds/{two_rounds.a.round_id}/applications").status_code == 404
    assert platform.post(f"/rounds/{two_rounds.a.round_id}/advance").status_code == 404
    role_alone = make.user(Role.SUPERVISOR, Role.PANEL_MEMBER, Role.INVIGILATOR, seated=False)
    db.session.commit()
    role_alone = login(app.test_client(), role_alone)
    assert role_alone.get(f"/tests/{two_rounds.a.test_id}").status_code == 404
    assert role_alone.get(f"/panels/{two_rounds.a.panel_id}").status_code == 404
    assert role_alone.get(f"/rooms/{two_rounds.a.room_id}").status_code == 404
