"""Question text as HTML: one allow-list, one bound on size, one sanitiser.

HTML is sanitised when a question is stored (imports, the question form) and again when it
is shown (defence in depth: a row written by an older version, or by hand). Both go through
``sanitize``; showing also rewrites image sources to the route right for the viewer.

The bound comes first because the HTML parser under nh3 takes quadratic time on deep
nesting (100,000 nested elements: 30 s). ``complexity_problem`` is one linear pass over the
tags, stopping at the first excess, so a hostile text is refused in microseconds.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import nh3
from markupsafe import Markup, escape

MAX_DEPTH = 50
MAX_ELEMENTS = 20_000

# What an exam question needs: text formatting, lists, tables, images, code, quotes,
# headings. No style, no class, no id, no data-* (nothing for a script or a stylesheet to
# read, and no place for an answer key to hide in the page).
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup",
    "dd", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "kbd", "li", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strike", "strong",
    "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul", "var",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start", "type"},
    "col": {"span"},
    "colgroup": {"span"},
}
LINK_REL = "noopener nofollow noreferrer"

_EMBEDDED_IMAGE = re.compile(r"data:image/(png|jpeg|gif|webp);base64,", re.IGNORECASE)


class HtmlTooComplex(ValueError):
    """The text nests too deep or has too many elements to be parsed safely."""


# --- the bound ---------------------------------------------------------------------------

# A tag's start and at most 200 characters of its attributes: a pattern that needed the
# closing ">" would rescan the rest of the text from every unclosed "<a", which is
# quadratic again.
_TAG_START = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)([^<>]{0,200})")
_VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr",
}  # fmt: skip
# Start tags that close an open element of the same family, as the HTML parser does
# ("<li>a<li>b", "<tr><td>a<td>b<tr>"): family, and the elements that bound the search.
_IMPLIED_END = {
    "li": ({"li"}, {"ul", "ol"}),
    "dt": ({"dt", "dd"}, {"dl"}),
    "dd": ({"dt", "dd"}, {"dl"}),
    "tr": ({"tr"}, {"table", "thead", "tbody", "tfoot"}),
    "td": ({"td", "th"}, {"tr", "table"}),
    "th": ({"td", "th"}, {"tr", "table"}),
    "thead": ({"thead", "tbody", "tfoot"}, {"table"}),
    "tbody": ({"thead", "tbody", "tfoot"}, {"table"}),
    "tfoot": ({"thead", "tbody", "tfoot"}, {"table"}),
    "p": ({"p"}, {"div", "blockquote", "td", "th", "li", "table"}),
    "option": ({"option"}, {"select"}),
}
# Formatting elements left open are re-opened by the HTML parser inside each later block
# ("<p><b x1></p><p><b x2></p>…" nests every b): they count as depth until closed, at most
# three alike (the parser keeps no more: its "Noah's Ark" rule).
_FORMATTING = {
    "a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong",
    "tt", "u",
}  # fmt: skip


class _Scan:
    """The open elements while reading the tags, as the HTML parser would keep them."""

    def __init__(self) -> None:
        self.stack: list[tuple[str, str]] = []  # (name, attributes)
        self.dangling: dict[tuple[str, str], int] = {}

    @property
    def depth(self) -> int:
        return len(self.stack) + sum(min(3, n) for n in self.dangling.values())

    def _pop_to(self, index: int) -> None:
        while len(self.stack) > index:
            element = self.stack.pop()
            if element[0] in _FORMATTING and len(self.stack) > index:
                self.dangling[element] = self.dangling.get(element, 0) + 1

    def _last(self, names: set[str], bounds: set[str]) -> int | None:
        for index in range(len(self.stack) - 1, -1, -1):
            name = self.stack[index][0]
            if name in names:
                return index
            if name in bounds:
                return None
        return None

    def start(self, name: str, attributes: str) -> None:
        if name in _IMPLIED_END:
            index = self._last(*_IMPLIED_END[name])
            if index is not None:
                self._pop_to(index)
        self.stack.append((name, attributes))

    def end(self, name: str) -> None:
        index = self._last({name}, set())
        if index is not None:
            self._pop_to(index)
            return
        # At most MAX_DEPTH keys are kept (each adds to the depth), so this loop is short.
        for key, count in self.dangling.items():
            if key[0] == name:
                if count > 1:
                    self.dangling[key] = count - 1
                else:
                    del self.dangling[key]
                return


def complexity_problem(text: str) -> str | None:
    """Why ``text`` is too big to parse as HTML (Vietnamese), or None. Linear in the text
    (the stack it searches never exceeds the bound) and stops at the first excess; it
    over-estimates rather than under-estimates."""
    if "<" not in text:
        return None
    scan = _Scan()
    elements = 0
    for match in _TAG_START.finditer(text):
        closing, name, attributes = match.group(1), match.group(2).lower(), match.group(3)
        if closing:
            scan.end(name)
            continue
        elements += 1
        if elements > MAX_ELEMENTS:
            return f"nội dung HTML có quá {MAX_ELEMENTS} phần tử"
        if name in _VOID:
            continue
        scan.start(name, " ".join(attributes.split()).rstrip("/ "))
        if scan.depth > MAX_DEPTH:
            return f"nội dung HTML lồng sâu quá {MAX_DEPTH} cấp"
    return None


def check_complexity(text: str) -> None:
    if (problem := complexity_problem(text)) is not None:
        raise HtmlTooComplex(problem)


# --- sanitising --------------------------------------------------------------------------

ImageSource = Callable[[str], str | None]


def _attribute_filter(image_src: ImageSource | None) -> Callable[[str, str, str], str | None]:
    def keep(tag: str, attribute: str, value: str) -> str | None:
        stripped = value.strip()
        # "data:" is allowed as a URL scheme only so inline images survive; a data: link
        # (data:text/html, …) would run script, so anything else with it is dropped.
        if stripped.lower().startswith("data:"):
            embedded = tag == "img" and attribute == "src" and _EMBEDDED_IMAGE.match(stripped)
            return value if embedded else None
        if image_src is not None and tag == "img" and attribute == "src":
            return image_src(stripped)
        return value

    return keep


def sanitize(text: str, image_src: ImageSource | None = None) -> str:
    """The allow-listed HTML of ``text``: script, style, comments, event handlers and
    ``javascript:`` URLs gone. ``image_src`` maps each image's source as written
    (``@@PLUGINFILE@@/a.png``) to the URL to serve it from, or None to drop it; without it
    sources stay as written. Raises HtmlTooComplex before parsing anything too big."""
    check_complexity(text)
    return nh3.clean(
        text,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        clean_content_tags={"script", "style"},
        url_schemes=nh3.ALLOWED_URL_SCHEMES | {"data"},
        attribute_filter=_attribute_filter(image_src),
        link_rel=LINK_REL,
    )


_TAGS = re.compile(r"<[^<>]*>?")


def to_plain(text: str) -> str:
    """The words of an HTML fragment with every tag removed (nothing escaped), for places
    that take plain text only (an option named in a sentence, a <select>)."""
    import html

    if complexity_problem(text) is None:
        text = nh3.clean(re.sub(r"<br\s*/?>", " ", text, flags=re.IGNORECASE), tags=set())
    else:
        text = _TAGS.sub(" ", text)
    return " ".join(html.unescape(text).split())


_ONE_PARAGRAPH = re.compile(r"\A\s*<p>((?:(?!</?p[\s>]).)*)</p>\s*\Z", re.DOTALL)


def render(
    text: str, text_format: str, image_src: ImageSource | None = None, *, inline: bool = False
) -> Markup:
    """``text`` ready for a page: HTML sanitised (images through ``image_src``; those it
    gives no URL show their alt text); plain and Markdown text escaped, never read as HTML.
    ``inline``: a single ``<p>`` around the whole is dropped (an option after its letter).
    Raises HtmlTooComplex for stored HTML beyond the bound."""
    if text_format != "html":
        return escape(text or "")
    cleaned = sanitize(text or "", image_src or (lambda _source: None))
    if inline and (match := _ONE_PARAGRAPH.match(cleaned)):
        cleaned = match.group(1)
    return Markup(cleaned)
