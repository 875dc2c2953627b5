"""IMS QTI 2.1 / 2.2: single ``assessmentItem`` XML files and zip content packages
(``imsmanifest.xml`` listing the items; files inside the zip become media), import and
export (a QTI 2.1 or 2.2 package, valid against 1EdTech's schemas: ``<u>``, ``<s>`` and
``<strike>`` are written as spans of a class read back as such, attributes a version's
schema refuses are dropped). A manifest alone and QTI 3 items are named and refused.

Interactions read: ``choiceInteraction`` (``maxChoices="1"`` → single choice, otherwise
multiple response; exactly the choices "true" and "false" → true/false),
``textEntryInteraction`` (→ short answer; inside running text it leaves "_____"),
``extendedTextInteraction`` (→ essay; ``rubricBlock view="scorer"`` → rubric),
``matchInteraction`` (→ matching; answers nobody is matched to are distractors) and
``orderInteraction`` (→ ordering). Scoring follows the ``responseProcessing`` template:
``match_correct`` (correct choices share 100%; in multiple response a wrong choice costs
100%, close to all-or-nothing) or ``map_response`` (``mapEntry/@mappedValue`` relative to
the maximum score: ``mapping/@upperBound`` when given, else the best single value or the
sum of the positive values; rounded to 7 decimals). Without a template the mapping is
used when present, else the correct response. Points come from the ``SCORE`` outcome's
``normalMaximum``. ``feedbackInline`` inside a choice is that choice's feedback, and so is
a ``modalFeedback`` the response processing shows when that choice is chosen (a rule
``match(RESPONSE, choice)`` setting its identifier, or FEEDBACK set to the response); any
other ``modalFeedback`` goes into the general feedback, with a notice when it depended on
a condition (right answer, score) the interchange form cannot hold. Export writes each
option's feedback and the general one as ``modalFeedback`` and response processing that
sets FEEDBACK, so that a player shows them.

Reported as problems, with file and line: other interactions (hotspot, inline choice,
gap match …), several interactions in one item, other response-processing templates,
invalid XML. Reported as notices: images missing from the package (or named by a single
item file, which cannot hold them); the question is imported, as Moodle would.

Text in QTI is always XHTML, so plain-text questions come back as HTML. Not carried:
category, tags, difficulty, legal basis, diacritics sensitivity, short-answer feedback;
numerical questions are refused on export. Questions without a key get the identifier
``Q0001``…; ``@@PLUGINFILE@@/`` prefixes (Moodle) are dropped from image references.
"""

from __future__ import annotations

import copy
import html
import io
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element, SubElement

from exam.question_bank.formats.common import (
    RUBRIC_NOT_WRITABLE,
    ExportChecker,
    ProblemLog,
    fail,
    finish_and_check,
    finish_question,
    format_number,
    label_for,
    only_type_fields,
    parse_number,
    reset_fields,
    rich_fields_as_html,
    rubric_from_text,
    rubric_survives_lines,
    rubric_to_lines,
    rubric_writable_as_text,
    true_false_choices,
    true_false_feedback,
    unsupported_type_message,
)
from exam.question_bank.formats.xml_tools import (
    XmlDocument,
    children,
    decode_xml,
    descendants,
    first_child,
    local_name,
    parse_xml,
)
from exam.question_bank.interchange import (
    Choice,
    ImportFailed,
    ImportProblem,
    MatchPair,
    QuestionData,
    ShortAnswer,
)

SUPPORTED_TYPES = (
    "single_choice",
    "multiple_response",
    "true_false",
    "short_answer",
    "matching",
    "ordering",
    "essay",
)

QTI_NAMESPACE = "http://www.imsglobal.org/xsd/imsqti_v2p1"
QTI_SCHEMA = "http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1p2.xsd"
CP_NAMESPACE = "http://www.imsglobal.org/xsd/imscp_v1p1"
TEMPLATE_URL = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/"
ITEM_RESOURCE_TYPE = "imsqti_item_xmlv2p1"


@dataclass(frozen=True)
class QtiVersion:
    """What an exported package says about its QTI version."""

    label: str
    namespace: str
    schema: str
    resource_type: str
    # Attributes the version's schema refuses on our HTML (2.1 has no title, start, type).
    dropped_attributes: frozenset[str]


QTI_VERSIONS = {
    "2.1": QtiVersion(
        "2.1",
        QTI_NAMESPACE,
        QTI_SCHEMA,
        ITEM_RESOURCE_TYPE,
        frozenset({"rel", "title", "start", "type"}),
    ),
    "2.2": QtiVersion(
        "2.2",
        "http://www.imsglobal.org/xsd/imsqti_v2p2",
        "http://www.imsglobal.org/xsd/qti/qtiv2p2/imsqti_v2p2.xsd",
        "imsqti_item_xmlv2p2",
        frozenset({"rel"}),
    ),
}
QTI3_NAMESPACE_PREFIX = "http://www.imsglobal.org/xsd/imsqtiasi_v3"
# HTML elements no QTI 2.x schema allows, written as a span of a class that reads back.
_SPAN_CLASSES = {"u": "underline", "s": "strike", "strike": "strike"}
_TAGS_FROM_CLASS = {"underline": "u", "strike": "s"}
GENERAL_FEEDBACK_ID = "GENERAL"

MAX_PACKAGE_FILES = 5000
MAX_PACKAGE_BYTES = 200 * 1024 * 1024
FRACTION_DECIMALS = 7
TEXT_WRAPPER_CLASS = "exam-text"  # our export wraps the text so mixed content stays valid
PLUGINFILE = "@@PLUGINFILE@@/"
VOID_ELEMENTS = {"area", "br", "col", "hr", "img", "input", "source", "wbr"}
SUPPORTED_INTERACTIONS = (
    "choiceInteraction",
    "textEntryInteraction",
    "extendedTextInteraction",
    "matchInteraction",
    "orderInteraction",
)
_KNOWN_TEMPLATES = ("map_response", "match_correct")

# ---------------------------------------------------------------------------------------
# XHTML ⇄ HTML
# ---------------------------------------------------------------------------------------


def _html_name(element: Element) -> str:
    """The HTML element a QTI element stands for: our export writes ``<u>`` and ``<s>``
    as spans of a class, since no QTI 2.x schema has them."""
    name = local_name(element.tag)
    if name == "span" and element.get("class") in _TAGS_FROM_CLASS:
        return _TAGS_FROM_CLASS[element.get("class", "")]
    return name


