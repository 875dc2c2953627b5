"""The ranking under each formula (exam/results/ranking.py), every total recomputed by hand
here from the scores as typed, never by calling the code under test."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import pytest
import sqlalchemy as sa

from exam.accounts.models import Role
from exam.audit.models import AuditEntry
from exam.core.errors import DomainError
from exam.extensions import db
from exam.marking.models import MarkingPlan, PaperScript, PaperTest
from exam.results.formula import (
    FormulaSpec,
    PartSpec,
    civil_service_preset,
    enter_part_score,
    leadership_preset,
    stored_formula,
)
from exam.results.models import FormulaPreset, Outcome, PartKind
from exam.results.ranking import compute_ranking
from tests.conftest import login
from tests.results.test_ranking import NOW, Person, _by_name, _names, build_contest, rank

TIE_NOTE = "Bằng điểm: Hội đồng quyết định."


def by_hand(*pairs: tuple[str, int]) -> Decimal:
    """Σ score × weight / 100, half up to 2 decimals: the rule as the board would work it."""
    exact = sum((Decimal(score) * weight for score, weight in pairs), Decimal(0)) / 100
    return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- the civil-service preset: written 70 %, interview 30 %, each at least 50 ------------------


def test_civil_service_totals_by_hand_half_up_and_the_gates_at_their_boundary(make):
    # 4 questions: written 100, 75, 50 or 25 %. The panel score is the mean of the sheets.
    position, _ = build_contest(
        make,
        [
            Person("Lê Văn Bảy Lăm", 3, ("81,35", "81,35")),  # 75 × 0.7 + 81.35 × 0.3
            Person("Trần Thị Trăm", 4, ("50", "50")),  # interview exactly at its gate
            Person("Phạm Văn Nửa", 2, ("60", "60")),  # written exactly at its gate: 50
            Person("Đỗ Thị Sát", 4, ("49,98", "50", "49,99")),  # interview 49.99: below
            Person("Vũ Văn Thấp", 1, ()),  # written 25: out, never interviewed
        ],
        formula=civil_service_preset(),
    )
    assert position.round.test_pass_mark == 50  # the interview list's gate follows the formula
    rows = _by_name(rank(make, position))

    first = rows["Lê Văn Bảy Lăm"]
    exact = (Decimal(75) * 70 + Decimal("81.35") * 30) / 100
    assert exact == Decimal("76.905")
    assert exact.quantize(Decimal("0.01"), ROUND_HALF_EVEN) == Decimal("76.90")  # not this
    assert first.total == Decimal("76.91") == by_hand(("75", 70), ("81.35", 30))
    assert first.written_score == Decimal("75.00")
    assert first.panel_score == Decimal("81.35")

    assert rows["Trần Thị Trăm"].total == Decimal("85.00") == by_hand(("100", 70), ("50", 30))
    assert rows["Phạm Văn Nửa"].total == Decimal("53.00") == by_hand(("50", 70), ("60", 30))
    assert rows["Đỗ Thị Sát"].total is None
    assert rows["Đỗ Thị Sát"].outcome == Outcome.FAILED_GATE
    assert rows["Đỗ Thị Sát"].panel_score == Decimal("49.99")
    assert "Dưới điểm tối thiểu phần «Đề án, phỏng vấn» (50)." in rows["Đỗ Thị Sát"].note
    assert rows["Vũ Văn Thấp"].outcome == Outcome.FAILED_GATE
    assert rows["Vũ Văn Thấp"].panel_score is None

    ordered = list(rows.values())
    ordered.sort(key=lambda r: r.row_number)
    assert _names(ordered) == [
        "Trần Thị Trăm",
        "Lê Văn Bảy Lăm",
        "Phạm Văn Nửa",
        "Đỗ Thị Sát",  # went further (past the written gate) than
        "Vũ Văn Thấp",
    ]
    assert [r.outcome for r in ordered[:3]] == [
        Outcome.SELECTED,
        Outcome.NOT_SELECTED,
        Outcome.NOT_SELECTED,
    ]


def test_civil_service_total_below_fifty_is_not_selected_even_with_each_part_past_its_gate(make):
    position, _ = build_contest(
        make, [Person("Ngô Văn Vừa", 2, ("50", "50"))], formula=civil_service_preset()
    )
    [row] = rank(make, position)
    assert row.total == Decimal("50.00") == by_hand(("50", 70), ("50", 30))
    assert row.outcome == Outcome.SELECTED  # 50 is at least the minimum of 50


# --- the leadership preset, stored, with a reserve -------------------------------------------


def test_leadership_preset_the_panel_decides_and_the_reserve_keeps_the_runner_up(make):
    spec = leadership_preset(pass_mark=50, winner_min_score=50)
    spec = FormulaSpec(spec.preset, spec.parts, winner_min_score=50, reserve_count=1)
    position, _ = build_contest(
        make,
        [
            Person("Hồ Văn Nhất", 2, ("90", "90")),
            Person("Hồ Văn Nhì", 4, ("80", "81")),
            Person("Hồ Văn Ba", 4, ("70", "70")),
            Person("Hồ Văn Yếu", 4, ("45", "45")),
        ],
        formula=spec,
    )
    rows = rank(make, position)
    assert _names(rows) == ["Hồ Văn Nhất", "Hồ Văn Nhì", "Hồ Văn Ba", "Hồ Văn Yếu"]
    # The total is the panel score itself (weight 100), the test only a gate.
    assert [r.total for r in rows] == [
        Decimal("90.00"),
        Decimal("80.50"),
        Decimal("70.00"),
        Decimal("45.00"),
    ]
    assert [r.outcome for r in rows] == [
        Outcome.SELECTED,
        Outcome.RESERVED,
        Outcome.NOT_SELECTED,
        Outcome.NOT_SELECTED,
    ]
    assert "Bảo lưu" in rows[1].explanation


def test_the_reserve_never_keeps_a_candidate_below_the_winner_minimum(make):
    spec = leadership_preset()
    spec = FormulaSpec(spec.preset, spec.parts, winner_min_score=50, reserve_count=2)
    position, _ = build_contest(
        make,
        [Person("Kha Văn Một", 4, ("70", "70")), Person("Kha Văn Hai", 4, ("49", "49"))],
        formula=spec,
    )
    rows = rank(make, position)
    assert [r.outcome for r in rows] == [Outcome.SELECTED, Outcome.NOT_SELECTED]


# --- a weighted formula with a further part the board scores --------------------------------


def _custom(*, chain_written_first: bool = True) -> FormulaSpec:
    return FormulaSpec(
        FormulaPreset.CUSTOM,
        (
            PartSpec(PartKind.COMPUTER_TEST, "Trắc nghiệm", weight=30, tie_break=1),
            PartSpec(
                PartKind.INTERVIEW,
                "Đề án",
                gate=50,
                weight=50,
                tie_break=2 if chain_written_first else None,
            ),
            PartSpec(PartKind.OTHER, "Sát hạch tin học", gate=60, weight=20),
        ),
        winner_min_score=60,
    )


def test_a_weighted_formula_with_a_board_scored_part_recomputed_by_hand(make):
    position, applications = build_contest(
        make,
        [
            Person("Lâm Thị Tổng", 3, ("70", "71")),  # 75, 70.50, IT 88.5
            Person("Lâm Văn Cao", 4, ("66", "66")),  # 100, 66, IT 60 (its gate: passes)
            Person("Lâm Văn Tin", 4, ("90", "90")),  # 100, 90, IT 59.99: out at the IT gate
        ],
        formula=_custom(),
    )
    part = stored_formula(position.round).parts[2]
    board = make.user(Role.BOARD_ADMIN)
    for name, score in [("Lâm Thị Tổng", "88.5"), ("Lâm Văn Cao", "60"), ("Lâm Văn Tin", "59.99")]:
        enter_part_score(part, applications[name], Decimal(score), actor=board, at=NOW)
    rows = _by_name(rank(make, position))
    assert rows["Lâm Văn Cao"].total == by_hand(("100", 30), ("66", 50), ("60", 20))
    assert rows["Lâm Văn Cao"].total == Decimal("75.00")
    assert rows["Lâm Thị Tổng"].total == by_hand(("75", 30), ("70.5", 50), ("88.5", 20))
    assert rows["Lâm Thị Tổng"].total == Decimal("75.45")
    assert rows["Lâm Văn Tin"].outcome == Outcome.FAILED_GATE
    assert rows["Lâm Văn Tin"].total is None
    assert rows["Lâm Thị Tổng"].outcome == Outcome.SELECTED
    assert rows["Lâm Văn Cao"].outcome == Outcome.NOT_SELECTED
    scores = {p["name"]: p["score"] for p in rows["Lâm Thị Tổng"].part_scores}
    assert scores == {"Trắc nghiệm": "75.00", "Đề án": "70.50", "Sát hạch tin học": "88.50"}


def test_a_missing_board_score_refuses_the_computation_and_stores_nothing(make):
    position, _ = build_contest(make, [Person("Mã Văn Thiếu", 4, ("80", "80"))], formula=_custom())
    with pytest.raises(DomainError, match="Chưa nhập điểm «Sát hạch tin học» cho: Mã Văn Thiếu"):
        rank(make, position)


@pytest.mark.parametrize("score", ["100.01", "-1"])
def test_a_board_score_outside_zero_to_a_hundred_is_refused(make, score):
    position, applications = build_contest(
        make, [Person("Mã Văn Sai", 4, ("80", "80"))], formula=_custom()
    )
    part = stored_formula(position.round).parts[2]
    with pytest.raises(DomainError, match="Điểm phải từ 0 đến 100"):
        enter_part_score(
            part,
            applications["Mã Văn Sai"],
            Decimal(score),
            actor=make.user(Role.BOARD_ADMIN),
            at=NOW,
        )


def test_a_board_score_is_audited_with_its_old_value(make):
    position, applications = build_contest(
        make, [Person("Mã Văn Sửa", 4, ("80", "80"))], formula=_custom()
    )
    part = stored_formula(position.round).parts[2]
    board = make.user(Role.BOARD_ADMIN)
    enter_part_score(part, applications["Mã Văn Sửa"], Decimal("70"), actor=board, at=NOW)
    enter_part_score(part, applications["Mã Văn Sửa"], Decimal("72.5"), actor=board, at=NOW)
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "part_score.enter").order_by(AuditEntry.id)
    ).all()
    assert [e.before for e in entries] == [None, {"score": "70.00"}]
    assert entries[1].after["score"] == "72.50"


def test_a_test_or_panel_part_is_never_typed_in(make):
    position, applications = build_contest(
        make, [Person("Mã Văn Tay", 4, ("80", "80"))], formula=_custom()
    )
    interview = stored_formula(position.round).parts[1]
    with pytest.raises(DomainError, match="không nhập tay"):
        enter_part_score(
            interview,
            applications["Mã Văn Tay"],
            Decimal(90),
            actor=make.user(Role.BOARD_ADMIN),
            at=NOW,
        )


# --- ties: the chain, then the Council ---------------------------------------------------------


def _fifty_fifty(first: PartKind) -> FormulaSpec:
    """Test and interview 50 % each, the chain starting with ``first``."""

    def place(kind: PartKind) -> int:
        return 1 if kind == first else 2

    return FormulaSpec(
        FormulaPreset.CUSTOM,
        (
            PartSpec(
                PartKind.COMPUTER_TEST,
                "Trắc nghiệm",
                weight=50,
                tie_break=place(PartKind.COMPUTER_TEST),
            ),
            PartSpec(
                PartKind.INTERVIEW, "Phỏng vấn", weight=50, tie_break=place(PartKind.INTERVIEW)
            ),
        ),
        winner_min_score=50,
    )


TIED = [
    Person("Quách Văn Trắc", 4, ("60", "60")),  # 100 × 0.5 + 60 × 0.5 = 80
    Person("Quách Thị Vấn", 3, ("85", "85")),  # 75 × 0.5 + 85 × 0.5 = 80
]


@pytest.mark.parametrize(
    ("first", "winner"),
    [(PartKind.COMPUTER_TEST, "Quách Văn Trắc"), (PartKind.INTERVIEW, "Quách Thị Vấn")],
)
def test_equal_totals_follow_the_chain_the_formula_chose(make, first, winner):
    position, _ = build_contest(make, TIED, formula=_fifty_fifty(first))
    rows = rank(make, position)
    assert by_hand(("100", 50), ("60", 50)) == by_hand(("75", 50), ("85", 50)) == Decimal("80.00")
    assert [r.total for r in rows] == [Decimal("80.00"), Decimal("80.00")]
    assert rows[0].application.candidate.full_name == winner
    assert [r.outcome for r in rows] == [Outcome.SELECTED, Outcome.NOT_SELECTED]
    assert [r.rank for r in rows] == [1, 2]
    assert rows[0].ranking.undecided_posts == 0


def test_still_equal_after_the_chain_at_the_winning_line_waits_for_the_council(make):
    # Equal on the total and on every part of the chain: the registration number (which the
    # decision order fixes) never decides.
    position, _ = build_contest(
        make,
        [Person("Từ Văn Một", 3, ("80", "80")), Person("Từ Văn Hai", 3, ("79", "81"))],
        formula=civil_service_preset(),
        decision_order=["Từ Văn Hai", "Từ Văn Một"],
    )
    rows = rank(make, position)
    assert [r.total for r in rows] == [by_hand(("75", 70), ("80", 30))] * 2
    assert [r.outcome for r in rows] == [Outcome.PENDING_COUNCIL, Outcome.PENDING_COUNCIL]
    assert [r.rank for r in rows] == [1, 1]
    assert rows[0].ranking.undecided_posts == 1
    assert all(TIE_NOTE in r.note for r in rows)
    assert all("Hội đồng thi tuyển biểu quyết" in r.explanation for r in rows)
    assert all("Thi viết, Đề án, phỏng vấn" in r.explanation for r in rows)


def test_a_tie_past_the_winning_line_goes_to_the_reserve_whole(make):
    spec = civil_service_preset()
    spec = FormulaSpec(spec.preset, spec.parts, winner_min_score=50, reserve_count=1)
    position, _ = build_contest(
        make,
        [
            Person("Giang Văn Nhất", 4, ("90", "90")),
            Person("Giang Văn Bằng", 3, ("70", "70")),
            Person("Giang Thị Bằng", 3, ("70", "70")),
        ],
        formula=spec,
    )
    rows = rank(make, position)
    assert [r.outcome for r in rows] == [Outcome.SELECTED, Outcome.RESERVED, Outcome.RESERVED]
    assert [r.rank for r in rows] == [1, 2, 2]


# --- the explanation in words, the audit, the page -----------------------------------------


def test_each_line_is_explained_in_words(make):
    position, _ = build_contest(
        make,
        [Person("Đào Văn Rõ", 3, ("81,35", "81,35")), Person("Đào Văn Trượt", 1, ())],
        formula=civil_service_preset(),
    )
    rows = _by_name(rank(make, position))
    said = rows["Đào Văn Rõ"].explanation
    for text in (
        "Thi viết: 75,00 điểm — đạt (điểm tối thiểu 50, trọng số 70 %).",
        "Đề án, phỏng vấn: 81,35 điểm — đạt (điểm tối thiểu 50, trọng số 30 %).",
        "Tổng điểm: 76,91 (Thi viết × 70 % + Đề án, phỏng vấn × 30 %, "
        "làm tròn 2 chữ số thập phân).",
        "Xếp hạng 1 trên 2 thí sinh.",
        "Trúng tuyển: tổng điểm từ 50 trở lên và nằm trong 1 chỉ tiêu của vị trí",
    ):
        assert text in said
    out = rows["Đào Văn Trượt"].explanation
    assert "Thi viết: 25,00 điểm — không đạt" in out
    assert "Đề án, phỏng vấn: không xét (đã dừng ở phần trước)" in out
    assert "Điểm phần «Thi viết» dưới mức tối thiểu 50 nên không được xét trúng tuyển." in out


def test_the_audit_entry_keeps_the_formula_and_the_totals(make):
    position, applications = build_contest(
        make, [Person("Kiều Văn Ghi", 3, ("80", "80"))], formula=civil_service_preset()
    )
    rank(make, position)
    [entry] = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "ranking.compute")
    ).all()
    assert entry.after["formula"]["preset"] == "civil_service"
    assert entry.after["totals"] == [[applications["Kiều Văn Ghi"].id, "76.50"]]


def test_a_weighted_part_the_round_never_held_refuses_the_computation(make):
    spec = FormulaSpec(
        FormulaPreset.CUSTOM,
        (
            PartSpec(PartKind.COMPUTER_TEST, "Trắc nghiệm", weight=40),
            PartSpec(PartKind.INTERVIEW, "Phỏng vấn", weight=60),
        ),
    )
    position, _ = build_contest(
        make, [Person("Cù Văn Không", None, ("80", "80"))], with_test=False, formula=spec
    )
    with pytest.raises(DomainError, match="kỳ thi không có phần thi này"):
        rank(make, position, has_test=False)


def test_the_results_page_shows_each_line_explained(app, make):
    position, _ = build_contest(
        make, [Person("Đào Văn Trang", 3, ("80", "80"))], formula=civil_service_preset()
    )
    board = make.user(Role.BOARD_ADMIN)
    compute_ranking(position, actor=board, at=NOW)  # has_test read from the round
    db.session.commit()
    client = login(app.test_client(), board)
    page = client.get(f"/positions/{position.id}/results").get_data(as_text=True)
    table = page[page.index('id="ranking"') :]
    assert "Tổng điểm: 76,50" in table
    assert "Thi viết" in table
    assert "Đề án, phỏng vấn" in table
    assert "Xếp hạng 1 trên 1 thí sinh." in table


# --- the written test from the paper scripts, once unsealed ----------------------------------


def _paper_scripts(make, position, applications, scores: dict[str, str], *, unsealed: bool):
    """A paper test whose scripts the Ban phách has (or has not yet) unsealed to scores of 100,
    as exam/marking's unsealing writes them (``PaperScript.score``)."""
    round_ = position.round
    board = make.user(Role.BOARD_ADMIN)
    paper = PaperTest(round=round_, title="Viết", criteria=[], max_points=Decimal(100))
    db.session.add(paper)
    for name, score in scores.items():
        db.session.add(
            PaperScript(
                paper_test=paper,
                application=applications[name],
                stored_name=f"scan-{name}.pdf",
                size=10,
                sha256="0" * 64,
                uploaded_at=NOW,
                uploaded_by_id=board.id,
                points=Decimal(score) if unsealed else None,
                score=Decimal(score) if unsealed else None,
            )
        )
    db.session.add(
        MarkingPlan(
            round=round_,
            coded_at=NOW,
            handed_over_at=NOW,
            unsealed_at=NOW if unsealed else None,
        )
    )
    db.session.flush()


