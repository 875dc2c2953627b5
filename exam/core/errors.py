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
        super().__init__("; ".join(str(message) for _, message in reasons))
        self.reasons = [(field, str(message)) for field, message in reasons]


class NotAllowed(DomainError):
    """The actor may not do this (answered 403 by views)."""
