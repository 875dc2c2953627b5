"""Essay: a written answer marked by people against a marking guide (criteria and points).

Never scored by the machine: ``auto_scored`` is False and ``score_fraction`` refuses, so a
paper with an essay stays "awaiting marking" until people give its mark.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from exam.question_bank.formats.common import format_number
from exam.question_bank.interchange import QuestionData, RubricCriterion
from exam.question_bank.qtypes.base import InvalidResponse, NotAutoScored, QuestionType, register

MAX_RESPONSE = 100_000


def rubric_total(data: dict[str, Any]) -> float:
    return sum(float(r["points"]) for r in data.get("rubric", []))


@register
class EssayType(QuestionType):
    name = "essay"
    template = "exams/qtypes/essay.html"
    auto_scored = False

    @property
    def title(self) -> str:
        return str(_l("Tự luận"))

    def data_from_interchange(self, question: QuestionData) -> dict[str, Any]:
        return {
            "rubric": [
                {"criterion": r.criterion, "points": float(r.points)} for r in question.rubric
            ]
        }

    def interchange_fields(self, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "rubric": [
                RubricCriterion(r["criterion"], float(r["points"])) for r in data.get("rubric", [])
            ]
        }

    def problems(self, data: dict[str, Any]) -> list[str]:
        rubric = data.get("rubric", [])
        problems = []
        if any(not str(r.get("criterion", "")).strip() for r in rubric):
            problems.append(str(_l("Tiêu chí chấm không được để trống.")))
        if any(float(r.get("points", 0)) < 0 for r in rubric):
            problems.append(str(_l("Điểm của tiêu chí chấm không được âm.")))
        return problems

    def clean_response(self, data: dict[str, Any], raw: Any) -> Any:
        if raw is None:
            return None
        if not isinstance(raw, str):
            raise InvalidResponse("text expected")
        text = raw.replace("\r\n", "\n")
        if len(text) > MAX_RESPONSE:
            raise InvalidResponse("answer too long")
        return text if text.strip() else None

    def score_fraction(self, data: dict[str, Any], response: Any) -> float:
        raise NotAutoScored("an essay is marked by people against its marking guide")

    def describe_answer(self, data: dict[str, Any]) -> str:
        return "; ".join(
            f"{r['criterion']} ({format_number(r['points'])})" for r in data.get("rubric", [])
        )
