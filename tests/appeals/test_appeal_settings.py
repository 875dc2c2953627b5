"""The appeals' numbers as round settings (docs/domain.md §9): the window, the re-markers'
agreement limit, the replace limit and the re-marking's days, set by the Council's Chair or
Member-secretary on the round's appeals page, checked in words, audited, fixed once an appeal
is filed; the re-marking's deadline and the overdue re-marks shown to the head of the
re-marking board."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from exam.appeals.models import AppealStatus
from exam.appeals.operations import set_appeal_rules, start_remark
from exam.appeals.queries import appeal_deadline, overdue_appeals, remark_deadline
from exam.appeals.rules import remark_due_on
from exam.audit.models import AuditEntry
from exam.core.errors import DomainError, ValidationFailed
from exam.council.models import BodyKind, MemberFunction
from exam.extensions import db
from exam.marking.queries import plan_of
from tests.appeals.test_filing_and_remarking import (
    HOLIDAY,
    PUBLISHED,
    _file,
    _mark,
    _published,
)
from tests.conftest import login
from tests.marking.conftest import AFTER, seat_on, staff

D = Decimal


def _rules(w, **changes):
    values = {
        "working_days": 5,
        "remark_agree_limit": D(5),
        "replace_limit": D(5),
        "remark_days": 10,
    } | changes
    return set_appeal_rules(w.round, actor=w.council, **values)


def _chair(w):
    chair = staff("Chủ Tịch Hội Đồng")
    seat_on(w.round, BodyKind.COUNCIL, chair, MemberFunction.CHAIR)
    return chair


def test_the_law_s_values_by_default():
    assert remark_due_on(dt.date(2026, 5, 18)) == dt.date(2026, 5, 28)


def test_the_round_s_window_in_working_days(make):
    w = _published(make)
    assert appeal_deadline(w.round) == dt.date(2026, 5, 18)  # 5 days, the holiday skipped
    _rules(w, working_days=3)
    assert appeal_deadline(w.round) == dt.date(2026, 5, 14)  # Mon, Tue, (Wed off), Thu
    with pytest.raises(DomainError, match="Đã hết thời hạn phúc khảo"):
        _file(w, at=dt.datetime(2026, 5, 15, 9, 0, tzinfo=PUBLISHED.tzinfo))
    assert dt.date(2026, 5, 13) == HOLIDAY


def test_the_round_s_replace_limit_decides_the_outcome(make):
    w = _published(make)
    _rules(w, replace_limit=D(3))
    appeal = _file(w)
    start_remark(appeal, actor=w.anonymiser, at=AFTER)
    for sheet in appeal.remark_script.sheets:
        _mark(sheet, "45", "29")  # 74: 4 from 70, under the law's 5 but not under this round's 3
    assert appeal.status == AppealStatus.CHAIR


def test_the_round_s_re_markers_agreement_limit(make):
    w = _published(make, remarkers=4)
    _rules(w, remark_agree_limit=D(8))
    appeal = _file(w)
    start_remark(appeal, actor=w.anonymiser, at=AFTER)
    first, second = appeal.remark_script.sheets
    _mark(first, "42", "30")  # 72
    _mark(second, "48", "30")  # 78: 6 apart, within this round's 8: their mean
    assert appeal.remark_score == D("75.00")
    assert not any(s.turn == 3 for s in appeal.remark_script.sheets)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"working_days": 0}, "working_days"),
        ({"working_days": 31}, "working_days"),
        ({"remark_agree_limit": D(-1)}, "remark_agree_limit"),
        ({"remark_agree_limit": D("4.555")}, "remark_agree_limit"),
        ({"replace_limit": D(0)}, "replace_limit"),
        ({"replace_limit": D(101)}, "replace_limit"),
        ({"remark_days": 21}, "remark_days"),
        ({"remark_days": 0}, "remark_days"),
    ],
)
def test_values_out_of_range_are_refused_and_nothing_changes(make, change, field):
    w = _published(make)
    with pytest.raises(ValidationFailed) as refused:
        _rules(w, **change)
    assert [f for f, _ in refused.value.reasons] == [field]
    plan = plan_of(w.round_id)
    assert (plan.appeal_working_days, plan.replace_limit, plan.remark_days) == (5, D(5), 10)


def test_fixed_once_an_appeal_is_filed(make):
    w = _published(make)
    _file(w)
    with pytest.raises(DomainError, match="Đã có đơn phúc khảo"):
        _rules(w, working_days=10)
    assert plan_of(w.round_id).appeal_working_days == 5


def test_set_on_the_appeals_page_by_the_chair_audited_403_to_others(app, make):
    w = _published(make)
    chair = _chair(w)
    db.session.commit()
    url = f"/rounds/{w.round_id}/appeals/rules"
    data = {
        "working_days": "7",
        "remark_agree_limit": "4,5",
        "replace_limit": "6",
        "remark_days": "15",
    }
    assert login(app.test_client(), w.council).post(url, data=data).status_code == 403
    assert login(app.test_client(), w.remarkers[1]).post(url, data=data).status_code == 404
    client = login(app.test_client(), chair)
    page = client.get(f"/rounds/{w.round_id}/appeals").get_data(as_text=True)
    assert "Quy định phúc khảo của kỳ thi" in page
    assert client.post(url, data=data).status_code == 302
    db.session.expire_all()
    plan = plan_of(w.round_id)
    assert (plan.appeal_working_days, plan.remark_agree_limit) == (7, D("4.5"))
    assert (plan.replace_limit, plan.remark_days) == (D(6), 15)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "appeal.set_rules"))
    assert (entry.before["working_days"], entry.after["working_days"]) == (5, 7)
    refused = client.post(url, data=data | {"working_days": "ba", "remark_days": "30"})
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "Nhập một số nguyên." in page
    assert "Thời hạn chấm phúc khảo từ 1 đến 20 ngày." not in page  # the form stops first
    refused = client.post(url, data=data | {"remark_days": "30"}, follow_redirects=True)
    assert "Thời hạn chấm phúc khảo từ 1 đến 20 ngày." in refused.get_data(as_text=True)
    db.session.expire_all()
    assert plan_of(w.round_id).remark_days == 15


def test_the_appeals_page_s_title_is_its_name_and_the_rules_form_is_shown_once(app, make):
    """The rules' form was once pasted into the title block too: the browser's tab showed
    its markup as text."""
    w = _published(make)
    chair = _chair(w)
    db.session.commit()
    page = (
        login(app.test_client(), chair).get(f"/rounds/{w.round_id}/appeals").get_data(as_text=True)
    )
    assert re.search(r"<title>(.*?)</title>", page, re.S)[1] == "Phúc khảo · Hà Nội"
    assert page.count(f'action="/rounds/{w.round_id}/appeals/rules"') == 1
    assert page.count("Quy định phúc khảo của kỳ thi") == 1


def test_the_page_refuses_in_words_once_an_appeal_is_filed(app, make):
    w = _published(make)
    chair = _chair(w)
    _file(w)
    db.session.commit()
    client = login(app.test_client(), chair)
    data = {
        "working_days": "7",
        "remark_agree_limit": "5",
        "replace_limit": "5",
        "remark_days": "10",
    }
    page = client.post(
        f"/rounds/{w.round_id}/appeals/rules", data=data, follow_redirects=True
    ).get_data(as_text=True)
    assert "Đã có đơn phúc khảo: không đổi được quy định phúc khảo nữa." in page
    db.session.expire_all()
    assert plan_of(w.round_id).appeal_working_days == 5


# --- the re-marking's deadline ----------------------------------------------------------------


def test_the_re_marking_deadline_follows_the_window_and_the_round_s_days(make):
    w = _published(make)
    assert remark_deadline(w.round) == dt.date(2026, 5, 28)  # 18 May + 10 days
    _rules(w, remark_days=20)
    assert remark_deadline(w.round) == dt.date(2026, 6, 7)


def test_overdue_re_marks_are_listed_after_the_deadline_only(make):
    w = _published(make)
    late, done = _file(w, 0), _file(w, 1)
    start_remark(late, actor=w.anonymiser, at=AFTER)
    start_remark(done, actor=w.anonymiser, at=AFTER)
    for sheet in done.remark_script.sheets:
        _mark(sheet, "42", "28")
    assert done.status == AppealStatus.DECIDED
    assert overdue_appeals(w.round, dt.date(2026, 5, 28)) == []
    assert overdue_appeals(w.round, dt.date(2026, 5, 29)) == [late]


def test_the_head_of_the_re_marking_board_sees_the_overdue_re_marks_without_the_candidate(
    app, make, time_machine
):
    w = _published(make)
    late = _file(w)
    start_remark(late, actor=w.anonymiser, at=AFTER)
    db.session.commit()
    code = late.remark_script.code
    waiting = [s.marker.full_name for s in late.remark_script.sheets]
    time_machine.move_to(dt.datetime(2026, 5, 29, 9, 0, tzinfo=PUBLISHED.tzinfo), tick=False)
    head = login(app.test_client(), w.remarkers[0])
    page = head.get(f"/rounds/{w.round_id}/appeals").get_data(as_text=True)
    assert "Bài chấm phúc khảo quá hạn" in page
    assert code in page
    assert all(name in page for name in waiting)
    assert w.candidates[0].full_name not in page
    member = login(app.test_client(), w.remarkers[1])
    assert "Bài chấm phúc khảo quá hạn" not in member.get(f"/rounds/{w.round_id}/appeals").get_data(
        as_text=True
    )
    time_machine.move_to(dt.datetime(2026, 5, 28, 9, 0, tzinfo=PUBLISHED.tzinfo), tick=False)
    assert "Bài chấm phúc khảo quá hạn" not in head.get(f"/rounds/{w.round_id}/appeals").get_data(
        as_text=True
    )
