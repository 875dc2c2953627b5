"""The test's numbers with a legal default, changed by the board (docs/domain.md §5, §10):
the bank-to-paper ratio, the penalties' percentages and a session's late entry. Each is
validated, audited, refused once the stage makes it unsafe, and takes effect."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
import time_machine

from exam.accounts.models import Role
from exam.audit.models import AuditEntry
from exam.core.errors import DomainError, ValidationFailed
from exam.exams.definition import check_blueprint, set_late_entry, set_test_rules
from exam.exams.invigilation import record_incident
from exam.exams.models import (
    BANK_RATIO_DEFAULT,
    LATE_ENTRY_MINUTES_DEFAULT,
    REPRIMAND_PERCENT_DEFAULT,
    WARNING_PERCENT_DEFAULT,
    AttemptStatus,
    Penalty,
)
from exam.exams.papers import generate_papers
from exam.exams.sitting import start_attempt, submit_attempt
from exam.extensions import db
from exam.rounds.models import RoundStatus
from tests.conftest import login
from tests.exams.test_invigilation_and_after import _all_right

START = dt.datetime(2026, 4, 1, 1, 0, tzinfo=dt.UTC)
BEFORE = START - dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)
DEFAULTS = {
    "bank_ratio": BANK_RATIO_DEFAULT,
    "reprimand_percent": REPRIMAND_PERCENT_DEFAULT,
    "warning_percent": WARNING_PERCENT_DEFAULT,
}


def _audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


def test_a_new_test_takes_the_legal_defaults(make):
    test = make.test(make.round(), papers=False)

    assert (test.bank_ratio, test.reprimand_percent, test.warning_percent) == (3, 25, 50)
    assert test.sessions[0].late_entry_minutes == LATE_ENTRY_MINUTES_DEFAULT == 15


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"bank_ratio": 0}, "bank_ratio"),
        ({"bank_ratio": 1000}, "bank_ratio"),
        ({"bank_ratio": -3}, "bank_ratio"),
        ({"bank_ratio": True}, "bank_ratio"),
        ({"bank_ratio": 2.5}, "bank_ratio"),
        ({"reprimand_percent": 101}, "reprimand_percent"),
        ({"reprimand_percent": -1}, "reprimand_percent"),
        ({"warning_percent": 150}, "warning_percent"),
        ({"reprimand_percent": 60, "warning_percent": 50}, "warning_percent"),
    ],
)
def test_out_of_range_numbers_are_refused_in_words_and_nothing_changes(make, changes, field):
    test = make.test(make.round(), papers=False)

    with pytest.raises(ValidationFailed) as refused:
        set_test_rules(test, **{**DEFAULTS, **changes}, actor=make.user(Role.BOARD_ADMIN))

    [(where, message)] = refused.value.reasons
    assert where == field
    assert str(message).endswith(".")  # a sentence in Vietnamese, not a code
    assert (test.bank_ratio, test.reprimand_percent, test.warning_percent) == (3, 25, 50)
    assert _audit("test.rules") == []


def test_a_ratio_of_two_lets_a_bank_of_twice_the_paper_draw_papers(make):
    round_ = make.round()
    make.application(round_.positions[0])
    test = make.test(round_, question_count=3, starts_at=START, papers=False)  # a bank of 9
    bank = make.bank(6)  # 2× the paper
    test.bank_id = bank.id
    board = make.user(Role.BOARD_ADMIN)
    assert check_blueprint(test)[1], "3× refuses a bank of 6 for 3 questions"

    set_test_rules(test, **{**DEFAULTS, "bank_ratio": 2}, actor=board)
    make.stage(round_, RoundStatus.TESTING)
    generate_papers(test, actor=board, at=BEFORE)

    assert check_blueprint(test)[1] == []
    assert test.papers_generated_at is not None
    [entry] = _audit("test.rules")
    assert (entry.before["bank_ratio"], entry.after["bank_ratio"]) == (3, 2)
    assert entry.actor_id == board.id


def test_a_ratio_the_bank_cannot_supply_is_refused_on_its_field(make):
    test = make.test(make.round(), question_count=3, papers=False)  # a bank of 9

    with pytest.raises(ValidationFailed) as refused:
        set_test_rules(test, **{**DEFAULTS, "bank_ratio": 4}, actor=make.user(Role.BOARD_ADMIN))

    [(field, message)] = refused.value.reasons
    assert field == "bank_ratio"
    assert "Ngân hàng không đủ câu hỏi với tỉ lệ này" in str(message)
    assert test.bank_ratio == 3


def test_the_rules_are_fixed_once_papers_are_drawn(make):
    round_ = make.round()
    make.application(round_.positions[0])
    test = make.test(round_)  # papers drawn

    with pytest.raises(DomainError) as refused:
        set_test_rules(
            test, **{**DEFAULTS, "reprimand_percent": 10}, actor=make.user(Role.BOARD_ADMIN)
        )

    assert "Đã tạo đề cho thí sinh" in refused.value.message
    assert test.reprimand_percent == 25


@pytest.mark.parametrize(("penalty", "final"), [(Penalty.REPRIMAND, 2.7), (Penalty.WARNING, 2.4)])
def test_the_boards_penalty_percentages_apply_to_the_final_score(make, penalty, final):
    round_ = make.round()
    candidate = make.user(Role.CANDIDATE)
    application = make.application(round_.positions[0], candidate)
    test = make.test(round_, starts_at=START, papers=False)
    board = make.user(Role.BOARD_ADMIN)
    set_test_rules(test, bank_ratio=3, reprimand_percent=10, warning_percent=20, actor=board)
    make.stage(round_, RoundStatus.TESTING)
    generate_papers(test, actor=board, at=BEFORE)
    attempt = make.attempt(test, application)
    start_attempt(attempt, session_code=test.session_code, at=START + MINUTE)
    _all_right(attempt)
    submit_attempt(attempt, actor=candidate, at=START + 30 * MINUTE)

    record_incident(attempt, penalty=penalty, description="Vi phạm", actor=board, at=START)

    assert attempt.score == 3.0
    assert attempt.final_score == final


# --- late entry -----------------------------------------------------------------------------


@pytest.mark.parametrize(("minute", "allowed"), [(5, True), (6, False)])
def test_a_late_entry_of_five_minutes_refuses_a_start_at_minute_six(make, minute, allowed):
    round_ = make.round()
    application = make.application(round_.positions[0])
    test = make.test(round_, starts_at=START)
    board = make.user(Role.BOARD_ADMIN)
    set_late_entry(test.sessions[0], 5, actor=board, at=BEFORE)
    attempt = make.attempt(test, application)

    at = START + minute * MINUTE
    if allowed:
        start_attempt(attempt, session_code=test.session_code, at=at)
        assert attempt.status == AttemptStatus.IN_PROGRESS
    else:
        with pytest.raises(DomainError) as refused:
            start_attempt(attempt, session_code=test.session_code, at=at)
        assert refused.value.message == (
            "Đã quá 5 phút sau giờ bắt đầu: thí sinh không được vào thi."
        )
        assert attempt.status == AttemptStatus.READY
    [entry] = _audit("session.late_entry")
    assert (entry.before, entry.after) == ({"late_entry_minutes": 15}, {"late_entry_minutes": 5})


@pytest.mark.parametrize("minutes", [-1, 601, 10_000, True, 2.5, None])
def test_a_late_entry_out_of_range_is_refused(make, minutes):
    test = make.test(make.round(), starts_at=START, papers=False)

    with pytest.raises(ValidationFailed) as refused:
        set_late_entry(test.sessions[0], minutes, actor=make.user(Role.BOARD_ADMIN), at=BEFORE)

    assert refused.value.reasons == [
        ("late_entry_minutes", "Thời gian cho phép vào muộn từ 0 đến 600 phút.")
    ]
    assert test.sessions[0].late_entry_minutes == 15


def test_late_entry_is_fixed_once_the_session_starts(make):
    test = make.test(make.round(), starts_at=START, papers=False)

    with pytest.raises(DomainError) as refused:
        set_late_entry(test.sessions[0], 30, actor=make.user(Role.BOARD_ADMIN), at=START)

    assert "Ca thi đã bắt đầu" in refused.value.message
    assert test.sessions[0].late_entry_minutes == 15


# --- through the test's page ----------------------------------------------------------------


def _value(page: str, name: str) -> str | None:
    """The value of the page's input named ``name`` (None: no such input)."""
    tag = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', page)
    value = re.search(r'value="([^"]*)"', tag.group(0)) if tag else None
    return value.group(1) if value else None


