"""Moodle XML (``<quiz><question type="…">``), import and export.

Supported question types: ``multichoice`` (``<single>true</single>`` → single choice, which
may carry partial credit besides its one 100% answer; ``false`` → multiple response),
``truefalse`` (with per-answer feedback), ``shortanswer`` (``<usecase>``), ``numerical``
(``<tolerance>``), ``matching`` (empty subquestions are distractors), ``essay``
(``<graderinfo>``: lines "- tiêu chí (N điểm)" become rubric criteria, any other text one
criterion worth the question's points) and ``ordering`` (the qtype_ordering plugin: the
answers' ``fraction`` is their position). Also: ``category`` pseudo-questions
(``$course$/top/A/B`` → "A/B"), ``<name>``, text formats, ``<generalfeedback>``,
``<defaultgrade>``, percentage ``fraction`` attributes, numerical ``<units>`` (optional
units kept; graded ones kept as optional with a notice; "not used" ones ignored),
``<idnumber>`` (→ key), ``<tags>``
and ``<file encoding="base64">`` (→ media, keyed by path and name; the
``@@PLUGINFILE@@/name`` references in the text are kept as written).

Reported as problems, with the line of their ``<question>``: other question types
(cloze, calculated, drag-and-drop …), numerical "*" answers worth more than 0, malformed
numbers, fractions Moodle refuses (not one of its grade options, e.g. ``33``: Moodle's
import says "does not match grade options"), and invalid XML.

Imported as Moodle imports them, with a notice in the import report: ``description``
items are skipped (there is no description type); the feedback of a numerical "*" answer
(any other answer, worth 0) is dropped.

Ignored (no place in the interchange form, and Moodle fills them in by default):
penalty, hidden, hints, answer numbering, combined correct/partially/incorrect feedback,
essay response options and template.

Export writes a category pseudo-question whenever the category changes and a name for
nameless questions (Moodle requires one). Difficulty, legal basis and diacritics
sensitivity are not carried: see ``round_trip_form``.
"""

from __future__ import annotations

import base64
import binascii
import posixpath
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import replace
from xml.etree.ElementTree import Element, SubElement

from exam.question_bank.formats.common import (
    RUBRIC_NOT_WRITABLE,
    ExportChecker,
    ProblemLog,
    answer_fractions,
    category_from_moodle,
    category_to_moodle,
    fail,
    finish_and_check,
    format_number,
    format_percent,
    html_to_plain,
    label_for,
    moodle_fraction_problem,
    only_type_fields,
    parse_number,
    parse_percent,
    reset_fields,
    rubric_from_text,
    rubric_survives_lines,
    rubric_to_lines,
    rubric_writable_as_text,
    true_false_choices,
    true_false_feedback,
)
from exam.question_bank.formats.xml_tools import (
    XmlDocument,
    children,
    decode_xml,
    first_child,
    local_name,
    parse_xml,
    text_of,
)
from exam.question_bank.interchange import (
    Choice,
    ImportProblem,
    MatchPair,
    NumericAnswer,
    NumericUnit,
    QuestionData,
    ShortAnswer,
)

SUPPORTED_TYPES = (
    "single_choice",
    "multiple_response",
    "true_false",
    "short_answer",
    "numerical",
    "matching",
    "ordering",
    "essay",
)

_FORMAT_IN = {"html": "html", "plain_text": "plain", "markdown": "markdown"}
_FORMAT_OUT = {"html": "html", "plain": "plain_text", "markdown": "markdown"}

# ---------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------


