"""Question types: each one a class that validates, renders and scores its questions.

A new type is one new module here with a ``QuestionType`` subclass, registered by
``@register``, imported below; its exam-page template goes under
``templates/exams/qtypes/`` and its client code in ``static/js/qtypes.js``. Stored question
data (``QuestionVersion.data``) is the type's own JSON.
"""

from __future__ import annotations

from exam.question_bank.qtypes import (  # noqa: F401  (each registers its types)
    choice,
    essay,
    matching,
    numerical,
    ordering,
    short_answer,
)
from exam.question_bank.qtypes.base import (
    InvalidResponse,
    NotAutoScored,
    QuestionType,
    get_type,
    register,
    registered_types,
)

__all__ = [
    "InvalidResponse",
    "NotAutoScored",
    "QuestionType",
    "get_type",
    "register",
    "registered_types",
]
