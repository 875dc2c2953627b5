"""Combining the test gate and the panel scores into a ranking (exam/results/operations.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
import sqlalchemy as sa

from exam.accounts.models import Role
from exam.audit.models import AuditEntry
from exam.candidates.models import Application
from exam.candidates.screening import decide_eligibility
from exam.core.errors import DomainError
from exam.exams.papers import attempt_for
from exam.exams.queries import attempt_of_application
from exam.exams.sitting import save_answer, start_attempt, submit_attempt
from exam.extensions import db
from exam.panels.models import SpreadDecision
from exam.panels.operations import record_panel_score, rule_on_spread
from exam.panels.queries import awaits_ruling, interview_list, panel_of_position
from exam.results.formula import FormulaSpec, set_formula
from exam.results.models import Outcome, Ranking, RankingRow
from exam.results.operations import compute_ranking, panel_mean
from exam.rounds.models import Position, RoundStatus
from tests.conftest import login
from tests.panels.helpers import declare_no_relation

QUESTIONS = 4  # test percentages of 0, 25, 50, 75 or 100
MINUTE = dt.timedelta(minutes=1)
NOW = dt.datetime(2026, 5, 4, 2, 0, tzinfo=dt.UTC)
TIE_NOTE = "Bằng điểm: Hội đồng quyết định."
EQUAL_NOTE = "Bằng điểm, cùng hạng."
ABSENT_NOTE = "Không dự thi trắc nghiệm."
SPREAD_NOTE = "Điểm các thành viên chênh lệch quá 10 điểm."


@dataclass
class Person:
    name: str
    right: int | None  # questions answered right out of QUESTIONS; None: did not sit the test
    sheets: tuple[str, ...]  # the panel members' scores, as typed


def build_contest(
    make,
    people: list[Person],
    *,
    posts: int = 1,
    with_test: bool = True,
    decision_order: list[str] | None = None,
    formula: FormulaSpec | None = None,
) -> tuple[Position, dict[str, Application]]:
    """A position whose candidates sat the test and were scored by a 3-member panel.
    Registration numbers follow ``decision_order`` (default: the order of ``people``);
    ``formula`` is set while the round is a draft (default: none stored, the leadership
    preset)."""
    round_ = make.round()
    position = round_.positions[0]
    position.posts = posts
    board = make.user(Role.BOARD_ADMIN)
    if formula is not None:
        with make.in_stage(round_, RoundStatus.DRAFT):
            set_formula(round_, formula, actor=board)
    applications = {
        p.name: make.application(position, make.user(Role.CANDIDATE, name=p.name), eligible=None)
        for p in people
    }
    with make.in_stage(round_, RoundStatus.SCREENING):
        for name in decision_order or [p.name for p in people]:
            decide_eligibility(applications[name], eligible=True, reason="", actor=board, at=NOW)
    db.session.flush()
    test = make.test(round_, question_count=QUESTIONS) if with_test else None  # testing
    panel = make.panel(position, members=3)
    for person in people:
        if test is not None and person.right is not None:
            _sit(test, applications[person.name], person.right)
    make.stage(round_, RoundStatus.INTERVIEWS)
    declare_no_relation(panel, NOW)
    for person in people:
        for member, score in zip(panel.members, person.sheets, strict=False):
            record_panel_score(member, applications[person.name], score, actor=member.user, at=NOW)
    make.stage(round_, RoundStatus.RESULTS)  # where the ranking is computed
    db.session.flush()
    return position, applications


def _sit(test, application: Application, right: int) -> None:
    attempt = attempt_for(test, application)
    candidate = application.candidate
    start_attempt(attempt, session_code=test.session_code, at=test.starts_at + MINUTE)
    for seq, item in enumerate(attempt.questions):
        choices = item.version.data["choices"]
        wanted = 1 if seq < right else 0
        response = next(c["id"] for c in choices if c["fraction"] == wanted)
        save_answer(attempt, item, response, seq=seq, at=test.starts_at + 2 * MINUTE)
    submit_attempt(attempt, actor=candidate, at=test.starts_at + 10 * MINUTE)


def rank(make, position: Position, *, has_test: bool = True) -> list[RankingRow]:
    ranking = compute_ranking(
        position, has_test=has_test, actor=make.user(Role.BOARD_ADMIN), at=NOW
    )
    db.session.flush()
    return list(ranking.rows)


def _names(rows: list[RankingRow]) -> list[str]:
    return [r.application.candidate.full_name for r in rows]


def _by_name(rows: list[RankingRow]) -> dict[str, RankingRow]:
    return {r.application.candidate.full_name: r for r in rows}


# --- the panel mean ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        (["80", "85", "82"], "82.33"),
        (["80.5", "81"], "80.75"),
        (["66.66", "66.67", "66.67"], "66.67"),
        (["70", "70", "70.01"], "70.00"),
        (["80.24", "80.25"], "80.25"),  # 80.245: half-up, where half-even would give 80.24
        (["85", "85.01"], "85.01"),  # 85.005: half-up, where half-even would give 85.00
        (["90"], "90.00"),
    ],
)
def test_panel_mean_rounds_half_up_to_two_decimals(scores, expected):
    mean = panel_mean([Decimal(s) for s in scores])
    assert mean == Decimal(expected)
    assert mean.as_tuple().exponent == -2


def test_the_half_up_cases_really_differ_from_bankers_rounding():
    exact = (Decimal("80.24") + Decimal("80.25")) / 2
    assert exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN) == Decimal("80.24")
    assert panel_mean([Decimal("80.24"), Decimal("80.25")]) == Decimal("80.25")


# --- the order of the ranking ---------------------------------------------------------------


def test_failing_the_test_gate_ranks_after_every_candidate_who_passed(make):
    position, _ = build_contest(
        make,
        [
            Person("Lê Văn Giỏi Phỏng Vấn", 1, ()),  # 25 %: below the gate, never interviewed
            Person("Phạm Thị Đạt", 2, ("60", "61", "62")),  # exactly 50 %: passes
            Person("Hoàng Văn Khá", 4, ("70", "70", "70")),
        ],
    )
    rows = rank(make, position)
    assert _names(rows) == ["Hoàng Văn Khá", "Phạm Thị Đạt", "Lê Văn Giỏi Phỏng Vấn"]
    assert [r.rank for r in rows] == [1, 2, 3]
    assert [r.outcome for r in rows] == [
        Outcome.SELECTED,
        Outcome.NOT_SELECTED,
        Outcome.FAILED_GATE,
    ]
    failed = rows[2]
    assert failed.test_percent == Decimal("25.00")
    assert failed.panel_score is None


def test_higher_panel_score_ranks_first(make):
    position, _ = build_contest(
        make,
        [
            Person("Ngô Văn An", 4, ("80", "80", "80")),
            Person("Bùi Thị Bình", 2, ("85", "84", "86")),
            Person("Đỗ Văn Cường", 3, ("82", "82", "83")),
        ],
    )
    rows = rank(make, position)
    assert _names(rows) == ["Bùi Thị Bình", "Đỗ Văn Cường", "Ngô Văn An"]
    assert [r.panel_score for r in rows] == [Decimal("85.00"), Decimal("82.33"), Decimal("80.00")]
    assert all(TIE_NOTE not in r.note for r in rows)


def test_a_tie_on_the_panel_is_broken_by_the_higher_test_score(make):
    position, _ = build_contest(
        make,
        [
            Person("Mai Văn Trắc Nghiệm Thấp", 3, ("80", "81", "82")),
            Person("Lý Thị Trắc Nghiệm Cao", 4, ("82", "81", "80")),
        ],
    )
    rows = rank(make, position)
    assert _names(rows) == ["Lý Thị Trắc Nghiệm Cao", "Mai Văn Trắc Nghiệm Thấp"]
    assert rows[0].panel_score == rows[1].panel_score == Decimal("81.00")
    assert [r.test_percent for r in rows] == [Decimal("100.00"), Decimal("75.00")]
    assert [r.outcome for r in rows] == [Outcome.SELECTED, Outcome.NOT_SELECTED]
    assert all(TIE_NOTE not in r.note for r in rows)


def test_a_tie_below_the_winning_line_shares_its_rank_and_is_listed_by_name(make):
    # "Vũ" is decided first so gets the lower number, yet "An" is listed first: name order
    # (given name Hòa for both, then family name An < Vũ) only lists, it decides nothing.
    people = [
        Person("An Thị Hòa", 3, ("80", "80", "80")),
        Person("Trần Văn Nhất", 4, ("90", "90", "90")),
        Person("Vũ Văn Hòa", 3, ("79", "80", "81")),
    ]
    position, applications = build_contest(
        make, people, decision_order=["Trần Văn Nhất", "Vũ Văn Hòa", "An Thị Hòa"]
    )
    assert applications["Vũ Văn Hòa"].id > applications["An Thị Hòa"].id
    assert (
        applications["Vũ Văn Hòa"].registration_number
        < applications["An Thị Hòa"].registration_number
    )
    rows = rank(make, position)
    assert _names(rows) == ["Trần Văn Nhất", "An Thị Hòa", "Vũ Văn Hòa"]
    assert [r.rank for r in rows] == [1, 2, 2]
    assert [r.row_number for r in rows] == [1, 2, 3]
    assert [r.outcome for r in rows] == [
        Outcome.SELECTED,
        Outcome.NOT_SELECTED,
        Outcome.NOT_SELECTED,
    ]
    assert rows[0].ranking.undecided_posts == 0
    assert all(TIE_NOTE not in r.note for r in rows)  # nothing for the Council to decide
    assert [EQUAL_NOTE in r.note for r in rows] == [False, True, True]


def test_two_tied_for_the_only_post_are_both_pending_and_neither_wins(make):
    # The lower registration number used to win here.
    position, _ = build_contest(
        make,
        [Person("Lê Văn Bằng", 4, ("85", "85", "85")), Person("Hồ Thị Bằng", 4, ("84", "86"))],
    )
    rows = rank(make, position)
    assert [r.rank for r in rows] == [1, 1]
    assert [r.outcome for r in rows] == [Outcome.PENDING_COUNCIL, Outcome.PENDING_COUNCIL]
    assert all(TIE_NOTE in r.note for r in rows)
    ranking = rows[0].ranking
    assert ranking.undecided_posts == 1
    assert ranking.pending_rows == rows
    [entry] = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "ranking.compute")
    ).all()
    assert entry.after["undecided_posts"] == 1


def test_three_tied_for_the_last_two_posts_leave_both_undecided(make):
    position, _ = build_contest(
        make,
        [
            Person("Đoàn Văn Ba", 4, ("80", "80", "80")),
            Person("Đoàn Văn Nhất", 4, ("90", "90", "90")),
            Person("Đoàn Văn Hai", 4, ("80", "80", "80")),
            Person("Đoàn Văn Bốn", 4, ("80", "80", "80")),
            Person("Đoàn Văn Cuối", 4, ("70", "70", "70")),
        ],
        posts=3,
    )
    rows = rank(make, position)
    assert [r.rank for r in rows] == [1, 2, 2, 2, 5]
    assert [r.outcome for r in rows] == [
        Outcome.SELECTED,
        Outcome.PENDING_COUNCIL,
        Outcome.PENDING_COUNCIL,
        Outcome.PENDING_COUNCIL,
        Outcome.NOT_SELECTED,
    ]
    assert _names(rows) == [
        "Đoàn Văn Nhất",
        "Đoàn Văn Ba",
        "Đoàn Văn Bốn",
        "Đoàn Văn Hai",
        "Đoàn Văn Cuối",
    ]
    assert rows[0].ranking.undecided_posts == 2


def test_three_tied_at_the_top_for_two_posts_are_all_pending(make):
    position, _ = build_contest(
        make,
        [Person(f"Mạc Văn {name}", 3, ("75", "75")) for name in ("Giáp", "Ất", "Bính")],
        posts=2,
    )
    rows = rank(make, position)
    assert [r.rank for r in rows] == [1, 1, 1]
    assert {r.outcome for r in rows} == {Outcome.PENDING_COUNCIL}
    assert rows[0].ranking.undecided_posts == 2


def test_a_tie_that_fits_in_the_posts_left_is_selected_whole(make):
    position, _ = build_contest(
        make,
        [
            Person("Tô Văn Hai", 4, ("80", "80")),
            Person("Tô Văn Một", 4, ("80", "80")),
            Person("Tô Văn Ba", 4, ("70", "70")),
        ],
        posts=2,
    )
    rows = rank(make, position)
    assert [r.rank for r in rows] == [1, 1, 3]
    assert [r.outcome for r in rows] == [
        Outcome.SELECTED,
        Outcome.SELECTED,
        Outcome.NOT_SELECTED,
    ]
    assert rows[0].ranking.undecided_posts == 0
    assert all(TIE_NOTE not in r.note for r in rows)


def test_a_tie_below_the_winner_minimum_is_not_pending(make):
    position, _ = build_contest(
        make, [Person("Vi Văn Một", 4, ("40", "40")), Person("Vi Văn Hai", 4, ("40", "40"))]
    )
    rows = rank(make, position)
    assert [r.outcome for r in rows] == [Outcome.NOT_SELECTED, Outcome.NOT_SELECTED]
    assert [r.rank for r in rows] == [1, 1]
    assert rows[0].ranking.undecided_posts == 0


def test_the_listed_order_of_a_tie_is_the_same_whatever_the_order_of_entry(make):
    names = ["Phí Thị Yến", "Âu Văn Bình", "Phí Văn Ánh", "Nguyễn Thị Ánh"]
    people = [Person(name, 3, ("66", "66")) for name in names]
    position, _ = build_contest(make, people, decision_order=list(reversed(names)))
    listed = _names(rank(make, position))
    # Ánh (Nguyễn < Phí), then Bình, then Yến: given name first, then family name.
    assert listed == ["Nguyễn Thị Ánh", "Phí Văn Ánh", "Âu Văn Bình", "Phí Thị Yến"]


# --- outcomes --------------------------------------------------------------------------------


def test_only_the_top_posts_candidates_are_selected(make):
    position, _ = build_contest(
        make,
        [
            Person("Cao Văn Ba", 4, ("70", "70", "70")),
            Person("Cao Văn Một", 4, ("90", "90", "90")),
            Person("Cao Văn Hai", 4, ("80", "80", "80")),
        ],
        posts=2,
    )
    rows = rank(make, position)
    assert [(r.application.candidate.full_name, r.outcome) for r in rows] == [
        ("Cao Văn Một", Outcome.SELECTED),
        ("Cao Văn Hai", Outcome.SELECTED),
        ("Cao Văn Ba", Outcome.NOT_SELECTED),
    ]


def test_the_best_candidate_below_the_winner_minimum_is_not_selected(make):
    position, _ = build_contest(
        make,
        [
            Person("Đinh Văn Gần Đạt", 4, ("49,98", "50", "49,99")),
            Person("Đinh Văn Thấp", 4, ("40", "41", "42")),
        ],
    )
    assert position.round.winner_min_score == 50
    rows = rank(make, position)
    assert rows[0].application.candidate.full_name == "Đinh Văn Gần Đạt"
    assert rows[0].panel_score == Decimal("49.99")
    assert [r.outcome for r in rows] == [Outcome.NOT_SELECTED, Outcome.NOT_SELECTED]


def test_a_panel_score_of_exactly_the_minimum_is_selected(make):
    position, _ = build_contest(make, [Person("Đinh Văn Vừa Đủ", 2, ("49,99", "50", "50,01"))])
    [row] = rank(make, position)
    assert row.panel_score == Decimal(50)
    assert row.outcome == Outcome.SELECTED


def test_a_gate_failer_is_never_selected_even_with_posts_left(make):
    position, _ = build_contest(
        make,
        [
            Person("Kiều Văn Vắng Điểm", 0, ()),
            Person("Kiều Thị Đạt", 3, ("60", "60")),
        ],
        posts=2,
    )
    by_name = _by_name(rank(make, position))
    assert by_name["Kiều Văn Vắng Điểm"].outcome == Outcome.FAILED_GATE
    assert by_name["Kiều Thị Đạt"].outcome == Outcome.SELECTED


def test_an_absent_candidate_fails_the_gate_with_a_note(make):
    position, _ = build_contest(
        make,
        [Person("Hà Văn Vắng", None, ()), Person("Hà Thị Có Mặt", 3, ("75", "76"))],
    )
    rows = rank(make, position)
    assert _names(rows) == ["Hà Thị Có Mặt", "Hà Văn Vắng"]
    absent = rows[1]
    assert absent.outcome == Outcome.FAILED_GATE
    assert absent.test_percent is None
    assert absent.panel_score is None
    assert absent.panel_sheets == 0
    assert ABSENT_NOTE in absent.note
    assert ABSENT_NOTE not in rows[0].note


def test_without_a_test_everyone_is_ranked_on_the_panel_score(make):
    position, _ = build_contest(
        make,
        [Person("Tạ Văn Hai", None, ("70", "72")), Person("Tạ Văn Một", None, ("88", "86"))],
        with_test=False,
    )
    rows = rank(make, position, has_test=False)
    assert _names(rows) == ["Tạ Văn Một", "Tạ Văn Hai"]
    assert [r.outcome for r in rows] == [Outcome.SELECTED, Outcome.NOT_SELECTED]
    assert all(ABSENT_NOTE not in r.note for r in rows)


# --- refusals and notes ----------------------------------------------------------------------


def test_fewer_than_two_sheets_for_a_gate_passer_refuses_the_computation(make):
    position, _ = build_contest(
        make,
        [
            Person("Đặng Quốc Việt", 4, ("80",)),
            Person("Nguyễn Thị Hồng Nhung", 4, ("80", "85")),
            Person("Lương Văn Trượt", 1, ()),  # failed the gate: no sheets needed
        ],
    )
    with pytest.raises(DomainError) as refused:
        rank(make, position)
    assert refused.value.message == "Chưa đủ 2 phiếu chấm cho: Đặng Quốc Việt."
    db.session.rollback()
    assert (
        db.session.scalars(sa.select(Ranking).where(Ranking.position_id == position.id)).all() == []
    )


def test_a_spread_of_more_than_ten_points_is_noted(make):
    position, _ = build_contest(
        make,
        [
            Person("Phan Văn Chênh", 4, ("70", "81", "75")),  # spread 11
            Person("Phan Văn Vừa", 4, ("70", "80", "75")),  # spread 10: not noted
            Person("Phan Văn Lẻ", 4, ("70", "80,01")),  # spread 10.01
        ],
    )
    # Over the limit, the head of the panel rules before the panel score exists (#15).
    panel = panel_of_position(position.id)
    head = panel.members[0]
    with make.in_stage(position.round, RoundStatus.INTERVIEWS):
        for application in interview_list(panel):
            if awaits_ruling(panel, application):
                rule_on_spread(
                    panel,
                    application,
                    SpreadDecision.CONFIRM,
                    "Giữ nguyên",
                    actor=head.user,
                    at=NOW,
                )
    by_name = _by_name(rank(make, position))
    assert SPREAD_NOTE in by_name["Phan Văn Chênh"].note
    assert SPREAD_NOTE in by_name["Phan Văn Lẻ"].note
    assert SPREAD_NOTE not in by_name["Phan Văn Vừa"].note


# --- through the pages -----------------------------------------------------------------------


def test_compute_through_the_page_then_the_table_shows_the_ranking(app, make):
    position, _ = build_contest(
        make,
        [
            Person("Trương Thị Ánh Tuyết", 3, ("80", "85", "82")),
            Person("Nguyễn Thị Hồng Nhung", 4, ("90", "91", "90")),
            Person("Đặng Quốc Việt", 1, ()),  # below the test gate: not interviewed
        ],
    )
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    client = login(app.test_client(), board)
    before = client.get(f"/positions/{position.id}/results").get_data(as_text=True)
    assert "Chưa tổng hợp kết quả." in before

    response = client.post(f"/positions/{position.id}/results/compute")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/positions/{position.id}/results")
    page = client.get(f"/positions/{position.id}/results").get_data(as_text=True)

    table = page[page.index('id="ranking"') :]
    offsets = [
        table.index(name)
        for name in ("Nguyễn Thị Hồng Nhung", "Trương Thị Ánh Tuyết", "Đặng Quốc Việt")
    ]
    assert offsets == sorted(offsets)
    for text in ("90,33", "82,33", "100,00", "75,00", "25,00"):
        assert text in table
    assert "Trúng tuyển" in table
    assert "Không đạt điểm tối thiểu" in table
    db.session.expire_all()
    [ranking] = db.session.scalars(sa.select(Ranking).where(Ranking.position_id == position.id))
    assert ranking.computed_by_id == board.id
    assert [r.rank for r in ranking.rows] == [1, 2, 3]


def test_a_refused_computation_shows_the_reason_and_stores_nothing(app, make):
    position, _ = build_contest(
        make,
        [Person("Trương Thị Ánh Tuyết", 3, ("80",)), Person("Đặng Quốc Việt", 4, ("70", "71"))],
    )
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    client = login(app.test_client(), board)
    response = client.post(f"/positions/{position.id}/results/compute", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Chưa đủ 2 phiếu chấm cho: Trương Thị Ánh Tuyết." in html
    assert "Chưa tổng hợp kết quả." in html
    db.session.expire_all()
    assert (
        db.session.scalars(sa.select(Ranking).where(Ranking.position_id == position.id)).all() == []
    )


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.PANEL_MEMBER, Role.CANDIDATE])
def test_only_the_board_computes(app, make, role):
    position, _ = build_contest(make, [Person("Lâm Văn Một", 4, ("80", "80"))])
    user = make.user(role)
    db.session.commit()
    client = login(app.test_client(), user)
    expected = 404 if role == Role.CANDIDATE else 403  # a candidate has no seat in the round
    assert client.post(f"/positions/{position.id}/results/compute").status_code == expected
    db.session.expire_all()
    assert (
        db.session.scalars(sa.select(Ranking).where(Ranking.position_id == position.id)).all() == []
    )


def test_a_paper_still_waiting_for_its_markers_stops_the_computation(make):
    """An essay not yet marked leaves the test score open: no ranking until it is final."""
    position, applications = build_contest(
        make,
        [Person("Lê Thị Mai", 4, ("80", "82", "81")), Person("Phan Văn Tú", 3, ("70", "72", "71"))],
    )
    attempt = attempt_of_application(applications["Lê Thị Mai"])
    attempt.final_score = None  # as for a paper whose essay waits for marking
    db.session.flush()
    with pytest.raises(DomainError, match="Bài thi của Lê Thị Mai chưa chấm xong"):
        rank(make, position)
