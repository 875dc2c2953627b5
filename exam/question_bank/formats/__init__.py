"""Question bank files: import into and export from the interchange form
(``exam.question_bank.interchange.QuestionData``). Pure functions, no database, no Flask.

``FORMATS`` names every format; ``detect_format`` guesses one from a file's content (the
file name is only a hint); ``parse`` and ``dump`` read and write; ``export_losses`` tells,
before an export, which questions would not come back whole.

A file that cannot be imported whole raises ``ImportFailed`` with every problem found;
what a file holds that is imported otherwise than written, or skipped as Moodle skips it
(a GIFT description), goes to ``notices`` for the import report. A question list a format
cannot hold raises ``ExportUnsupported`` naming every question; ``exportable`` splits a
list into what a format holds and what it leaves out, and why.
"""

from __future__ import annotations

import functools
import io
import posixpath
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from exam.question_bank.formats import aiken, gift, moodle_xml, native, qti
from exam.question_bank.formats.common import (
    ExportChecker,
    ExportProblem,
    ExportUnsupported,
    describe_losses,
    fail,
    missing_images,
    only_type_fields,
    question_label,
    split_bom,
    unsupported_type_message,
)
from exam.question_bank.interchange import ImportFailed, ImportProblem, QuestionData

__all__ = [
    "FORMATS",
    "ExportProblem",
    "ExportUnsupported",
    "Format",
    "ImportFailed",
    "detect_format",
    "dump",
    "export_losses",
    "exportable",
    "parse",
]


@dataclass(frozen=True)
class Format:
    """One file format and what it can do."""

    name: str
    label: str  # for people
    extensions: tuple[str, ...]
    media_type: str
    supported_types: tuple[str, ...]  # question types it can export
    parse: Callable[[bytes, list[ImportProblem]], list[QuestionData]]  # (data, notices)
    dump: Callable[..., bytes]
    round_trip_form: Callable[[QuestionData], QuestionData]
    # Adds to the checker every reason the format cannot write a question (None: it
    # writes every question).
    check: Callable[[QuestionData, ExportChecker], None] | None = None
    # The question as the format would faithfully hold it; what differs from this after
    # a round trip is a loss (QTI holds all text as HTML, which is no loss).
    faithful_form: Callable[[QuestionData], QuestionData] = only_type_fields


def _format_of(
    module: Any,
    name: str,
    label: str,
    extensions: tuple[str, ...],
    media_type: str,
    *,
    notices: bool = False,
    **extra: Any,
) -> Format:
    """A Format built from a format module's public functions (``notices``: its parse
    reports notices)."""
    parse_file = module.parse
    fields: dict[str, Any] = {
        "dump": module.dump,
        "round_trip_form": module.round_trip_form,
        "check": getattr(module, "_check_exportable", None),
        **extra,
    }
    return Format(
        name=name,
        label=label,
        extensions=extensions,
        media_type=media_type,
        supported_types=module.SUPPORTED_TYPES,
        parse=(
            (lambda data, found: parse_file(data, notices=found))
            if notices
            else (lambda data, _found: parse_file(data))
        ),
        **fields,
    )


FORMATS: dict[str, Format] = {
    spec.name: spec
    for spec in (
        _format_of(gift, "gift", "GIFT (Moodle)", (".gift", ".txt"), "text/plain", notices=True),
        _format_of(
            moodle_xml,
            "moodle-xml",
            "Moodle XML",
            (".xml",),
            "application/xml",
            notices=True,
            faithful_form=moodle_xml.with_exported_name,
        ),
        _format_of(aiken, "aiken", "Aiken", (".txt",), "text/plain"),
        _format_of(
            qti,
            "qti",
            "IMS QTI 2.1",
            (".zip", ".xml"),
            "application/zip",
            notices=True,
            faithful_form=qti.as_html,
        ),
        _format_of(
            qti,
            "qti-2.2",
            "IMS QTI 2.2",
            (".zip", ".xml"),
            "application/zip",
            notices=True,
            faithful_form=qti.as_html,
            dump=functools.partial(qti.dump, version="2.2"),
            round_trip_form=functools.partial(qti.round_trip_form, version="2.2"),
        ),
        _format_of(
            native,
            "native",
            "YAML ngân hàng câu hỏi",
            (".yaml", ".yml"),
            "application/yaml",
            notices=True,
        ),
    )
}

_EXTENSION_HINTS = {
    ".gift": "gift",
    ".xml": "moodle-xml",
    ".yaml": "native",
    ".yml": "native",
    ".zip": "qti",
}
# A manifest alone and a QTI 3 item go to the QTI reader, which says what they are.
_XML_ROOTS = {
    "quiz": "moodle-xml",
    "assessmentItem": "qti",
    "manifest": "qti",
    "qti-assessment-item": "qti",
}
_FIRST_ELEMENT = re.compile(r"<(?![?!])(?:[\w.-]+:)?([\w.-]+)")
_NATIVE_MARK = re.compile(r"""^format:\s*["']?exam-bank/""", re.MULTILINE)
_AIKEN_ANSWER = re.compile(r"^\s*ANSWER\s*:\s*[A-Z]\s*$", re.MULTILINE | re.IGNORECASE)
_AIKEN_OPTION = re.compile(r"^\s*[A-Z][.)][ \t]", re.MULTILINE)
_GIFT_MARKS = re.compile(r"\{[^{}]*\}|^\s*\$CATEGORY:|^\s*::[^:]", re.MULTILINE)
_SNIFF_BYTES = 256 * 1024


