"""The review after the test says matching and ordering answers in words, through the
question types' own ``describe_*`` (exam.exams.rendering.response_words): the prompts, the
answers and the steps by their texts, never the bank's ids, never an HTML question's tags."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine

from exam.accounts.models import Role, User
from exam.exams.definition import add_section, create_test
from exam.exams.models import Attempt, AttemptQuestion, ReviewOption
from exam.exams.papers import generate_papers
from exam.exams.sitting import start_attempt, submit_attempt
from exam.extensions import db
from exam.question_bank.interchange import MatchPair, QuestionData
from exam.question_bank.operations import (
    approve_question,
    create_bank,
    create_question,
    submit_for_review,
)
from exam.rounds.models import RoundStatus
from tests.conftest import login
from tests.helpers import paper_tokens

START = dt.datetime(2026, 4, 1, 1, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)
CODE = "RV7QKX"
STEPS = ["Thông báo tuyển dụng", "Nhận hồ sơ", "Kiểm tra điều kiện"]


def _questions(text_format: str) -> list[QuestionData]:
    def words(text: str) -> str:  # an HTML question's parts are HTML too
        return f"<p><strong>{text}</strong></p>" if text_format == "html" else text

    matching = QuestionData(
        "matching",
        words("Ghép cơ quan với quyền"),
        text_format=text_format,
        pairs=[
            MatchPair(words("Quốc hội"), words("lập pháp")),
            MatchPair(words("Chính phủ"), words("hành pháp")),
            MatchPair("", words("tư pháp")),  # a distractor
        ],
    )
    ordering = QuestionData(
        "ordering",
        words("Sắp xếp các bước"),
        text_format=text_format,
        items=[words(step) for step in STEPS],
    )
    return [matching, ordering]


def _reviewed(app, make, monkeypatch, text_format: str) -> tuple[str, Attempt]:
    """A paper of one matching and one ordering question, answered (the matching half
    wrong, the steps in the order 2, 1, 3), submitted, and its review page once every paper
    is closed."""
    monkeypatch.setattr("exam.exams.definition.BANK_RATIO_DEFAULT", 1)
    author, reviewer = make.user(Role.QUESTION_AUTHOR), make.user(Role.QUESTION_AUTHOR)
    board = make.user(Role.BOARD_ADMIN)
    bank = create_bank("Ngân hàng xem lại bài", "", actor=author)
    for data in _questions(text_format):
        question = create_question(bank, data, actor=author)
        submit_for_review(question, actor=author)
        approve_question(question, actor=reviewer, at=START - dt.timedelta(days=9))
    round_ = make.round()
    candidate: User = make.user(Role.CANDIDATE)
    application = make.application(round_.positions[0], candidate)
    test = create_test(
        round_,
        bank,
        title="Trắc nghiệm",
        question_count=1,
        duration_minutes=60,
        starts_at=START,
        question_type="matching",
        actor=board,
    )
    add_section(
        test,
        title="Sắp xếp",
        question_count=1,
        points_per_question=1,
        question_type="ordering",
        actor=board,
    )
    test.sessions[0].code = CODE
    test.review_option = ReviewOption.CORRECT_ANSWERS
    make.stage(test.round, RoundStatus.TESTING)
    generate_papers(test, actor=board, at=START - dt.timedelta(hours=1))
    db.session.flush()
    attempt = make.attempt(test, application)
    start_attempt(attempt, session_code=CODE, at=START + MINUTE)
    db.session.commit()

    entries = [
        {"item": item.id, "response": paper_tokens(item, _response(item)), "seq": 1}
        for item in attempt.questions
    ]
    with time_machine.travel(START + 5 * MINUTE, tick=False):
        client = login(app.test_client(), candidate)
        saved = client.post(f"/attempts/{attempt.id}/answers", json={"answers": entries})
    assert saved.status_code == 200
    submit_attempt(attempt, actor=candidate, at=START + 6 * MINUTE)
    db.session.commit()
    with time_machine.travel(START + 80 * MINUTE, tick=False):
        client = login(app.test_client(), candidate)
        page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    assert 'id="review"' in page
    return page[page.index('id="review"') :], attempt


def _response(item: AttemptQuestion) -> dict:
    data = item.version.data
    if item.version.type == "matching":
        prompts = [p for p in data["pairs"] if p.get("id")]
        distractor = next(p["answer_id"] for p in data["pairs"] if not p.get("id"))
        return {prompts[0]["id"]: prompts[0]["answer_id"], prompts[1]["id"]: distractor}
    ids = [entry["id"] for entry in data["items"]]
    return {ids[1]: 1, ids[0]: 2, ids[2]: 3}


def _bank_ids(attempt: Attempt) -> set[str]:
    ids = set()
    for item in attempt.questions:
        data = item.version.data
        ids |= {p["answer_id"] for p in data.get("pairs", [])}
        ids |= {entry["id"] for entry in data.get("items", [])}
    return ids


@pytest.mark.parametrize("text_format", ["plain", "html"])
def test_the_review_says_matching_and_ordering_answers_in_words(
    app, make, monkeypatch, text_format
):
    review, attempt = _reviewed(app, make, monkeypatch, text_format)
    text = " ".join(re.sub(r"<[^>]+>", " ", review).split())
    # The candidate's answers, then the key, each in words.
    assert "Bạn trả lời: Quốc hội → lập pháp; Chính phủ → tư pháp" in text
    assert "Đáp án đúng: Quốc hội → lập pháp; Chính phủ → hành pháp" in text
    assert "Bạn trả lời: 1. Nhận hồ sơ → 2. Thông báo tuyển dụng → 3. Kiểm tra điều kiện" in text
    assert "Đáp án đúng: 1. Thông báo tuyển dụng → 2. Nhận hồ sơ → 3. Kiểm tra điều kiện" in text
    ids = _bank_ids(attempt)
    assert len(ids) == 6
    assert not any(part_id in review for part_id in ids)
    assert "&lt;" not in review  # an HTML question's tags are not shown as text
