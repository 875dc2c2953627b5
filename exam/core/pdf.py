"""PDF rendering: a Jinja template and plain data in, PDF bytes out (WeasyPrint).

Only files under ``static/fonts`` and ``static/img`` may be loaded while rendering, and images
the app embeds itself as ``data:image/jpeg|png;base64`` (a candidate's photo): no network, no
arbitrary ``file:`` URL, so data typed by a user cannot pull anything into a document.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import functools
import gc
import io
import multiprocessing
import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from flask import current_app, render_template
from flask_babel import force_locale
from pypdf import PdfReader, PdfWriter
from weasyprint import CSS, HTML
from weasyprint.css.counters import CounterStyle
from weasyprint.html import UA, UA_FORM_STYLESHEET
from weasyprint.urls import URLFetcher, URLFetcherResponse

_ALLOWED_FOLDERS = ("fonts", "img")
# Images embedded by the app (a candidate's photo, read from their dossier): JPEG or PNG only.
_IMAGE_DATA = re.compile(r"data:(image/(?:jpeg|png));base64,([A-Za-z0-9+/=]+)")


class StaticOnlyFetcher(URLFetcher):
    """Serves the app's own fonts and images; refuses every other URL."""

    def __init__(self, static_dir: Path):
        super().__init__(allowed_protocols={"file"})
        self._roots = [(static_dir / folder).resolve() for folder in _ALLOWED_FOLDERS]

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        image = _IMAGE_DATA.fullmatch(url)
        if image is not None:  # an image the app itself put in (a dossier's photo)
            body = base64.b64decode(image.group(2), validate=True)
            return URLFetcherResponse(url, body=body, headers={"Content-Type": image.group(1)})
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


# --- long documents: rendered in chunks, then joined ------------------------------------------


_UNUSED_UA_RULES = re.compile(r"^::(?:footnote|note)-[a-z-]+ \{[^}\n]*\}$", re.MULTILINE)


@functools.cache
def _lean_ua_stylesheet() -> CSS:
    text = _UNUSED_UA_RULES.sub("", UA).replace("\n::marker {", "\nli::marker {")
    return CSS(string=text, counter_style=CounterStyle())  # its counter styles: already known


class LeanHTML(HTML):
    """WeasyPrint's HTML with a lighter user-agent stylesheet, for the long documents.

    The stock sheet gives every element five pseudo-elements (footnote and note calls and
    markers) and a ::marker, whose styles WeasyPrint computes one by one: about a tenth of a
    long table's rendering time. The long documents use no footnotes, notes or lists, so those
    rules go (::marker kept for <li>)."""

    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        return [_lean_ua_stylesheet(), UA_FORM_STYLESHEET] if forms else [_lean_ua_stylesheet()]


def html_to_pdf(html: str, static_dir: str) -> bytes:
    """One chunk's HTML to PDF bytes; a plain function so that a worker process can run it."""
    root = Path(static_dir)
    document = LeanHTML(
        string=html, base_url=root.resolve().as_uri() + "/", url_fetcher=StaticOnlyFetcher(root)
    )
    return document.write_pdf()


_worker_heap_frozen = False


def _html_to_pdf_in_worker(html: str, static_dir: str) -> bytes:
    """``html_to_pdf`` in a long-lived worker: the heap WeasyPrint freed is given back to the
    system after each chunk, so that the worker's memory does not creep up chunk after chunk.
    What survives the first chunk (modules, the app, WeasyPrint's caches) lives as long as the
    worker: frozen, the collector never scans it again (each collection 120 -> 20 ms, a chunk
    of 120 rows 7.1 -> 5.5 ms of CPU a row)."""
    global _worker_heap_frozen
    try:
        return html_to_pdf(html, static_dir)
    finally:
        gc.collect()
        if not _worker_heap_frozen:
            gc.freeze()
            _worker_heap_frozen = True
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)  # glibc only; elsewhere a no-op


