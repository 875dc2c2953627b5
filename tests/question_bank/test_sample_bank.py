"""The sample bank under question_bank/: enough questions, every one loading as its type."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from exam.accounts.models import Role
from exam.exams.definition import approved_pool
from exam.question_bank.imports import plan_import, run_import
from exam.question_bank.interchange import QUESTION_TYPES
from exam.question_bank.models import Question, QuestionStatus
from exam.question_bank.operations import approve_question, create_bank, submit_for_review
from exam.question_bank.qtypes import get_type
from tests.factories import T0

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


OLD_LAW = "22/2008/QH12"  # the Law on Cadres and Civil Servants of 2008, replaced on 01/7/2025
IN_FORCE = ("80/2025/QH15", "170/2025/NĐ-CP", "172/2025/NĐ-CP")  # its successors


def _sample_bank(make) -> dict[str, Question]:
    """Every sample file in one bank, the way the demo loads it: all approved but history."""
    author, reviewer = make.user(Role.QUESTION_AUTHOR), make.user(Role.QUESTION_AUTHOR)
    bank = create_bank("Mẫu", "", actor=author)
    by_key: dict[str, Question] = {}
    for path in sorted(BANK_DIR.glob("*.yaml")):
        for question in run_import(
            bank, plan_import(bank, path.read_bytes(), None, path.name), actor=author
        ):
            if question.status != QuestionStatus.RETIRED:
                submit_for_review(question, actor=author)
                approve_question(question, actor=reviewer, at=T0)
            by_key[question.key] = question
    return by_key


def _rests_on_the_2008_law(basis: str) -> bool:
    """Cites the 2008 law for the cadres-and-civil-servants part of its basis, with no text
    in force beside it (another law, e.g. on public employees, may be cited too)."""
    return OLD_LAW in basis and not any(number in basis for number in IN_FORCE)


def test_no_question_in_use_rests_on_the_2008_law(make):
    """Since 01/7/2025 the Law on Cadres and Civil Servants No. 80/2025/QH15 is in force: no
    question that can be drawn cites the 2008 law alone, nor asks "under the 2008 law"."""
    in_use = [q for q in _sample_bank(make).values() if q.status != QuestionStatus.RETIRED]
    assert len(in_use) >= 150
    for question in in_use:
        version = question.current
        assert not _rests_on_the_2008_law(version.legal_basis), question.key
        assert "công chức năm 2008" not in version.text, question.key
        if "2424/BNV-CCVC" not in version.legal_basis:  # its day and month not verified yet
            assert version.legal_basis_date, question.key
    assert _rests_on_the_2008_law(
        "Luật Cán bộ, công chức số 22/2008/QH12, Điều 79 (được sửa đổi bởi Luật số 52/2019/QH14)"
    )
    assert _rests_on_the_2008_law(
        "Luật Cán bộ, công chức số 22/2008/QH12, Điều 4; Luật Viên chức số 58/2010/QH12, Điều 2"
    )
    assert not _rests_on_the_2008_law("Luật số 22/2008/QH12 và Luật số 80/2025/QH15 (so sánh)")


def test_the_replaced_questions_are_kept_as_retired_history(make):
    """The 37 questions resting only on the 2008 law stay in the bank, retired (never drawn,
    outside the key-position check), each named for its successor when it has one."""
    by_key = _sample_bank(make)
    history = {k: q for k, q in by_key.items() if q.status == QuestionStatus.RETIRED}
    assert len(history) == 37
    drawn = {q.key for q, _ in approved_pool(next(iter(by_key.values())).bank_id)}
    assert drawn.isdisjoint(history)
    assert drawn == set(by_key) - set(history)
    successors = 0
    for key, question in history.items():
        version = question.current
        assert key.endswith("-2008")
        assert _rests_on_the_2008_law(version.legal_basis), key
        assert version.legal_basis_date, key
        assert version.legal_basis_date.year in (2008, 2019), key
        assert question.category.path.startswith("Văn bản đã thay thế/"), key
        if "thay bằng" in version.name:
            successor = by_key[key.removesuffix("-2008")]
            assert successor.status == QuestionStatus.APPROVED
            assert successor.current.type == version.type
            assert re.search(r"80/2025/QH15|172/2025/NĐ-CP", successor.current.legal_basis)
            successors += 1
        else:
            assert "chưa có câu thay thế" in version.name
            assert key.removesuffix("-2008") not in by_key
    assert successors >= 14
