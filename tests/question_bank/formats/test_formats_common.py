"""Shared rules: decoding, sanitising, validation, and the format registry."""

from __future__ import annotations

import codecs
import unicodedata

import pytest

from exam.question_bank.formats import (
    FORMATS,
    ExportUnsupported,
    detect_format,
    dump,
    export_losses,
    parse,
)
from exam.question_bank.formats.common import (
    category_from_moodle,
    decode_text,
    format_percent,
    parse_percent,
    rubric_from_text,
    sanitize_html,
    validate_question,
)
from exam.question_bank.interchange import (
    Choice,
    ImportFailed,
    MatchPair,
    QuestionData,
    RubricCriterion,
    ShortAnswer,
)

GIFT_QUESTION = "::Q::Thủ đô của Việt Nam? {=Hà Nội ~Huế}\n"

# --- decoding -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        GIFT_QUESTION.encode("utf-8"),
        codecs.BOM_UTF8 + GIFT_QUESTION.encode("utf-8"),
        codecs.BOM_UTF16_LE + GIFT_QUESTION.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + GIFT_QUESTION.encode("utf-16-be"),
        GIFT_QUESTION.replace("\n", "\r\n").encode("utf-8"),
        GIFT_QUESTION.replace("\n", "\r").encode("utf-8"),
    ],
    ids=["utf8", "utf8-bom", "utf16le-bom", "utf16be-bom", "crlf", "cr"],
)
def test_every_encoding_and_line_ending_reads_the_same(data: bytes) -> None:
    [question] = parse(data, "gift")
    assert question.text == "Thủ đô của Việt Nam?"
    assert [c.text for c in question.choices] == ["Hà Nội", "Huế"]


def test_decomposed_vietnamese_comes_back_composed() -> None:
    decomposed = unicodedata.normalize("NFD", GIFT_QUESTION)
    assert decomposed != GIFT_QUESTION
    [question] = parse(decomposed.encode(), "gift")
    assert question.text == "Thủ đô của Việt Nam?"
    assert unicodedata.is_normalized("NFC", question.choices[0].text)


def test_crlf_inside_text_becomes_one_newline() -> None:
    assert decode_text(b"a\r\nb\rc\n") == "a\nb\nc\n"


def test_bytes_that_are_not_utf8_name_the_line() -> None:
    data = "dòng 1\n".encode() + "Hà Nội, cà phê\n".encode("latin-1", errors="replace")
    with pytest.raises(ImportFailed) as failure:
        decode_text(data)
    [problem] = failure.value.problems
    assert problem.line == 2
    assert "UTF-8" in problem.message


# --- sanitising ---------------------------------------------------------------------------


def test_script_style_and_event_handlers_are_removed() -> None:
    cleaned = sanitize_html(
        '<p onclick="steal()">Chọn <b>một</b><script>alert(1)</script></p>'
        "<style>p{display:none}</style>"
        '<img src="x.png" onerror="steal()" alt="hình">'
        '<a href="javascript:alert(1)">liên kết</a>'
    )
    assert cleaned == (
        '<p>Chọn <b>một</b></p><img src="x.png" alt="hình">'
        '<a rel="noopener nofollow noreferrer">liên kết</a>'
    )


def test_formatting_tables_sub_sup_and_relative_images_are_kept() -> None:
    html = (
        "<p>H<sub>2</sub>O, x<sup>2</sup>, <u>gạch</u></p>"
        '<table><tbody><tr><td colspan="2">ô</td></tr></tbody></table>'
        '<img src="@@PLUGINFILE@@/so%20do.png" alt="sơ đồ">'
    )
    assert sanitize_html(html) == html


def test_only_embedded_images_may_use_data_urls() -> None:
    cleaned = sanitize_html(
        '<img src="data:image/png;base64,iVBORw0KGgo=">'
        '<img src="data:text/html;base64,PHNjcmlwdD4=">'
        '<a href="data:text/html,<script>alert(1)</script>">x</a>'
    )
    assert cleaned == (
        '<img src="data:image/png;base64,iVBORw0KGgo="><img>'
        '<a rel="noopener nofollow noreferrer">x</a>'
    )