def render_html_chunks(template: str, chunks: Iterable[dict[str, Any]], **data: Any) -> list[str]:
    """The HTML of each chunk of a long document, rendered in Vietnamese (see render_pdf)."""
    with force_locale("vi"):
        return [render_template(template, **data, **chunk) for chunk in chunks]


def join_pdf_chunks(
    htmls: Sequence[str],
    *,
    workers: int = 1,
    number_pages_from: int = 2,
    on_chunk: Callable[[int, int], None] | None = None,
) -> bytes:
    """A long document (thousands of table rows) rendered chunk by chunk and joined.

    WeasyPrint's time and memory grow with the size of one document; chunks of a few hundred
    rows keep both flat, and with ``workers`` > 1 they are rendered side by side in worker
    processes. The chunks print no page number: the joined document gets one at the top
    centre of every page from ``number_pages_from`` on (NĐ 30), so numbers run on across chunks.
    ``on_chunk(done, total)`` reports progress."""
    static_dir = str(Path(current_app.static_folder or "static").resolve())
    writer = PdfWriter()
    total = len(htmls)

    def collect(pdfs: Iterable[bytes]) -> None:
        for done, pdf in enumerate(pdfs, start=1):
            writer.append(PdfReader(io.BytesIO(pdf)))
            if on_chunk is not None:
                on_chunk(done, total)

    if workers > 1 and total > 1:
        context = multiprocessing.get_context("spawn")  # never fork a threaded web worker
        # (No max_tasks_per_child: Python 3.11's pool can hang when it replaces a worker.)
        with ProcessPoolExecutor(max_workers=min(workers, total), mp_context=context) as pool:
            collect(pool.map(_html_to_pdf_in_worker, htmls, [static_dir] * total))
    else:
        collect(html_to_pdf(html, static_dir) for html in htmls)
    # Once the workers are gone: this process holds the whole document then, at its largest
    # (overlays made by the workers, still alive, took 10,000 rows to 503-536 MB, over 500).
    _number_pages(writer, static_dir, first=number_pages_from)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


_NUMBER_PAGE_CSS = """
@font-face {{ font-family: "Tinos"; src: url("fonts/Tinos-Regular.ttf"); }}
@page {{ margin: 20mm 15mm 20mm 30mm;
        @top-center {{ content: string(number); font-family: "Tinos"; font-size: 13pt; }} }}
{sizes}
div {{ break-after: page; height: 1px; string-set: number attr(data-n); }}
"""


def _numbers_html(sizes: Sequence[tuple[float, float]], first_number: int) -> str:
    """Pages of the given sizes carrying only their numbers, from ``first_number`` on."""
    names = {size: f"s{index}" for index, size in enumerate(dict.fromkeys(sizes))}
    rules = "\n".join(f"@page {name} {{ size: {w}pt {h}pt; }}" for (w, h), name in names.items())
    rules += "\n" + "\n".join(f"div.{name} {{ page: {name}; }}" for name in names.values())
    body = "".join(
        f'<div class="{names[size]}" data-n="{number}"></div>'
        for number, size in enumerate(sizes, start=first_number)
    )
    style = _NUMBER_PAGE_CSS.format(sizes=rules)
    return f"<html><head><style>{style}</style></head><body>{body}</body></html>"


def _number_pages(writer: PdfWriter, static_dir: str, *, first: int) -> None:
    """Stamp each page's number (from ``first`` on) on the joined document: a page of the
    same size carrying only its number, made by WeasyPrint, is laid over each page."""
    indexes = range(first - 1, len(writer.pages))
    if not indexes:
        return
    html = _numbers_html([_size(writer.pages[index]) for index in indexes], first)
    numbers = PdfReader(io.BytesIO(html_to_pdf(html, static_dir)))
    for index, number_page in zip(indexes, numbers.pages, strict=True):
        writer.pages[index].merge_page(number_page)


def _size(page: Any) -> tuple[float, float]:
    return float(page.mediabox.width), float(page.mediabox.height)
