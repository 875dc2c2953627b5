"""Accounts: self-registration of candidates, signing in and out, the login rate limit, and
people holding several roles."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from exam import create_app
from exam.accounts.models import Role, RoleGrant, User
from exam.accounts.operations import authenticate, create_user, grant_role
from exam.accounts.permissions import is_board, is_candidate
from exam.audit.models import AuditEntry
from exam.core.errors import ValidationFailed
from exam.extensions import db, limiter
from exam.notices.models import NoticeKind, OutboxMessage
from tests.conftest import IsolatedClient, login
from tests.factories import PASSWORD

GOOD_PASSWORD = "mat-khau-du-dai-2026"
WRONG_CREDENTIALS = "Email hoặc mật khẩu không đúng."


def registration(**overrides: str) -> dict[str, str]:
    data = {
        "full_name": "Nguyễn Thị Hoa",
        "email": "hoa.nguyen@test.example",
        "password": GOOD_PASSWORD,
        "confirm": GOOD_PASSWORD,
    }
    data.update(overrides)
    return data


def users_with_email(email: str) -> list[User]:
    db.session.expire_all()
    return list(
        db.session.scalars(sa.select(User).where(sa.func.lower(User.email) == email.lower()))
    )


def field_errors(html: str, field: str) -> list[str]:
    """The messages shown right next to ``field`` (the form macro's ``<field>-error``)."""
    return re.findall(rf'<div id="{field}-error" class="field-error">([^<]*)</div>', html)


def signed_in_user_id(client: FlaskClient) -> str | None:
    """The account the session names ("<id>:<session token>"), as its id."""
    with client.session_transaction() as session:
        value = session.get("_user_id")
    return value.partition(":")[0] if value else None


def user_count() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count(User.id)))


# --- Registration ---------------------------------------------------------------------------


def test_registration_creates_a_candidate_with_an_argon2_hash_who_then_signs_in(client):
    response = client.post(
        "/register",
        data=registration(full_name="  Nguyễn   Thị  Hoa ", email=" Hoa.Nguyen@Test.Example "),
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/register/done"
    assert signed_in_user_id(client) is None  # signing in tells the new account apart
    [user] = users_with_email("hoa.nguyen@test.example")
    assert user.email == "hoa.nguyen@test.example"  # stored in lower case
    assert user.full_name == "Nguyễn Thị Hoa"  # spaces tidied
    assert user.roles == {Role.CANDIDATE}
    assert user.active
    assert user.password_hash.startswith("$argon2id$")
    assert GOOD_PASSWORD not in user.password_hash
    assert PasswordHasher().verify(user.password_hash, GOOD_PASSWORD)

    done = client.get("/register/done").get_data(as_text=True)
    assert "Đã nhận đăng ký." in done
    assert "bạn đăng nhập ngay bằng email và mật khẩu vừa đặt" in done
    client.post("/login", data={"email": "hoa.nguyen@test.example", "password": GOOD_PASSWORD})
    assert signed_in_user_id(client) == str(user.id)
    page = client.get("/").get_data(as_text=True)
    assert "Nguyễn Thị Hoa" in page
    assert "Đăng xuất" in page


def test_registration_cannot_ask_for_another_role(client):
    response = client.post("/register", data={**registration(), "role": "board_admin"})

    assert response.status_code == 302
    [user] = users_with_email("hoa.nguyen@test.example")
    assert user.roles == {Role.CANDIDATE}
    assert not is_board(user)


def test_registration_is_audited_as_the_system(client):
    client.post("/register", data=registration())

    [user] = users_with_email("hoa.nguyen@test.example")
    entry = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.action == "account.create", AuditEntry.object_id == str(user.id)
        )
    ).one()
    assert entry.actor_id is None
    assert entry.actor_label == "system"
    assert entry.after["roles"] == ["candidate"]
    assert "password" not in str(entry.after)
    assert GOOD_PASSWORD not in str(entry.after)


def scrub_tokens(html: str) -> str:
    """The page without its field values and CSRF token (which differ by design)."""
    return re.sub(r'(value|content)="[^"]*"', r'\1=""', html)


