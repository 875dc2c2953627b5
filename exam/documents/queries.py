"""Reading issued documents: by code, their stored bytes (checked against their SHA-256)."""

from __future__ import annotations

import hashlib
import re

import sqlalchemy as sa

from exam.core.storage import check_key, storage
from exam.documents.models import CODE_ALPHABET, CODE_LENGTH, DocumentKind, IssuedDocument
from exam.extensions import db


def document_key(relative: str) -> str:
    """The store's key of a document's bytes (``exam/core/storage.py``): rows keep the path
    relative to the documents' area (``DOCUMENTS_DIR`` on a directory), so it can move."""
    return check_key(f"documents/{relative}")


def _read_stored(relative: str) -> bytes:
    try:
        key = document_key(relative)
    except ValueError:  # a stored path never leaves the documents' area
        raise FileNotFoundError(relative) from None
    return storage().read(key)


class DocumentDamaged(Exception):
    """The stored file is missing or no longer has the SHA-256 recorded when it was issued."""


def normalise_code(text: str | None) -> str | None:
    """The code as typed ("abcde-23456", spaces, lower case) in its stored form, or None when
    it cannot be a code (so it is never looked up)."""
    code = re.sub(r"[\s\-.]", "", text or "").upper()
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def document_by_code(text: str | None) -> IssuedDocument | None:
    code = normalise_code(text)
    if code is None:
        return None
    return db.session.scalar(sa.select(IssuedDocument).where(IssuedDocument.code == code))


def code_taken(code: str) -> bool:
    return (
        db.session.scalar(sa.select(IssuedDocument.id).where(IssuedDocument.code == code))
        is not None
    )


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def document_bytes(doc: IssuedDocument) -> bytes:
    """The document's bytes exactly as issued; DocumentDamaged when the stored file is gone
    or differs from what was issued (never serve a changed file as the issued one)."""
    try:
        data = _read_stored(doc.storage_path)
    except FileNotFoundError:
        raise DocumentDamaged(doc.code) from None
    if sha256_of(data) != doc.sha256:
        raise DocumentDamaged(doc.code)
    return data


def is_the_issued_one(doc: IssuedDocument, data: bytes) -> bool:
    """Whether ``data`` is byte for byte the document issued (compared by SHA-256)."""
    return sha256_of(data) == doc.sha256


def issued_documents(
    round_id: int, kind: DocumentKind | None = None, subject_user_id: int | None = None
) -> list[IssuedDocument]:
    """A round's issued documents, oldest first."""
    query = sa.select(IssuedDocument).where(IssuedDocument.round_id == round_id)
    if kind is not None:
        query = query.where(IssuedDocument.kind == kind)
    if subject_user_id is not None:
        query = query.where(IssuedDocument.subject_user_id == subject_user_id)
    return list(db.session.scalars(query.order_by(IssuedDocument.id)))


def document_with_number(
    round_id: int, kind: DocumentKind, number: str, subject_user_id: int | None
) -> IssuedDocument | None:
    query = sa.select(IssuedDocument).where(
        IssuedDocument.round_id == round_id,
        IssuedDocument.kind == kind,
        IssuedDocument.number == number,
    )
    if subject_user_id is None:
        query = query.where(IssuedDocument.subject_user_id.is_(None))
    else:
        query = query.where(IssuedDocument.subject_user_id == subject_user_id)
    return db.session.scalar(query)


def current_version(doc: IssuedDocument | None) -> IssuedDocument | None:
    """The document in force in ``doc``'s line of replacements (``doc`` itself when it was
    never replaced)."""
    seen: set[int] = set()
    while doc is not None and doc.superseded_by_id is not None and doc.id not in seen:
        seen.add(doc.id)
        doc = doc.superseded_by
    return doc


def replaced(doc: IssuedDocument) -> IssuedDocument | None:
    """The document that ``doc`` replaced, if any."""
    return db.session.scalar(
        sa.select(IssuedDocument).where(IssuedDocument.superseded_by_id == doc.id)
    )
