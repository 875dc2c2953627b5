"""Reading a PDF back in tests: its text, as a reader would copy it."""

from __future__ import annotations

import io

from pypdf import PdfReader


def is_pdf(data: bytes) -> bool:
    return data.startswith(b"%PDF-")


def pdf_text(data: bytes) -> str:
    """Every page's text, whitespace collapsed, pages joined by a space."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
