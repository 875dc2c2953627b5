"""TT 22 Art. 16's reconciliation at its boundaries, the codes and the draws (pure rules)."""

from __future__ import annotations

import secrets
from collections import Counter
from decimal import Decimal

import pytest

from exam.marking.rules import (
    CODE_ALPHABET,
    CODE_LENGTH,
    Next,
    draw_markers,
    identifying_terms,
    new_code,
    reconcile_three,
    reconcile_two,
)

D = Decimal
AGREE, THIRD = D(5), D(10)


@pytest.mark.parametrize(
    ("second", "expected", "score"),
    [
        ("65.00", Next.FINAL, "67.50"),  # a difference of 5.00: the mean
        ("64.99", Next.DISCUSSION, None),  # 5.01: the head of marking settles it
        ("60.01", Next.DISCUSSION, None),  # 9.99: still the head
        ("60.00", Next.THIRD_MARKER, None),  # 10.00: a third marker
        ("75.00", Next.FINAL, "72.50"),  # the same, the other way round
        ("80.00", Next.THIRD_MARKER, None),
    ],
)
def test_two_markers_at_the_boundaries(second, expected, score):
    outcome = reconcile_two(D("70.00"), D(second), AGREE, THIRD)
    assert outcome.next == expected
    assert outcome.score == (D(score) if score else None)


def test_the_mean_is_rounded_half_up_to_two_decimals():
    assert reconcile_two(D("70.00"), D("65.01"), AGREE, THIRD).score == D("67.51")  # 67.505
    assert reconcile_two(D("0.01"), D("0.00"), AGREE, THIRD).score == D("0.01")  # 0.005


def test_the_round_s_own_limits_apply():
    assert reconcile_two(D(70), D(63), D(8), D(12)).next == Next.FINAL
    assert reconcile_two(D(70), D(59), D(8), D(12)).next == Next.DISCUSSION
    assert reconcile_two(D(70), D(58), D(8), D(12)).next == Next.THIRD_MARKER


@pytest.mark.parametrize(
    ("third", "expected", "score", "turns"),
    [
        ("57.00", Next.FINAL, "59.50", (2, 3)),  # 62 and 57 agree (5.00 apart)
        ("56.99", Next.HEAD_DECIDES, None, ()),  # 5.01 from 62, 6.99 from 50: none agree
        ("54.99", Next.FINAL, "52.50", (1, 3)),  # 4.99 from 50
        ("56.00", Next.HEAD_DECIDES, None, ()),  # 6 from each: none agree
        ("62.00", Next.FINAL, "62.00", (2, 3)),  # the same score as the second marker
    ],
)
def test_three_markers_two_agreeing(third, expected, score, turns):
    outcome = reconcile_three({1: D(50), 2: D(62), 3: D(third)}, AGREE)
    assert (outcome.next, outcome.turns) == (expected, turns)
    assert outcome.score == (D(score) if score else None)


def test_a_third_marker_exactly_between_two_pairs_leaves_it_to_the_head():
    outcome = reconcile_three({1: D(50), 2: D(60), 3: D(55)}, AGREE)
    assert outcome.next == Next.HEAD_DECIDES


def test_codes_are_random_and_from_the_unambiguous_alphabet():
    codes = [new_code() for _ in range(2000)]
    assert all(len(c) == CODE_LENGTH and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert not set("0O1IL2Z5S8B6G") & set(CODE_ALPHABET)
    assert len(set(codes)) > 1990  # 148 million codes: repeats are rare


def test_two_markers_drawn_never_the_same_person_twice_and_every_pair_comes_up():
    pool = ["An", "Bình", "Chi", "Dũng", "Hà"]
    draw = secrets.SystemRandom()
    pairs = Counter()
    for _ in range(3000):
        first, second = draw_markers(pool, 2, draw)
        assert first != second
        pairs[frozenset((first, second))] += 1
        (third,) = draw_markers(pool, 1, draw, besides=[first, second])
        assert third not in (first, second)
    assert len(pairs) == 10  # every pair of the five drawn
    assert min(pairs.values()) > 150  # about 300 each: no pair favoured or left out


def test_no_draw_when_too_few_are_left():
    with pytest.raises(ValueError, match="not enough markers"):
        draw_markers(["An", "Bình"], 1, secrets.SystemRandom(), besides=["An", "Bình"])
    with pytest.raises(ValueError, match="not enough markers"):
        draw_markers(["An", "An"], 2, secrets.SystemRandom())  # one person counted once


def test_identifying_text_is_found_without_case_or_diacritics():
    found = identifying_terms(
        ["Tôi là NGUYEN THI HONG NHUNG, SBD 48213, công tác tại phong to chuc."],
        name="Nguyễn Thị Hồng Nhung",
        number="48213",
        unit="Phòng Tổ chức",
    )
    assert found == ["Nguyễn Thị Hồng Nhung", "48213", "Phòng Tổ chức"]
    assert identifying_terms(["Cải cách hành chính"], name="Lê Văn An", number="", unit="") == []
