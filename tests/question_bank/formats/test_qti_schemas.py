"""QTI exports are valid against the official 1EdTech QTI 2.1 and 2.2 schemas (kept in
``schemas/``, loaded offline), show their feedback in a real player, and read back; what a
QTI tool writes is read with its per-option feedback; a manifest alone, a QTI 3 item and a
QTI 2.2 file are named for what they are (issue 11, item 9)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from exam.question_bank.formats import FORMATS, detect_format, dump, parse, qti
from exam.question_bank.formats.common import finish_question
from exam.question_bank.interchange import (
    Choice,
    ImportFailed,
    ImportProblem,
    MatchPair,
    QuestionData,
    RubricCriterion,
    ShortAnswer,
)
from tests.question_bank.formats.qti_schemas import schema_errors

SAMPLES = Path(__file__).parent / "samples"
RICH = (
    '<p><u>gạch chân</u>, <s>gạch</s> <strike>xoá</strike>, <a href="https://luat.vn/70" '
    'title="Hiến pháp">Điều 70</a>, <b>đậm</b> H<sub>2</sub>O</p>'
    '<ol start="2" type="a"><li>một</li></ol>'
    '<table><tbody><tr><td colspan="1">1</td><th scope="row">2</th></tr></tbody></table>'
)


def _bank() -> list[QuestionData]:
    """Every type QTI writes, with formatting the schemas refuse written as HTML has it."""
    questions = [
        QuestionData(
            "single_choice",
            RICH,
            key="SC",
            text_format="html",
            general_feedback="<p>Giải thích <u>chung</u></p>",
            choices=[
                Choice("<p>Quốc hội</p>", 1.0, "<p>Đúng: <em>Điều 70</em></p>"),
                Choice("Quốc hội (kỳ họp)", 1.0, "Cũng đúng"),
                Choice("Chính phủ", 0.0, "Chính phủ ban hành nghị định"),
            ],
        ),
        QuestionData(
            "multiple_response",
            "Chọn <u>các</u> nguyên tắc",
            key="MR",
            text_format="html",
            choices=[Choice("a", 0.5, "<p>Một nửa</p>"), Choice("b", 0.5), Choice("c", -1.0)],
        ),
        QuestionData(
            "true_false",
            "<p>Đúng hay sai?</p>",
            key="TF",
            text_format="html",
            correct_answer=False,
            choices=[Choice("true", 0.0, "<p>Xem lại</p>"), Choice("false", 1.0, "Đúng")],
        ),
        QuestionData(
            "short_answer", "Viết tắt của Ủy ban nhân dân?", key="SA", answers=[ShortAnswer("UBND")]
        ),
        QuestionData(
            "matching",
            "Ghép",
            key="MA",
            general_feedback="Xem luật",
            pairs=[MatchPair("<s>a</s>", "1"), MatchPair("b", "2"), MatchPair("", "3")],
        ),
        QuestionData("ordering", "Sắp xếp", key="OR", items=["<u>một</u>", "hai", "ba"]),
        QuestionData(
            "essay",
            "Trình bày",
            key="ES",
            general_feedback="Gợi ý",
            rubric=[RubricCriterion("Lập luận", 6), RubricCriterion("Dẫn chứng", 4)],
            default_points=10,
        ),
    ]
    return [finish_question(q) for q in questions]


def _items(package: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return {n: archive.read(n) for n in archive.namelist() if n.endswith("item.xml")}


@pytest.mark.parametrize(("fmt", "version"), [("qti", "2.1"), ("qti-2.2", "2.2")])
def test_every_exported_item_is_valid_against_the_official_schema(fmt, version) -> None:
    items = _items(dump(_bank(), fmt))
    assert len(items) == 7
    for name, item in items.items():
        assert schema_errors(item, version) == [], name


def test_the_schemas_do_refuse_what_the_export_used_to_write() -> None:
    # The check is real: HTML as the bank stores it (rel on links, <u>) breaks QTI 2.1.
    item = (
        b'<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="I" '
        b'title="t" adaptive="false" timeDependent="false"><itemBody><div><p><u>x</u> '
        b'<a href="h" rel="noopener">y</a></p></div></itemBody></assessmentItem>'
    )
    errors = schema_errors(item, "2.1")
    assert any("'u'" in e or "}u'" in e for e in errors)


def test_feedback_is_set_by_response_processing_so_a_player_shows_it() -> None:
    item = etree.fromstring(_items(dump(_bank()[:1], "qti"))["items/0001/item.xml"])
    ns = {"q": qti.QTI_NAMESPACE}
    declared = item.xpath("q:outcomeDeclaration[@identifier='FEEDBACK']", namespaces=ns)
    assert [d.get("cardinality") for d in declared] == ["multiple"]
    [rule] = item.xpath(
        "q:responseProcessing/q:setOutcomeValue[@identifier='FEEDBACK']", namespaces=ns
    )
    assert rule.xpath("q:multiple/q:variable/@identifier", namespaces=ns) == ["RESPONSE"]
    assert rule.xpath("q:multiple/q:baseValue/text()", namespaces=ns) == ["GENERAL"]
    shown = item.xpath("q:modalFeedback/@identifier", namespaces=ns)
    assert shown == ["c1", "c2", "c3", "GENERAL"]  # each option's, then the general one
    assert item.xpath("q:responseProcessing/@template", namespaces=ns) == []


@pytest.mark.parametrize("fmt", ["qti", "qti-2.2"])
def test_export_reads_back_with_formatting_and_per_option_feedback(fmt) -> None:
    bank = _bank()
    back = parse(dump(bank, fmt), fmt)
    assert back[0].text.startswith("<p><u>gạch chân</u>, <s>gạch</s> <s>xoá</s>")
    assert [c.feedback for c in back[0].choices] == [c.feedback for c in bank[0].choices]
    assert [c.fraction for c in back[0].choices] == [1.0, 1.0, 0.0]
    assert back[0].general_feedback == "<p>Giải thích <u>chung</u></p>"
    assert back[2].choices == bank[2].choices
    assert back[4].general_feedback == "Xem luật"
    assert back[6].general_feedback == "Gợi ý"


def test_round_trip_form_says_what_qti_2_1_drops() -> None:
    [question] = _bank()[:1]
    kept = FORMATS["qti"].round_trip_form(question)
    assert 'title="Hiến pháp"' not in kept.text
    assert 'start="2"' not in kept.text
    kept_22 = FORMATS["qti-2.2"].round_trip_form(question)
    assert 'title="Hiến pháp"' in kept_22.text
    [back] = parse(dump([question], "qti"), "qti")
    assert back == kept


def test_a_tao_item_keeps_per_option_feedback_and_reports_the_rest() -> None:
    data = (SAMPLES / "qti22-tao-item.xml").read_bytes()
    assert schema_errors(data, "2.2") == []  # a real QTI 2.2 item
    notices: list[ImportProblem] = []
    [question] = parse(data, None, "qti.xml", notices)
    assert question.text == "Cơ quan nào có quyền <strong>ban hành luật</strong>?"
    assert [(c.text, c.fraction) for c in question.choices] == [
        ("Quốc hội", 1.0),
        ("Chính phủ", 0.0),
        ("Chủ tịch nước", 0.0),
    ]
    assert [c.feedback for c in question.choices] == [
        "",
        "<p>Chính phủ ban hành <em>nghị định</em>.</p>",
        "<p>Chủ tịch nước công bố luật.</p>",
    ]
    # "Shown when right" has no place of its own: general feedback, said so.
    assert question.general_feedback == "<p>Điều 70 Hiến pháp.</p>"
    [notice] = notices
    assert notice.line == 72
    assert "feedbackModal_3" in notice.message


def test_qti_2_2_files_are_labelled_2_2() -> None:
    data = (SAMPLES / "qti22-tao-item.xml").read_bytes()
    assert detect_format("qti.xml", data) == "qti-2.2"
    assert FORMATS["qti-2.2"].label == "IMS QTI 2.2"
    package = dump(_bank()[:1], "qti-2.2")
    assert detect_format("package.zip", package) == "qti-2.2"
    assert detect_format("package.zip", dump(_bank()[:1], "qti")) == "qti"
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        manifest = archive.read("imsmanifest.xml")
    assert b'type="imsqti_item_xmlv2p2"' in manifest


def test_a_manifest_alone_asks_for_the_whole_package() -> None:
    data = (SAMPLES / "imsmanifest.xml").read_bytes()
    with pytest.raises(ImportFailed) as failure:
        parse(data, None, "imsmanifest.xml")
    [problem] = failure.value.problems
    assert "hãy tải lên cả gói ZIP" in problem.message
    assert "<quiz>" not in problem.message


def test_a_qti_3_item_is_named_and_refused() -> None:
    data = (SAMPLES / "qti3-item.xml").read_bytes()
    with pytest.raises(ImportFailed) as failure:
        parse(data, None, "item.xml")
    [problem] = failure.value.problems
    assert problem.message == qti.QTI3_NOT_SUPPORTED
    assert "QTI 2.1 hoặc 2.2" in problem.message


def test_a_qti_3_package_is_named_and_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "imsmanifest.xml",
            '<manifest xmlns="http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1" '
            'identifier="M"><resources><resource identifier="R" type="imsqti_item_xmlv3p0" '
            'href="item.xml"><file href="item.xml"/></resource></resources></manifest>',
        )
        archive.writestr("item.xml", (SAMPLES / "qti3-item.xml").read_bytes())
    with pytest.raises(ImportFailed) as failure:
        parse(buffer.getvalue(), None, "package.zip")
    assert [p.message for p in failure.value.problems] == [qti.QTI3_NOT_SUPPORTED]
