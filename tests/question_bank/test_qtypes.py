"""Each question type: stored data from the interchange form and back, canonical responses,
scoring with partial credit, and what a response may not be."""

from __future__ import annotations

import pytest

from exam.question_bank.interchange import (
    Choice,
    MatchPair,
    NumericAnswer,
    NumericUnit,
    QuestionData,
    RubricCriterion,
    ShortAnswer,
)
from exam.question_bank.qtypes import InvalidResponse, NotAutoScored, get_type, registered_types
from exam.question_bank.qtypes.numerical import read_number
from exam.question_bank.qtypes.short_answer import normalise, strip_diacritics


def stored(question: QuestionData) -> dict:
    return get_type(question.type).data_from_interchange(question)


def test_every_type_of_the_interchange_form_is_registered():
    from exam.question_bank.interchange import QUESTION_TYPES

    assert set(registered_types()) == set(QUESTION_TYPES)
    for name, qtype in registered_types().items():
        assert qtype.name == name
        assert qtype.template == f"exams/qtypes/{name}.html"


# --- short answer -----------------------------------------------------------------------------


def short(answers, **flags) -> tuple:
    q = QuestionData("short_answer", "?", answers=answers, **flags)
    return get_type("short_answer"), stored(q)


def test_strip_diacritics_removes_vietnamese_marks_and_reads_d_for_dj():
    assert strip_diacritics("Đường Lê Lợi, Ủy ban nhân dân") == "Duong Le Loi, Uy ban nhan dan"
    assert strip_diacritics("Nghị định đ") == "Nghi dinh d"
    # decomposed input (NFD) gives the same result
    assert strip_diacritics("Vie\u0302\u0323t") == "Viet"


def test_short_answer_is_case_insensitive_and_accent_sensitive_by_default():
    qtype, data = short([ShortAnswer("Ủy ban nhân dân")])
    assert qtype.score_fraction(data, "ủy BAN  nhân dân") == 1.0
    assert qtype.score_fraction(data, "uy ban nhan dan") == 0.0  # marks count by default
    assert qtype.score_fraction(data, "Ủy ban") == 0.0


def test_short_answer_ignores_diacritics_when_told():
    qtype, data = short([ShortAnswer("Đà Nẵng")], diacritics_sensitive=False)
    assert qtype.score_fraction(data, "da nang") == 1.0
    assert qtype.score_fraction(data, "DA NANG") == 1.0
    assert qtype.score_fraction(data, "Đà Nẵng ") == 1.0
    assert qtype.score_fraction(data, "Hà Nội") == 0.0


def test_short_answer_case_sensitive_refuses_other_case():
    qtype, data = short([ShortAnswer("UBND")], case_sensitive=True)
    assert qtype.score_fraction(data, "UBND") == 1.0
    assert qtype.score_fraction(data, "ubnd") == 0.0


def test_short_answer_takes_the_best_of_several_answers_with_fractions():
    qtype, data = short([ShortAnswer("UB", 0.5), ShortAnswer("UBND", 1.0), ShortAnswer("UB*", 0.3)])
    assert qtype.score_fraction(data, "ubnd") == 1.0
    assert qtype.score_fraction(data, "ub") == 0.5
    assert qtype.score_fraction(data, "UBX") == pytest.approx(0.3)
    assert qtype.score_fraction(data, "") == 0.0
    assert qtype.score_fraction(data, None) == 0.0


def test_short_answer_star_is_a_wildcard_and_escaped_star_a_star():
    qtype, data = short([ShortAnswer("Luật * 2010"), ShortAnswer(r"a\*b", 0.5)])
    assert qtype.score_fraction(data, "Luật Viên chức 2010") == 1.0
    assert qtype.score_fraction(data, "Luật 2008") == 0.0
    assert qtype.score_fraction(data, "a*b") == 0.5
    assert qtype.score_fraction(data, "axb") == 0.0


def test_short_answer_special_regex_characters_are_literal():
    qtype, data = short([ShortAnswer("58/2010/QH12 (sửa đổi)")])
    assert qtype.score_fraction(data, "58/2010/qh12 (sửa đổi)") == 1.0
    assert qtype.score_fraction(data, "58/2010/QH12 sửa đổi") == 0.0


