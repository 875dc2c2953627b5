"""The contract every question type fulfils, and the registry.

A type turns the interchange form (``QuestionData``, what every file format reads and
writes) into its stored JSON (``QuestionVersion.data``) and back, says what is wrong with
stored data, which parts a paper may shuffle, what a candidate's response looks like in
canonical form, and what share of the points a response earns. Its exam-page template
lives under ``templates/exams/qtypes/`` and its client code (reading and writing the form
controls) in ``static/js/qtypes.js``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from exam.question_bank.interchange import QuestionData

if TYPE_CHECKING:  # pragma: no cover
    from exam.question_bank.models import QuestionVersion

_REGISTRY: dict[str, QuestionType] = {}


class InvalidResponse(ValueError):
    """A response of the wrong shape for its question (refused, never stored)."""


class NotAutoScored(TypeError):
    """Asked to score a response that only people can mark (an essay)."""


def opaque_id(prefix: str, text: str) -> str:
    """An id for a part of a question that tells nothing about where the part belongs
    (the right position of an ordering item, the prompt a matching answer goes with):
    derived from the text alone, so the page's HTML gives no hint."""
    return prefix + hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]


def from_token(value: Any, parts: Mapping[str, str]) -> Any:
    """The part id a page's token stands for; an empty value stays empty (see
    ``QuestionType.untokenized``)."""
    if value is None or value == "":
        return value
    if not isinstance(value, str) or value not in parts:
        raise InvalidResponse("not a token of this question")
    return parts[value]


class QuestionType:
    name: ClassVar[str]
    template: ClassVar[str]  # how the exam page renders it, under templates/exams/qtypes/
    auto_scored: ClassVar[bool] = True

    @property
    def title(self) -> str:
        raise NotImplementedError

    def data_from_interchange(self, question: QuestionData) -> dict[str, Any]:
        raise NotImplementedError

    def interchange_fields(self, data: dict[str, Any]) -> dict[str, Any]:
        """The type's own fields of ``QuestionData`` rebuilt from stored data."""
        raise NotImplementedError

    def to_interchange(
        self, version: QuestionVersion, media: dict[str, bytes] | None = None
    ) -> QuestionData:
        """The version as every file format sees it (for export and for the editor).
        ``media`` gives the embedded files' contents by name (loaded by the caller)."""
        question = version.question
        return QuestionData(
            type=self.name,
            text=version.text,
            name=version.name or "",
            key=question.key,
            text_format=version.text_format or "plain",
            category=question.category.path if question.category else "",
            difficulty=version.difficulty.value if version.difficulty else None,
            tags=sorted(tag.name for tag in question.tags),  # as the bank stores them
            legal_basis=version.legal_basis or "",
            legal_basis_date=version.legal_basis_date,
            default_points=float(version.default_points),
            general_feedback=version.general_feedback or "",
            media=dict(media or {}),
            **self.interchange_fields(version.data),
        )

    def problems(self, data: dict[str, Any]) -> list[str]:
        """What is wrong with stored data; empty when valid."""
        raise NotImplementedError

    def shuffleable_ids(self, data: dict[str, Any]) -> list[str]:
        """Ids of the parts a paper may shuffle (options); empty for none."""
        return []

    def part_ids(self, data: dict[str, Any]) -> list[str]:
        """Ids of the parts the exam page names in its controls (options, prompts, items):
        a paper shows a token for each instead (exam.exams.tokens); empty for none."""
        return []

    def untokenized(self, raw: Any, parts: Mapping[str, str]) -> Any:
        """A raw response from the page with each token replaced by the part id it stands
        for (``parts``: token -> id), before ``clean_response``; InvalidResponse for a
        value that is no token of the question."""
        return raw

    def clean_response(self, data: dict[str, Any], raw: Any) -> Any:
        """The response in canonical form, or InvalidResponse."""
        raise NotImplementedError

    def score_fraction(self, data: dict[str, Any], response: Any) -> float:
        """Share of the question's points earned, in [0, 1]; penalties stop at zero."""
        raise NotImplementedError

    def describe_response(self, data: dict[str, Any], response: Any) -> str:
        """A response in words, for review pages and marking: the parts' texts, never their
        ids. Pass ``as_on_paper(data, …)`` to name options by the letters of one paper."""
        return "" if response is None else str(response)

    def describe_answer(self, data: dict[str, Any]) -> str:
        """The expected answer in words (the bank's question page, the review after a test)."""
        return ""

    def as_on_paper(self, data: dict[str, Any], order: Sequence[str] | None) -> dict[str, Any]:
        """The data with its shuffled parts in one paper's ``order`` (their ids), so that
        ``describe_*`` speaks in that paper's terms (its option letters). Unchanged for a type
        whose words do not depend on the order, or when ``order`` is not one of the parts'."""
        return data


def register(cls: type[QuestionType]) -> type[QuestionType]:
    _REGISTRY[cls.name] = cls()
    return cls


def get_type(name: str) -> QuestionType:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise LookupError(f"unknown question type: {name}") from None


def registered_types() -> dict[str, QuestionType]:
    return dict(_REGISTRY)
