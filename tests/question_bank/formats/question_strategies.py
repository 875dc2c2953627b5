"""Hypothesis strategies for valid, canonical QuestionData (what parsers produce):
Vietnamese text, characters that need escaping in GIFT or XML, newlines."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence

from hypothesis import assume
from hypothesis import strategies as st

from exam.question_bank.formats.common import (
    finish_question,
    true_false_choices,
    validate_question,
)
from exam.question_bank.interchange import (
    Choice,
    MatchPair,
    NumericAnswer,
    QuestionData,
    RubricCriterion,
    ShortAnswer,
)

VIETNAMESE = [
    "Luật Cán bộ, công chức",
    "Điều 3",
    "Nghị định 30/2020/NĐ-CP",
    "Ủy ban nhân dân",
    "thẩm quyền",
    "đạo đức công vụ",
    "Hà Nội",
    "$$x^2$$",
    "\\frac{1}{2}",
    "a -> b",
    "50%",
    "[html]",
    "::tên::",
    "// không phải chú thích",
    "$CATEGORY: x",
    "ANSWER: A",
    "A. phương án",
    "<b>không phải thẻ</b>",
    "&amp;",
    "]]>",
    "@@PLUGINFILE@@/a.png",
    "Vie\u0302\u0323t Nam",  # decomposed: must come back composed
]
# A lone combining acute (U+0301) after any letter checks NFC normalisation.
SPECIAL_CHARACTERS = [*"{}=~#:\\%[]-><&\"'/$\t\n ", "\u00a0", "\u0301", "Ơ", "ữ"]

_characters = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn", "Co"))
_alphabet = st.one_of(_characters, st.sampled_from(SPECIAL_CHARACTERS))
_pieces = st.one_of(st.text(_alphabet, min_size=1, max_size=12), st.sampled_from(VIETNAMESE))


def texts(*, newlines: bool = True, arrow: bool = True) -> st.SearchStrategy[str]:
    """Non-empty text as a parser would hand it back (NFC, trimmed)."""
    raw = st.lists(_pieces, min_size=1, max_size=5).map(" ".join)
    cleaned = raw.map(lambda s: finish_question(QuestionData("essay", s)).text)
    if not newlines:
        cleaned = cleaned.map(lambda s: " ".join(s.replace("\t", " ").split("\n")).strip())
    if not arrow:
        cleaned = cleaned.map(lambda s: s.replace("->", "→"))
    return cleaned.filter(bool)


def optional(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.just(""), strategy)


HTML_FRAGMENTS = [
    "<p>Đoạn <b>đậm</b> và <i>nghiêng</i></p>",
    "<ul><li>một</li><li>hai</li></ul>",
    "H<sub>2</sub>O và x<sup>2</sup>",
    '<img src="@@PLUGINFILE@@/hinh.png" alt="hình">',
    "<table><tbody><tr><td>1</td><td>2</td></tr></tbody></table>",
    "a &lt; b &amp;&amp; c &gt; d",
    "dòng<br>mới",
]


def html_texts() -> st.SearchStrategy[str]:
    escaped = texts().map(lambda s: html.escape(s, quote=False))
    parts = st.lists(st.one_of(st.sampled_from(HTML_FRAGMENTS), escaped), min_size=1, max_size=3)
    return parts.map("".join)


FRACTIONS_OTHER = [0.0, 0.0, 0.5, -0.5, 0.3333333, -1.0, 0.25, -0.1]
POSITIVE_SPLITS = [[1.0], [0.5, 0.5], [0.3333333, 0.3333333, 0.3333334], [0.25] * 4, [0.7, 0.3]]
NUMBERS = st.one_of(
    st.integers(-(10**9), 10**9).map(float),
    st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False),
    st.sampled_from([0.1, 3.14, 1e-5, 2.5e10, -0.0]),
)


@st.composite
def single_choices(draw: st.DrawFn, rich: st.SearchStrategy[str]) -> list[Choice]:
    others = draw(st.lists(st.sampled_from(FRACTIONS_OTHER), min_size=1, max_size=4))
    fractions = [1.0, *others]
    order = draw(st.permutations(fractions))
    return [Choice(draw(rich), f, draw(optional(rich))) for f in order]


@st.composite
def multiple_choices(draw: st.DrawFn, rich: st.SearchStrategy[str]) -> list[Choice]:
    positives = draw(st.sampled_from(POSITIVE_SPLITS))
    others = draw(st.lists(st.sampled_from([0.0, -0.5, -1.0, -0.3333333]), max_size=3))
    fractions = draw(st.permutations([*positives, *others]))
    assume(len(fractions) >= 2)
    return [Choice(draw(rich), f, draw(optional(rich))) for f in fractions]


def _type_fields(draw: st.DrawFn, kind: str, rich: st.SearchStrategy[str], arrow: bool) -> dict:
    plain = texts(arrow=arrow)
    if kind == "single_choice":
        return {"choices": draw(single_choices(rich)), "shuffle_choices": draw(st.booleans())}
    if kind == "multiple_response":
        return {"choices": draw(multiple_choices(rich)), "shuffle_choices": draw(st.booleans())}
    if kind == "true_false":
        correct = draw(st.booleans())
        feedback = (draw(optional(rich)), draw(optional(rich)))
        return {"correct_answer": correct, "choices": true_false_choices(correct, *feedback)}
    if kind == "short_answer":
        extra = draw(st.lists(st.sampled_from([1.0, 0.5, 0.8, 0.0]), max_size=3))
        answers = [
            ShortAnswer(draw(plain), f, draw(optional(texts(arrow=arrow)))) for f in [1.0, *extra]
        ]
        return {
            "answers": answers,
            "case_sensitive": draw(st.booleans()),
            "diacritics_sensitive": draw(st.booleans()),
        }
    if kind == "numerical":
        extra = draw(st.lists(st.sampled_from([0.5, 0.0, 1.0]), max_size=2))
        answers = [
            NumericAnswer(draw(NUMBERS), abs(draw(NUMBERS)) % 1000, f, draw(optional(rich)))
            for f in [1.0, *extra]
        ]
        return {"numeric_answers": answers}
    if kind == "matching":
        prompts = draw(st.lists(texts(arrow=arrow), min_size=2, max_size=4))
        pairs = [MatchPair(p, draw(plain)) for p in prompts]
        pairs += [MatchPair("", a) for a in draw(st.lists(plain, max_size=2))]
        return {"pairs": draw(st.permutations(pairs)), "shuffle_choices": draw(st.booleans())}
    if kind == "ordering":
        return {"items": draw(st.lists(rich, min_size=2, max_size=5, unique=True))}
    rubric = [
        RubricCriterion(draw(texts(newlines=False)), draw(st.sampled_from([0.0, 1.0, 2.5, 30.0])))
        for _ in range(draw(st.integers(0, 3)))
    ]
    return {"rubric": rubric}


@st.composite
def questions(
    draw: st.DrawFn,
    types: Sequence[str],
    *,
    arrow: bool = True,
    with_key: bool = False,
) -> QuestionData:
    """A valid question of one of ``types``, in the canonical form parsers return."""
    kind = draw(st.sampled_from(list(types)))
    text_format = draw(st.sampled_from(["plain", "plain", "markdown", "html"]))
    rich = html_texts() if text_format == "html" else texts(arrow=arrow)
    single_line = texts(newlines=False)
    key = draw(single_line) if with_key else draw(optional(single_line))
    question = QuestionData(
        type=kind,
        text=draw(rich),
        name=draw(optional(single_line)),
        key=key,
        text_format=text_format,
        category=draw(
            st.lists(single_line.map(lambda s: s.replace("/", "|")), max_size=3).map("/".join)
        ),
        difficulty=draw(st.sampled_from([None, "easy", "medium", "hard"])),
        tags=draw(st.lists(single_line, max_size=3, unique=True)),
        legal_basis=draw(optional(single_line)),
        legal_basis_date=draw(
            st.one_of(st.none(), st.dates(dt.date(1945, 9, 2), dt.date(2100, 1, 1)))
        ),
        default_points=draw(st.sampled_from([1.0, 2.0, 0.5, 10.0, 2.5])),
        general_feedback=draw(optional(rich)),
        media=draw(
            st.dictionaries(
                st.sampled_from(["hinh.png", "anh 2.jpg", "so-do/a.gif"]),
                st.binary(max_size=40),
                max_size=2,
            )
        ),
        **_type_fields(draw, kind, rich, arrow),
    )
    question = finish_question(question)
    assume(not validate_question(question))
    return question
