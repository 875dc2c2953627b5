"""A candidate sits the online test in a real browser: sign in, unlock the paper with the
session code, answer (once with the network cut), submit, see the score at once."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from exam.accounts.models import Role
from exam.core.db import utcnow
from exam.exams.models import Answer, Attempt, AttemptQuestion, AttemptStatus
from tests.e2e.conftest import screenshot, wait_until
from tests.factories import PASSWORD, Factories
from tests.helpers import paper_token

pytestmark = pytest.mark.browser


@pytest.fixture
def sitting(live_db):
    round_ = Factories.round()
    candidate = Factories.user(Role.CANDIDATE, name="Nguyễn Thị Hồng Nhung")
    application = Factories.application(round_.positions[0], candidate)
    test = Factories.test(
        round_,
        question_count=4,
        duration_minutes=30,
        starts_at=utcnow().replace(microsecond=0) - dt.timedelta(minutes=1),
    )
    attempt = Factories.attempt(test, application)
    live_db.commit()
    return candidate, test, attempt


def _sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_text("Đăng nhập thành công.").wait_for()


def _saved_answers(live_db, attempt_id: int) -> dict[int, object]:
    live_db.rollback()  # a fresh snapshot: the server wrote in its own transactions
    rows = live_db.execute(
        sa.select(AttemptQuestion.position, Answer.response)
        .join(Answer, Answer.attempt_question_id == AttemptQuestion.id)
        .where(AttemptQuestion.attempt_id == attempt_id)
    ).all()
    return dict(rows)


def test_candidate_takes_the_test_and_sees_the_score(page, live_server, live_db, sitting):
    candidate, test, attempt = sitting
    _sign_in(page, live_server, candidate.email)

    page.get_by_role("link", name=test.title).click()
    page.get_by_label("Mã ca thi").fill(test.session_code.lower())
    page.get_by_role("button", name="Bắt đầu làm bài").click()
    page.locator("#connection[data-state='online']").wait_for()

    # Question 1 right (option A is correct in the factories), with the keyboard alone.
    page.locator("#q1 input[type=radio]").first.focus()
    page.keyboard.press("Space")
    page.locator("[data-nav] >> text='1'").and_(page.locator(".answered")).wait_for()

    # The network drops: the answer stays in the browser and the page says so.
    page.context.set_offline(True)
    page.locator("#q2 label").first.click()
    page.locator("#connection[data-state='offline']").wait_for()
    assert 2 not in _saved_answers(live_db, attempt.id)
    screenshot(page, "attempt-offline")

    # The network returns: the queued answer reaches the server by itself.
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.locator("#connection[data-state='online']").wait_for()
    page.locator("#q3 label").nth(1).click()  # a wrong answer
    page.locator("#connection[data-state='online']").wait_for()
    wait_until(page, "document.getElementById('answered-count').textContent === '3'")
    screenshot(page, "attempt-in-progress")

    saved = _saved_answers(live_db, attempt.id)
    assert saved == {1: "a", 2: "a", 3: "b"}

    # Reloading resumes with every saved answer checked; the page names options by the
    # paper's tokens, never by the bank's ids.
    page.reload()
    assert page.locator("#paper input[value=a], #paper input[value=b]").count() == 0
    for position, option in ((2, "a"), (3, "b")):
        item_id = int(page.locator(f"#q{position}").get_attribute("data-item"))
        assert page.locator(
            f"#q{position} input[value='{paper_token(item_id, option)}']"
        ).is_checked()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Nộp bài").click()
    page.get_by_role("heading", name="Kết quả bài thi").wait_for()
    assert page.locator("#score").inner_text() == "2,00 / 4,00"
    screenshot(page, "attempt-result")

    page.get_by_role("button", name="Tôi xác nhận kết quả trên").click()
    page.get_by_text("Đã xác nhận kết quả.").wait_for()

    live_db.rollback()  # a fresh snapshot: the server wrote in its own transactions
    stored = live_db.get(Attempt, attempt.id)
    assert stored.status == AttemptStatus.SUBMITTED
    assert stored.score == 2.0
    assert stored.acknowledged_at is not None