class _QuestionReader:
    """Reads one ``<question>``; problems go to the shared log with their lines."""

    def __init__(self, element: Element, doc: XmlDocument, log: ProblemLog):
        self.element = element
        self.doc = doc
        self.log = log
        self.label = label_for(
            text_of(element, "name", "text"), text_of(element, "questiontext", "text")
        )
        self.failed = False

    @property
    def line(self) -> int | None:
        return self.doc.line(self.element)

    def problem(self, message: str, element: Element | None = None) -> None:
        self.failed = True
        line = self.doc.line(element) if element is not None else self.line
        self.log.add(line, message, self.label)

    def read(self, category: str) -> QuestionData | None:
        moodle_type = self.element.get("type", "")
        if moodle_type == "description":
            self.log.note(
                self.line,
                "bỏ qua mục mô tả (description): hệ thống không có kiểu câu hỏi này",
                self.label,
            )
            return None
        reader = _TYPE_READERS.get(moodle_type)
        if reader is None:
            self.problem(f"kiểu câu hỏi không được hỗ trợ: {moodle_type or '(không ghi)'}")
            return None
        question = reader(self, self._common(category))
        if self.failed:
            return None
        return finish_and_check(question, self.line, self.log)

    def _common(self, category: str) -> QuestionData:
        element = self.element
        text_element = first_child(element, "questiontext")
        text_format = _FORMAT_IN.get(
            text_element.get("format", "") if text_element is not None else "", "plain"
        )
        return QuestionData(
            type="essay",
            text=text_of(text_element, "text"),
            name=text_of(element, "name", "text"),
            key=text_of(element, "idnumber"),
            text_format=text_format,
            category=category,
            tags=[text_of(tag, "text") for tag in _tag_elements(element)],
            default_points=self._points(),
            general_feedback=text_of(element, "generalfeedback", "text"),
            media=self._media(),
        )

    def _points(self) -> float:
        grade = first_child(self.element, "defaultgrade")
        if grade is None or not (grade.text or "").strip():
            return 1.0
        value = parse_number(grade.text or "")
        if value is None:
            self.problem(f"điểm mặc định không hợp lệ: «{grade.text}»", grade)
            return 1.0
        return value

    def _media(self) -> dict[str, bytes]:
        media: dict[str, bytes] = {}
        for file in self.element.iter():
            if local_name(file.tag) != "file":
                continue
            name = _media_name(file.get("path", "/"), file.get("name", ""))
            content = self._decode_file(file)
            if content is None:
                continue
            if name in media and media[name] != content:
                self.problem(f"hai tệp đính kèm khác nhau cùng tên «{name}»", file)
            media[name] = content
        return media

    def _decode_file(self, file: Element) -> bytes | None:
        if file.get("encoding", "base64") != "base64":
            self.problem(f"tệp đính kèm phải mã hoá base64: «{file.get('name', '')}»", file)
            return None
        try:
            return base64.b64decode("".join((file.text or "").split()), validate=True)
        except (binascii.Error, ValueError):
            self.problem(f"dữ liệu base64 của tệp «{file.get('name', '')}» bị hỏng", file)
            return None

    def fraction(self, answer: Element) -> float:
        raw = answer.get("fraction", "0")
        value = parse_percent(raw)
        if value is None:
            self.problem(f"tỉ lệ điểm không hợp lệ: «{raw}»", answer)
            return 0.0
        if (message := moodle_fraction_problem(value)) is not None:
            self.problem(message, answer)
        return value

    def flag(self, name: str, default: bool) -> bool:
        raw = text_of(self.element, name).strip().lower()
        if not raw:
            return default
        return raw in ("1", "true", "yes")

    # --- one reader per Moodle question type -------------------------------------------

    def multichoice(self, q: QuestionData) -> QuestionData:
        choices = [
            Choice(text_of(a, "text"), self.fraction(a), text_of(a, "feedback", "text"))
            for a in children(self.element, "answer")
        ]
        kind = "single_choice" if self.flag("single", True) else "multiple_response"
        return replace(
            q, type=kind, choices=choices, shuffle_choices=self.flag("shuffleanswers", True)
        )

    def truefalse(self, q: QuestionData) -> QuestionData:
        feedback: dict[str, str] = {}
        correct: bool | None = None
        for answer in children(self.element, "answer"):
            value = text_of(answer, "text").strip().lower()
            if value not in ("true", "false"):
                self.problem(
                    f"đáp án đúng/sai phải là true hoặc false, không phải «{value}»", answer
                )
                continue
            feedback[value] = text_of(answer, "feedback", "text")
            if self.fraction(answer) == 1.0:
                correct = value == "true"
        choices = []
        if correct is not None:
            choices = true_false_choices(
                correct, feedback.get("true", ""), feedback.get("false", "")
            )
        return replace(q, type="true_false", correct_answer=correct, choices=choices)

    def shortanswer(self, q: QuestionData) -> QuestionData:
        answers = [
            ShortAnswer(text_of(a, "text"), self.fraction(a), text_of(a, "feedback", "text"))
            for a in children(self.element, "answer")
        ]
        return replace(
            q, type="short_answer", answers=answers, case_sensitive=self.flag("usecase", False)
        )

    def numerical(self, q: QuestionData) -> QuestionData:
        answers = [a for a in map(self._numeric_answer, children(self.element, "answer")) if a]
        return replace(q, type="numerical", numeric_answers=answers, units=self._units())

    def _units(self) -> list[NumericUnit]:
        """The units a response may carry. Moodle's "not used" units (``showunits`` 3)
        are ignored as Moodle ignores them; graded units (``unitgradingtype`` 1 or 2)
        are kept as optional ones, their penalty dropped, with a notice."""
        container = first_child(self.element, "units")
        if container is None or text_of(self.element, "showunits").strip() == "3":
            return []
        units = []
        for unit in children(container, "unit"):
            multiplier_text = text_of(unit, "multiplier").strip() or "1"
            multiplier = parse_number(multiplier_text)
            if multiplier is None:
                self.problem(f"hệ số của đơn vị không hợp lệ: «{multiplier_text}»", unit)
                continue
            units.append(NumericUnit(text_of(unit, "unit_name").strip(), multiplier))
        if units and text_of(self.element, "unitgradingtype").strip() in ("1", "2"):
            penalty = parse_number(text_of(self.element, "unitpenalty")) or 0.0
            self.log.note(
                self.doc.line(container),
                f"đơn vị bắt buộc (thiếu hoặc sai đơn vị bị trừ {format_percent(penalty)}%) "
                "được nhập như đơn vị không bắt buộc: không trừ điểm khi thiếu đơn vị",
                self.label,
            )
        return units

    def _numeric_answer(self, answer: Element) -> NumericAnswer | None:
        raw = text_of(answer, "text").strip()
        feedback = text_of(answer, "feedback", "text")
        if raw == "*":  # Moodle's "any other answer": worth 0 here as any unlisted answer
            if self.fraction(answer) != 0:
                self.problem("đáp án * (mọi đáp án khác) được điểm: không được hỗ trợ", answer)
            elif html_to_plain(feedback):
                shown = html_to_plain(feedback)
                self.log.note(
                    self.doc.line(answer),
                    f"phản hồi cho mọi đáp án khác (*) không được lưu: «{shown}»",
                    self.label,
                )
            return None
        value = parse_number(raw.replace(",", ".") if raw.count(",") == 1 else raw)
        tolerance_text = text_of(answer, "tolerance").strip() or "0"
        tolerance = parse_number(tolerance_text)
        if value is None or tolerance is None:
            bad = raw if value is None else tolerance_text
            self.problem(f"giá trị số không hợp lệ: «{bad}»", answer)
            return None
        return NumericAnswer(value, tolerance, self.fraction(answer), feedback)

    def matching(self, q: QuestionData) -> QuestionData:
        pairs = [
            MatchPair(text_of(s, "text"), text_of(s, "answer", "text"))
            for s in children(self.element, "subquestion")
        ]
        return replace(
            q, type="matching", pairs=pairs, shuffle_choices=self.flag("shuffleanswers", True)
        )

    def ordering(self, q: QuestionData) -> QuestionData:
        answers = children(self.element, "answer")
        # qtype_ordering stores each item's correct position in "fraction".
        positions = [parse_number(a.get("fraction", "0")) for a in answers]
        if any(p is None for p in positions):
            self.problem("vị trí (fraction) của mục sắp xếp không hợp lệ")
            return q
        ordered = sorted(zip(positions, range(len(answers)), answers, strict=True))
        return replace(q, type="ordering", items=[text_of(a, "text") for _, _, a in ordered])

    def essay(self, q: QuestionData) -> QuestionData:
        grader = first_child(self.element, "graderinfo")
        text = text_of(grader, "text")
        if grader is not None and grader.get("format", "html") in ("html", "moodle_auto_format"):
            text = html_to_plain(text)
        return replace(q, type="essay", rubric=rubric_from_text(text, q.default_points))