def _sniff(data: bytes) -> str | None:
    """The format the content itself announces, if any (QTI by its version)."""
    found = _sniff_kind(data)
    if found == "qti" and qti.version_of(data) == "2.2":
        return "qti-2.2"
    return found


def _sniff_kind(data: bytes) -> str | None:
    if data[:2] == b"PK":
        return "qti" if _zip_has_manifest(data) else None
    encoding, body = split_bom(data[:_SNIFF_BYTES])
    text = body.decode(encoding or "utf-8", errors="replace")
    if text.lstrip().startswith("<"):
        # Skip comments so a commented-out element is not taken for the root.
        match = _FIRST_ELEMENT.search(re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL))
        return _XML_ROOTS.get(match.group(1)) if match else None
    if _NATIVE_MARK.search(text):
        return "native"
    if _AIKEN_ANSWER.search(text) and _AIKEN_OPTION.search(text):
        return "aiken"
    if _GIFT_MARKS.search(text):
        return "gift"
    return None


def _zip_has_manifest(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(
                posixpath.basename(n).lower() == "imsmanifest.xml" for n in archive.namelist()
            )
    except zipfile.BadZipFile:
        return False


def detect_format(filename: str, data: bytes) -> str:
    """The format of a file: by its content first, its extension as a hint."""
    found = _sniff(data)
    if found is None:
        found = _EXTENSION_HINTS.get(posixpath.splitext(filename.lower())[1])
    if found is None:
        known = ", ".join(f"{f.label} ({' '.join(f.extensions)})" for f in FORMATS.values())
        shown = f"«{filename}»" if filename else "này"
        raise fail(f"không nhận ra định dạng của tệp {shown}; các định dạng được hỗ trợ: {known}")
    return found


def _format(fmt: str) -> Format:
    if fmt not in FORMATS:
        raise fail(f"định dạng không được hỗ trợ: {fmt} (dùng một trong: {', '.join(FORMATS)})")
    return FORMATS[fmt]


def parse(
    data: bytes,
    fmt: str | None = None,
    filename: str = "",
    notices: list[ImportProblem] | None = None,
) -> list[QuestionData]:
    """Every question of a file, or ImportFailed listing every problem found; ``notices``
    receives what is imported otherwise than written, or skipped."""
    found: list[ImportProblem] = [] if notices is None else notices
    return _format(fmt or detect_format(filename, data)).parse(data, found)


def dump(questions: Sequence[QuestionData], fmt: str, **options: Any) -> bytes:
    """The questions as a file of format ``fmt`` (options: ``bank``, ``description`` for
    native). Raises ExportUnsupported naming every question the format cannot hold."""
    return _format(fmt).dump(questions, **options)


def exportable(
    questions: Sequence[QuestionData], fmt: str
) -> tuple[list[QuestionData], list[ExportProblem]]:
    """The questions the format can write, and every reason it leaves out the others (as
    Moodle's export skips a question its format cannot hold and says so)."""
    spec = _format(fmt)
    kept: list[QuestionData] = []
    checker = ExportChecker()
    for question in questions:
        found = len(checker.problems)
        if spec.check is not None:
            spec.check(question, checker)
        if question.type not in spec.supported_types and len(checker.problems) == found:
            checker.refuse(question, unsupported_type_message(question.type))
        if len(checker.problems) == found:
            kept.append(question)
    return kept, checker.problems


def export_losses(questions: Sequence[QuestionData], fmt: str) -> list[ExportProblem]:
    """Questions the format can write but not whole, and what of them it drops; also the
    images a question names but the bank lacks (imported so, as Moodle imports them): the
    file keeps the reference, a broken image where it is read. Questions it cannot write
    at all are left to ``dump`` (ExportUnsupported)."""
    spec = _format(fmt)
    losses = []
    for question in questions:
        if question.type not in spec.supported_types:
            continue
        lost = describe_losses(
            spec.faithful_form(question), spec.round_trip_form(question), spec.label
        )
        messages = [lost] if lost else []
        if missing := missing_images(question):
            names = ", ".join(f"«{name}»" for name in missing)
            messages.append(
                f"ảnh {names} không có trong ngân hàng: tệp xuất giữ nguyên tham chiếu, "
                "nơi đọc tệp sẽ thấy ảnh hỏng"
            )
        if messages:
            losses.append(
                ExportProblem(question.key or question_label(question), "; ".join(messages))
            )
    return losses