def _start_tag(element: Element) -> str:
    name = _html_name(element)
    if name != local_name(element.tag):
        return f"<{name}>"
    attributes = "".join(
        f' {local_name(key)}="{html.escape(value, quote=True)}"'
        for key, value in element.attrib.items()
    )
    return f"<{name}{attributes}>"


def inner_html(element: Element) -> str:
    """An element's content as HTML (namespaces dropped, void elements unclosed)."""
    parts = [html.escape(element.text or "", quote=False)]
    for child in element:
        parts.append(_start_tag(child))
        if local_name(child.tag) not in VOID_ELEMENTS:
            parts.append(inner_html(child) + f"</{_html_name(child)}>")
        parts.append(html.escape(child.tail or "", quote=False))
    return "".join(parts)


class _ElementBuilder(HTMLParser):
    """Sanitised HTML (well nested, HTML5 void elements) into ElementTree children, as the
    QTI schema of ``version`` allows it: ``<u>``, ``<s>`` and ``<strike>`` become a span
    of a class the importer reads back, attributes the schema refuses are dropped."""

    def __init__(self, container: Element, version: QtiVersion | None = None):
        super().__init__(convert_charrefs=True)
        self.stack = [container]
        self.version = version
        self.opened: list[str] = [container.tag]  # the HTML names, for matching end tags

    def _element(self, tag: str, attrs: list[tuple[str, str | None]]) -> Element:
        attributes = {k: v or "" for k, v in attrs}
        if self.version is None:
            return SubElement(self.stack[-1], tag, attributes)
        attributes = {
            k: v for k, v in attributes.items() if k not in self.version.dropped_attributes
        }
        if tag in _SPAN_CLASSES:
            return SubElement(self.stack[-1], "span", {"class": _SPAN_CLASSES[tag]})
        return SubElement(self.stack[-1], tag, attributes)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = self._element(tag, attrs)
        if tag not in VOID_ELEMENTS:
            self.stack.append(element)
            self.opened.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.opened) - 1, 0, -1):
            if self.opened[depth] == tag:
                del self.stack[depth:]
                del self.opened[depth:]
                return

    def handle_data(self, data: str) -> None:
        parent = self.stack[-1]
        if len(parent):
            parent[-1].tail = (parent[-1].tail or "") + data
        else:
            parent.text = (parent.text or "") + data


def fill_html(element: Element, text: str, version: QtiVersion | None = None) -> Element:
    builder = _ElementBuilder(element, version)
    builder.feed(text)
    builder.close()
    return element


def _plain_text(element: Element) -> str:
    return "".join(element.itertext())


# ---------------------------------------------------------------------------------------
# Reading one item
# ---------------------------------------------------------------------------------------


@dataclass
class _Response:
    """A responseDeclaration: what is correct and what each answer is worth."""

    cardinality: str
    correct: list[str]
    mapping: dict[str, float]
    case_sensitive: dict[str, bool]
    default_value: float
    upper_bound: float | None

    def max_score(self) -> float:
        if self.upper_bound:
            return self.upper_bound
        positive = [v for v in self.mapping.values() if v > 0]
        if self.cardinality == "multiple":
            return sum(positive)
        return max(positive, default=0.0)

    def fraction(self, key: str) -> float:
        best = self.max_score()
        value = self.mapping.get(key, self.default_value)
        return round(value / best, FRACTION_DECIMALS) if best else 0.0


def _read_response(declaration: Element | None) -> _Response:
    if declaration is None:
        return _Response("single", [], {}, {}, 0.0, None)
    correct = first_child(declaration, "correctResponse")
    values = children(correct, "value") if correct is not None else []
    mapping = first_child(declaration, "mapping")
    entries = children(mapping, "mapEntry") if mapping is not None else []
    return _Response(
        cardinality=declaration.get("cardinality", "single"),
        correct=[(v.text or "").strip() for v in values],
        mapping={e.get("mapKey", ""): _number(e.get("mappedValue")) for e in entries},
        case_sensitive={e.get("mapKey", ""): e.get("caseSensitive") == "true" for e in entries},
        default_value=_number(mapping.get("defaultValue") if mapping is not None else None),
        upper_bound=parse_number(mapping.get("upperBound", "")) if mapping is not None else None,
    )


def _number(text: str | None) -> float:
    return parse_number(text or "") or 0.0


@dataclass(frozen=True)
class _Found:
    """The item's one interaction, with what the readers of each kind need."""

    element: Element
    body: Element
    response: _Response
    by_mapping: bool  # score by mapEntry values, else by the correct response


