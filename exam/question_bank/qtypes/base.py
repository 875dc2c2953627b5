"""The contract every question type fulfils, and the registry."""

from __future__ import annotations

from typing import Any, ClassVar

from exam.question_bank.interchange import QuestionData

_REGISTRY: dict[str, QuestionType] = {}


class InvalidResponse(ValueError):
    """A response of the wrong shape for its question (refused, never stored)."""


class QuestionType:
    name: ClassVar[str]
    template: ClassVar[str]  # how the exam page renders it, under templates/exams/qtypes/
    auto_scored: ClassVar[bool] = True

    @property
    def title(self) -> str:
        raise NotImplementedError

    def data_from_interchange(self, question: QuestionData) -> dict[str, Any]:
        raise NotImplementedError

    def problems(self, data: dict[str, Any]) -> list[str]:
        """What is wrong with stored data; empty when valid."""
        raise NotImplementedError

    def shuffleable_ids(self, data: dict[str, Any]) -> list[str]:
        """Ids of the parts a paper may shuffle (options); empty for none."""
        return []

    def clean_response(self, data: dict[str, Any], raw: Any) -> Any:
        """The response in canonical form, or InvalidResponse."""
        raise NotImplementedError

    def score_fraction(self, data: dict[str, Any], response: Any) -> float:
        """Share of the question's points earned, in [0, 1]; penalties stop at zero."""
        raise NotImplementedError


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
