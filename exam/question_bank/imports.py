"""Importing a file into a bank: the same code for the web page and ``flask bank import``.

``plan_import`` reads a file and checks it against the bank without writing anything (the
dry run): every problem the parser found, with its line, and every question the bank
would refuse (a key already taken, a field too long), located by line where the file is
text; the plan also lists each question with its line for the preview. ``run_import``
writes a plan whose problems list is empty, all in the caller's one transaction, and
refuses a plan that has problems; it may give a legal basis to the questions whose file
gave them none (formats other than the native one carry none).
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import html
import zipfile
import zlib
from collections import Counter

from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.core.errors import DomainError
from exam.core.filenames import clean_filename
from exam.core.staging import StagedUploads
from exam.question_bank.formats import FORMATS, ImportFailed, detect_format, parse, qti
from exam.question_bank.formats.common import clean_text, decode_text, question_label
from exam.question_bank.formats.native import parse_bank_meta
from exam.question_bank.interchange import ImportProblem, QuestionData
from exam.question_bank.models import Bank, Difficulty, Question, QuestionStatus
from exam.question_bank.operations import (
    MAX_LEGAL_BASIS,
    canonical,
    import_questions,
    question_problems,
)
from exam.question_bank.qtypes import get_type
from exam.question_bank.queries import keys_of
from exam.question_bank.rich_text import to_plain

# What reading the files of a damaged zip package raises (a QTI package): a wrong CRC, a
# broken compressed stream, a compression method or an encryption zipfile cannot read.
_BROKEN_ARCHIVE = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError)


QTI_BY_VERSION = {"2.1": "qti", "2.2": "qti-2.2"}

# The preview lists this many questions (a file may hold thousands: the page stays light);
# the counts by type and category cover them all.
PREVIEW_ROWS = 200
EXCERPT_CHARACTERS = 120


@dataclasses.dataclass(frozen=True)
class PreviewRow:
    """One question as the import preview lists it."""

    line: int | None
    key: str
    name: str
    type_title: str
    category: str
    difficulty_title: str
    excerpt: str  # the first words of its text, as plain text
    legal_basis: str
    legal_basis_date: dt.date | None


@dataclasses.dataclass
class ImportPlan:
    """What a file would add to a bank."""

    filename: str
    format: str
    questions: list[QuestionData]
    problems: list[ImportProblem]
    bank_name: str = ""  # a native file's own bank name, when it has one
    # What is imported otherwise than written, or skipped, as Moodle would (not errors).
    notices: list[ImportProblem] = dataclasses.field(default_factory=list)
    # Where each question starts in the file, as far as can be told (None: a zip package).
    lines: list[int | None] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.questions)

    def without_legal_basis(self) -> int:
        """How many questions the file gives no legal basis (the confirmation may)."""
        return sum(1 for q in self.questions if not q.legal_basis)

    def rows(self, limit: int = PREVIEW_ROWS) -> list[PreviewRow]:
        titles = {name: _type_title(name) for name, _ in self.by_type()}
        lines = self.lines or [None] * len(self.questions)
        return [
            PreviewRow(
                line=line,
                key=q.key,
                name=q.name,
                type_title=titles.get(q.type, q.type),
                category=q.category,
                difficulty_title=_difficulty_title(q.difficulty),
                excerpt=_excerpt(q),
                legal_basis=q.legal_basis,
                legal_basis_date=q.legal_basis_date,
            )
            for q, line in zip(self.questions[:limit], lines, strict=False)
        ]

    @property
    def format_label(self) -> str:
        return FORMATS[self.format].label if self.format in FORMATS else self.format

    def by_type(self) -> list[tuple[str, int]]:
        counts = Counter(q.type for q in self.questions)
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    def type_titles(self) -> dict[str, str]:
        return {name: _type_title(name) for name, _ in self.by_type()}

    def by_category(self) -> list[tuple[str, int]]:
        counts = Counter(q.category for q in self.questions)
        return sorted(counts.items())

    def summary(self) -> str:
        parts = ", ".join(f"{name}: {count}" for name, count in self.by_type())
        return f"{len(self.questions)} ({parts})" if parts else "0"


def _type_title(name: str) -> str:
    try:
        return get_type(name).title
    except LookupError:
        return name


def _difficulty_title(value: str | None) -> str:
    try:
        return str(Difficulty(value).title) if value else ""
    except ValueError:
        return value or ""


def _excerpt(question: QuestionData) -> str:
    text = question.text
    words = to_plain(text) if question.text_format == "html" else " ".join(text.split())
    if len(words) <= EXCERPT_CHARACTERS:
        return words
    return words[:EXCERPT_CHARACTERS].rstrip() + "…"


def _lines(data: bytes) -> list[str] | None:
    if data[:2] == b"PK":  # a zip package: no lines to point at
        return None
    try:
        return decode_text(data).split("\n")
    except ImportFailed:
        return None


def _question_lines(lines: list[str] | None, questions: list[QuestionData]) -> list[int | None]:
    """Where each question is, as far as its key, name or first words tell (the first of
    them found), searched after the previous question's: questions come in file order, so
    the file is read about once however many questions it holds, and two questions that
    begin alike get their own lines."""
    if not lines:
        return [None] * len(questions)
    text = "\n".join(lines)
    starts = _line_starts(lines)
    position = 0
    found_lines: list[int | None] = []
    for question in questions:
        line = None
        for needle in _needles(question):
            at = text.find(needle, position)
            if at >= 0:
                line = bisect.bisect_right(starts, at)
                position = at + len(needle)
                break
        found_lines.append(line)
    return found_lines


def _line_starts(lines: list[str]) -> list[int]:
    offsets, offset = [], 0
    for line in lines:
        offsets.append(offset)
        offset += len(line) + 1
    return offsets


def _needles(question: QuestionData) -> list[str]:
    found = []
    for needle in (question.key, question.name, question.text[:40]):
        if needle.strip():
            found += [needle, html.escape(needle, quote=False)]
    return list(dict.fromkeys(found))


def plan_import(bank: Bank, data: bytes, fmt: str | None = None, filename: str = "") -> ImportPlan:
    """Read and check a file against the bank; writes nothing."""
    filename = clean_filename(filename, fallback="")  # shown, and kept in the import's audit
    try:
        fmt = fmt or detect_format(filename, data)
    except ImportFailed as failed:
        return ImportPlan(filename, fmt or "", [], failed.problems)
    if fmt not in FORMATS:
        problem = ImportProblem(None, str(_l("Định dạng không được hỗ trợ: %(f)s.", f=fmt)))
        return ImportPlan(filename, fmt, [], [problem])
    if fmt in QTI_BY_VERSION.values():  # QTI 2.1 or 2.2 as the file's namespace says
        fmt = QTI_BY_VERSION.get(qti.version_of(data) or "", fmt)
    notices: list[ImportProblem] = []
    try:
        questions = [canonical(q) for q in parse(data, fmt, filename, notices)]
    except ImportFailed as failed:
        return ImportPlan(filename, fmt, [], failed.problems, notices=notices)
    except _BROKEN_ARCHIVE:  # a package whose directory reads but whose files do not
        problem = ImportProblem(
            None, str(_l("Tệp nén bị hỏng: không giải nén được các tệp bên trong."))
        )
        return ImportPlan(filename, fmt, [], [problem], notices=notices)
    plan = ImportPlan(filename, fmt, questions, [], notices=notices)
    if fmt == "native":
        plan.bank_name = parse_bank_meta(data)[0]
    plan.lines = _question_lines(_lines(data), questions)
    taken = keys_of(bank.id)
    seen: set[str] = set()
    for question, line in zip(questions, plan.lines, strict=True):
        messages = question_problems(question)
        if question.key in taken:
            messages.append(str(_l("mã câu hỏi «%(key)s» đã có trong ngân hàng", key=question.key)))
        elif question.key and question.key in seen:
            messages.append(str(_l("mã câu hỏi «%(key)s» bị trùng trong tệp", key=question.key)))
        seen.add(question.key)
        if messages:
            label = question_label(question) or question.key
            plan.problems += [ImportProblem(line, message, label) for message in messages]
    if not questions:
        plan.problems.append(ImportProblem(None, str(_l("Tệp không có câu hỏi nào."))))
    plan.problems.sort(key=lambda p: p.line or 0)
    return plan


def run_import(
    bank: Bank,
    plan: ImportPlan,
    *,
    actor: User,
    status: QuestionStatus = QuestionStatus.DRAFT,
    legal_basis: str = "",
    legal_basis_date: dt.date | None = None,
) -> list[Question]:
    """Write a checked plan, all or nothing; imported questions are never approved.
    ``legal_basis`` (and its date) go to every question the file gives no legal basis;
    a question's own legal basis, and its own date, win."""
    if not plan.ok:
        raise DomainError(_l("Tệp còn lỗi: không nhập câu hỏi nào."))
    questions = with_legal_basis(plan.questions, legal_basis, legal_basis_date)
    return import_questions(
        bank,
        questions,
        actor=actor,
        status=status,
        source=f"{plan.filename} ({plan.format})",
        canonical_already=True,
    )


