"""The password rule (NIST SP 800-63B, issue 10 item 7): common, repetitive, sequential and
keyboard passwords are refused, and so is one made of the account's own e-mail or name, each
with its reason in Vietnamese; registration is limited per address."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from exam.accounts.models import Role, User
from exam.accounts.operations import create_user
from exam.accounts.passwords import password_problems
from exam.core.errors import ValidationFailed
from exam.extensions import db
from tests.accounts.test_accounts import field_errors, rate_limited_app, registration

EMAIL, NAME = "hoa.nguyen@test.example", "Nguyễn Thị Hoa"
COMMON = "Mật khẩu này quá phổ biến, thường bị dò đầu tiên. Vui lòng chọn mật khẩu khác."
REPEATED = "Mật khẩu lặp lại một ký tự hoặc một cụm (như aaaa, abcabc). Vui lòng chọn khác."
SEQUENCE = "Mật khẩu là một dãy liên tiếp (như 123456, abcdef). Vui lòng chọn khác."
KEYBOARD = "Mật khẩu là các phím liền nhau trên bàn phím. Vui lòng chọn khác."
OWN_WORDS = "Mật khẩu không được chứa địa chỉ email hay họ tên của bạn."
TOO_SHORT = "Mật khẩu cần ít nhất 10 ký tự."


def problems(password: str) -> list[str]:
    return [str(message) for message in password_problems(password, email=EMAIL, full_name=NAME)]


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("aaaaaaaaaa", REPEATED),
        ("1111111111", REPEATED),
        ("abcabcabcabc", REPEATED),
        ("1234567890", COMMON),
        ("0987654321", COMMON),
        ("qwertyuiop", COMMON),
        ("password1234", COMMON),
        ("iloveyou12", COMMON),
        ("abcdefghijk", SEQUENCE),
        ("zxcvbnm,./", KEYBOARD),
        ("nguyenthihoa", OWN_WORDS),
        ("Nguyễn Thị Hoa 2026", OWN_WORDS),
        ("NGUYEN.THI.HOA!", OWN_WORDS),
        ("hoanguyen99x", OWN_WORDS),  # the part before @
        ("hoa.nguyen@test.example", OWN_WORDS),
        ("hoa-nguyen-thi", OWN_WORDS),  # the name, given name first
        ("123456789", TOO_SHORT),
    ],
)
def test_weak_passwords_are_refused_with_their_reason(app, password, reason):
    with app.test_request_context():
        assert problems(password) == [reason]


@pytest.mark.parametrize(
    "password",
    [
        "ve-hoa-sen",  # ten characters, no pattern: enough
        "mat-khau-du-dai-2026",
        "hoa sen no tren ho tay",
        "Thituyen2026",
        "trangthanhmai",
        "tK9#vQ2!mZ",
    ],
)
def test_ordinary_good_passwords_are_accepted(app, password):
    with app.test_request_context():
        assert problems(password) == []


def test_a_very_long_password_is_judged_quickly_and_accepted(app):
    with app.test_request_context():
        assert problems("hoa sen no tren ho tay vao mua he " * 300) == []


def test_registration_shows_the_reason_next_to_the_password(client):
    before = db.session.scalar(sa.select(sa.func.count(User.id)))

    response = client.post(
        "/register",
        data=registration(password="1234567890", confirm="1234567890"),
        follow_redirects=True,
    )

    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), "password") == [COMMON]
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == before


def test_a_weak_password_is_refused_the_same_way_for_an_address_with_an_account(client, make):
    """The password is judged before anything about the address: no difference to read."""
    make.user(Role.CANDIDATE, email=EMAIL)
    db.session.commit()

    response = client.post(
        "/register",
        data=registration(email=EMAIL, password="aaaaaaaaaa", confirm="aaaaaaaaaa"),
        follow_redirects=True,
    )

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert field_errors(html, "password") == [REPEATED]
    assert field_errors(html, "email") == []


def test_accounts_made_by_the_board_follow_the_same_rule(make):
    with pytest.raises(ValidationFailed) as refused:
        create_user(
            "can-bo@test.example", "Trần Văn Bình", "tranvanbinh1", {Role.SUPERVISOR}, actor=None
        )

    assert refused.value.reasons == [("password", OWN_WORDS)]


def test_registration_is_limited_per_address_named_and_per_client_address(make):
    make.user(Role.CANDIDATE, email=EMAIL)
    db.session.commit()

    with rate_limited_app(REGISTER_RATE_LIMIT="2 per hour") as limited:
        for _ in range(2):
            response = limited.test_client().post("/register", data=registration(email=EMAIL))
            assert response.status_code == 302
        blocked = limited.test_client().post(
            "/register", data=registration(email=EMAIL), environ_base={"REMOTE_ADDR": "10.9.8.7"}
        )
        assert blocked.status_code == 429  # from anywhere: the owner's mailbox is spared
        other = limited.test_client().post(
            "/register", data=registration(email="nguoi-khac@test.example")
        )
        assert other.status_code == 302

    with rate_limited_app(REGISTER_RATE_LIMIT_PER_ADDRESS="2 per hour") as limited:
        for n in range(2):
            response = limited.test_client().post(
                "/register", data=registration(email=f"dia-chi-{n}@test.example")
            )
            assert response.status_code == 302
        blocked = limited.test_client().post(
            "/register", data=registration(email="dia-chi-3@test.example")
        )
        assert blocked.status_code == 429
        assert limited.test_client().get("/register").status_code == 200  # only attempts count
