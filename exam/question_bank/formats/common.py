"""What every question file format shares: decoding bytes, cleaning and sanitising text,
validating a parsed question, collecting problems, number and percentage spelling, and the
conventions the interchange form lacks a field for.

Conventions (the interchange form has no field for these, see each helper):

* A true/false question may carry per-answer feedback as exactly two ``choices``,
  ``Choice("true", …)`` then ``Choice("false", …)``, whose fractions agree with
  ``correct_answer``. Without feedback it carries no choices at all.
* Whitespace around every text is not significant: parsers strip it.
"""

from __future__ import annotations

import codecs
import dataclasses
import html
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields, replace
from decimal import Decimal, InvalidOperation
from urllib.parse import unquote, urlsplit

import nh3

from exam.question_bank import rich_text
from exam.question_bank.interchange import (
    DIFFICULTIES,
    QUESTION_TYPES,
    TEXT_FORMATS,
    Choice,
    ImportFailed,
    ImportProblem,
    NumericUnit,
    QuestionData,
    RubricCriterion,
)
from exam.question_bank.rich_text import complexity_problem

# ---------------------------------------------------------------------------------------
# Export problems
# ---------------------------------------------------------------------------------------


@dataclass
class ExportProblem:
    """Why a question cannot be written in a format."""

    question: str  # the question's key, or its name / first words when it has no key
    message: str

    def __str__(self) -> str:
        return f"câu hỏi «{self.question}»: {self.message}"


