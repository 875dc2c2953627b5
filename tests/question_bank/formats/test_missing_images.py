"""Images a question shows but its file does not hold (issue 11 item 10): imported as
Moodle imports them, with a notice naming the image, the question and its line."""

from __future__ import annotations

import base64
import io
import zipfile

import pytest

from exam.question_bank.formats import dump, export_losses, exportable, gift, native, parse, qti
from exam.question_bank.formats.common import missing_images
from exam.question_bank.interchange import ImportProblem, QuestionData

PNG = b"\x89PNG\r\n\x1a\nanh"


def moodle_question(text: str, files: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n'
        '<question type="essay">\n'
        "<name><text>Sơ đồ bộ máy</text></name>\n"
        f'<questiontext format="html"><text><![CDATA[{text}]]></text>{files}</questiontext>\n'
        "</question>\n</quiz>\n"
    ).encode()


def notes_of(data: bytes, fmt: str) -> tuple[list[QuestionData], list[ImportProblem]]:
    notices: list[ImportProblem] = []
    questions = parse(data, fmt, notices=notices)
    return questions, notices


def test_moodle_pluginfile_without_its_file_imports_with_a_notice() -> None:
    data = moodle_question('<p>Xem hình <img src="@@PLUGINFILE@@/so%20do.png" alt="sơ đồ"></p>')
    [question], notices = notes_of(data, "moodle-xml")
    assert '<img src="@@PLUGINFILE@@/so%20do.png" alt="sơ đồ">' in question.text
    assert [(n.line, n.question) for n in notices] == [(3, "Sơ đồ bộ máy")]
    assert "«@@PLUGINFILE@@/so%20do.png» không có trong tệp" in notices[0].message


def test_moodle_pluginfile_with_its_file_in_a_folder_is_not_reported() -> None:
    encoded = base64.b64encode(PNG).decode()
    files = f'<file name="so do.png" path="/hinh/" encoding="base64">{encoded}</file>'
    data = moodle_question('<p><img src="@@PLUGINFILE@@/hinh/so%20do.png"></p>', files)
    [question], notices = notes_of(data, "moodle-xml")
    assert question.media == {"hinh/so do.png": PNG}
    assert notices == []


def test_embedded_and_external_images_are_not_files_of_the_question() -> None:
    text = (
        '<p><img src="data:image/png;base64,iVBORw0KGgo="><img src="https://example.org/a.png">'
        '<a href="thong-tu.pdf">thông tư</a></p>'
    )
    [_], notices = notes_of(moodle_question(text), "moodle-xml")
    assert notices == []


def test_an_image_written_in_plain_text_is_only_words() -> None:
    question = QuestionData("essay", '<img src="a.png">', text_format="plain")
    assert missing_images(question) == []


def test_images_in_feedback_and_options_are_checked_too() -> None:
    question = QuestionData(
        "essay",
        "<p>Câu hỏi</p>",
        text_format="html",
        general_feedback='<p><img src="giai-thich.png"></p>',
        media={"co.png": PNG},
    )
    assert missing_images(question) == ["giai-thich.png"]


def test_gift_html_image_is_reported_at_its_question_line() -> None:
    text = '// đầu tệp\n\n::Hình::[html]<p>Xem <img src\\="@@PLUGINFILE@@/h.png"></p>{}\n'
    notices: list[ImportProblem] = []
    [question] = gift.parse(text.encode(), notices)
    assert question.type == "essay"
    assert [(n.line, n.question) for n in notices] == [(3, "Hình")]
    assert "«@@PLUGINFILE@@/h.png» không có trong tệp" in notices[0].message


QTI_ITEM = """<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="C1"
  title="Câu có hình" adaptive="false" timeDependent="false">
<responseDeclaration identifier="R" cardinality="single" baseType="identifier">
  <correctResponse><value>A</value></correctResponse>
</responseDeclaration>
<outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>
<itemBody>
<p><img src="IMG" alt="hình"/>Chọn một</p>
<choiceInteraction responseIdentifier="R" maxChoices="1">
  <simpleChoice identifier="A">Có</simpleChoice>
  <simpleChoice identifier="B">Không</simpleChoice>
</choiceInteraction>
</itemBody>
<responseProcessing template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct"/>
</assessmentItem>
"""


def test_a_single_qti_item_cannot_hold_its_image_and_says_so() -> None:
    notices: list[ImportProblem] = []
    [question] = qti.parse(QTI_ITEM.replace("IMG", "hinh.png").encode(), notices)
    assert question.media == {}
    assert [(n.line, n.question) for n in notices] == [(2, "Câu có hình")]
    assert "«hinh.png» không có trong tệp" in notices[0].message


def _package(files: dict[str, bytes]) -> bytes:
    manifest = """<?xml version="1.0" encoding="UTF-8"?>
<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="M">
  <resources>
    <resource identifier="R1" type="imsqti_item_xmlv2p1" href="items/q1.xml">
      <file href="items/q1.xml"/><file href="items/co.png"/>
    </resource>
    <resource identifier="R2" type="imsqti_item_xmlv2p1" href="items/q2.xml">
      <file href="items/q2.xml"/>
    </resource>
  </resources>
</manifest>"""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("imsmanifest.xml", manifest)
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_a_package_missing_an_image_imports_every_item_with_a_notice() -> None:
    data = _package(
        {
            "items/q1.xml": QTI_ITEM.replace("IMG", "co.png").encode(),
            "items/q2.xml": QTI_ITEM.replace("IMG", "thieu.png").replace("C1", "C2").encode(),
            "items/co.png": PNG,
        }
    )
    notices: list[ImportProblem] = []
    first, second = qti.parse(data, notices)
    assert first.media == {"co.png": PNG}
    assert second.media == {}
    assert [(n.line, n.question) for n in notices] == [(2, "Câu có hình")]
    assert notices[0].message.startswith("items/q2.xml: ảnh «thieu.png» không có trong tệp")


def test_native_yaml_reports_an_image_its_media_lacks() -> None:
    text = (
        "format: exam-bank/1\nquestions:\n"
        "  - id: H1\n    type: essay\n    text_format: html\n"
        "    text: '<p><img src=\"a.png\"></p>'\n"
    )
    notices: list[ImportProblem] = []
    [question] = native.parse(text.encode(), notices)
    assert question.media == {}
    assert [(n.line, n.question) for n in notices] == [(3, "H1")]


@pytest.mark.parametrize("fmt", ["moodle-xml", "gift", "qti", "qti-2.2", "native"])
def test_an_exported_question_with_a_missing_image_never_crashes_the_export(fmt: str) -> None:
    broken = QuestionData(
        "essay", '<p><img src="@@PLUGINFILE@@/thieu.png"></p>', key="H1", text_format="html"
    )
    whole = QuestionData("essay", "<p>Viết</p>", key="H2", text_format="html")
    kept, left_out = exportable([broken, whole], fmt)
    dump(kept, fmt)  # whatever it holds is written
    losses = export_losses(kept, fmt)
    reported = [p.question for p in left_out] + [p.question for p in losses]
    assert "H1" in reported
    assert any("thieu.png" in p.message for p in [*left_out, *losses])
    assert "H2" in [q.key for q in kept]
