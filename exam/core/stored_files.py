"""A row that names an uploaded file: its columns written once (``StoredFileMixin``,
``ReplacedFileMixin``) and the upload that fills them (``store_upload``).

The interview's files (the đề án, the sessions' recordings, the signed sheets' scans) share
these columns exactly as their migrations made them. The file goes to the store
(``exam/core/storage.py``) under a random name below its folder, tied to the transaction
(``exam/core/files.py``), before the row is built from what the copy measured."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from exam.core.db import UTCDateTime
from exam.core.filenames import download_name
from exam.core.files import put_in_transaction


class StoredFileMixin:
    """The file as uploaded: the name it is offered under, its stored name (below its
    folder in the store), type read from the content, size, SHA-256, who and when."""

    original_name: Mapped[str] = mapped_column(sa.String(200))
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(50))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))


class ReplacedFileMixin(StoredFileMixin):
    """A file a newer upload replaces; the old file is kept, its row marked."""

    # Last, as the migrations made the tables.
    replaced_at: Mapped[dt.datetime | None] = mapped_column(
        UTCDateTime, nullable=True, sort_order=1
    )


@dataclass(frozen=True)
class Upload:
    """What was stored, ready to be a row's columns."""

    folder: str  # the store's folder: "uploads/interviews"
    original_name: str
    stored_name: str
    content_type: str
    size: int
    sha256: str

    @property
    def key(self) -> str:
        return f"{self.folder}/{self.stored_name}"

    def columns(self, *, uploaded_by_id: int, uploaded_at: dt.datetime) -> dict[str, Any]:
        return {
            "original_name": self.original_name,
            "stored_name": self.stored_name,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
            "uploaded_by_id": uploaded_by_id,
            "uploaded_at": uploaded_at,
        }


def store_upload(
    folder: str,
    stream: BinaryIO,
    *,
    filename: str | None,
    content_type: str,
    extension: str,
    limit: int,
) -> Upload:
    """Copy ``stream`` in chunks to a new random name in ``folder``; nothing the uploader
    typed reaches the key. Past ``limit`` bytes: ``storage.TooLarge``, nothing kept."""
    name = secrets.token_hex(16) + extension
    size, sha256 = put_in_transaction(f"{folder}/{name}", stream, limit)
    return Upload(
        folder=folder,
        original_name=download_name(filename, extension),
        stored_name=name,
        content_type=content_type,
        size=size,
        sha256=sha256,
    )
