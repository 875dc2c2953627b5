"""Question HTML: the allow-list, and the bound that keeps hostile nesting from stalling the
sanitiser (issue 10, item 7: "a question of 100,000 nested elements takes 30 s to
preview")."""

from __future__ import annotations

import base64
import io

import pytest

from exam.accounts.models import Role
from exam.core.errors import ValidationFailed
from exam.extensions import db
from exam.question_bank.formats import gift, moodle_xml, qti
from exam.question_bank.formats.xml_tools import MAX_XML_DEPTH
from exam.question_bank.interchange import ImportFailed, QuestionData
from exam.question_bank.models import Question
from exam.question_bank.operations import create_question
from exam.question_bank.rich_text import (
    MAX_DEPTH,
    MAX_ELEMENTS,
    HtmlTooComplex,
    complexity_problem,
    render,
    sanitize,
    to_plain,
)
from tests.conftest import login

DEEP = "<div>" * 100_000 + "x" + "</div>" * 100_000
DEPTH_MESSAGE = f"nội dung HTML lồng sâu quá {MAX_DEPTH} cấp"


def _moodle(text: str, name: str = "Câu lồng sâu") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="essay">
    <name><text>Câu bình thường</text></name>
    <questiontext format="html"><text><![CDATA[<p>Trình <b>ngắn</b>.</p>]]></text></questiontext>
  </question>
  <question type="essay">
    <name><text>{name}</text></name>
    <questiontext format="html"><text><![CDATA[{text}]]></text></questiontext>
  </question>
</quiz>
""".encode()


# --- the bound ------------------------------------------------------------------------------


def test_a_question_nested_100000_deep_is_refused_at_import_naming_it() -> None:
    with pytest.raises(ImportFailed) as failure:
        moodle_xml.parse(_moodle(DEEP))
    [problem] = failure.value.problems
    assert problem.message == DEPTH_MESSAGE
    assert problem.question == "Câu lồng sâu"
    assert problem.line == 7  # the line of its <question>


def test_a_nameless_deep_question_is_named_by_its_words_without_parsing_it() -> None:
    with pytest.raises(ImportFailed) as failure:
        moodle_xml.parse(_moodle("<p>Câu hỏi vô danh</p>" + DEEP, name=""))
    [problem] = failure.value.problems
    assert problem.message == DEPTH_MESSAGE
    assert problem.question.startswith("Câu hỏi vô danh")


def test_too_many_elements_are_refused() -> None:
    flat = "<p>" + "<br>" * (MAX_ELEMENTS + 1) + "</p>"
    with pytest.raises(ImportFailed) as failure:
        moodle_xml.parse(_moodle(flat))
    assert [p.message for p in failure.value.problems] == [
        f"nội dung HTML có quá {MAX_ELEMENTS} phần tử"
    ]


def test_deep_html_in_an_option_of_a_gift_question_is_refused() -> None:
    text = f"::Sâu::[html]Chọn một {{=<b>đúng</b> ~{'<i>' * 60}sai}}".encode()
    with pytest.raises(ImportFailed) as failure:
        gift.parse(text)
    assert [p.message for p in failure.value.problems] == [DEPTH_MESSAGE]


@pytest.mark.parametrize(
    "hostile",
    [
        "<span>" * (MAX_DEPTH + 1),
        "<a" * 100_000,  # unclosed tags: no rescanning of the rest
        "".join(f"<p><b x{i}>t</p>" for i in range(200)),  # formatting re-opened in every p
        "<table><tr><td>" * 20,  # tables nested in cells
    ],
)
def test_hostile_shapes_are_over_the_bound(hostile: str) -> None:
    assert complexity_problem(hostile) is not None
    with pytest.raises(HtmlTooComplex):
        sanitize(hostile)


@pytest.mark.parametrize(
    "fine",
    [
        "<ul>" + "<li>mục" * 500 + "</ul>",  # items closing each other
        "<table>" + "<tr><td>a<td>b" * 500 + "</table>",
        "<p>đoạn" * 500,
        "<p><b>đậm</p>" * 500,  # the parser keeps at most three alike open
        ("<div>" * (MAX_DEPTH - 1) + "x" + "</div>" * (MAX_DEPTH - 1)) * 20,
        "Tính 3 < 5 và 5 > 3",
    ],
)
def test_ordinary_shapes_are_within_the_bound(fine: str) -> None:
    assert complexity_problem(fine) is None


def test_the_question_form_refuses_deep_html(make) -> None:
    bank = make.bank(0)
    author = make.user(Role.QUESTION_AUTHOR)
    data = QuestionData(type="essay", text=DEEP, text_format="html")
    with pytest.raises(ValidationFailed) as failure:
        create_question(bank, data, actor=author)
    assert DEPTH_MESSAGE in str(failure.value.reasons)


def test_a_stored_deep_question_still_previews_quickly(app, make) -> None:
    """A row written before the bound (or by hand) is not parsed: the page says why."""
    question = make.question()
    author = question.author
    question.current.text, question.current.text_format = DEEP, "html"
    db.session.commit()
    page = login(app.test_client(), author).get(f"/bank/questions/{question.id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Nội dung quá phức tạp để hiển thị" in body
    assert "<div><div>" not in body


def test_an_oversized_image_is_refused_at_import() -> None:
    big = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(2 * 1024 * 1024)).decode()
    data = f"""<?xml version="1.0" encoding="UTF-8"?>
