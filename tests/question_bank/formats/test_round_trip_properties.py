"""Property: export then import gives back the question (what the format carries of it)."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from question_strategies import questions

from exam.question_bank.formats import ExportUnsupported, aiken, gift, moodle_xml, native, qti
from exam.question_bank.interchange import QUESTION_TYPES, QuestionData

ROUND_TRIP = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _lists(types, **options) -> st.SearchStrategy[list[QuestionData]]:
    return st.lists(questions(types, **options), min_size=1, max_size=4)


@ROUND_TRIP
@given(_lists(gift.SUPPORTED_TYPES, arrow=False))
def test_gift_round_trip(batch: list[QuestionData]) -> None:
    assert gift.parse(gift.dump(batch)) == [gift.round_trip_form(q) for q in batch]


@ROUND_TRIP
@given(_lists(moodle_xml.SUPPORTED_TYPES))
def test_moodle_xml_round_trip(batch: list[QuestionData]) -> None:
    assert moodle_xml.parse(moodle_xml.dump(batch)) == [
        moodle_xml.round_trip_form(q) for q in batch
    ]


@ROUND_TRIP
@given(_lists(QUESTION_TYPES, with_key=True).filter(lambda b: len({q.key for q in b}) == len(b)))
def test_native_round_trip_keeps_everything(batch: list[QuestionData]) -> None:
    assert native.parse(native.dump(batch)) == batch


@ROUND_TRIP
@given(
    _lists(qti.SUPPORTED_TYPES, with_key=True).filter(lambda b: len({q.key for q in b}) == len(b))
)
def test_qti_round_trip(batch: list[QuestionData]) -> None:
    assume(not any(qti.missing_media(q) for q in batch))
    assert qti.parse(qti.dump(batch)) == [qti.round_trip_form(q) for q in batch]


@ROUND_TRIP
@given(_lists(aiken.SUPPORTED_TYPES, arrow=True))
def test_aiken_round_trip(batch: list[QuestionData]) -> None:
    try:
        written = aiken.dump(batch)
    except ExportUnsupported:  # a text line that reads as "A. …" or "ANSWER: …"
        assume(False)
    assert aiken.parse(written) == [aiken.round_trip_form(q) for q in batch]