def outbox_to(email: str) -> list[OutboxMessage]:
    db.session.expire_all()
    query = sa.select(OutboxMessage).where(OutboxMessage.recipient == email)
    return list(db.session.scalars(query))


@pytest.mark.parametrize(
    "email", ["hoa.nguyen@test.example", "HOA.NGUYEN@TEST.EXAMPLE", " Hoa.Nguyen@test.example "]
)
def test_an_email_already_registered_gets_the_same_answer_and_its_owner_an_email(
    app, client, make, email
):
    existing = make.user(Role.CANDIDATE, email="hoa.nguyen@test.example")
    db.session.commit()

    newcomer = app.test_client()
    response = client.post("/register", data=registration(email=email, full_name="Người Khác"))
    fresh = newcomer.post(
        "/register", data=registration(email="moi.tinh@test.example", full_name="Người Khác")
    )

    # Nothing in the answer tells the two apart: same status, same page, same message.
    assert response.status_code == fresh.status_code == 302
    assert response.headers["Location"] == fresh.headers["Location"] == "/register/done"
    html = client.get("/register/done").get_data(as_text=True)
    assert "đã được đăng ký" not in html
    assert scrub_tokens(html) == scrub_tokens(newcomer.get("/register/done").get_data(as_text=True))
    [only] = users_with_email("hoa.nguyen@test.example")
    assert only.id == existing.id
    assert only.full_name != "Người Khác"
    assert signed_in_user_id(client) is None
    # The owner is told by e-mail instead (through the outbox), once per attempt.
    [notice] = outbox_to("hoa.nguyen@test.example")
    assert notice.kind == NoticeKind.HAS_ACCOUNT
    assert "đã có tài khoản" in notice.body
    assert "Quên mật khẩu" in notice.body
    assert outbox_to("moi.tinh@test.example") == []


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"password": "123456789", "confirm": "123456789"},
            "password",
            "Mật khẩu cần ít nhất 10 ký tự.",
        ),
        ({"confirm": GOOD_PASSWORD + "x"}, "confirm", "Hai mật khẩu không khớp."),
        ({"email": "khong-phai-email"}, "email", "Địa chỉ email không hợp lệ."),
        ({"email": "hoa@"}, "email", "Địa chỉ email không hợp lệ."),
        ({"full_name": "   "}, "full_name", "Vui lòng điền mục này."),
        ({"email": ""}, "email", "Vui lòng điền mục này."),
        ({"password": "", "confirm": ""}, "password", "Vui lòng điền mục này."),
    ],
)
def test_bad_registrations_are_refused_next_to_the_field(client, overrides, field, message):
    before = user_count()

    response = client.post("/register", data=registration(**overrides), follow_redirects=True)

    assert response.status_code == 200
    assert message in field_errors(response.get_data(as_text=True), field)
    assert user_count() == before
    assert signed_in_user_id(client) is None


def test_a_password_of_exactly_ten_characters_is_enough(client):
    response = client.post(
        "/register", data=registration(password="ve-hoa-sen", confirm="ve-hoa-sen")
    )

    assert response.status_code == 302
    assert len(users_with_email("hoa.nguyen@test.example")) == 1


def test_a_signed_in_person_is_not_offered_registration(client, make):
    user = make.user(Role.CANDIDATE)
    db.session.commit()
    login(client, user)
    before = user_count()

    response = client.post("/register", data=registration())

    assert response.status_code == 302
    assert user_count() == before


def test_create_user_refuses_the_same_reasons_without_a_form(make):
    make.user(Role.CANDIDATE, email="dung@test.example")

    with pytest.raises(ValidationFailed) as refused:
        create_user("DUNG@test.example", " ", "short", {Role.CANDIDATE}, actor=None)

    fields = {field for field, _ in refused.value.reasons}
    assert fields == {"email", "full_name", "password"}


# --- Signing in and out ---------------------------------------------------------------------


