"""IMS QTI 2.1/2.2: items as other tools write them, packages, errors, round trips."""

from __future__ import annotations

import io
import zipfile

import pytest

from exam.question_bank.formats import qti
from exam.question_bank.formats.common import ExportUnsupported
from exam.question_bank.interchange import (
    Choice,
    ImportFailed,
    MatchPair,
    NumericAnswer,
    QuestionData,
    RubricCriterion,
    ShortAnswer,
)

QTI21 = "http://www.imsglobal.org/xsd/imsqti_v2p1"
QTI22 = "http://www.imsglobal.org/xsd/imsqti_v2p2"
MATCH_CORRECT = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct"
MAP_RESPONSE = "http://www.imsglobal.org/question/qti_v2p2/rptemplates/map_response"
PNG = b"\x89PNG\r\n\x1a\nanh"


def item(
    body: str,
    declarations: str = "",
    template: str = MATCH_CORRECT,
    *,
    namespace: str = QTI21,
    extra: str = "",
) -> str:
    processing = f'<responseProcessing template="{template}"/>' if template else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<assessmentItem xmlns="{namespace}" identifier="ITEM-1" title="Câu mẫu"\n'
        ' adaptive="false" timeDependent="false">\n'
        f"{declarations}\n"
        '<outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>\n'
        f"<itemBody>\n{body}\n</itemBody>\n{processing}\n{extra}\n</assessmentItem>\n"
    )


def read(text: str) -> QuestionData:
    [question] = qti.parse(text.encode())
    return question


def problems(data: bytes) -> list[tuple[int | None, str]]:
    with pytest.raises(ImportFailed) as failure:
        qti.parse(data)
    return [(p.line, p.message) for p in failure.value.problems]


