"""Upload → preview → confirm: a file kept between its preview and its confirmation.

Every import follows the same steps (candidates' dossiers from Excel, questions into a bank):
the upload is read and checked and nothing is saved (the preview); the file then waits here,
outside the web root, under a random token that only its uploader can use; the confirmation
loads it again (``load``) or takes it for a background job (``claim``, once: a second click
finds nothing). Files never confirmed hold personal data or unpublished questions, so they
are deleted after ``max_age`` (at each new upload, and by ``prune`` from the CLI).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app

_TOKEN = re.compile(r"[0-9a-f]{32}")
CLAIMED = ".claimed"


def upload_root() -> Path:
    """Where uploaded files are kept (``UPLOAD_DIR``, server setting), created if missing."""
    configured = current_app.config.get("UPLOAD_DIR") or str(
        Path(current_app.instance_path) / "uploads"
    )
    folder = Path(configured)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass(frozen=True)
class StagedUploads:
    """One kind of staged upload: its folder under ``upload_root()``, the suffix of its files
    and how long an unconfirmed one is kept."""

    area: str
    suffix: str
    max_age: dt.timedelta

    def folder(self) -> Path:
        folder = upload_root() / self.area
        folder.mkdir(exist_ok=True)
        return folder

    def _path(self, owner_id: int, token: str, claimed: bool = False) -> Path | None:
        if not _TOKEN.fullmatch(token or "") or type(owner_id) is not int:
            return None
        return self.folder() / f"{owner_id}-{token}{CLAIMED if claimed else ''}{self.suffix}"

    def stage(self, data: bytes, *, owner_id: int, **meta: Any) -> str:
        """Keep ``data`` (and ``meta``, plain JSON values) for its uploader; returns the
        token naming it. Files older than ``max_age`` are removed first."""
        self.prune()
        token = secrets.token_hex(16)
        path = self._path(owner_id, token)
        assert path is not None
        path.write_bytes(data)
        path.with_suffix(".json").write_text(json.dumps(meta), encoding="utf-8")
        return token

    def load(self, token: str, *, owner_id: int, **expected: Any) -> tuple[bytes, dict] | None:
        """The staged file and its meta, or None: unknown or malformed token, another
        person's file, expired, or meta differing from ``expected`` (another bank…)."""
        path = self._path(owner_id, token)
        if path is None:
            return None
        try:
            data = path.read_bytes()
            meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if time.time() - path.stat().st_mtime > self.max_age.total_seconds():
            return None
        if not isinstance(meta, dict) or any(meta.get(k) != v for k, v in expected.items()):
            return None
        return data, meta

    def claim(self, token: str, *, owner_id: int) -> str | None:
        """Take the staged file for one confirmation; returns the name to read it by
        (``read_claimed``), or None when already taken or unknown. Renaming is atomic, so two
        confirmations of one file cannot both succeed."""
        path, taken = self._path(owner_id, token), self._path(owner_id, token, claimed=True)
        if path is None or taken is None:
            return None
        try:
            path.rename(taken)
        except FileNotFoundError:
            return None
        path.with_suffix(".json").unlink(missing_ok=True)
        return taken.name

    def claimed_path(self, name: str) -> Path:
        """The claimed file of that name (its folder only: a name is never a path)."""
        return self.folder() / Path(name).name

    def discard(self, token: str, *, owner_id: int) -> None:
        path = self._path(owner_id, token)
        if path is not None:
            path.unlink(missing_ok=True)
            path.with_suffix(".json").unlink(missing_ok=True)

    def prune(self, older_than: dt.timedelta | None = None) -> list[str]:
        """Delete the files older than ``older_than`` (default ``max_age``), confirmed or
        not (a job that died leaves its claimed file); returns their names."""
        cutoff = time.time() - (older_than or self.max_age).total_seconds()
        removed = []
        for path in self.folder().glob(f"*{self.suffix}"):
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                path.with_suffix(".json").unlink(missing_ok=True)
                removed.append(path.name)
        return removed
