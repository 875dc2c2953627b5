"""Each question type says a response and its expected answer in words (``describe_*``), never
by the bank's ids of its parts, and in the letters of one candidate's paper when asked
(``as_on_paper``): the review after a test speaks only through these."""

from __future__ import annotations

import pytest

from exam.question_bank.interchange import Choice, QuestionData
from exam.question_bank.qtypes import get_type
from tests.question_bank.test_qtypes import STEPS, matching_question, ordering_data, positions
from tests.question_bank.test_qtypes import stored as stored_data


def _ids(data: dict) -> set[str]:
    parts = data.get("pairs", []) + data.get("items", [])
    return {part[key] for part in parts for key in ("id", "answer_id") if part.get(key)}


def test_a_matching_response_is_said_prompt_by_prompt_in_words():
    qtype = get_type("matching")
    data = stored_data(matching_question())
    by_answer = {p["answer"]: p["answer_id"] for p in data["pairs"]}
    response = {"1": by_answer["lập pháp"], "3": by_answer["giám sát tối cao"]}
    words = qtype.describe_response(data, response)
    assert words == "Quốc hội → lập pháp; Tòa án nhân dân → giám sát tối cao"
    assert not any(part_id in words for part_id in _ids(data) - {"1", "3"})
    assert qtype.describe_answer(data) == (
        "Quốc hội → lập pháp; Chính phủ → hành pháp; Tòa án nhân dân → tư pháp"
    )
    assert qtype.describe_response(data, ["1"]) == ""  # not a response of this type


def test_an_ordering_response_is_said_position_by_position_in_words():
    qtype = get_type("ordering")
    data = ordering_data()
    response = positions(data, [STEPS[1], STEPS[0]])
    words = qtype.describe_response(data, response)
    assert words == "1. Nhận hồ sơ → 2. Thông báo tuyển dụng"
    assert not any(part_id in words for part_id in _ids(data))
    assert qtype.describe_answer(data).startswith("1. Thông báo tuyển dụng → 2. Nhận hồ sơ")


def _single() -> dict:
    choices = [Choice("Đúng hẳn", 1.0), Choice("Một nửa", 0.5), Choice("Sai", 0.0)]
    return stored_data(QuestionData("single_choice", "Chọn", choices=choices))


def test_options_are_lettered_as_one_paper_shows_them():
    qtype = get_type("single_choice")
    data = _single()
    assert qtype.describe_response(data, "a") == "A. Đúng hẳn"
    paper = qtype.as_on_paper(data, ["c", "a", "b"])
    assert qtype.describe_response(paper, "a") == "B. Đúng hẳn"
    assert qtype.describe_answer(paper) == "B. Đúng hẳn"
    multiple = stored_data(
        QuestionData(
            "multiple_response",
            "Chọn",
            choices=[Choice("Một", 0.5), Choice("Hai", 0.5), Choice("Ba", -1.0)],
        )
    )
    paper = get_type("multiple_response").as_on_paper(multiple, ["c", "b", "a"])
    assert get_type("multiple_response").describe_response(paper, ["a", "c"]) == "A. Ba; C. Một"
    assert get_type("multiple_response").describe_answer(paper) == "B. Hai; C. Một"


@pytest.mark.parametrize("order", [None, [], ["a", "b"], ["a", "b", "z"], ["a", "a", "b"]])
def test_an_order_that_is_not_the_papers_options_leaves_the_bank_order(order):
    data = _single()
    assert get_type("single_choice").as_on_paper(data, order) == data


def test_a_single_choice_key_names_only_the_options_worth_full_marks():
    assert get_type("single_choice").describe_answer(_single()) == "A. Đúng hẳn"


def test_types_whose_words_do_not_depend_on_the_order_keep_their_data():
    data = stored_data(matching_question())
    assert get_type("matching").as_on_paper(data, sorted(_ids(data), reverse=True)) is data