def package(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


SINGLE_CHOICE = item(
    """<p>Theo Hiến pháp 2013, <strong>Chính phủ</strong> là:</p>
    <choiceInteraction responseIdentifier="RESPONSE" shuffle="true" maxChoices="1">
      <prompt>Chọn một đáp án.</prompt>
      <simpleChoice identifier="A">Cơ quan hành chính nhà nước cao nhất<feedbackInline
        outcomeIdentifier="FEEDBACK" identifier="A" showHide="show">Đúng</feedbackInline
      ></simpleChoice>
      <simpleChoice identifier="B">Cơ quan quyền lực nhà nước cao nhất</simpleChoice>
    </choiceInteraction>""",
    """<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">
      <correctResponse><value>A</value></correctResponse>
    </responseDeclaration>""",
    namespace=QTI22,
    extra="""<modalFeedback outcomeIdentifier="FEEDBACK" identifier="X" showHide="show">
      <p>Điều 94.</p></modalFeedback>""",
)


def test_single_choice_with_prompt_feedback_and_qti22_namespace() -> None:
    question = read(SINGLE_CHOICE)
    assert question == QuestionData(
        type="single_choice",
        text="<p>Theo Hiến pháp 2013, <strong>Chính phủ</strong> là:</p>Chọn một đáp án.",
        name="Câu mẫu",
        key="ITEM-1",
        text_format="html",
        general_feedback="<p>Điều 94.</p>",
        choices=[
            Choice("Cơ quan hành chính nhà nước cao nhất", 1.0, "Đúng"),
            Choice("Cơ quan quyền lực nhà nước cao nhất", 0.0),
        ],
        shuffle_choices=True,
    )


def test_multiple_response_with_map_response_is_relative_to_the_maximum() -> None:
    question = read(
        item(
            """<p>Chọn các cơ quan dân cử</p>
            <choiceInteraction responseIdentifier="R" maxChoices="0">
              <simpleChoice identifier="a">Quốc hội</simpleChoice>
              <simpleChoice identifier="b">HĐND</simpleChoice>
              <simpleChoice identifier="c">Chính phủ</simpleChoice>
              <simpleChoice identifier="d">Tòa án</simpleChoice>
            </choiceInteraction>""",
            """<responseDeclaration identifier="R" cardinality="multiple" baseType="identifier">
              <correctResponse><value>a</value><value>b</value></correctResponse>
              <mapping defaultValue="0">
                <mapEntry mapKey="a" mappedValue="2"/>
                <mapEntry mapKey="b" mappedValue="2"/>
                <mapEntry mapKey="c" mappedValue="-4"/>
              </mapping>
            </responseDeclaration>""",
            MAP_RESPONSE,
        )
    )
    assert question.type == "multiple_response"
    assert [c.fraction for c in question.choices] == [0.5, 0.5, -1.0, 0.0]
    assert question.default_points == 4.0


def test_multiple_response_all_or_nothing() -> None:
    question = read(
        item(
            """<p>Chọn</p><choiceInteraction responseIdentifier="R" maxChoices="3">
              <simpleChoice identifier="a">a</simpleChoice>
              <simpleChoice identifier="b">b</simpleChoice>
              <simpleChoice identifier="c">c</simpleChoice>
              <simpleChoice identifier="d">d</simpleChoice>
            </choiceInteraction>""",
            """<responseDeclaration identifier="R" cardinality="multiple" baseType="identifier">
              <correctResponse><value>a</value><value>b</value><value>c</value></correctResponse>
            </responseDeclaration>""",
        )
    )
    assert [c.fraction for c in question.choices] == [0.3333333, 0.3333333, 0.3333333, -1.0]


def test_true_false_is_recognised_by_its_choices() -> None:
    question = read(
        item(
            """<p>Nhiệm kỳ Quốc hội là 5 năm.</p>
            <choiceInteraction responseIdentifier="RESPONSE" maxChoices="1">
              <simpleChoice identifier="true">Đúng</simpleChoice>
              <simpleChoice identifier="false">Sai<feedbackInline identifier="false"
                outcomeIdentifier="FEEDBACK">Xem Điều 71</feedbackInline></simpleChoice>
            </choiceInteraction>""",
            """<responseDeclaration identifier="RESPONSE" cardinality="single"
              baseType="identifier">
              <correctResponse><value>true</value></correctResponse></responseDeclaration>""",
        )
    )
    assert question.type == "true_false"
    assert question.correct_answer is True
    assert question.choices == [Choice("true", 1.0, ""), Choice("false", 0.0, "Xem Điều 71")]


def test_text_entry_inside_a_sentence_leaves_a_blank() -> None:
    question = read(
        item(
            """<p>Thủ đô của Việt Nam là <textEntryInteraction responseIdentifier="R"
              expectedLength="10"/>.</p>""",
            """<responseDeclaration identifier="R" cardinality="single" baseType="string">
              <correctResponse><value>Hà Nội</value></correctResponse>
              <mapping defaultValue="0">
                <mapEntry mapKey="Hà Nội" mappedValue="1" caseSensitive="false"/>
                <mapEntry mapKey="Ha Noi" mappedValue="0.5" caseSensitive="false"/>
              </mapping>
            </responseDeclaration>""",
            MAP_RESPONSE,
        )
    )
    assert question.type == "short_answer"
    assert question.text == "<p>Thủ đô của Việt Nam là _____.</p>"
    assert question.answers == [ShortAnswer("Hà Nội", 1.0), ShortAnswer("Ha Noi", 0.5)]
    assert question.case_sensitive is False


def test_text_entry_with_match_correct_is_case_sensitive() -> None:
    question = read(
        item(
            """<p>Viết tắt của Hội đồng nhân dân?</p>
            <p><textEntryInteraction responseIdentifier="R"/></p>""",
            """<responseDeclaration identifier="R" cardinality="single" baseType="string">
              <correctResponse><value>HĐND</value></correctResponse></responseDeclaration>""",
        )
    )
    assert question.text == "<p>Viết tắt của Hội đồng nhân dân?</p>"
    assert (question.answers, question.case_sensitive) == ([ShortAnswer("HĐND")], True)


def test_extended_text_with_a_scorer_rubric() -> None:
    question = read(
        item(
            """<p>Phân tích vai trò của Chính phủ.</p>
            <rubricBlock view="scorer">
              <p>- Nêu vị trí (4 điểm)</p>
              <p>- Có ví dụ (6 điểm)</p>
            </rubricBlock>
            <extendedTextInteraction responseIdentifier="R" expectedLines="10"/>""",
            '<responseDeclaration identifier="R" cardinality="single" baseType="string"/>',
            template="",
            extra="",
        ).replace('baseType="float"/>', 'baseType="float" normalMaximum="10"/>')
    )
    assert question.type == "essay"
    assert question.text == "<p>Phân tích vai trò của Chính phủ.</p>"
    assert question.default_points == 10.0
    assert question.rubric == [RubricCriterion("Nêu vị trí", 4.0), RubricCriterion("Có ví dụ", 6.0)]


def test_match_interaction_with_a_distractor() -> None:
    question = read(
        item(
            """<matchInteraction responseIdentifier="R" shuffle="true" maxAssociations="2">
              <prompt>Ghép cơ quan với quyền</prompt>
              <simpleMatchSet>
                <simpleAssociableChoice identifier="QH">Quốc hội</simpleAssociableChoice>
                <simpleAssociableChoice identifier="CP">Chính phủ</simpleAssociableChoice>
              </simpleMatchSet>
              <simpleMatchSet>
                <simpleAssociableChoice identifier="LP">lập pháp</simpleAssociableChoice>
                <simpleAssociableChoice identifier="HP">hành pháp</simpleAssociableChoice>
                <simpleAssociableChoice identifier="TP"
                  >tư pháp &amp; kiểm sát</simpleAssociableChoice>
              </simpleMatchSet>
            </matchInteraction>""",
            """<responseDeclaration identifier="R" cardinality="multiple" baseType="directedPair">
              <correctResponse><value>QH LP</value><value>CP HP</value></correctResponse>
            </responseDeclaration>""",
        )
    )
    assert question.text == "Ghép cơ quan với quyền"
    assert question.pairs == [
        MatchPair("Quốc hội", "lập pháp"),
        MatchPair("Chính phủ", "hành pháp"),
        MatchPair("", "tư pháp & kiểm sát"),
    ]


def test_order_interaction() -> None:
    question = read(
        item(
            """<orderInteraction responseIdentifier="R" shuffle="true">
              <prompt>Sắp xếp theo thời gian</prompt>
              <simpleChoice identifier="c">2013</simpleChoice>
              <simpleChoice identifier="a">1946</simpleChoice>
              <simpleChoice identifier="b">1959</simpleChoice>
            </orderInteraction>""",
            """<responseDeclaration identifier="R" cardinality="ordered" baseType="identifier">
              <correctResponse><value>a</value><value>b</value><value>c</value></correctResponse>
            </responseDeclaration>""",
        )
    )
    assert question.items == ["1946", "1959", "2013"]


def test_html_in_items_is_sanitised() -> None:
    question = read(
        SINGLE_CHOICE.replace(
            "<strong>Chính phủ</strong>",
            '<strong onclick="x()">Chính phủ</strong><object data="x.swf"/>',
        )
    )
    assert "onclick" not in question.text
    assert "object" not in question.text


# --- problems -----------------------------------------------------------------------------


def test_unsupported_interactions_and_templates_are_reported_with_lines() -> None:
    data = item(
        """<p>Chọn vùng</p>
<hotspotInteraction responseIdentifier="R" maxChoices="1"><object data="map.png"
  type="image/png"/></hotspotInteraction>""",
        '<responseDeclaration identifier="R" cardinality="single" baseType="identifier"/>',
        template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/map_response_point",
    )
    assert problems(data.encode()) == [
        (8, "kiểu tương tác không được hỗ trợ: hotspotInteraction"),
        (11, "mẫu chấm điểm (responseProcessing) không được hỗ trợ: map_response_point"),
    ]


def test_several_interactions_in_one_item() -> None:
    data = item(
        """<p><textEntryInteraction responseIdentifier="A"/></p>
<p><textEntryInteraction responseIdentifier="B"/></p>""",
    )
    assert problems(data.encode()) == [(8, "chỉ hỗ trợ một tương tác trong mỗi câu hỏi")]


def test_bad_xml_names_the_line() -> None:
    assert problems(b"<assessmentItem>\n<itemBody>\n</assessmentItem>") == [
        (3, "XML không hợp lệ: thẻ đóng không khớp thẻ mở")
    ]


# --- packages -----------------------------------------------------------------------------

MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="M1">
  <organizations/>
  <resources>
    <resource identifier="R1" type="imsqti_item_xmlv2p2" href="items/q1.xml">
      <file href="items/q1.xml"/>
      <dependency identifierref="IMG"/>
    </resource>
    <resource identifier="R2" type="imsqti_item_xmlv2p1" href="items/q2.xml">
      <file href="items/q2.xml"/>
    </resource>
    <resource identifier="T" type="imsqti_test_xmlv2p1" href="test.xml"/>
    <resource identifier="IMG" type="webcontent" href="images/so%20do.png">
      <file href="images/so%20do.png"/>
    </resource>
  </resources>
</manifest>
"""


def test_package_with_images_and_dependencies() -> None:
    with_image = SINGLE_CHOICE.replace(
        "<p>Theo",
        '<p><img src="../images/so%20do.png" alt="sơ đồ"/>'
        '<img src="../images/khac.png" alt=""/>Theo',
    )
    data = package(
        {
            "imsmanifest.xml": MANIFEST.encode(),
            "items/q1.xml": with_image.encode(),
            "items/q2.xml": SINGLE_CHOICE.encode("utf-16"),
            "images/so do.png": PNG,
            "images/khac.png": b"khac",
        }
    )
    first, second = qti.parse(data)
    assert first.media == {"../images/so do.png": PNG, "../images/khac.png": b"khac"}
    assert '<img src="../images/so%20do.png" alt="sơ đồ">' in first.text
    assert second.media == {}


def test_package_problems_name_the_file() -> None:
    broken = SINGLE_CHOICE.replace("<p>Theo", '<p><img src="thieu.png"/>Theo').replace(
        '<simpleChoice identifier="B">', '<simpleChoice identifier="B"><hottextInteraction/>'
    )
    data = package(
        {
            "imsmanifest.xml": MANIFEST.replace("items/q2.xml", "items/mat.xml").encode(),
            "items/q1.xml": broken.encode(),
            "images/so do.png": PNG,
        }
    )
    found = problems(data)
    # The missing image alone would be a notice (test_missing_images.py), not a problem.
    assert found == [
        (15, "items/q1.xml: kiểu tương tác không được hỗ trợ: hottextInteraction"),
        (15, "items/q1.xml: chỉ hỗ trợ một tương tác trong mỗi câu hỏi"),
        (9, "imsmanifest.xml: không tìm thấy tệp «items/mat.xml»"),
    ]


def test_package_without_manifest_or_items() -> None:
    assert problems(package({"a.xml": b"<a/>"})) == [(None, "gói QTI thiếu tệp imsmanifest.xml")]
    empty_manifest = MANIFEST.split("<resources>")[0] + "<resources/></manifest>"
    assert problems(package({"imsmanifest.xml": empty_manifest.encode()})) == [
        (None, "gói không chứa câu hỏi QTI 2.x (resource imsqti_item_xmlv2p1/v2p2)")
    ]


def test_broken_zip() -> None:
    assert problems(b"PK\x03\x04 not really a zip") == [(None, "tệp zip bị hỏng")]


# --- export -------------------------------------------------------------------------------

ROUND_TRIP_CASES = [
    QuestionData(
        "single_choice",
        '<p>Chọn <b>một</b> <img src="@@PLUGINFILE@@/hinh.png" alt="hình"></p>',
        name="SC",
        key="SC-1",
        text_format="html",
        default_points=2,
        general_feedback="<p>chung</p>",
        choices=[
            Choice("a", 1.0, "<i>đúng</i>"),
            Choice("b &amp; c", 0.5),
            Choice("d", -0.3333333),
        ],
        media={"hinh.png": PNG},
    ),
    QuestionData(
        "multiple_response",
        "Chọn nhiều (văn bản thường < HTML)",
        key="MR-1",
        default_points=3,
        choices=[
            Choice("a", 0.3333333),
            Choice("b", 0.3333333),
            Choice("c", 0.3333334),
            Choice("d", -1.0),
        ],
        shuffle_choices=False,
    ),
    QuestionData("true_false", "Đúng?", key="TF-1", correct_answer=False),
    QuestionData(
        "true_false",
        "Đúng?",
        key="TF-2",
        correct_answer=True,
        choices=[Choice("true", 1.0, "Chính xác"), Choice("false", 0.0, "Sai")],
    ),
    QuestionData(
        "short_answer",
        "Điền",
        key="SA-1",
        answers=[ShortAnswer("Hà Nội"), ShortAnswer("ha noi\ttab", 0.5)],
        case_sensitive=True,
    ),
    QuestionData(
        "matching",
        "Ghép",
        key="M-1",
        pairs=[MatchPair("a", "1"), MatchPair("", "3"), MatchPair("b", "2"), MatchPair("c", "1")],
    ),
    QuestionData("ordering", "Xếp", key="O-1", items=["<b>một</b>", "hai", "ba"]),
    QuestionData(
        "essay",
        "Viết",
        key="E-1",
        default_points=10,
        rubric=[RubricCriterion("Ý một", 4), RubricCriterion("Ý hai", 6)],
    ),
]


@pytest.mark.parametrize("question", ROUND_TRIP_CASES, ids=lambda q: q.key)
def test_round_trip_per_type(question: QuestionData) -> None:
    assert qti.parse(qti.dump([question])) == [qti.round_trip_form(question)]


def test_round_trip_form_turns_plain_text_into_html_and_moves_distractors_last() -> None:
    assert qti.round_trip_form(ROUND_TRIP_CASES[1]).text == "Chọn nhiều (văn bản thường &lt; HTML)"
    assert qti.round_trip_form(ROUND_TRIP_CASES[5]).pairs == [
        MatchPair("a", "1"),
        MatchPair("b", "2"),
        MatchPair("c", "1"),
        MatchPair("", "3"),
    ]


def test_export_writes_a_package_with_manifest_and_media() -> None:
    data = qti.dump(ROUND_TRIP_CASES)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        manifest = archive.read("imsmanifest.xml").decode()
        first_item = archive.read("items/0001/item.xml").decode()
    assert "items/0001/hinh.png" in names
    assert '<file href="items/0001/hinh.png" />' in manifest
    assert manifest.count('type="imsqti_item_xmlv2p1"') == len(ROUND_TRIP_CASES)
    assert '<img src="hinh.png" alt="hình" />' in first_item
    assert 'identifier="SC-1"' in first_item
    assert qti.dump(ROUND_TRIP_CASES) == data  # reproducible, byte for byte


def test_export_refuses_numerical_and_broken_media() -> None:
    questions = [
        QuestionData("numerical", "Số", key="N-1", numeric_answers=[NumericAnswer(1)]),
        QuestionData(
            "essay", '<img src="thieu.png">', key="E-1", text_format="html", media={"../x.png": b""}
        ),
    ]
    with pytest.raises(ExportUnsupported) as refusal:
        qti.dump(questions)
    assert [(p.question, p.message) for p in refusal.value.problems] == [
        ("N-1", "kiểu câu hỏi không được hỗ trợ trong định dạng này: numerical"),
        ("E-1", "thiếu tệp đính kèm được nhắc đến trong nội dung: thieu.png"),
        ("E-1", "tên tệp đính kèm không hợp lệ cho gói zip"),
    ]


def test_keyless_questions_get_identifiers() -> None:
    [question] = qti.parse(qti.dump([QuestionData("essay", "Viết")]))
    assert question.key == "Q0001"