_TYPE_READERS: dict[str, Callable[[_QuestionReader, QuestionData], QuestionData]] = {
    "multichoice": _QuestionReader.multichoice,
    "truefalse": _QuestionReader.truefalse,
    "shortanswer": _QuestionReader.shortanswer,
    "numerical": _QuestionReader.numerical,
    "matching": _QuestionReader.matching,
    "essay": _QuestionReader.essay,
    "ordering": _QuestionReader.ordering,
}


def _tag_elements(question: Element) -> list[Element]:
    container = first_child(question, "tags")
    return [] if container is None else children(container, "tag")


def _media_name(path: str, name: str) -> str:
    folder = path.strip("/")
    return posixpath.join(folder, name) if folder else name


def parse(data: bytes, notices: list[ImportProblem] | None = None) -> list[QuestionData]:
    """Every question of a Moodle XML file, or ImportFailed listing every problem;
    ``notices`` receives what is skipped or imported otherwise than written."""
    doc = parse_xml(decode_xml(data))
    if local_name(doc.root.tag) != "quiz":
        raise fail("tệp Moodle XML phải có phần tử gốc <quiz>", doc.line(doc.root))
    log = ProblemLog(notices=notices)
    questions: list[QuestionData] = []
    category = ""
    for element in children(doc.root, "question"):
        if element.get("type") == "category":
            category = category_from_moodle(text_of(element, "category", "text"))
            continue
        question = _QuestionReader(element, doc, log).read(category)
        if question is not None:
            questions.append(question)
    log.raise_if_any()
    return questions