def test_latex_passes_through_untouched() -> None:
    assert sanitize_html("Tính $$x^2 + \\frac{1}{2}$$ khi x = 3") == (
        "Tính $$x^2 + \\frac{1}{2}$$ khi x = 3"
    )


def test_html_questions_are_sanitised_in_every_rich_field() -> None:
    [question] = parse(
        b"::Q::[html]<p>A<script>x</script></p>{=<b>a</b><script>y</script>#<i>ok</i><style>z</style>"
        b" ~b####<em>chung</em><script>w</script>}",
        "gift",
    )
    assert question.text == "<p>A</p>"
    assert question.choices[0] == Choice("<b>a</b>", 1.0, "<i>ok</i>")
    assert question.general_feedback == "<em>chung</em>"


def test_plain_text_is_kept_as_written() -> None:
    [question] = parse(b"::Q::a < b && <script> {=x ~y}", "gift")
    assert question.text == "a < b && <script>"


# --- validation ---------------------------------------------------------------------------


def _choice_question(kind: str, *fractions: float) -> QuestionData:
    return QuestionData(kind, "?", choices=[Choice(f"c{i}", f) for i, f in enumerate(fractions)])


@pytest.mark.parametrize(
    ("question", "message"),
    [
        (_choice_question("single_choice", 1.0), "ít nhất 2 phương án"),
        (_choice_question("single_choice", 0.5, 0.0), "thiếu đáp án đúng"),
        (_choice_question("multiple_response", 0.5, 0.4, 0.0), "phải là 100% (hiện là 90%)"),
        (_choice_question("multiple_response", 0.0, -1.0), "thiếu đáp án đúng"),
        (_choice_question("multiple_response", 1.5, -0.5), "từ -100% đến 100%"),
        (QuestionData("short_answer", "?"), "ít nhất một đáp án"),
        (
            QuestionData("short_answer", "?", answers=[ShortAnswer("x", 0.5)]),
            "thiếu đáp án đúng (100%)",
        ),
        (
            QuestionData("matching", "?", pairs=[MatchPair("a", "1"), MatchPair("", "2")]),
            "ít nhất 2 cặp",
        ),
        (QuestionData("ordering", "?", items=["một"]), "ít nhất 2 mục"),
        (QuestionData("ordering", "?", items=["một", "một"]), "không được trùng"),
        (QuestionData("true_false", "?"), "thiếu đáp án đúng"),
        (QuestionData("essay", ""), "thiếu nội dung"),
        (QuestionData("essay", "?", default_points=0), "lớn hơn 0"),
        (QuestionData("essay", "?", difficulty="rất khó"), "độ khó không hợp lệ"),
    ],
)
def test_validation_names_what_is_wrong(question: QuestionData, message: str) -> None:
    assert any(message in problem for problem in validate_question(question))


def test_single_choice_may_carry_partial_credit_beside_one_full_answer() -> None:
    assert validate_question(_choice_question("single_choice", 1.0, 0.5, -0.5)) == []


def test_single_choice_may_have_several_full_answers_as_in_moodle() -> None:
    assert validate_question(_choice_question("single_choice", 1.0, 1.0, 0.0)) == []


def test_multiple_response_sums_allow_rounding() -> None:
    assert (
        validate_question(
            _choice_question("multiple_response", 0.3333333, 0.3333333, 0.3333333, -1.0)
        )
        == []
    )


def test_essay_rubric_needs_named_criteria() -> None:
    question = QuestionData("essay", "?", rubric=[RubricCriterion("", 10)])
    assert validate_question(question) == ["có tiêu chí chấm để trống"]


# --- small helpers ------------------------------------------------------------------------


@pytest.mark.parametrize("fraction", [1.0, 0.5, 0.3333333, -1.0, 0.1, 0.07, 1 / 3, 0.0])
def test_percentages_read_back_as_the_same_float(fraction: float) -> None:
    assert parse_percent(format_percent(fraction)) == fraction


@pytest.mark.parametrize(
    ("path", "category"),
    [
        ("$course$/top/Kiến thức chung/Luật", "Kiến thức chung/Luật"),
        ("$system$/top", ""),
        ("$course$/Mặc định", "Mặc định"),
        ("top/A", "top/A"),
        ("A / B /", "A/B"),
    ],
)
def test_moodle_category_paths(path: str, category: str) -> None:
    assert category_from_moodle(path) == category


