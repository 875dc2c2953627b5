"""The appeal window in working days (weekends and the year's public holidays skipped) and the
re-marking's rules (docs/domain.md §9)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from exam.appeals.cli import appeals_cli
from exam.appeals.operations import add_holiday, remove_holiday
from exam.appeals.queries import appeal_window_closes_on
from exam.appeals.rules import (
    RemarkDecision,
    RemarkNext,
    appeal_closes_on,
    reconcile_remark,
    remark_decision,
    within_window,
)
from exam.core.errors import DomainError, ValidationFailed

D = Decimal
FRIDAY = dt.date(2026, 5, 8)


def test_the_window_skips_the_weekend():
    # Published on a Friday: Monday to Friday of the next week, the day itself not counted.
    assert appeal_closes_on(FRIDAY, set()) == dt.date(2026, 5, 15)
    assert appeal_closes_on(dt.date(2026, 5, 6), set()) == dt.date(2026, 5, 13)  # a Wednesday
    assert appeal_closes_on(dt.date(2026, 5, 9), set()) == dt.date(2026, 5, 15)  # a Saturday


def test_the_window_skips_a_holiday_and_the_weekend_after_it():
    holiday = dt.date(2026, 5, 13)  # a Wednesday
    assert appeal_closes_on(FRIDAY, {holiday}) == dt.date(2026, 5, 18)  # the Monday after
    assert within_window(dt.date(2026, 5, 18), FRIDAY, {holiday})
    assert not within_window(dt.date(2026, 5, 18), FRIDAY, set())
    assert not within_window(dt.date(2026, 5, 19), FRIDAY, {holiday})
    assert within_window(FRIDAY, FRIDAY, set())  # the day of publication itself
    assert not within_window(FRIDAY - dt.timedelta(days=1), FRIDAY, set())


def test_the_national_day_holidays_across_a_weekend():
    published = dt.date(2026, 8, 28)  # a Friday; 1–2 September holidays (Tuesday, Wednesday)
    holidays = {dt.date(2026, 9, 1), dt.date(2026, 9, 2)}
    # 31/8 (Mon), 3/9 (Thu), 4/9 (Fri), 7/9 (Mon), 8/9 (Tue)
    assert appeal_closes_on(published, holidays) == dt.date(2026, 9, 8)
    assert appeal_closes_on(published, holidays, working_days=1) == dt.date(2026, 8, 31)
    with pytest.raises(ValueError, match="at least one"):
        appeal_closes_on(published, holidays, working_days=0)


@pytest.mark.parametrize(
    ("remarked", "decision"),
    [
        ("64.99", RemarkDecision.REPLACES),  # 4.99 from the published 60
        ("55.01", RemarkDecision.REPLACES),
        ("65.00", RemarkDecision.CHAIR_DECIDES),  # 5.00: the Chair, after a Council meeting
        ("55.00", RemarkDecision.CHAIR_DECIDES),
    ],
)
def test_a_remark_under_five_replaces_five_or_more_goes_to_the_chair(remarked, decision):
    assert remark_decision(D(60), D(remarked)) == decision


def test_the_remarking_reconciliation():
    assert reconcile_remark([D(60), D(65)]) == (RemarkNext.FINAL, D("62.50"))
    assert reconcile_remark([D(60), D("65.01")]) == (RemarkNext.THIRD_MARKER, None)
    assert reconcile_remark([D(60), D(72), D(70)]) == (RemarkNext.FINAL, D("71.00"))
    assert reconcile_remark([D(50), D(70), D(60)]) == (RemarkNext.FINAL, D("60.00"))  # none
    assert reconcile_remark([D(50), D(62), D(56)]) == (RemarkNext.FINAL, D("56.00"))  # tie
    with pytest.raises(ValueError, match="two or three"):
        reconcile_remark([D(50)])


def test_holidays_kept_in_the_database_shape_the_window(app):
    assert appeal_window_closes_on(FRIDAY) == dt.date(2026, 5, 15)
    add_holiday(dt.date(2026, 5, 13), "Nghỉ bù (thử nghiệm)", actor=None)
    assert appeal_window_closes_on(FRIDAY) == dt.date(2026, 5, 18)
    with pytest.raises(DomainError, match="đã là ngày nghỉ lễ"):
        add_holiday(dt.date(2026, 5, 13), "Lần hai", actor=None)
    with pytest.raises(ValidationFailed):
        add_holiday(dt.date(2026, 5, 14), "  ", actor=None)
    remove_holiday(dt.date(2026, 5, 13), actor=None)
    assert appeal_window_closes_on(FRIDAY) == dt.date(2026, 5, 15)
    with pytest.raises(DomainError, match="không phải ngày nghỉ lễ"):
        remove_holiday(dt.date(2026, 5, 13), actor=None)


def test_the_holidays_command(app):
    run = app.test_cli_runner()
    assert run.invoke(appeals_cli, ["holidays", "add", "2026-09-02", "Quốc khánh"]).exit_code == 0
    assert "2026-09-02  Quốc khánh" in run.invoke(appeals_cli, ["holidays", "list"]).output
    refused = run.invoke(appeals_cli, ["holidays", "add", "2026-09-02", "Lần hai"])
    assert refused.exit_code != 0
    assert "đã là ngày nghỉ lễ" in refused.output
    assert run.invoke(appeals_cli, ["holidays", "add", "02/09/2026", "X"]).exit_code != 0
    # 31/8, 1/9, (2/9 kept), 3/9, 4/9, then Monday 7/9
    assert run.invoke(appeals_cli, ["window", "2026-08-28"]).output.strip() == "2026-09-07"