# ---------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------

_MOODLE_TYPES = {
    "single_choice": "multichoice",
    "multiple_response": "multichoice",
    "true_false": "truefalse",
    "short_answer": "shortanswer",
    "numerical": "numerical",
    "matching": "matching",
    "ordering": "ordering",
    "essay": "essay",
}


def _text(parent: Element, tag: str, text: str, text_format: str | None = None) -> Element:
    """``<tag format="…"><text>…</text></tag>``."""
    element = SubElement(parent, tag)
    if text_format is not None:
        element.set("format", _FORMAT_OUT[text_format])
    SubElement(element, "text").text = text
    return element


def _value(parent: Element, tag: str, value: str) -> None:
    SubElement(parent, tag).text = value


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _write_answer(
    parent: Element, text: str, fraction: float, feedback: str, text_format: str
) -> Element:
    answer = SubElement(parent, "answer", fraction=format_percent(fraction))
    answer.set("format", _FORMAT_OUT[text_format])
    SubElement(answer, "text").text = text
    _text(answer, "feedback", feedback, text_format)
    return answer


def _write_media(questiontext: Element, media: dict[str, bytes]) -> None:
    for name, content in media.items():
        folder, base = posixpath.split(name)
        file = SubElement(questiontext, "file", name=base, path=f"/{folder}/" if folder else "/")
        file.set("encoding", "base64")
        file.text = base64.b64encode(content).decode("ascii")


def _write_header(element: Element, q: QuestionData) -> None:
    _text(element, "name", exported_name(q))
    questiontext = _text(element, "questiontext", q.text, q.text_format)
    _write_media(questiontext, q.media)
    _text(element, "generalfeedback", q.general_feedback, q.text_format)
    _value(element, "defaultgrade", format_number(q.default_points))
    _value(element, "penalty", "1" if q.type == "true_false" else "0.3333333")
    _value(element, "hidden", "0")
    _value(element, "idnumber", q.key)


def _write_choices(element: Element, q: QuestionData) -> None:
    _value(element, "single", _flag(q.type == "single_choice"))
    _value(element, "shuffleanswers", _flag(q.shuffle_choices))
    _value(element, "answernumbering", "abc")
    for c in q.choices:
        _write_answer(element, c.text, c.fraction, c.feedback, q.text_format)


def _write_true_false(element: Element, q: QuestionData) -> None:
    feedback_true, feedback_false = true_false_feedback(q)
    true_fraction = 1.0 if q.correct_answer else 0.0
    _write_answer(element, "true", true_fraction, feedback_true, q.text_format)
    _write_answer(element, "false", 1.0 - true_fraction, feedback_false, q.text_format)


def _write_short_answers(element: Element, q: QuestionData) -> None:
    _value(element, "usecase", "1" if q.case_sensitive else "0")
    for a in q.answers:
        answer = _write_answer(element, a.text, a.fraction, a.feedback, q.text_format)
        answer.set("format", "plain_text")  # compared with what candidates type


def _write_numerical(element: Element, q: QuestionData) -> None:
    for a in q.numeric_answers:
        answer = _write_answer(
            element, format_number(a.value), a.fraction, a.feedback, q.text_format
        )
        answer.set("format", "plain_text")
        _value(answer, "tolerance", format_number(a.tolerance))
    if q.units:  # optional units, typed by the candidate after the number
        container = SubElement(element, "units")
        for unit in q.units:
            entry = SubElement(container, "unit")
            _value(entry, "multiplier", format_number(unit.multiplier))
            _value(entry, "unit_name", unit.unit)
        for tag, value in _OPTIONAL_UNITS:
            _value(element, tag, value)


