"""Moodle XML: a realistic Moodle 4 export, every supported type, errors with lines."""

from __future__ import annotations

import base64
import codecs
from pathlib import Path

import pytest

from exam.question_bank.formats import moodle_xml
from exam.question_bank.formats.common import ExportUnsupported, moodle_fraction_problem
from exam.question_bank.interchange import (
    Choice,
    ImportFailed,
    ImportProblem,
    MatchPair,
    NumericAnswer,
    QuestionData,
    RubricCriterion,
    ShortAnswer,
)

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
PNG_BASE64 = base64.b64encode(PNG).decode()


def quiz(*questions: str) -> bytes:
    body = "\n".join(questions)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n{body}\n</quiz>\n'.encode()


def problems(data: bytes) -> list[tuple[int | None, str]]:
    with pytest.raises(ImportFailed) as failure:
        moodle_xml.parse(data)
    return [(p.line, p.message) for p in failure.value.problems]


# A Moodle 4 export as Moodle writes it (CDATA, Atto image attributes, combined
# feedback, hints, a catch-all numerical answer, the ordering plugin).
MOODLE_EXPORT = (Path(__file__).parent / "samples" / "moodle-export.xml").read_text("utf-8")


@pytest.fixture(scope="module")
def exported() -> list[QuestionData]:
    return moodle_xml.parse(MOODLE_EXPORT.encode())


def test_realistic_export_reads_every_question(exported: list[QuestionData]) -> None:
    assert [q.type for q in exported] == [
        "single_choice",
        "multiple_response",
        "true_false",
        "short_answer",
        "numerical",
        "matching",
        "essay",
        "ordering",
    ]
    assert {q.category for q in exported} == {"Kiến thức chung/Hiến pháp"}


def test_multichoice_single_with_partial_credit_media_and_tags(
    exported: list[QuestionData],
) -> None:
    question = exported[0]
    assert question.name == "Vị trí của Chính phủ"
    assert question.key == "HP-094"
    assert question.default_points == 2.0
    assert question.text == (
        '<p>Chính phủ là cơ quan gì?<img src="@@PLUGINFILE@@/so%20do.png" alt="sơ đồ" '
        'width="200" height="100"></p>'
    )
    assert question.media == {"so do.png": PNG}
    assert question.general_feedback == "<p>Điều 94 Hiến pháp.</p>"
    assert question.tags == ["hiến pháp", "chính phủ"]
    assert question.choices == [
        Choice("<p>Cơ quan hành chính nhà nước cao nhất</p>", 1.0, "<p>Đúng</p>"),
        Choice("<p>Cơ quan chấp hành của Quốc hội</p>", 0.3333333),
        Choice("Cơ quan quyền lực nhà nước cao nhất", 0.0),
    ]


def test_multichoice_multiple(exported: list[QuestionData]) -> None:
    question = exported[1]
    assert question.text_format == "plain"
    assert question.shuffle_choices is False
    assert [c.fraction for c in question.choices] == [0.5, 0.5, -1.0]


def test_truefalse_keeps_answer_feedback(exported: list[QuestionData]) -> None:
    question = exported[2]
    assert question.correct_answer is True
    assert question.choices == [Choice("true", 1.0, "Đúng, Điều 71."), Choice("false", 0.0, "")]


def test_shortanswer_usecase(exported: list[QuestionData]) -> None:
    question = exported[3]
    assert question.case_sensitive is True
    assert question.answers == [
        ShortAnswer("Hội đồng nhân dân", 1.0),
        ShortAnswer("Hội đồng Nhân dân", 0.5, "Chú ý viết hoa"),
    ]


def test_numerical_ignores_an_empty_catch_all_answer(exported: list[QuestionData]) -> None:
    assert exported[4].numeric_answers == [NumericAnswer(11.0, 0.0)]


def test_matching_with_distractor(exported: list[QuestionData]) -> None:
    question = exported[5]
    assert question.default_points == 3.0
    assert question.pairs == [
        MatchPair("<p>Quốc hội</p>", "lập pháp"),
        MatchPair("<p>Chính phủ</p>", "hành pháp"),
        MatchPair("", "kiểm toán"),
    ]


def test_unstructured_grader_info_becomes_one_criterion(exported: list[QuestionData]) -> None:
    assert exported[6].rubric == [RubricCriterion("Nêu được vị trí, chức năng; có ví dụ.", 10.0)]


