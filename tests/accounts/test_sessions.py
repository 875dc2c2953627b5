"""Sign-in sessions end when they should (issue 10 item 4): a cookie copied before signing
out, changing the password or being deactivated is refused everywhere, the exam page's hot
path included; idle sessions end, sooner for staff than for a candidate, whose sitting keeps
its session alive; no session outlives its absolute lifetime. Also: a fresh session and CSRF
token at sign-in, and no-store on every page (issue 10 item 7)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
import time_machine
from flask.testing import FlaskClient
from flask_login.utils import encode_cookie

from exam.accounts.models import Role, User
from exam.accounts.operations import deactivate_user
from exam.audit.models import AuditEntry
from exam.exams.papers import generate_papers
from exam.exams.sitting import start_attempt
from exam.extensions import db
from exam.rounds.models import RoundStatus
from tests.conftest import login
from tests.factories import PASSWORD

START = dt.datetime(2026, 4, 1, 1, 0, tzinfo=dt.UTC)  # 08:00 in Hanoi
MINUTE = dt.timedelta(minutes=1)
NEW_PASSWORD = "hoa-sen-no-ho-tay"


def copy_cookie(source: FlaskClient, target: FlaskClient) -> None:
    """What an attacker holding a copy of the session cookie would send."""
    cookie = source.get_cookie("session")
    target.set_cookie("session", cookie.value)


def signed_in(client: FlaskClient) -> bool:
    """Whether the client's session is that of a signed-in person (a page that needs one)."""
    response = client.get("/applications/")
    return response.status_code != 302 or "/login" not in response.headers["Location"]


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> None:
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.fixture
def sitting(make):
    """A candidate whose paper is in progress from START (60 minutes)."""
    round_ = make.round()
    candidate = make.user(Role.CANDIDATE, email="thi-sinh@test.example")
    application = make.application(round_.positions[0], candidate)
    test = make.test(round_, question_count=3, duration_minutes=60, starts_at=START, papers=False)
    test.sessions[0].code = "HN7QKX"
    make.stage(test.round, RoundStatus.TESTING)
    generate_papers(test, actor=make.user(Role.BOARD_ADMIN), at=START - dt.timedelta(hours=1))
    db.session.flush()
    attempt = make.attempt(test, application)
    start_attempt(attempt, session_code="HN7QKX", at=START)
    db.session.commit()
    return candidate, attempt.id


# --- revocation -----------------------------------------------------------------------------


def test_a_cookie_copied_before_logout_is_refused_after_it(app, make):
    user = make.user(Role.BOARD_ADMIN, email="chu-tich@test.example")
    db.session.commit()
    browser, thief = app.test_client(), app.test_client()
    sign_in(browser, "chu-tich@test.example")
    copy_cookie(browser, thief)
    assert signed_in(thief)  # the copy works while the session lasts

    browser.post("/logout")

    assert not signed_in(browser)
    assert not signed_in(thief)
    assert thief.get("/rounds/new").status_code == 302
    sign_in(browser, "chu-tich@test.example")  # the owner signs in again as usual
    assert signed_in(browser)
    assert not signed_in(thief)
    assert user.is_active


def test_a_remember_cookie_issued_before_logout_is_refused_after_it(app, make):
    user = make.user(Role.CANDIDATE)
    db.session.commit()
    with app.test_request_context():
        remembered = encode_cookie(user.get_id())
    browser, thief = login(app.test_client(), user), app.test_client()
    thief.set_cookie("remember_token", remembered)
    assert signed_in(thief)

    browser.post("/logout")

    thief.delete_cookie("session")
    assert not signed_in(thief)


def test_the_exam_pages_hot_path_refuses_a_cookie_copied_before_logout(app, sitting):
    candidate, attempt_id = sitting
    with time_machine.travel(START + 5 * MINUTE, tick=False):
        browser, thief = login(app.test_client(), candidate), app.test_client()
        copy_cookie(browser, thief)
        assert thief.get(f"/attempts/{attempt_id}/state").status_code == 200

        browser.post("/logout")

        for response in (
            thief.get(f"/attempts/{attempt_id}/state"),
            thief.post(f"/attempts/{attempt_id}/answers", json={"answers": []}),
            thief.get(f"/attempts/{attempt_id}"),
        ):
            assert response.status_code in (302, 401, 404), response.status_code
            assert b'"status"' not in response.data


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(app, make):
    user = make.user(Role.CANDIDATE, email="doi-mat-khau@test.example")
    db.session.commit()
    mine, elsewhere, thief = app.test_client(), app.test_client(), app.test_client()
    sign_in(mine, "doi-mat-khau@test.example")
    sign_in(elsewhere, "doi-mat-khau@test.example")
    copy_cookie(mine, thief)

    response = mine.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert "Đã đổi mật khẩu." in mine.get("/").get_data(as_text=True)
    assert signed_in(mine)
    assert not signed_in(elsewhere)
    assert not signed_in(thief)
    [entry] = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.action == "account.password_change", AuditEntry.object_id == str(user.id)
        )
    ).all()
    assert entry.actor_id == user.id
    assert NEW_PASSWORD not in str(entry.after)
    sign_in(app.test_client(), "doi-mat-khau@test.example", NEW_PASSWORD)


