"""The supervisory board of a round reads its trail and writes its reports; nobody else."""

from __future__ import annotations

from typing import Any

from exam.documents.models import DocumentKind, IssuedDocument
from exam.documents.permissions import register_access
from exam.rounds.permissions import SUPERVISORY, sits_in


def can_supervise(user: Any, round_: Any) -> bool:
    return sits_in(user, round_, SUPERVISORY)


def _can_read_report(user: Any, doc: IssuedDocument) -> bool:
    return can_supervise(user, doc.round)


register_access(DocumentKind.SUPERVISION_REPORT, _can_read_report)
