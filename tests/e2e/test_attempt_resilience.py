"""The exam page in a real browser when things go wrong: the network drops mid-test, two tabs
share one paper, the candidate moves to another machine, the deadline passes with the page
open and with the page closed."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
import time_machine

from exam.accounts.models import Role
from exam.core.db import utcnow
from exam.exams.definition import add_room
from exam.exams.models import Answer, Attempt, AttemptQuestion, AttemptStatus
from exam.exams.papers import generate_papers
from exam.rounds.models import RoundStatus
from tests.e2e.conftest import screenshot, wait_until
from tests.factories import PASSWORD, Factories
from tests.helpers import bank_id

pytestmark = pytest.mark.browser


@pytest.fixture
def sitting(live_db, live_app):
    round_ = Factories.round()
    candidate = Factories.user(Role.CANDIDATE, name="Trần Thị Thu Hà")
    invigilator = Factories.user(Role.INVIGILATOR, name="Lê Văn Cường")
    application = Factories.application(round_.positions[0], candidate)
    starts_at = utcnow().replace(microsecond=0) - dt.timedelta(minutes=1)
    test = Factories.test(
        round_, question_count=4, duration_minutes=30, starts_at=starts_at, papers=False
    )
    board = Factories.user(Role.BOARD_ADMIN)
    room = add_room(
        test.sessions[0], name="Phòng 101", capacity=30, invigilators=[invigilator], actor=board
    )
    Factories.stage(round_, RoundStatus.TESTING)  # papers are drawn in the testing stage
    generate_papers(test, actor=board, at=starts_at - dt.timedelta(hours=1))
    attempt = Factories.attempt(test, application)
    live_db.commit()
    return {
        "candidate": candidate,
        "invigilator": invigilator,
        "test": test,
        "attempt": attempt,
        "room": room,
        "grace": live_app.config["ANSWER_GRACE_SECONDS"],
    }


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_text("Đăng nhập thành công.").wait_for()


def start(page, base: str, sitting) -> None:
    page.goto(f"{base}/attempts/{sitting['attempt'].id}")
    page.get_by_label("Mã ca thi").fill(sitting["test"].session_code)
    page.get_by_role("button", name="Bắt đầu làm bài").click()
    page.locator("#connection[data-state='online']").wait_for()


def saved(live_db, attempt_id: int) -> dict[int, object]:
    live_db.rollback()  # a fresh snapshot: the server wrote in its own transactions
    rows = live_db.execute(
        sa.select(AttemptQuestion.position, Answer.response)
        .join(Answer, Answer.attempt_question_id == AttemptQuestion.id)
        .where(AttemptQuestion.attempt_id == attempt_id)
    ).all()
    return dict(rows)


def choose(page, position: int, letter_index: int) -> None:
    page.locator(f"#q{position} label.form-check-label").nth(letter_index).click()


def option_value(page, position: int, letter_index: int) -> str:
    """The bank's id of the option shown at this place: the page names it by a token."""
    shown = page.locator(f"#q{position} input").nth(letter_index).get_attribute("value")
    return bank_id(int(page.locator(f"#q{position}").get_attribute("data-item")), shown)


def watch_connection(page) -> None:
    """Keep every state the page's connection indicator takes, in ``window.connectionStates``
    (a state held for a moment only is seen too)."""
    page.evaluate(
        """() => { window.connectionStates = [];
            new MutationObserver(() => window.connectionStates.push(
                document.getElementById('connection').dataset.state))
            .observe(document.getElementById('connection'), {attributes: true}); }"""
    )


def test_a_proxy_error_page_is_a_network_error_never_a_sign_out(
    page, live_server, live_db, sitting
):
    """When no node could answer, nginx answers a save with its own HTML error page (502):
    the page keeps the answer and sends it again, and never says the candidate is signed
    out (it did, having taken any page that is not JSON for the login page)."""
    attempt_id = sitting["attempt"].id
    sign_in(page, live_server, sitting["candidate"].email)
    start(page, live_server, sitting)
    watch_connection(page)
    refused = []

    def bad_gateway(route) -> None:
        refused.append(route.request.url)
        route.fulfill(status=502, content_type="text/html", body="<h1>502 Bad Gateway</h1>")

    page.route(f"**/attempts/{attempt_id}/answers", bad_gateway, times=1)
    choose(page, 1, 0)
    key = f"exam-attempt-{attempt_id}"
    wait_until(page, f"Object.keys(JSON.parse(localStorage.getItem('{key}')).pending).length === 0")
    assert len(refused) == 1
    states = page.evaluate("window.connectionStates")
    assert "offline" in states
    assert "error" not in states
    assert page.locator("#session-expired").is_hidden()
    assert saved(live_db, attempt_id) == {1: option_value(page, 1, 0)}


