"""In the browser: after a refused form the address is the page's, and a reload posts
nothing again (Post/Redirect/Get, exam/core/views.py::refused)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_a_refused_registration_leaves_the_page_address_and_a_reload_posts_nothing(
    page, live_server
):
    base = live_server
    page.context.clear_cookies()
    page.goto(f"{base}/register")
    page.get_by_label("Họ và tên").fill("Lê Thị Thu Trang")
    page.get_by_label("Email").fill("trang.le@ungvien.example")
    page.get_by_label("Mật khẩu", exact=True).fill("mat-khau-cua-trang")
    page.get_by_label("Nhập lại mật khẩu").fill("mat-khau-khac-han")
    page.get_by_role("button", name="Đăng ký").click()

    page.locator(".field-error").first.wait_for()
    assert page.url == f"{base}/register"
    assert page.get_by_label("Họ và tên").input_value() == "Lê Thị Thu Trang"
    assert page.get_by_label("Mật khẩu", exact=True).input_value() == ""

    methods: list[str] = []
    page.on("request", lambda request: methods.append(request.method))
    page.reload()  # no "confirm form resubmission": the page was reached by a GET
    assert methods
    assert "POST" not in methods
    assert page.url == f"{base}/register"
    assert page.locator(".field-error").count() == 0
