"""Files written by Moodle (or for it) are judged as Moodle judges them: what Moodle imports
is imported, what it refuses is refused with its line (issue 11, items 5 and 6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from exam.question_bank.formats import aiken, gift, moodle_xml
from exam.question_bank.formats.common import (
    ExportUnsupported,
    moodle_fraction,
    moodle_fraction_problem,
    validate_question,
)
from exam.question_bank.interchange import Choice, ImportFailed, ImportProblem, QuestionData

SAMPLES = Path(__file__).parent / "samples"


# --- GIFT as Moodle's own export writes it (item 5) ---------------------------------------


def test_moodle_gift_export_imports_whole_with_notices() -> None:
    notices: list[ImportProblem] = []
    questions = gift.parse((SAMPLES / "moodle-gift-export.txt").read_bytes(), notices)
    assert [q.name for q in questions] == [
        "Số pi",
        "Cơ quan ban hành",
        "Năm ban hành",
        "Nguyên tắc",
    ]
    assert {q.category for q in questions} == {"Mặc định cho Kiến thức chung/Công vụ"}
    # The description is skipped, the "any other answer" feedback reported as dropped;
    # an empty "~#" (Moodle writes one for every catch-all answer) says nothing.
    assert [(n.line, n.question) for n in notices] == [
        (6, "Lời dẫn phần I"),
        (12, "Số pi"),
        (17, "Cơ quan ban hành"),
    ]
    assert "description" in notices[0].message
    assert "Số pi xấp xỉ 3,14" in notices[1].message
    assert "2 phương án đúng" in notices[2].message


def test_gift_numerical_with_catch_all_keeps_its_real_answers() -> None:
    questions = gift.parse((SAMPLES / "moodle-gift-export.txt").read_bytes())
    pi = questions[0]
    assert pi.type == "numerical"
    assert [(a.value, a.tolerance, a.fraction) for a in pi.numeric_answers] == [
        (3.14, 0.01, 1.0),
        (3.1, 0.05, 0.5),
    ]
    assert pi.general_feedback == "<p>Số pi là tỉ số giữa chu vi và đường kính.</p>"
    assert validate_question(pi) == []


def test_several_equals_make_one_single_choice_with_several_full_options() -> None:
    question = gift.parse((SAMPLES / "moodle-gift-export.txt").read_bytes())[1]
    assert question.type == "single_choice"
    assert [c.fraction for c in question.choices] == [1.0, 1.0, 0.0, 0.0]
    assert validate_question(question) == []


def test_an_option_written_tilde_equals_is_one_correct_option() -> None:
    notices: list[ImportProblem] = []
    [question] = gift.parse("Thủ đô của Việt Nam?{~=Hà Nội ~Huế ~Đà Nẵng}".encode(), notices)
    assert question.type == "single_choice"
    assert [(c.text, c.fraction) for c in question.choices] == [
        ("Hà Nội", 1.0),
        ("Huế", 0.0),
        ("Đà Nẵng", 0.0),
    ]
    assert notices == []


def test_a_bare_tilde_is_an_empty_option_moodle_skips() -> None:
    [question] = gift.parse("Chọn {=a ~ ~b}".encode())
    assert [c.text for c in question.choices] == ["a", "b"]


def test_gift_weight_moodle_refuses_is_refused_with_its_line() -> None:
    with pytest.raises(ImportFailed) as failure:
        gift.parse("::A::Chọn\n{\n~%33%a\n~%33%b\n~%34%c\n}".encode())
    assert [(p.line, p.message) for p in failure.value.problems] == [
        (3, moodle_fraction_problem(0.33)),
        (4, moodle_fraction_problem(0.33)),
        (5, moodle_fraction_problem(0.34)),
    ]


def test_gift_export_of_several_full_options_reads_back_the_same() -> None:
    question = gift.parse((SAMPLES / "moodle-gift-export.txt").read_bytes())[1]
    [again] = gift.parse(gift.dump([question]))
    assert again.choices == question.choices


# --- Moodle XML fractions (item 6) ----------------------------------------------------------


def test_moodle_grade_options() -> None:
    assert moodle_fraction(0.3333333) == 0.3333333
    assert moodle_fraction(1 / 3) == 0.3333333
    assert moodle_fraction(-0.5) == -0.5
    assert moodle_fraction(0.33) is None
    assert moodle_fraction(0.333) is None


def test_moodle_xml_fractions_moodle_refuses_are_refused_with_their_lines() -> None:
    with pytest.raises(ImportFailed) as failure:
        moodle_xml.parse((SAMPLES / "moodle-xml-bad-fractions.xml").read_bytes())
    assert [(p.line, p.question, p.message) for p in failure.value.problems] == [
        (33, "Ba nguyên tắc", moodle_fraction_problem(0.33)),
        (39, "Ba nguyên tắc", moodle_fraction_problem(0.33)),
        (45, "Ba nguyên tắc", moodle_fraction_problem(0.33)),
    ]
    assert "33%" in failure.value.problems[0].message


def test_moodle_xml_thirds_as_moodle_writes_them_are_imported() -> None:
    data = (SAMPLES / "moodle-xml-bad-fractions.xml").read_text("utf-8")
    start = data.index("<!-- question: 3102")
    good = data[: data.index("<!-- question: 3101")] + data[start:]
    [question] = moodle_xml.parse(good.encode())
    assert question.key == "NT-3333"
    assert [c.fraction for c in question.choices] == [0.3333333, 0.3333333, 0.3333333, -1.0]


@pytest.mark.parametrize("dump", [moodle_xml.dump, gift.dump])
def test_moodle_formats_refuse_to_write_a_fraction_moodle_would_refuse(dump) -> None:
    question = QuestionData(
        "multiple_response",
        "Chọn",
        key="MR",
        choices=[Choice("a", 0.33), Choice("b", 0.33), Choice("c", 0.34)],
    )
    with pytest.raises(ExportUnsupported) as refused:
        dump([question])
    assert refused.value.problems[0].question == "MR"
    assert "Moodle không nhập được" in refused.value.problems[0].message


def test_aiken_cannot_write_several_correct_options() -> None:
    question = QuestionData(
        "single_choice", "Chọn", key="SC", choices=[Choice("a", 1.0), Choice("b", 1.0)]
    )
    with pytest.raises(ExportUnsupported) as refused:
        aiken.dump([question])
    assert "một đáp án đúng" in refused.value.problems[0].message


def test_moodle_xml_description_is_skipped_with_a_notice() -> None:
    data = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n'
        '<question type="description"><name><text>Lời dẫn</text></name>'
        "<questiontext><text>Đọc kỹ</text></questiontext></question>\n"
        '<question type="truefalse"><name><text>Câu</text></name>'
        "<questiontext><text>?</text></questiontext>"
        '<answer fraction="100"><text>true</text></answer>'
        '<answer fraction="0"><text>false</text></answer></question>\n</quiz>'
    ).encode()
    notices: list[ImportProblem] = []
    [question] = moodle_xml.parse(data, notices)
    assert question.name == "Câu"
    assert [(n.line, n.question) for n in notices] == [(3, "Lời dẫn")]
