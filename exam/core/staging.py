"""Upload → preview → confirm: a file kept between its preview and its confirmation.

Every import follows the same steps (candidates' dossiers from Excel, questions into a bank):
the upload is read and checked and nothing is saved (the preview); the file then waits here,
outside the web root (in the store, ``exam/core/storage.py``), under a random token that
only its uploader can use; the confirmation loads it again (``load``) or takes it for a
background job (``claim``, once: a second click finds nothing). Files never confirmed hold
personal data or unpublished questions, so they are deleted after ``max_age`` (at each new
upload, and by ``prune`` from the CLI).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from exam.core.storage import StoredObject, storage

_TOKEN = re.compile(r"[0-9a-f]{32}")
CLAIMED = ".claimed"


@dataclass(frozen=True)
class StagedUploads:
    """One kind of staged upload: its folder under the store's uploads
    (``exam/core/storage.py``: every node reads what another one staged), the suffix of its
    files and how long an unconfirmed one is kept."""

    area: str
    suffix: str
    max_age: dt.timedelta

    @property
    def folder(self) -> str:
        return f"uploads/{self.area}"

    def _key(self, owner_id: int, token: str, claimed: bool = False) -> str | None:
        if not _TOKEN.fullmatch(token or "") or type(owner_id) is not int:
            return None
        return f"{self.folder}/{owner_id}-{token}{CLAIMED if claimed else ''}{self.suffix}"

    def _meta_key(self, key: str) -> str:
        return key.removesuffix(self.suffix) + ".json"

    def _expired(self, found: StoredObject) -> bool:
        return dt.datetime.now(dt.UTC) - found.modified > self.max_age

    def stage(self, data: bytes, *, owner_id: int, **meta: Any) -> str:
        """Keep ``data`` (and ``meta``, plain JSON values) for its uploader; returns the
        token naming it. Files older than ``max_age`` are removed first."""
        self.prune()
        token = secrets.token_hex(16)
        key = self._key(owner_id, token)
        assert key is not None
        store = storage()
        store.put(key, data, exclusive=True)
        store.put(self._meta_key(key), json.dumps(meta).encode(), exclusive=True)
        return token

    def load(self, token: str, *, owner_id: int, **expected: Any) -> tuple[bytes, dict] | None:
        """The staged file and its meta, or None: unknown or malformed token, another
        person's file, expired, or meta differing from ``expected`` (another bank…)."""
        key = self._key(owner_id, token)
        if key is None:
            return None
        store = storage()
        try:
            found = store.stat(key)
            data = store.read(key)
            meta = json.loads(store.read(self._meta_key(key)))
        except (OSError, ValueError):
            return None
        if self._expired(found):
            return None
        if not isinstance(meta, dict) or any(meta.get(k) != v for k, v in expected.items()):
            return None
        return data, meta

    def claim(self, token: str, *, owner_id: int) -> str | None:
        """Take the staged file for one confirmation; returns the name to read it by
        (``read_claimed``), or None when already taken or unknown. The claimed copy is
        written exclusively (a file created only if absent, on a directory or a bucket), so
        two confirmations of one file, on one node or two, cannot both succeed."""
        key, taken = self._key(owner_id, token), self._key(owner_id, token, claimed=True)
        if key is None or taken is None:
            return None
        store = storage()
        try:
            data = store.read(key)
            store.put(taken, data, exclusive=True)
        except (FileNotFoundError, FileExistsError):
            return None
        store.delete(key)
        store.delete(self._meta_key(key))
        return taken.rpartition("/")[2]

    def _claimed_key(self, name: str) -> str:
        last = name.replace("\\", "/").rpartition("/")[2]  # its folder only: never a path
        return f"{self.folder}/{last}"

    def read_claimed(self, name: str) -> bytes:
        """The claimed file of that name; FileNotFoundError when it is gone."""
        try:
            return storage().read(self._claimed_key(name))
        except ValueError:  # not a name the store holds
            raise FileNotFoundError(name) from None

    def drop_claimed(self, name: str) -> None:
        """Delete the claimed file once its job has read it, whatever the outcome."""
        with contextlib.suppress(ValueError):  # not a name the store holds
            storage().delete(self._claimed_key(name))

    def discard(self, token: str, *, owner_id: int) -> None:
        key = self._key(owner_id, token)
        if key is not None:
            store = storage()
            store.delete(key)
            store.delete(self._meta_key(key))

    def prune(self, older_than: dt.timedelta | None = None) -> list[str]:
        """Delete the files older than ``older_than`` (default ``max_age``), confirmed or
        not (a job that died leaves its claimed file); returns their names."""
        cutoff = dt.datetime.now(dt.UTC) - (older_than or self.max_age)
        store = storage()
        removed = []
        for found in store.listing(self.folder, recursive=False):
            if found.key.endswith(self.suffix) and found.modified < cutoff:
                store.delete(found.key)
                store.delete(self._meta_key(found.key))
                removed.append(found.key.rpartition("/")[2])
        return removed
