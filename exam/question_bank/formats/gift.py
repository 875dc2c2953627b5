"""Moodle GIFT, the plain-text question format (import and export).

Supported, following Moodle's own importer (``qformat_gift``):

* questions separated by blank lines; whole-line ``//`` comments, whose ``[id:…]`` and
  ``[tag:…]`` tokens give the key and the tags (Moodle 3.6+);
* ``$CATEGORY: path`` (``$course$/top/A/B`` → ``A/B``), applying to the questions after it;
* ``::name::`` and the text formats ``[html]``, ``[plain]``, ``[markdown]``, ``[moodle]``
  (read as plain);
* single choice ``{=a ~b}`` (partial credit ``~%50%b`` allowed), multiple response
  ``{~%50%a ~%50%b ~%-100%c}`` (no ``=``), true/false ``{T}`` ``{TRUE}`` ``{F}``
  ``{FALSE}`` with ``#wrong#right`` feedback, short answer ``{=a =%50%b}``, numerical
  ``{#5:0.1}`` ``{#1..3}`` ``{# =5:0 =%50%5:1}``, matching ``{=a -> b}`` (``= -> x`` is
  a distractor), essay ``{}``;
* answer feedback ``#…``, general feedback ``####…``, the escapes ``\\~ \\= \\# \\{ \\}
  \\: \\\\`` and ``\\n``, missing-word questions (text after the ``}`` → "_____").

Imported as Moodle imports them, with a notice in the import report: description items
(no answer block) are skipped (there is no description type); a numerical "any other
answer" (``~#feedback``, which Moodle's own export writes) scores 0 as any unlisted answer
does, its feedback dropped; several ``=`` in a choice question make a single choice with
several 100% options (any one of them earns full marks); an empty option (``~=a`` read as
"~" then "=a", or a bare ``~``) is skipped, as Moodle skips empty answers.

Reported as problems: more than one answer block (cloze), weights Moodle refuses (not one
of its grade options, e.g. ``%33%``), and every syntax error, each with its line.

Export writes what GIFT can say; ordering questions are refused (ExportUnsupported), as
are texts GIFT cannot spell (a matching prompt or short answer containing "->"). GIFT does
not carry points, difficulty, legal basis, shuffling, case/diacritics sensitivity, rubrics
or media: ``round_trip_form`` shows what comes back.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from exam.question_bank.formats.common import (
    ExportChecker,
    ProblemLog,
    answer_fractions,
    category_from_moodle,
    category_to_moodle,
    decode_text,
    finish_and_check,
    format_number,
    format_percent,
    label_for,
    moodle_fraction_problem,
    only_type_fields,
    parse_number,
    parse_percent,
    reset_fields,
    true_false_choices,
    true_false_feedback,
    unsupported_type_message,
)
from exam.question_bank.interchange import (
    Choice,
    ImportProblem,
    MatchPair,
    NumericAnswer,
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
    "essay",
)

# --- escapes ------------------------------------------------------------------------------
# Escaped characters become Unicode noncharacters while the structure is parsed, so a
# plain str.find sees only the unescaped (meaningful) ones; Moodle does the same with
# "&&058;"-style placeholders.
_ESCAPABLE = "~=#{}:\\"
_PLACEHOLDER_BASE = 0xFDD0
_NEWLINE_PLACEHOLDER = chr(_PLACEHOLDER_BASE + len(_ESCAPABLE))
_NONCHARACTERS = re.compile("[\ufdd0-\ufdef]")
_ESCAPE = re.compile(r"\\([~=#{}:\\n])")
_RESTORE = {_PLACEHOLDER_BASE + i: char for i, char in enumerate(_ESCAPABLE)}
_RESTORE[ord(_NEWLINE_PLACEHOLDER)] = "\n"


def _protect(text: str) -> str:
    def placeholder(match: re.Match[str]) -> str:
        char = match.group(1)
        return (
            _NEWLINE_PLACEHOLDER if char == "n" else chr(_PLACEHOLDER_BASE + _ESCAPABLE.index(char))
        )

    return _ESCAPE.sub(placeholder, text)


def _restore(text: str) -> str:
    return text.translate(_RESTORE)


# --- reading ------------------------------------------------------------------------------

_FORMAT_TAG = re.compile(r"\s*\[(html|plain|markdown|moodle)\]")
_FORMATS = {"html": "html", "plain": "plain", "markdown": "markdown", "moodle": "plain"}
_WEIGHT = re.compile(r"\s*%(-?\d+(?:\.\d*)?)%")
_ID_TOKEN = re.compile(r"\[id:((?:\\\]|[^\]\x00-\x1f])+)\]")
_TAG_TOKEN = re.compile(r"\[tag:((?:\\\]|[^\]\x00-\x1f])+)\]")
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}


@dataclass
class _Block:
    """Consecutive non-blank lines: one question (or a category switch)."""

    lines: list[tuple[int, str]] = field(default_factory=list)  # (line number, text)
    comments: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(line for _, line in self.lines)

    def line_of(self, offset: int) -> int:
        index = self.text.count("\n", 0, offset)
        return self.lines[min(index, len(self.lines) - 1)][0]


def _blocks(text: str) -> list[_Block]:
    blocks: list[_Block] = []
    current = _Block()
    # split("\n"), not splitlines(): form feeds and U+2028 are text, not line breaks.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            if current.lines or current.comments:
                blocks.append(current)
                current = _Block()
        elif line.lstrip().startswith("//"):
            current.comments.append(line.strip())
        else:
            current.lines.append((number, line))
    if current.lines or current.comments:
        blocks.append(current)
    return [block for block in blocks if block.lines]


class _QuestionReader:
    """Reads one question block; problems go to the shared log with their lines."""

    def __init__(self, block: _Block, log: ProblemLog):
        self.block = block
        self.source = _protect(block.text)
        self.log = log
        self.label = label_for("", _restore(self.source).split("{")[0])  # until the name is read
        self.failed = False

    def problem(self, offset: int, message: str) -> None:
        self.failed = True
        self.log.add(self.block.line_of(offset), message, self.label)

    def read(self, category: str) -> QuestionData | None:
        source = self.source
        start = len(source) - len(source.lstrip())
        name, start = self._read_name(start)
        if name is None:
            return None
        self.label = label_for(name, _restore(source[start:]).split("{")[0])
        if source.find("{", start) < 0 and source.find("}", start) < 0:
            # Moodle imports it as a "description" (text shown between questions).
            self.log.note(
                self.block.line_of(start),
                "bỏ qua mục mô tả (description, không có khối đáp án {…}): "
                "hệ thống không có kiểu câu hỏi này",
                self.label,
            )
            return None
        braces = self._find_answer_block(start)
        if braces is None:
            return None
        open_at, close_at = braces
        after = source[close_at + 1 :]
        # Moodle's missing-word format: text after the answers marks where the blank goes.
        text = source[start:open_at] + ("_____" + after if after.strip() else "")
        text_format, text = _split_format(text, "plain")
        answer_source = source[open_at + 1 : close_at]
        general_feedback = ""
        if (cut := answer_source.rfind("####")) >= 0:
            general_feedback = _rich(answer_source[cut + 4 :])
            answer_source = answer_source[:cut]
        question = QuestionData(
            type="essay",
            text=_restore(text),
            name=name,
            key=_comment_id(self.block.comments),
            text_format=text_format,
            category=category,
            tags=_comment_tags(self.block.comments),
            general_feedback=general_feedback,
        )
        question = self._read_answers(question, answer_source, open_at + 1)
        if self.failed:
            return None
        return finish_and_check(question, self.block.line_of(start), self.log)

    def _read_name(self, start: int) -> tuple[str | None, int]:
        if not self.source.startswith("::", start):
            return "", start
        end = self.source.find("::", start + 2)
        if end < 0:
            self.problem(start, "thiếu dấu :: đóng tên câu hỏi")
            return None, start
        return _restore(self.source[start + 2 : end]).strip(), end + 2

    def _find_answer_block(self, start: int) -> tuple[int, int] | None:
        source = self.source
        open_at, close_at = source.find("{", start), source.find("}", start)
        if close_at >= 0 and (open_at < 0 or close_at < open_at):
            self.problem(close_at, "thừa dấu } (thiếu dấu { mở); viết \\} nếu đó là ký tự thường")
        elif close_at < 0 or 0 <= source.find("{", open_at + 1) < close_at:
            self.problem(open_at, "thẻ đóng } bị thiếu")
        elif (extra := _first_of(source, "{}", close_at + 1)) >= 0:
            self.problem(
                extra,
                "chỉ hỗ trợ một khối đáp án {…} mỗi câu hỏi; viết \\{ \\} nếu đó là ký tự thường",
            )
        else:
            return open_at, close_at
        return None

    def _read_answers(self, q: QuestionData, source: str, offset: int) -> QuestionData:
        stripped = source.strip()
        if not stripped:
            return q  # essay
        if stripped.startswith("#"):
            return self._read_numerical(q, source, offset)
        if "~" in stripped:
            return self._read_choices(q, source, offset)
        if "=" in stripped and "->" in stripped:
            return self._read_matching(q, source, offset)
        if stripped.split("#", 1)[0].strip().upper() in _TRUE_FALSE:
            return self._read_true_false(q, stripped)
        return self._read_short_answers(q, source, offset)

    def _read_choices(self, q: QuestionData, source: str, offset: int) -> QuestionData:
        choices = []
        for marker, piece, at in _pieces(source, offset, "~="):
            if marker == "=":
                fraction, rest = 1.0, piece  # Moodle reads no weight after "="
            else:
                fraction, rest = self._checked_weight(piece, 0.0, at)
            text, feedback = _split_feedback(rest)
            if not _rich(text):
                continue  # Moodle skips an empty option (as "~" in "~=a" reads)
            choices.append(Choice(_rich(text), fraction, _rich(feedback)))
        kind = "single_choice" if "=" in source else "multiple_response"
        full = sum(1 for c in choices if c.fraction == 1.0)
        if kind == "single_choice" and full > 1:
            self.log.note(
                self.block.line_of(offset),
                f"{full} phương án đúng (=): nhập như Moodle, chọn phương án nào trong số đó "
                "cũng được trọn điểm",
                self.label,
            )
        return replace(q, type=kind, choices=choices)

    def _checked_weight(self, piece: str, default: float, at: int) -> tuple[float, str]:
        """A weight ``%n%``, refused as Moodle refuses it when not one of its grades."""
        fraction, rest = _weight(piece, default)
        if (message := moodle_fraction_problem(fraction)) is not None:
            self.problem(at, message)
        return fraction, rest

    def _read_matching(self, q: QuestionData, source: str, offset: int) -> QuestionData:
        pairs = []
        for _marker, piece, at in _pieces(source, offset, "="):
            if "->" not in piece:
                self.problem(at, "mỗi cặp ghép đôi phải có dạng =vế trái -> vế phải")
                continue
            prompt, answer = piece.split("->", 1)
            pairs.append(MatchPair(_rich(prompt), _restore(answer).strip()))
        return replace(q, type="matching", pairs=pairs)

    def _read_true_false(self, q: QuestionData, source: str) -> QuestionData:
        bits = [*source.split("#", 2), "", ""]
        correct = _TRUE_FALSE[bits[0].strip().upper()]
        wrong, right = _rich(bits[1]), _rich(bits[2])
        feedback_true, feedback_false = (right, wrong) if correct else (wrong, right)
        choices = true_false_choices(correct, feedback_true, feedback_false)
        return replace(q, type="true_false", correct_answer=correct, choices=choices)

    def _read_short_answers(self, q: QuestionData, source: str, offset: int) -> QuestionData:
        answers = []
        for _marker, piece, at in _pieces(source, offset, "="):
            fraction, rest = self._checked_weight(piece, 1.0, at)
            text, feedback = _split_feedback(rest)
            answers.append(ShortAnswer(_rich(text), fraction, _rich(feedback)))
        return replace(q, type="short_answer", answers=answers)

    def _read_numerical(self, q: QuestionData, source: str, offset: int) -> QuestionData:
        hash_at = source.index("#")
        source, offset = source[hash_at + 1 :], offset + hash_at + 1
        if (tilde := source.find("~")) >= 0:
            # Moodle's "any other answer" (written "~#feedback" by its export): worth 0,
            # as any answer not listed is here.
            _, other_feedback = _split_feedback(source[tilde + 1 :])
            if _rich(other_feedback):
                self.log.note(
                    self.block.line_of(offset + tilde),
                    f"phản hồi cho mọi đáp án khác (~#) không được lưu: «{_rich(other_feedback)}»",
                    self.label,
                )
            source = source[:tilde]
        answers = []
        for _marker, piece, at in _pieces(source, offset, "="):
            fraction, rest = self._checked_weight(piece, 1.0, at)
            text, feedback = _split_feedback(rest)
            value = self._read_number_range(_restore(text).strip(), at)
            if value is not None:
                answers.append(NumericAnswer(value[0], value[1], fraction, _rich(feedback)))
        if not answers and not self.failed:
            self.problem(offset, "câu hỏi số cần ít nhất một đáp án")
        return replace(q, type="numerical", numeric_answers=answers)

    def _read_number_range(self, text: str, at: int) -> tuple[float, float] | None:
        """ "5:0.1" → (5, 0.1); "1..3" → (2, 1); "5" → (5, 0)."""
        if ".." in text[1:]:
            low_text, high_text = text.split("..", 1)
            low, high = parse_number(low_text), parse_number(high_text)
            if low is not None and high is not None:
                middle = (low + high) / 2
                return middle, abs(high - middle)
        else:
            value_text, _, tolerance_text = text.partition(":")
            value = parse_number(value_text)
            tolerance = parse_number(tolerance_text) if tolerance_text.strip() else 0.0
            if value is not None and tolerance is not None:
                return value, tolerance
        hint = " (dùng dấu chấm cho phần thập phân)" if "," in text else ""
        self.problem(at, f"giá trị số không hợp lệ: «{text}»{hint}")
        return None


def _first_of(text: str, chars: str, start: int) -> int:
    found = [i for i in (text.find(char, start) for char in chars) if i >= 0]
    return min(found, default=-1)


def _pieces(source: str, offset: int, markers: str) -> list[tuple[str, str, int]]:
    """Split at unescaped marker characters: (marker, text after it, offset of the text).
    Text before the first marker counts as an answer unless blank, as in Moodle."""
    pieces: list[tuple[str, str, int]] = []
    start, marker = 0, ""
    for match in re.finditer(f"[{re.escape(markers)}]", source):
        pieces.append((marker, source[start : match.start()], offset + start))
        marker, start = match.group(), match.end()
    pieces.append((marker, source[start:], offset + start))
    if not pieces[0][1].strip():
        pieces.pop(0)
    return pieces


def _weight(piece: str, default: float) -> tuple[float, str]:
    match = _WEIGHT.match(piece)
    if match and (fraction := parse_percent(match.group(1))) is not None:
        return fraction, piece[match.end() :]
    return default, piece


def _split_feedback(piece: str) -> tuple[str, str]:
    text, _, feedback = piece.partition("#")
    return text, feedback


def _split_format(text: str, default: str) -> tuple[str, str]:
    match = _FORMAT_TAG.match(text)
    if match:
        return _FORMATS[match.group(1)], text[match.end() :]
    return default, text


def _rich(text: str) -> str:
    """An answer or feedback: Moodle lets each start with its own [format] tag."""
    return _restore(_split_format(text, "")[1]).strip()


def _comment_id(comments: list[str]) -> str:
    for comment in comments:
        if match := _ID_TOKEN.search(comment):
            return match.group(1).replace("\\]", "]").strip()
    return ""


def _comment_tags(comments: list[str]) -> list[str]:
    tokens = (match.group(1) for comment in comments for match in _TAG_TOKEN.finditer(comment))
    return [token.replace("\\]", "]").strip() for token in tokens]


def parse(data: bytes, notices: list[ImportProblem] | None = None) -> list[QuestionData]:
    """Every question of a GIFT file, or ImportFailed listing every problem; ``notices``
    receives what is skipped or imported otherwise than written."""
    text = _NONCHARACTERS.sub("", decode_text(data))  # they would pose as escapes
    log = ProblemLog(notices=notices)
    questions: list[QuestionData] = []
    category = ""
    for block in _blocks(text):
        category, block = _take_category(block, category)
        if block is None:
            continue
        question = _QuestionReader(block, log).read(category)
        if question is not None:
            questions.append(question)
    log.raise_if_any()
    return questions


def _take_category(block: _Block, category: str) -> tuple[str, _Block | None]:
    """A "$CATEGORY:" line switches category; lines after it in the same block are read
    as a question (Moodle would fold them into the category name)."""
    _line, first = block.lines[0]
    if not first.lstrip().startswith("$CATEGORY:"):
        return category, block
    new_category = category_from_moodle(first.split("$CATEGORY:", 1)[1])
    rest = _Block(block.lines[1:], block.comments)
    return new_category, rest if rest.lines else None


# --- writing ------------------------------------------------------------------------------


def escape_text(text: str) -> str:
    """Text as GIFT spells it: ``~=#{}:\\`` escaped, newlines as ``\\n``."""
    text = text.replace("\\", "\\\\")
    for char in "~=#{}:":
        text = text.replace(char, "\\" + char)
    return text.replace("\n", "\\n")