def test_a_lost_session_keeps_the_answer_until_the_candidate_signs_in_again(
    page, live_server, live_db, sitting
):
    """The browser loses its session mid-test (its cookie gone): the next save is refused by
    the CSRF check with the site's HTML 400 (docs/api.md). The page says the candidate is
    signed out, keeps the answer, and its link back through the login page sends it."""
    attempt_id = sitting["attempt"].id
    key = f"exam-attempt-{attempt_id}"
    sign_in(page, live_server, sitting["candidate"].email)
    start(page, live_server, sitting)
    choose(page, 1, 0)
    wait_until(page, f"Object.keys(JSON.parse(localStorage.getItem('{key}')).pending).length === 0")
    first = option_value(page, 1, 0)

    watch_connection(page)
    page.context.clear_cookies()
    with page.expect_response(f"**/attempts/{attempt_id}/answers") as refusal:
        choose(page, 2, 1)
    assert refusal.value.status == 400
    assert "text/html" in refusal.value.headers["content-type"]
    expired = page.locator("#session-expired")
    expired.wait_for()
    states = page.evaluate("window.connectionStates")
    assert "error" in states
    assert "offline" not in states  # signed out, not a network error retried in silence
    second = option_value(page, 2, 1)
    assert saved(live_db, attempt_id) == {1: first}
    assert page.evaluate(f"Object.keys(JSON.parse(localStorage.getItem('{key}')).pending)") == [
        page.locator("#q2").get_attribute("data-item")
    ]
    screenshot(page, "attempt-session-lost")

    expired.get_by_role("link", name="đăng nhập lại").click()
    page.get_by_label("Email").fill(sitting["candidate"].email)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"**/attempts/{attempt_id}")
    wait_until(page, f"Object.keys(JSON.parse(localStorage.getItem('{key}')).pending).length === 0")
    assert page.locator("#session-expired").is_hidden()
    assert saved(live_db, attempt_id) == {1: first, 2: second}


def test_offline_mid_test_then_back_online_every_answer_reaches_the_server(
    page, live_server, live_db, sitting
):
    attempt_id = sitting["attempt"].id
    sign_in(page, live_server, sitting["candidate"].email)
    start(page, live_server, sitting)
    choose(page, 1, 0)
    wait_until(page, "document.getElementById('answered-count').textContent === '1'")
    page.locator("#connection[data-state='online']").wait_for()
    first = option_value(page, 1, 0)
    assert saved(live_db, attempt_id) == {1: first}

    page.context.set_offline(True)
    choose(page, 2, 1)
    choose(page, 3, 2)
    choose(page, 4, 3)
    choose(page, 1, 3)  # a change of mind while offline
    page.locator("#connection[data-state='offline']").wait_for()
    assert "Mất kết nối" in page.locator("#connection").inner_text()
    assert saved(live_db, attempt_id) == {1: first}  # nothing reached the server
    pending = page.evaluate(
        f"Object.keys(JSON.parse(localStorage.getItem('exam-attempt-{attempt_id}')).pending).length"
    )
    assert pending == 4
    screenshot(page, "attempt-offline-several")

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.locator("#connection[data-state='online']").wait_for()
    expected = {
        1: option_value(page, 1, 3),
        2: option_value(page, 2, 1),
        3: option_value(page, 3, 2),
        4: option_value(page, 4, 3),
    }
    assert saved(live_db, attempt_id) == expected
    assert (
        page.evaluate(
            f"Object.keys(JSON.parse(localStorage.getItem('exam-attempt-{attempt_id}')).pending).length"
        )
        == 0
    )


