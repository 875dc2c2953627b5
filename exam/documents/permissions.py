"""Who may download an issued document. The domain that owns a kind registers who may read
it (documents sit below the domains that issue them, so they ask through this registry);
a public kind is open to anyone; a document's subject always reads their own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from exam.documents.models import DocumentKind, IssuedDocument

AccessRule = Callable[[Any, IssuedDocument], bool]
_ACCESS: dict[DocumentKind, AccessRule] = {}


def register_access(kind: DocumentKind, rule: AccessRule) -> None:
    """``rule(user, document)``: whether a signed-in ``user`` may download ``document``."""
    _ACCESS[kind] = rule


def can_download(user: Any, doc: IssuedDocument) -> bool:
    if doc.kind.is_public:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if doc.subject_user_id is not None and doc.subject_user_id == user.id:
        return True
    rule = _ACCESS.get(doc.kind)
    return bool(rule and rule(user, doc))
