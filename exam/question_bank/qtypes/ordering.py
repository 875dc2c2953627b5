"""Ordering: the candidate puts items in the right order.

Items are stored in their right order; each has an id derived from its text only, so the
page's HTML does not give the order away. The page lists the items in the paper's shuffled
order (or, when the test does not shuffle, in the order of their ids — arbitrary, never the
right one on purpose) and the candidate gives each item a position in a labelled
``<select>``; the response is ``{item id: position}`` (1 = first).

Scoring: partial credit by the longest ordered subset (Moodle's "longest ordered subset"):
the items placed (one position each; two items given the same position count as not
placed) are read in the candidate's order, and the longest run of them, not necessarily
adjacent, that is in the right relative order earns ``its length / number of items``. A
run of one item earns nothing, so a shuffled answer gets no free credit. Everything in the
right place earns 100%.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from exam.question_bank.interchange import QuestionData
from exam.question_bank.qtypes.base import (
    InvalidResponse,
    QuestionType,
    from_token,
    opaque_id,
    register,
)


def longest_increasing(values: list[int]) -> int:
    """Length of the longest strictly increasing subsequence (patience sorting)."""
    tails: list[int] = []
    for value in values:
        at = bisect.bisect_left(tails, value)
        if at == len(tails):
            tails.append(value)
        else:
            tails[at] = value
    return len(tails)


def items_in_order(data: dict[str, Any], order: list[str] | None) -> list[dict[str, str]]:
    """The items as a paper lists them: its shuffled order, or sorted by id."""
    by_id = {item["id"]: item for item in data.get("items", [])}
    ids = [i for i in (order or []) if i in by_id]
    if len(ids) != len(by_id):
        ids = sorted(by_id)
    return [by_id[i] for i in ids]


@register
class OrderingType(QuestionType):
    name = "ordering"
    template = "exams/qtypes/ordering.html"

    @property
    def title(self) -> str:
        return str(_l("Sắp xếp thứ tự"))

    def data_from_interchange(self, question: QuestionData) -> dict[str, Any]:
        return {"items": [{"id": opaque_id("o", text), "text": text} for text in question.items]}

    def interchange_fields(self, data: dict[str, Any]) -> dict[str, Any]:
        return {"items": [item["text"] for item in data.get("items", [])]}

    def problems(self, data: dict[str, Any]) -> list[str]:
        items = data.get("items", [])
        problems = []
        if len(items) < 2:
            problems.append(str(_l("Cần ít nhất hai mục để sắp xếp.")))
        if any(not str(i.get("text", "")).strip() for i in items):
            problems.append(str(_l("Mục sắp xếp không được để trống.")))
        if len({i.get("text") for i in items}) != len(items):
            problems.append(str(_l("Các mục sắp xếp không được trùng nhau.")))
        return problems

    def shuffleable_ids(self, data: dict[str, Any]) -> list[str]:
        return sorted(item["id"] for item in data.get("items", []))

    def part_ids(self, data: dict[str, Any]) -> list[str]:
        return [item["id"] for item in data.get("items", [])]

    def untokenized(self, raw: Any, parts: Mapping[str, str]) -> Any:
        if not isinstance(raw, dict):
            return raw  # empty, or refused by clean_response
        return {from_token(item, parts): position for item, position in raw.items()}

    def clean_response(self, data: dict[str, Any], raw: Any) -> Any:
        if raw in (None, "", [], {}):
            return {}
        if not isinstance(raw, dict):
            raise InvalidResponse("an object {item: position} expected")
        ids = {item["id"] for item in data.get("items", [])}
        cleaned = {}
        for item, position in raw.items():
            if position in (None, ""):
                continue
            if isinstance(position, str) and position.strip().isdigit():
                position = int(position)
            if item not in ids or type(position) is not int or not 1 <= position <= len(ids):
                raise InvalidResponse("not an item or a position of this question")
            cleaned[item] = position
        return cleaned

    def score_fraction(self, data: dict[str, Any], response: Any) -> float:
        items = data.get("items", [])
        if not items or not isinstance(response, dict):
            return 0.0
        right_index = {item["id"]: n for n, item in enumerate(items)}
        taken = Counter(response.values())
        placed = sorted(
            (position, right_index[item])
            for item, position in response.items()
            if item in right_index and taken[position] == 1
        )
        run = longest_increasing([index for _, index in placed])
        return run / len(items) if run >= 2 else 0.0

    def describe_response(self, data: dict[str, Any], response: Any) -> str:
        if not isinstance(response, dict):
            return ""
        by_id = {item["id"]: item["text"] for item in data.get("items", [])}
        placed = sorted((p, by_id[i]) for i, p in response.items() if i in by_id)
        return " → ".join(f"{p}. {text}" for p, text in placed)

    def describe_answer(self, data: dict[str, Any]) -> str:
        return " → ".join(
            f"{n}. {item['text']}" for n, item in enumerate(data.get("items", []), start=1)
        )