def _rich_out(text: str, text_format: str) -> str:
    """An answer or feedback; a leading "[html]"-like text needs the format tag before
    it, or the importer would take it for one."""
    tag = f"[{text_format}]" if _FORMAT_TAG.match(text) else ""
    return tag + escape_text(text)


def _weight_out(fraction: float, implicit: float, text: str) -> str:
    # A text starting with "%" would be read as a weight: spell the weight out then.
    if fraction == implicit and not text.startswith("%"):
        return ""
    return f"%{format_percent(fraction)}%"


def _escape_bracket(token: str) -> str:
    return token.replace("]", "\\]")


def _header(q: QuestionData) -> str:
    tokens = [f"[id:{_escape_bracket(q.key)}]"] if q.key else []
    tokens += [f"[tag:{_escape_bracket(tag)}]" for tag in q.tags]
    # One token per line: a value ending in "\\" would otherwise swallow the next token.
    comment = "".join(f"// {token}\n" for token in tokens)
    name = f"::{escape_text(q.name)}::" if q.name else ""
    return f"{comment}{name}[{q.text_format}]{escape_text(q.text)}"


def _general_feedback(q: QuestionData) -> str:
    return f"####{_rich_out(q.general_feedback, q.text_format)}" if q.general_feedback else ""


def _feedback(text: str, text_format: str) -> str:
    return f"#{_rich_out(text, text_format)}" if text else ""


