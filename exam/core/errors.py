"""Errors raised by operations and understood by views."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused the action. The message is for the user."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(str(message))
        self.message = str(message)
        self.field = field


class ValidationFailed(DomainError):
    """Several reasons, each tied to a form field (or None for the whole form)."""

    def __init__(self, reasons: list[tuple[str | None, str]]):
        self.reasons = [(field, str(message)) for field, message in reasons]
        super().__init__(_sentences([message for _, message in self.reasons]))


def _sentences(messages: list[str]) -> str:
    """Messages read as one text: whole sentences side by side, fragments joined by "; "
    (never ".;")."""
    if all(m.rstrip().endswith((".", "!", "?", "…")) for m in messages):
        return " ".join(m.strip() for m in messages)
    return "; ".join(m.strip().rstrip(".") for m in messages)


class NotAllowed(DomainError):
    """The actor may not do this (answered 403 by views)."""
