"""Aiken, the simplest single-choice format (import and export)::

    Cơ quan nào ban hành Luật Cán bộ, công chức?
    A. Chính phủ
    B) Quốc hội
    ANSWER: B

The question text may run over several lines; options are ``A.`` or ``A)`` (a capital
letter, then usually a space: ``A)x`` is an option too, as Moodle reads it since its
reader's pattern became ``^[A-Z][).][ \t]?``); the ``ANSWER:`` line ends the question.
Blank lines between questions are optional.

Only single choice exists in Aiken. Reported as problems, with their lines: a question
without ``ANSWER:``, an answer letter that names no option, several answer letters, text
after the options that is neither an option nor ``ANSWER:``.

Export refuses every other question type and texts Aiken cannot spell (more than 26
options, a text line that reads as an option or ANSWER). Aiken keeps only the text, the
options and the correct one: HTML becomes plain text, an option's lines are joined,
partial credit and feedback are lost (see ``round_trip_form``).
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from exam.question_bank.formats.common import (
    ExportChecker,
    ProblemLog,
    decode_text,
    finish_and_check,
    html_to_plain,
    label_for,
    unsupported_type_message,
)
from exam.question_bank.interchange import Choice, QuestionData

SUPPORTED_TYPES = ("single_choice",)

_OPTION = re.compile(r"([A-Z])[.)][ \t]*(.*)")
_ANSWER = re.compile(r"ANSWER\s*:\s*(.*)", re.IGNORECASE)


@dataclass
class _Draft:
    """A question being read: text lines, then options, until ANSWER."""

    line: int
    text: list[str]
    options: list[tuple[str, str, int]] = field(default_factory=list)  # letter, text, line
    broken: bool = False

    @property
    def label(self) -> str:
        return label_for("", " ".join(self.text))


class _Reader:
    def __init__(self) -> None:
        self.log = ProblemLog()
        self.questions: list[QuestionData] = []
        self.draft: _Draft | None = None

    def read(self, text: str) -> list[QuestionData]:
        for number, raw in enumerate(text.split("\n"), start=1):
            self._line(number, raw.strip())
        if self.draft is not None:
            self._missing_answer()
        self.log.raise_if_any()
        return self.questions

    def _line(self, number: int, line: str) -> None:
        draft = self.draft
        if not line:
            if draft is not None and draft.options:
                self._missing_answer()  # a blank line after the options ends the question
            return
        if draft is None:
            if _ANSWER.fullmatch(line):
                self.log.add(number, "dòng ANSWER không thuộc câu hỏi nào")
            else:
                self.draft = _Draft(number, [line])
            return
        if answer := _ANSWER.fullmatch(line):
            self._finish(draft, answer.group(1).strip(), number)
        elif option := _OPTION.fullmatch(line):
            draft.options.append((option.group(1), option.group(2).strip(), number))
        elif draft.options:
            draft.broken = True
            self.log.add(
                number, "dòng này không phải phương án (A. …) hay dòng ANSWER", draft.label
            )
        else:
            draft.text.append(line)

    def _missing_answer(self) -> None:
        assert self.draft is not None
        self.log.add(self.draft.line, "thiếu dòng ANSWER", self.draft.label)
        self.draft = None

    def _finish(self, draft: _Draft, letter: str, line: int) -> None:
        self.draft = None
        letters = [option[0] for option in draft.options]
        problems = []
        if len(letter) != 1 or letter.upper() not in string.ascii_uppercase:
            problems.append(f"ANSWER phải là đúng một chữ cái, không phải «{letter}»")
        elif letter.upper() not in letters:
            problems.append(f"đáp án {letter.upper()} không có trong các phương án")
        if duplicates := sorted({x for x in letters if letters.count(x) > 1}):
            problems.append(f"phương án bị lặp chữ cái: {', '.join(duplicates)}")
        for message in problems:
            self.log.add(line, message, draft.label)
        if problems or draft.broken:
            return
        choices = [
            Choice(text, 1.0 if option_letter == letter.upper() else 0.0)
            for option_letter, text, _ in draft.options
        ]
        question = QuestionData(type="single_choice", text="\n".join(draft.text), choices=choices)
        if (finished := finish_and_check(question, draft.line, self.log)) is not None:
            self.questions.append(finished)


def parse(data: bytes) -> list[QuestionData]:
    """Every question of an Aiken file, or ImportFailed listing every problem."""
    return _Reader().read(decode_text(data))


# --- writing ------------------------------------------------------------------------------


def _check_exportable(q: QuestionData, checker: ExportChecker) -> None:
    if q.type not in SUPPORTED_TYPES:
        checker.refuse(q, unsupported_type_message(q.type) + " (Aiken chỉ có câu một lựa chọn)")
        return
    kept = round_trip_form(q)
    if sum(1 for c in kept.choices if c.fraction == 1.0) > 1:
        checker.refuse(q, "Aiken chỉ ghi được một đáp án đúng (ANSWER: một chữ cái)")
    if len(kept.choices) > len(string.ascii_uppercase):
        checker.refuse(q, "Aiken chỉ ghi được tối đa 26 phương án")
    if not kept.text or any(not c.text for c in kept.choices):
        checker.refuse(q, "nội dung hoặc phương án trống khi bỏ định dạng HTML (ví dụ chỉ có ảnh)")
    text_lines = kept.text.split("\n")
    if any(_ANSWER.fullmatch(line) or _OPTION.fullmatch(line) for line in text_lines[1:]):
        checker.refuse(q, "một dòng của nội dung trông như phương án hoặc dòng ANSWER")
    if _ANSWER.fullmatch(text_lines[0]):
        checker.refuse(q, "dòng đầu của nội dung trông như dòng ANSWER")


def _write_question(q: QuestionData) -> str:
    lines = [q.text]
    correct = ""
    for letter, choice in zip(string.ascii_uppercase, q.choices, strict=False):
        lines.append(f"{letter}. {choice.text}")
        if choice.fraction == 1.0:
            correct = letter
    lines.append(f"ANSWER: {correct}")
    return "\n".join(lines)


def dump(questions: Sequence[QuestionData]) -> bytes:
    """Aiken text (UTF-8), or ExportUnsupported naming every question Aiken cannot hold."""
    checker = ExportChecker()
    for question in questions:
        _check_exportable(question, checker)
    checker.raise_if_any()
    return ("\n\n".join(_write_question(round_trip_form(q)) for q in questions) + "\n").encode()


def _as_plain(text: str, text_format: str, joiner: str = "\n") -> str:
    text = html_to_plain(text) if text_format == "html" else text
    return joiner.join(line.strip() for line in text.split("\n") if line.strip())


def round_trip_form(question: QuestionData) -> QuestionData:
    """What ``parse(dump([question]))`` gives back: text, options and the correct one."""
    fmt = question.text_format
    choices = [
        # An option is one line: its lines are joined with spaces.
        Choice(_as_plain(c.text, fmt, " "), 1.0 if c.fraction == 1.0 else 0.0)
        for c in question.choices
    ]
    return replace(
        QuestionData(type=question.type, text=_as_plain(question.text, fmt)), choices=choices
    )
