"""The board's pages of a test seen in a browser: the blueprint, sessions and rooms, the
candidates' progress, then the item analysis after the sitting."""

from __future__ import annotations

import datetime as dt

import pytest

from exam.accounts.models import Role
from exam.core.db import utcnow
from exam.exams.definition import add_room
from exam.exams.papers import generate_papers
from exam.exams.sitting import save_answer, start_attempt, submit_attempt
from exam.rounds.models import RoundStatus
from tests.e2e.conftest import screenshot
from tests.factories import PASSWORD, Factories

pytestmark = pytest.mark.browser


def test_the_board_sees_the_blueprint_the_rooms_and_the_item_analysis(page, live_server, live_db):
    board = Factories.user(Role.BOARD_ADMIN, name="Trần Quốc Hưng")
    invigilator = Factories.user(Role.INVIGILATOR, name="Lê Thị Mai")
    round_ = Factories.round()
    candidates = [Factories.user(Role.CANDIDATE) for _ in range(4)]
    applications = [Factories.application(round_.positions[0], c) for c in candidates]
    starts_at = utcnow().replace(microsecond=0) - dt.timedelta(minutes=20)
    test = Factories.test(round_, question_count=3, starts_at=starts_at, papers=False)
    add_room(
        test.sessions[0], name="Phòng 203", capacity=40, invigilators=[invigilator], actor=board
    )
    Factories.stage(round_, RoundStatus.TESTING)  # papers are drawn in the testing stage
    generate_papers(test, actor=board, at=starts_at - dt.timedelta(hours=1))
    for n, application in enumerate(applications):
        attempt = Factories.attempt(test, application)
        start_attempt(attempt, session_code=test.session_code, at=starts_at)
        for seq, item in enumerate(attempt.questions, start=1):
            right = seq <= 3 - n % 3
            save_answer(attempt, item, "a" if right else "b", seq=seq, at=starts_at)
        if n < 3:
            submit_attempt(attempt, actor=candidates[n], at=starts_at + dt.timedelta(minutes=5))
    live_db.commit()

    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(board.email)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.goto(f"{live_server}/tests/{test.id}")
    page.get_by_role("heading", name="Ma trận đề").wait_for()
    assert "Phòng 203" in page.content()
    assert page.locator("#candidates ~ .table-responsive tbody tr").count() == 4
    screenshot(page, "test-page")

    page.get_by_role("link", name="Phân tích câu hỏi và độ tin cậy").click()
    assert page.locator("#stat-candidates").inner_text() == "3"
    assert page.locator(".analysis-table tbody tr").count() >= 3
    screenshot(page, "item-analysis")