def _answer_lines(q: QuestionData) -> list[str]:
    fmt = q.text_format
    if q.type == "single_choice":
        return [
            ("=" if c.fraction == 1.0 else "~" + _weight_out(c.fraction, 0.0, c.text))
            + _rich_out(c.text, fmt)
            + _feedback(c.feedback, fmt)
            for c in q.choices
        ]
    if q.type == "multiple_response":
        return [
            "~"
            + _weight_out(c.fraction, 0.0, c.text)
            + _rich_out(c.text, fmt)
            + _feedback(c.feedback, fmt)
            for c in q.choices
        ]
    if q.type == "short_answer":
        return [
            "="
            + _weight_out(a.fraction, 1.0, a.text)
            + _rich_out(a.text, fmt)
            + _feedback(a.feedback, fmt)
            for a in q.answers
        ]
    if q.type == "numerical":
        return [
            "="
            + _weight_out(a.fraction, 1.0, "")
            + f"{format_number(a.value)}:{format_number(a.tolerance)}"
            + _feedback(a.feedback, fmt)
            for a in q.numeric_answers
        ]
    if q.type == "matching":
        return [f"={_rich_out(p.prompt, fmt)} -> {escape_text(p.answer)}" for p in q.pairs]
    raise AssertionError(q.type)


