"""Question types: each one a class that validates, renders and scores its questions.

A new type is one new module here with a ``QuestionType`` subclass, registered by
``@register``. Stored question data (``QuestionVersion.data``) is the type's own JSON.
"""

from __future__ import annotations

from exam.question_bank.qtypes import choice  # noqa: F401  (registers its types)
from exam.question_bank.qtypes.base import QuestionType, get_type, register, registered_types

__all__ = ["QuestionType", "get_type", "register", "registered_types"]
