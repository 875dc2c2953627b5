"""Choice questions: single choice (A–D), multiple response, true/false.

Options are stored with stable ids ("a", "b", ...) so that shuffling on a paper never
changes which option a response points to.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l

from exam.question_bank.formats.common import true_false_choices, true_false_feedback
from exam.question_bank.interchange import Choice, QuestionData
from exam.question_bank.qtypes.base import InvalidResponse, QuestionType, from_token, register

LETTERS = string.ascii_uppercase


def _choices_data(choices: list[Choice], shuffle: bool) -> dict[str, Any]:
    return {
        "choices": [
            {
                "id": string.ascii_lowercase[i],
                "text": c.text,
                "fraction": c.fraction,
                "feedback": c.feedback,
            }
            for i, c in enumerate(choices)
        ],
        "shuffle": shuffle,
    }


def _choice_ids(data: dict[str, Any]) -> list[str]:
    return [c["id"] for c in data.get("choices", [])]


def _letter_text(data: dict[str, Any], ids: list[str]) -> str:
    """ "B. text; D. text" in the order of ``data``'s options: the bank's, or one paper's
    (``as_on_paper``)."""
    order = _choice_ids(data)
    return "; ".join(
        f"{LETTERS[order.index(c['id'])]}. {c['text']}"
        for c in data.get("choices", [])
        if c["id"] in ids
    )


class _ChoiceType(QuestionType):
    """What single choice and multiple response share: options with stable ids."""

    def data_from_interchange(self, question: QuestionData) -> dict[str, Any]:
        return _choices_data(question.choices, question.shuffle_choices)

    def interchange_fields(self, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "choices": [
                Choice(c["text"], float(c["fraction"]), c.get("feedback", ""))
                for c in data.get("choices", [])
            ],
            "shuffle_choices": bool(data.get("shuffle", True)),
        }

    def describe_response(self, data: dict[str, Any], response: Any) -> str:
        chosen = response if isinstance(response, list) else [response]
        return _letter_text(data, [c for c in chosen if c is not None])

    def describe_answer(self, data: dict[str, Any]) -> str:
        return _letter_text(data, [c["id"] for c in data.get("choices", []) if c["fraction"] > 0])

    def as_on_paper(self, data: dict[str, Any], order: Sequence[str] | None) -> dict[str, Any]:
        by_id = {c["id"]: c for c in data.get("choices", [])}
        if not order or sorted(order) != sorted(by_id):
            return data
        return {**data, "choices": [by_id[choice_id] for choice_id in order]}

    def problems(self, data: dict[str, Any]) -> list[str]:
        choices = data.get("choices", [])
        problems = []
        if len(choices) < 2:
            problems.append(str(_l("Cần ít nhất hai phương án.")))
        if any(not str(c.get("text", "")).strip() for c in choices):
            problems.append(str(_l("Phương án không được để trống.")))
        return problems + self.scoring_problems(choices)

    def scoring_problems(self, choices: list[dict[str, Any]]) -> list[str]:
        raise NotImplementedError

    def shuffleable_ids(self, data: dict[str, Any]) -> list[str]:
        return _choice_ids(data) if data.get("shuffle", True) else []

    def part_ids(self, data: dict[str, Any]) -> list[str]:
        return _choice_ids(data)


@register
class SingleChoice(_ChoiceType):
    name = "single_choice"
    template = "exams/qtypes/single_choice.html"

    @property
    def title(self) -> str:
        return str(_l("Một lựa chọn đúng"))

    def scoring_problems(self, choices: list[dict[str, Any]]) -> list[str]:
        # Several 100% options are allowed, as in Moodle: any one of them earns full marks.
        if not any(c.get("fraction") == 1 for c in choices):
            return [str(_l("Cần ít nhất một phương án đúng."))]
        return []

    def describe_answer(self, data: dict[str, Any]) -> str:
        # The options worth full marks (several may be, as in Moodle), not the partial ones.
        return _letter_text(data, [c["id"] for c in data.get("choices", []) if c["fraction"] == 1])

    def untokenized(self, raw: Any, parts: Mapping[str, str]) -> Any:
        return from_token(raw, parts)

    def clean_response(self, data: dict[str, Any], raw: Any) -> Any:
        if raw is None or raw == "":
            return None
        if raw not in _choice_ids(data):
            raise InvalidResponse("not an option of this question")
        return raw

    def score_fraction(self, data: dict[str, Any], response: Any) -> float:
        for choice in data["choices"]:
            if choice["id"] == response:
                return max(0.0, float(choice["fraction"]))
        return 0.0


@register
class MultipleResponse(_ChoiceType):
    name = "multiple_response"
    template = "exams/qtypes/multiple_response.html"

    @property
    def title(self) -> str:
        return str(_l("Nhiều lựa chọn đúng"))

    def scoring_problems(self, choices: list[dict[str, Any]]) -> list[str]:
        positive = sum(c["fraction"] for c in choices if c.get("fraction", 0) > 0)
        if abs(positive - 1) > 0.01:
            return [str(_l("Tổng điểm các phương án đúng phải bằng 100%."))]
        return []

    def untokenized(self, raw: Any, parts: Mapping[str, str]) -> Any:
        if not isinstance(raw, list):
            return raw  # empty, or refused by clean_response
        return [from_token(value, parts) for value in raw]

    def clean_response(self, data: dict[str, Any], raw: Any) -> Any:
        if raw in (None, "", []):
            return []
        if not isinstance(raw, list) or not set(raw) <= set(_choice_ids(data)):
            raise InvalidResponse("not a list of options of this question")
        return sorted(set(raw))

    def score_fraction(self, data: dict[str, Any], response: Any) -> float:
        chosen = set(response or [])
        total = sum(float(c["fraction"]) for c in data["choices"] if c["id"] in chosen)
        return min(1.0, max(0.0, total))


@register
class TrueFalse(QuestionType):
    name = "true_false"
    template = "exams/qtypes/true_false.html"

    @property
    def title(self) -> str:
        return str(_l("Đúng/Sai"))

    def data_from_interchange(self, question: QuestionData) -> dict[str, Any]:
        data: dict[str, Any] = {"answer": bool(question.correct_answer)}
        feedback_true, feedback_false = true_false_feedback(question)
        if feedback_true or feedback_false:
            data["feedback_true"], data["feedback_false"] = feedback_true, feedback_false
        return data

    def interchange_fields(self, data: dict[str, Any]) -> dict[str, Any]:
        choices = true_false_choices(
            bool(data.get("answer")), data.get("feedback_true", ""), data.get("feedback_false", "")
        )
        return {"correct_answer": bool(data.get("answer")), "choices": choices}

    def describe_response(self, data: dict[str, Any], response: Any) -> str:
        if response is None:
            return ""
        return str(_l("Đúng")) if response else str(_l("Sai"))

    def describe_answer(self, data: dict[str, Any]) -> str:
        return self.describe_response(data, bool(data.get("answer")))

    def problems(self, data: dict[str, Any]) -> list[str]:
        if not isinstance(data.get("answer"), bool):
            return [str(_l("Cần chọn đáp án Đúng hoặc Sai."))]
        return []

    def clean_response(self, data: dict[str, Any], raw: Any) -> Any:
        if raw is None or raw == "":
            return None
        if raw not in ("true", "false", True, False):
            raise InvalidResponse("true or false expected")
        return raw in ("true", True)

    def score_fraction(self, data: dict[str, Any], response: Any) -> float:
        return 1.0 if response is not None and response == data["answer"] else 0.0
