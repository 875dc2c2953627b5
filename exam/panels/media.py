"""Files of the interview: the candidates' đề án (PDF) and the sessions' recordings (audio or
video). Stored like the dossier's files (``exam/candidates/uploads.py``): outside the web
root, under random names, the type read from the content and never from the name.

A recording may weigh gigabytes: it is copied from the request's spooled file to its place
in chunks, hashed on the way and stopped at the limit, never held whole in memory. Every
file goes to the store (``exam/core/storage.py``) under ``uploads/interviews/``.
"""

from __future__ import annotations

from typing import BinaryIO

from flask import current_app

from exam.core.stored_files import Upload, store_upload

AREA = "interviews"  # a folder of its own under the uploads
FOLDER = f"uploads/{AREA}"
PDF = ("application/pdf", ".pdf")


def plan_max_bytes() -> int:
    return int(current_app.config["PLAN_MAX_BYTES"])


def recording_max_bytes() -> int:
    return int(current_app.config["RECORDING_MAX_BYTES"])


def sniff_pdf(head: bytes) -> tuple[str, str] | None:
    return PDF if head.startswith(b"%PDF-") else None


def sniff_media(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of an audio or video file read from its first bytes (at
    least 64), or None: MP3 (ID3 tag or an MPEG audio frame), MP4 / M4A / MOV (an ``ftyp``
    box), WebM / Matroska (EBML), Ogg, WAV, FLAC."""
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE6 == 0xE2):
        return "audio/mpeg", ".mp3"  # frame sync, layer III (JPEG's FF D8 never matches)
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"M4A ", b"M4B "):
            return "audio/mp4", ".m4a"
        if brand == b"qt  ":
            return "video/quicktime", ".mov"
        return "video/mp4", ".mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return ("video/webm", ".webm") if b"webm" in head[:64] else ("video/x-matroska", ".mkv")
    if head.startswith(b"OggS"):
        return "audio/ogg", ".ogg"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav", ".wav"
    if head.startswith(b"fLaC"):
        return "audio/flac", ".flac"
    return None


def store_stream(
    stream: BinaryIO, *, filename: str | None, content_type: str, extension: str, limit: int
) -> Upload:
    """Copy ``stream`` to a new random name in chunks, hashed on the way; over ``limit``
    bytes nothing is kept and ``exam.core.storage.TooLarge`` is raised."""
    return store_upload(
        FOLDER,
        stream,
        filename=filename,
        content_type=content_type,
        extension=extension,
        limit=limit,
    )


def key_of(stored_name: str) -> str:
    """The file's key in the store; the name comes from the database and is checked
    anyway (one name, never a path)."""
    if "/" in stored_name or "\\" in stored_name or stored_name.startswith("."):
        raise ValueError("bad stored name")
    return f"{FOLDER}/{stored_name}"
