"""Double marking in a real browser (docs/domain.md §6): two markers drawn for one script
disagree by 12 points of 100, a third marker drawn blind agrees with one of them, and the head
of marking's table shows the score the two agreeing markers give."""

from __future__ import annotations

from contextlib import contextmanager
from decimal import Decimal

import pytest

from exam.extensions import db
from exam.marking.models import MarkingSheet, Script, ScriptStatus, SettledBy
from exam.marking.operations import code_scripts, hand_over
from tests.e2e.conftest import screenshot
from tests.factories import PASSWORD, Factories
from tests.marking.conftest import AFTER, NAMES, build_essays

pytestmark = pytest.mark.browser


@contextmanager
def _signed_in(browser, live_server, user):
    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
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


def _mark_in_the_browser(browser, live_server, sheet: MarkingSheet, content: str, form: str):
    with _signed_in(browser, live_server, sheet.marker) as page:
        page.goto(f"{live_server}/rounds/{sheet.script.plan.round_id}/marking")
        page.get_by_role("link", name=sheet.script.code).click()
        html = page.content()
        assert NAMES[0] not in html  # the page names no candidate
        page.get_by_label("Nội dung").fill(content)
        page.get_by_label("Trình bày, lập luận").fill(form)
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Nộp phiếu chấm").click()
        page.get_by_text("Đã nộp phiếu chấm; phiếu đã được niêm phong.").wait_for()


def test_two_markers_twelve_apart_and_a_third_settles_it(browser, live_server, live_db):
    world = build_essays(Factories, ["Ba giải pháp: tinh gọn, số hóa, minh bạch."])
    code_scripts(world.round, actor=world.anonymiser, at=AFTER)
    hand_over(world.round, actor=world.anonymiser, at=AFTER)
    live_db.commit()
    script_id = world.script(0).id

    def sheet(turn: int) -> MarkingSheet:
        db.session.rollback()  # a new read: what the server committed since
        return next(s for s in db.session.get(Script, script_id).sheets if s.turn == turn)

    _mark_in_the_browser(browser, live_server, sheet(1), "42", "28")  # 70
    _mark_in_the_browser(browser, live_server, sheet(2), "35", "23")  # 58: 12 apart
    third = sheet(3)  # drawn blind when the second sheet came in
    assert third.marker_id not in {sheet(1).marker_id, sheet(2).marker_id}
    assert db.session.get(Script, script_id).status == ScriptStatus.THIRD_MARKER

    with _signed_in(browser, live_server, sheet(1).marker) as page:
        response = page.goto(f"{live_server}/marking/sheets/{sheet(2).id}")
        assert response.status == 404  # never the other marker's sheet

    _mark_in_the_browser(browser, live_server, third, "40", "26")  # 66: 4 from 70, 8 from 58
    db.session.rollback()
    script = db.session.get(Script, script_id)
    assert (script.status, script.final_score, script.settled_by) == (
        ScriptStatus.FINAL,
        Decimal("68.00"),
        SettledBy.PAIR,
    )

    with _signed_in(browser, live_server, world.head) as page:
        page.goto(f"{live_server}/rounds/{world.round_id}/marking/board")
        row = page.get_by_role("row").filter(has_text=script.code)
        assert "68,00" in row.inner_text()
        assert "Đã có điểm" in row.inner_text()
        assert NAMES[0] not in page.content()
        shot = screenshot(page, "essay-marking-third-marker")
    assert shot.stat().st_size > 0
