"""A round's powers come from seats on its bodies, in a real browser: a member of round A's
Council sees round A and not round B, and round B's own address answers the "not found"
page (screenshots of both)."""

from __future__ import annotations

import pytest

from exam.accounts.models import Role
from exam.council.models import BodyKind, MemberFunction
from exam.rounds.models import RoundStatus
from tests.e2e.conftest import screenshot
from tests.factories import PASSWORD, Factories

pytestmark = pytest.mark.browser


def test_a_council_member_of_round_a_sees_nothing_of_round_b(page, live_server, live_db):
    # A staff account whose role gives nothing in a round: its seat on round A's Council does.
    member = Factories.user(Role.PANEL_MEMBER, name="Đinh Văn Hội Đồng", seated=False)
    round_a = Factories.round(status=RoundStatus.DRAFT)
    round_a.name = "Kỳ thi tuyển Trưởng phòng Kế hoạch (vòng A)"
    round_b = Factories.round(status=RoundStatus.DRAFT)
    round_b.name = "Kỳ thi tuyển Giám đốc Trung tâm (vòng B)"
    Factories.seat(member, round_a, BodyKind.COUNCIL, MemberFunction.CHAIR)
    live_db.commit()
    base = live_server
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_text("Đăng nhập thành công.").wait_for()

    page.get_by_role("navigation", name="Điều hướng chính").get_by_role(
        "link", name="Kỳ thi tuyển"
    ).click()
    assert page.get_by_role("link", name=round_a.name).is_visible()
    assert page.get_by_role("link", name=round_b.name).count() == 0
    screenshot(page, "round-seats-list")

    page.get_by_role("link", name=round_a.name).click()
    page.get_by_role("heading", name=round_a.name).wait_for()
    assert page.get_by_role("link", name="Hồ sơ dự tuyển").is_visible()  # the Council's work

    response = page.goto(f"{base}/rounds/{round_b.id}")
    assert response.status == 404
    assert page.get_by_text("Không tìm thấy trang bạn yêu cầu.").is_visible()
    assert round_b.name not in page.content()
    screenshot(page, "round-seats-other-round-404")
    response = page.goto(f"{base}/rounds/{round_b.id}/applications")
    assert response.status == 404
