"""Where the right answers sit in a bank (issue 10, item 1): a bank whose authors put the key
first lets a candidate answer A everywhere whenever options are not shuffled; the bank's
coverage page and `flask bank keys` say so."""

from __future__ import annotations

from pathlib import Path

import pytest

from exam.accounts.models import Role
from exam.extensions import db
from exam.question_bank.imports import plan_import, run_import
from exam.question_bank.interchange import Choice, QuestionData
from exam.question_bank.models import Bank
from exam.question_bank.operations import create_bank, create_question, retire_question
from exam.question_bank.queries import chi_square_survival, key_position_report
from tests.conftest import login

BANK_DIR = Path(__file__).resolve().parents[2] / "question_bank"


def _bank(make, name: str, questions: list[QuestionData]) -> Bank:
    author = make.user(Role.QUESTION_AUTHOR)
    bank = create_bank(name, "", actor=author)
    for question in questions:
        create_question(bank, question, actor=author)
    db.session.flush()
    return bank


def _single(make, keys: list[int]) -> list[QuestionData]:
    return [make.question_data(n, correct=key) for n, key in enumerate(keys)]


def _multiple(n: int, right: set[int]) -> QuestionData:
    choices = [
        Choice(f"Ý {x} của câu {n}", 0.5 if i in right else -0.5) for i, x in enumerate("ABCDE")
    ]
    return QuestionData("multiple_response", f"Chọn các ý đúng ({n})", choices=choices)


def _true_false(n: int, answer: bool) -> QuestionData:
    return QuestionData("true_false", f"Nhận định số {n}", correct_answer=answer)


def test_chi_square_survival_matches_the_tables():
    # The 5 % and 1 % critical values of the usual tables, odd and even degrees.
    for statistic, freedom, p in [
        (3.841, 1, 0.05),
        (6.635, 1, 0.01),
        (5.991, 2, 0.05),
        (7.815, 3, 0.05),
        (11.345, 3, 0.01),
        (9.488, 4, 0.05),
    ]:
        assert chi_square_survival(statistic, freedom) == pytest.approx(p, abs=1e-4)
    assert chi_square_survival(0, 3) == 1.0


def test_keys_gathered_at_a_are_flagged(make):
    bank = _bank(make, "Đáp án dồn về A", _single(make, [0] * 9 + [1, 2, 3]))
    [single] = key_position_report(bank.id).types
    assert single.type == "single_choice"
    assert single.questions == 12
    assert single.keys == [9, 1, 1, 1]
    assert single.expected == [3.0, 3.0, 3.0, 3.0]
    assert single.skewed
    assert single.heaviest == 0
    assert single.share(0) == 0.75
    assert single.fair(0) == 0.25


def test_balanced_keys_are_not_flagged(make):
    bank = _bank(make, "Đáp án rải đều", _single(make, [n % 4 for n in range(20)]))
    report = key_position_report(bank.id)
    [single] = report.types
    assert single.keys == [5, 5, 5, 5]
    assert not single.skewed
    assert report.skewed == []


def test_a_skew_within_chance_is_not_flagged(make):
    """7 of 10 at A: p ≈ 0.013, not yet unlikely enough by chance."""
    bank = _bank(make, "Lệch nhẹ", _single(make, [0] * 7 + [1, 2, 3]))
    [single] = key_position_report(bank.id).types
    assert 0.01 < single.p_value < 0.02
    assert not single.skewed


def test_too_few_questions_are_not_judged(make):
    bank = _bank(make, "Ít câu", _single(make, [0] * 9))
    [single] = key_position_report(bank.id).types
    assert single.p_value < 0.001
    assert not single.skewed


def test_retired_questions_are_left_out(make):
    author = make.user(Role.QUESTION_AUTHOR)
    bank = _bank(make, "Ngừng sử dụng", _single(make, [n % 4 for n in range(12)]))
    extra = [create_question(bank, q, actor=author) for q in _single(make, [0] * 12)]
    for question in extra:
        retire_question(question, actor=author)
    db.session.flush()
    [single] = key_position_report(bank.id).types
    assert single.keys == [3, 3, 3, 3]


def test_multiple_response_and_true_false_are_checked_too(make):
    questions = [_multiple(n, {0, 1}) for n in range(12)]
    questions += [_true_false(n, True) for n in range(14)]
    bank = _bank(make, "Nhiều lựa chọn và Đúng/Sai", questions)
    multiple, true_false = key_position_report(bank.id).types
    assert multiple.type == "multiple_response"
    assert multiple.keys == [12, 12, 0, 0, 0]
    assert multiple.expected == pytest.approx([4.8] * 5)
    assert multiple.skewed
    assert true_false.type == "true_false"
    assert true_false.keys == [14, 0]
    assert true_false.skewed

    spread = [_multiple(n, {n % 5, (n + 2) % 5}) for n in range(10)]
    spread += [_true_false(n, n % 2 == 0) for n in range(14)]
    balanced = _bank(make, "Rải đều", spread)
    assert key_position_report(balanced.id).skewed == []


def test_the_sample_bank_is_not_skewed(make):
    author = make.user(Role.QUESTION_AUTHOR)
    bank = create_bank("Mẫu", "", actor=author)
    for path in sorted(BANK_DIR.glob("*.yaml")):
        plan = plan_import(bank, path.read_bytes(), None, path.name)
        run_import(bank, plan, actor=author)
        # Each file alone too: a board may import one of them.
        alone = create_bank(f"Mẫu {path.stem}", "", actor=author)
        run_import(alone, plan_import(alone, path.read_bytes(), None, path.name), actor=author)
        assert key_position_report(alone.id).skewed == [], path.name
    db.session.flush()
    report = key_position_report(bank.id)
    assert [r.type for r in report.types] == ["single_choice", "multiple_response", "true_false"]
    assert report.skewed == []
    single = report.types[0]
    assert single.questions >= 150
    assert max(single.share(p) for p in range(4)) < 0.3  # roughly uniform over A–D


def test_the_coverage_page_shows_the_skew(app, make):
    skewed = _bank(make, "Lệch về A", _single(make, [0] * 12))
    balanced = _bank(make, "Rải đều", _single(make, [n % 4 for n in range(12)]))
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    client = login(app.test_client(), board)
    page = client.get(f"/bank/{skewed.id}/coverage").get_data(as_text=True)
    assert "Vị trí của đáp án đúng" in page
    assert '<span class="badge text-bg-danger">Lệch</span>' in page
    assert "Đáp án đúng dồn về A: 100 % so với 25 % nếu rải đều." in page
    fine = client.get(f"/bank/{balanced.id}/coverage").get_data(as_text=True)
    assert '<span class="badge text-bg-success">Cân đối</span>' in fine
    assert "Đáp án đúng dồn về" not in fine
    assert "text-bg-danger" not in fine


def test_the_command_line_reports_and_fails_on_a_skew(app, make):
    _bank(make, "CLI lệch", _single(make, [0] * 12))
    _bank(make, "CLI cân đối", _single(make, [n % 4 for n in range(12)]))
    db.session.commit()
    runner = app.test_cli_runner()
    skewed = runner.invoke(args=["bank", "keys", "--bank", "CLI lệch"])
    assert skewed.exit_code == 1
    assert "single_choice: 12 question(s)" in skewed.output
    assert "SKEWED" in skewed.output
    assert "100.0%" in skewed.output
    fine = runner.invoke(args=["bank", "keys", "--bank", "CLI cân đối"])
    assert fine.exit_code == 0, fine.output
    assert "ok" in fine.output
    missing = runner.invoke(args=["bank", "keys", "--bank", "Không có"])
    assert missing.exit_code != 0
