"""Two rules of the bank written once (exam/question_bank/queries.py) and used by the tests'
blueprint too: a category with its subtree, and a question's current version."""

from __future__ import annotations

import dataclasses

from exam.accounts.models import Role
from exam.exams import models as exams
from exam.exams.definition import approved_pool, section_pool
from exam.extensions import db
from exam.question_bank.models import Category
from exam.question_bank.operations import (
    approve_question,
    edit_question,
    question_data,
)
from exam.question_bank.queries import (
    QuestionFilter,
    approved_with_current_version,
    find_questions,
    subtree_ids,
)
from tests.factories import T0


def _category(bank_id: int, path: str) -> Category:
    return db.session.scalar(
        db.select(Category).where(Category.bank_id == bank_id, Category.path == path)
    )


def test_a_category_means_itself_and_everything_below_never_a_look_alike_name(make):
    bank = make.bank(0)
    other_bank = make.bank(0)
    below = make.approved_questions(bank, 2, category="Luật/Viên chức/Tuyển dụng")
    itself = make.approved_questions(bank, 1, category="Luật/Viên chức")
    make.approved_questions(bank, 2, category="Luật/Viên chức khác")  # same prefix, a sibling
    make.approved_questions(bank, 1, category="Luật")  # the parent
    make.approved_questions(other_bank, 2, category="Luật/Viên chức")
    chosen = _category(bank.id, "Luật/Viên chức")

    ids = subtree_ids(bank.id, chosen.id)

    assert ids == {chosen.id, _category(bank.id, "Luật/Viên chức/Tuyển dụng").id}
    expected = {q.id for q in below + itself}
    in_the_bank = find_questions(bank.id, QuestionFilter(category_id=chosen.id))
    assert {found.question.id for found in in_the_bank} == expected
    section = exams.TestSection(category_id=chosen.id, difficulty=None, question_type=None)
    test = make.test(make.round(), papers=False)
    test.bank_id = bank.id
    assert set(section_pool(test, section, approved_pool(bank.id))) == expected


def test_a_loop_of_parents_in_the_data_does_not_hang_the_subtree(make):
    bank = make.bank(0)
    make.approved_questions(bank, 1, category="A/B")
    top, child = _category(bank.id, "A"), _category(bank.id, "A/B")
    top.parent_id = child.id  # corrupt data: A under B under A
    db.session.flush()

    assert subtree_ids(bank.id, top.id) == {top.id, child.id}


def test_the_draw_takes_the_current_version_as_the_bank_shows_it(make):
    bank = make.bank(0)
    [question] = make.approved_questions(bank, 1)
    author, reviewer = make.user(Role.QUESTION_AUTHOR), make.user(Role.QUESTION_AUTHOR)
    changed = dataclasses.replace(question_data(question.current), text="Nội dung đã sửa: đúng?")
    edit_question(question, changed, actor=author)
    approve_question(question, actor=reviewer, at=T0)
    db.session.flush()

    [(found, version)] = approved_with_current_version(bank.id)

    assert found.id == question.id
    assert version.number == 2 == question.current.number
    assert version.id == question.current.id
    assert approved_pool(bank.id) == [(question, question.current)]
