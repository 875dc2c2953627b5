"""The bank is secret (Mật): only the question authors and platform administration see it
(global roles: a bank serves several rounds, docs/domain.md)."""

from __future__ import annotations

from typing import Any

from exam.accounts.permissions import is_author, is_board


def can_view_bank(user: Any) -> bool:
    return is_author(user) or is_board(user)


def can_write_questions(user: Any) -> bool:
    """Write, edit and import questions: the question board's authors."""
    return is_author(user)


def can_export_bank(user: Any) -> bool:
    return can_view_bank(user)


def can_edit_question(user: Any, question: Any) -> bool:
    return can_write_questions(user) and question.status.value != "retired"


def can_submit_question(user: Any, question: Any) -> bool:
    """The author, or whoever wrote the current version, sends a draft for review."""
    return (
        can_write_questions(user)
        and question.status.value == "draft"
        and user.id in (question.author_id, question.current.created_by_id)
    )


def can_approve_question(user: Any, question: Any) -> bool:
    """Approval by another person than the author (and than the version's writer)."""
    return (
        can_view_bank(user)
        and question.author_id != user.id
        and question.current.created_by_id != user.id
    )


def can_reject_question(user: Any, question: Any) -> bool:
    return can_approve_question(user, question)


def can_retire_question(user: Any, question: Any) -> bool:
    """The council, or the question's author."""
    return is_board(user) or (is_author(user) and question.author_id == user.id)


def can_delete_question(user: Any, question: Any) -> bool:
    """A draft, by its author or the council (never once on a paper: the operation checks)."""
    return question.status.value == "draft" and can_retire_question(user, question)