def test_structured_grader_info_becomes_criteria() -> None:
    [question] = moodle_xml.parse(
        quiz(
            """<question type="essay"><name><text>E</text></name>
            <questiontext format="html"><text>Viết</text></questiontext>
            <defaultgrade>10</defaultgrade>
            <graderinfo format="html"><text><![CDATA[<ul><li>- Nêu khái niệm (4 điểm)</li>
            <li>- Phân tích ví dụ (6 điểm)</li></ul>]]></text></graderinfo></question>"""
        )
    )
    assert question.rubric == [
        RubricCriterion("Nêu khái niệm", 4.0),
        RubricCriterion("Phân tích ví dụ", 6.0),
    ]


def test_ordering_follows_the_position_in_fraction(exported: list[QuestionData]) -> None:
    assert exported[7].items == ["Hiến pháp 1946", "Hiến pháp 1959", "Hiến pháp 2013"]


def test_utf16_file_with_bom() -> None:
    data = MOODLE_EXPORT.replace('encoding="UTF-8"', 'encoding="UTF-16"')
    assert len(moodle_xml.parse(codecs.BOM_UTF16_LE + data.encode("utf-16-le"))) == 8


def test_declared_legacy_encoding_is_honoured() -> None:
    data = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n<quiz><question type="truefalse">'
        "<name><text>Caf\xe9</text></name><questiontext><text>Cr\xe8me?</text></questiontext>"
        '<answer fraction="100"><text>true</text></answer>'
        '<answer fraction="0"><text>false</text></answer></question></quiz>'
    ).encode("latin-1")
    [question] = moodle_xml.parse(data)
    assert (question.name, question.text) == ("Café", "Crème?")


# --- problems -----------------------------------------------------------------------------


def test_bad_xml_names_the_line() -> None:
    data = (
        b'<?xml version="1.0"?>\n<quiz>\n<question type="truefalse">\n'
        b"<name><text>x</name>\n</question>\n</quiz>"
    )
    [(line, message)] = problems(data)
    assert line == 4
    assert message.startswith("XML không hợp lệ: thẻ đóng không khớp thẻ mở")


def test_doctype_and_entities_are_refused() -> None:
    data = b'<?xml version="1.0"?>\n<!DOCTYPE quiz [<!ENTITY a "aaaa">]>\n<quiz>&a;</quiz>'
    [(_, message)] = problems(data)
    assert "DTD" in message


def test_root_must_be_quiz() -> None:
    assert problems(b"<?xml version='1.0'?>\n<questions/>") == [
        (2, "tệp Moodle XML phải có phần tử gốc <quiz>")
    ]


def test_every_problem_with_its_question_line() -> None:
    data = quiz(
        '<question type="multichoice"><name><text>Ba lần 33</text></name>'
        "<questiontext><text>?</text></questiontext><single>false</single>"
        '<answer fraction="33"><text>a</text></answer>'
        '<answer fraction="33"><text>b</text></answer>'
        '<answer fraction="34"><text>c</text></answer></question>',
        '<question type="multianswer"><name><text>Cloze</text></name></question>',
        '<question type="multichoice"><name><text>Sai phần trăm</text></name>'
        "<questiontext><text>?</text></questiontext>"
        '<answer fraction="abc"><text>a</text></answer>'
        '<answer fraction="0"><text>b</text></answer></question>',
        '<question type="numerical"><name><text>Đơn vị</text></name>'
        "<questiontext><text>Bao xa?</text></questiontext>"
        '<answer fraction="100"><text>5</text></answer>'
        "<units><unit><multiplier>abc</multiplier><unit_name>km</unit_name></unit></units>"
        "</question>",
        '<question type="multichoice"><name><text>Ảnh hỏng</text></name>'
        '<questiontext><text>?</text><file name="a.png" encoding="base64">!!!</file></questiontext>'
        '<answer fraction="100"><text>a</text></answer><answer fraction="0"><text>b</text></answer>'
        "</question>",
        '<question type="shortanswer"><name><text>Không đáp án</text></name>'
        "<questiontext><text>?</text></questiontext></question>",
    )
    assert problems(data) == [
        (3, moodle_fraction_problem(0.33)),
        (3, moodle_fraction_problem(0.33)),
        (3, moodle_fraction_problem(0.34)),
        (4, "kiểu câu hỏi không được hỗ trợ: multianswer"),
        (5, "tỉ lệ điểm không hợp lệ: «abc»"),
        (6, "hệ số của đơn vị không hợp lệ: «abc»"),
        (7, "dữ liệu base64 của tệp «a.png» bị hỏng"),
        (8, "cần ít nhất một đáp án chấp nhận"),
    ]