def _write_question(q: QuestionData) -> str:
    header = _header(q)
    if q.type == "essay":
        return f"{header}{{{_general_feedback(q)}}}"
    if q.type == "true_false":
        assert q.correct_answer is not None
        feedback_true, feedback_false = true_false_feedback(q)
        right, wrong = (
            (feedback_true, feedback_false) if q.correct_answer else (feedback_false, feedback_true)
        )
        feedback = ""
        if wrong or right:
            feedback = "#" + _rich_out(wrong, q.text_format)
        if right:
            feedback += "#" + _rich_out(right, q.text_format)
        answer = "TRUE" if q.correct_answer else "FALSE"
        return f"{header}{{{answer}{feedback}{_general_feedback(q)}}}"
    body = "".join(f"\t{line}\n" for line in _answer_lines(q))
    if q.type == "numerical" and len(q.numeric_answers) == 1 and not _general_feedback(q):
        only = q.numeric_answers[0]
        if only.fraction == 1.0 and not only.feedback:
            return f"{header}{{#{format_number(only.value)}:{format_number(only.tolerance)}}}"
    opening = "{#\n" if q.type == "numerical" else "{\n"
    general = f"\t{_general_feedback(q)}\n" if q.general_feedback else ""
    return f"{header}{opening}{body}{general}}}"