def test_short_answer_responses_are_cleaned_and_bounded():
    qtype, data = short([ShortAnswer("x")])
    assert qtype.clean_response(data, "  Vie\u0302\u0323t  ") == "Việt"
    assert qtype.clean_response(data, "   ") is None
    with pytest.raises(InvalidResponse):
        qtype.clean_response(data, ["x"])
    with pytest.raises(InvalidResponse):
        qtype.clean_response(data, "x" * 501)


def test_normalise_collapses_spaces():
    assert normalise("a \t b", case_sensitive=True, diacritics_sensitive=True) == "a b"


# --- numerical --------------------------------------------------------------------------------


def numeric(answers) -> tuple:
    return get_type("numerical"), stored(QuestionData("numerical", "?", numeric_answers=answers))


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("2,5", 2.5),
        ("2.5", 2.5),
        (" 12 ", 12.0),
        ("1.234,5", 1234.5),
        ("1,234.5", 1234.5),
        ("-3", -3.0),
        ("−3", -3.0),
        ("1e3", 1000.0),
        ("1 000", 1000.0),
        ("abc", None),
        ("1,2,3", None),
        ("", None),
        ("inf", None),
    ],
)
def test_numbers_are_read_as_people_type_them(typed, value):
    assert read_number(typed) == value


def test_numerical_tolerance_range_and_several_answers():
    qtype, data = numeric([NumericAnswer(3, 2, 1.0), NumericAnswer(10, 0, 0.5)])
    assert qtype.score_fraction(data, "1") == 1.0  # 3 ± 2 is 1..5
    assert qtype.score_fraction(data, "5,0") == 1.0
    assert qtype.score_fraction(data, "5.01") == 0.0
    assert qtype.score_fraction(data, "10") == 0.5
    assert qtype.score_fraction(data, "không biết") == 0.0
    assert qtype.score_fraction(data, None) == 0.0


def test_numerical_exact_answer_survives_binary_floating_point():
    qtype, data = numeric([NumericAnswer(0.3, 0, 1.0)])
    assert qtype.score_fraction(data, "0,3") == 1.0
    assert qtype.score_fraction(data, "0.1e1") == 0.0


def test_numerical_best_fraction_wins_whatever_the_order():
    qtype, data = numeric([NumericAnswer(12, 6, 0.5), NumericAnswer(12, 0, 1.0)])
    assert qtype.score_fraction(data, "12") == 1.0
    assert qtype.score_fraction(data, "15") == 0.5


def test_numerical_keeps_what_was_typed_and_refuses_non_text():
    qtype, data = numeric([NumericAnswer(1)])
    assert qtype.clean_response(data, " 2,5 ") == "2,5"
    assert qtype.clean_response(data, 2.5) == "2.5"
    assert qtype.clean_response(data, "") is None
    assert qtype.clean_response(data, "1.2.3") == "1.2.3"  # kept, scored as wrong
    with pytest.raises(InvalidResponse):
        qtype.clean_response(data, {"x": 1})
    with pytest.raises(InvalidResponse):
        qtype.clean_response(data, "9" * 51)


# --- matching ---------------------------------------------------------------------------------


def matching_question(shuffle: bool = True) -> QuestionData:
    return QuestionData(
        "matching",
        "Ghép cơ quan với quyền",
        pairs=[
            MatchPair("Quốc hội", "lập pháp"),
            MatchPair("Chính phủ", "hành pháp"),
            MatchPair("", "giám sát tối cao"),  # a distractor
            MatchPair("Tòa án nhân dân", "tư pháp"),
        ],
        shuffle_choices=shuffle,
    )


def test_matching_ids_do_not_reveal_which_answer_goes_where():
    qtype = get_type("matching")
    data = stored(matching_question())
    prompts = [p for p in data["pairs"] if p.get("id")]
    assert [p["id"] for p in prompts] == ["1", "2", "3"]
    answer_ids = [p["answer_id"] for p in data["pairs"]]
    assert len(set(answer_ids)) == 4
    assert all(a.startswith("m") and len(a) == 11 for a in answer_ids)
    # The same answer text has the same id in any question: it tells nothing of its prompt.
    other = stored(
        QuestionData("matching", "x", pairs=[MatchPair("A", "tư pháp"), MatchPair("B", "y")])
    )
    assert other["pairs"][0]["answer_id"] == data["pairs"][3]["answer_id"]
    assert sorted(qtype.shuffleable_ids(data)) == sorted(answer_ids)
    assert qtype.shuffleable_ids(stored(matching_question(shuffle=False))) == []


