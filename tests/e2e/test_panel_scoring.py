"""A three-member interview panel scores one candidate in a real browser, on a tablet-sized
screen (820 x 1180) and with the keyboard (issue 15 items 3, 5, 9): each member declares no
relation, writes the sheet per criterion (the draft saved as they type), seals it; nobody
reads the panel's sheets before the third seal, then the head sees them and the score."""

from __future__ import annotations

import re
from contextlib import contextmanager
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from exam.accounts.models import Role
from exam.extensions import db
from exam.panels.models import ScoreSheet
from exam.panels.operations import DEFAULT_CRITERIA, set_guide
from exam.rounds.models import RoundStatus
from tests.e2e.conftest import screenshot, wait_until
from tests.factories import PASSWORD, Factories

pytestmark = pytest.mark.browser

TABLET = {"width": 820, "height": 1180}
CRITERIA = [str(title) for title, _, _ in DEFAULT_CRITERIA]


@contextmanager
def _signed_in(browser, live_server, user):
    context = browser.new_context(locale="vi-VN", viewport=TABLET, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_text("Đăng nhập thành công.").wait_for()
    try:
        yield page
    finally:
        context.close()


def _score(browser, live_server, member, panel_id: int, name: str, points: list[str], shot=None):
    with _signed_in(browser, live_server, member) as page:
        page.goto(f"{live_server}/panels/{panel_id}")
        page.get_by_role("link", name="Kê khai").first.click()
        page.get_by_label(name, exact=False).select_option("none")
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Ghi bản kê khai").click()
        page.get_by_text("Đã ghi bản kê khai.").wait_for()
        page.get_by_role("link", name="Chấm điểm").click()
        # What a screen reader announces: the group's legend, each field's name and its
        # maximum with the guide's descriptor.
        group = page.get_by_role("group", name="Điểm theo tiêu chí của hướng dẫn chấm")
        first = group.get_by_role("textbox", name=CRITERIA[0])
        expect(first).to_have_accessible_description(
            re.compile(r"Tối đa 20 điểm\. " + re.escape(str(DEFAULT_CRITERIA[0][2])))
        )
        # The keyboard alone: type each criterion's points, Tab to the next field.
        page.get_by_label(CRITERIA[0]).focus()
        for value in points:
            page.keyboard.type(value)
            page.keyboard.press("Tab")
            focused = page.evaluate("document.activeElement.name || ''")
            if focused.startswith("criterion_") or focused == "comment":
                continue
            page.keyboard.press("Tab")
        wait_until(page, "document.getElementById('sheet-status').textContent.includes('lưu nháp')")
        total = sum(Decimal(p.replace(",", ".")) for p in points)
        shown = page.locator("#sheet-total").inner_text()
        assert shown == f"{total:.2f}".replace(".", ",")
        if shot:
            screenshot(page, shot)
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Niêm phong phiếu chấm").focus()
        page.keyboard.press("Enter")
        page.get_by_text("Đã niêm phong phiếu chấm.").wait_for()


def test_three_members_score_one_candidate_on_a_tablet(browser, live_server, live_db):
    make = Factories
    round_ = make.round()
    position = round_.positions[0]
    panel = make.panel(position, members=3)
    candidate = make.user(Role.CANDIDATE, name="Lê Thị Đề Án")
    application = make.application(position, candidate)
    set_guide(
        round_, [(str(t), m, str(d)) for t, m, d in DEFAULT_CRITERIA], actor=panel.members[0].user
    )
    make.stage(round_, RoundStatus.INTERVIEWS)
    live_db.commit()
    panel_id, application_id = panel.id, application.id
    head, second, third = (m.user for m in panel.members)
    sheets_url = f"{live_server}/panels/{panel_id}/applications/{application_id}/sheets"

    _score(
        browser, live_server, head, panel_id, candidate.full_name, ["16", "24", "15", "12", "12"]
    )
    _score(
        browser,
        live_server,
        second,
        panel_id,
        candidate.full_name,
        ["15,5", "25", "16", "11", "12"],
        shot="panel-sheet-tablet",
    )
    with _signed_in(browser, live_server, head) as page:
        assert page.goto(sheets_url).status == 404  # the third has not sealed: not even the head
    _score(
        browser, live_server, third, panel_id, candidate.full_name, ["17", "26", "14", "12", "13"]
    )

    with _signed_in(browser, live_server, head) as page:
        assert page.goto(sheets_url).status == 200
        score = page.locator("p", has_text="Điểm của ban").inner_text()
        assert "80,17" in score  # (79 + 79.5 + 82) / 3 = 80.1666… → 80.17, half up
        screenshot(page, "panel-sheets-tablet")
    db.session.rollback()
    totals = sorted(s.score for s in db.session.query(ScoreSheet).all())
    assert totals == [Decimal("79.00"), Decimal("79.50"), Decimal("82.00")]
