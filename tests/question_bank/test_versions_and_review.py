"""Versions, review and the life of a question: every (state, action) pair that matters."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from exam.accounts.models import Role
from exam.audit.models import AuditEntry
from exam.core.errors import DomainError, ValidationFailed
from exam.extensions import db
from exam.question_bank.models import Question, QuestionStatus
from exam.question_bank.operations import (
    approve_question,
    create_question,
    delete_question,
    edit_question,
    question_data,
    reinstate_question,
    reject_question,
    retire_question,
    submit_for_review,
)
from tests.conftest import login
from tests.factories import T0


@pytest.fixture
def people(make):
    return (
        make.user(Role.QUESTION_AUTHOR),
        make.user(Role.QUESTION_AUTHOR),
        make.user(Role.BOARD_ADMIN),
    )


def approved(make, author, reviewer) -> Question:
    question = make.question(author=author)
    submit_for_review(question, actor=author)
    approve_question(question, actor=reviewer, at=T0)
    return question


def test_an_edit_writes_a_new_version_and_keeps_the_old_one(make, people):
    author, other, _ = people
    question = make.question(author=author)
    first = question.current
    data = dataclasses.replace(question_data(first), text="Nội dung đã sửa")
    edit_question(question, data, actor=other)
    assert [v.number for v in question.versions] == [1, 2]
    assert question.versions[0].text == first.text != question.current.text
    assert question.current.created_by_id == other.id
    assert question.status == QuestionStatus.DRAFT


def test_editing_an_approved_question_sends_it_back_to_review(make, people):
    author, reviewer, _board = people
    question = approved(make, author, reviewer)
    data = question_data(question.current)
    data.choices[1].text = "Phương án B đã sửa"
    edit_question(question, data, actor=author)
    assert question.status == QuestionStatus.SUBMITTED
    assert question.approved_by_id is None
    approve_question(question, actor=reviewer, at=T0)
    assert question.status == QuestionStatus.APPROVED


def test_the_writer_of_a_version_cannot_approve_it(make, people):
    author, reviewer, board = people
    question = approved(make, author, reviewer)
    edit_question(
        question, dataclasses.replace(question_data(question.current), text="Sửa"), actor=reviewer
    )
    with pytest.raises(DomainError, match="Người sửa phiên bản này"):
        approve_question(question, actor=reviewer, at=T0)
    with pytest.raises(DomainError, match="Người soạn không được tự duyệt"):
        approve_question(question, actor=author, at=T0)
    approve_question(question, actor=board, at=T0)
    assert question.approved_by_id == board.id


def test_changing_only_category_and_tags_writes_no_version(make, people):
    author, *_ = people
    question = make.question(author=author)
    data = dataclasses.replace(
        question_data(question.current), category="Mới/Con", tags=["b-thẻ", "a-thẻ"]
    )
    edit_question(question, data, actor=author)
    assert len(question.versions) == 1
    assert question.category.path == "Mới/Con"
    assert [t.name for t in question.tags] == ["a-thẻ", "b-thẻ"]
    with pytest.raises(DomainError, match="Không có thay đổi"):
        edit_question(question, data, actor=author)


def test_an_invalid_edit_changes_nothing(make, people):
    author, *_ = people
    question = make.question(author=author)
    data = question_data(question.current)
    data.choices = [dataclasses.replace(c, fraction=0.0) for c in data.choices]
    with pytest.raises(ValidationFailed, match="thiếu đáp án đúng"):
        edit_question(question, data, actor=author)
    assert len(question.versions) == 1


def test_reject_returns_to_draft_with_the_reason(make, people):
    author, reviewer, _ = people
    question = make.question(author=author)
    submit_for_review(question, actor=author)
    with pytest.raises(ValidationFailed, match="Ghi rõ lý do"):
        reject_question(question, "  ", actor=reviewer)
    with pytest.raises(DomainError, match="tự duyệt"):
        reject_question(question, "sai", actor=author)
    reject_question(question, "Phương án C sai căn cứ.", actor=reviewer)
    assert question.status == QuestionStatus.DRAFT
    assert question.review_comment == "Phương án C sai căn cứ."
    submit_for_review(question, actor=author)
    assert question.review_comment == ""


def test_an_approved_question_can_be_returned_too(make, people):
    author, reviewer, _ = people
    question = approved(make, author, reviewer)
    reject_question(question, "Luật đã thay đổi.", actor=reviewer)
    assert (question.status, question.approved_by_id) == (QuestionStatus.DRAFT, None)


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("draft", "approve"),
        ("draft", "reject"),
        ("submitted", "submit"),
        ("approved", "submit"),
        ("approved", "approve"),
        ("retired", "retire"),
        ("retired", "edit"),
        ("draft", "reinstate"),
        ("submitted", "delete"),
        ("approved", "delete"),
        ("retired", "delete"),
    ],
)
def test_wrong_transitions_are_refused(make, people, status, action):
    author, reviewer, board = people
    question = make.question(author=author)
    if status != "draft":
        submit_for_review(question, actor=author)
    if status in ("approved", "retired"):
        approve_question(question, actor=reviewer, at=T0)
    if status == "retired":
        retire_question(question, actor=board)
    before = question.status
    actions = {
        "submit": lambda: submit_for_review(question, actor=author),
        "approve": lambda: approve_question(question, actor=reviewer, at=T0),
        "reject": lambda: reject_question(question, "x", actor=reviewer),
        "retire": lambda: retire_question(question, actor=board),
        "reinstate": lambda: reinstate_question(question, actor=board),
        "edit": lambda: edit_question(question, question_data(question.current), actor=author),
        "delete": lambda: delete_question(question, actor=author),
    }
    with pytest.raises(DomainError):
        actions[action]()
    assert question.status == before


def test_retired_questions_are_not_drawn_and_can_come_back_as_drafts(make, people):
    from exam.exams.definition import approved_pool

    author, reviewer, board = people
    question = approved(make, author, reviewer)
    assert question.id in {q.id for q, _ in approved_pool(question.bank_id)}
    retire_question(question, actor=board)
    assert question.id not in {q.id for q, _ in approved_pool(question.bank_id)}
    reinstate_question(question, actor=board)
    assert question.status == QuestionStatus.DRAFT


def test_a_never_used_draft_can_be_deleted(make, people):
    author, *_ = people
    question = make.question(author=author)
    question_id = question.id
    delete_question(question, actor=author)
    db.session.expire_all()
    assert db.session.get(Question, question_id) is None
    assert db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "question.delete")
    ).one().object_id == str(question_id)


def test_a_question_on_a_paper_is_never_deleted_only_retired(make):
    from exam.exams.models import AttemptQuestion
    from exam.question_bank.queries import question_is_used

    round_ = make.round()
    make.application(round_.positions[0])
    test = make.test(round_, question_count=1)
    board = make.user(Role.BOARD_ADMIN)
    attempt_question = db.session.scalars(sa.select(AttemptQuestion)).first()
    question = attempt_question.version.question
    assert question_is_used(question)
    reject_question(question, "Cần sửa lại.", actor=board)  # back to draft…
    with pytest.raises(DomainError, match="không xoá được"):
        delete_question(question, actor=question.author)  # …but it was on a paper
    retire_question(question, actor=board)
    assert question.status == QuestionStatus.RETIRED
    assert test.id


def test_a_paper_keeps_the_version_it_was_drawn_with(make):
    from exam.exams.models import AttemptQuestion

    round_ = make.round()
    make.application(round_.positions[0])
    make.test(round_, question_count=1)
    item = db.session.scalars(sa.select(AttemptQuestion)).first()
    question = item.version.question
    pinned = item.version.id
    data = dataclasses.replace(question_data(question.current), text="Phiên bản mới")
    edit_question(question, data, actor=make.user(Role.QUESTION_AUTHOR))
    db.session.flush()
    db.session.expire_all()
    item = db.session.get(AttemptQuestion, item.id)
    assert item.version.id == pinned
    assert item.version.number == 1
    assert question.current.number == 2


def test_history_page_shows_who_changed_what(app, make, people):
    author, other, board = people
    question = make.question(author=author)
    data = dataclasses.replace(
        question_data(question.current), text="Câu hỏi đã sửa", legal_basis="Luật số 80/2025/QH15"
    )
    edit_question(question, data, actor=other)
    submit_for_review(question, actor=other)
    reject_question(question, "Thiếu ngày ban hành.", actor=board)
    db.session.commit()
    page = login(app.test_client(), board).get(f"/bank/questions/{question.id}/history")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Phiên bản 2" in html
    assert other.full_name in html
    assert "căn cứ pháp lý" in html
    assert "Luật số 80/2025/QH15" in html
    assert "Luật Viên chức số 58/2010/QH12, Điều 2" in html  # the value before
    assert "Thiếu ngày ban hành." in html
    assert "Trả lại" in html


def test_create_question_refuses_a_taken_key_and_long_fields(make, people):
    author, *_ = people
    bank = make.bank(0)
    create_question(bank, make.question_data(1, key="K-1"), actor=author)
    with pytest.raises(ValidationFailed, match="K-1 đã có"):
        create_question(bank, make.question_data(2, key="K-1"), actor=author)
    with pytest.raises(ValidationFailed, match="Mã câu hỏi dài quá"):
        create_question(bank, make.question_data(3, key="K" * 61), actor=author)
    with pytest.raises(ValidationFailed, match="Thẻ dài quá"):
        create_question(bank, make.question_data(4, tags=["t" * 101]), actor=author)