def test_the_written_part_reads_the_unsealed_paper_scripts_not_the_online_test(make):
    position, applications = build_contest(
        make,
        [Person("Kim Văn Giấy", 4, ("80", "80")), Person("Kim Thị Vắng", 4, ("90", "90"))],
        formula=civil_service_preset(),
    )
    _paper_scripts(make, position, applications, {"Kim Văn Giấy": "60"}, unsealed=True)
    rows = _by_name(rank(make, position))
    # 60 on paper (the online test's 100 % is not the written part here), 80 at the interview.
    assert rows["Kim Văn Giấy"].written_score == Decimal("60.00")
    assert rows["Kim Văn Giấy"].total == by_hand(("60", 70), ("80", 30)) == Decimal("66.00")
    assert rows["Kim Văn Giấy"].outcome == Outcome.SELECTED
    absent = rows["Kim Thị Vắng"]  # no script: did not sit the written test
    assert absent.outcome == Outcome.FAILED_GATE
    assert "Không dự thi «Thi viết»." in absent.note


def test_the_written_part_waits_for_the_unsealing(make):
    position, applications = build_contest(
        make, [Person("Kim Văn Chờ", 4, ("80", "80"))], formula=civil_service_preset()
    )
    _paper_scripts(make, position, applications, {"Kim Văn Chờ": "70"}, unsealed=False)
    with pytest.raises(DomainError, match="Bài thi viết chưa rọc phách"):
        rank(make, position)
