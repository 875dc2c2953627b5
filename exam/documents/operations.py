"""Issuing a document: render it once with its verification code and QR code, store the
bytes once with their SHA-256, audit it. Every later download serves those bytes."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable

import segno
from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.core.db import utcnow
from exam.core.documents import Verification
from exam.core.errors import DomainError, ValidationFailed
from exam.core.files import written_in_transaction
from exam.core.http import public_url_for
from exam.core.storage import storage
from exam.documents.models import CODE_ALPHABET, CODE_LENGTH, DocumentKind, IssuedDocument
from exam.documents.queries import code_taken, document_key, document_with_number, sha256_of
from exam.extensions import db
from exam.rounds.models import Round

__all__ = [
    "Verification",
    "issue_document",
    "reissue_document",
    "verification_for",
    "verification_url",
]


def _new_code() -> str:
    for _attempt in range(10):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not code_taken(code):
            return code
    raise RuntimeError("no free verification code after 10 draws")  # ~never: 5.9e14 codes


def verification_url(code: str) -> str:
    """The absolute address of the code's public page: on ``PUBLIC_URL`` when set (a forged
    Host header must not end up printed on a document), else on the request's host."""
    return public_url_for("documents.verify", code=code)


def qr_svg(url: str) -> str:
    """An inline SVG QR code of ``url``, 0.5 mm a module (about 2 cm across): read by any
    phone from a printed page."""
    qr = segno.make(url, error="m")
    return qr.svg_inline(scale=0.5, unit="mm", border=2, omitsize=False)


def verification_for(code: str) -> Verification:
    url = verification_url(code)
    return Verification(code=code, url=url, qr_svg=qr_svg(url))


def _write_once(relative: str, data: bytes) -> None:
    """Store ``data`` in the documents' area of the store (``exam/core/storage.py``); an
    existing file is an error, never replaced. Deleted again if the issue rolls back."""
    storage().put(written_in_transaction(document_key(relative)), data, exclusive=True)


def _shortened(title: str) -> str:
    """A title made of long names (a position, its unit, a candidate) kept within its column,
    cut with an ellipsis: the document itself prints them whole."""
    limit = IssuedDocument.title.type.length
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def issue_document(
    *,
    kind: DocumentKind,
    round_: Round,
    number: str,
    title: str,
    issuer: str,
    issued_on: dt.date,
    render: Callable[[Verification], bytes],
    actor: User,
    subject_user: User | None = None,
) -> IssuedDocument:
    """Issue a document: ``render`` is called once with its Verification (code, URL, QR) so
    that they are printed in it; the SHA-256 is of those final bytes, stored once under
    DOCUMENTS_DIR. A number is issued once in a round for a kind (and a subject)."""
    number, title, issuer = number.strip(), _shortened(title.strip()), issuer.strip()
    problems: list[tuple[str | None, str]] = []
    if not number:
        problems.append(("number", _l("Văn bản cần có số.")))
    if not title:
        problems.append(("title", _l("Văn bản cần có trích yếu.")))
    if not issuer:
        problems.append(("issuer", _l("Văn bản cần có cơ quan ban hành.")))
    subject_id = subject_user.id if subject_user is not None else None
    if number and document_with_number(round_.id, kind, number, subject_id) is not None:
        problems.append(
            ("number", _l("Văn bản số %(n)s đã được ban hành trong kỳ thi này.", n=number))
        )
    if problems:
        raise ValidationFailed(problems)

    code = _new_code()
    data = render(verification_for(code))
    if not data:
        raise ValueError("a document rendered to no bytes")
    relative = f"{round_.id}/{code}.pdf"
    # Written before the row is flushed, tied to the transaction: a rolled-back issue
    # deletes it again (exam/core/files.py), and a row never lacks its file.
    _write_once(relative, data)
    doc = IssuedDocument(
        kind=kind,
        round_id=round_.id,
        number=number,
        title=title,
        issuer=issuer,
        issued_on=issued_on,
        subject_user_id=subject_id,
        sha256=sha256_of(data),
        code=code,
        storage_path=relative,
        size=len(data),
        created_by_id=actor.id,
        created_at=utcnow(),
    )
    db.session.add(doc)
    db.session.flush()
    record(
        "documents.issue",
        doc,
        actor=actor,
        after={
            "kind": kind.value,
            "round_id": round_.id,
            "number": number,
            "issued_on": issued_on.isoformat(),
            "subject_user_id": subject_id,
            "sha256": doc.sha256,
            "code": code,
            "size": doc.size,
        },
    )
    return doc


def reissue_document(
    previous: IssuedDocument,
    *,
    number: str,
    title: str,
    issuer: str,
    issued_on: dt.date,
    render: Callable[[Verification], bytes],
    actor: User,
) -> IssuedDocument:
    """Replace ``previous`` (its content changed after it was issued: a card's room moved, a
    body's members changed): a new document of the same kind, round and subject is issued
    under ``number``, and ``previous`` is marked superseded by it, in the caller's one
    transaction (audited). The earlier stays readable and its verification page names its
    successor. A document already replaced is refused: its successor is the one to replace."""
    _refuse_if_replaced(previous)
    # Two requests replacing it at once: the row lock makes the second wait, then see it
    # replaced (PostgreSQL; SQLite has one writer at a time anyway).
    db.session.refresh(previous, with_for_update=True)
    _refuse_if_replaced(previous)
    successor = issue_document(
        kind=previous.kind,
        round_=previous.round,
        number=number,
        title=title,
        issuer=issuer,
        issued_on=issued_on,
        render=render,
        actor=actor,
        subject_user=previous.subject_user,
    )
    previous.superseded_by_id, previous.superseded_at = successor.id, utcnow()
    db.session.flush()
    record(
        "documents.supersede",
        previous,
        actor=actor,
        before={"superseded_by_id": None},
        after={
            "superseded_by_id": successor.id,
            "successor_number": successor.number,
            "successor_code": successor.code,
            "superseded_at": previous.superseded_at.isoformat(),
        },
    )
    return successor


def _refuse_if_replaced(previous: IssuedDocument) -> None:
    if previous.superseded_by_id is None:
        return
    successor = previous.superseded_by
    raise DomainError(
        _l(
            "Văn bản số %(n)s đã được thay thế bởi văn bản số %(m)s: chỉ thay thế văn bản "
            "đang có hiệu lực.",
            n=previous.number,
            m=successor.number if successor is not None else "?",
        )
    )