def test_matching_gives_credit_per_pair():
    qtype = get_type("matching")
    data = stored(matching_question())
    right = {p["id"]: p["answer_id"] for p in data["pairs"] if p.get("id")}
    assert qtype.score_fraction(data, right) == 1.0
    one_wrong = {**right, "3": data["pairs"][2]["answer_id"]}  # the distractor
    assert qtype.score_fraction(data, one_wrong) == pytest.approx(2 / 3)
    assert qtype.score_fraction(data, {"1": right["1"]}) == pytest.approx(1 / 3)
    assert qtype.score_fraction(data, {}) == 0.0


def test_matching_responses_are_checked_against_the_question():
    qtype = get_type("matching")
    data = stored(matching_question())
    answer = data["pairs"][0]["answer_id"]
    assert qtype.clean_response(data, {"1": answer, "2": ""}) == {"1": answer}
    assert qtype.clean_response(data, None) == {}
    for bad in ({"9": answer}, {"1": "mnotanswer"}, ["1"], "1"):
        with pytest.raises(InvalidResponse):
            qtype.clean_response(data, bad)


def test_matching_answers_in_the_paper_order_or_alphabetical():
    from exam.question_bank.qtypes.matching import answers_in_order

    data = stored(matching_question())
    ids = [p["answer_id"] for p in data["pairs"]]
    shuffled = [ids[2], ids[0], ids[3], ids[1]]
    assert [a["id"] for a in answers_in_order(data, shuffled)] == shuffled
    texts = [a["text"] for a in answers_in_order(data, [])]
    assert texts == ["giám sát tối cao", "hành pháp", "lập pháp", "tư pháp"]


# --- ordering ---------------------------------------------------------------------------------

STEPS = ["Thông báo tuyển dụng", "Nhận hồ sơ", "Kiểm tra điều kiện", "Thi", "Công bố kết quả"]


def ordering_data() -> dict:
    return stored(QuestionData("ordering", "Sắp xếp các bước", items=STEPS))


def positions(data: dict, order: list[str]) -> dict[str, int]:
    """A response putting the items whose texts are ``order`` at positions 1, 2, …"""
    by_text = {item["text"]: item["id"] for item in data["items"]}
    return {by_text[text]: n for n, text in enumerate(order, start=1)}


def test_ordering_ids_do_not_reveal_the_order():
    data = ordering_data()
    ids = [item["id"] for item in data["items"]]
    assert get_type("ordering").shuffleable_ids(data) == sorted(ids)
    assert sorted(ids) != ids  # this sample: the neutral order is not the right one


def test_ordering_scores_the_longest_ordered_subset():
    qtype = get_type("ordering")
    data = ordering_data()
    assert qtype.score_fraction(data, positions(data, STEPS)) == 1.0
    # The last step moved to the front: the other four are still in order.
    moved = [STEPS[4], *STEPS[:4]]
    assert qtype.score_fraction(data, positions(data, moved)) == pytest.approx(4 / 5)
    # Fully reversed: no two items in the right relative order.
    assert qtype.score_fraction(data, positions(data, STEPS[::-1])) == 0.0
    # Two swapped pairs: 1 3 2 5 4 → longest ordered run 1 2 4 (or 1 3 5): 3 of 5.
    swapped = [STEPS[0], STEPS[2], STEPS[1], STEPS[4], STEPS[3]]
    assert qtype.score_fraction(data, positions(data, swapped)) == pytest.approx(3 / 5)


def test_ordering_items_given_the_same_position_count_as_not_placed():
    qtype = get_type("ordering")
    data = ordering_data()
    response = positions(data, STEPS)
    first, second = data["items"][0]["id"], data["items"][1]["id"]
    response[second] = response[first]  # both at position 1
    assert qtype.score_fraction(data, response) == pytest.approx(3 / 5)
    assert qtype.score_fraction(data, {first: 1}) == 0.0  # one item alone earns nothing