class _ItemReader:
    """Reads one assessmentItem; problems go to ``log`` with the element's line."""

    def __init__(self, doc: XmlDocument, log: ProblemLog, media: dict[str, bytes]):
        self.doc = doc
        self.root = doc.root
        self.log = log
        self.media = media
        self.label = self.root.get("title", "") or self.root.get("identifier", "")
        self.failed = False

    def problem(self, message: str, element: Element | None = None) -> None:
        self.failed = True
        self.log.add(
            self.doc.line(element if element is not None else self.root), message, self.label
        )

    def read(self) -> QuestionData | None:
        if _is_qti3(self.root):
            self.problem(QTI3_NOT_SUPPORTED)
            return None
        if local_name(self.root.tag) != "assessmentItem":
            self.problem(
                f"phần tử gốc phải là assessmentItem, không phải {local_name(self.root.tag)}"
            )
            return None
        body = first_child(self.root, "itemBody")
        interaction = self._interaction(body)
        scoring = self._scoring()
        if body is None or interaction is None or self.failed:
            return None
        response = _read_response(self._declaration(interaction))
        by_mapping = scoring == "map_response" or (not scoring and bool(response.mapping))
        found = _Found(interaction, body, response, by_mapping)
        question = QuestionData(
            type="essay",
            text=_question_text(body, interaction),
            name=self.root.get("title", ""),
            key=self.root.get("identifier", ""),
            text_format="html",
            default_points=self._points(found),
            media=self.media,
        )
        self.label = label_for(question.name, question.text)
        reader = _INTERACTION_READERS[local_name(interaction.tag)]
        question = reader(self, question, found)
        question = self._modal_feedback(question, found)
        if self.failed:
            return None
        return finish_and_check(question, self.doc.line(self.root), self.log)

    def _interaction(self, body: Element | None) -> Element | None:
        if body is None:
            self.problem("thiếu itemBody")
            return None
        found = [e for e in body.iter() if local_name(e.tag).endswith("Interaction")]
        if not found:
            self.problem("câu hỏi không có tương tác (interaction) nào")
            return None
        for element in found:
            if local_name(element.tag) not in SUPPORTED_INTERACTIONS:
                self.problem(
                    f"kiểu tương tác không được hỗ trợ: {local_name(element.tag)}", element
                )
        if len(found) > 1:
            self.problem("chỉ hỗ trợ một tương tác trong mỗi câu hỏi", found[1])
        return None if self.failed else found[0]

    def _declaration(self, interaction: Element) -> Element | None:
        identifier = interaction.get("responseIdentifier", "")
        for declaration in children(self.root, "responseDeclaration"):
            if declaration.get("identifier") == identifier:
                return declaration
        if local_name(interaction.tag) != "extendedTextInteraction":
            self.problem(f"thiếu responseDeclaration cho «{identifier}»", interaction)
        return None

    def _scoring(self) -> str:
        """ "map_response" or "match_correct"; "" lets the declaration decide."""
        processing = first_child(self.root, "responseProcessing")
        template = processing.get("template", "") if processing is not None else ""
        if not template:
            return ""
        name = template.rstrip("/").rsplit("/", 1)[-1].removesuffix(".xml")
        if name not in _KNOWN_TEMPLATES:
            self.problem(
                f"mẫu chấm điểm (responseProcessing) không được hỗ trợ: {name}", processing
            )
        return name

    def _points(self, found: _Found) -> float:
        for outcome in children(self.root, "outcomeDeclaration"):
            if outcome.get("identifier") == "SCORE" and outcome.get("normalMaximum"):
                value = parse_number(outcome.get("normalMaximum", ""))
                if value and value > 0:
                    return value
        if found.by_mapping and found.response.max_score() > 0:
            return found.response.max_score()
        return 1.0

    def _modal_feedback(self, q: QuestionData, found: _Found) -> QuestionData:
        """Modal feedback shown for one option (a rule sets its identifier when that
        option is chosen, or sets FEEDBACK to the response itself) is that option's
        feedback; the rest is general feedback, with a notice when a condition the
        interchange form cannot hold (right or wrong answer, a score) was dropped."""
        modals = children(self.root, "modalFeedback")
        if not modals or self.failed:
            return q
        options = []
        if local_name(found.element.tag) == "choiceInteraction":
            options = [o.get("identifier", "") for o in children(found.element, "simpleChoice")]
        rules = _FeedbackRules(
            first_child(self.root, "responseProcessing"),
            found.element.get("responseIdentifier", ""),
        )
        per_option: dict[str, list[str]] = {}
        general: list[str] = []
        for modal in modals:
            outcome, identifier = modal.get("outcomeIdentifier", ""), modal.get("identifier", "")
            text = inner_html(modal).strip()
            option = rules.option_of(outcome, identifier, options)
            if option is not None and modal.get("showHide", "show") == "show":
                per_option.setdefault(option, []).append(text)
                continue
            general.append(text)
            if (outcome, identifier) in rules.conditional or modal.get("showHide") == "hide":
                self.log.note(
                    self.doc.line(modal),
                    f"phản hồi có điều kiện «{identifier}» được gộp vào phản hồi chung "
                    "(chỉ giữ được phản hồi theo từng phương án)",
                    self.label,
                )
        q = replace(q, general_feedback="".join(general))
        if not per_option:
            return q
        feedback = {option: "".join(texts) for option, texts in per_option.items()}
        if q.type == "true_false" and q.correct_answer is not None:
            by_value = {o.lower(): feedback.get(o, "") for o in options}
            true_text, false_text = true_false_feedback(q)
            return replace(
                q,
                choices=true_false_choices(
                    q.correct_answer,
                    true_text + by_value.get("true", ""),
                    false_text + by_value.get("false", ""),
                ),
            )
        if len(options) == len(q.choices):
            return replace(
                q,
                choices=[
                    replace(c, feedback=c.feedback + feedback.get(option, ""))
                    for option, c in zip(options, q.choices, strict=True)
                ],
            )
        return q

    # --- one reader per interaction -----------------------------------------------------

    def choices(self, q: QuestionData, found: _Found) -> QuestionData:
        interaction, response = found.element, found.response
        options = children(interaction, "simpleChoice")
        identifiers = [o.get("identifier", "") for o in options]
        single = interaction.get("maxChoices", "1") == "1"
        shuffle = interaction.get("shuffle", "false") == "true"
        if single and sorted(i.lower() for i in identifiers) == ["false", "true"]:
            return self._true_false(q, options, response)
        texts = [(_choice_html(o), _inline_feedback(o)) for o in options]
        fractions = _choice_fractions(identifiers, found, single)
        choices = [Choice(t, f, fb) for (t, fb), f in zip(texts, fractions, strict=True)]
        kind = "single_choice" if single else "multiple_response"
        return replace(q, type=kind, choices=choices, shuffle_choices=shuffle)

    def _true_false(
        self, q: QuestionData, options: list[Element], response: _Response
    ) -> QuestionData:
        by_value = {o.get("identifier", "").lower(): o for o in options}
        correct_values = [v.lower() for v in response.correct]
        if correct_values not in (["true"], ["false"]):
            self.problem("câu đúng/sai cần đúng một đáp án đúng (true hoặc false)")
            return q
        correct = correct_values == ["true"]
        choices = true_false_choices(
            correct, _inline_feedback(by_value["true"]), _inline_feedback(by_value["false"])
        )
        return replace(q, type="true_false", correct_answer=correct, choices=choices)

    def text_entry(self, q: QuestionData, found: _Found) -> QuestionData:
        response = found.response
        if found.by_mapping:
            answers = [ShortAnswer(key, response.fraction(key)) for key in response.mapping]
            case_sensitive = any(response.case_sensitive.values())
        else:  # match_correct compares strings exactly
            answers = [ShortAnswer(value, 1.0) for value in response.correct]
            case_sensitive = True
        return replace(q, type="short_answer", answers=answers, case_sensitive=case_sensitive)

    def extended_text(self, q: QuestionData, found: _Found) -> QuestionData:
        blocks = [
            b for b in descendants(found.body, "rubricBlock") if "scorer" in b.get("view", "")
        ]
        text = "\n".join(_rubric_text(block) for block in blocks)
        return replace(q, type="essay", rubric=rubric_from_text(text, q.default_points))

    def match(self, q: QuestionData, found: _Found) -> QuestionData:
        interaction, response = found.element, found.response
        sets = children(interaction, "simpleMatchSet")
        if len(sets) != 2:
            self.problem("matchInteraction cần đúng hai simpleMatchSet", interaction)
            return q
        prompts = {c.get("identifier", ""): c for c in children(sets[0], "simpleAssociableChoice")}
        answers = {c.get("identifier", ""): c for c in children(sets[1], "simpleAssociableChoice")}
        matched: dict[str, str] = {}
        for value in response.correct:
            source, _, target = value.partition(" ")
            if source in matched or source not in prompts or target not in answers:
                self.problem(f"cặp đáp án không hợp lệ: «{value}»", interaction)
                continue
            matched[source] = target
        pairs = [
            MatchPair(inner_html(prompts[p]), _plain_text(answers[a])) for p, a in matched.items()
        ]
        used = set(matched.values())
        pairs += [MatchPair("", _plain_text(answers[a])) for a in answers if a not in used]
        return replace(
            q, type="matching", pairs=pairs, shuffle_choices=interaction.get("shuffle") == "true"
        )

    def order(self, q: QuestionData, found: _Found) -> QuestionData:
        interaction, response = found.element, found.response
        options = {o.get("identifier", ""): o for o in children(interaction, "simpleChoice")}
        missing = [value for value in response.correct if value not in options]
        if missing:
            self.problem(
                f"thứ tự đúng nhắc đến lựa chọn không tồn tại: {', '.join(missing)}", interaction
            )
            return q
        return replace(q, type="ordering", items=[inner_html(options[v]) for v in response.correct])


