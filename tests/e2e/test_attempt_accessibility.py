"""The exam page with the keyboard alone, for a screen reader, on a tablet and at 200 % zoom."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from exam.accounts.models import Role
from exam.core.db import utcnow
from exam.exams.models import Attempt, AttemptStatus
from tests.e2e.conftest import screenshot, wait_until
from tests.factories import PASSWORD, Factories

pytestmark = pytest.mark.browser


@pytest.fixture
def sitting(live_db):
    round_ = Factories.round()
    candidate = Factories.user(Role.CANDIDATE, name="Phạm Quang Huy")
    application = Factories.application(round_.positions[0], candidate)
    test = Factories.test(
        round_,
        question_count=4,
        duration_minutes=45,
        starts_at=utcnow().replace(microsecond=0) - dt.timedelta(minutes=1),
    )
    attempt = Factories.attempt(test, application)
    live_db.commit()
    return candidate, test, attempt


def start_sitting(page, live_server: str, sitting) -> None:
    """Sign the candidate in, start the paper with the session code, wait for the page."""
    candidate, test, attempt = sitting
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(candidate.email)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.goto(f"{live_server}/attempts/{attempt.id}")
    page.get_by_label("Mã ca thi").fill(test.session_code)
    page.get_by_role("button", name="Bắt đầu làm bài").click()
    page.locator("#connection[data-state='online']").wait_for()


def active(page) -> str:
    """What has the keyboard focus: its id, or its tag and name/text."""
    return page.evaluate(
        "(() => { const e = document.activeElement;"
        " return e.id || (e.tagName + ':' + (e.name || e.textContent.trim())); })()"
    )


def tab_to(page, predicate: str, limit: int = 80) -> None:
    """Press Tab until ``predicate`` (JS, on document.activeElement as ``e``) holds."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(e => {predicate})(document.activeElement)"):
            return
    raise AssertionError(f"never reached {predicate}; focus on {active(page)}")


