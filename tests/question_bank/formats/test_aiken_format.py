"""Aiken: single choice only, ANSWER line, errors with their lines."""

from __future__ import annotations

import pytest

from exam.question_bank.formats import aiken
from exam.question_bank.formats.common import ExportUnsupported
from exam.question_bank.interchange import Choice, ImportFailed, QuestionData

SAMPLE = """Cơ quan nào có quyền lập hiến, lập pháp?
A. Chính phủ
B) Quốc hội
C. Ủy ban thường vụ Quốc hội
ANSWER: B

Luật Cán bộ, công chức được thông qua năm nào?
Chọn một đáp án.
A) 2008
B) 2010
ANSWER: A
Câu hỏi ngay sau, không có dòng trống?
A. Có
B. Không
ANSWER: A
"""


def problems(text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(ImportFailed) as failure:
        aiken.parse(text.encode())
    return [(p.line, p.message) for p in failure.value.problems]


def test_sample_file() -> None:
    first, second, third = aiken.parse(SAMPLE.encode())
    assert first == QuestionData(
        "single_choice",
        "Cơ quan nào có quyền lập hiến, lập pháp?",
        choices=[
            Choice("Chính phủ", 0.0),
            Choice("Quốc hội", 1.0),
            Choice("Ủy ban thường vụ Quốc hội", 0.0),
        ],
    )
    assert second.text == "Luật Cán bộ, công chức được thông qua năm nào?\nChọn một đáp án."
    assert [c.fraction for c in second.choices] == [1.0, 0.0]
    assert third.text == "Câu hỏi ngay sau, không có dòng trống?"


def test_crlf_bom_and_lowercase_answer_keyword() -> None:
    data = "\ufeffCâu?\r\nA. Có\r\nB. Không\r\nAnswer: b\r\n".encode()
    [question] = aiken.parse(data)
    assert [c.fraction for c in question.choices] == [0.0, 1.0]


def test_first_line_that_looks_like_an_option_is_the_question() -> None:
    [question] = aiken.parse(b"A. Theo Luat, ai la nguoi dung dau?\nA. X\nB. Y\nANSWER: A\n")
    assert question.text == "A. Theo Luat, ai la nguoi dung dau?"


def test_missing_answer_line_names_the_question_line() -> None:
    text = "Câu một?\nA. x\nB. y\n\nCâu hai?\nA. x\nB. y\nANSWER: A\n\nCâu ba?\nA. x\nB. y\n"
    assert problems(text) == [(1, "thiếu dòng ANSWER"), (10, "thiếu dòng ANSWER")]


def test_every_problem_is_reported() -> None:
    text = (
        "Câu một?\nA. x\nB. y\nANSWER: D\n\n"
        "Câu hai?\nA. x\nB. y\nANSWER: A, B\n\n"
        "Câu ba?\nA. x\nđây không phải phương án\nB. y\nANSWER: A\n\n"
        "Câu bốn?\nA. x\nA. y\nANSWER: A\n\n"
        "ANSWER: C\n\n"
        "Câu sáu chỉ một phương án?\nA. x\nANSWER: A\n"
    )
    assert problems(text) == [
        (4, "đáp án D không có trong các phương án"),
        (9, "ANSWER phải là đúng một chữ cái, không phải «A, B»"),
        (13, "dòng này không phải phương án (A. …) hay dòng ANSWER"),
        (20, "phương án bị lặp chữ cái: A"),
        (22, "dòng ANSWER không thuộc câu hỏi nào"),
        (24, "câu hỏi một lựa chọn cần ít nhất 2 phương án"),
    ]


def test_problem_names_the_question() -> None:
    with pytest.raises(ImportFailed) as failure:
        aiken.parse("Thủ đô của Việt Nam là thành phố nào vậy nhỉ?\nA. Hà Nội\nB. Huế\n".encode())
    assert str(failure.value) == (
        "dòng 1 (câu hỏi «Thủ đô của Việt Nam là thành phố…»): thiếu dòng ANSWER"
    )


def test_export() -> None:
    question = QuestionData(
        "single_choice",
        "Câu hỏi?\nDòng hai",
        choices=[Choice("Một", 0.0, "bỏ"), Choice("Hai", 1.0), Choice("Ba", 0.5)],
    )
    assert aiken.dump([question, question]).decode() == (
        "Câu hỏi?\nDòng hai\nA. Một\nB. Hai\nC. Ba\nANSWER: B\n\n"
        "Câu hỏi?\nDòng hai\nA. Một\nB. Hai\nC. Ba\nANSWER: B\n"
    )


def test_export_refuses_other_types_and_unspellable_text() -> None:
    questions = [
        QuestionData("true_false", "Đúng?", key="TF", correct_answer=True),
        QuestionData(
            "single_choice", "Câu?\nANSWER: A", key="SC", choices=[Choice("a", 1.0), Choice("b")]
        ),
        QuestionData(
            "single_choice",
            "Câu?",
            key="MANY",
            choices=[Choice(str(n), 1.0 if n == 0 else 0.0) for n in range(27)],
        ),
        QuestionData(
            "single_choice",
            "Ảnh",
            key="IMG",
            text_format="html",
            choices=[Choice('<img src="a.png">', 1.0), Choice("b")],
        ),
    ]
    with pytest.raises(ExportUnsupported) as refusal:
        aiken.dump(questions)
    assert [p.question for p in refusal.value.problems] == ["TF", "SC", "MANY", "IMG"]


@pytest.mark.parametrize(
    "question",
    [
        QuestionData("single_choice", "Câu?", choices=[Choice("a", 1.0), Choice("b", 0.0)]),
        QuestionData(
            "single_choice",
            "<p>Câu <b>đậm</b></p><p>dòng hai</p>",
            text_format="html",
            name="bỏ",
            key="bỏ",
            general_feedback="bỏ",
            choices=[Choice("<p>a</p><p>tiếp</p>", 1.0, "bỏ"), Choice("b &amp; c", 0.5)],
        ),
    ],
    ids=["plain", "html"],
)
def test_round_trip(question: QuestionData) -> None:
    assert aiken.parse(aiken.dump([question])) == [aiken.round_trip_form(question)]


def test_round_trip_form_of_html() -> None:
    question = QuestionData(
        "single_choice",
        "<p>Câu <b>đậm</b></p><p>dòng hai</p>",
        text_format="html",
        choices=[Choice("<p>a</p><p>tiếp</p>", 1.0, "bỏ"), Choice("b &amp; c", 0.5)],
    )
    assert aiken.round_trip_form(question) == QuestionData(
        "single_choice",
        "Câu đậm\ndòng hai",
        choices=[Choice("a tiếp", 1.0), Choice("b & c", 0.0)],
    )


def test_options_without_a_space_after_the_letter_as_moodle_reads_them() -> None:
    [question] = aiken.parse("Thủ đô?\nA)Hà Nội\nB.Huế\nC) Đà Nẵng\nANSWER: A\n".encode())
    assert [c.text for c in question.choices] == ["Hà Nội", "Huế", "Đà Nẵng"]
    assert [c.fraction for c in question.choices] == [1.0, 0.0, 0.0]