class _FeedbackRules:
    """What the response processing shows: which (outcome, identifier) pairs are set
    when one option is chosen, which always, and which under other conditions."""

    def __init__(self, processing: Element | None, response: str):
        self.response = response
        self.by_option: dict[tuple[str, str], str] = {}
        self.always: set[tuple[str, str]] = set()
        self.conditional: set[tuple[str, str]] = set()
        self.echoes: set[str] = set()  # outcomes set to the response itself
        if processing is not None:
            self._walk(processing, None)

    def option_of(self, outcome: str, identifier: str, options: list[str]) -> str | None:
        option = self.by_option.get((outcome, identifier))
        if option is None and outcome in self.echoes:
            option = identifier
        return option if option in options else None

    def _walk(self, element: Element, condition: Element | None) -> None:
        for child in element:
            name = local_name(child.tag)
            if name in ("responseIf", "responseElseIf"):
                self._walk(child, next(iter(child), None))
            elif name == "responseElse":
                self._walk(child, child)  # "otherwise": a condition, not an option
            elif name == "setOutcomeValue":
                self._set(child, condition)
            elif name == "responseCondition":
                self._walk(child, condition)

    def _set(self, rule: Element, condition: Element | None) -> None:
        outcome = rule.get("identifier", "")
        if any(v.get("identifier") == self.response for v in descendants(rule, "variable")):
            self.echoes.add(outcome)
        option = self._chosen_option(condition)
        for value in descendants(rule, "baseValue"):
            key = (outcome, (value.text or "").strip())
            if condition is None:
                self.always.add(key)
            elif option is not None:
                self.by_option[key] = option
            else:
                self.conditional.add(key)

    def _chosen_option(self, condition: Element | None) -> str | None:
        """X in ``match(RESPONSE, X)`` or ``member(X, RESPONSE)``."""
        if condition is None or local_name(condition.tag) not in ("match", "member"):
            return None
        operands = list(condition)
        names = sorted(local_name(o.tag) for o in operands)
        variable = [o for o in operands if local_name(o.tag) == "variable"]
        if names != ["baseValue", "variable"] or variable[0].get("identifier") != self.response:
            return None
        return next((o.text or "").strip() for o in operands if local_name(o.tag) == "baseValue")


_Reader = Callable[[_ItemReader, QuestionData, _Found], QuestionData]
_INTERACTION_READERS: dict[str, _Reader] = {
    "choiceInteraction": _ItemReader.choices,
    "textEntryInteraction": _ItemReader.text_entry,
    "extendedTextInteraction": _ItemReader.extended_text,
    "matchInteraction": _ItemReader.match,
    "orderInteraction": _ItemReader.order,
}


def _choice_fractions(identifiers: list[str], found: _Found, single: bool) -> list[float]:
    if found.by_mapping:
        return [found.response.fraction(i) for i in identifiers]
    correct = set(found.response.correct)
    if single:
        return [1.0 if i in correct else 0.0 for i in identifiers]
    # match_correct is all or nothing: correct choices share 100%, a wrong one costs it all.
    share = round(1.0 / len(correct), FRACTION_DECIMALS) if correct else 0.0
    return [share if i in correct else -1.0 for i in identifiers]


def _choice_html(choice: Element) -> str:
    content = copy.deepcopy(choice)
    for feedback in [c for c in content if local_name(c.tag) == "feedbackInline"]:
        _remove(content, feedback)
    return inner_html(content)


def _inline_feedback(choice: Element) -> str:
    return "".join(inner_html(f) for f in children(choice, "feedbackInline"))


def _rubric_text(block: Element) -> str:
    if len(block) == 0:
        return block.text or ""
    return "\n".join(_plain_text(child).strip() for child in block)


def _remove(parent: Element, child: Element, replacement: str = "") -> None:
    """Remove ``child`` and keep the text after it (with ``replacement`` in its place)."""
    index = list(parent).index(child)
    following = replacement + (child.tail or "")
    if index:
        previous = parent[index - 1]
        previous.tail = (previous.tail or "") + following
    else:
        parent.text = (parent.text or "") + following
    parent.remove(child)


def _question_text(body: Element, interaction: Element) -> str:
    """The item body without its interaction, rubric and feedback blocks, plus the
    interaction's prompt."""
    body = copy.deepcopy(body)
    parents = {child: parent for parent in body.iter() for child in parent}
    target = next(e for e in body.iter() if local_name(e.tag) == local_name(interaction.tag))
    prompt = first_child(target, "prompt")
    prompt_html = inner_html(prompt) if prompt is not None else ""
    parent = parents[target]
    inline = local_name(target.tag) == "textEntryInteraction" and _has_content_besides(
        parent, target
    )
    _remove(parent, target, "_____" if inline else "")
    # Blocks that held only the interaction (TAO nests it in grid rows and columns).
    while parent is not body and not _has_content_besides(parent, None) and parent in parents:
        holder = parents[parent]
        _remove(holder, parent)
        parent = holder
    for element in [
        e for e in body.iter() if local_name(e.tag) in ("rubricBlock", "feedbackBlock")
    ]:
        _remove(next(p for p in body.iter() if element in list(p)), element)
    return _unwrap_text(body).strip() + prompt_html.strip()