def _write_matching(element: Element, q: QuestionData) -> None:
    _value(element, "shuffleanswers", _flag(q.shuffle_choices))
    for pair in q.pairs:
        subquestion = _text(element, "subquestion", pair.prompt, q.text_format)
        _text(subquestion, "answer", pair.answer)


def _write_ordering(element: Element, q: QuestionData) -> None:
    for tag, value in _ORDERING_SETTINGS:
        _value(element, tag, value)
    for position, item in enumerate(q.items, start=1):
        answer = SubElement(element, "answer", fraction=str(position))
        answer.set("format", _FORMAT_OUT[q.text_format])
        SubElement(answer, "text").text = item


def _write_essay(element: Element, q: QuestionData) -> None:
    for tag, value in _ESSAY_SETTINGS:
        _value(element, tag, value)
    _text(element, "graderinfo", _grader_info(q)).set("format", "plain_text")
    _text(element, "responsetemplate", "").set("format", "html")


_BODY_WRITERS: dict[str, Callable[[Element, QuestionData], None]] = {
    "single_choice": _write_choices,
    "multiple_response": _write_choices,
    "true_false": _write_true_false,
    "short_answer": _write_short_answers,
    "numerical": _write_numerical,
    "matching": _write_matching,
    "ordering": _write_ordering,
    "essay": _write_essay,
}
_OPTIONAL_UNITS = (
    ("unitgradingtype", "0"),
    ("unitpenalty", "0.1000000"),
    ("showunits", "0"),
    ("unitsleft", "0"),
)
_ESSAY_SETTINGS = (
    ("responseformat", "editor"),
    ("responserequired", "1"),
    ("responsefieldlines", "15"),
    ("attachments", "0"),
)
_ORDERING_SETTINGS = (
    ("layouttype", "VERTICAL"),
    ("selecttype", "ALL"),
    ("selectcount", "0"),
    ("gradingtype", "ABSOLUTE_POSITION"),
    ("showgrading", "SHOW"),
    ("numberingstyle", "none"),
)


def _grader_info(q: QuestionData) -> str:
    if rubric_survives_lines(q.rubric):
        return "\n".join(rubric_to_lines(q.rubric))
    return q.rubric[0].criterion  # a single free-text criterion (checked on export)


def _write_tags(element: Element, tags: list[str]) -> None:
    if tags:
        container = SubElement(element, "tags")
        for tag in tags:
            _text(container, "tag", tag)


def _write_question(quiz: Element, q: QuestionData) -> None:
    element = SubElement(quiz, "question", type=_MOODLE_TYPES[q.type])
    _write_header(element, q)
    _BODY_WRITERS[q.type](element, q)
    _write_tags(element, q.tags)


def _write_category(quiz: Element, category: str) -> None:
    element = SubElement(quiz, "question", type="category")
    _text(element, "category", category_to_moodle(category))


def exported_name(q: QuestionData) -> str:
    """Moodle refuses nameless questions: use the first words of the text."""
    return q.name or label_for("", q.text)


def _check_exportable(q: QuestionData, checker: ExportChecker) -> None:
    if q.type == "essay" and not rubric_writable_as_text(q):
        checker.refuse(q, RUBRIC_NOT_WRITABLE)
    for fraction in sorted(set(answer_fractions(q))):
        if (message := moodle_fraction_problem(fraction)) is not None:
            checker.refuse(q, message + ": Moodle không nhập được câu hỏi này")


def dump(questions: Sequence[QuestionData]) -> bytes:
    """Moodle XML (UTF-8)."""
    checker = ExportChecker()
    for question in questions:
        _check_exportable(question, checker)
    checker.raise_if_any()
    quiz = Element("quiz")
    category = ""
    for question in questions:
        if question.category != category:
            _write_category(quiz, question.category)
            category = question.category
        _write_question(quiz, only_type_fields(question))
    ET.indent(quiz)
    xml = ET.tostring(quiz, encoding="utf-8", xml_declaration=True, short_empty_elements=False)
    return xml + b"\n"


def with_exported_name(question: QuestionData) -> QuestionData:
    """The question as written, before anything is lost: nameless ones get a name."""
    kept = only_type_fields(question)
    return replace(kept, name=exported_name(kept))


def round_trip_form(question: QuestionData) -> QuestionData:
    """What ``parse(dump([question]))`` gives back: the fields Moodle XML carries."""
    return reset_fields(
        with_exported_name(question),
        "difficulty",
        "legal_basis",
        "legal_basis_date",
        "diacritics_sensitive",
    )