def stored(live_db, attempt_id: int) -> dict[int, tuple[object, int]]:
    live_db.rollback()
    rows = live_db.execute(
        sa.select(AttemptQuestion.position, Answer.response, Answer.seq)
        .join(Answer, Answer.attempt_question_id == AttemptQuestion.id)
        .where(AttemptQuestion.attempt_id == attempt_id)
    ).all()
    return {position: (response, seq) for position, response, seq in rows}


def test_answers_the_server_lost_after_acknowledging_them_are_sent_again(
    page, live_server, live_db, sitting
):
    """A power cut can take an SQLite commit that was acknowledged (synchronous=NORMAL); a
    restore from a backup takes more. The browser's copy puts them back."""
    attempt_id = sitting["attempt"].id
    key = f"exam-attempt-{attempt_id}"
    sign_in(page, live_server, sitting["candidate"].email)
    start(page, live_server, sitting)
    choose(page, 1, 0)
    choose(page, 2, 1)
    wait_until(page, f"Object.keys(JSON.parse(localStorage.getItem('{key}')).pending).length === 0")
    before = stored(live_db, attempt_id)
    assert before == {
        1: (option_value(page, 1, 0), before[1][1]),
        2: (option_value(page, 2, 1), before[2][1]),
    }

    # The server loses question 2's answer and goes back to an older one for question 1.
    items = {
        position: item_id
        for position, item_id in live_db.execute(
            sa.select(AttemptQuestion.position, AttemptQuestion.id).where(
                AttemptQuestion.attempt_id == attempt_id
            )
        )
    }
    live_db.execute(sa.delete(Answer).where(Answer.attempt_question_id == items[2]))
    live_db.execute(
        sa.update(Answer)
        .where(Answer.attempt_question_id == items[1])
        .values(response=option_value(page, 1, 3), seq=1)
    )
    live_db.commit()

    page.reload()
    wait_until(page, f"Object.keys(JSON.parse(localStorage.getItem('{key}')).pending).length === 0")
    assert stored(live_db, attempt_id) == before
    assert page.locator("#q1 input").nth(0).is_checked()
    assert page.locator("#q2 input").nth(1).is_checked()
    assert page.locator("#answered-count").inner_text() == "2"


def test_two_tabs_stay_consistent_and_another_machine_resumes(
    page, browser, live_server, live_db, sitting
):
    attempt_id = sitting["attempt"].id
    sign_in(page, live_server, sitting["candidate"].email)
    start(page, live_server, sitting)
    other_tab = page.context.new_page()
    other_tab.goto(f"{live_server}/attempts/{attempt_id}")
    other_tab.locator("#connection[data-state='online']").wait_for()

    choose(page, 1, 0)
    # The other tab shows the change without a reload…
    other_tab.locator("#q1 input").nth(0).wait_for(state="attached")
    wait_until(other_tab, "document.querySelectorAll('#q1 input')[0].checked")
    # …and a later change there wins on the server, whatever order the saves arrive in.
    choose(other_tab, 1, 2)
    choose(page, 2, 1)
    wait_until(page, "document.querySelectorAll('#q1 input')[2].checked")
    for tab in (page, other_tab):
        tab.locator("#connection[data-state='online']").wait_for()
    wait_until(
        page,
        f"!Object.keys(JSON.parse(localStorage.getItem('exam-attempt-{attempt_id}')).pending).length",
    )
    assert saved(live_db, attempt_id) == {1: option_value(page, 1, 2), 2: option_value(page, 2, 1)}

    # Another machine: a new browser profile, nothing in its storage; the server has it all.
    elsewhere = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    try:
        machine = elsewhere.new_page()
        sign_in(machine, live_server, sitting["candidate"].email)
        machine.goto(f"{live_server}/attempts/{attempt_id}")
        machine.locator("#connection[data-state='online']").wait_for()
        assert machine.locator("#q1 input").nth(2).is_checked()
        assert machine.locator("#q2 input").nth(1).is_checked()
        assert machine.locator("#answered-count").inner_text() == "2"
    finally:
        elsewhere.close()