def _has_control_character(text: str) -> bool:
    # Moodle's [id:…] and [tag:…] tokens exclude control characters; a category is one line.
    return any(ord(char) < 0x20 for char in text)


def _check_exportable(q: QuestionData, checker: ExportChecker) -> None:
    if q.type not in SUPPORTED_TYPES:
        checker.refuse(
            q, unsupported_type_message(q.type) + " (GIFT không có cú pháp cho kiểu này)"
        )
        return
    if any(_has_control_character(s) for s in (q.category, q.key, *q.tags)):
        checker.refuse(q, "danh mục, mã hoặc thẻ chứa ký tự điều khiển (xuống dòng, tab)")
    if q.type == "matching" and any("->" in p.prompt for p in q.pairs):
        checker.refuse(q, "vế trái của cặp ghép đôi chứa «->», GIFT không ghi được")
    if q.type == "short_answer" and any("->" in a.text + a.feedback for a in q.answers):
        checker.refuse(q, "đáp án chứa «->» sẽ bị đọc thành câu ghép đôi trong GIFT")
    for fraction in sorted(set(answer_fractions(q))):
        if (message := moodle_fraction_problem(fraction)) is not None:
            checker.refuse(q, message + ": Moodle không nhập được câu hỏi này")


def dump(questions: Sequence[QuestionData]) -> bytes:
    """GIFT text (UTF-8), or ExportUnsupported naming every question GIFT cannot hold."""
    checker = ExportChecker()
    for question in questions:
        _check_exportable(question, checker)
    checker.raise_if_any()
    chunks: list[str] = []
    category = ""
    for question in questions:
        if question.category != category:
            chunks.append(f"$CATEGORY: {category_to_moodle(question.category)}")
            category = question.category
        chunks.append(_write_question(only_type_fields(question)))
    return ("\n\n".join(chunks) + "\n").encode("utf-8")


def round_trip_form(question: QuestionData) -> QuestionData:
    """What ``parse(dump([question]))`` gives back: the fields GIFT carries."""
    return reset_fields(
        only_type_fields(question),
        "difficulty",
        "legal_basis",
        "legal_basis_date",
        "default_points",
        "shuffle_choices",
        "case_sensitive",
        "diacritics_sensitive",
        "rubric",
        "media",
        "units",
    )