def test_the_board_changes_the_rules_on_the_tests_page(app, make):
    round_ = make.round()
    test = make.test(round_, starts_at=START, papers=False)
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    with time_machine.travel(BEFORE, tick=False):
        client = login(app.test_client(), board)
        page = client.get(f"/tests/{test.id}").get_data(as_text=True)
        assert _value(page, "rules-bank_ratio") == "3"
        assert _value(page, "rules-warning_percent") == "50"
        assert "Mặc định 25% (Nội quy kỳ thi, Thông tư 22/2025/TT-BNV)." in page
        assert _value(page, f"late{test.sessions[0].id}-late_entry_minutes") == "15"
        done = client.post(
            f"/tests/{test.id}/rules",
            data={
                "rules-bank_ratio": 2,
                "rules-reprimand_percent": 10,
                "rules-warning_percent": 40,
            },
        )
        late = client.post(
            f"/sessions/{test.sessions[0].id}/late-entry",
            data={f"late{test.sessions[0].id}-late_entry_minutes": 5},
        )

    assert done.status_code == late.status_code == 302
    db.session.expire_all()
    assert (test.bank_ratio, test.reprimand_percent, test.warning_percent) == (2, 10, 40)
    assert test.sessions[0].late_entry_minutes == 5
    shown = login(app.test_client(), board).get(f"/tests/{test.id}").get_data(as_text=True)
    assert "Khiển trách trừ 10%, cảnh cáo trừ 40% điểm bài thi" in shown


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rules-bank_ratio": 0}, "Từ 1 đến 20 lần."),
        ({"rules-bank_ratio": 1000}, "Từ 1 đến 20 lần."),
        ({"rules-bank_ratio": "ba"}, "Nhập một số nguyên."),
        ({"rules-warning_percent": "2,5"}, "Nhập một số nguyên."),
        ({"rules-reprimand_percent": 101}, "Từ 0 đến 100%."),
        ({"rules-reprimand_percent": 60}, "Cảnh cáo nặng hơn khiển trách"),
    ],
)
def test_a_refused_value_comes_back_on_the_page_with_why(app, make, data, message):
    test = make.test(make.round(), starts_at=START, papers=False)
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    client = login(app.test_client(), board)
    form = {"rules-bank_ratio": 3, "rules-reprimand_percent": 25, "rules-warning_percent": 50}

    refused = client.post(f"/tests/{test.id}/rules", data={**form, **data}, follow_redirects=True)

    assert message in refused.get_data(as_text=True)
    db.session.expire_all()
    assert (test.bank_ratio, test.reprimand_percent, test.warning_percent) == (3, 25, 50)


