"""Safe XML reading for the XML formats: defusedxml (no DTDs, no entity expansion, no
external resources) plus the line on which every element starts, so that each problem
can name its line."""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element, TreeBuilder

import defusedxml.ElementTree as safe_et
from defusedxml.common import DefusedXmlException

from exam.question_bank.formats.common import decode_text, fail, split_bom

# Far beyond any real file (QTI's XHTML under the HTML bound of rich_text is ~60 deep).
MAX_XML_DEPTH = 200
_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


class _LineRecordingBuilder(TreeBuilder):
    """A tree builder that notes the line of each start tag, read from the expat parser
    while it is positioned on that tag."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[Element, int] = {}
        self.parser: safe_et.XMLParser | None = None
        self.depth = 0

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        assert self.parser is not None
        line = self.parser.parser.CurrentLineNumber
        self.depth += 1
        if self.depth > MAX_XML_DEPTH:
            # Readers walk the tree recursively (QTI's XHTML): refuse before they overflow.
            raise fail(f"XML lồng sâu quá {MAX_XML_DEPTH} cấp", line)
        element = super().start(tag, attrs)
        self.lines[element] = line
        return element

    def end(self, tag: str) -> Element:
        self.depth -= 1
        return super().end(tag)


class XmlDocument:
    """A parsed document and the start line of each of its elements."""

    def __init__(self, root: Element, lines: dict[Element, int]):
        self.root = root
        self._lines = lines

    def line(self, element: Element) -> int | None:
        return self._lines.get(element)


def decode_xml(data: bytes) -> str:
    """A BOM wins; otherwise the encoding the XML declaration names; otherwise UTF-8."""
    bom_encoding, _ = split_bom(data)
    declared = _DECLARED_ENCODING.match(data[:200])
    default = "utf-8"
    if declared and not bom_encoding:
        named = declared.group(1).decode("ascii").lower()
        # An ASCII-readable declaration cannot sit in a UTF-16/32 file without a BOM.
        default = "utf-8" if named.startswith(("utf-16", "utf-32")) else named
    return decode_text(data, default_encoding=default)


def parse_xml(text: str) -> XmlDocument:
    """Parse, or fail with the line of the first syntax error."""
    builder = _LineRecordingBuilder()
    parser = safe_et.XMLParser(target=builder, forbid_dtd=True)
    builder.parser = parser
    try:
        parser.feed(text)
        root = parser.close()
    except safe_et.ParseError as error:
        line, _column = error.position
        raise fail(f"XML không hợp lệ: {_explain(error)}", line) from None
    except DefusedXmlException:
        raise fail("tệp XML chứa DTD hoặc thực thể, không được phép vì lý do an toàn") from None
    return XmlDocument(root, builder.lines)


def _explain(error: safe_et.ParseError) -> str:
    message = str(error).split(":")[0]
    known = {
        "mismatched tag": "thẻ đóng không khớp thẻ mở",
        "not well-formed (invalid token)": "ký tự không hợp lệ",
        "unclosed token": "thẻ chưa được đóng",
        "no element found": "tệp kết thúc trước khi đóng hết các thẻ",
        "junk after document element": "có nội dung thừa sau phần tử gốc",
        "undefined entity": "thực thể không xác định",
        "syntax error": "lỗi cú pháp",
    }
    return known.get(message, message)


def local_name(tag: str) -> str:
    """The tag without its namespace: "{http://…}itemBody" → "itemBody"."""
    return tag.rsplit("}", 1)[-1]


def children(element: Element, name: str) -> list[Element]:
    return [child for child in element if local_name(child.tag) == name]


def first_child(element: Element | None, name: str) -> Element | None:
    if element is None:
        return None
    return next((child for child in element if local_name(child.tag) == name), None)


def descendants(element: Element, name: str) -> list[Element]:
    return [node for node in element.iter() if local_name(node.tag) == name]


def text_of(element: Element | None, *path: str) -> str:
    """The text of the element reached by following ``path`` child names ("" if absent)."""
    for name in path:
        element = first_child(element, name)
    if element is None:
        return ""
    return element.text or ""
