"""Scanned paper scripts as files: a PDF read from its content (``%PDF-``, never the name),
within the upload size limit, stored under a random name in ``uploads/scans/`` of the store
(``exam/core/storage.py``; the dossiers' pruning, which walks only the top of the uploads,
never sees them).

A ZIP of scans (``<SBD>.pdf`` each) is read without trusting it: the entries' count is
capped before anything is read; each entry is decompressed only up to the per-file limit
plus one byte, and the running total up to the ZIP limit (the sizes a ZIP declares may lie,
and a few kilobytes may inflate to gigabytes); names holding a path (``..``, ``/`` at the
start, ``\\``, a drive) are refused, and no name ever reaches the file system."""

from __future__ import annotations

import hashlib
import io
import re
import secrets
import zipfile
import zlib
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l

from exam.candidates.uploads import max_bytes, sniff
from exam.core.filenames import clean_filename
from exam.core.files import written_in_transaction
from exam.core.storage import storage

PDF = "application/pdf"
ZIP_MAX_FILES_DEFAULT = 1000
ZIP_MAX_BYTES_DEFAULT = 1024**3  # uncompressed, all entries together: held in memory until taken
_STORED = re.compile(r"[0-9a-f]{32}\.pdf")
_DRIVE = re.compile(r"^[A-Za-z]:")
_SCAN_NAME = re.compile(r"^(?P<number>[^/]+)\.pdf$", re.IGNORECASE)
_IGNORED = ("__MACOSX/",)  # the resource forks macOS's archiver adds


@dataclass(frozen=True)
class StoredScan:
    stored_name: str
    size: int
    sha256: str


@dataclass
class ZipReading:
    """A ZIP's scans by registration number, and what is wrong with it (one line each)."""

    scans: dict[str, bytes] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def zip_max_files() -> int:
    return int(current_app.config.get("SCAN_ZIP_MAX_FILES", ZIP_MAX_FILES_DEFAULT))


def zip_max_bytes() -> int:
    return int(current_app.config.get("SCAN_ZIP_MAX_BYTES", ZIP_MAX_BYTES_DEFAULT))


def scan_problem(data: bytes) -> str | None:
    """Why ``data`` is not a scan to keep, or None: empty, too large, not a PDF."""
    if not data:
        return str(_l("tệp rỗng"))
    if len(data) > max_bytes():
        return str(_l("quá lớn: tối đa %(n)s MB", n=f"{max_bytes() / 1024 / 1024:g}"))
    sniffed = sniff(data)
    if sniffed is None or sniffed[0] != PDF:
        return str(_l("không phải tệp PDF (kiểm tra theo nội dung tệp)"))
    return None


def _unsafe(name: str) -> bool:
    parts = name.split("/")
    return (
        name.startswith("/")
        or "\\" in name
        or "\x00" in name
        or bool(_DRIVE.match(name))
        or any(part in ("..", ".") for part in parts)
    )


def read_zip(data: bytes) -> ZipReading:
    """Every entry's scan, or the reasons the ZIP is refused (all of them, to fix at once)."""
    reading = ZipReading()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError):
        reading.problems.append(str(_l("Tệp không phải ZIP hoặc đã hỏng.")))
        return reading
    with archive:
        entries = [
            i for i in archive.infolist() if not i.is_dir() and not i.filename.startswith(_IGNORED)
        ]
        if len(entries) > zip_max_files():
            reading.problems.append(
                str(_l("ZIP có %(n)d tệp: tối đa %(max)d.", n=len(entries), max=zip_max_files()))
            )
            return reading
        per_file, total_limit, total = max_bytes(), zip_max_bytes(), 0
        for info in entries:
            shown = clean_filename(info.filename)
            if _unsafe(info.filename):
                reading.problems.append(
                    str(_l("%(name)s: tên tệp chứa đường dẫn, không được chấp nhận.", name=shown))
                )
                continue
            matched = _SCAN_NAME.match(info.filename.rsplit("/", 1)[-1])
            if matched is None:
                reading.problems.append(
                    str(_l("%(name)s: tên tệp phải là <số báo danh>.pdf.", name=shown))
                )
                continue
            try:
                with archive.open(info) as member:
                    content = member.read(min(per_file, total_limit - total) + 1)
            except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, OSError):
                reading.problems.append(str(_l("%(name)s: không đọc được trong ZIP.", name=shown)))
                continue
            total += len(content)
            if total > total_limit:
                reading.problems.append(
                    str(
                        _l(
                            "Tổng dung lượng giải nén vượt %(n)s MB: ZIP không được chấp nhận.",
                            n=f"{total_limit / 1024 / 1024:g}",
                        )
                    )
                )
                return reading
            number = matched["number"].strip()
            if (problem := scan_problem(content)) is not None:
                reading.problems.append(f"{shown}: {problem}.")
            elif number in reading.scans:
                reading.problems.append(
                    str(_l("%(name)s: số báo danh %(n)s trùng trong ZIP.", name=shown, n=number))
                )
            else:
                reading.scans[number] = content
    return reading


FOLDER = "uploads/scans"


def store_scan(data: bytes) -> StoredScan:
    """Write ``data`` under a new random name; nothing the uploader typed reaches the key."""
    name = secrets.token_hex(16) + ".pdf"
    key = written_in_transaction(scan_key(name))  # gone again if the upload is refused
    storage().put(key, data, exclusive=True)  # never overwrite
    return StoredScan(name, len(data), hashlib.sha256(data).hexdigest())


def scan_key(stored_name: str) -> str:
    """The file's key in the store; the name comes from the database and is checked anyway."""
    if not _STORED.fullmatch(stored_name):
        raise ValueError("bad stored name")
    return f"{FOLDER}/{stored_name}"
