"""The dossier's files: type read from the content, size limited, stored outside the web root
under generated names, at the top of the store's uploads (``exam/core/storage.py``: on a
directory ``UPLOAD_DIR``, default ``instance/uploads``).

The type is decided by the file's signature (magic bytes), never by its name or the browser's
claim: a PDF starts with ``%PDF-``, a PNG with its 8-byte signature, a JPEG with ``FF D8 FF``.
A renamed executable (``MZ``, ``\\x7fELF`` …) matches none of them and is refused. The
original name is kept only to be shown and offered on download, cleaned and with the extension
of the type read here (``exam.core.filenames.download_name``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from flask import current_app

from exam.core.files import written_in_transaction
from exam.core.storage import storage

SIGNATURES: list[tuple[bytes, str, str]] = [
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
]
STORED_NAME_LENGTH = 32  # hex characters of the random part
EXTENSIONS = {content_type: extension for _, content_type, extension in SIGNATURES}


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    content_type: str
    size: int
    sha256: str


def sniff(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) read from the file's first bytes, or None."""
    for signature, content_type, extension in SIGNATURES:
        if data.startswith(signature):
            return content_type, extension
    return None


def extension_for(content_type: str) -> str:
    """The extension a stored file of ``content_type`` is offered with (``.pdf``)."""
    return EXTENSIONS[content_type]


FOLDER = "uploads"  # the top of the uploads: the other kinds have folders below it


def max_bytes() -> int:
    return int(current_app.config["UPLOAD_MAX_BYTES"])


def store(data: bytes, content_type: str, extension: str) -> StoredFile:
    """Write ``data`` under a new random name; nothing the user typed reaches the key."""
    name = secrets.token_hex(STORED_NAME_LENGTH // 2) + extension
    key = written_in_transaction(key_of(name))  # gone again if the upload is refused
    storage().put(key, data, exclusive=True)  # never overwrite
    return StoredFile(name, content_type, len(data), hashlib.sha256(data).hexdigest())


def key_of(stored_name: str) -> str:
    """The file's key in the store; the name comes from the database and is checked anyway."""
    if "/" in stored_name or "\\" in stored_name or stored_name.startswith("."):
        raise ValueError("bad stored name")
    return f"{FOLDER}/{stored_name}"


def delete(stored_name: str) -> None:
    storage().delete(key_of(stored_name))