def _has_content_besides(parent: Element, child: Element | None) -> bool:
    others = [c for c in parent if c is not child]
    texts = [parent.text or ""] + [c.tail or "" for c in parent]
    return bool(others) or any(t.strip() for t in texts)


def _unwrap_text(body: Element) -> str:
    """Our export's ``<div class="exam-text">`` wrapper is not part of the text."""
    only = list(body)
    blank = not (body.text or "").strip() and all(not (c.tail or "").strip() for c in only)
    wrapped = len(only) == 1 and only[0].get("class") == TEXT_WRAPPER_CLASS
    if blank and wrapped and local_name(only[0].tag) == "div":
        return inner_html(only[0])
    return inner_html(body)


# ---------------------------------------------------------------------------------------
# Reading files and packages
# ---------------------------------------------------------------------------------------


def _read_item(text: str, log: ProblemLog, media: dict[str, bytes]) -> QuestionData | None:
    try:
        doc = parse_xml(text)
    except ImportFailed as failure:
        for problem in failure.problems:
            log.add(problem.line, problem.message)
        return None
    return _ItemReader(doc, log, media).read()


MANIFEST_ALONE = (
    "đây là tệp kê khai imsmanifest.xml của một gói QTI, không có câu hỏi: "
    "hãy tải lên cả gói ZIP (tệp kê khai cùng các tệp câu hỏi)"
)
QTI3_NOT_SUPPORTED = (
    "đây là câu hỏi QTI 3.0, chưa được hỗ trợ: hãy xuất lại dưới dạng QTI 2.1 hoặc 2.2"
)


def _is_qti3(root: Element) -> bool:
    return local_name(root.tag).startswith("qti-") or root.tag.startswith(
        "{" + QTI3_NAMESPACE_PREFIX
    )