@pytest.mark.parametrize(
    ("current", "new", "field", "message"),
    [
        ("sai-mat-khau-roi", NEW_PASSWORD, "current_password", "Mật khẩu hiện tại không đúng."),
        (PASSWORD, "1234567890", "password", "Mật khẩu này quá phổ biến"),
        (PASSWORD, "doimatkhau2026", "password", "Mật khẩu không được chứa địa chỉ email"),
    ],
)
def test_a_refused_password_change_changes_nothing(app, make, current, new, field, message):
    user = make.user(Role.CANDIDATE, email="doi-mat-khau@test.example")
    db.session.commit()
    token = user.session_token
    mine, elsewhere = app.test_client(), app.test_client()
    sign_in(mine, "doi-mat-khau@test.example")
    sign_in(elsewhere, "doi-mat-khau@test.example")

    response = mine.post(
        "/account/password",
        data={"current_password": current, "password": new, "confirm": new},
        follow_redirects=True,
    )

    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert signed_in(mine)
    assert signed_in(elsewhere)
    db.session.expire_all()
    assert db.session.get(User, user.id).session_token == token


def test_deactivation_ends_every_session_of_the_account(app, make, sitting):
    candidate, attempt_id = sitting
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    with time_machine.travel(START + 5 * MINUTE, tick=False):
        browser = login(app.test_client(), candidate)
        assert signed_in(browser)

        deactivate_user(db.session.get(User, candidate.id), actor=board)
        db.session.commit()

        assert not signed_in(browser)
        assert browser.get(f"/attempts/{attempt_id}/state").status_code in (302, 401, 404)
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "account.deactivate")
    ).one()
    assert entry.actor_id == board.id


# --- idle limit and lifetime ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "idle_minutes", "signed_out"),
    [
        (Role.BOARD_ADMIN, 29, False),
        (Role.BOARD_ADMIN, 31, True),
        (Role.INVIGILATOR, 31, True),
        (Role.CANDIDATE, 31, False),
        (Role.CANDIDATE, 239, False),
        (Role.CANDIDATE, 241, True),
    ],
)
def test_an_idle_session_ends_sooner_for_staff_than_for_a_candidate(
    app, make, role, idle_minutes, signed_out
):
    assert app.config["SESSION_IDLE_MINUTES_STAFF"] == 30
    assert app.config["SESSION_IDLE_MINUTES_CANDIDATE"] == 240
    make.user(role, email="ngoi-im@test.example")
    db.session.commit()
    client = app.test_client()
    with time_machine.travel(START, tick=False):
        sign_in(client, "ngoi-im@test.example")
        assert signed_in(client)
    with time_machine.travel(START + dt.timedelta(minutes=idle_minutes), tick=False):
        page = client.get("/applications/")
        assert signed_in(client) is not signed_out
        if signed_out:
            assert page.headers["Location"].startswith("/login")
            message = client.get("/login").get_data(as_text=True)
            assert "Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại." in message


def test_activity_keeps_a_staff_session_alive(app, make):
    make.user(Role.BOARD_ADMIN, email="van-lam@test.example")
    db.session.commit()
    client = app.test_client()
    with time_machine.travel(START, tick=False):
        sign_in(client, "van-lam@test.example")
    for minutes in range(20, 200, 20):  # a request every 20 minutes for over three hours
        with time_machine.travel(START + dt.timedelta(minutes=minutes), tick=False):
            assert signed_in(client), minutes


def test_a_sitting_with_extra_time_is_never_signed_out_by_the_idle_rule(app, sitting):
    """The exam page polls every few seconds and autosaves: each counts as activity, however
    long the sitting (here five hours of polls, beyond the candidate's idle limit)."""
    candidate, attempt_id = sitting
    client = app.test_client()
    with time_machine.travel(START, tick=False):
        login(client, candidate)
    for minutes in range(0, 5 * 60, 10):
        with time_machine.travel(START + dt.timedelta(minutes=minutes), tick=False):
            response = client.get(f"/attempts/{attempt_id}/state")
            assert response.status_code == 200, minutes


