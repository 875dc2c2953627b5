"""The project's YAML bank: the specification's example, shorthands, errors with lines."""

from __future__ import annotations

import codecs
import datetime as dt
from pathlib import Path

import pytest

from exam.question_bank.formats import native
from exam.question_bank.formats.common import ExportUnsupported
from exam.question_bank.interchange import (
    Choice,
    ImportFailed,
    MatchPair,
    NumericAnswer,
    QuestionData,
    RubricCriterion,
    ShortAnswer,
)

BANK_FILES = sorted((Path(__file__).resolve().parents[3] / "question_bank").glob("*.yaml"))

SPEC_EXAMPLE = """\
format: exam-bank/1
bank: "Kiến thức chung"
description: "Ngân hàng thử nghiệm"
questions:
  - id: KTC-001
    name: "Vị trí của Chính phủ"
    type: single_choice
    category: "Quản lý nhà nước/Hiến pháp"
    difficulty: easy
    tags: [hien-phap, chinh-phu]
    legal_basis: "Hiến pháp năm 2013, Điều 94"
    legal_basis_date: 2013-11-28
    points: 2
    text: |
      Theo Hiến pháp năm 2013,
      Chính phủ là cơ quan gì?
    text_format: plain
    feedback: "Điều 94."
    options:
      - {text: "Cơ quan hành chính nhà nước cao nhất", correct: true}
      - {text: "Cơ quan quyền lực nhà nước cao nhất", fraction: -0.5, feedback: "Đó là Quốc hội."}
      - Cơ quan tư pháp
    shuffle: false
  - id: KTC-002
    type: multiple_response
    text: "Chọn các cơ quan dân cử"
    options:
      - {text: Quốc hội, correct: true}
      - {text: HĐND, correct: true}
      - {text: Chính phủ, fraction: -1}
  - id: KTC-003
    type: true_false
    text: "Nhiệm kỳ Quốc hội là 5 năm."
    answer: true
    false_feedback: "Sai: Điều 71."
  - id: KTC-004
    type: short_answer
    text: "Hiến pháp 2013 có bao nhiêu điều?"
    answers:
      - {text: "120"}
      - {text: "một trăm hai mươi", fraction: 0.5, feedback: "Nên viết số"}
      - 121
    case_sensitive: false
    diacritics_sensitive: true
  - id: KTC-005
    type: numerical
    text: "Thời hạn (ngày)?"
    numeric: [{value: 15, tolerance: 0}, {value: 15, tolerance: 2, fraction: 0.5}]
  - id: KTC-006
    type: matching
    text: "Ghép"
    pairs:
      - {prompt: Quốc hội, answer: lập pháp}
      - {prompt: Chính phủ, answer: hành pháp}
      - {answer: kiểm toán}
  - id: KTC-007
    type: ordering
    text: "Sắp xếp"
    items: ["Hiến pháp 1946", "Hiến pháp 1959", 1980]
  - id: KTC-008
    type: essay
    text: "Phân tích."
    text_format: markdown
    points: 10
    rubric: [{criterion: "Nêu khái niệm", points: 3}, {criterion: "Ví dụ", points: 7}]
    media: {so-do.png: iVBORw0KGgo=}
"""