class ExportUnsupported(Exception):
    """Questions a format cannot express: every one of them, nothing written."""

    def __init__(self, problems: list[ExportProblem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


class ExportChecker:
    """Collects what stops an export, so the caller hears about every question at once."""

    def __init__(self) -> None:
        self.problems: list[ExportProblem] = []

    def refuse(self, question: QuestionData, message: str) -> None:
        self.problems.append(ExportProblem(question.key or question_label(question), message))

    def raise_if_any(self) -> None:
        if self.problems:
            raise ExportUnsupported(self.problems)


def unsupported_type_message(question_type: str) -> str:
    return f"kiểu câu hỏi không được hỗ trợ trong định dạng này: {question_type}"


# ---------------------------------------------------------------------------------------
# Import problems
# ---------------------------------------------------------------------------------------


class ProblemLog:
    """Collects import problems; the parser keeps going so the user sees all of them.
    Notices are not problems: what was imported otherwise than the file says, or skipped
    (as Moodle skips or changes it), for the import report."""

    def __init__(self, prefix: str = "", notices: list[ImportProblem] | None = None) -> None:
        self.problems: list[ImportProblem] = []
        self.notices: list[ImportProblem] = [] if notices is None else notices
        self.prefix = prefix  # e.g. the file inside a zip package

    def add(self, line: int | None, message: str, question: str = "") -> None:
        text = f"{self.prefix}: {message}" if self.prefix else message
        self.problems.append(ImportProblem(line, text, question))

    def note(self, line: int | None, message: str, question: str = "") -> None:
        text = f"{self.prefix}: {message}" if self.prefix else message
        self.notices.append(ImportProblem(line, text, question))

    def in_line_order(self) -> list[ImportProblem]:
        # Stable: problems of one line keep the order they were found in.
        return sorted(self.problems, key=lambda p: p.line or 0)

    def raise_if_any(self) -> None:
        if self.problems:
            raise ImportFailed(self.in_line_order())


def fail(message: str, line: int | None = None) -> ImportFailed:
    """A whole-file failure with a single problem."""
    return ImportFailed([ImportProblem(line, message)])


def finish_and_check(
    question: QuestionData, line: int | None, log: ProblemLog
) -> QuestionData | None:
    """Clean a freshly parsed question and log what the interchange form would reject,
    and, as a notice, every image it shows that the file does not hold.

    A missing image is a notice, not a problem: Moodle's XML import stores the
    ``<file>`` elements it finds (``qformat_xml::import_files_as_draft``) and never
    checks the text's ``@@PLUGINFILE@@`` references against them, so it imports such a
    question with a broken image; its GIFT import, which carries no files at all, does
    the same. Every format follows that rule (a QTI item or package too), so one missing
    image never refuses a file; the notice tells the author which image to add, and the
    question shows the image's alt text meanwhile."""
    question = finish_question(question)
    messages = validate_question(question)
    label = question_label(question) or question.key
    for message in messages:
        log.add(line, message, label)
    if messages:
        return None
    for written in missing_images(question):
        log.note(
            line,
            f"ảnh «{written}» không có trong tệp: câu hỏi vẫn được nhập, chỗ ảnh chỉ hiện "
            "chú thích cho đến khi ảnh được bổ sung",
            label,
        )
    return question


_IMAGE_SOURCE = re.compile(r"""<img\b[^<>]*?\bsrc\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
PLUGINFILE = "@@PLUGINFILE@@/"


def media_name(written: str) -> str:
    """The name under which a question's media holds the file an image source names
    (Moodle's ``@@PLUGINFILE@@/`` prefix dropped), as the bank's pages look it up."""
    return written.removeprefix(PLUGINFILE)


def missing_images(question: QuestionData) -> list[str]:
    """The image sources (as written) of the question's HTML that name a file its media
    lacks: embedded ``data:`` images and web addresses are not files of the question.
    Plain and Markdown text show no images (pages escape them)."""
    if question.text_format != "html":
        return []
    texts: list[str] = []

    def collect(text: str) -> str:
        texts.append(text)
        return text

    _map_rich_fields(question, collect)
    missing: list[str] = []
    for text in texts:
        for match in _IMAGE_SOURCE.finditer(text):
            written = html.unescape(match.group(1)).strip()
            name = media_name(written)
            parts = urlsplit(name)
            if not name or parts.scheme or parts.netloc or name.startswith(("#", "/")):
                continue
            if name not in question.media and unquote(name) not in question.media:
                missing.append(written)
    return list(dict.fromkeys(missing))


# ---------------------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------------------

# Longest first: the UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def split_bom(data: bytes) -> tuple[str | None, bytes]:
    """The encoding a byte-order mark announces, and the bytes after it."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, data[len(bom) :]
    return None, data


def decode_text(data: bytes, default_encoding: str = "utf-8") -> str:
    """Bytes to text: a BOM decides the encoding, else ``default_encoding``; every line
    ending becomes ``\\n``. Unicode normalisation happens per field (``finish_question``):
    doing it on the whole file could merge an escape letter with a following accent."""
    encoding, body = split_bom(data)
    encoding = encoding or default_encoding
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as error:
        line = body[: error.start].count(b"\n") + 1
        raise fail(
            f"tệp không đọc được bằng mã hoá {encoding.upper()}; hãy lưu lại tệp với mã hoá UTF-8",
            line,
        ) from None
    except LookupError:
        raise fail(f"mã hoá ký tự không được hỗ trợ: {encoding}") from None
    return normalize_newlines(text)


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ---------------------------------------------------------------------------------------
# Text cleaning and HTML sanitising
# ---------------------------------------------------------------------------------------


def sanitize_html(text: str) -> str:
    """Keep formatting, lists, tables, links and images; drop script, style and event
    handlers. Relative URLs (``@@PLUGINFILE@@/a.png``, ``images/a.png``) stay as written.
    Text beyond the HTML bound (``rich_text.complexity_problem``) is left as it is, unparsed:
    ``validate_question`` refuses it, naming the question."""
    if complexity_problem(text) is not None:
        return text
    return rich_text.sanitize(text)


def clean_text(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def clean_category(path: str) -> str:
    """Levels separated by "/", each trimmed; empty levels dropped."""
    levels = (clean_text(level) for level in path.split("/"))
    return "/".join(level for level in levels if level)


def clean_tags(tags: Iterable[str]) -> list[str]:
    cleaned = (clean_text(tag) for tag in tags)
    return list(dict.fromkeys(tag for tag in cleaned if tag))


def plain_to_html(text: str) -> str:
    return html.escape(text, quote=False).replace("\n", "<br>")


def html_to_plain(text: str) -> str:
    """Readable text of an HTML fragment (for places that only take plain text)."""
    text = re.sub(r"<br\s*/?>|</p>|</li>|</div>|</tr>", "\n", text, flags=re.IGNORECASE)
    if complexity_problem(text) is None:
        text = nh3.clean(text, tags=set())
    else:  # too big for the HTML parser (see rich_text): tags cut out, linearly
        text = re.sub(r"<[^<>]*>?", "", text)
    lines = (line.strip() for line in html.unescape(text).split("\n"))
    return "\n".join(line for line in lines if line)


def _map_rich_fields(question: QuestionData, change: Callable[[str], str]) -> QuestionData:
    """Apply ``change`` to every field shown to candidates as formatted text. Short
    answers and matching answers are compared with or listed as plain text, so they
    are left alone."""
    return replace(
        question,
        text=change(question.text),
        general_feedback=change(question.general_feedback),
        choices=[
            replace(c, text=change(c.text), feedback=change(c.feedback)) for c in question.choices
        ],
        answers=[replace(a, feedback=change(a.feedback)) for a in question.answers],
        numeric_answers=[replace(a, feedback=change(a.feedback)) for a in question.numeric_answers],
        pairs=[replace(p, prompt=change(p.prompt)) for p in question.pairs],
        items=[change(item) for item in question.items],
    )


def _clean_strings(value: object) -> object:
    """NFC and strip every string inside a question, recursively."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_clean_strings(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _clean_strings(getattr(value, f.name)) for f in fields(value)}
        return replace(value, **changes)
    return value


def finish_question(question: QuestionData) -> QuestionData:
    """The canonical form every parser returns: HTML sanitised, text NFC and trimmed."""
    if question.text_format == "html":
        question = _map_rich_fields(question, sanitize_html)
    question = _clean_strings(question)
    assert isinstance(question, QuestionData)
    return replace(
        question,
        category=clean_category(question.category),
        tags=clean_tags(question.tags),
        media={clean_text(name): content for name, content in question.media.items()},
    )


def rich_fields_as_html(question: QuestionData) -> QuestionData:
    """The question with plain or markdown text turned into (sanitised) HTML, the way a
    format that only knows HTML will give it back."""
    if question.text_format == "html":
        return question
    converted = _map_rich_fields(question, plain_to_html)
    return finish_question(replace(converted, text_format="html"))


def question_label(question: QuestionData) -> str:
    return label_for(question.name, question.text)


def label_for(name: str, text: str, words: int = 8) -> str:
    """The question's name, or its first words, for problem messages."""
    if name.strip():
        return name.strip()
    plain = html_to_plain(text) if "<" in text else text
    first = plain.split()[:words]
    label = " ".join(first)
    return label + "…" if len(plain.split()) > words else label


# ---------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------

SUM_TOLERANCE = 0.01


def _is_full(fraction: float) -> bool:
    return abs(fraction - 1.0) < 1e-9


def validate_question(q: QuestionData) -> list[str]:
    """Everything that stops ``q`` from being a usable question, in Vietnamese."""
    problems: list[str] = []
    if q.type not in QUESTION_TYPES:
        return [f"kiểu câu hỏi không được hỗ trợ: {q.type}"]
    if not q.text:
        problems.append("thiếu nội dung câu hỏi")
    if q.text_format not in TEXT_FORMATS:
        problems.append(f"định dạng văn bản không hợp lệ: {q.text_format}")
    if q.difficulty is not None and q.difficulty not in DIFFICULTIES:
        problems.append(f"độ khó không hợp lệ: {q.difficulty} (dùng easy, medium hoặc hard)")
    if not (math.isfinite(q.default_points) and q.default_points > 0):
        problems.append("số điểm của câu hỏi phải lớn hơn 0")
    problems += _TYPE_CHECKS[q.type](q)
    return problems + _check_html_bound(q) + _check_media_size(q)


MAX_MEDIA_BYTES = 2 * 1024 * 1024


def _check_html_bound(q: QuestionData) -> list[str]:
    """HTML the sanitiser could not parse in bounded time is refused, once per question."""
    if q.text_format != "html":
        return []
    texts: list[str] = []

    def collect(text: str) -> str:
        texts.append(text)
        return text

    _map_rich_fields(q, collect)
    for text in texts:
        if (problem := complexity_problem(text)) is not None:
            return [problem]
    return []


def _check_media_size(q: QuestionData) -> list[str]:
    limit = MAX_MEDIA_BYTES // (1024 * 1024)
    return [
        f"tệp đính kèm «{name}» lớn quá {limit} MB"
        for name, content in q.media.items()
        if len(content) > MAX_MEDIA_BYTES
    ]


def _check_fraction_range(fractions: Iterable[float]) -> list[str]:
    if any(not math.isfinite(f) or not -1.0 <= f <= 1.0 for f in fractions):
        return ["tỉ lệ điểm phải nằm trong khoảng từ -100% đến 100%"]
    return []


def _check_single_choice(q: QuestionData) -> list[str]:
    problems = _check_choice_texts(q)
    if len(q.choices) < 2:
        problems.append("câu hỏi một lựa chọn cần ít nhất 2 phương án")
    # Several 100% options are allowed, as in Moodle: choosing any of them earns full marks.
    if not any(_is_full(c.fraction) for c in q.choices):
        problems.append("thiếu đáp án đúng")
    return problems + _check_fraction_range(c.fraction for c in q.choices)


def _check_multiple_response(q: QuestionData) -> list[str]:
    problems = _check_choice_texts(q)
    if len(q.choices) < 2:
        problems.append("câu hỏi nhiều lựa chọn cần ít nhất 2 phương án")
    positive = sum(c.fraction for c in q.choices if c.fraction > 0)
    if positive == 0:
        problems.append("thiếu đáp án đúng")
    elif abs(positive - 1.0) > SUM_TOLERANCE:
        shown = format_number(round(positive * 100, 4))
        problems.append(f"tổng tỉ lệ điểm của các đáp án đúng phải là 100% (hiện là {shown}%)")
    return problems + _check_fraction_range(c.fraction for c in q.choices)


def _check_choice_texts(q: QuestionData) -> list[str]:
    if any(not c.text for c in q.choices):
        return ["có phương án để trống"]
    return []


def _check_true_false(q: QuestionData) -> list[str]:
    if q.correct_answer is None:
        return ["thiếu đáp án đúng"]
    if q.choices and [c.text for c in q.choices] != ["true", "false"]:
        return ["câu hỏi đúng/sai chỉ có hai phương án true và false"]
    if q.choices and q.choices != true_false_choices(q.correct_answer, *true_false_feedback(q)):
        return ["tỉ lệ điểm của phương án đúng/sai không khớp với đáp án"]
    return []


def _check_short_answer(q: QuestionData) -> list[str]:
    if not q.answers:
        return ["cần ít nhất một đáp án chấp nhận"]
    problems = []
    if any(not a.text for a in q.answers):
        problems.append("có đáp án để trống")
    if not any(_is_full(a.fraction) for a in q.answers):
        problems.append("thiếu đáp án đúng (100%)")
    return problems + _check_fraction_range(a.fraction for a in q.answers)


def _check_numerical(q: QuestionData) -> list[str]:
    if not q.numeric_answers:
        return ["cần ít nhất một đáp án số"]
    problems = []
    if any(not math.isfinite(a.value) for a in q.numeric_answers):
        problems.append("đáp án phải là một số hữu hạn")
    if any(not (math.isfinite(a.tolerance) and a.tolerance >= 0) for a in q.numeric_answers):
        problems.append("sai số cho phép phải là số không âm")
    if not any(_is_full(a.fraction) for a in q.numeric_answers):
        problems.append("thiếu đáp án đúng (100%)")
    return (
        problems
        + _check_fraction_range(a.fraction for a in q.numeric_answers)
        + check_units(q.units)
    )


def check_units(units: Sequence[NumericUnit]) -> list[str]:
    """What is wrong with a numerical question's units (Moodle's own rules)."""
    problems = []
    names = [u.unit for u in units]
    if any(not name for name in names):
        problems.append("có đơn vị để trống")
    if len(set(names)) != len(names):
        problems.append("các đơn vị không được trùng nhau")
    if any(any(c.isdigit() for c in name) for name in names):
        problems.append("tên đơn vị không được chứa chữ số")
    if any(not (math.isfinite(u.multiplier) and u.multiplier > 0) for u in units):
        problems.append("hệ số của đơn vị phải là số dương")
    return problems


def _check_matching(q: QuestionData) -> list[str]:
    problems = []
    if sum(1 for p in q.pairs if p.prompt) < 2:
        problems.append("câu hỏi ghép đôi cần ít nhất 2 cặp")
    if any(not p.answer for p in q.pairs):
        problems.append("có cặp ghép đôi thiếu vế trả lời")
    return problems


def _check_ordering(q: QuestionData) -> list[str]:
    problems = []
    if len(q.items) < 2:
        problems.append("câu hỏi sắp xếp cần ít nhất 2 mục")
    if any(not item for item in q.items):
        problems.append("có mục sắp xếp để trống")
    if len(set(q.items)) != len(q.items):
        problems.append("các mục sắp xếp không được trùng nhau")
    return problems


def _check_essay(q: QuestionData) -> list[str]:
    problems = []
    if any(not r.criterion for r in q.rubric):
        problems.append("có tiêu chí chấm để trống")
    if any(not (math.isfinite(r.points) and r.points >= 0) for r in q.rubric):
        problems.append("điểm của tiêu chí chấm phải là số không âm")
    return problems


_TYPE_CHECKS: dict[str, Callable[[QuestionData], list[str]]] = {
    "single_choice": _check_single_choice,
    "multiple_response": _check_multiple_response,
    "true_false": _check_true_false,
    "short_answer": _check_short_answer,
    "numerical": _check_numerical,
    "matching": _check_matching,
    "ordering": _check_ordering,
    "essay": _check_essay,
}


# ---------------------------------------------------------------------------------------
# True/false feedback convention
# ---------------------------------------------------------------------------------------


def true_false_choices(correct: bool, feedback_true: str, feedback_false: str) -> list[Choice]:
    """How a true/false question carries the feedback for each answer (no choices when
    there is none)."""
    if not (feedback_true or feedback_false):
        return []
    return [
        Choice("true", 1.0 if correct else 0.0, feedback_true),
        Choice("false", 0.0 if correct else 1.0, feedback_false),
    ]


def true_false_feedback(question: QuestionData) -> tuple[str, str]:
    """Feedback shown for the answer "true" and for the answer "false"."""
    by_text = {c.text: c.feedback for c in question.choices}
    return by_text.get("true", ""), by_text.get("false", "")


# ---------------------------------------------------------------------------------------
# Numbers and percentages
# ---------------------------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def parse_number(text: str) -> float | None:
    """A decimal number written with a dot; None for anything else (no "inf", no "1_0")."""
    text = text.strip()
    return float(text) if _NUMBER.fullmatch(text) else None


def format_number(value: float) -> str:
    """Shortest spelling that reads back as the same float: 5 → "5", 0.1 → "0.1"."""
    value = float(value)  # callers may hand in ints
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def format_percent(fraction: float) -> str:
    """0.3333333 → "33.33333", exactly: decimal arithmetic on the float's shortest spelling."""
    percent = Decimal(repr(fraction)) * 100
    return _decimal_text(percent)


# Moodle's grade options (question_bank::fraction_options_full): an import whose fraction is
# not one of them, within 0.00001, is refused ("match grades: error", its default).
_MOODLE_GRADES = (
    1.0, 0.9, 0.8333333, 0.8, 0.75, 0.7, 0.6666667, 0.6, 0.5, 0.4, 0.3333333, 0.3, 0.25,
    0.2, 0.1666667, 0.1428571, 0.125, 0.1111111, 0.1, 0.05, 0.0,
)  # fmt: skip
MOODLE_FRACTIONS = tuple(sorted({*_MOODLE_GRADES, *(-g for g in _MOODLE_GRADES)}, reverse=True))
MOODLE_FRACTION_TOLERANCE = 0.00001


def moodle_fraction(fraction: float) -> float | None:
    """The Moodle grade option ``fraction`` stands for, or None when Moodle refuses it."""
    for option in MOODLE_FRACTIONS:
        if abs(fraction - option) < MOODLE_FRACTION_TOLERANCE:
            return option
    return None


def moodle_fraction_problem(fraction: float) -> str | None:
    """Why Moodle would refuse ``fraction``, in the words the import report uses."""
    if moodle_fraction(fraction) is not None:
        return None
    return (
        f"tỉ lệ điểm {format_percent(round(fraction, 9))}% không phải một mức Moodle chấp nhận "
        "(100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, 25, 20, "
        "16.66667, 14.28571, 12.5, 11.11111, 10, 5, 0 hoặc số âm của chúng)"
    )


def answer_fractions(q: QuestionData) -> list[float]:
    """The fractions Moodle checks against its grade options (choices and answers)."""
    if q.type in ("single_choice", "multiple_response"):
        return [c.fraction for c in q.choices]
    if q.type == "short_answer":
        return [a.fraction for a in q.answers]
    if q.type == "numerical":
        return [a.fraction for a in q.numeric_answers]
    return []


def parse_percent(text: str) -> float | None:
    """ "33.33333" → 0.3333333 (the float whose shortest spelling is that decimal / 100)."""
    if parse_number(text) is None:
        return None
    try:
        return float(Decimal(text.strip()) / 100)
    except InvalidOperation:
        return None


def _decimal_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


# ---------------------------------------------------------------------------------------
# Category paths from Moodle
# ---------------------------------------------------------------------------------------

_MOODLE_CONTEXT = re.compile(r"^\$[a-z0-9]+\$/?")


def category_from_moodle(path: str) -> str:
    """ "$course$/top/A/B" → "A/B": drop the context and Moodle's "top" level."""
    path = path.strip()
    had_context = bool(_MOODLE_CONTEXT.match(path))
    path = _MOODLE_CONTEXT.sub("", path)
    levels = path.split("/")
    if had_context and levels and levels[0].strip() == "top":
        levels = levels[1:]
    return clean_category("/".join(levels))


def category_to_moodle(category: str) -> str:
    return "$course$/top/" + category if category else "$course$/top"


# ---------------------------------------------------------------------------------------
# Essay rubrics written as text (Moodle grader information, QTI rubric blocks)
# ---------------------------------------------------------------------------------------

_RUBRIC_LINE = re.compile(
    r"^\s*[-*•]\s+(?P<criterion>.+?)\s*\((?P<points>\d+(?:[.,]\d+)?)\s*(?:điểm|đ|points?|pts?)\)\s*$",
    re.IGNORECASE,
)


def rubric_to_lines(rubric: Sequence[RubricCriterion]) -> list[str]:
    return [f"- {r.criterion} ({format_number(r.points)} điểm)" for r in rubric]


def rubric_from_text(text: str, points: float) -> list[RubricCriterion]:
    """Lines "- criterion (30 điểm)" become one criterion each; any other non-empty text
    becomes a single criterion worth the question's points."""
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        return []
    matches = [_RUBRIC_LINE.match(line) for line in lines]
    if all(matches):
        return [
            RubricCriterion(m["criterion"].strip(), float(m["points"].replace(",", ".")))
            for m in matches
            if m
        ]
    return [RubricCriterion(text.strip(), points)]


def rubric_survives_lines(rubric: Sequence[RubricCriterion]) -> bool:
    """Whether ``rubric`` reads back unchanged from its "- criterion (N điểm)" lines."""
    text = "\n".join(rubric_to_lines(rubric))
    return all("\n" not in r.criterion for r in rubric) and rubric_from_text(text, 0) == list(
        rubric
    )


RUBRIC_NOT_WRITABLE = "tiêu chí chấm nhiều dòng chỉ ghi được khi chỉ có một tiêu chí"


def rubric_writable_as_text(q: QuestionData) -> bool:
    """Lines "- criterion (N điểm)", or one free-text criterion worth the question's
    points: the two shapes ``rubric_from_text`` reads back."""
    if rubric_survives_lines(q.rubric):
        return True
    return len(q.rubric) == 1 and q.rubric[0].points == q.default_points


# ---------------------------------------------------------------------------------------
# What a round trip keeps
# ---------------------------------------------------------------------------------------

TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    "single_choice": ("choices", "shuffle_choices"),
    "multiple_response": ("choices", "shuffle_choices"),
    "true_false": ("correct_answer", "choices"),
    "short_answer": ("answers", "case_sensitive", "diacritics_sensitive"),
    "numerical": ("numeric_answers", "units"),
    "matching": ("pairs", "shuffle_choices"),
    "ordering": ("items",),
    "essay": ("rubric",),
}
_TYPE_SPECIFIC = {name for names in TYPE_FIELDS.values() for name in names}
_DEFAULTS = QuestionData(type="essay", text="")


def reset_fields(question: QuestionData, *names: str) -> QuestionData:
    """The question with ``names`` set back to their defaults."""
    return replace(question, **{name: _default(name) for name in names})


def _default(name: str) -> object:
    value = getattr(_DEFAULTS, name)
    return value.copy() if isinstance(value, list | dict) else value


def only_type_fields(question: QuestionData) -> QuestionData:
    """Drop fields that belong to other question types: no format writes them."""
    unused = _TYPE_SPECIFIC - set(TYPE_FIELDS.get(question.type, ()))
    return reset_fields(question, *unused)


FIELD_LABELS = {
    "name": "tên",
    "key": "mã câu hỏi",
    "text": "nội dung",
    "text_format": "định dạng văn bản",
    "category": "danh mục",
    "difficulty": "độ khó",
    "tags": "thẻ",
    "legal_basis": "căn cứ pháp lý",
    "legal_basis_date": "ngày của căn cứ pháp lý",
    "default_points": "số điểm",
    "general_feedback": "phản hồi chung",
    "choices": "phương án",
    "shuffle_choices": "xáo trộn phương án",
    "correct_answer": "đáp án đúng/sai",
    "answers": "đáp án",
    "case_sensitive": "phân biệt hoa thường",
    "diacritics_sensitive": "phân biệt dấu",
    "numeric_answers": "đáp án số",
    "units": "đơn vị",
    "pairs": "cặp ghép đôi",
    "items": "mục sắp xếp",
    "rubric": "tiêu chí chấm",
    "media": "tệp đính kèm",
    "retired": "trạng thái ngừng sử dụng",
}


def changed_fields(before: QuestionData, after: QuestionData) -> list[str]:
    return [
        f.name for f in fields(QuestionData) if getattr(before, f.name) != getattr(after, f.name)
    ]


def describe_losses(before: QuestionData, after: QuestionData, format_label: str) -> str | None:
    names = changed_fields(only_type_fields(before), after)
    if not names:
        return None
    labels = ", ".join(FIELD_LABELS.get(name, name) for name in names)
    return f"định dạng {format_label} không lưu đầy đủ: {labels}"