def test_the_deadline_passes_with_the_page_closed_and_the_server_submits(
    page, live_server, live_app, live_db, sitting
):
    attempt_id = sitting["attempt"].id
    sign_in(page, live_server, sitting["candidate"].email)
    start(page, live_server, sitting)
    choose(page, 1, 0)
    page.locator("#connection[data-state='online']").wait_for()
    wait_until(
        page,
        f"!Object.keys(JSON.parse(localStorage.getItem('exam-attempt-{attempt_id}')).pending).length",
    )
    page.close()  # the browser is gone

    live_db.rollback()
    deadline = live_db.get(Attempt, attempt_id).deadline_at
    with time_machine.travel(deadline + dt.timedelta(seconds=sitting["grace"] + 1), tick=False):
        result = live_app.test_cli_runner().invoke(args=["exams", "close-expired"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Closed ")  # ours, and those of earlier tests' sittings
    live_db.rollback()
    attempt = live_db.get(Attempt, attempt_id)
    assert attempt.status == AttemptStatus.SUBMITTED
    assert attempt.submitted_by_server is True
    assert attempt.submitted_at == deadline
    assert attempt.score == 1.0  # option A is right in the factories


def test_the_deadline_passes_with_the_page_open(page, live_server, live_db, sitting):
    attempt_id = sitting["attempt"].id
    sign_in(page, live_server, sitting["candidate"].email)
    start(page, live_server, sitting)
    live_db.rollback()
    deadline = live_db.get(Attempt, attempt_id).deadline_at
    # The server's clock jumps to 4 seconds before the end; the page keeps in step with it.
    with time_machine.travel(deadline - dt.timedelta(seconds=4), tick=True):
        page.reload()
        page.locator("#connection[data-state='online']").wait_for()
        choose(page, 2, 0)
        page.get_by_role("heading", name="Kết quả bài thi").wait_for(timeout=30_000)
        assert "hệ thống tự nộp khi hết giờ" in page.content()
    live_db.rollback()
    attempt = live_db.get(Attempt, attempt_id)
    assert attempt.status == AttemptStatus.SUBMITTED
    assert attempt.submitted_by_server is True
    assert saved(live_db, attempt_id) == {2: "a"}  # saved 4 seconds before the end
    assert attempt.score == 1.0


def test_the_invigilator_console_follows_the_room(page, live_server, live_db, sitting):
    sign_in(page, live_server, sitting["candidate"].email)
    start(page, live_server, sitting)
    choose(page, 1, 0)
    page.locator("#connection[data-state='online']").wait_for()
    page.context.clear_cookies()
    sign_in(page, live_server, sitting["invigilator"].email)
    page.get_by_role("link", name="Coi thi").click()
    page.get_by_role("link", name="Phòng 101", exact=False).click()
    row = page.locator(f"tr[data-attempt='{sitting['attempt'].id}']")
    assert "ĐANG LÀM BÀI" in row.inner_text().upper()
    assert "1/4" in row.locator("[data-field='answered']").inner_text()
    assert page.locator("#session-code").inner_text() == sitting["test"].session_code
    screenshot(page, "console")


def test_a_closed_paper_past_its_evidence_cap_still_takes_the_page_to_the_result(
    page, live_server, live_db, live_app, sitting
):
    """Answers sent to a closed paper beyond the evidence kept a minute are answered 429
    (issue 10 item 3), not 409: the page reads the paper's status in the reply and goes to
    the result at once, instead of showing a lost connection and retrying."""
    from exam.exams.models import RefusedAnswer
    from exam.exams.sitting import submit_attempt

    attempt_id = sitting["attempt"].id
    sign_in(page, live_server, sitting["candidate"].email)
    # The page's first clock sync answered before the paper closes: one that found it closed
    # would take the page to the result before the answer below is sent.
    with page.expect_response(lambda r: r.url.endswith(f"/attempts/{attempt_id}/state")):
        start(page, live_server, sitting)
    live_db.rollback()
    attempt = live_db.get(Attempt, attempt_id)
    submit_attempt(attempt, actor=sitting["candidate"], at=utcnow())
    per_minute = live_app.config["REFUSED_EVIDENCE_PER_MINUTE"]
    live_db.add_all(
        RefusedAnswer(attempt_id=attempt_id, received_at=utcnow(), reason="(test)")
        for _ in range(per_minute)
    )
    live_db.commit()
    with page.expect_response(lambda r: r.url.endswith("/answers")) as reply:
        choose(page, 1, 0)
    assert reply.value.status == 429
    page.get_by_role("heading", name="Kết quả bài thi").wait_for(timeout=10_000)