def test_activity_is_written_back_at_most_once_a_minute(app, sitting):
    """The hot path does not re-sign the cookie on each poll: only when the minute is up."""
    candidate, attempt_id = sitting
    client = app.test_client()
    with time_machine.travel(START + 5 * MINUTE, tick=False):
        login(client, candidate)
        client.get(f"/attempts/{attempt_id}/state")
    with time_machine.travel(START + 5 * MINUTE + dt.timedelta(seconds=59), tick=False):
        quiet = client.get(f"/attempts/{attempt_id}/state")
    with time_machine.travel(START + 6 * MINUTE + dt.timedelta(seconds=1), tick=False):
        noted = client.get(f"/attempts/{attempt_id}/state")

    assert quiet.status_code == noted.status_code == 200
    assert "Set-Cookie" not in quiet.headers
    assert "session=" in noted.headers["Set-Cookie"]


def test_no_session_outlives_its_absolute_lifetime(app, make):
    assert app.config["PERMANENT_SESSION_LIFETIME"] == dt.timedelta(hours=12)
    make.user(Role.BOARD_ADMIN, email="ca-ngay@test.example")
    db.session.commit()
    client = app.test_client()
    with time_machine.travel(START, tick=False):
        sign_in(client, "ca-ngay@test.example")
    for minutes in range(20, 12 * 60, 20):
        with time_machine.travel(START + dt.timedelta(minutes=minutes), tick=False):
            assert signed_in(client), minutes
    with time_machine.travel(START + dt.timedelta(hours=12, minutes=1), tick=False):
        assert not signed_in(client)


def test_a_session_without_its_times_is_refused(app, make):
    """Only the login page makes a signed-in session: one naming an account but not when it
    signed in (older cookies, hand-made ones) is ended."""
    user = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()

    assert not signed_in(client)


@pytest.mark.parametrize("forged", ["1", "1:", ":abc", "x:abc", "1:wrong-token", ""])
def test_a_session_naming_a_wrong_token_is_refused(app, make, forged):
    user = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    client = login(app.test_client(), user)
    with client.session_transaction() as session:
        session["_user_id"] = forged.replace("1", str(user.id), 1)

    assert not signed_in(client)


# --- sign-in: a fresh session -----------------------------------------------------------------


def test_signing_in_rotates_the_csrf_token_and_drops_what_the_session_held(app, make):
    make.user(Role.CANDIDATE, email="moi@test.example")
    db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session["csrf_token"] = "planted-by-someone-else"
        session["language"] = "en"
        session["other"] = "left over"

    sign_in(client, "moi@test.example")

    with client.session_transaction() as session:
        assert session.get("csrf_token") != "planted-by-someone-else"
        assert "other" not in session
        assert session["language"] == "en"  # the visitor's choice of language stays
    client.get("/")  # a page with a form makes a new token
    with client.session_transaction() as session:
        assert session["csrf_token"] not in (None, "planted-by-someone-else")


# --- no-store ----------------------------------------------------------------------------------


def test_secret_pages_are_not_kept_in_any_cache(app, make, sitting):
    candidate, attempt_id = sitting
    board = make.user(Role.BOARD_ADMIN)
    author = make.user(Role.QUESTION_AUTHOR)
    question = make.question(author=author)
    application = make.application(make.round().positions[0], make.user(Role.CANDIDATE))
    db.session.commit()

    with time_machine.travel(START + 5 * MINUTE, tick=False):
        pages = [
            (candidate, f"/attempts/{attempt_id}"),
            (candidate, f"/attempts/{attempt_id}/state"),
            (author, f"/bank/questions/{question.id}"),
            (board, f"/applications/{application.id}"),
            (board, f"/positions/{application.position_id}/results"),
            (None, "/login"),
        ]
        for user, path in pages:
            response = login(app.test_client(), user).get(path)
            assert response.status_code == 200, path
            assert response.headers["Cache-Control"] == "no-store", path

    asset = app.test_client().get("/static/css/app.css")
    assert asset.status_code == 200
    assert "no-store" not in asset.headers.get("Cache-Control", "")


def test_the_deactivate_command_ends_the_sessions_at_once(app, make):
    user = make.user(Role.SUPERVISOR, email="giam-sat@test.example")
    db.session.commit()
    browser = login(app.test_client(), user)
    assert signed_in(browser)

    result = app.test_cli_runner().invoke(args=["accounts", "deactivate", "GIAM-SAT@test.example"])

    assert result.exit_code == 0, result.output
    assert "Deactivated giam-sat@test.example" in result.output
    assert not signed_in(browser)
    unknown = app.test_cli_runner().invoke(args=["accounts", "deactivate", "khong@test.example"])
    assert unknown.exit_code == 1
