"""GIFT: every construct, the errors with their lines, export and round trips."""

from __future__ import annotations

import pytest

from exam.question_bank.formats import gift
from exam.question_bank.formats.common import ExportUnsupported, moodle_fraction_problem
from exam.question_bank.interchange import (
    Choice,
    ImportFailed,
    ImportProblem,
    MatchPair,
    NumericAnswer,
    QuestionData,
    ShortAnswer,
)


def parse_one(text: str) -> QuestionData:
    [question] = gift.parse(text.encode())
    return question


def problems(text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(ImportFailed) as failure:
        gift.parse(text.encode())
    return [(p.line, p.message) for p in failure.value.problems]


# --- constructs ---------------------------------------------------------------------------


def test_single_choice_with_feedback_partial_credit_and_general_feedback() -> None:
    question = parse_one(
        "::Thủ đô::Thủ đô của Việt Nam là?{\n"
        "  =Hà Nội#Chính xác\n"
        "  ~%50%Thăng Long#Tên cũ\n"
        "  ~Huế\n"
        "  ####Hà Nội là thủ đô từ năm 1976.\n"
        "}"
    )
    assert question == QuestionData(
        type="single_choice",
        text="Thủ đô của Việt Nam là?",
        name="Thủ đô",
        general_feedback="Hà Nội là thủ đô từ năm 1976.",
        choices=[
            Choice("Hà Nội", 1.0, "Chính xác"),
            Choice("Thăng Long", 0.5, "Tên cũ"),
            Choice("Huế", 0.0),
        ],
    )


def test_multiple_response_uses_weights_and_no_equals_sign() -> None:
    question = parse_one("Chọn các cơ quan lập pháp: {~%50%Quốc hội ~%50%HĐND ~%-100%Chính phủ}")
    assert question.type == "multiple_response"
    assert [(c.text, c.fraction) for c in question.choices] == [
        ("Quốc hội", 0.5),
        ("HĐND", 0.5),
        ("Chính phủ", -1.0),
    ]


@pytest.mark.parametrize(
    ("answer", "correct"),
    [("T", True), ("TRUE", True), ("F", False), ("FALSE", False), ("true", True)],
)
def test_true_false_spellings(answer: str, correct: bool) -> None:
    question = parse_one(f"Hiến pháp 2013 có 11 chương. {{{answer}}}")
    assert question.type == "true_false"
    assert question.correct_answer is correct
    assert question.choices == []


def test_true_false_feedback_first_for_the_wrong_answer_then_the_right_one() -> None:
    question = parse_one("Quốc hội có nhiệm kỳ 5 năm.{T#Sai: nhiệm kỳ là 5 năm.#Đúng vậy.}")
    assert question.correct_answer is True
    assert question.choices == [
        Choice("true", 1.0, "Đúng vậy."),
        Choice("false", 0.0, "Sai: nhiệm kỳ là 5 năm."),
    ]


def test_short_answer_with_weights_and_feedback() -> None:
    question = parse_one("Luật có hiệu lực sau bao nhiêu ngày? {=45 =%50%bốn lăm#Viết bằng số}")
    assert question.answers == [ShortAnswer("45", 1.0), ShortAnswer("bốn lăm", 0.5, "Viết bằng số")]


@pytest.mark.parametrize(
    ("block", "answers"),
    [
        ("{#5:0.1}", [NumericAnswer(5.0, 0.1)]),
        ("{#1..3}", [NumericAnswer(2.0, 1.0)]),
        ("{#-3..-1}", [NumericAnswer(-2.0, 1.0)]),
        ("{#42}", [NumericAnswer(42.0, 0.0)]),
        ("{#1.5e3:10}", [NumericAnswer(1500.0, 10.0)]),
        (
            "{#\n =1822:0#Chính xác\n =%50%1822:2#Gần đúng\n}",
            [
                NumericAnswer(1822.0, 0.0, 1.0, "Chính xác"),
                NumericAnswer(1822.0, 2.0, 0.5, "Gần đúng"),
            ],
        ),
        ("{# =5:0 =%50%5:1}", [NumericAnswer(5.0, 0.0), NumericAnswer(5.0, 1.0, 0.5)]),
        ("{#5:0 ~#}", [NumericAnswer(5.0, 0.0)]),  # empty "any other answer": nothing lost
    ],
)
def test_numerical_forms(block: str, answers: list[NumericAnswer]) -> None:
    question = parse_one(f"Bao nhiêu? {block}")
    assert question.type == "numerical"
    assert question.numeric_answers == answers


def test_matching_with_a_distractor() -> None:
    question = parse_one(
        "Ghép cơ quan với chức năng {\n"
        "  =Quốc hội -> lập pháp\n"
        "  =Chính phủ -> hành pháp\n"
        "  = -> tư pháp\n"
        "}"
    )
    assert question.type == "matching"
    assert question.pairs == [
        MatchPair("Quốc hội", "lập pháp"),
        MatchPair("Chính phủ", "hành pháp"),
        MatchPair("", "tư pháp"),
    ]


def test_essay_with_and_without_general_feedback() -> None:
    assert parse_one("Trình bày vai trò của công vụ. {}").type == "essay"
    question = parse_one("Trình bày vai trò của công vụ. {####Nêu đủ 3 ý.}")
    assert (question.type, question.general_feedback) == ("essay", "Nêu đủ 3 ý.")


def test_every_escape() -> None:
    question = parse_one(r"Ký tự \~ \= \# \{ \} \: \\ và\nxuống dòng {=\{x\} \= 1\#2 ~a\:b\\c\~}")
    assert question.text == "Ký tự ~ = # { } : \\ và\nxuống dòng"
    assert [c.text for c in question.choices] == ["{x} = 1#2", "a:b\\c~"]


def test_other_backslashes_and_latex_pass_through() -> None:
    question = parse_one(r"Tính $$\frac\{1\}\{2\} + x^2$$ {=ok ~không}")
    assert question.text == r"Tính $$\frac{1}{2} + x^2$$"


def test_comments_give_key_and_tags_and_are_otherwise_ignored() -> None:
    question = parse_one(
        "// question: 12  name: Q1\n"
        "// [id:KTC-001] [tag:hiến pháp] [tag:a\\]b]\n"
        "::Q1::Câu hỏi\n"
        "// chú thích ở giữa\n"
        "tiếp theo {T}"
    )
    assert (question.key, question.tags) == ("KTC-001", ["hiến pháp", "a]b"])
    assert question.text == "Câu hỏi\ntiếp theo"


def test_category_applies_to_the_following_questions() -> None:
    questions = gift.parse(
        "Không danh mục {T}\n\n"
        "$CATEGORY: $course$/top/Kiến thức chung/Luật\n\n"
        "Câu 1 {T}\n\n"
        "Câu 2 {F}\n\n"
        "$CATEGORY: Pháp luật\n"
        "Câu 3 ngay sau dòng danh mục {T}\n".encode()
    )
    assert [q.category for q in questions] == [
        "",
        "Kiến thức chung/Luật",
        "Kiến thức chung/Luật",
        "Pháp luật",
    ]


@pytest.mark.parametrize(
    ("tag", "text_format"),
    [("[html]", "html"), ("[plain]", "plain"), ("[markdown]", "markdown"), ("[moodle]", "plain")],
)
def test_text_formats(tag: str, text_format: str) -> None:
    question = parse_one(f"::Q::{tag}Nội dung *đậm* <b>x</b> {{T}}")
    assert question.text_format == text_format
    assert question.text.startswith("Nội dung")


def test_missing_word_question_keeps_a_blank() -> None:
    question = parse_one("Luật {=Cán bộ, công chức ~Đất đai} được ban hành năm 2008.")
    assert question.text == "Luật _____ được ban hành năm 2008."


def test_moodle_export_sample() -> None:
    """As Moodle 4 writes it: comment headers, [html], \\n escapes, explicit weights."""
    text = (
        "// question: 0  name: Switch category to $course$/top/Mặc định\n"
        "$CATEGORY: $course$/top/Mặc định\n\n\n"
        "// question: 101  name: Năm sinh\n"
        "// [id:NS-1] [tag:lịch sử]\n"
        "::Năm sinh::[html]<p>Bác Hồ sinh năm nào?<br>\\nChọn số.</p>{#\n"
        "\t=%100%1890:0#Đúng\n"
        "\t=%50%1890:1#Gần đúng\n"
        "}\n\n"
        "// question: 102  name: Viết tắt\n"
        "::Viết tắt::[html]HĐND là viết tắt của?{\n"
        "\t=%100%Hội đồng nhân dân#\n"
        "\t=%50%hội đồng nhân dân#Viết hoa chữ cái đầu\n"
        "}\n"
    )
    number, short = gift.parse(text.encode())
    assert number.category == "Mặc định"
    assert (number.key, number.tags) == ("NS-1", ["lịch sử"])
    assert number.text == "<p>Bác Hồ sinh năm nào?<br>\nChọn số.</p>"
    assert number.numeric_answers == [
        NumericAnswer(1890.0, 0.0, 1.0, "Đúng"),
        NumericAnswer(1890.0, 1.0, 0.5, "Gần đúng"),
    ]
    assert short.answers == [
        ShortAnswer("Hội đồng nhân dân", 1.0),
        ShortAnswer("hội đồng nhân dân", 0.5, "Viết hoa chữ cái đầu"),
    ]


# --- problems -----------------------------------------------------------------------------


def test_unclosed_brace_names_its_line() -> None:
    assert problems("::A::Câu một {T}\n\n::B::Câu hai\ncòn tiếp {=x ~y\n") == [
        (4, "thẻ đóng } bị thiếu")
    ]


def test_brace_closed_in_the_next_question_is_still_missing() -> None:
    [(line, message)] = problems("Câu một {=x ~y\nCâu hai {T}")
    assert (line, message) == (1, "thẻ đóng } bị thiếu")


def test_stray_closing_brace() -> None:
    [(line, message)] = problems("Câu hỏi\n} lạc {T}")
    assert line == 2
    assert message.startswith("thừa dấu }")


def test_description_is_skipped_with_a_notice_as_moodle_imports_the_rest() -> None:
    notices: list[ImportProblem] = []
    [question] = gift.parse("Câu một {T}\n\nĐây chỉ là lời dẫn, không có đáp án.".encode(), notices)
    assert question.text == "Câu một"
    [(line, message)] = [(n.line, n.message) for n in notices]
    assert line == 3
    assert message.startswith("bỏ qua mục mô tả (description")


def test_every_problem_is_reported_not_only_the_first() -> None:
    found = problems(
        "::Q1::Không đáp án đúng {~a ~b}\n\n"
        "::Q2::Số sai {#1,5}\n\n"
        "::Q3::Ghép thiếu mũi tên {=a -> b =c}\n\n"
        "::Q4::Thiếu ngoặc {=a ~b\n\n"
        "::Q5 không đóng tên {T}\n\n"
        "Hai khối {=a ~b} và {=c ~d}\n\n"
        "Trọng số Moodle không nhận {=a ~%33%b}\n"
    )
    assert found == [
        (1, "thiếu đáp án đúng"),
        (3, "giá trị số không hợp lệ: «1,5» (dùng dấu chấm cho phần thập phân)"),
        (5, "mỗi cặp ghép đôi phải có dạng =vế trái -> vế phải"),
        (7, "thẻ đóng } bị thiếu"),
        (9, "thiếu dấu :: đóng tên câu hỏi"),
        (11, "chỉ hỗ trợ một khối đáp án {…} mỗi câu hỏi; viết \\{ \\} nếu đó là ký tự thường"),
        (13, moodle_fraction_problem(0.33)),
    ]


def test_problems_name_the_question() -> None:
    with pytest.raises(ImportFailed) as failure:
        gift.parse("::Luật đất đai::Chọn một {~a ~b}".encode())
    assert str(failure.value) == "dòng 1 (câu hỏi «Luật đất đai»): thiếu đáp án đúng"


def test_problem_inside_a_multi_line_answer_block_names_that_line() -> None:
    [(line, _)] = problems("Bao nhiêu?{#\n =5:0\n =%50%năm\n}")
    assert line == 3


def test_single_choice_needs_two_options() -> None:
    [(_, message)] = problems("Chọn {=a ~}")
    assert "ít nhất 2 phương án" in message or "phương án để trống" in message


# --- export -------------------------------------------------------------------------------


def test_export_writes_readable_gift() -> None:
    question = QuestionData(
        type="single_choice",
        text="Tỉ lệ 50% = 1/2? {đúng}",
        name="Tỉ lệ",
        key="TL-1",
        tags=["toán"],
        category="Kiến thức/Toán",
        general_feedback="Xem #2",
        choices=[Choice("Đúng", 1.0, "Chuẩn"), Choice("%30 sai", 0.0), Choice("Gần", 0.5)],
    )
    assert gift.dump([question]).decode() == (
        "$CATEGORY: $course$/top/Kiến thức/Toán\n\n"
        "// [id:TL-1]\n"
        "// [tag:toán]\n"
        "::Tỉ lệ::[plain]Tỉ lệ 50% \\= 1/2? \\{đúng\\}{\n"
        "\t=Đúng#Chuẩn\n"
        "\t~%0%%30 sai\n"
        "\t~%50%Gần\n"
        "\t####Xem \\#2\n"
        "}\n"
    )


def test_ordering_export_is_refused_for_every_ordering_question() -> None:
    ordering = [QuestionData("ordering", "Xếp", key=f"O{n}", items=["a", "b"]) for n in (1, 2)]
    fine = QuestionData("essay", "Viết")
    with pytest.raises(ExportUnsupported) as refusal:
        gift.dump([ordering[0], fine, ordering[1]])
    assert [p.question for p in refusal.value.problems] == ["O1", "O2"]
    assert "ordering" in refusal.value.problems[0].message


def test_texts_gift_cannot_spell_are_refused() -> None:
    matching = QuestionData(
        "matching", "Ghép", key="M1", pairs=[MatchPair("a -> b", "x"), MatchPair("c", "y")]
    )
    short = QuestionData("short_answer", "?", key="S1", answers=[ShortAnswer("x->y")])
    with pytest.raises(ExportUnsupported) as refusal:
        gift.dump([matching, short])
    assert [p.question for p in refusal.value.problems] == ["M1", "S1"]


ROUND_TRIP_CASES = [
    QuestionData(
        "single_choice",
        "<p>Chọn <b>một</b>:</p>",
        name="SC",
        key="SC-1",
        text_format="html",
        tags=["a", "b"],
        category="A/B",
        general_feedback="<i>chung</i>",
        choices=[Choice("[html] nhãn", 1.0, "ok"), Choice("%50% không phải trọng số", 0.0)],
    ),
    QuestionData(
        "multiple_response",
        "Chọn {nhiều}",
        choices=[Choice("a", 0.5), Choice("b", 0.5, "#1"), Choice("c", -1.0)],
    ),
    QuestionData(
        "true_false",
        "Đúng: 1 = 1",
        correct_answer=False,
        choices=[Choice("true", 0.0, "Sai"), Choice("false", 1.0, "")],
    ),
    QuestionData("true_false", "Đúng?", correct_answer=True),
    QuestionData(
        "short_answer",
        "Điền",
        answers=[ShortAnswer("%100", 1.0, "phần trăm"), ShortAnswer("một trăm", 0.5)],
    ),
    QuestionData(
        "numerical",
        "Số",
        numeric_answers=[NumericAnswer(-1.5, 0.25), NumericAnswer(1e-5, 0.0, 0.5, "nhỏ")],
    ),
    QuestionData(
        "matching",
        "Ghép",
        pairs=[MatchPair("a", "1 -> 2"), MatchPair("b", "2"), MatchPair("", "3")],
    ),
    QuestionData("essay", "Viết\nhai dòng", text_format="markdown", general_feedback="**gợi ý**"),
]


@pytest.mark.parametrize("question", ROUND_TRIP_CASES, ids=lambda q: q.type)
def test_round_trip_per_type(question: QuestionData) -> None:
    assert gift.parse(gift.dump([question])) == [gift.round_trip_form(question)]
    assert gift.round_trip_form(question) == question  # nothing here is outside GIFT


def test_round_trip_drops_only_what_gift_cannot_hold() -> None:
    question = QuestionData(
        "essay", "Viết", difficulty="hard", default_points=5, legal_basis="Luật X"
    )
    [back] = gift.parse(gift.dump([question]))
    assert back == QuestionData("essay", "Viết")