def version_of(data: bytes) -> str | None:
    """ "2.2" or "2.1", as the namespace of a file (or of a package's manifest and items)
    says; None when it says neither."""
    texts = [data[:65536]]
    if data[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = [n for n in archive.namelist() if n.lower().endswith(".xml")]
                texts = [archive.open(n).read(65536) for n in names[:50]]
        except (zipfile.BadZipFile, OSError, RuntimeError, EOFError, zlib.error):
            return None  # a damaged package: its reader says so
    joined = b"".join(texts)
    if b"imsqti_v2p2" in joined or b"imsqti_item_xmlv2p2" in joined:
        return "2.2"
    if b"imsqti_v2p1" in joined or b"imsqti_item_xmlv2p1" in joined:
        return "2.1"
    return None


def parse(data: bytes, notices: list[ImportProblem] | None = None) -> list[QuestionData]:
    """The questions of a QTI zip package or of a single assessmentItem XML file;
    ``notices`` receives what is imported otherwise than written."""
    if data[:2] == b"PK":  # zip local header or empty-archive record
        return _Package(data, notices).read()
    text = decode_xml(data)
    doc = parse_xml(text)
    if local_name(doc.root.tag) == "manifest":
        raise fail(MANIFEST_ALONE, doc.line(doc.root))
    if _is_qti3(doc.root):
        raise fail(QTI3_NOT_SUPPORTED, doc.line(doc.root))
    log = ProblemLog(notices=notices)
    question = _read_item(text, log, {})
    log.raise_if_any()
    return [question] if question is not None else []


class _Package:
    """A zip content package: the manifest says which files are items."""

    def __init__(self, data: bytes, notices: list[ImportProblem] | None = None):
        self.notices = notices
        try:
            self.archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            raise fail("tệp zip bị hỏng") from None
        self.entries = {i.filename: i for i in self.archive.infolist() if not i.is_dir()}
        if len(self.entries) > MAX_PACKAGE_FILES:
            raise fail(f"gói có quá nhiều tệp (tối đa {MAX_PACKAGE_FILES})")
        if sum(i.file_size for i in self.entries.values()) > MAX_PACKAGE_BYTES:
            raise fail("gói quá lớn khi giải nén")
        self.problems: list[ImportProblem] = []

    def read(self) -> list[QuestionData]:
        manifest_path = self._manifest_path()
        manifest = self._parse_manifest(manifest_path)
        base = posixpath.dirname(manifest_path)
        resources = descendants(manifest.root, "resource")
        by_id = {r.get("identifier", ""): r for r in resources}
        items = [r for r in resources if r.get("type", "").startswith("imsqti_item_xmlv2")]
        if not items:
            if any(r.get("type", "").startswith("imsqti_item_xmlv3") for r in resources):
                raise fail(QTI3_NOT_SUPPORTED)
            raise fail("gói không chứa câu hỏi QTI 2.x (resource imsqti_item_xmlv2p1/v2p2)")
        questions = []
        for resource in items:
            question = self._read_resource(resource, by_id, base, manifest)
            if question is not None:
                questions.append(question)
        if self.problems:
            raise ImportFailed(self.problems)
        return questions

    def _manifest_path(self) -> str:
        candidates = [n for n in self.entries if posixpath.basename(n).lower() == "imsmanifest.xml"]
        if not candidates:
            raise fail("gói QTI thiếu tệp imsmanifest.xml")
        return min(candidates, key=lambda n: n.count("/"))

    def _parse_manifest(self, path: str) -> XmlDocument:
        try:
            return parse_xml(decode_xml(self._read(path)))
        except ImportFailed as failure:
            raise ImportFailed(
                [ImportProblem(p.line, f"{path}: {p.message}") for p in failure.problems]
            ) from None

    def _read(self, path: str) -> bytes:
        return self.archive.read(self.entries[path])

    def _read_resource(
        self, resource: Element, by_id: dict[str, Element], base: str, manifest: XmlDocument
    ) -> QuestionData | None:
        href = _resolve(base, resource.get("href", ""))
        if href not in self.entries:
            line = manifest.line(resource)
            self.problems.append(
                ImportProblem(line, f"imsmanifest.xml: không tìm thấy tệp «{href}»")
            )
            return None
        log = ProblemLog(prefix=href, notices=self.notices)
        try:
            text = decode_xml(self._read(href))
        except ImportFailed as failure:
            self.problems.extend(
                ImportProblem(p.line, f"{href}: {p.message}") for p in failure.problems
            )
            return None
        media = self._media(resource, by_id, base, href, text)
        question = _read_item(text, log, media)
        self.problems.extend(log.in_line_order())
        return question

    def _media(
        self,
        resource: Element,
        by_id: dict[str, Element],
        base: str,
        item_path: str,
        item_text: str,
    ) -> dict[str, bytes]:
        """Files listed for the item (and its dependencies) plus files its text refers
        to, keyed by their path relative to the item. A file the text refers to but the
        package lacks is left for ``finish_and_check`` to report as a notice (imported
        with its alt text, as Moodle imports a missing image)."""
        item_dir = posixpath.dirname(item_path)
        listed = [resource] + [
            by_id[d.get("identifierref", "")]
            for d in children(resource, "dependency")
            if d.get("identifierref", "") in by_id
        ]
        paths = {_resolve(base, f.get("href", "")) for r in listed for f in children(r, "file")} - {
            item_path
        }
        media = {
            posixpath.relpath(p, item_dir): self._read(p)
            for p in sorted(paths)
            if p in self.entries
        }
        for reference in _local_references(item_text):
            path = _resolve(item_dir, reference)
            if path in self.entries and path not in paths:
                media[reference] = self._read(path)
        return media


_REFERENCE = re.compile(r"""\b(?:src|data)\s*=\s*["']([^"']+)["']""")


def _local_references(item_text: str) -> list[str]:
    """Relative file references (img src, object data) inside an item."""
    found = []
    for match in _REFERENCE.finditer(item_text):
        reference = html.unescape(match.group(1))
        parts = urlsplit(reference)
        local = not parts.scheme and not parts.netloc and not reference.startswith(("#", "/"))
        if local and not reference.lower().endswith(".xsd"):
            found.append(reference)
    return list(dict.fromkeys(found))


def _resolve(base: str, href: str) -> str:
    return posixpath.normpath(posixpath.join(base, unquote(href))).lstrip("/")


# ---------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------


class _ItemWriter:
    """Builds one assessmentItem. Structure first, indented; HTML content is filled in
    afterwards so indentation never leaks into the question's text."""

    def __init__(self, q: QuestionData, identifier: str, version: QtiVersion | None = None):
        self.q = q
        self.version = version or QTI_VERSIONS["2.1"]
        self.root = Element(
            "assessmentItem",
            {
                "xmlns": self.version.namespace,
                "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
                "xsi:schemaLocation": f"{self.version.namespace} {self.version.schema}",
                "identifier": identifier,
                "title": q.name,
                "adaptive": "false",
                "timeDependent": "false",
            },
        )
        self.html_slots: list[tuple[Element, str]] = []
        self.feedback_slots: list[tuple[str, str]] = []  # (option identifier, feedback)

    def build(self) -> bytes:
        self._declarations()
        body = SubElement(self.root, "itemBody")
        self.html_slots.append(
            (SubElement(body, "div", {"class": TEXT_WRAPPER_CLASS}), self.q.text)
        )
        _INTERACTION_WRITERS[self.q.type](self, body)
        self._response_processing()
        self._general_feedback()
        ET.indent(self.root)
        self._fill_content()
        return ET.tostring(self.root, encoding="utf-8", xml_declaration=True) + b"\n"

    def _response_processing(self) -> None:
        """The rules of the map_response and match_correct templates written out, plus
        the one no template has: FEEDBACK set to the chosen options (their feedback)
        and GENERAL, so that a player shows the modal feedback."""
        sets_feedback = _has_feedback(self.q)
        if self.q.type == "essay" and not sets_feedback:
            return  # marked by people, nothing to show
        processing = SubElement(self.root, "responseProcessing")
        if self.q.type != "essay":
            exact = self.q.type in ("true_false", "matching", "ordering")
            (_match_correct if exact else _map_response)(processing, self.q.default_points)
        if sets_feedback:
            shown = SubElement(
                SubElement(processing, "setOutcomeValue", identifier="FEEDBACK"), "multiple"
            )
            if self.feedback_slots:
                SubElement(shown, "variable", identifier="RESPONSE")
            if self.q.general_feedback:
                SubElement(shown, "baseValue", baseType="identifier").text = GENERAL_FEEDBACK_ID

    def _general_feedback(self) -> None:
        """Each option's feedback, then the general one: modal feedback shown when
        FEEDBACK holds its identifier (feedbackInline may hold no paragraph)."""
        for identifier, feedback in self.feedback_slots:
            self._modal_feedback(identifier, feedback)
        if self.q.general_feedback:
            self._modal_feedback(GENERAL_FEEDBACK_ID, self.q.general_feedback)

    def _modal_feedback(self, identifier: str, text: str) -> None:
        element = SubElement(
            self.root,
            "modalFeedback",
            outcomeIdentifier="FEEDBACK",
            identifier=identifier,
            showHide="show",
        )
        self.html_slots.append((element, text))

    def _fill_content(self) -> None:
        for element, text in self.html_slots:
            fill_html(element, text, self.version)

    # --- declarations -------------------------------------------------------------------

    def _declarations(self) -> None:
        q = self.q
        cardinality, base_type = _RESPONSE_SHAPES[q.type]
        declaration = SubElement(
            self.root,
            "responseDeclaration",
            identifier="RESPONSE",
            cardinality=cardinality,
            baseType=base_type,
        )
        correct, mapping = self._scoring()
        if correct:
            container = SubElement(declaration, "correctResponse")
            for value in correct:
                SubElement(container, "value").text = value
        if mapping:
            points = format_number(q.default_points)
            mapping_element = SubElement(
                declaration, "mapping", defaultValue="0", lowerBound="0", upperBound=points
            )
            for key, fraction in mapping:
                entry = SubElement(mapping_element, "mapEntry", mapKey=key)
                entry.set("mappedValue", format_number(fraction * q.default_points))
                if q.type == "short_answer":
                    entry.set("caseSensitive", "true" if q.case_sensitive else "false")
        score = SubElement(
            self.root,
            "outcomeDeclaration",
            identifier="SCORE",
            cardinality="single",
            baseType="float",
            normalMaximum=format_number(q.default_points),
        )
        SubElement(SubElement(score, "defaultValue"), "value").text = "0"
        if _has_feedback(q):
            SubElement(
                self.root,
                "outcomeDeclaration",
                identifier="FEEDBACK",
                cardinality="multiple",
                baseType="identifier",
            )

    def _scoring(self) -> tuple[list[str], list[tuple[str, float]]]:
        """The correct response values and the (key, fraction) mapping."""
        q = self.q
        if q.type in ("single_choice", "multiple_response"):
            ids = _choice_ids(len(q.choices))
            correct = [i for i, c in zip(ids, q.choices, strict=True) if c.fraction > 0]
            if q.type == "single_choice":
                # One value (single cardinality), even with several full options: the
                # mapping gives each of them its full score.
                full = [i for i, c in zip(ids, q.choices, strict=True) if c.fraction == 1.0]
                correct = full[:1]
            return correct, [
                (i, c.fraction) for i, c in zip(ids, q.choices, strict=True) if c.fraction
            ]
        if q.type == "true_false":
            return ["true" if q.correct_answer else "false"], []
        if q.type == "short_answer":
            answers = _distinct_answers(q.answers)
            correct = [a.text for a in answers if a.fraction == 1.0]
            return correct, [(a.text, a.fraction) for a in answers]
        if q.type == "matching":
            prompts, answer_ids = _matching_ids(q)
            return [f"{p} {answer_ids[pair.answer]}" for p, pair in prompts], []
        if q.type == "ordering":
            return _choice_ids(len(q.items)), []
        return [], []

    # --- interactions -------------------------------------------------------------------

    def choice_interaction(self, body: Element) -> None:
        q = self.q
        single = q.type == "single_choice"
        interaction = SubElement(
            body,
            "choiceInteraction",
            responseIdentifier="RESPONSE",
            shuffle="true" if q.shuffle_choices else "false",
            maxChoices="1" if single else "0",
        )
        for identifier, choice in zip(_choice_ids(len(q.choices)), q.choices, strict=True):
            element = SubElement(interaction, "simpleChoice", identifier=identifier)
            self.html_slots.append((element, choice.text))
            if choice.feedback:
                self.feedback_slots.append((identifier, choice.feedback))

    def true_false_interaction(self, body: Element) -> None:
        interaction = SubElement(
            body,
            "choiceInteraction",
            responseIdentifier="RESPONSE",
            shuffle="false",
            maxChoices="1",
        )
        feedback = dict(zip(("true", "false"), true_false_feedback(self.q), strict=True))
        for identifier, label in (("true", "Đúng"), ("false", "Sai")):
            element = SubElement(interaction, "simpleChoice", identifier=identifier)
            element.text = label
            if feedback[identifier]:
                self.feedback_slots.append((identifier, feedback[identifier]))

    def text_entry_interaction(self, body: Element) -> None:
        paragraph = SubElement(body, "p")
        SubElement(
            paragraph, "textEntryInteraction", responseIdentifier="RESPONSE", expectedLength="30"
        )

    def extended_text_interaction(self, body: Element) -> None:
        if self.q.rubric:
            block = SubElement(body, "rubricBlock", view="scorer")
            for line in _rubric_lines(self.q):
                SubElement(block, "p").text = line
        SubElement(
            body, "extendedTextInteraction", responseIdentifier="RESPONSE", expectedLines="15"
        )

    def match_interaction(self, body: Element) -> None:
        q = self.q
        prompts, answer_ids = _matching_ids(q)
        interaction = SubElement(
            body,
            "matchInteraction",
            responseIdentifier="RESPONSE",
            shuffle="true" if q.shuffle_choices else "false",
            maxAssociations=str(len(prompts)),
        )
        prompt_set = SubElement(interaction, "simpleMatchSet")
        for identifier, pair in prompts:
            element = SubElement(
                prompt_set, "simpleAssociableChoice", identifier=identifier, matchMax="1"
            )
            self.html_slots.append((element, pair.prompt))
        answer_set = SubElement(interaction, "simpleMatchSet")
        for answer, identifier in answer_ids.items():
            element = SubElement(
                answer_set, "simpleAssociableChoice", identifier=identifier, matchMax="0"
            )
            element.text = answer

    def order_interaction(self, body: Element) -> None:
        interaction = SubElement(
            body, "orderInteraction", responseIdentifier="RESPONSE", shuffle="true"
        )
        for identifier, item in zip(_choice_ids(len(self.q.items)), self.q.items, strict=True):
            self.html_slots.append(
                (SubElement(interaction, "simpleChoice", identifier=identifier), item)
            )


def _set_score(parent: Element) -> Element:
    return SubElement(parent, "setOutcomeValue", identifier="SCORE")


def _float(parent: Element, value: float) -> None:
    SubElement(parent, "baseValue", baseType="float").text = format_number(value)


def _map_response(processing: Element, _points: float) -> None:
    """The map_response template: no response scores 0, else the mapped value."""
    condition = SubElement(processing, "responseCondition")
    when_null = SubElement(condition, "responseIf")
    SubElement(SubElement(when_null, "isNull"), "variable", identifier="RESPONSE")
    _float(_set_score(when_null), 0)
    SubElement(_set_score(SubElement(condition, "responseElse")), "mapResponse").set(
        "identifier", "RESPONSE"
    )


def _match_correct(processing: Element, points: float) -> None:
    """The match_correct template, scoring the question's points when right."""
    condition = SubElement(processing, "responseCondition")
    when_right = SubElement(condition, "responseIf")
    match = SubElement(when_right, "match")
    SubElement(match, "variable", identifier="RESPONSE")
    SubElement(match, "correct", identifier="RESPONSE")
    _float(_set_score(when_right), points)
    _float(_set_score(SubElement(condition, "responseElse")), 0)


_RESPONSE_SHAPES = {
    "single_choice": ("single", "identifier"),
    "multiple_response": ("multiple", "identifier"),
    "true_false": ("single", "identifier"),
    "short_answer": ("single", "string"),
    "matching": ("multiple", "directedPair"),
    "ordering": ("ordered", "identifier"),
    "essay": ("single", "string"),
}
_INTERACTION_WRITERS: dict[str, Callable[[_ItemWriter, Element], None]] = {
    "single_choice": _ItemWriter.choice_interaction,
    "multiple_response": _ItemWriter.choice_interaction,
    "true_false": _ItemWriter.true_false_interaction,
    "short_answer": _ItemWriter.text_entry_interaction,
    "essay": _ItemWriter.extended_text_interaction,
    "matching": _ItemWriter.match_interaction,
    "ordering": _ItemWriter.order_interaction,
}


def _choice_ids(count: int) -> list[str]:
    return [f"c{n}" for n in range(1, count + 1)]


def _matching_ids(q: QuestionData) -> tuple[list[tuple[str, MatchPair]], dict[str, str]]:
    """Prompt identifiers, and one identifier per distinct answer text (shared answers
    and distractors included)."""
    prompts = [(f"p{n}", pair) for n, pair in enumerate((p for p in q.pairs if p.prompt), start=1)]
    answers: dict[str, str] = {}
    for pair in q.pairs:
        answers.setdefault(pair.answer, f"a{len(answers) + 1}")
    return prompts, answers


def _has_feedback(q: QuestionData) -> bool:
    return bool(q.general_feedback) or any(c.feedback for c in q.choices)


def _rubric_lines(q: QuestionData) -> list[str]:
    if rubric_survives_lines(q.rubric):
        return rubric_to_lines(q.rubric)
    return q.rubric[0].criterion.split("\n")


def _drop_plugin_prefix(text: str) -> str:
    return text.replace(PLUGINFILE, "")


def _map_html(q: QuestionData, change: Callable[[str], str]) -> QuestionData:
    return replace(
        q,
        text=change(q.text),
        general_feedback=change(q.general_feedback),
        choices=[replace(c, text=change(c.text), feedback=change(c.feedback)) for c in q.choices],
        pairs=[replace(p, prompt=change(p.prompt)) for p in q.pairs],
        items=[change(item) for item in q.items],
    )


def _as_package_holds(text: str) -> str:
    # <strike> reads back as <s>, the same strike-through: no loss.
    return _drop_plugin_prefix(text).replace("<strike>", "<s>").replace("</strike>", "</s>")


def as_html(question: QuestionData) -> QuestionData:
    """The question as a package holds it: HTML text, Moodle's file prefix dropped."""
    return _map_html(rich_fields_as_html(only_type_fields(question)), _as_package_holds)


def _as_schema_allows(text: str, version: QtiVersion) -> str:
    """The HTML as written for ``version`` and read back (attributes it refuses gone)."""
    return inner_html(fill_html(Element("div"), text, version))


def missing_media(question: QuestionData) -> list[str]:
    """Local files the question's HTML refers to but its media lacks (the package
    would be broken)."""
    q = as_html(question)
    texts = [q.text, q.general_feedback, *(c.text + c.feedback for c in q.choices)]
    texts += [p.prompt for p in q.pairs] + q.items
    references = _local_references("".join(texts))
    return [r for r in references if r not in q.media and unquote(r) not in q.media]


def _safe_media_name(name: str) -> bool:
    parts = name.split("/")
    return bool(name) and "\\" not in name and not name.startswith("/") and ".." not in parts


def _check_exportable(q: QuestionData, checker: ExportChecker) -> None:
    if q.type not in SUPPORTED_TYPES:
        checker.refuse(q, unsupported_type_message(q.type))
        return
    if missing := missing_media(q):
        checker.refuse(q, f"thiếu tệp đính kèm được nhắc đến trong nội dung: {', '.join(missing)}")
    if any(not _safe_media_name(name) for name in q.media):
        checker.refuse(q, "tên tệp đính kèm không hợp lệ cho gói zip")
    if q.type == "essay" and not rubric_writable_as_text(q):
        checker.refuse(q, RUBRIC_NOT_WRITABLE)


def _manifest(resources: list[tuple[str, str, list[str]]], version: QtiVersion) -> bytes:
    root = Element("manifest", {"xmlns": CP_NAMESPACE, "identifier": "MANIFEST-EXAM-BANK"})
    metadata = SubElement(root, "metadata")
    SubElement(metadata, "schema").text = f"QTIv{version.label} Package"
    SubElement(metadata, "schemaversion").text = "1.0.0"
    SubElement(root, "organizations")
    container = SubElement(root, "resources")
    for identifier, href, files in resources:
        resource = SubElement(
            container, "resource", identifier=identifier, type=version.resource_type, href=href
        )
        for file in [href, *files]:
            SubElement(resource, "file", href=file)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _zip_entry(archive: zipfile.ZipFile, path: str, content: bytes) -> None:
    # A fixed timestamp keeps the package byte-for-byte reproducible.
    info = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, content)