def test_login_with_the_right_password_signs_in_and_records_the_time(client, make, now):
    user = make.user(Role.CANDIDATE, email="binh@test.example")
    db.session.commit()
    assert user.last_login_at is None

    with time_machine.travel(now, tick=False):
        response = client.post(
            "/login", data={"email": "  BINH@Test.Example", "password": PASSWORD}
        )
        assert signed_in_user_id(client) == str(user.id)  # the cookie is dated `now`
        assert "Đăng nhập thành công." in client.get("/").get_data(as_text=True)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    db.session.expire_all()
    assert db.session.get(User, user.id).last_login_at == now


def test_login_follows_a_local_next_page(client, make):
    make.user(Role.CANDIDATE, email="binh@test.example")
    db.session.commit()

    response = client.post(
        "/login?next=/rounds/", data={"email": "binh@test.example", "password": PASSWORD}
    )

    assert response.headers["Location"] == "/rounds/"


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("binh@test.example", PASSWORD + "!"),
        ("binh@test.example", PASSWORD.upper()),
        ("chua-co@test.example", PASSWORD),
        ("binh@test.example", ""),
    ],
)
def test_login_failures_say_the_same_thing_whatever_was_wrong(client, make, email, password):
    make.user(Role.CANDIDATE, email="binh@test.example")
    db.session.commit()

    response = client.post(
        "/login", data={"email": email, "password": password}, follow_redirects=True
    )

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    if password:
        assert WRONG_CREDENTIALS in html
    else:
        assert field_errors(html, "password") == ["Vui lòng điền mục này."]
    assert "Địa chỉ email này" not in html  # nothing tells whether the account exists
    assert signed_in_user_id(client) is None


def test_unknown_email_and_wrong_password_give_identical_pages(client, make):
    make.user(Role.CANDIDATE, email="binh@test.example")
    db.session.commit()

    wrong_password = client.post(
        "/login", data={"email": "binh@test.example", "password": "sai-mat-khau-roi"}
    ).get_data(as_text=True)
    unknown = client.post(
        "/login", data={"email": "khong-ai@test.example", "password": "sai-mat-khau-roi"}
    ).get_data(as_text=True)

    def scrub(html: str) -> str:
        # Field values differ by design, and the CSRF token (a value, and the page's
        # csrf-token meta) carries a timestamp that changes when the two requests fall in
        # different seconds.
        return re.sub(r'(value|content)="[^"]*"', r'\1=""', html)

    assert scrub(wrong_password) == scrub(unknown)


def test_a_deactivated_account_cannot_sign_in(client, make):
    user = make.user(Role.BOARD_ADMIN, email="nghi-huu@test.example")
    user.active = False
    db.session.commit()

    response = client.post(
        "/login",
        data={"email": "nghi-huu@test.example", "password": PASSWORD},
        follow_redirects=True,
    )

    assert response.status_code == 200
    assert WRONG_CREDENTIALS in response.get_data(as_text=True)
    assert signed_in_user_id(client) is None
    assert authenticate("nghi-huu@test.example", PASSWORD) is None


def test_authenticate_is_case_insensitive_and_rejects_a_wrong_password(make):
    user = make.user(Role.CANDIDATE, email="chi@test.example")

    assert authenticate("CHI@TEST.EXAMPLE", PASSWORD) is user
    assert authenticate("chi@test.example", PASSWORD[:-1]) is None


def test_logout_is_refused_by_get(client, make):
    user = make.user(Role.CANDIDATE)
    db.session.commit()
    login(client, user)

    response = client.get("/logout")

    assert response.status_code == 405
    assert "Thao tác không được hỗ trợ." in response.get_data(as_text=True)
    assert signed_in_user_id(client) == str(user.id)


def test_logout_by_post_signs_out(client, make):
    user = make.user(Role.CANDIDATE)
    db.session.commit()
    login(client, user)

    response = client.post("/logout")

    assert response.status_code == 302
    assert signed_in_user_id(client) is None
    page = client.get("/").get_data(as_text=True)
    assert "Bạn đã đăng xuất." in page
    assert user.full_name not in page


def test_logout_needs_a_signed_in_user(client):
    response = client.post("/logout")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


# --- Login rate limit -----------------------------------------------------------------------