def test_the_whole_sitting_with_the_keyboard_alone(page, live_server, live_db, sitting):
    candidate, test, attempt = sitting
    page.goto(f"{live_server}/login")
    tab_to(page, "e.id === 'email'")
    page.keyboard.type(candidate.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_text("Đăng nhập thành công.").wait_for()

    page.goto(f"{live_server}/attempts/{attempt.id}")
    tab_to(page, "e.id === 'session_code'")
    page.keyboard.type(test.session_code)
    page.keyboard.press("Enter")
    page.locator("#connection[data-state='online']").wait_for()

    # Question 1: Tab into the options, arrows choose (a radio group), Space on the flag.
    tab_to(page, "e.name && e.name.startsWith('q-') && e.closest('#q1')")
    page.keyboard.press("ArrowDown")  # moves to and selects option B
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.flag !== undefined")
    page.keyboard.press("Space")
    wait_until(page, "document.getElementById('answered-count').textContent === '1'")
    nav = page.locator("[data-nav]").first
    assert "đã trả lời, đánh dấu xem lại" in nav.inner_text()  # said, not only coloured

    # The list of questions takes the focus to the question chosen.
    tab_to(page, "e.dataset.nav !== undefined && e.textContent.trim().startsWith('3')", 120)
    page.keyboard.press("Enter")
    assert active(page) == "q3"  # at once: a focus that comes later would undo the next Tab
    tab_to(page, "e.name && e.name.startsWith('q-') && e.closest('#q3')")
    page.keyboard.press("Space")  # the first option of question 3
    assert page.evaluate(
        "document.activeElement.checked && !!document.activeElement.closest('#q3')"
    )
    wait_until(page, "document.getElementById('answered-count').textContent === '2'")
    page.locator("#connection[data-state='online']").wait_for()

    page.once("dialog", lambda dialog: dialog.accept())
    tab_to(page, "e.type === 'submit' && e.textContent.includes('Nộp bài')", 120)
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Kết quả bài thi").wait_for()
    live_db.rollback()
    stored = live_db.get(Attempt, attempt.id)
    assert stored.status == AttemptStatus.SUBMITTED
    assert stored.score == 1.0  # B wrong on question 1, A right on question 3


def test_what_a_screen_reader_is_given(page, live_server, sitting):
    _, test, _ = sitting
    start_sitting(page, live_server, sitting)
    report = page.evaluate(
        """() => ({
        unlabelled: [...document.querySelectorAll('#paper input')]
            .filter(i => !i.labels.length).length,
        groups: document.querySelectorAll('#paper fieldset.question > legend').length,
        described: [...document.querySelectorAll('#paper fieldset.question')].every(
            f => document.getElementById(f.getAttribute('aria-describedby'))),
        timerLive: document.getElementById('timer-live').getAttribute('aria-live'),
        connectionRole: document.getElementById('connection').getAttribute('role'),
        navLabel: document.querySelector('nav.question-nav').getAttribute('aria-label'),
        heading: document.querySelector('h1').textContent.trim(),
        })"""
    )
    assert report == {
        "unlabelled": 0,
        "groups": 4,
        "described": True,
        "timerLive": "polite",
        "connectionRole": "status",
        "navLabel": "Danh sách câu hỏi",
        "heading": test.title,
    }
    assert page.get_by_role("radio", name="A. Phương án A", exact=False).count() == 4


@pytest.mark.parametrize(
    ("name", "viewport", "scale"),
    [
        ("tablet-768", {"width": 768, "height": 1024}, 1),
        ("zoom-200", {"width": 640, "height": 450}, 2),
    ],
)
def test_a_tablet_and_200_percent_zoom_need_no_sideways_scrolling(
    browser, live_server, sitting, name, viewport, scale
):
    """200 % zoom of a 1280-pixel window leaves 640 CSS pixels: the layout must reflow."""
    candidate, test, attempt = sitting
    context = browser.new_context(locale="vi-VN", viewport=viewport, device_scale_factor=scale)
    try:
        page = context.new_page()
        page.goto(f"{live_server}/login")
        page.get_by_label("Email").fill(candidate.email)
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        page.goto(f"{live_server}/attempts/{attempt.id}")
        page.get_by_label("Mã ca thi").fill(test.session_code)
        page.get_by_role("button", name="Bắt đầu làm bài").click()
        page.locator("#connection[data-state='online']").wait_for()
        page.locator("#q2 label.form-check-label").first.click()
        wait_until(page, "document.getElementById('answered-count').textContent === '1'")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        assert page.locator("#timer").is_visible()
        box = page.locator("#q1").bounding_box()
        assert box["width"] <= viewport["width"]
        screenshot(page, f"attempt-{name}")
    finally:
        context.close()


def test_the_start_page_errors_are_announced(page, live_server, live_db, sitting):
    candidate, _, attempt = sitting
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(candidate.email)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.goto(f"{live_server}/attempts/{attempt.id}")
    page.get_by_label("Mã ca thi").fill("SAI-MA")
    page.get_by_role("button", name="Bắt đầu làm bài").click()
    summary = page.get_by_role("alert")
    assert "Mã ca thi không đúng." in summary.inner_text()
    assert page.get_by_label("Mã ca thi").get_attribute("aria-describedby").endswith("-error")
    live_db.rollback()
    assert live_db.scalar(sa.select(Attempt.status).where(Attempt.id == attempt.id)) == (
        AttemptStatus.READY
    )
    screenshot(page, "attempt-start-error")


# The relative luminance contrast of WCAG 2.x, computed in the page from the browser's own
# computed colours.
_CONTRAST_JS = """
(selector) => {
  const channel = (c) => {
    c /= 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = (rgb) => {
    const [r, g, b] = rgb.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  const control = document.querySelector(selector);
  const border = luminance(getComputedStyle(control).borderTopColor);
  const page = luminance(getComputedStyle(document.body).backgroundColor);
  const [hi, lo] = border > page ? [border, page] : [page, border];
  return (hi + 0.05) / (lo + 0.05);
}
"""


def test_radio_buttons_stand_out_against_the_page(page, live_server, sitting):
    """WCAG 1.4.11: the boundary of a control needs 3:1 against what surrounds it."""

    start_sitting(page, live_server, sitting)
    ratio = page.evaluate(_CONTRAST_JS, "#q1 input.form-check-input")
    assert ratio >= 3


def test_an_answered_and_flagged_question_still_looks_answered(page, live_server, sitting):

    start_sitting(page, live_server, sitting)
    for number in (1, 2):
        page.locator(f"#q{number} label.form-check-label").first.click()
    page.locator("#q1 input[data-flag]").check()
    page.locator("#q3 input[data-flag]").check()
    wait_until(page, "document.getElementById('answered-count').textContent === '2'")

    def look(number: int) -> dict:
        return page.evaluate(
            "(n) => { const a = document.querySelector(`.question-nav a[href='#q${n}']`);"
            " const s = getComputedStyle(a), mark = getComputedStyle(a, '::after');"
            " return {fill: s.backgroundColor, mark: mark.content !== 'none'"
            " && mark.display !== 'none'}; }",
            number,
        )

    answered_flagged, answered, unanswered_flagged, plain = (look(n) for n in (1, 2, 3, 4))
    assert answered_flagged["fill"] == answered["fill"] != plain["fill"]
    assert unanswered_flagged["fill"] == plain["fill"]
    assert answered_flagged["mark"]
    assert unanswered_flagged["mark"]
    assert not answered["mark"]
    assert not plain["mark"]
    screenshot(page, "attempt-flagged-grid")
