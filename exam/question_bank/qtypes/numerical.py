"""Numerical: the candidate types a number.

Each accepted answer is a value with a tolerance (the range ``value ± tolerance``; GIFT's
``{#1..5}`` range is read as 3 ± 2) and a fraction of the points. A response earns the best
fraction among the answers whose range holds it. The response is kept as typed (so a typo is
never refused while the candidate is still typing) and read as a number when scored: a
decimal comma or point ("2,5" or "2.5"); with both, the last one is the decimal mark and the
other groups thousands ("1.234,5" = "1,234.5" = 1234.5); spaces are ignored.

Units are optional, as Moodle's "units are optional": a response may end (or start) with
one of the question's units, and is then converted to the answers' unit (divided by the
unit's multiplier: "150 cm" is 1.5 when "cm" has 100); without a unit it is taken in the
answers' unit; an unknown unit makes it no number.
"""

from __future__ import annotations

import math
import re
from typing import Any

from flask_babel import lazy_gettext as _l

from exam.question_bank.formats.common import format_number
from exam.question_bank.interchange import NumericAnswer, NumericUnit, QuestionData
from exam.question_bank.qtypes.base import InvalidResponse, QuestionType, register

MAX_RESPONSE = 50
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def read_number(text: str) -> float | None:
    """A number as people type it (see the module's docstring); None when it is not one."""
    text = re.sub(r"[\s\u00a0\u202f]", "", text or "").replace("−", "-")
    if "," in text and "." in text:
        decimal = "," if text.rfind(",") > text.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        text = text.replace(thousands, "").replace(decimal, ".")
    elif text.count(",") == 1:
        text = text.replace(",", ".")
    if not _NUMBER.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def read_with_units(text: str, units: list[dict[str, Any]]) -> float | None:
    """A response in any of ``units`` (or none), in the answers' unit; None if it is not
    a number in a known unit."""
    text = (text or "").strip()
    for unit in sorted(units, key=lambda u: -len(u["unit"])):
        name = unit["unit"]
        for number in (text.removesuffix(name), text.removeprefix(name)):
            if number != text and (value := read_number(number)) is not None:
                return value / float(unit["multiplier"])
    return read_number(text)


def _holds(answer: dict[str, Any], value: float) -> bool:
    slack = 1e-9 * max(1.0, abs(float(answer["value"])))  # binary floating point
    return abs(value - float(answer["value"])) <= float(answer.get("tolerance", 0)) + slack


@register
class NumericalType(QuestionType):
    name = "numerical"
    template = "exams/qtypes/numerical.html"

    @property
    def title(self) -> str:
        return str(_l("Số"))

    def data_from_interchange(self, question: QuestionData) -> dict[str, Any]:
        return {
            "answers": [
                {
                    "value": float(a.value),
                    "tolerance": float(a.tolerance),
                    "fraction": float(a.fraction),
                    "feedback": a.feedback,
                }
                for a in question.numeric_answers
            ],
            "units": [{"unit": u.unit, "multiplier": float(u.multiplier)} for u in question.units],
        }

    def interchange_fields(self, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "numeric_answers": [
                NumericAnswer(
                    float(a["value"]),
                    float(a.get("tolerance", 0.0)),
                    float(a["fraction"]),
                    a.get("feedback", ""),
                )
                for a in data.get("answers", [])
            ],
            "units": [
                NumericUnit(u["unit"], float(u["multiplier"])) for u in data.get("units", [])
            ],
        }

    def problems(self, data: dict[str, Any]) -> list[str]:
        answers = data.get("answers", [])
        problems = []
        if not answers:
            problems.append(str(_l("Cần ít nhất một đáp án số.")))
        if any(float(a.get("tolerance", 0)) < 0 for a in answers):
            problems.append(str(_l("Sai số cho phép không được âm.")))
        if answers and not any(a.get("fraction") == 1 for a in answers):
            problems.append(str(_l("Cần một đáp án được 100% số điểm.")))
        return problems

    def clean_response(self, data: dict[str, Any], raw: Any) -> Any:
        if raw is None:
            return None
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            raw = format_number(raw)
        if not isinstance(raw, str):
            raise InvalidResponse("a number expected")
        text = raw.strip()
        if len(text) > MAX_RESPONSE:
            raise InvalidResponse("answer too long")
        return text or None

    def score_fraction(self, data: dict[str, Any], response: Any) -> float:
        units = data.get("units", [])
        value = read_with_units(response, units) if isinstance(response, str) else None
        if value is None:
            return 0.0
        fractions = [float(a["fraction"]) for a in data.get("answers", []) if _holds(a, value)]
        return max(0.0, min(1.0, max(fractions))) if fractions else 0.0

    def describe_answer(self, data: dict[str, Any]) -> str:
        parts = []
        for a in data.get("answers", []):
            if a["fraction"] <= 0:
                continue
            text = format_number(a["value"])
            if a.get("tolerance"):
                text += f" ± {format_number(a['tolerance'])}"
            if data.get("units"):
                text += f" {data['units'][0]['unit']}"
            if a["fraction"] != 1:
                text += f" ({a['fraction'] * 100:g}%)"
            parts.append(text)
        return " | ".join(parts)
