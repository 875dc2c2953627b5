"""Short answer (fill in the blank): the candidate types a few words.

Several accepted answers, each with a fraction of the points and its feedback. A response
earns the best fraction among the answers it matches (Moodle takes the first match in the
author's order; the best match does not depend on that order). Comparison:

* always: Unicode NFC, spaces around trimmed and runs of spaces made one;
* ``case_sensitive`` false (the default): letters compared without case ("Điều" = "điều");
* ``diacritics_sensitive`` false: Vietnamese marks ignored, "đ" read as "d"
  ("Ủy ban" = "uy ban", "Đà Nẵng" = "da nang");
* ``*`` in an accepted answer stands for any text (Moodle's wildcard); ``\\*`` is a star.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from flask_babel import lazy_gettext as _l

from exam.core.i18n import strip_diacritics
from exam.question_bank.interchange import QuestionData, ShortAnswer
from exam.question_bank.qtypes.base import InvalidResponse, QuestionType, register

MAX_RESPONSE = 500
_SPACES = re.compile(r"\s+")


def normalise(text: str, *, case_sensitive: bool, diacritics_sensitive: bool) -> str:
    """The form two texts are compared in (see the module's docstring)."""
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", text))
    if not diacritics_sensitive:
        text = strip_diacritics(text)
    if not case_sensitive:
        text = text.casefold()
    return text


def _pattern(answer: str, case_sensitive: bool, diacritics_sensitive: bool) -> re.Pattern[str]:
    """The accepted answer as a regular expression: ``*`` any text, ``\\*`` a star."""
    pieces = re.split(r"(?<!\\)\*", answer.strip())
    literal = [
        re.escape(
            normalise(
                p.replace("\\*", "*"),
                case_sensitive=case_sensitive,
                diacritics_sensitive=diacritics_sensitive,
            )
        )
        for p in pieces
    ]
    return re.compile(".*".join(literal), re.DOTALL)


def matching_answer(data: dict[str, Any], response: str) -> dict[str, Any] | None:
    """The accepted answer worth the most that ``response`` matches, if any."""
    case, marks = bool(data.get("case_sensitive")), bool(data.get("diacritics_sensitive", True))
    given = normalise(response, case_sensitive=case, diacritics_sensitive=marks).strip()
    best = None
    for answer in data.get("answers", []):
        better = best is None or answer["fraction"] > best["fraction"]
        if better and _pattern(answer["text"], case, marks).fullmatch(given):
            best = answer
    return best


@register
class ShortAnswerType(QuestionType):
    name = "short_answer"
    template = "exams/qtypes/short_answer.html"

    @property
    def title(self) -> str:
        return str(_l("Trả lời ngắn / điền khuyết"))

    def data_from_interchange(self, question: QuestionData) -> dict[str, Any]:
        return {
            "answers": [
                {"text": a.text, "fraction": float(a.fraction), "feedback": a.feedback}
                for a in question.answers
            ],
            "case_sensitive": bool(question.case_sensitive),
            "diacritics_sensitive": bool(question.diacritics_sensitive),
        }

    def interchange_fields(self, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "answers": [
                ShortAnswer(a["text"], float(a["fraction"]), a.get("feedback", ""))
                for a in data.get("answers", [])
            ],
            "case_sensitive": bool(data.get("case_sensitive")),
            "diacritics_sensitive": bool(data.get("diacritics_sensitive", True)),
        }

    def problems(self, data: dict[str, Any]) -> list[str]:
        answers = data.get("answers", [])
        problems = []
        if not answers:
            problems.append(str(_l("Cần ít nhất một đáp án được chấp nhận.")))
        if any(not str(a.get("text", "")).strip() for a in answers):
            problems.append(str(_l("Đáp án không được để trống.")))
        if answers and not any(a.get("fraction") == 1 for a in answers):
            problems.append(str(_l("Cần một đáp án được 100% số điểm.")))
        return problems

    def clean_response(self, data: dict[str, Any], raw: Any) -> Any:
        if raw is None:
            return None
        if not isinstance(raw, str):
            raise InvalidResponse("text expected")
        text = unicodedata.normalize("NFC", raw).strip()
        if len(text) > MAX_RESPONSE:
            raise InvalidResponse("answer too long")
        return text or None

    def score_fraction(self, data: dict[str, Any], response: Any) -> float:
        if not response:
            return 0.0
        answer = matching_answer(data, response)
        return max(0.0, min(1.0, float(answer["fraction"]))) if answer else 0.0

    def describe_answer(self, data: dict[str, Any]) -> str:
        return " | ".join(
            a["text"] if a["fraction"] == 1 else f"{a['text']} ({a['fraction'] * 100:g}%)"
            for a in data.get("answers", [])
            if a["fraction"] > 0
        )
