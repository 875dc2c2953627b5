"""The sample bank under question_bank/: enough questions, every one loading as its type."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from exam.accounts.models import Role
from exam.question_bank.imports import plan_import, run_import
from exam.question_bank.interchange import QUESTION_TYPES
from exam.question_bank.operations import create_bank
from exam.question_bank.qtypes import get_type

BANK_DIR = Path(__file__).resolve().parents[2] / "question_bank"


def test_sample_bank_loads_whole_with_every_type(make):
    author = make.user(Role.QUESTION_AUTHOR)
    bank = create_bank("Mẫu", "", actor=author)
    types: Counter[str] = Counter()
    files = sorted(BANK_DIR.glob("*.yaml"))
    assert len(files) >= 3
    for path in files:
        plan = plan_import(bank, path.read_bytes(), None, path.name)
        assert plan.format == "native"
        assert plan.problems == [], (path.name, plan.problems[:3])
        assert plan.bank_name == "Kiến thức chung về quản lý nhà nước"
        for question in run_import(bank, plan, actor=author):
            version = question.current
            assert get_type(version.type).problems(version.data) == []
            assert version.legal_basis, question.key  # every question cites its basis
            types[version.type] += 1
    assert sum(types.values()) >= 150
    assert set(types) == set(QUESTION_TYPES)


def test_sample_short_answers_accept_what_they_should(make):
    """Two sample questions checked by hand: an unmarked answer where marks are optional,
    and no stray word accepted as the whole answer."""
    author = make.user(Role.QUESTION_AUTHOR)
    bank = create_bank("Mẫu", "", actor=author)
    by_key = {}
    for path in sorted(BANK_DIR.glob("*.yaml")):
        plan = plan_import(bank, path.read_bytes(), None, path.name)
        by_key |= {q.key: q for q in run_import(bank, plan, actor=author)}
    short = get_type("short_answer")
    sudden = by_key["PLC-043"].current.data
    assert short.score_fraction(sudden, "dot xuat") == 1.0
    assert short.score_fraction(sudden, "Đột xuất") == 1.0
    term = by_key["LCB-028"].current.data
    assert short.score_fraction(term, "05 năm") == 1.0
    assert short.score_fraction(term, "năm") == 0.0