def test_catch_all_numerical_feedback_is_not_dropped_silently() -> None:
    data = quiz(
        '<question type="numerical"><name><text>N</text></name>'
        "<questiontext><text>?</text></questiontext>"
        '<answer fraction="100"><text>5</text></answer>'
        '<answer fraction="0"><text>*</text><feedback><text>Sai rồi</text></feedback></answer>'
        "</question>"
    )
    notices: list[ImportProblem] = []
    [question] = moodle_xml.parse(data, notices)
    assert [a.value for a in question.numeric_answers] == [5]
    [notice] = notices
    assert "Sai rồi" in notice.message


def test_a_catch_all_answer_worth_points_is_refused() -> None:
    data = quiz(
        '<question type="numerical"><name><text>N</text></name>'
        "<questiontext><text>?</text></questiontext>"
        '<answer fraction="100"><text>5</text></answer>'
        '<answer fraction="50"><text>*</text></answer>'
        "</question>"
    )
    [(_, message)] = problems(data)
    assert "đáp án *" in message


# --- export -------------------------------------------------------------------------------


def test_export_writes_categories_names_and_files() -> None:
    questions = [
        QuestionData(
            "single_choice",
            '<p><img src="@@PLUGINFILE@@/h.png"></p>',
            text_format="html",
            category="A/B",
            media={"h.png": PNG, "thu muc/k.png": b"k"},
            choices=[Choice("a", 1.0), Choice("b")],
        ),
        QuestionData("essay", "Viết", category="A/B"),
    ]
    data = moodle_xml.dump(questions)
    text = data.decode()
    assert text.count('type="category"') == 1
    assert "<text>$course$/top/A/B</text>" in text
    assert f'<file name="h.png" path="/" encoding="base64">{PNG_BASE64}</file>' in text
    assert '<file name="k.png" path="/thu muc/" encoding="base64">' in text
    assert "<name>\n      <text>Viết</text>" in text  # nameless questions get their first words
    back = moodle_xml.parse(data)
    assert back[0].media == {"h.png": PNG, "thu muc/k.png": b"k"}


def test_multi_line_rubric_criteria_need_a_single_criterion() -> None:
    essay = QuestionData(
        "essay",
        "Viết",
        key="E1",
        default_points=10,
        rubric=[RubricCriterion("Ý một\ntiếp", 5), RubricCriterion("Ý hai", 5)],
    )
    with pytest.raises(ExportUnsupported) as refusal:
        moodle_xml.dump([essay])
    assert refusal.value.problems[0].question == "E1"


ROUND_TRIP_CASES = [
    QuestionData(
        "single_choice",
        "<p>Chọn</p>",
        name="SC",
        key="SC-1",
        text_format="html",
        category="A/B",
        tags=["x"],
        default_points=2.5,
        general_feedback="<p>chung</p>",
        choices=[Choice("a", 1.0, "<b>đúng</b>"), Choice("b", 0.3333333), Choice("c", -0.5)],
        shuffle_choices=False,
        media={"a.png": PNG},
    ),
    QuestionData(
        "multiple_response",
        "Chọn nhiều",
        name="MR",
        choices=[Choice("a", 0.5), Choice("b", 0.5), Choice("c", -1.0)],
    ),
    QuestionData(
        "true_false",
        "Đúng?",
        name="TF",
        correct_answer=False,
        choices=[Choice("true", 0.0, "Không"), Choice("false", 1.0, "")],
    ),
    QuestionData(
        "short_answer",
        "Điền <b>",
        name="SA",
        answers=[ShortAnswer("a & b", 1.0, "ok"), ShortAnswer("ab", 0.5)],
        case_sensitive=True,
    ),
    QuestionData(
        "numerical",
        "Số",
        name="N",
        numeric_answers=[NumericAnswer(3.14, 0.01), NumericAnswer(-2e-7, 0.0, 0.5, "gần")],
    ),
    QuestionData(
        "matching",
        "Ghép",
        name="M",
        pairs=[MatchPair("a", "1"), MatchPair("", "2"), MatchPair("b", "1")],
    ),
    QuestionData("ordering", "Xếp", name="O", items=["một", "hai", "ba"]),
    QuestionData(
        "essay",
        "Viết",
        name="E",
        default_points=10,
        rubric=[RubricCriterion("Ý một", 4), RubricCriterion("Ý hai (phụ)", 6)],
    ),
    QuestionData(
        "essay",
        "Viết",
        name="E2",
        default_points=3,
        rubric=[RubricCriterion("Tự do\nnhiều dòng", 3)],
    ),
]


@pytest.mark.parametrize("question", ROUND_TRIP_CASES, ids=lambda q: q.name)
def test_round_trip_per_type(question: QuestionData) -> None:
    assert moodle_xml.parse(moodle_xml.dump([question])) == [question]


def test_round_trip_of_the_realistic_export(exported: list[QuestionData]) -> None:
    assert moodle_xml.parse(moodle_xml.dump(exported)) == exported
