"""PDF rendering: a Jinja template and plain data in, PDF bytes out (WeasyPrint).

Only files under ``static/fonts`` and ``static/img`` may be loaded while rendering: no network,
no arbitrary ``file:`` URL, so data typed by a user cannot pull anything into a document.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from flask import current_app, render_template
from flask_babel import force_locale
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

_ALLOWED_FOLDERS = ("fonts", "img")


class StaticOnlyFetcher(URLFetcher):
    """Serves the app's own fonts and images; refuses every other URL."""

    def __init__(self, static_dir: Path):
        super().__init__(allowed_protocols={"file"})
        self._roots = [(static_dir / folder).resolve() for folder in _ALLOWED_FOLDERS]

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if not url.startswith("file://"):
            raise ValueError(f"refused URL in a PDF: {url}")
        path = Path(url2pathname(urlsplit(url).path)).resolve()
        if not any(path.is_relative_to(root) for root in self._roots) or not path.is_file():
            raise ValueError(f"refused URL in a PDF: {url}")
        return URLFetcherResponse(url, body=path.read_bytes())


def render_pdf(template: str, **data: Any) -> bytes:
    """Render ``templates/<template>`` with ``data`` to PDF bytes, always in Vietnamese:
    these are official documents (NĐ 30/2020)."""
    static_dir = Path(current_app.static_folder or "static")
    with force_locale("vi"):
        html = render_template(template, **data)
    document = HTML(
        string=html,
        base_url=static_dir.resolve().as_uri() + "/",
        url_fetcher=StaticOnlyFetcher(static_dir),
    )
    return document.write_pdf()