<quiz><question type="essay"><name><text>Hình lớn</text></name>
<questiontext format="html"><text><![CDATA[<img src="@@PLUGINFILE@@/lon.png">]]></text>
<file name="lon.png" path="/" encoding="base64">{big}</file></questiontext></question></quiz>
""".encode()
    with pytest.raises(ImportFailed) as failure:
        moodle_xml.parse(data)
    assert [p.message for p in failure.value.problems] == ["tệp đính kèm «lon.png» lớn quá 2 MB"]


# --- the allow-list -------------------------------------------------------------------------


def test_scripts_handlers_styles_comments_and_hidden_attributes_are_removed() -> None:
    cleaned = sanitize(
        '<p class="dap-an" style="color:red" data-fraction="100" id="k" onclick="x()">A</p>'
        "<!-- đáp án: A --><script>alert(1)</script><style>p{}</style>"
        '<img src="javascript:alert(1)" onerror="x()" alt="h">'
        '<a href="javascript:alert(1)">x</a><a href="https://example.org/">y</a>'
        '<img src="data:text/html;base64,PHNjcmlwdD4=">'
        "<iframe src='https://example.org'></iframe><form><input></form>"
    )
    assert cleaned == (
        '<p>A</p><img alt="h"><a rel="noopener nofollow noreferrer">x</a>'
        '<a href="https://example.org/" rel="noopener nofollow noreferrer">y</a><img>'
    )


def test_rendering_maps_images_and_drops_those_it_cannot_serve() -> None:
    def source(written: str) -> str | None:
        return "/attempts/1/assets/abc" if written == "@@PLUGINFILE@@/a.png" else None

    shown = render(
        '<p><img src="@@PLUGINFILE@@/a.png" alt="a"><img src="https://evil.example/t.gif" '
        'alt="b"><img src="data:image/png;base64,iVBORw0KGgo=" alt="c"></p>',
        "html",
        source,
    )
    assert shown == (
        '<p><img src="/attempts/1/assets/abc" alt="a"><img alt="b">'
        '<img src="data:image/png;base64,iVBORw0KGgo=" alt="c"></p>'
    )


def test_plain_and_markdown_text_is_escaped_never_read_as_html() -> None:
    assert render("Thẻ <b>đậm</b> & <script>", "plain") == (
        "Thẻ &lt;b&gt;đậm&lt;/b&gt; &amp; &lt;script&gt;"
    )
    assert render("**đậm** <i>", "markdown") == "**đậm** &lt;i&gt;"


def test_an_option_loses_only_a_single_paragraph_around_it() -> None:
    assert render("<p>Sai</p>", "html", inline=True) == "Sai"
    assert render("<p>Một</p><p>Hai</p>", "html", inline=True) == "<p>Một</p><p>Hai</p>"


def test_plain_words_of_html_even_beyond_the_bound() -> None:
    assert to_plain("<p>Mười <sup>2</sup>&nbsp;tháng</p>") == "Mười 2 tháng"
    assert to_plain("<b>" * 100 + "Chữ") == "Chữ"


def test_the_import_page_reports_the_deep_question(app, make) -> None:
    bank = make.bank(0)
    author = make.user(Role.QUESTION_AUTHOR)
    db.session.commit()
    client = login(app.test_client(), author)
    response = client.post(
        f"/bank/{bank.id}/import",
        data={"file": (io.BytesIO(_moodle(DEEP)), "sau.xml"), "format": ""},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert DEPTH_MESSAGE in page
    assert "Câu lồng sâu" in page
    assert db.session.query(Question).filter_by(bank_id=bank.id).count() == 0


def _qti_item(body: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="Q1"
    title="Câu QTI sâu" adaptive="false" timeDependent="false">
<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">
  <correctResponse><value>A</value></correctResponse></responseDeclaration>
<itemBody><p>{body}</p>
<choiceInteraction responseIdentifier="RESPONSE" maxChoices="1">
  <simpleChoice identifier="A">Đúng</simpleChoice><simpleChoice identifier="B">Sai</simpleChoice>
</choiceInteraction></itemBody>
</assessmentItem>""".encode()


def test_a_qti_item_whose_xhtml_nests_too_deep_is_refused_naming_it() -> None:
    with pytest.raises(ImportFailed) as failure:
        qti.parse(_qti_item("<div>" * 100 + "x" + "</div>" * 100))
    [problem] = failure.value.problems
    assert problem.message == DEPTH_MESSAGE
    assert problem.question == "Câu QTI sâu"


def test_xml_nested_beyond_what_readers_walk_is_refused_not_a_crash() -> None:
    """QTI's XHTML is read recursively: 100,000 levels overflowed Python's stack (a 500)."""
    with pytest.raises(ImportFailed) as failure:
        qti.parse(_qti_item("<div>" * 100_000 + "x" + "</div>" * 100_000))
    [problem] = failure.value.problems
    assert problem.message == f"XML lồng sâu quá {MAX_XML_DEPTH} cấp"
    assert problem.line == 6  # the line of <itemBody>, where the nesting starts
