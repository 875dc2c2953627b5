"""The bank is secret (Mật): only the question board and the council see it."""

from __future__ import annotations

from typing import Any

from exam.accounts.permissions import is_author, is_board


def can_view_bank(user: Any) -> bool:
    return is_author(user) or is_board(user)


def can_write_questions(user: Any) -> bool:
    return is_author(user)


def can_approve_question(user: Any, question: Any) -> bool:
    """Approval by another person than the author."""
    return can_view_bank(user) and question.author_id != user.id
