"""Actions that cannot be undone ask first, in the browser: dismissing the question sends
nothing; agreeing sends the form."""

from __future__ import annotations

import datetime as dt

import pytest

from exam.accounts.models import Role
from exam.core.db import utcnow
from exam.extensions import db
from exam.rounds.models import Round, RoundStatus
from tests.factories import PASSWORD, Factories

pytestmark = pytest.mark.browser


def _sign_in(page, live_server, user) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_text("Đăng nhập thành công.").wait_for()


def test_moving_a_round_on_asks_first(page, live_server, live_db, live_app):
    board = Factories.user(Role.BOARD_ADMIN)
    now = utcnow()
    round_ = Factories.round(
        board=board,
        opens_at=now - dt.timedelta(days=30),
        closes_at=now - dt.timedelta(days=1),
    )
    live_db.commit()
    _sign_in(page, live_server, board)
    page.goto(f"{live_server}/rounds/{round_.id}")
    button = page.get_by_role("button", name="Chuyển sang: Đã hết hạn nhận hồ sơ")

    questions: list[str] = []

    def dismiss(dialog) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    button.click()
    assert questions == [
        "Chuyển kỳ thi sang giai đoạn «Đã hết hạn nhận hồ sơ»? Không thể quay lại giai đoạn trước."
    ]
    with live_app.app_context():
        assert db.session.get(Round, round_.id).status == RoundStatus.REGISTRATION_OPEN
        db.session.remove()

    page.once("dialog", lambda dialog: dialog.accept())
    button.click()
    page.get_by_text("Đã chuyển giai đoạn.").wait_for()
    with live_app.app_context():
        assert db.session.get(Round, round_.id).status == RoundStatus.REGISTRATION_CLOSED
        db.session.remove()