@contextlib.contextmanager
def rate_limited_app(**overrides: Any) -> Iterator[Flask]:
    """A second app with rate limiting on. The limiter is a module-level extension: building
    this app switches it on for every app, so it is switched back off and emptied after."""
    was_enabled = limiter.enabled
    limited = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "WTF_CSRF_ENABLED": False,
            "LOGIN_RATE_LIMIT": "3 per minute",
            "LOGIN_RATE_LIMIT_PER_ADDRESS": "100 per minute",
            "PASSWORD_HASH_CHEAP": True,
            "SECRET_KEY": "x",
            **overrides,
        }
    )
    limited.test_client_class = IsolatedClient
    try:
        limiter.reset()
        yield limited
    finally:
        limiter.reset()
        limiter.enabled = was_enabled


def test_login_attempts_are_limited_per_account_and_address(client, make):
    make.user(Role.CANDIDATE, email="giang@test.example")
    make.user(Role.CANDIDATE, email="lan@test.example")
    db.session.commit()  # requests of the second app use the same test database session
    wrong = {"email": "giang@test.example", "password": "doan-mo-mat-khau"}
    right = {"email": "giang@test.example", "password": PASSWORD}

    with rate_limited_app() as limited:
        attacker = limited.test_client()
        for _ in range(3):
            response = attacker.post("/login", data=wrong, follow_redirects=True)
            assert response.status_code == 200
            assert WRONG_CREDENTIALS in response.get_data(as_text=True)

        blocked = attacker.post("/login", data=right)
        assert blocked.status_code == 429
        assert "Bạn đã thử quá nhiều lần. Vui lòng đợi một phút rồi thử lại." in blocked.get_data(
            as_text=True
        )
        assert signed_in_user_id(attacker) is None  # even the right password is not tried
        assert attacker.get("/login").status_code == 200  # only attempts (POST) are counted

        elsewhere = limited.test_client()
        response = elsewhere.post("/login", data=right, environ_base={"REMOTE_ADDR": "10.1.2.3"})
        assert response.status_code == 302
        assert signed_in_user_id(elsewhere) is not None

        # Another candidate at the same address (an exam site behind one NAT) still signs in.
        neighbour = limited.test_client()
        response = neighbour.post(
            "/login", data={"email": "lan@test.example", "password": PASSWORD}
        )
        assert response.status_code == 302
        assert signed_in_user_id(neighbour) is not None

    # Switched back off: the session-wide app (no limit in testing) is not limited.
    for _ in range(5):
        assert client.post("/login", data=wrong).status_code == 303  # refused, not limited


def test_login_attempts_from_one_address_are_limited_in_all(make):
    for n in range(4):
        make.user(Role.CANDIDATE, email=f"thi-sinh-{n}@test.example")
    db.session.commit()

    with rate_limited_app(LOGIN_RATE_LIMIT_PER_ADDRESS="3 per minute") as limited:
        for n in range(3):  # three accounts, one attempt each: under the per-account limit
            response = limited.test_client().post(
                "/login", data={"email": f"thi-sinh-{n}@test.example", "password": PASSWORD}
            )
            assert response.status_code == 302
        fourth = limited.test_client()
        response = fourth.post(
            "/login", data={"email": "thi-sinh-3@test.example", "password": PASSWORD}
        )
        assert response.status_code == 429
        assert signed_in_user_id(fourth) is None


@pytest.mark.parametrize(("proxies", "separate"), [(0, False), (1, True)])
def test_the_address_behind_a_proxy_counts_only_when_the_proxy_is_declared(make, proxies, separate):
    """Behind nginx (PROXY_COUNT=1) each client has its own count; without the setting, a
    forged X-Forwarded-For header gains nothing."""
    make.user(Role.CANDIDATE, email="hoa@test.example")
    db.session.commit()
    wrong = {"email": "hoa@test.example", "password": "doan-mo-mat-khau"}

    with rate_limited_app(PROXY_COUNT=proxies) as limited:
        for _ in range(3):
            response = limited.test_client().post(
                "/login", data=wrong, headers={"X-Forwarded-For": "10.0.0.1"}, follow_redirects=True
            )
            assert response.status_code == 200
        other_client = limited.test_client().post(
            "/login", data=wrong, headers={"X-Forwarded-For": "10.0.0.2"}
        )
    assert other_client.status_code == (303 if separate else 429)  # refused, or limited