def problems(text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(ImportFailed) as failure:
        native.parse(text.encode())
    return [(p.line, p.message) for p in failure.value.problems]


@pytest.fixture(scope="module")
def example() -> list[QuestionData]:
    return native.parse(SPEC_EXAMPLE.encode())


def test_specification_example(example: list[QuestionData]) -> None:
    first = example[0]
    assert first == QuestionData(
        type="single_choice",
        text="Theo Hiến pháp năm 2013,\nChính phủ là cơ quan gì?",
        name="Vị trí của Chính phủ",
        key="KTC-001",
        category="Quản lý nhà nước/Hiến pháp",
        difficulty="easy",
        tags=["hien-phap", "chinh-phu"],
        legal_basis="Hiến pháp năm 2013, Điều 94",
        legal_basis_date=dt.date(2013, 11, 28),
        default_points=2.0,
        general_feedback="Điều 94.",
        choices=[
            Choice("Cơ quan hành chính nhà nước cao nhất", 1.0),
            Choice("Cơ quan quyền lực nhà nước cao nhất", -0.5, "Đó là Quốc hội."),
            Choice("Cơ quan tư pháp", 0.0),
        ],
        shuffle_choices=False,
    )


def test_correct_options_share_full_credit_in_multiple_response(
    example: list[QuestionData],
) -> None:
    assert [c.fraction for c in example[1].choices] == [0.5, 0.5, -1.0]


def test_correct_options_share_what_explicit_fractions_leave() -> None:
    [question] = native.parse(
        b"format: exam-bank/1\nquestions:\n  - id: A\n    type: multiple_response\n    text: x\n"
        b"    options:\n      - {text: a, fraction: 0.5}\n      - {text: b, correct: true}\n"
        b"      - {text: c, correct: true}\n      - {text: d}\n"
    )
    assert [c.fraction for c in question.choices] == [0.5, 0.25, 0.25, 0.0]


def test_other_types(example: list[QuestionData]) -> None:
    _, _, true_false, short, number, matching, ordering, essay = example
    assert true_false.correct_answer is True
    assert true_false.choices == [Choice("true", 1.0, ""), Choice("false", 0.0, "Sai: Điều 71.")]
    assert short.answers == [
        ShortAnswer("120"),
        ShortAnswer("một trăm hai mươi", 0.5, "Nên viết số"),
        ShortAnswer("121"),
    ]
    assert number.numeric_answers == [NumericAnswer(15.0, 0.0), NumericAnswer(15.0, 2.0, 0.5)]
    assert matching.pairs[2] == MatchPair("", "kiểm toán")
    assert ordering.items == ["Hiến pháp 1946", "Hiến pháp 1959", "1980"]
    assert essay.rubric == [RubricCriterion("Nêu khái niệm", 3.0), RubricCriterion("Ví dụ", 7.0)]
    assert essay.media == {"so-do.png": b"\x89PNG\r\n\x1a\n"}
    assert essay.text_format == "markdown"


def test_bank_meta() -> None:
    assert native.parse_bank_meta(SPEC_EXAMPLE.encode()) == (
        "Kiến thức chung",
        "Ngân hàng thử nghiệm",
    )
    assert native.parse_bank_meta(b"format: exam-bank/1\nquestions: []\n") == ("", "")


@pytest.mark.parametrize(
    "encode",
    [
        lambda s: codecs.BOM_UTF8 + s.encode(),
        lambda s: codecs.BOM_UTF16_LE + s.encode("utf-16-le"),
        lambda s: s.replace("\n", "\r\n").encode(),
    ],
    ids=["utf8-bom", "utf16", "crlf"],
)
def test_encodings(encode, example: list[QuestionData]) -> None:
    assert native.parse(encode(SPEC_EXAMPLE)) == example


def test_html_is_sanitised() -> None:
    [question] = native.parse(
        b"format: exam-bank/1\nquestions:\n  - id: A\n    type: essay\n    text_format: html\n"
        b"    text: '<p onmouseover=\"x()\">Vi\xe1\xba\xbft<script>alert(1)</script> $$x^2$$</p>'\n"
    )
    assert question.text == "<p>Viết $$x^2$$</p>"


# --- problems -----------------------------------------------------------------------------


def test_yaml_syntax_error_names_its_line() -> None:
    [(line, message)] = problems(
        'format: exam-bank/1\nquestions:\n  - id: A\n    text: "chưa đóng\n    type: essay\n'
    )
    assert line == 6
    assert message.startswith("YAML không hợp lệ")


def test_every_problem_with_the_line_of_the_key() -> None:
    text = """\
format: exam-bank/1
questions:
  - id: A
    type: single_choice
    text: Câu một
    optons:
      - {text: a, correct: true}
  - id: A
    type: essay
    text: Câu hai
    options: []
  - type: true_false
    text: Câu ba
    answer: có
  - id: D
    type: single_choice
    text: Câu bốn
    difficulty: rất khó
    legal_basis_date: 24/06/2025
    options:
      - {text: a, correct: true, fraction: -1}
      - {text: b, corect: true}
      - {text: c, fraction: "một nửa"}
  - id: E
    type: cloze
    text: Câu năm
  - id: F
    type: essay
    text: Câu sáu
    text: Câu sáu lặp
    media: {a.png: "không phải base64!"}
  - id: G
    type: matching
    text: Câu bảy
    pairs: [{prompt: a, answer: b}]
  - id: H
    type: numerical
    text: Câu tám
    numeric: [{tolerance: 1}]
    points: hai
"""
    assert problems(text) == [
        (6, "trường không xác định: «optons» (có phải «options»?)"),
        (8, "id «A» trùng với câu hỏi ở dòng 3"),
        (11, "trường «options» không dùng cho kiểu essay"),
        (12, "thiếu «id» (mã câu hỏi)"),
        (14, "«answer» phải là true hoặc false"),
        (18, "«difficulty» phải là một trong: easy, medium, hard"),
        (19, "«legal_basis_date» phải là ngày dạng YYYY-MM-DD"),
        (21, "phương án có correct: true nhưng fraction không dương"),
        (22, "options: trường không xác định: «corect» (có phải «correct»?)"),
        (23, "«fraction» phải là một số"),
        (25, "kiểu câu hỏi không được hỗ trợ: cloze"),
        (30, "khoá «text» bị lặp lại"),
        (31, "dữ liệu base64 của tệp «a.png» bị hỏng"),
        (32, "câu hỏi ghép đôi cần ít nhất 2 cặp"),
        (39, "mỗi đáp án số cần «value»"),
        (40, "«points» phải là một số"),
    ]


def test_datetime_is_not_a_date() -> None:
    found = problems(
        "format: exam-bank/1\nquestions:\n  - id: A\n    type: essay\n    text: x\n"
        "    legal_basis_date: 2025-06-24 10:00:00\n"
    )
    assert found == [(6, "«legal_basis_date» phải là ngày dạng YYYY-MM-DD")]


def test_iso_date_string_is_accepted() -> None:
    [question] = native.parse(
        b"format: exam-bank/1\nquestions:\n  - id: A\n    type: essay\n    text: x\n"
        b'    legal_basis_date: "2025-06-24"\n'
    )
    assert question.legal_basis_date == dt.date(2025, 6, 24)


def test_wrong_format_marker_and_unknown_top_level_keys() -> None:
    assert problems("format: exam-bank/2\nbank: x\nquestion: []\n") == [
        (1, "«format» phải là exam-bank/1"),
        (3, "trường không xác định: «question» (có phải «questions»?)"),
    ]


def test_not_a_mapping() -> None:
    assert problems("- a\n- b\n") == [
        (1, "tệp ngân hàng câu hỏi phải bắt đầu bằng «format: exam-bank/1»")
    ]


def test_bare_yes_is_not_text() -> None:
    found = problems(
        "format: exam-bank/1\nquestions:\n  - id: A\n    type: short_answer\n    text: x\n"
        "    answers: [{text: yes}]\n"
    )
    assert found[0] == (6, "«text» phải là chuỗi ký tự (hãy đặt trong dấu ngoặc kép)")


def test_alias_bomb_is_cheap() -> None:
    """Nine levels of ten aliases: a billion nodes if walked naively."""
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for n in range(1, 10):
        previous = f"*a{n - 1}"
        levels.append(f"a{n}: &a{n} [{', '.join([previous] * 10)}]")
    text = "format: exam-bank/1\n" + "\n".join(levels) + "\nquestions: []\n"
    found = problems(text)
    assert [message for _, message in found][:1] == ["trường không xác định: «a0»"]


# --- export -------------------------------------------------------------------------------


def test_export_is_readable_and_omits_defaults(example: list[QuestionData]) -> None:
    text = native.dump(example[:2], bank="Kiến thức chung").decode()
    assert text.startswith(
        "format: exam-bank/1\nbank: Kiến thức chung\nquestions:\n  - id: KTC-001\n"
    )
    assert "    text: |-\n      Theo Hiến pháp năm 2013,\n      Chính phủ là cơ quan gì?\n" in text
    assert "      - text: Quốc hội\n        correct: true\n" in text
    assert "text_format" not in text
    assert text.count("points") == 1


def test_export_needs_unique_keys() -> None:
    questions = [
        QuestionData("essay", "a"),
        QuestionData("essay", "b", key="X"),
        QuestionData("essay", "c", key="X"),
    ]
    with pytest.raises(ExportUnsupported) as refusal:
        native.dump(questions)
    assert [p.message for p in refusal.value.problems] == [
        "thiếu mã câu hỏi (id), bắt buộc trong định dạng YAML",
        "mã câu hỏi (id) bị trùng",
    ]


def test_round_trip_keeps_everything(example: list[QuestionData]) -> None:
    assert native.parse(native.dump(example)) == example


def test_round_trip_of_explicit_multiple_response_fractions() -> None:
    question = QuestionData(
        "multiple_response",
        "x",
        key="A",
        choices=[
            Choice("a", 0.3333333),
            Choice("b", 0.3333333),
            Choice("c", 0.3333334),
            Choice("d", -1),
        ],
    )
    assert native.parse(native.dump([question])) == [question]


@pytest.mark.parametrize("path", BANK_FILES, ids=lambda p: p.name)
def test_shipped_bank_files_parse_and_round_trip(path: Path) -> None:
    data = path.read_bytes()
    questions = native.parse(data)
    assert questions
    assert native.parse(native.dump(questions, *native.parse_bank_meta(data))) == questions


HISTORY = """\
format: exam-bank/1
questions:
  - id: LCB-036-2008
    type: true_false
    status: retired
    text: "Giáng chức là một hình thức kỷ luật công chức."
    answer: true
  - id: LCB-036
    type: true_false
    text: "Giáng chức là một hình thức kỷ luật công chức."
    answer: false
"""


def test_status_retired_keeps_a_question_as_history() -> None:
    old, new = native.parse(HISTORY.encode())
    assert old.retired
    assert not new.retired
    written = native.dump([old, new]).decode()
    assert written.count("status: retired") == 1
    assert [q.retired for q in native.parse(written.encode())] == [True, False]


@pytest.mark.parametrize("status", ["approved", "draft", "true", "[retired]"])
def test_a_file_cannot_give_any_other_status(status: str) -> None:
    """A file never approves its own questions: only "retired" is a status it may set."""
    text = HISTORY.replace("status: retired", f"status: {status}")
    assert problems(text) == [(5, "«status» phải là một trong: retired")]
