"""Names of uploaded files, as they are shown and offered for download.

The name comes from the uploader's computer and may carry anything: NUL and other control
characters, or bidirectional controls that reorder what is displayed (with U+202E RIGHT-TO-LEFT
OVERRIDE, ``invoice\\u202efdp.exe`` reads as ``invoiceexe.pdf``). ``clean_filename`` removes
control and format characters (C0, C1, bidi controls, zero-width characters), keeps the last
path segment, normalises to NFC (Vietnamese typed on macOS arrives decomposed) and bounds the
length. ``download_name`` also replaces the extension with that of the stored type, which was
read from the content: the file is always offered under a name that says what it is.
"""

from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 120
FALLBACK = "tep"

# Named for the reader; all are in Unicode category Cf, removed with the rest of it.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_REMOVED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})  # controls, format, surrogates, private
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,10}$")


def clean_filename(name: str | None, *, fallback: str = FALLBACK) -> str:
    """``name`` made safe to display: no control or bidi characters, its last path segment
    only, NFC, spaces collapsed, no leading or trailing dots, at most ``MAX_LENGTH``."""
    text = unicodedata.normalize("NFC", name or "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    kept = []
    for char in text:
        if char.isspace():  # tab, line breaks, no-break space...: one plain space
            kept.append(" ")
        elif char not in BIDI_CONTROLS and unicodedata.category(char) not in _REMOVED_CATEGORIES:
            kept.append(char)
    text = " ".join("".join(kept).split()).strip(" .")
    return text[:MAX_LENGTH].rstrip(" .") or fallback


def download_name(name: str | None, extension: str) -> str:
    """``clean_filename(name)`` with its extension replaced by ``extension`` (``.pdf``), the
    one of the type the server stored, never the one the uploader chose."""
    stem = _EXTENSION.sub("", clean_filename(name)).rstrip(" .")
    stem = stem[: MAX_LENGTH - len(extension)].rstrip(" .") or FALLBACK
    return stem + extension