def test_rubric_lines_become_criteria_and_free_text_one_criterion() -> None:
    lines = "- Nêu đúng khái niệm (3 điểm)\n- Lấy ví dụ (2,5 điểm)"
    assert rubric_from_text(lines, 10) == [
        RubricCriterion("Nêu đúng khái niệm", 3.0),
        RubricCriterion("Lấy ví dụ", 2.5),
    ]
    assert rubric_from_text("Chấm theo ý, mỗi ý 1 điểm.", 5) == [
        RubricCriterion("Chấm theo ý, mỗi ý 1 điểm.", 5)
    ]
    assert rubric_from_text("  \n", 5) == []


# --- registry -----------------------------------------------------------------------------


def test_registry_lists_every_format() -> None:
    assert set(FORMATS) == {"gift", "moodle-xml", "aiken", "qti", "qti-2.2", "native"}


@pytest.mark.parametrize(
    ("filename", "data", "expected"),
    [
        ("cau-hoi.txt", GIFT_QUESTION.encode(), "gift"),
        ("x.bin", b"// chu thich\n$CATEGORY: A\n\nQ {T}\n", "gift"),
        ("cau-hoi.txt", "Câu hỏi?\nA. Một\nB. Hai\nANSWER: B\n".encode(), "aiken"),
        (
            "moodle.txt",
            b'<?xml version="1.0"?>\n<!-- <assessmentItem> -->\n<quiz></quiz>',
            "moodle-xml",
        ),
        ("item.xml", b'<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1"/>', "qti"),
        ("bank.txt", b"format: exam-bank/1\nquestions: []\n", "native"),
        ("bank.yaml", b"questions: []\n", "native"),
        ("export.gift", b"nothing recognisable", "gift"),
        ("a.xml", codecs.BOM_UTF16_LE + "<quiz/>".encode("utf-16-le"), "moodle-xml"),
    ],
)
def test_detect_format_by_content_then_extension(filename: str, data: bytes, expected: str) -> None:
    assert detect_format(filename, data) == expected


def test_detect_format_recognises_a_qti_package() -> None:
    package = dump([QuestionData("true_false", "Đúng?", key="Q1", correct_answer=True)], "qti")
    assert detect_format("goi.bin", package) == "qti"


def test_unknown_format_is_explained_in_vietnamese() -> None:
    with pytest.raises(ImportFailed) as failure:
        detect_format("anh.png", b"\x89PNG\r\n")
    message = failure.value.problems[0].message
    assert "không nhận ra định dạng của tệp «anh.png»" in message
    assert "GIFT" in message
    assert "QTI" in message


def test_parse_detects_the_format_when_not_given() -> None:
    assert parse("Câu?\nA) Có\nB) Không\nANSWER: A\n".encode(), filename="x.txt")[0].type == (
        "single_choice"
    )


def test_unknown_format_name_is_refused() -> None:
    with pytest.raises(ImportFailed, match="định dạng không được hỗ trợ: docx"):
        parse(b"", "docx")


def test_dump_passes_options_to_the_format() -> None:
    data = dump([QuestionData("essay", "Viết", key="E1")], "native", bank="Ngân hàng A")
    assert b"bank: Ng\xc3\xa2n h\xc3\xa0ng A" in data


def test_export_losses_name_what_a_format_drops() -> None:
    question = QuestionData(
        "single_choice",
        "Câu?",
        key="K1",
        difficulty="hard",
        legal_basis="Luật X",
        choices=[Choice("a", 1.0), Choice("b")],
    )
    [loss] = export_losses([question], "gift")
    assert loss.question == "K1"
    assert "độ khó" in loss.message
    assert "căn cứ pháp lý" in loss.message
    assert export_losses([question], "native") == []


def test_export_losses_do_not_count_plain_text_becoming_html_in_qti() -> None:
    question = QuestionData("true_false", "a < b?", key="K1", correct_answer=True)
    assert export_losses([question], "qti") == []


def test_export_losses_skip_questions_the_format_refuses() -> None:
    ordering = QuestionData("ordering", "Xếp", key="O1", items=["a", "b"])
    assert export_losses([ordering], "gift") == []
    with pytest.raises(ExportUnsupported):
        dump([ordering], "gift")
