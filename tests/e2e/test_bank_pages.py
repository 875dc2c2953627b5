"""The question bank in a real browser: its pages (screenshots), and the new question types
on a candidate's paper — keyboard-usable labelled controls whose answers reach the server
and score, read and written by static/js/qtypes.js."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import sqlalchemy as sa

from exam.accounts.models import Role
from exam.core.db import utcnow
from exam.exams.definition import create_test
from exam.exams.models import Answer, AttemptQuestion
from exam.exams.papers import generate_papers
from exam.question_bank.interchange import MatchPair, NumericAnswer, QuestionData, ShortAnswer
from exam.question_bank.operations import (
    approve_question,
    create_bank,
    create_question,
    submit_for_review,
)
from exam.rounds.models import RoundStatus
from tests.e2e.conftest import screenshot, wait_until
from tests.factories import PASSWORD, T0, Factories

pytestmark = pytest.mark.browser
_n = itertools.count(1)

STEPS = ["Thông báo tuyển dụng", "Nhận hồ sơ", "Kiểm tra điều kiện", "Tổ chức thi"]


def _questions(n: int) -> list[QuestionData]:
    common = {"difficulty": "medium", "legal_basis": "Luật Viên chức số 58/2010/QH12"}
    return [
        QuestionData(
            "short_answer",
            f"Viết tắt của Ủy ban nhân dân ({n})?",
            answers=[ShortAnswer("Ủy ban nhân dân"), ShortAnswer("UBND")],
            diacritics_sensitive=False,
            **common,
        ),
        QuestionData(
            "numerical",
            f"Thời gian tập sự tối đa (tháng) ({n})?",
            numeric_answers=[NumericAnswer(12, 0.5)],
            **common,
        ),
        QuestionData(
            "matching",
            f"Ghép cơ quan với quyền ({n})",
            pairs=[
                MatchPair("Quốc hội", "lập pháp"),
                MatchPair("Chính phủ", "hành pháp"),
                MatchPair("", "tư pháp"),
            ],
            **common,
        ),
        QuestionData("ordering", f"Sắp xếp các bước tuyển dụng ({n})", items=STEPS, **common),
    ]


def _sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_text("Đăng nhập thành công.").wait_for()


@pytest.fixture
def new_types_paper(live_db):
    """A running paper of four questions drawn from a bank of the new types only."""
    author = Factories.user(Role.QUESTION_AUTHOR)
    reviewer = Factories.user(Role.QUESTION_AUTHOR)
    bank = create_bank(f"Ngân hàng kiểu mới {next(_n)}", "", actor=author)
    for n in range(1, 4):
        for data in _questions(n):
            question = create_question(bank, data, actor=author)
            submit_for_review(question, actor=author)
            approve_question(question, actor=reviewer, at=T0)
    round_ = Factories.round()
    candidate = Factories.user(Role.CANDIDATE, name="Trần Văn Bình")
    application = Factories.application(round_.positions[0], candidate)
    board = Factories.user(Role.BOARD_ADMIN)
    starts_at = utcnow().replace(microsecond=0) - dt.timedelta(minutes=1)
    test = create_test(
        round_,
        bank,
        title=f"Bài thi kiểu câu hỏi mới {next(_n)}",
        question_count=4,
        duration_minutes=30,
        starts_at=starts_at,
        actor=board,
    )
    Factories.stage(round_, RoundStatus.TESTING)  # papers are drawn in the testing stage
    generate_papers(test, actor=board, at=starts_at - dt.timedelta(hours=1))
    live_db.commit()
    return candidate, test, Factories.attempt(test, application)


def _answer(fieldset) -> None:
    """The right answer of any of the four types, with the keyboard where it matters."""
    kind = fieldset.get_attribute("data-type")
    if kind == "short_answer":
        fieldset.get_by_label("Câu trả lời").fill("uy ban nhan dan")
    elif kind == "numerical":
        fieldset.get_by_label("Đáp số").fill("12,0")
    elif kind == "matching":
        fieldset.get_by_label("Quốc hội").select_option(label="lập pháp")
        fieldset.get_by_label("Chính phủ").select_option(label="hành pháp")
    else:
        for position, step in enumerate(STEPS, start=1):
            select = fieldset.get_by_label(step)
            select.focus()
            select.select_option(str(position))


def test_new_types_on_a_paper_are_answered_saved_and_scored(
    page, live_server, live_db, new_types_paper
):
    candidate, test, attempt = new_types_paper
    _sign_in(page, live_server, candidate.email)
    page.goto(f"{live_server}/attempts/{attempt.id}")
    page.get_by_label("Mã ca thi").fill(test.session_code)
    page.get_by_role("button", name="Bắt đầu làm bài").click()
    page.locator("#connection[data-state='online']").wait_for()

    questions = page.locator("fieldset.question")
    assert questions.count() == 4
    for index in range(4):
        _answer(questions.nth(index))
    page.locator("#answered-count", has_text="4").wait_for()
    page.locator("#connection[data-state='online']").wait_for()
    screenshot(page, "bank-new-types-paper")

    # static/js/qtypes.js reads each question's controls as the server expects them.
    page.add_script_tag(url=f"{live_server}/static/js/qtypes.js")
    read = page.evaluate(
        """() => Array.from(document.querySelectorAll('fieldset.question')).map(f =>
            [f.dataset.type, window.examQuestionTypes[f.dataset.type].read(f)])"""
    )
    by_type = dict(read)
    if "ordering" in by_type:
        assert sorted(by_type["ordering"].values()) == [1, 2, 3, 4]
    if "numerical" in by_type:
        assert by_type["numerical"] == "12,0"
    # …and writes a saved response back into them.
    cleared = page.evaluate(
        """() => Array.from(document.querySelectorAll('fieldset.question')).map(f => {
            const t = window.examQuestionTypes[f.dataset.type];
            const saved = t.read(f); t.write(f, null); const empty = t.read(f);
            t.write(f, saved); return [empty, JSON.stringify(t.read(f)) === JSON.stringify(saved)];
        })"""
    )
    assert all(ok for _, ok in cleared)
    assert all(empty in (None, {}) for empty, _ in cleared)

    # Every answer reached the server, and each scores full marks.
    from exam.question_bank.qtypes import get_type

    # Once the page kept all four answers (a typed one is kept 1.5 s after the last key) and
    # its queue is empty, the server acknowledged (committed) every save.
    key = f"exam-attempt-{attempt.id}"
    wait_until(
        page,
        f"(s => Object.keys(s.kept).length === 4 && Object.keys(s.pending).length === 0)"
        f"(JSON.parse(localStorage.getItem('{key}')))",
    )
    live_db.rollback()
    rows = live_db.execute(
        sa.select(AttemptQuestion, Answer)
        .join(Answer, Answer.attempt_question_id == AttemptQuestion.id)
        .where(AttemptQuestion.attempt_id == attempt.id)
    ).all()
    assert len(rows) == 4
    for item, answer in rows:
        qtype = get_type(item.version.type)
        assert qtype.score_fraction(item.version.data, answer.response) == 1.0, (
            item.version.type,
            answer.response,
        )


def test_bank_pages_screenshots(page, live_server, live_db):
    author = Factories.user(Role.QUESTION_AUTHOR)
    reviewer = Factories.user(Role.QUESTION_AUTHOR)
    bank = create_bank(f"Kiến thức chung {next(_n)}", "Ngân hàng minh họa", actor=author)
    questions = []
    for n in range(1, 3):
        for data in _questions(n):
            data.category = "Luật Viên chức/Tuyển dụng" if n == 1 else "Luật Viên chức"
            data.tags = ["tuyen-dung"]
            questions.append(create_question(bank, data, actor=author))
    submit_for_review(questions[0], actor=author)
    approve_question(questions[0], actor=reviewer, at=T0)
    live_db.commit()
    _sign_in(page, live_server, author.email)

    page.goto(f"{live_server}/bank/{bank.id}?legal_basis=vien+chuc")
    page.get_by_text("8 câu hỏi").wait_for()
    screenshot(page, "bank-list")

    page.goto(f"{live_server}/bank/{bank.id}/categories")
    screenshot(page, "bank-categories")

    page.goto(f"{live_server}/bank/{bank.id}/coverage?paper=3")
    page.get_by_text("Chưa đủ câu hỏi.").wait_for()
    screenshot(page, "bank-coverage")

    page.goto(f"{live_server}/bank/{bank.id}/questions/new?type=matching")
    page.get_by_role("button", name="Thêm cặp").click()
    page.get_by_label("Vế hỏi #5").wait_for()
    page.get_by_role("button", name="Lưu câu hỏi").click()
    page.locator(".error-summary").wait_for()
    screenshot(page, "bank-form-errors")

    ordering = next(q for q in questions if q.current.type == "ordering")
    page.goto(f"{live_server}/bank/questions/{ordering.id}")
    screenshot(page, "bank-question")

    page.goto(f"{live_server}/bank/{bank.id}/import")
    page.get_by_label("Tệp câu hỏi").set_input_files(
        files=[
            {
                "name": "sai.gift",
                "mimeType": "text/plain",
                "buffer": "::A::Câu một {=a ~b}\n\n::B::Câu hai {~a ~b}\n".encode(),
            }
        ]
    )
    page.get_by_role("button", name="Xem trước").click()
    page.get_by_text("không câu hỏi nào được nhập").wait_for()
    screenshot(page, "bank-import-errors")
