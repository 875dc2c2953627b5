"""Matching: each prompt is matched with one answer chosen from a list.

Stored as the author wrote the pairs (order kept, distractor answers as pairs with an empty
prompt, as in Moodle). Prompts get ids "1", "2"… in the author's order; an answer's id is
derived from its text only, so the page's HTML does not tell which prompt it goes with, and
two prompts with the same answer share it. The candidate picks an answer per prompt in a
labelled ``<select>``; the response is ``{prompt id: answer id}``.

Scoring: partial credit per pair — each prompt matched right earns an equal share
(Moodle's rule); nothing is taken off for a wrong match.

The answers are listed in the paper's shuffled order when the question and the test allow
shuffling, else in alphabetical order — never in the order of the prompts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from exam.core.i18n import strip_diacritics
from exam.question_bank.interchange import MatchPair, QuestionData
from exam.question_bank.qtypes.base import (
    InvalidResponse,
    QuestionType,
    from_token,
    opaque_id,
    register,
)


def prompts(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The pairs that have a prompt, each with its id and the id of its answer."""
    return [p for p in data.get("pairs", []) if p.get("id")]


def answers(data: dict[str, Any]) -> dict[str, str]:
    """Every answer (distractors included) by id, in the author's order, each text once."""
    return {p["answer_id"]: p["answer"] for p in data.get("pairs", [])}


def answers_in_order(data: dict[str, Any], order: list[str] | None) -> list[dict[str, str]]:
    """The answers as a paper lists them: its shuffled order, or alphabetical."""
    by_id = answers(data)
    ids = [i for i in (order or []) if i in by_id]
    if len(ids) != len(by_id):
        ids = sorted(by_id, key=lambda i: (strip_diacritics(by_id[i]).casefold(), by_id[i]))
    return [{"id": i, "text": by_id[i]} for i in ids]


@register
class MatchingType(QuestionType):
    name = "matching"
    template = "exams/qtypes/matching.html"

    @property
    def title(self) -> str:
        return str(_l("Ghép đôi"))

    def data_from_interchange(self, question: QuestionData) -> dict[str, Any]:
        pairs, number = [], 0
        for pair in question.pairs:
            entry = {"prompt": pair.prompt, "answer": pair.answer}
            if pair.prompt:
                number += 1
                entry["id"] = str(number)
            entry["answer_id"] = opaque_id("m", pair.answer)
            pairs.append(entry)
        return {"pairs": pairs, "shuffle": bool(question.shuffle_choices)}

    def interchange_fields(self, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "pairs": [MatchPair(p["prompt"], p["answer"]) for p in data.get("pairs", [])],
            "shuffle_choices": bool(data.get("shuffle", True)),
        }

    def problems(self, data: dict[str, Any]) -> list[str]:
        problems = []
        if len(prompts(data)) < 2:
            problems.append(str(_l("Cần ít nhất hai cặp ghép đôi.")))
        if any(not str(p.get("answer", "")).strip() for p in data.get("pairs", [])):
            problems.append(str(_l("Vế trả lời của cặp ghép đôi không được để trống.")))
        return problems

    def shuffleable_ids(self, data: dict[str, Any]) -> list[str]:
        return list(answers(data)) if data.get("shuffle", True) else []

    def part_ids(self, data: dict[str, Any]) -> list[str]:
        return [p["id"] for p in prompts(data)] + list(answers(data))

    def untokenized(self, raw: Any, parts: Mapping[str, str]) -> Any:
        if not isinstance(raw, dict):
            return raw  # empty, or refused by clean_response
        return {
            from_token(prompt, parts): from_token(answer, parts) for prompt, answer in raw.items()
        }

    def clean_response(self, data: dict[str, Any], raw: Any) -> Any:
        if raw in (None, "", [], {}):
            return {}
        if not isinstance(raw, dict):
            raise InvalidResponse("an object {prompt: answer} expected")
        prompt_ids = {p["id"] for p in prompts(data)}
        answer_ids = set(answers(data))
        cleaned = {}
        for prompt, answer in raw.items():
            if answer in (None, ""):
                continue
            if prompt not in prompt_ids or answer not in answer_ids:
                raise InvalidResponse("not a prompt or an answer of this question")
            cleaned[prompt] = answer
        return cleaned

    def score_fraction(self, data: dict[str, Any], response: Any) -> float:
        items = prompts(data)
        if not items or not isinstance(response, dict):
            return 0.0
        right = sum(1 for p in items if response.get(p["id"]) == p["answer_id"])
        return right / len(items)

    def describe_response(self, data: dict[str, Any], response: Any) -> str:
        if not isinstance(response, dict):
            return ""
        by_id = answers(data)
        return "; ".join(
            f"{p['prompt']} → {by_id.get(response[p['id']], '')}"
            for p in prompts(data)
            if p["id"] in response
        )

    def describe_answer(self, data: dict[str, Any]) -> str:
        return "; ".join(f"{p['prompt']} → {p['answer']}" for p in prompts(data))
