"""The aggregation's deadline (docs/domain.md §8: aggregate within 5 working days): the moment
the board received the round's last scores is recorded as the round enters the results stage
(exam/results/deadlines.py::record_scores_hand_over), and the results pages show the due date
in working days, the day it was done and "Quá hạn" when late."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from exam.accounts.models import Role
from exam.audit.models import AuditEntry
from exam.core.calendar import PublicHoliday
from exam.extensions import db
from exam.marking.models import MarkingPlan
from exam.panels.operations import record_panel_score
from exam.results.deadlines import (
    Deadline,
    record_scores_hand_over,
    results_deadlines,
    scores_hand_over,
)
from exam.results.models import ScoresHandOver
from exam.results.ranking import compute_ranking
from exam.rounds.models import RoundStatus
from exam.rounds.operations import advance_round
from tests.conftest import login
from tests.panels.helpers import declare_no_relation
from tests.results.lifecycle_helpers import NOW, _documents, build  # noqa: F401

TUESDAY = dt.datetime(2026, 5, 5, 3, 0, tzinfo=dt.UTC)  # 10:00 in Hanoi


def _unsealed(round_, at: dt.datetime) -> None:
    """The round's written tests coded, handed over and unsealed at ``at`` (the marking's
    plan as its steps leave it)."""
    coded = at - dt.timedelta(days=2)
    db.session.add(
        MarkingPlan(round_id=round_.id, coded_at=coded, handed_over_at=coded, unsealed_at=at)
    )
    db.session.flush()


def _hand_overs() -> list[ScoresHandOver]:
    return list(db.session.scalars(sa.select(ScoresHandOver).order_by(ScoresHandOver.id)))


def test_entering_the_results_stage_records_when_the_last_scores_were_handed_over(make):
    round_ = make.round()
    position = round_.positions[0]
    applications = [make.application(position, make.user(Role.CANDIDATE)) for _ in range(2)]
    panel = make.panel(position, members=3)
    make.stage(round_, RoundStatus.INTERVIEWS)
    declare_no_relation(panel, NOW)
    for hours, application in enumerate(applications):
        for member in panel.members:
            at = NOW + dt.timedelta(hours=hours)
            record_panel_score(member, application, "70", actor=member.user, at=at)
    board = make.user(Role.BOARD_ADMIN)
    moved_at = NOW + dt.timedelta(days=3)
    advance_round(round_, actor=board, at=moved_at)
    assert round_.status == RoundStatus.RESULTS
    [hand_over] = _hand_overs()
    assert hand_over.round_id == round_.id
    assert hand_over.handed_over_at == NOW + dt.timedelta(hours=1)  # the last sheet sealed
    [entry] = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "results.scores_handed_over")
    ).all()
    assert entry.after["round_id"] == round_.id
    # recorded once: a second call keeps the first
    assert record_scores_hand_over(round_, moved_at) is None
    assert len(_hand_overs()) == 1


def test_the_written_tests_unsealed_last_are_the_hand_over(make):
    contest = build(make, {"An": "80"})  # sheets sealed Monday 4 May
    _unsealed(contest.round, TUESDAY)
    hand_over = record_scores_hand_over(contest.round, TUESDAY + dt.timedelta(days=2))
    assert hand_over.handed_over_at == TUESDAY
    assert scores_hand_over(contest.round.id) is hand_over


def test_nothing_scored_the_move_itself_is_the_hand_over(make):
    round_ = make.round()
    hand_over = record_scores_hand_over(round_, TUESDAY)
    assert hand_over.handed_over_at == TUESDAY


def test_the_aggregation_deadline_counts_working_days_past_a_holiday(make):
    db.session.add(PublicHoliday(day=dt.date(2026, 5, 6), name="Ngày nghỉ bù"))
    contest = build(make, {"An": "80", "Bình": "70"})
    _unsealed(contest.round, TUESDAY)
    assert results_deadlines(contest.position) == []  # not handed over: nothing to count
    record_scores_hand_over(contest.round, TUESDAY)
    [aggregation] = results_deadlines(contest.position)
    # 5 working days after Tue 5 May: (Wed 6 a holiday) Thu 7, Fri 8, Mon 11, Tue 12, Wed 13
    assert aggregation == Deadline("Tổng hợp kết quả", dt.date(2026, 5, 13), None)
    assert not aggregation.overdue(dt.date(2026, 5, 13))
    assert aggregation.overdue(dt.date(2026, 5, 14))
    thursday_14 = dt.datetime(2026, 5, 14, 2, 0, tzinfo=dt.UTC)
    compute_ranking(contest.position, actor=contest.board, at=thursday_14, has_test=False)
    db.session.flush()
    aggregation, approval = results_deadlines(contest.position)
    assert aggregation.done_on == dt.date(2026, 5, 14)
    assert aggregation.overdue(dt.date(2026, 6, 1))  # done a day late: stays late
    assert approval.step == "Hội đồng phê duyệt"
    # computed again later: done when first computed
    compute_ranking(
        contest.position, actor=contest.board, at=thursday_14 + dt.timedelta(days=7), has_test=False
    )
    db.session.flush()
    assert results_deadlines(contest.position)[0].done_on == dt.date(2026, 5, 14)


def test_the_results_pages_show_the_aggregation_due_date_done_and_late(client, make):
    contest = build(make, {"An": "80"})
    record_scores_hand_over(contest.round, NOW - dt.timedelta(days=14))  # Mon 20 April
    db.session.commit()
    login(client, contest.board)
    for url in (
        f"/positions/{contest.position.id}/results",
        f"/positions/{contest.position.id}/results/versions",
    ):
        page = client.get(url).get_data(as_text=True)
        assert "Tổng hợp kết quả: hạn 27/04/2026" in page  # Mon 20 → Mon 27 April
        assert "Quá hạn" in page
    contest.rank()  # Mon 4 May
    db.session.commit()
    page = client.get(f"/positions/{contest.position.id}/results").get_data(as_text=True)
    assert "Tổng hợp kết quả: hạn 27/04/2026 — đã xong ngày 04/05/2026" in page
