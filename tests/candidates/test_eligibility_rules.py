"""The pure rules of eligibility (exam/candidates/eligibility.py): the statutory retirement
age at the boundaries of its schedule, the 5-year term and the 48-month exception, the
discipline cool-offs, the health certificate, the national ID, and each criterion's line."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib

import pytest

from exam.candidates.eligibility import (
    DocumentKind,
    Facts,
    Outcome,
    add_months,
    months_between,
    national_id_problems,
    overall,
    precheck,
    retirement,
)
from exam.candidates.queries import lot_key, presentation_order
from exam.core.errors import ValidationFailed
from exam.rounds.standards import (
    DegreeLevel,
    Discipline,
    PoliticalTheory,
    Rank,
    Rating,
    Standards,
    StateManagement,
)

D = dt.date


# --- months ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2021, 1, 31), 1, D(2021, 2, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2020, 2, 29), 12, D(2021, 2, 28)),
        (D(2021, 12, 15), 1, D(2022, 1, 15)),
        (D(2021, 3, 15), -3, D(2020, 12, 15)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_month_end(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2025, 3, 21), D(2026, 3, 21), 12),
        (D(2025, 3, 22), D(2026, 3, 21), 11),
        (D(2025, 1, 31), D(2025, 2, 28), 1),
        (D(2025, 1, 31), D(2025, 2, 27), 0),
        (D(2026, 3, 21), D(2025, 3, 21), -12),
    ],
)
def test_months_between_counts_whole_months(start, end, expected):
    assert months_between(start, end) == expected


# --- the retirement age (NĐ 135/2019, Appendix I) ----------------------------------------


@pytest.mark.parametrize(
    ("born", "male", "age", "reached", "retires"),
    [
        # Men: 60 before 2021; 60y3m in 2021, +3 months a year; 62 from 2028.
        (D(1960, 12, 10), True, (60, 0), D(2020, 12, 10), D(2021, 1, 1)),
        (D(1961, 1, 10), True, (60, 3), D(2021, 4, 10), D(2021, 5, 1)),
        (D(1961, 9, 30), True, (60, 3), D(2021, 12, 30), D(2022, 1, 1)),
        (D(1961, 10, 1), True, (60, 6), D(2022, 4, 1), D(2022, 5, 1)),
        (D(1962, 6, 15), True, (60, 6), D(2022, 12, 15), D(2023, 1, 1)),
        (D(1962, 7, 15), True, (60, 9), D(2023, 4, 15), D(2023, 5, 1)),
        (D(1963, 4, 1), True, (61, 0), D(2024, 4, 1), D(2024, 5, 1)),
        (D(1966, 3, 31), True, (61, 9), D(2027, 12, 31), D(2028, 1, 1)),
        (D(1966, 4, 1), True, (62, 0), D(2028, 4, 1), D(2028, 5, 1)),
        (D(1990, 2, 28), True, (62, 0), D(2052, 2, 28), D(2052, 3, 1)),
        # Women: 55 before 2021; 55y4m in 2021, +4 months a year; 60 from 2035.
        (D(1965, 12, 20), False, (55, 0), D(2020, 12, 20), D(2021, 1, 1)),
        (D(1966, 1, 20), False, (55, 4), D(2021, 5, 20), D(2021, 6, 1)),
        (D(1966, 8, 31), False, (55, 4), D(2021, 12, 31), D(2022, 1, 1)),
        (D(1966, 9, 1), False, (55, 8), D(2022, 5, 1), D(2022, 6, 1)),
        (D(1967, 5, 1), False, (56, 0), D(2023, 5, 1), D(2023, 6, 1)),
        (D(1975, 4, 30), False, (59, 8), D(2034, 12, 30), D(2035, 1, 1)),
        (D(1975, 5, 1), False, (60, 0), D(2035, 5, 1), D(2035, 6, 1)),
        (D(1985, 5, 17), False, (60, 0), D(2045, 5, 17), D(2045, 6, 1)),
    ],
)
def test_retirement_follows_the_statutory_schedule(born, male, age, reached, retires):
    info = retirement(born, male)
    assert divmod(info.age_months, 12) == age
    assert info.reached_on == reached
    assert info.retires_on == retires


def test_retirement_of_someone_born_on_29_february():
    info = retirement(D(1968, 2, 29), False)  # 56y4m in 2024: 29/06/2024
    assert (divmod(info.age_months, 12), info.reached_on) == ((56, 4), D(2024, 6, 29))


# --- the pre-check ----------------------------------------------------------------------

DEADLINE = D(2026, 3, 21)
ALL_DOCS = frozenset(DocumentKind)
GOOD = Facts(
    date_of_birth=D(1980, 6, 1),
    male=True,
    degree_level=DegreeLevel.UNIVERSITY,
    degree_field="Luật kinh tế",
    political_theory=PoliticalTheory.INTERMEDIATE,
    state_management=StateManagement.SPECIALIST,
    leadership_training=True,
    rank=Rank.GRADE_3,
    post_held_since=D(2024, 1, 1),
    ratings=((2025, Rating.GOOD), (2024, Rating.GOOD), (2023, Rating.EXCELLENT)),
    discipline=Discipline.NONE,
    health_certificate_on=D(2026, 1, 5),
    documents=ALL_DOCS,
    declared=True,
)


def line(facts: Facts, key: str, standards: Standards | None = None, reference=DEADLINE):
    lines = precheck(standards or Standards(), facts, deadline=DEADLINE, age_reference=reference)
    return next(item for item in lines if item.key == key)


def test_a_good_dossier_meets_every_criterion():
    lines = precheck(Standards(), GOOD, deadline=DEADLINE, age_reference=DEADLINE)
    assert {item.key for item in lines} == {
        "declaration",
        "age",
        "degree",
        "political_theory",
        "state_management",
        "leadership_training",
        "rank",
        "months_in_post",
        "ratings",
        "discipline",
        "approval",
        "health",
    }
    assert overall(lines) == Outcome.MET
    assert all(item.reason for item in lines)


def _born_for_months_left(months: int, reference: dt.date) -> dt.date:
    """A man born so that exactly ``months`` of service remain from ``reference`` (62 years
    apply from 2028; service ends with the month he reaches them)."""
    retires_on = add_months(reference.replace(day=1), months)
    return add_months(retires_on, -1 - 62 * 12)


@pytest.mark.parametrize(
    ("months_left", "exception", "outcome", "words"),
    [
        (61, True, Outcome.MET, "Đủ một nhiệm kỳ"),
        (60, True, Outcome.MET, "Đủ một nhiệm kỳ"),
        (59, True, Outcome.MET, "ngoại lệ"),
        (48, True, Outcome.MET, "ngoại lệ"),
        (47, True, Outcome.NOT_MET, "Cần ít nhất 60 tháng (ngoại lệ: 48 tháng)"),
        (59, False, Outcome.NOT_MET, "Cần ít nhất 60 tháng."),
        (60, False, Outcome.MET, "Đủ một nhiệm kỳ"),
    ],
)
def test_age_against_the_term_and_the_48_month_exception(months_left, exception, outcome, words):
    reference = D(2029, 7, 1)  # well inside the 62-year regime
    born = _born_for_months_left(months_left, reference)
    facts = dataclasses.replace(GOOD, date_of_birth=born, male=True)
    standards = Standards(age_exception_allowed=exception)
    result = line(facts, "age", standards, reference)
    assert result.outcome == outcome
    assert words in result.reason
    assert f"còn {months_left} tháng công tác" in result.reason


def test_age_uses_the_womens_schedule():
    # Born 05/1975: retires at 60 on 01/06/2035; from 01/07/2029: 71 months left.
    facts = dataclasses.replace(GOOD, date_of_birth=D(1975, 5, 1), male=False)
    result = line(facts, "age", reference=D(2029, 7, 1))
    assert result.outcome == Outcome.MET
    assert "60 tuổi" in result.reason
    assert "còn 71 tháng" in result.reason


@pytest.mark.parametrize(
    ("kind", "decided_on", "outcome"),
    [
        (Discipline.REPRIMAND, D(2025, 3, 21), Outcome.MET),  # exactly 12 months
        (Discipline.REPRIMAND, D(2025, 3, 22), Outcome.NOT_MET),  # one day short
        (Discipline.WARNING, D(2023, 9, 21), Outcome.MET),  # exactly 30 months
        (Discipline.WARNING, D(2023, 9, 22), Outcome.NOT_MET),
        (Discipline.DISMISSAL, D(2021, 3, 21), Outcome.MET),  # exactly 60 months
        (Discipline.DISMISSAL, D(2021, 3, 22), Outcome.NOT_MET),
    ],
)
def test_discipline_cool_offs_end_on_the_day(kind, decided_on, outcome):
    facts = dataclasses.replace(GOOD, discipline=kind, discipline_on=decided_on)
    result = line(facts, "discipline")
    assert result.outcome == outcome
    assert kind.title in result.reason


def test_cool_offs_are_settings_of_the_position():
    facts = dataclasses.replace(GOOD, discipline=Discipline.REPRIMAND, discipline_on=D(2025, 9, 21))
    assert line(facts, "discipline").outcome == Outcome.NOT_MET
    relaxed = Standards(reprimand_cooloff_months=6)
    assert line(facts, "discipline", relaxed).outcome == Outcome.MET


def test_a_discipline_without_its_date_needs_a_document():
    facts = dataclasses.replace(GOOD, discipline=Discipline.WARNING, discipline_on=None)
    assert line(facts, "discipline").outcome == Outcome.NEEDS_DOCUMENT


@pytest.mark.parametrize(
    ("since", "outcome"),
    [(D(2025, 3, 21), Outcome.MET), (D(2025, 3, 22), Outcome.NOT_MET)],
)
def test_months_in_the_current_post_at_the_deadline(since, outcome):
    result = line(dataclasses.replace(GOOD, post_held_since=since), "months_in_post")
    assert result.outcome == outcome


@pytest.mark.parametrize(
    ("issued", "outcome"),
    [(D(2025, 9, 21), Outcome.MET), (D(2025, 9, 20), Outcome.NOT_MET)],
)
def test_the_health_certificate_is_at_most_six_months_old(issued, outcome):
    result = line(dataclasses.replace(GOOD, health_certificate_on=issued), "health")
    assert result.outcome == outcome


def test_one_weak_year_fails_the_ratings_and_is_named():
    ratings = ((2025, Rating.GOOD), (2024, Rating.DONE), (2023, Rating.GOOD))
    result = line(dataclasses.replace(GOOD, ratings=ratings), "ratings")
    assert result.outcome == Outcome.NOT_MET
    assert "2024: Hoàn thành nhiệm vụ" in result.reason


@pytest.mark.parametrize(
    ("key", "changes"),
    [
        ("degree", {"degree_level": DegreeLevel.COLLEGE}),
        ("political_theory", {"political_theory": PoliticalTheory.ELEMENTARY}),
        ("state_management", {"state_management": StateManagement.NONE}),
        ("leadership_training", {"leadership_training": False}),
        ("rank", {"rank": Rank.GRADE_4}),
    ],
)
def test_a_lower_level_is_not_met_with_both_levels_in_words(key, changes):
    result = line(dataclasses.replace(GOOD, **changes), key)
    assert result.outcome == Outcome.NOT_MET
    assert result.reason


def test_cu_nhan_counts_as_cao_cap():
    facts = dataclasses.replace(GOOD, political_theory=PoliticalTheory.BACHELOR)
    standards = Standards(political_theory=PoliticalTheory.ADVANCED)
    assert line(facts, "political_theory", standards).outcome == Outcome.MET


def test_a_missing_document_turns_a_met_criterion_into_needs_document():
    facts = dataclasses.replace(GOOD, documents=ALL_DOCS - {DocumentKind.DEGREE})
    result = line(facts, "degree")
    assert result.outcome == Outcome.NEEDS_DOCUMENT
    assert "Bản sao văn bằng chuyên môn" in result.reason
    approval = line(dataclasses.replace(GOOD, documents=frozenset()), "approval")
    assert approval.outcome == Outcome.NEEDS_DOCUMENT
    paper = dataclasses.replace(GOOD, documents=frozenset(), paper_dossier=True)
    assert line(paper, "approval").outcome == Outcome.MET


def test_the_field_of_study_is_matched_without_diacritics_or_left_to_the_board():
    standards = Standards(degree_fields=("Luật", "Quản trị kinh doanh"))
    assert line(GOOD, "degree", standards).outcome == Outcome.MET
    other = dataclasses.replace(GOOD, degree_field="Công nghệ thông tin")
    result = line(other, "degree", standards)
    assert result.outcome == Outcome.NEEDS_DOCUMENT
    assert "Hội đồng xem xét" in result.reason
    plain = dataclasses.replace(GOOD, degree_field="LUAT KINH TE")
    assert line(plain, "degree", standards).outcome == Outcome.MET


def test_undeclared_facts_need_a_document_and_disabled_criteria_vanish():
    lines = precheck(Standards(), Facts(), deadline=DEADLINE, age_reference=DEADLINE)
    assert {item.outcome for item in lines} == {Outcome.NEEDS_DOCUMENT}
    relaxed = Standards(
        degree_level=None,
        political_theory=None,
        state_management=None,
        rank=None,
        leadership_training=False,
        months_in_post=0,
        rating_years=0,
        managing_body_approval=False,
    )
    keys = {i.key for i in precheck(relaxed, GOOD, deadline=DEADLINE, age_reference=DEADLINE)}
    assert keys == {"declaration", "age", "discipline", "health"}


# --- the standards' schema --------------------------------------------------------------


def test_standards_round_trip_through_their_dictionary():
    standards = Standards(degree_fields=("Y khoa",), months_in_post=24, rank=None)
    assert Standards.from_dict(standards.to_dict()) == standards
    assert Standards.from_dict({}) == Standards()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"months_in_post": -1}, "months_in_post"),
        ({"months_in_post": "12"}, "months_in_post"),
        ({"degree_level": "phd"}, "degree_level"),
        ({"leadership_training": "yes"}, "leadership_training"),
        ({"degree_fields": "Luật"}, "degree_fields"),
        ({"term_months": 40, "age_exception_months": 48}, "age_exception_months"),
        ({"unknown": 1}, None),
    ],
)
def test_standards_refuse_values_outside_their_schema(data, field):
    with pytest.raises(ValidationFailed) as refused:
        Standards.from_dict(data)
    assert field in [f for f, _ in refused.value.reasons]


# --- the national ID ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "born", "male", "ok"),
    [
        ("001085012345", D(1985, 1, 1), True, True),
        ("001185012345", D(1985, 1, 1), False, True),
        ("001201012345", D(2001, 1, 1), True, True),
        ("001085012345", D(1985, 1, 1), False, False),  # gender digit says male
        ("001086012345", D(1985, 1, 1), True, False),  # year digits say 1986
        ("00108501234", D(1985, 1, 1), True, False),  # 11 digits
        ("00108501234A", D(1985, 1, 1), True, False),
    ],
)
def test_national_id_is_checked_against_birth_and_gender(number, born, male, ok):
    assert (national_id_problems(number, born, male) == []) is ok


# --- the lot -----------------------------------------------------------------------------


def test_the_presentation_order_is_reproducible_from_the_seed():
    numbers = ["001", "002", "003", "004", "005"]
    order = presentation_order("a1b2c3", numbers)
    assert sorted(order) == numbers
    assert presentation_order("a1b2c3", list(reversed(numbers))) == order
    assert order == sorted(numbers, key=lambda n: lot_key("a1b2c3", n))
    orders = {tuple(presentation_order(f"seed-{i}", numbers)) for i in range(20)}
    assert len(orders) > 1  # the seed matters
    # The documented check: SHA-256 of "seed:number".
    assert lot_key("a1b2c3", "001") == hashlib.sha256(b"a1b2c3:001").hexdigest()
