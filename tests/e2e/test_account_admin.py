"""Account administration in a real browser: the platform administration creates a staff
account through its form; the account is listed awaiting its password and its invitation
waits in the outbox (screenshots of the form, the account and the list)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from exam.accounts.models import Role, User
from exam.notices.models import NoticeKind, OutboxMessage
from tests.e2e.conftest import screenshot
from tests.factories import PASSWORD, Factories

pytestmark = pytest.mark.browser


def _sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_text("Đăng nhập thành công.").wait_for()


def test_the_administration_creates_a_staff_account_through_the_screen(page, live_server, live_db):
    admin = Factories.user(Role.BOARD_ADMIN, name="Phạm Văn Quản")
    Factories.user(Role.PANEL_MEMBER, name="Nguyễn Thị Ánh", email="anh.nguyen@sonoivu.example")
    live_db.commit()
    base = live_server
    page.context.clear_cookies()
    _sign_in(page, base, admin.email)

    page.get_by_role("navigation", name="Điều hướng chính").get_by_role(
        "link", name="Tài khoản"
    ).click()
    page.get_by_role("link", name="Tạo tài khoản cán bộ").click()
    page.get_by_label("Họ và tên").fill("Trần Thị Thu Hà")
    page.get_by_label("Email").fill("thu.ha@sonoivu.example")
    page.get_by_label("Ban đề thi").check()
    page.get_by_label("Cán bộ coi thi").check()
    screenshot(page, "account-admin-new")
    page.get_by_role("button", name="Tạo tài khoản và gửi thư mời").click()

    page.get_by_text(
        "Đã tạo tài khoản và gửi thư mời đặt mật khẩu đến thu.ha@sonoivu.example."
    ).wait_for()
    assert page.get_by_role("heading", name="Trần Thị Thu Hà").is_visible()
    assert page.get_by_text("Chưa đặt mật khẩu", exact=True).is_visible()
    assert page.get_by_label("Ban đề thi").is_checked()
    assert not page.get_by_label("Quản trị nền tảng (cơ quan tổ chức thi tuyển)").is_checked()
    screenshot(page, "account-admin-show")

    page.get_by_role("link", name="Tài khoản", exact=True).first.click()
    page.get_by_label("Tìm theo họ tên hoặc email").fill("thu ha")  # without the marks
    page.get_by_role("button", name="Tìm").click()
    rows = page.locator("table.accounts tbody tr")
    assert rows.count() == 1
    assert "Trần Thị Thu Hà" in rows.first.inner_text()
    page.get_by_role("link", name="Bỏ lọc").click()
    screenshot(page, "account-admin-list")

    live_db.rollback()
    user = live_db.scalars(sa.select(User).where(User.email == "thu.ha@sonoivu.example")).one()
    assert user.password_hash is None
    assert user.roles == {Role.QUESTION_AUTHOR, Role.INVIGILATOR}
    [invitation] = live_db.scalars(
        sa.select(OutboxMessage).where(
            OutboxMessage.recipient == user.email, OutboxMessage.kind == NoticeKind.INVITATION
        )
    )
    assert "/invitation/" in invitation.body