# --- Roles ----------------------------------------------------------------------------------


def test_one_person_may_hold_several_roles(make):
    board = make.user(Role.BOARD_ADMIN)
    person = make.user(Role.CANDIDATE)

    grant_role(person, Role.PANEL_MEMBER, actor=board)
    grant_role(person, Role.SUPERVISOR, actor=board)
    db.session.commit()
    db.session.expire_all()

    person = db.session.get(User, person.id)
    assert person.roles == {Role.CANDIDATE, Role.PANEL_MEMBER, Role.SUPERVISOR}
    assert is_candidate(person)
    assert person.has_role(Role.PANEL_MEMBER)
    assert person.has_role(Role.SUPERVISOR)
    assert not is_board(person)
    grants = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.action == "account.grant_role", AuditEntry.object_id == str(person.id)
        )
    ).all()
    assert sorted(g.after["role"] for g in grants) == ["panel_member", "supervisor"]
    assert {g.actor_id for g in grants} == {board.id}


def test_granting_a_role_already_held_changes_nothing(make):
    board = make.user(Role.BOARD_ADMIN)
    person = make.user(Role.CANDIDATE)
    entries_before = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))

    grant_role(person, Role.CANDIDATE, actor=board)
    db.session.flush()

    assert len(person.role_grants) == 1
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == entries_before


def test_create_user_with_several_roles(make):
    user = create_user(
        "nhieu-vai@test.example",
        "Phạm Văn Nhiều",
        GOOD_PASSWORD,
        {Role.BOARD_ADMIN, Role.QUESTION_AUTHOR},
        actor=None,
    )
    db.session.flush()

    assert user.roles == {Role.BOARD_ADMIN, Role.QUESTION_AUTHOR}
    assert user.has_role(Role.QUESTION_AUTHOR, Role.CANDIDATE)
    assert not user.has_role(Role.CANDIDATE)


def test_the_same_role_cannot_be_granted_twice_in_the_database(make):
    person = make.user(Role.CANDIDATE)
    db.session.commit()

    savepoint = db.session.begin_nested()
    db.session.add(RoleGrant(user_id=person.id, role=Role.CANDIDATE))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    savepoint.rollback()

    db.session.expire_all()
    assert (
        db.session.scalar(
            sa.select(sa.func.count(RoleGrant.id)).where(RoleGrant.user_id == person.id)
        )
        == 1
    )


def test_a_deactivated_person_is_not_active_for_flask_login(make):
    user = make.user(Role.CANDIDATE)
    assert user.is_active
    user.active = False
    assert not user.is_active


def test_last_login_is_stored_as_aware_utc(make, now):
    user = make.user(Role.CANDIDATE, email="ha@test.example")
    with time_machine.travel(now, tick=False):
        authenticate("ha@test.example", PASSWORD)
    db.session.commit()
    db.session.expire_all()

    stored = db.session.get(User, user.id).last_login_at
    assert stored == now
    assert stored.utcoffset() == dt.timedelta(0)


def test_a_refused_sign_in_says_sign_in_failed_not_unsaved(client, make):
    make.user(Role.CANDIDATE, email="chi@test.example")
    db.session.commit()
    page = client.post(
        "/login",
        data={"email": "chi@test.example", "password": "sai-mat-khau-roi"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Chưa đăng nhập được: vui lòng kiểm tra lại" in page
    assert "Chưa lưu được" not in page


def test_sign_in_and_registration_fields_say_what_they_are_for_autofill(client):
    login_page = client.get("/login").get_data(as_text=True)
    assert 'autocomplete="username"' in login_page
    assert 'autocomplete="current-password"' in login_page
    register = client.get("/register").get_data(as_text=True)
    for purpose in ("name", "email", "new-password"):
        assert f'autocomplete="{purpose}"' in register