def with_legal_basis(
    questions: list[QuestionData], legal_basis: str, legal_basis_date: dt.date | None
) -> list[QuestionData]:
    """The questions, those without a legal basis given ``legal_basis`` (and the date,
    unless they carry their own). A date alone names no document: refused."""
    legal_basis = clean_text(legal_basis)
    if legal_basis_date is not None and not legal_basis:
        raise DomainError(_l("Ghi căn cứ pháp lý cho ngày văn bản này."))
    if len(legal_basis) > MAX_LEGAL_BASIS:
        raise DomainError(_l("Căn cứ pháp lý dài quá %(n)d ký tự.", n=MAX_LEGAL_BASIS))
    if not legal_basis:
        return questions
    return [
        q
        if q.legal_basis
        else dataclasses.replace(
            q, legal_basis=legal_basis, legal_basis_date=q.legal_basis_date or legal_basis_date
        )
        for q in questions
    ]


# --- a file kept between the dry run and the confirmation (web import) ----------------------

# The rule of staging is exam/core/staging.py; this is the bank's kind of staged file.
STAGED = StagedUploads("bank-imports", suffix=".bin", max_age=dt.timedelta(hours=12))


def stage_file(data: bytes, *, filename: str, fmt: str, bank_id: int, user_id: int) -> str:
    """Keep an uploaded file until the person confirms the import; returns its token."""
    return STAGED.stage(data, owner_id=user_id, filename=filename, format=fmt, bank_id=bank_id)


def load_staged(token: str, *, bank_id: int, user_id: int) -> tuple[bytes, dict] | None:
    """The staged file of this person for this bank, or None (unknown, expired, another's)."""
    return STAGED.load(token, owner_id=user_id, bank_id=bank_id)


def discard_staged(token: str, *, user_id: int) -> None:
    STAGED.discard(token, owner_id=user_id)
