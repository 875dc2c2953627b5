"""Defining a test and making its papers: the bank-size rule, one paper per eligible
candidate made before the start, reproducible draws, pinned question versions."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from exam.accounts.models import Role
from exam.core.errors import DomainError, ValidationFailed
from exam.exams.definition import create_test
from exam.exams.models import Attempt
from exam.exams.models import Test as ExamTest
from exam.exams.papers import blueprint_pools, draw_paper, generate_papers
from exam.extensions import db
from exam.question_bank.models import QuestionVersion
from exam.question_bank.operations import submit_for_review
from exam.question_bank.queries import approved_questions
from exam.rounds.models import RoundStatus
from tests.conftest import login

STARTS_AT = dt.datetime(2026, 4, 1, 1, 0, tzinfo=dt.UTC)
BEFORE = STARTS_AT - dt.timedelta(hours=2)


def exactly(message: str) -> str:
    """A ``match=`` pattern for exactly this message."""
    return f"^{re.escape(message)}$"


def _create(round_, bank, board, question_count: int = 3) -> ExamTest:
    return create_test(
        round_,
        bank,
        title="Trắc nghiệm kiến thức chung",
        question_count=question_count,
        duration_minutes=60,
        starts_at=STARTS_AT,
        actor=board,
    )


def _papers_of(test: ExamTest) -> list[Attempt]:
    return list(
        db.session.scalars(
            sa.select(Attempt).where(Attempt.test_id == test.id).order_by(Attempt.id)
        )
    )


def _paper(attempt: Attempt) -> list[tuple[int, list[str]]]:
    return [(item.version.id, list(item.option_order)) for item in attempt.questions]


# --- create_test: the bank holds at least 3× the questions of one paper --------------------


def test_create_test_refuses_a_bank_smaller_than_three_papers(make):
    round_, board = make.round(), make.user(Role.BOARD_ADMIN)
    bank = make.bank(8)
    with pytest.raises(ValidationFailed) as refused:
        _create(round_, bank, board, question_count=3)
    [(field, message)] = refused.value.reasons
    assert field == "question_count"
    assert message == "Ngân hàng chỉ có 8 câu hỏi đã duyệt; đề 3 câu cần ít nhất 9."
    assert db.session.scalars(sa.select(ExamTest).where(ExamTest.bank_id == bank.id)).all() == []


def test_create_test_accepts_exactly_three_times_the_paper(make):
    round_, board = make.round(), make.user(Role.BOARD_ADMIN)
    test = _create(round_, make.bank(9), board, question_count=3)
    db.session.flush()
    assert test.id is not None
    assert test.ends_at == STARTS_AT + dt.timedelta(minutes=60)
    assert len(test.session_code) == 6


def test_create_test_counts_only_approved_questions(make):
    round_, board = make.round(), make.user(Role.BOARD_ADMIN)
    bank = make.bank(6)
    author = make.user(Role.QUESTION_AUTHOR)
    for _ in range(3):
        make.question(bank, author=author)  # drafts
    for _ in range(3):
        submit_for_review(make.question(bank, author=author), actor=author)  # awaiting review
    db.session.flush()
    assert len(bank_questions := approved_questions(bank.id)) == 6
    with pytest.raises(ValidationFailed) as refused:
        _create(round_, bank, board, question_count=3)
    assert refused.value.reasons[0][0] == "question_count"
    assert f"chỉ có {len(bank_questions)} câu hỏi đã duyệt" in refused.value.reasons[0][1]


def test_new_test_form_shows_the_bank_size_error_next_to_the_field(app, make):
    round_, board = make.round(), make.user(Role.BOARD_ADMIN)
    bank = make.bank(5)
    db.session.commit()
    client = login(app.test_client(), board)
    response = client.post(
        f"/rounds/{round_.id}/tests/new",
        data={
            "title": "Trắc nghiệm",
            "bank_id": bank.id,
            "question_count": 2,
            "duration_minutes": 60,
            "starts_at": "2026-04-01T08:00",
        },
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="question_count-error"' in html
    assert "Ngân hàng chỉ có 5 câu hỏi đã duyệt; đề 2 câu cần ít nhất 6." in html
    db.session.expire_all()
    assert db.session.scalars(sa.select(ExamTest).where(ExamTest.round_id == round_.id)).all() == []


# --- generate_papers ---------------------------------------------------------------------


def test_generate_papers_makes_one_paper_per_eligible_candidate_only(make):
    round_ = make.round(positions=2)
    first, second = round_.positions
    eligible = [make.application(first), make.application(first), make.application(second)]
    make.application(first, eligible=None)  # submitted, not yet decided
    make.application(second, eligible=False)  # not eligible
    test = make.test(round_, starts_at=STARTS_AT, papers=False)
    board = make.user(Role.BOARD_ADMIN)

    make.stage(test.round, RoundStatus.TESTING)
    made = generate_papers(test, actor=board, at=BEFORE)
    db.session.flush()

    papers = _papers_of(test)
    assert len(made) == 3
    assert sorted(p.application_id for p in papers) == sorted(a.id for a in eligible)
    assert test.papers_generated_at == BEFORE
    pool = {q.current.id for q in approved_questions(test.bank_id)}
    for paper in papers:
        versions = [item.question_version_id for item in paper.questions]
        assert len(versions) == test.question_count == len(set(versions))
        assert set(versions) <= pool
        assert [item.position for item in paper.questions] == [1, 2, 3]


def test_generate_papers_refuses_once_the_test_has_started(make):
    round_ = make.round()
    make.application(round_.positions[0])
    test = make.test(round_, starts_at=STARTS_AT, papers=False)
    board = make.user(Role.BOARD_ADMIN)
    make.stage(round_, RoundStatus.TESTING)
    for at in (STARTS_AT, STARTS_AT + dt.timedelta(minutes=1)):
        with pytest.raises(DomainError, match=exactly("Phải tạo đề trước giờ bắt đầu thi.")):
            generate_papers(test, actor=board, at=at)
    db.session.flush()
    assert _papers_of(test) == []
    assert test.papers_generated_at is None


def test_generate_papers_refuses_without_eligible_candidates(make):
    round_ = make.round()
    make.application(round_.positions[0], eligible=False)
    test = make.test(round_, starts_at=STARTS_AT, papers=False)
    make.stage(round_, RoundStatus.TESTING)
    with pytest.raises(DomainError, match=exactly("Chưa có thí sinh đủ điều kiện để tạo đề.")):
        generate_papers(test, actor=make.user(Role.BOARD_ADMIN), at=BEFORE)


def test_generate_papers_again_keeps_existing_papers(make):
    round_ = make.round()
    position = round_.positions[0]
    make.application(position)
    make.application(position)
    test = make.test(round_, starts_at=STARTS_AT, papers=False)
    board = make.user(Role.BOARD_ADMIN)
    make.stage(test.round, RoundStatus.TESTING)
    generate_papers(test, actor=board, at=BEFORE)
    db.session.flush()
    before = {p.id: (p.application_id, p.seed, _paper(p)) for p in _papers_of(test)}

    late = make.application(position)
    make.stage(test.round, RoundStatus.TESTING)
    made = generate_papers(test, actor=board, at=BEFORE + dt.timedelta(minutes=30))
    db.session.flush()
    db.session.expire_all()

    papers = _papers_of(test)
    assert [p.application_id for p in made] == [late.id]
    assert len(papers) == 3
    assert {p.id: (p.application_id, p.seed, _paper(p)) for p in papers if p.id in before} == before

    # Nobody new: running it again makes nothing and changes nothing.
    make.stage(test.round, RoundStatus.TESTING)
    assert generate_papers(test, actor=board, at=BEFORE + dt.timedelta(minutes=45)) == []
    db.session.flush()
    assert len(_papers_of(test)) == 3


# --- reproducible papers -------------------------------------------------------------------


def _shuffled_test(make) -> ExamTest:
    round_ = make.round()
    make.application(round_.positions[0])
    test = make.test(round_, question_count=4, starts_at=STARTS_AT, papers=False)
    test.shuffle_questions = True
    test.shuffle_options = True
    return test


def _pool(test: ExamTest) -> dict:
    return blueprint_pools(test)


def test_same_seed_and_pool_give_the_same_paper(make):
    test = _shuffled_test(make)
    pools = _pool(test)
    [section] = test.sections
    reversed_pools = {section: dict(reversed(list(pools[section].items())))}
    one, two = Attempt(test=test, seed=424242), Attempt(test=test, seed=424242)
    draw_paper(one, pools)
    draw_paper(two, reversed_pools)  # order of the pool does not matter
    assert _paper(one) == _paper(two)
    versions = pools[section].values()
    assert set(versions_drawn := [v for v, _ in _paper(one)]) <= {v.id for v in versions}
    assert len(set(versions_drawn)) == 4
    assert [item.position for item in one.questions] == [1, 2, 3, 4]
    assert sorted(item.slot for item in one.questions) == [1, 2, 3, 4]
    for _, order in _paper(one):
        assert sorted(order) == ["a", "b", "c", "d"]


def test_a_different_seed_gives_a_different_paper(make):
    test = _shuffled_test(make)
    pools = _pool(test)
    papers = []
    for seed in (1, 2, 3):
        attempt = Attempt(test=test, seed=seed)
        draw_paper(attempt, pools)
        papers.append(_paper(attempt))
    assert len({repr(p) for p in papers}) == 3


def test_a_stored_paper_can_be_rederived_from_its_seed(make):
    test = _shuffled_test(make)
    make.stage(test.round, RoundStatus.TESTING)
    generate_papers(test, actor=make.user(Role.BOARD_ADMIN), at=BEFORE)
    db.session.flush()
    [stored] = _papers_of(test)
    again = Attempt(test=test, seed=stored.seed)
    draw_paper(again, _pool(test))
    assert _paper(again) == _paper(stored)


def test_papers_pin_the_question_version_they_were_drawn_with(make):
    round_ = make.round()
    position = round_.positions[0]
    make.application(position)
    test = make.test(round_, starts_at=STARTS_AT, papers=False)
    board = make.user(Role.BOARD_ADMIN)
    make.stage(test.round, RoundStatus.TESTING)
    generate_papers(test, actor=board, at=BEFORE)
    db.session.flush()
    [paper] = _papers_of(test)
    pinned = {item.id: (item.question_version_id, item.version.text) for item in paper.questions}

    # Every question of the bank gets a second version (an edit after the papers were made).
    for question in approved_questions(test.bank_id):
        old = question.current
        question.versions.append(
            QuestionVersion(
                number=2,
                type=old.type,
                text=f"{old.text} (đã sửa)",
                data=old.data,
                created_by_id=board.id,
            )
        )
    db.session.flush()
    db.session.expire_all()

    paper = db.session.get(Attempt, paper.id)
    assert {item.id: (item.question_version_id, item.version.text) for item in paper.questions} == (
        pinned
    )
    assert all(item.version.number == 1 for item in paper.questions)

    # A paper made after the edit draws the new versions.
    late = make.application(position)
    make.stage(test.round, RoundStatus.TESTING)
    [new_paper] = generate_papers(test, actor=board, at=BEFORE + dt.timedelta(minutes=5))
    db.session.flush()
    assert new_paper.application_id == late.id
    assert all(item.version.number == 2 for item in new_paper.questions)
    assert all(item.version.text.endswith("(đã sửa)") for item in new_paper.questions)
