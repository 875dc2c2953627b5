"""Interview scoring by the marking guide (issue 15 items 3, 5, 6): declarations and
recusals, sheets per criterion drafted then sealed, reopening, the spread ruling, the
minimum of sheets after recusals."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from exam.accounts.models import Role
from exam.audit.reconcile import compare_with_trail
from exam.candidates.models import Application
from exam.core.errors import DomainError, ValidationFailed
from exam.extensions import db
from exam.panels.guards import every_candidate_scored
from exam.panels.models import Panel, PanelMember, Relation, SpreadDecision
from exam.panels.operations import (
    DEFAULT_CRITERIA,
    declare,
    reopen_sheet,
    rule_on_spread,
    save_draft,
    seal_sheet,
    set_guide,
)
from exam.panels.queries import (
    awaits_ruling,
    guide_of,
    mean_of,
    panel_score,
    sealed_sheets,
    sheet_of,
)
from exam.rounds.models import RoundStatus
from tests.factories import T0
from tests.panels.helpers import declare_no_relation

LATER = T0 + dt.timedelta(minutes=5)


@dataclass
class Setup:
    panel: Panel
    first: Application
    second: Application

    @property
    def head(self) -> PanelMember:
        return self.panel.members[0]

    def criteria_ids(self) -> list[str]:
        return [str(c.id) for c in guide_of(self.panel.position.round).criteria]

    def points(self, *values: str) -> dict[str, str]:
        return dict(zip(self.criteria_ids(), values, strict=True))


def _guide_rows() -> list[tuple[str, str, str]]:
    return [(str(title), maximum, str(text)) for title, maximum, text in DEFAULT_CRITERIA]


@pytest.fixture
def setup(make) -> Setup:
    round_ = make.round(positions=2)
    position = round_.positions[0]
    panel = make.panel(position, members=3)
    first, second = make.application(position), make.application(position)
    set_guide(round_, _guide_rows(), actor=make.user(Role.BOARD_ADMIN))
    make.stage(round_, RoundStatus.INTERVIEWS)
    db.session.flush()
    return Setup(panel, first, second)


def _full(setup: Setup, total: int) -> dict[str, str]:
    """Points summing to ``total`` within the default maxima 20/30/20/15/15."""
    maxima = [20, 30, 20, 15, 15]
    values, left = [], total
    for maximum in maxima:
        given = min(maximum, left)
        values.append(str(given))
        left -= given
    return setup.points(*values)


def _seal(setup: Setup, member: PanelMember, application: Application, points, at=T0):
    return seal_sheet(member, application, points, actor=member.user, at=at)


# --- the marking guide -----------------------------------------------------------------------


def test_the_default_guide_sums_to_100():
    assert sum(Decimal(m) for _, m, _ in DEFAULT_CRITERIA) == 100


@pytest.mark.parametrize("maxima", [("20", "30", "20", "15", "14"), ("20", "30", "20", "15", "16")])
def test_criteria_not_summing_to_100_are_refused(make, maxima):
    round_ = make.round()
    board = make.user(Role.BOARD_ADMIN)
    rows = [(f"Tiêu chí {i}", m, "") for i, m in enumerate(maxima)]
    with pytest.raises(ValidationFailed, match="phải bằng 100"):
        set_guide(round_, rows, actor=board)
    assert guide_of(round_) is None


def test_a_criterion_maximum_that_is_not_a_number_is_refused(make):
    round_ = make.round()
    with pytest.raises(ValidationFailed, match="phải là một số"):
        set_guide(
            round_, [("A", "năm mươi", ""), ("B", "50", "")], actor=make.user(Role.BOARD_ADMIN)
        )


def test_the_guide_cannot_change_once_a_sheet_exists(setup):
    declare_no_relation(setup.panel, T0)
    _seal(setup, setup.head, setup.first, _full(setup, 80))
    with pytest.raises(DomainError, match="không sửa được"):
        set_guide(setup.panel.position.round, _guide_rows(), actor=setup.head.user)


# --- declarations and recusals -----------------------------------------------------------------


def test_a_member_who_has_not_declared_cannot_score_anyone(setup):
    member = setup.panel.members[1]
    declare(member, setup.first, Relation.NONE, actor=member.user, at=T0)  # not the second
    with pytest.raises(DomainError, match="chưa kê khai"):
        _seal(setup, member, setup.first, _full(setup, 80))
    with pytest.raises(DomainError, match="chưa kê khai"):
        save_draft(member, setup.first, {}, actor=member.user, at=T0)
    assert sheet_of(member, setup.first) is None


def test_a_recused_member_is_refused_on_the_server(setup):
    member = setup.panel.members[1]
    declare(member, setup.first, Relation.SIBLINGS_SPOUSE, actor=member.user, at=T0)
    declare(member, setup.second, Relation.NONE, actor=member.user, at=T0)
    with pytest.raises(DomainError, match="có quan hệ với thí sinh này"):
        _seal(setup, member, setup.first, _full(setup, 80))
    assert sheet_of(member, setup.first) is None
    _seal(setup, member, setup.second, _full(setup, 80))  # the other candidate: scored


def test_a_member_declares_only_for_themselves_and_once(setup):
    member, other = setup.panel.members[1], setup.panel.members[2]
    with pytest.raises(DomainError, match="tự kê khai"):
        declare(member, setup.first, Relation.NONE, actor=other.user, at=T0)
    declare(member, setup.first, Relation.NONE, actor=member.user, at=T0)
    with pytest.raises(DomainError, match="đã kê khai"):
        declare(member, setup.first, Relation.SPOUSE, actor=member.user, at=T0)


def test_the_minimum_of_sheets_is_counted_after_a_recusal(make):
    round_ = make.round()
    position = round_.positions[0]
    panel = make.panel(position, members=2)
    application = make.application(position)
    set_guide(round_, _guide_rows(), actor=panel.members[0].user)
    make.stage(round_, RoundStatus.INTERVIEWS)
    head, member = panel.members
    declare(head, application, Relation.NONE, actor=head.user, at=T0)
    declare(member, application, Relation.PARENT_IN_LAW, actor=member.user, at=T0)
    setup = Setup(panel, application, application)
    _seal(setup, head, application, _full(setup, 70))
    # the only member left has sealed: the seal is whole, but one sheet is under the minimum
    assert panel_score(panel, application) is None
    assert every_candidate_scored(round_, T0) == [
        f"Ban phỏng vấn {panel.name}: thí sinh {application.candidate.full_name} chưa đủ 2 phiếu."
    ]


# --- sheets per criterion ----------------------------------------------------------------------


def test_points_above_a_criterion_maximum_are_refused_and_nothing_saved(setup):
    declare_no_relation(setup.panel, T0)
    member = setup.panel.members[1]
    with pytest.raises(ValidationFailed, match="tối đa là 20"):
        _seal(setup, member, setup.first, setup.points("20.01", "30", "20", "15", "15"))
    with pytest.raises(ValidationFailed, match="tối đa là 20"):
        save_draft(
            member, setup.first, setup.points("21", "", "", "", ""), actor=member.user, at=T0
        )
    assert sheet_of(member, setup.first) is None


@pytest.mark.parametrize("raw", ["abc", "1e1", "NaN", "-1", "5.555"])
def test_a_point_that_is_not_a_number_is_refused(setup, raw):
    declare_no_relation(setup.panel, T0)
    member = setup.panel.members[1]
    with pytest.raises(ValidationFailed, match="phải là một số"):
        _seal(setup, member, setup.first, setup.points(raw, "30", "20", "15", "15"))
    assert sheet_of(member, setup.first) is None


def test_a_seal_needs_every_criterion(setup):
    declare_no_relation(setup.panel, T0)
    member = setup.panel.members[1]
    with pytest.raises(ValidationFailed, match="Chưa cho điểm"):
        _seal(setup, member, setup.first, setup.points("20", "30", "20", "15", ""))


def test_an_unknown_criterion_is_refused(setup):
    declare_no_relation(setup.panel, T0)
    member = setup.panel.members[1]
    with pytest.raises(ValidationFailed, match="không thuộc hướng dẫn chấm"):
        save_draft(member, setup.first, {"999999": "5"}, actor=member.user, at=T0)


def test_a_draft_is_kept_then_sealed_with_the_total(setup):
    declare_no_relation(setup.panel, T0)
    member = setup.panel.members[1]
    draft = save_draft(
        member, setup.first, setup.points("12,5", "", "", "", ""), actor=member.user, at=T0
    )
    assert draft.submitted_at is None
    assert draft.score == Decimal("12.5")
    assert sealed_sheets(setup.panel, setup.first) == []
    sheet = _seal(setup, member, setup.first, setup.points("12.5", "25", "15", "10", "10"))
    assert sheet is draft
    assert sheet.score == Decimal("72.5")
    assert sheet.submitted_at == T0


def test_a_duplicate_sheet_is_refused(setup):
    declare_no_relation(setup.panel, T0)
    member = setup.panel.members[1]
    _seal(setup, member, setup.first, _full(setup, 80))
    with pytest.raises(DomainError, match="không sửa được"):
        _seal(setup, member, setup.first, _full(setup, 90))
    with pytest.raises(DomainError, match="không sửa được"):
        save_draft(member, setup.first, _full(setup, 90), actor=member.user, at=T0)
    assert sheet_of(member, setup.first).score == 80


def test_a_sheet_for_a_candidate_of_another_panel_is_refused(setup, make):
    declare_no_relation(setup.panel, T0)
    other_position = setup.panel.position.round.positions[1]
    make.panel(other_position, members=2)
    outsider = make.application(other_position)
    member = setup.panel.members[1]
    with pytest.raises(DomainError, match="không thuộc vị trí của ban này"):
        _seal(setup, member, outsider, _full(setup, 80))
    assert sheet_of(member, outsider) is None


def test_another_member_cannot_write_a_members_sheet(setup):
    declare_no_relation(setup.panel, T0)
    member, other = setup.panel.members[1], setup.panel.members[2]
    with pytest.raises(DomainError, match="Chỉ thành viên được phân công"):
        seal_sheet(member, setup.first, _full(setup, 80), actor=other.user, at=T0)


# --- reopening ---------------------------------------------------------------------------------


def test_reopening_needs_the_head_and_a_reason_then_the_member_seals_again(setup):
    declare_no_relation(setup.panel, T0)
    member = setup.panel.members[1]
    sheet = _seal(setup, member, setup.first, _full(setup, 80))
    with pytest.raises(DomainError, match="Chỉ Trưởng ban"):
        reopen_sheet(sheet, "Nhầm tiêu chí", actor=member.user, at=LATER)
    with pytest.raises(ValidationFailed, match="lý do"):
        reopen_sheet(sheet, "  ", actor=setup.head.user, at=LATER)
    assert sheet.submitted_at == T0
    reopen_sheet(sheet, "Nhầm điểm tiêu chí 2", actor=setup.head.user, at=LATER)
    assert sheet.submitted_at is None
    assert sealed_sheets(setup.panel, setup.first) == []
    _seal(setup, member, setup.first, _full(setup, 75), at=LATER)
    assert sheet.score == 75
    assert sheet.submitted_at == LATER


# --- the spread and the panel score -------------------------------------------------------------


def _three(setup: Setup, totals: tuple[str, str, str]) -> None:
    """Each member's sheet: 60 on criteria 1, 3, 4, 5, the rest of the total (60 to 90) on
    the second."""
    declare_no_relation(setup.panel, T0)
    for member, total in zip(setup.panel.members, totals, strict=True):
        points = setup.points("20", str(Decimal(total) - 60), "20", "10", "10")
        _seal(setup, member, setup.first, points)


def test_a_spread_of_exactly_the_limit_needs_no_ruling(setup):
    _three(setup, ("70", "75", "80"))  # 10.00 apart
    assert not awaits_ruling(setup.panel, setup.first)
    assert panel_score(setup.panel, setup.first) == Decimal("75.00")
    with pytest.raises(DomainError, match="không cần quyết định"):
        rule_on_spread(
            setup.panel, setup.first, SpreadDecision.CONFIRM, "x", actor=setup.head.user, at=LATER
        )


def test_a_spread_over_the_limit_waits_for_the_heads_ruling(setup):
    _three(setup, ("69.99", "75", "80"))  # 10.01 apart
    assert awaits_ruling(setup.panel, setup.first)
    assert panel_score(setup.panel, setup.first) is None
    round_ = setup.panel.position.round
    assert any("chênh lệch" in p for p in every_candidate_scored(round_, LATER))
    member = setup.panel.members[1]
    with pytest.raises(DomainError, match="Chỉ Trưởng ban"):
        rule_on_spread(
            setup.panel, setup.first, SpreadDecision.CONFIRM, "Giữ", actor=member.user, at=LATER
        )
    with pytest.raises(ValidationFailed, match="lý do"):
        rule_on_spread(
            setup.panel, setup.first, SpreadDecision.CONFIRM, "", actor=setup.head.user, at=LATER
        )
    rule_on_spread(
        setup.panel,
        setup.first,
        SpreadDecision.CONFIRM,
        "Các thành viên giữ nguyên nhận định",
        actor=setup.head.user,
        at=LATER,
    )
    # (69.99 + 75 + 80) / 3 = 74.9966… → 75.00 half up
    assert panel_score(setup.panel, setup.first) == Decimal("75.00")


def test_a_rescore_ruling_reopens_every_sheet(setup):
    _three(setup, ("60", "75", "80"))
    rule_on_spread(
        setup.panel,
        setup.first,
        SpreadDecision.RESCORE,
        "Chênh lệch 20 điểm: chấm lại",
        actor=setup.head.user,
        at=LATER,
    )
    assert sealed_sheets(setup.panel, setup.first) == []
    assert panel_score(setup.panel, setup.first) is None


def test_the_mean_is_rounded_half_up_and_may_be_trimmed():
    assert mean_of([Decimal("70.00"), Decimal("70.01")]) == Decimal("70.01")  # 70.005
    assert mean_of([Decimal(60), Decimal(70), Decimal(95)], trimmed=True) == Decimal("70.00")
    assert mean_of([Decimal(60), Decimal(70)], trimmed=True) == Decimal("65.00")


def test_the_audit_trail_vouches_for_sealed_sheets_and_ignores_drafts(setup):
    declare_no_relation(setup.panel, T0)
    member, other = setup.panel.members[1], setup.panel.members[2]
    save_draft(member, setup.first, setup.points("10", "", "", "", ""), actor=member.user, at=T0)
    sheet = _seal(setup, other, setup.first, _full(setup, 80))
    db.session.flush()
    assert compare_with_trail() == []
    sheet.score = Decimal(90)  # changed behind the application's back
    db.session.flush()
    assert compare_with_trail() == [f"Điểm của phiếu chấm #{sheet.id} là 90 nhưng nhật ký ghi 80"]
