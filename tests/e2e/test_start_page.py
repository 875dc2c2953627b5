"""The start page before the session: it opens itself at the start time, by the server's
clock, without the candidate reloading it."""

from __future__ import annotations

import datetime as dt

import pytest

from exam.accounts.models import Role
from exam.core.db import utcnow
from tests.e2e.conftest import screenshot
from tests.factories import PASSWORD, Factories

pytestmark = pytest.mark.browser


def test_the_waiting_page_opens_the_session_code_at_the_start_time(page, live_server, live_db):
    round_ = Factories.round()
    candidate = Factories.user(Role.CANDIDATE, name="Đinh Thị Chờ")
    application = Factories.application(round_.positions[0], candidate)
    starts_at = utcnow().replace(microsecond=0) + dt.timedelta(seconds=15)
    test = Factories.test(round_, question_count=2, starts_at=starts_at)
    attempt = Factories.attempt(test, application)
    live_db.commit()

    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(candidate.email)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_text("Đăng nhập thành công.").wait_for()
    page.goto(f"{live_server}/attempts/{attempt.id}")
    page.get_by_text("Chưa đến giờ thi.").wait_for()
    assert page.get_by_label("Mã ca thi").count() == 0
    assert page.locator("[data-countdown]").inner_text().startswith("Còn 00:")
    screenshot(page, "attempt-waiting")
    # No reload by hand: the page reloads itself once the server's clock reaches the start.
    page.get_by_label("Mã ca thi").wait_for(timeout=30_000)
    assert utcnow() >= starts_at
