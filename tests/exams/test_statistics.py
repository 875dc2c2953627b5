"""Item statistics and reliability against examples computed by hand."""

from __future__ import annotations

import math

import pytest

from exam.exams import statistics as st

# 5 candidates × 4 right/wrong items, a perfect Guttman pattern.
GUTTMAN = [
    [1, 1, 1, 1],
    [1, 1, 1, 0],
    [1, 1, 0, 0],
    [1, 0, 0, 0],
    [0, 0, 0, 0],
]


def test_kr20_by_hand():
    # p = .8 .6 .4 .2 → Σpq = .16+.24+.24+.16 = .8; totals 4 3 2 1 0: variance 2.
    # KR-20 = 4/3 · (1 − .8/2) = 0.8
    assert st.kr20(GUTTMAN) == pytest.approx(0.8)


def test_alpha_equals_kr20_for_right_wrong_items():
    assert st.cronbach_alpha(GUTTMAN) == pytest.approx(st.kr20(GUTTMAN))


def test_cronbach_alpha_by_hand():
    matrix = [[2, 3, 3], [1, 2, 2], [3, 3, 2], [0, 1, 1]]
    # item variances 1.25 + 0.6875 + 0.5 = 2.4375; totals 8 5 8 2: variance 6.1875
    # alpha = 3/2 · (1 − 2.4375/6.1875) = 10/11
    assert st.cronbach_alpha(matrix) == pytest.approx(10 / 11)


def test_kr20_refuses_partial_credit_and_degenerate_matrices():
    assert st.kr20([[1, 0.5], [0, 1]]) is None
    assert st.kr20([[1, 0]]) is None  # one candidate
    assert st.kr20([[1], [0]]) is None  # one item
    assert st.kr20([[1, 1], [1, 1]]) is None  # no variance in the totals
    assert st.cronbach_alpha([[1, 0], [0]]) is None  # ragged


def test_facility():
    assert st.facility([1, 0.5, 0], 1) == pytest.approx(0.5)
    assert st.facility([2, 1, 0], 2) == pytest.approx(0.5)
    assert st.facility([], 1) is None


def test_discrimination_index_upper_and_lower_27_percent():
    scores = [1, 0, 1, 0, 0, 0, 1, 0, 1, 0]
    totals = [10, 2, 8, 9, 3, 1, 7, 4, 6, 5]
    # 27 % of 10 → 3 each. Lower (totals 1, 2, 3): items 0, 0, 0 → p = 0.
    # Upper (totals 8, 9, 10): items 1, 0, 1 → p = 2/3. D = 2/3.
    assert st.discrimination_index(scores, totals, 1) == pytest.approx(2 / 3)
    # An item the weak get right and the strong get wrong discriminates negatively.
    assert st.discrimination_index([0, 1], [10, 1], 1) == pytest.approx(-1)
    assert st.discrimination_index([1], [3], 1) is None


def test_point_biserial_uses_the_rest_score():
    # rest = total − item = 3 2 2 1; r(item, rest) = 1/√2
    assert st.point_biserial([1, 1, 0, 0], [4, 3, 2, 1]) == pytest.approx(1 / math.sqrt(2))
    assert st.point_biserial([1, 1, 1], [3, 2, 1]) is None  # everyone right: no variance


def test_option_frequencies_count_lists_and_blanks():
    counts = st.option_frequencies(["a", "b", "a", None, ["a", "c"], [], ""])
    assert counts == {"a": 3, "b": 1, "c": 1, None: 3}
