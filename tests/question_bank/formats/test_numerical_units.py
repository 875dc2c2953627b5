"""Numerical questions with units, as Moodle writes them: optional units are kept (a
response may carry one, converted by its multiplier), graded units are kept as optional
with a notice, and every format that can hold units writes them (issue 11, item 7)."""

from __future__ import annotations

from pathlib import Path

from exam.question_bank.formats import export_losses, gift, moodle_xml, native
from exam.question_bank.formats.common import validate_question
from exam.question_bank.interchange import ImportProblem, NumericAnswer, NumericUnit, QuestionData
from exam.question_bank.qtypes.numerical import read_with_units

SAMPLES = Path(__file__).parent / "samples"
METRES = [{"unit": "m", "multiplier": 1.0}, {"unit": "cm", "multiplier": 100.0}]


def _imported() -> tuple[list[QuestionData], list[ImportProblem]]:
    notices: list[ImportProblem] = []
    questions = moodle_xml.parse((SAMPLES / "moodle-xml-units.xml").read_bytes(), notices)
    return questions, notices


def test_optional_units_are_imported_with_their_multipliers() -> None:
    questions, _ = _imported()
    length = questions[0]
    assert (length.key, length.type) == ("DL-01", "numerical")
    assert length.units == [NumericUnit("m", 1.0), NumericUnit("cm", 100.0)]
    assert length.numeric_answers == [NumericAnswer(1.5, 0.01, 1.0, "")]
    assert validate_question(length) == []


def test_graded_units_are_kept_as_optional_and_said_so() -> None:
    questions, notices = _imported()
    assert questions[1].units == [NumericUnit("kg", 1.0), NumericUnit("g", 1000.0)]
    [notice] = notices
    assert notice.question == "Khối lượng"
    assert "đơn vị bắt buộc" in notice.message
    assert "10%" in notice.message


def test_a_response_may_carry_a_unit_or_none() -> None:
    assert read_with_units("1.5", METRES) == 1.5
    assert read_with_units("1,5 m", METRES) == 1.5
    assert read_with_units("150cm", METRES) == 1.5
    assert read_with_units("150 cm", METRES) == 1.5
    assert read_with_units("1.5 km", METRES) is None  # a unit the question does not know
    assert read_with_units("cm", METRES) is None


def test_moodle_xml_and_native_write_the_units_back() -> None:
    questions, _ = _imported()
    for module in (moodle_xml, native):
        [again] = module.parse(module.dump(questions[:1]))
        assert again.units == questions[0].units
    written = moodle_xml.dump(questions[:1]).decode()
    assert "<unit_name>cm</unit_name>" in written
    assert "<unitgradingtype>0</unitgradingtype>" in written


def test_gift_has_no_units_and_the_export_says_they_are_lost() -> None:
    questions, _ = _imported()
    [loss] = export_losses(questions[:1], "gift")
    assert "đơn vị" in loss.message
    [again] = gift.parse(gift.dump(questions[:1]))
    assert again.units == []


def test_bad_units_are_refused() -> None:
    question = QuestionData(
        "numerical",
        "?",
        numeric_answers=[NumericAnswer(1.0)],
        units=[NumericUnit("m", 1.0), NumericUnit("m", 0.0), NumericUnit("", 1.0)],
    )
    problems = validate_question(question)
    assert "có đơn vị để trống" in problems
    assert "các đơn vị không được trùng nhau" in problems
    assert "hệ số của đơn vị phải là số dương" in problems


def test_the_question_form_reads_and_writes_units_as_lines() -> None:
    from exam.question_bank.forms import form_data, units_from_text

    assert units_from_text("m = 1\n\ncm = 100\n") == [NumericUnit("m", 1.0), NumericUnit("cm", 100)]
    assert units_from_text("kg") == [NumericUnit("kg", 1.0)]
    assert units_from_text("cm = một trăm") is None
    questions, _ = _imported()
    assert form_data(questions[0])["units"] == "m = 1\ncm = 100"