def test_ordering_responses_are_positions_of_known_items():
    qtype = get_type("ordering")
    data = ordering_data()
    item = data["items"][0]["id"]
    assert qtype.clean_response(data, {item: "2", data["items"][1]["id"]: ""}) == {item: 2}
    for bad in ({item: 0}, {item: 6}, {"ozzz": 1}, {item: "x"}, {item: 1.5}, [item]):
        with pytest.raises(InvalidResponse):
            qtype.clean_response(data, bad)


def test_ordering_problems_catch_duplicates_and_too_few_items():
    qtype = get_type("ordering")
    assert qtype.problems(stored(QuestionData("ordering", "?", items=["a"])))
    assert not qtype.problems(ordering_data())


# --- essay, choice, true/false ------------------------------------------------------------------


def test_essay_is_not_scored_by_the_machine():
    qtype = get_type("essay")
    data = stored(
        QuestionData(
            "essay",
            "Trình bày",
            rubric=[RubricCriterion("Nêu đúng căn cứ", 3), RubricCriterion("Lập luận", 7)],
        )
    )
    assert qtype.auto_scored is False
    with pytest.raises(NotAutoScored):
        qtype.score_fraction(data, "bài làm")
    assert qtype.clean_response(data, "dòng 1\r\ndòng 2") == "dòng 1\ndòng 2"
    assert qtype.clean_response(data, "  ") is None
    assert "Lập luận (7)" in qtype.describe_answer(data)


def test_multiple_response_partial_credit_and_negative_marks_stop_at_zero():
    qtype = get_type("multiple_response")
    data = stored(
        QuestionData(
            "multiple_response",
            "?",
            choices=[Choice("a", 0.5), Choice("b", 0.5), Choice("c", -1.0), Choice("d", 0)],
        )
    )
    assert qtype.score_fraction(data, ["a", "b"]) == 1.0
    assert qtype.score_fraction(data, ["a"]) == 0.5
    assert qtype.score_fraction(data, ["a", "c"]) == 0.0
    assert qtype.score_fraction(data, ["a", "b", "d"]) == 1.0


def test_true_false_keeps_its_feedback_through_the_stored_form():
    from exam.question_bank.formats.common import true_false_choices

    question = QuestionData(
        "true_false",
        "?",
        correct_answer=False,
        choices=true_false_choices(False, "Sai rồi", "Đúng"),
    )
    data = stored(question)
    assert data == {"answer": False, "feedback_true": "Sai rồi", "feedback_false": "Đúng"}
    fields = get_type("true_false").interchange_fields(data)
    assert fields["choices"] == question.choices
    assert get_type("true_false").score_fraction(data, False) == 1.0


def test_single_choice_may_have_several_full_options_as_in_moodle():
    qtype = get_type("single_choice")
    question = QuestionData(
        "single_choice", "?", choices=[Choice("a", 1.0), Choice("b", 1.0), Choice("c", 0.0)]
    )
    data = stored(question)
    assert qtype.problems(data) == []
    assert [qtype.score_fraction(data, c) for c in ("a", "b", "c")] == [1.0, 1.0, 0.0]
    none_full = stored(QuestionData("single_choice", "?", choices=[Choice("a", 0.5), Choice("b")]))
    assert qtype.problems(none_full) == ["Cần ít nhất một phương án đúng."]


def test_numerical_with_optional_units_converts_a_unit_the_response_carries():
    qtype = get_type("numerical")
    data = stored(
        QuestionData(
            "numerical",
            "?",
            numeric_answers=[NumericAnswer(1.5, 0.01)],
            units=[NumericUnit("m", 1.0), NumericUnit("cm", 100.0)],
        )
    )
    assert [qtype.score_fraction(data, r) for r in ("1.5", "1,5 m", "150 cm", "15 dm")] == [
        1.0,
        1.0,
        1.0,
        0.0,
    ]
    assert qtype.describe_answer(data) == "1.5 ± 0.01 m"
    assert get_type("numerical").interchange_fields(data)["units"][1] == NumericUnit("cm", 100.0)