def dump(questions: Sequence[QuestionData], version: str = "2.1") -> bytes:
    """A QTI 2.1 (or 2.2) content package (zip): one folder per item, media beside it."""
    spec = QTI_VERSIONS[version]
    checker = ExportChecker()
    for question in questions:
        _check_exportable(question, checker)
    checker.raise_if_any()
    buffer = io.BytesIO()
    resources = []
    with zipfile.ZipFile(buffer, "w") as archive:
        for number, question in enumerate(questions, start=1):
            folder = f"items/{number:04d}"
            identifier = question.key or f"Q{number:04d}"
            _zip_entry(
                archive,
                f"{folder}/item.xml",
                _ItemWriter(as_html(question), identifier, spec).build(),
            )
            for name, content in question.media.items():
                _zip_entry(archive, f"{folder}/{name}", content)
            media_paths = [f"{folder}/{name}" for name in question.media]
            resources.append((f"RES-{number:04d}", f"{folder}/item.xml", media_paths))
        _zip_entry(archive, "imsmanifest.xml", _manifest(resources, spec))
    return buffer.getvalue()


def _distinct_answers(answers: list[ShortAnswer]) -> list[ShortAnswer]:
    """One answer per text (a QTI mapping has one entry per key), the best credit kept."""
    best: dict[str, ShortAnswer] = {}
    for answer in answers:
        if answer.text not in best or answer.fraction > best[answer.text].fraction:
            best[answer.text] = answer  # an existing key keeps its first position
    return list(best.values())


def _matching_as_written(pairs: list[MatchPair]) -> list[MatchPair]:
    """Real pairs first, then each distractor text not already an answer, once."""
    real = [p for p in pairs if p.prompt]
    answers = {p.answer for p in real}
    distractors: list[MatchPair] = []
    for pair in pairs:
        if not pair.prompt and pair.answer not in answers:
            answers.add(pair.answer)
            distractors.append(pair)
    return real + distractors


def round_trip_form(question: QuestionData, version: str = "2.1") -> QuestionData:
    """What ``parse(dump([question], version))`` gives back."""
    spec = QTI_VERSIONS[version]
    written = _map_html(as_html(question), lambda text: _as_schema_allows(text, spec))
    q = reset_fields(
        finish_question(written),
        "category",
        "tags",
        "difficulty",
        "legal_basis",
        "legal_basis_date",
        "diacritics_sensitive",
    )
    return replace(
        q,
        choices=[replace(c, fraction=round(c.fraction, FRACTION_DECIMALS)) for c in q.choices],
        answers=[
            ShortAnswer(a.text, round(a.fraction, FRACTION_DECIMALS))
            for a in _distinct_answers(q.answers)
        ],
        pairs=_matching_as_written(q.pairs),
    )
