"""The date line of official documents (NĐ 30/2020): exam/core/documents.py::nd30_date."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask, render_template_string

from exam.core.documents import nd30_date


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2026, 3, 9), "ngày 09 tháng 3 năm 2026"),
        (dt.date(2026, 3, 10), "ngày 10 tháng 3 năm 2026"),
        (dt.date(2026, 1, 5), "ngày 05 tháng 01 năm 2026"),
        (dt.date(2026, 1, 31), "ngày 31 tháng 01 năm 2026"),
        (dt.date(2026, 2, 28), "ngày 28 tháng 02 năm 2026"),
        (dt.date(2026, 3, 1), "ngày 01 tháng 3 năm 2026"),
        (dt.date(2026, 9, 30), "ngày 30 tháng 9 năm 2026"),
        (dt.date(2026, 10, 9), "ngày 09 tháng 10 năm 2026"),
        (dt.date(2026, 12, 31), "ngày 31 tháng 12 năm 2026"),
    ],
)
def test_days_under_10_and_months_1_and_2_take_a_leading_zero(day, expected):
    assert nd30_date(day) == expected


def test_a_datetime_is_the_day_in_hanoi():
    # 17:30 UTC on 31 March is already 1 April in Hanoi.
    assert nd30_date(dt.datetime(2026, 3, 31, 17, 30, tzinfo=dt.UTC)) == (
        "ngày 01 tháng 4 năm 2026"
    )


def test_templates_have_the_filter(app: Flask):
    with app.test_request_context():
        assert render_template_string("{{ d|nd30_date }}", d=dt.date(2026, 3, 5)) == (
            "ngày 05 tháng 3 năm 2026"
        )