def test_once_papers_are_drawn_the_page_offers_no_rules_form_and_refuses_a_post(app, make):
    round_ = make.round()
    make.application(round_.positions[0])
    test = make.test(round_)
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    client = login(app.test_client(), board)

    page = client.get(f"/tests/{test.id}").get_data(as_text=True)
    forced = client.post(
        f"/tests/{test.id}/rules",
        data={"rules-bank_ratio": 1, "rules-reprimand_percent": 0, "rules-warning_percent": 0},
        follow_redirects=True,
    )

    assert "rules-bank_ratio" not in page
    assert "không thể thay đổi quy định của bài thi nữa" in forced.get_data(as_text=True)
    db.session.expire_all()
    assert (test.bank_ratio, test.reprimand_percent, test.warning_percent) == (3, 25, 50)


@pytest.mark.parametrize(
    ("at", "minutes", "message"),
    [
        (BEFORE, 601, "Từ 0 đến 600 phút."),
        (BEFORE, -1, "Từ 0 đến 600 phút."),
        (START, 30, "Ca thi đã bắt đầu: không thể thay đổi thời gian cho phép vào muộn."),
    ],
)
def test_a_refused_late_entry_comes_back_on_the_page_with_why(app, make, at, minutes, message):
    test = make.test(make.round(), starts_at=START, papers=False)
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    session_id = test.sessions[0].id

    with time_machine.travel(at, tick=False):
        client = login(app.test_client(), board)
        refused = client.post(
            f"/sessions/{session_id}/late-entry",
            data={f"late{session_id}-late_entry_minutes": minutes},
            follow_redirects=True,
        )

    assert message in refused.get_data(as_text=True)
    db.session.expire_all()
    assert test.sessions[0].late_entry_minutes == 15
