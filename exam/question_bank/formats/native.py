"""The project's own YAML question bank (``format: exam-bank/1``), import and export.

It carries every field of the interchange form::

    format: exam-bank/1
    bank: "Kiến thức chung"
    description: "…"
    questions:
      - id: KTC-001            # required, unique in the file
        type: single_choice    # one of interchange.QUESTION_TYPES
        text: "…"
        options:
          - {text: "…", correct: true}
          - {text: "…", fraction: -0.5, feedback: "…"}

Keys per question: ``id name type category difficulty tags legal_basis legal_basis_date
points text text_format feedback media status`` (``status: retired`` only: a question kept
as history) and, by type, ``options shuffle`` (single choice,
multiple response), ``answer true_feedback false_feedback`` (true/false), ``answers
case_sensitive diacritics_sensitive`` (short answer), ``numeric`` (numerical), ``pairs
shuffle`` (matching), ``items`` (ordering), ``rubric`` (essay). ``true_feedback`` and
``false_feedback`` (feedback for the answers "true" and "false") extend the original
specification. Options, answers and items may be written as bare strings.

Scoring shorthand: ``correct: true`` gives a single-choice option 100%; in a
multiple-response question the correct options without a ``fraction`` share what the
explicit positive fractions leave of 100% equally (all of it when there are none).

Reported as problems, each with the line of the offending key or item: YAML syntax
errors, duplicate keys, unknown keys (with a suggestion), keys that belong to another
question type, missing or duplicate ids, values of the wrong kind. Reported as notices:
images a question's HTML shows that its ``media`` lacks (imported, as Moodle would).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import difflib
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import yaml

from exam.question_bank.formats.common import (
    ExportChecker,
    ProblemLog,
    decode_text,
    fail,
    finish_and_check,
    label_for,
    only_type_fields,
    true_false_choices,
    true_false_feedback,
)
from exam.question_bank.interchange import (
    QUESTION_TYPES,
    Choice,
    ImportProblem,
    MatchPair,
    NumericAnswer,
    NumericUnit,
    QuestionData,
    RubricCriterion,
    ShortAnswer,
)

FORMAT_ID = "exam-bank/1"
SUPPORTED_TYPES = QUESTION_TYPES

_TOP_KEYS = ("format", "bank", "description", "questions")
_COMMON_KEYS = (
    "id", "name", "type", "category", "difficulty", "tags", "legal_basis",
    "legal_basis_date", "points", "text", "text_format", "feedback", "media", "status",
)  # fmt: skip
_TYPE_KEYS = {
    "single_choice": ("options", "shuffle"),
    "multiple_response": ("options", "shuffle"),
    "true_false": ("answer", "true_feedback", "false_feedback"),
    "short_answer": ("answers", "case_sensitive", "diacritics_sensitive"),
    "numerical": ("numeric", "units"),
    "matching": ("pairs", "shuffle"),
    "ordering": ("items",),
    "essay": ("rubric",),
}
_ALL_KEYS = set(_COMMON_KEYS).union(*_TYPE_KEYS.values())
_ENTRY_KEYS = {
    "options": ("text", "correct", "fraction", "feedback"),
    "answers": ("text", "fraction", "feedback"),
    "numeric": ("value", "tolerance", "fraction", "feedback"),
    "units": ("unit", "multiplier"),
    "pairs": ("prompt", "answer"),
    "rubric": ("criterion", "points"),
}
_MISSING = object()
_Where = tuple[str, int] | None  # a list key and the index of an entry in it


# ---------------------------------------------------------------------------------------
# Reading YAML with line numbers
# ---------------------------------------------------------------------------------------


def _load(data: bytes) -> tuple[Any, yaml.Node | None]:
    """The document and its node tree (for line numbers)."""
    loader = yaml.SafeLoader(decode_text(data))
    try:
        node = loader.get_single_node()
        document = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        raise fail(f"YAML không hợp lệ: {error.problem or error.context}", line) from None
    except yaml.YAMLError as error:
        raise fail(f"YAML không hợp lệ: {error}") from None
    finally:
        loader.dispose()
    return document, node


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _value_node(mapping: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(mapping, yaml.MappingNode):
        return None
    for key_node, value_node in mapping.value:
        if getattr(key_node, "value", None) == key:
            return value_node
    return None


def _key_lines(mapping: yaml.Node) -> dict[str, int]:
    if not isinstance(mapping, yaml.MappingNode):
        return {}
    return {str(k.value): _line(k) for k, _ in mapping.value if isinstance(k, yaml.ScalarNode)}


def _report_duplicate_keys(node: yaml.Node | None, log: ProblemLog) -> None:
    """PyYAML keeps the last of two equal keys silently; a typo'd copy would win."""
    visited: set[int] = set()  # aliases share nodes: visiting each once defuses alias bombs
    pending = [node]
    while pending:
        current = pending.pop()
        if current is None or id(current) in visited:
            continue
        visited.add(id(current))
        if isinstance(current, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in current.value:
                key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else ""
                if key and key in seen:
                    log.add(_line(key_node), f"khoá «{key}» bị lặp lại")
                seen.add(key)
                pending.append(value_node)
        elif isinstance(current, yaml.SequenceNode):
            pending.extend(current.value)


def _unknown_key_message(key: str, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f" (có phải «{close[0]}»?)" if close else ""
    return f"trường không xác định: «{key}»{hint}"


# ---------------------------------------------------------------------------------------
# Reading questions
# ---------------------------------------------------------------------------------------


class _QuestionReader:
    """Turns one mapping under ``questions`` into a QuestionData, logging every problem
    at the line of the key or item it concerns."""

    def __init__(self, item: Any, node: yaml.Node, log: ProblemLog):
        self.item = item if isinstance(item, dict) else {}
        self.node = node
        self.log = log
        self.key_lines = _key_lines(node)
        self.label = label_for(str(self.item.get("name") or ""), str(self.item.get("text") or ""))
        self.failed = not isinstance(item, dict)
        if self.failed:
            log.add(_line(node), "mỗi câu hỏi phải là một bảng khoá: giá trị (id, type, text…)")

    @property
    def line(self) -> int:
        return _line(self.node)

    def problem(self, message: str, key: str | None = None, index: int | None = None) -> None:
        self.failed = True
        self.log.add(self._line_of(key, index), message, self.label)

    def _line_of(self, key: str | None, index: int | None) -> int:
        if key is None:
            return self.line
        value = _value_node(self.node, key)
        if index is not None and isinstance(value, yaml.SequenceNode) and index < len(value.value):
            return _line(value.value[index])
        return self.key_lines.get(key, self.line)

    # --- typed getters ------------------------------------------------------------------

    def text(self, name: str, value: Any = _MISSING, at: _Where = None) -> str:
        """``name``'s value as text (``at`` locates an entry: list key and index)."""
        value = self.item.get(name, "") if value is _MISSING else value
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        self.problem(
            f"«{name}» phải là chuỗi ký tự (hãy đặt trong dấu ngoặc kép)", *(at or (name,))
        )
        return ""

    def flag(self, name: str, default: bool, value: Any = _MISSING, at: _Where = None) -> bool:
        value = self.item.get(name, default) if value is _MISSING else value
        if isinstance(value, bool):
            return value
        self.problem(f"«{name}» phải là true hoặc false", *(at or (name,)))
        return default

    def number(self, name: str, default: float, value: Any = _MISSING, at: _Where = None) -> float:
        value = self.item.get(name, default) if value is _MISSING else value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        self.problem(f"«{name}» phải là một số", *(at or (name,)))
        return default

    def entries(self, key: str) -> list[dict[str, Any]]:
        """A list of mappings (bare strings become ``{text: …}``), keys checked."""
        raw = self.item.get(key, [])
        if not isinstance(raw, list):
            self.problem(f"«{key}» phải là một danh sách", key)
            return []
        allowed = _ENTRY_KEYS[key]
        result = []
        for index, entry in enumerate(raw):
            if isinstance(entry, str | int) and not isinstance(entry, bool) and "text" in allowed:
                entry = {"text": entry}
            if not isinstance(entry, dict):
                self.problem(f"mỗi mục của «{key}» phải là một bảng khoá: giá trị", key, index)
                continue
            for unknown in set(map(str, entry)) - set(allowed):
                self.problem(f"{key}: " + _unknown_key_message(unknown, allowed), key, index)
            result.append(entry)
        return result

    # --- the question -------------------------------------------------------------------

    def read(self, seen_ids: dict[str, int]) -> QuestionData | None:
        if self.failed:
            return None
        question_type = self._type()
        self._check_keys(question_type)
        key = self._id(seen_ids)
        question = QuestionData(
            type=question_type or "essay",
            text=self._required_text(),
            name=self.text("name"),
            key=key,
            text_format=self._choice_of("text_format", ("plain", "html", "markdown"), "plain"),
            category=self.text("category"),
            difficulty=self._difficulty(),
            tags=self._tags(),
            legal_basis=self.text("legal_basis"),
            legal_basis_date=self._date(),
            default_points=self.number("points", 1.0),
            general_feedback=self.text("feedback"),
            media=self._media(),
            retired=self._retired(),
        )
        if question_type:
            question = _TYPE_READERS[question_type](self, question)
        if self.failed:
            return None
        return finish_and_check(question, self.line, self.log)

    def _type(self) -> str:
        value = self.item.get("type")
        if value is None:
            self.problem("thiếu «type» (kiểu câu hỏi)")
            return ""
        if value not in QUESTION_TYPES:
            self.problem(f"kiểu câu hỏi không được hỗ trợ: {value}", "type")
            return ""
        return str(value)

    def _check_keys(self, question_type: str) -> None:
        own = set(_COMMON_KEYS) | set(_TYPE_KEYS.get(question_type, ()))
        for key in map(str, self.item):
            if key not in _ALL_KEYS:
                self.problem(_unknown_key_message(key, sorted(_ALL_KEYS)), key)
            elif question_type and key not in own:
                self.problem(f"trường «{key}» không dùng cho kiểu {question_type}", key)

    def _id(self, seen_ids: dict[str, int]) -> str:
        key = self.text("id").strip()
        if not key:
            self.problem("thiếu «id» (mã câu hỏi)")
        elif key in seen_ids:
            self.problem(f"id «{key}» trùng với câu hỏi ở dòng {seen_ids[key]}", "id")
        else:
            seen_ids[key] = self._line_of("id", None)
        return key

    def _required_text(self) -> str:
        if "text" not in self.item:
            self.problem("thiếu «text» (nội dung câu hỏi)")
        return self.text("text")

    def _choice_of(self, key: str, allowed: Sequence[str], default: str) -> str:
        value = self.item.get(key, default)
        if value not in allowed:
            self.problem(f"«{key}» phải là một trong: {', '.join(allowed)}", key)
            return default
        return str(value)

    def _retired(self) -> bool:
        """``status: retired`` keeps a question as history (a rule the law no longer holds):
        imported retired, never drawn. A file cannot approve its own questions, so no
        other status is accepted."""
        if self.item.get("status") is None:
            return False
        return self._choice_of("status", ("retired",), "retired") == "retired"

    def _difficulty(self) -> str | None:
        if self.item.get("difficulty") is None:
            return None
        return self._choice_of("difficulty", ("easy", "medium", "hard"), "medium")

    def _tags(self) -> list[str]:
        raw = self.item.get("tags", [])
        if not isinstance(raw, list):
            self.problem("«tags» phải là một danh sách", "tags")
            return []
        return [self.text("tags", tag, ("tags", index)) for index, tag in enumerate(raw)]

    def _date(self) -> dt.date | None:
        raw = self.item.get("legal_basis_date")
        if raw is None:
            return None
        date = _as_date(raw)
        if date is None:
            self.problem("«legal_basis_date» phải là ngày dạng YYYY-MM-DD", "legal_basis_date")
        return date

    def _media(self) -> dict[str, bytes]:
        raw = self.item.get("media", {})
        if not isinstance(raw, dict):
            self.problem("«media» phải là bảng tên tệp: dữ liệu base64", "media")
            return {}
        media = {}
        for name, encoded in raw.items():
            try:
                media[str(name)] = base64.b64decode("".join(str(encoded).split()), validate=True)
            except (binascii.Error, ValueError):
                self.problem(f"dữ liệu base64 của tệp «{name}» bị hỏng", "media")
        return media

    # --- one reader per question type ---------------------------------------------------

    def choices(self, q: QuestionData) -> QuestionData:
        entries = self.entries("options")
        multiple = q.type == "multiple_response"
        explicit = [self._fraction(e, ("options", i)) for i, e in enumerate(entries)]
        correct = [
            self.flag("correct", False, e.get("correct", False), ("options", i))
            for i, e in enumerate(entries)
        ]
        for index, (fraction, is_correct) in enumerate(zip(explicit, correct, strict=True)):
            if is_correct and fraction is not None and fraction <= 0:
                self.problem(
                    "phương án có correct: true nhưng fraction không dương", "options", index
                )
        shared = 1.0
        implicit = sum(1 for f, c in zip(explicit, correct, strict=True) if c and f is None)
        if multiple and implicit:
            shared = (1.0 - sum(f for f in explicit if f is not None and f > 0)) / implicit
        choices = [
            Choice(
                self.text("text", e.get("text", ""), ("options", i)),
                fraction if fraction is not None else (shared if is_correct else 0.0),
                self.text("feedback", e.get("feedback", ""), ("options", i)),
            )
            for i, (e, fraction, is_correct) in enumerate(
                zip(entries, explicit, correct, strict=True)
            )
        ]
        return replace(q, choices=choices, shuffle_choices=self.flag("shuffle", True))

    def _fraction(self, entry: dict[str, Any], at: _Where) -> float | None:
        if "fraction" not in entry:
            return None
        return self.number("fraction", 0.0, entry["fraction"], at)

    def true_false(self, q: QuestionData) -> QuestionData:
        if "answer" not in self.item:
            self.problem("thiếu «answer» (true hoặc false)")
            return q
        correct = self.flag("answer", False)
        feedback_true, feedback_false = self.text("true_feedback"), self.text("false_feedback")
        choices = true_false_choices(correct, feedback_true, feedback_false)
        return replace(q, correct_answer=correct, choices=choices)

    def short_answer(self, q: QuestionData) -> QuestionData:
        answers = [
            ShortAnswer(
                self.text("text", e.get("text", ""), ("answers", i)),
                self.number("fraction", 1.0, e.get("fraction", 1.0), ("answers", i)),
                self.text("feedback", e.get("feedback", ""), ("answers", i)),
            )
            for i, e in enumerate(self.entries("answers"))
        ]
        return replace(
            q,
            answers=answers,
            case_sensitive=self.flag("case_sensitive", False),
            diacritics_sensitive=self.flag("diacritics_sensitive", True),
        )

    def numerical(self, q: QuestionData) -> QuestionData:
        answers = []
        for i, e in enumerate(self.entries("numeric")):
            if "value" not in e:
                self.problem("mỗi đáp án số cần «value»", "numeric", i)
                continue
            answers.append(
                NumericAnswer(
                    self.number("value", 0.0, e["value"], ("numeric", i)),
                    self.number("tolerance", 0.0, e.get("tolerance", 0.0), ("numeric", i)),
                    self.number("fraction", 1.0, e.get("fraction", 1.0), ("numeric", i)),
                    self.text("feedback", e.get("feedback", ""), ("numeric", i)),
                )
            )
        units = [
            NumericUnit(
                self.text("unit", e.get("unit", ""), ("units", i)),
                self.number("multiplier", 1.0, e.get("multiplier", 1.0), ("units", i)),
            )
            for i, e in enumerate(self.entries("units"))
        ]
        return replace(q, numeric_answers=answers, units=units)

    def matching(self, q: QuestionData) -> QuestionData:
        pairs = [
            MatchPair(
                self.text("prompt", e.get("prompt", ""), ("pairs", i)),
                self.text("answer", e.get("answer", ""), ("pairs", i)),
            )
            for i, e in enumerate(self.entries("pairs"))
        ]
        return replace(q, pairs=pairs, shuffle_choices=self.flag("shuffle", True))

    def ordering(self, q: QuestionData) -> QuestionData:
        raw = self.item.get("items", [])
        if not isinstance(raw, list):
            self.problem("«items» phải là một danh sách", "items")
            return q
        return replace(
            q, items=[self.text("items", item, ("items", i)) for i, item in enumerate(raw)]
        )

    def essay(self, q: QuestionData) -> QuestionData:
        rubric = [
            RubricCriterion(
                self.text("criterion", e.get("criterion", ""), ("rubric", i)),
                self.number("points", 0.0, e.get("points", 0.0), ("rubric", i)),
            )
            for i, e in enumerate(self.entries("rubric"))
        ]
        return replace(q, rubric=rubric)


def _as_date(value: object) -> dt.date | None:
    """A YAML date or an ISO "YYYY-MM-DD" string; None when it is neither."""
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


_TYPE_READERS = {
    "single_choice": _QuestionReader.choices,
    "multiple_response": _QuestionReader.choices,
    "true_false": _QuestionReader.true_false,
    "short_answer": _QuestionReader.short_answer,
    "numerical": _QuestionReader.numerical,
    "matching": _QuestionReader.matching,
    "ordering": _QuestionReader.ordering,
    "essay": _QuestionReader.essay,
}


def _document(data: bytes, log: ProblemLog) -> tuple[dict[str, Any], yaml.Node | None]:
    document, node = _load(data)
    if not isinstance(document, dict):
        raise fail(f"tệp ngân hàng câu hỏi phải bắt đầu bằng «format: {FORMAT_ID}»", 1)
    _report_duplicate_keys(node, log)
    lines = _key_lines(node) if node is not None else {}
    if document.get("format") != FORMAT_ID:
        log.add(lines.get("format", 1), f"«format» phải là {FORMAT_ID}")
    for key in map(str, document):
        if key not in _TOP_KEYS:
            log.add(lines.get(key), _unknown_key_message(key, _TOP_KEYS))
    return document, node


def parse(data: bytes, notices: list[ImportProblem] | None = None) -> list[QuestionData]:
    """Every question of a native YAML bank, or ImportFailed listing every problem;
    ``notices`` receives the images a question shows but its ``media`` lacks."""
    log = ProblemLog(notices=notices)
    document, node = _document(data, log)
    raw_questions = document.get("questions") or []
    question_nodes = _value_node(node, "questions")
    if not isinstance(raw_questions, list) or not isinstance(question_nodes, yaml.SequenceNode):
        if "questions" in document and raw_questions:
            log.add(_key_lines(node).get("questions"), "«questions» phải là một danh sách")
        log.raise_if_any()
        return []
    seen_ids: dict[str, int] = {}
    questions = []
    for item, item_node in zip(raw_questions, question_nodes.value, strict=True):
        question = _QuestionReader(item, item_node, log).read(seen_ids)
        if question is not None:
            questions.append(question)
    log.raise_if_any()
    return questions


def parse_bank_meta(data: bytes) -> tuple[str, str]:
    """The bank's name and description (empty strings when absent)."""
    document, _node = _load(data)
    if not isinstance(document, dict):
        return "", ""
    return str(document.get("bank") or ""), str(document.get("description") or "")


# ---------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Lists indented under their key, and multi-line text as literal blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_text)


def _number(value: float) -> int | float:
    value = float(value)  # callers may hand in ints
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _options_out(q: QuestionData) -> list[dict[str, Any]]:
    positives = [c.fraction for c in q.choices if c.fraction > 0]
    if q.type == "single_choice":
        implied = {1.0}
    else:  # the reader shares 100% equally between correct options without fraction
        implied = {1.0 / len(positives)} if positives and len(set(positives)) == 1 else set()
    options = []
    for choice in q.choices:
        option: dict[str, Any] = {"text": choice.text}
        if choice.fraction in implied:
            option["correct"] = True
        elif choice.fraction != 0:
            if choice.fraction > 0 and q.type == "multiple_response":
                option["correct"] = True
            option["fraction"] = _number(choice.fraction)
        if choice.feedback:
            option["feedback"] = choice.feedback
        options.append(option)
    return options


def _entry(**values: Any) -> dict[str, Any]:
    """A list entry without its default-valued keys."""
    defaults = {"fraction": 1.0, "feedback": "", "tolerance": 0.0}
    return {k: v for k, v in values.items() if k not in defaults or v != defaults[k]}


def _type_fields(q: QuestionData) -> dict[str, Any]:
    if q.type in ("single_choice", "multiple_response"):
        return {"options": _options_out(q), "shuffle": q.shuffle_choices}
    if q.type == "true_false":
        feedback_true, feedback_false = true_false_feedback(q)
        fields: dict[str, Any] = {"answer": q.correct_answer}
        if feedback_true:
            fields["true_feedback"] = feedback_true
        if feedback_false:
            fields["false_feedback"] = feedback_false
        return fields
    if q.type == "short_answer":
        return {
            "answers": [
                _entry(text=a.text, fraction=_number(a.fraction), feedback=a.feedback)
                for a in q.answers
            ],
            "case_sensitive": q.case_sensitive,
            "diacritics_sensitive": q.diacritics_sensitive,
        }
    if q.type == "numerical":
        return {
            "numeric": [
                _entry(
                    value=_number(a.value),
                    tolerance=_number(a.tolerance),
                    fraction=_number(a.fraction),
                    feedback=a.feedback,
                )
                for a in q.numeric_answers
            ],
            **(
                {"units": [{"unit": u.unit, "multiplier": _number(u.multiplier)} for u in q.units]}
                if q.units
                else {}
            ),
        }
    if q.type == "matching":
        pairs = [{"prompt": p.prompt, "answer": p.answer} for p in q.pairs]
        return {"pairs": pairs, "shuffle": q.shuffle_choices}
    if q.type == "ordering":
        return {"items": list(q.items)}
    return {"rubric": [{"criterion": r.criterion, "points": _number(r.points)} for r in q.rubric]}


def _question_out(q: QuestionData) -> dict[str, Any]:
    optional = {
        "name": q.name,
        "category": q.category,
        "difficulty": q.difficulty,
        "tags": list(q.tags),
        "legal_basis": q.legal_basis,
        "legal_basis_date": q.legal_basis_date,
    }
    out: dict[str, Any] = {"id": q.key}
    out |= {k: v for k, v in optional.items() if k == "name" and v}
    out["type"] = q.type
    out |= {k: v for k, v in optional.items() if k != "name" and v}
    if q.retired:
        out["status"] = "retired"
    if q.default_points != 1.0:
        out["points"] = _number(q.default_points)
    out["text"] = q.text
    if q.text_format != "plain":
        out["text_format"] = q.text_format
    if q.general_feedback:
        out["feedback"] = q.general_feedback
    out |= _type_fields(q)
    if q.media:
        out["media"] = {
            name: base64.b64encode(data).decode("ascii") for name, data in q.media.items()
        }
    return out


def dump(questions: Sequence[QuestionData], bank: str = "", description: str = "") -> bytes:
    """The bank as YAML (UTF-8); every question needs a unique key (its ``id``)."""
    checker = ExportChecker()
    seen: set[str] = set()
    for question in questions:
        if not question.key:
            checker.refuse(question, "thiếu mã câu hỏi (id), bắt buộc trong định dạng YAML")
        elif question.key in seen:
            checker.refuse(question, "mã câu hỏi (id) bị trùng")
        seen.add(question.key)
    checker.raise_if_any()
    document: dict[str, Any] = {"format": FORMAT_ID}
    if bank:
        document["bank"] = bank
    if description:
        document["description"] = description
    document["questions"] = [_question_out(only_type_fields(q)) for q in questions]
    text = yaml.dump(
        document,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        width=100,
        default_flow_style=False,
    )
    return text.encode("utf-8")


def round_trip_form(question: QuestionData) -> QuestionData:
    """What ``parse(dump([question]))`` gives back: everything of the question's type."""
    return only_type_fields(question)
