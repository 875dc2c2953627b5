"""The bank keeps its own record of a question's use (issue 12 item 4): the exams domain tells
it when papers are drawn, instead of the bank reading the papers."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import pytest
import sqlalchemy as sa

from exam.core.errors import DomainError
from exam.extensions import db
from exam.question_bank.models import Question, QuestionStatus
from exam.question_bank.operations import delete_question, mark_used
from exam.question_bank.queries import question_is_used
from tests.factories import T0

ROOT = Path(__file__).resolve().parent.parent.parent
STARTS_AT = T0 + dt.timedelta(days=30)
DRAWN_AT = STARTS_AT - dt.timedelta(hours=1)


def _questions(bank_id: int) -> list[Question]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Question).where(Question.bank_id == bank_id)))


def test_drawing_papers_records_each_drawn_questions_first_use(make):
    round_ = make.round()
    make.application(round_.positions[0])
    test = make.test(round_, starts_at=STARTS_AT)
    questions = _questions(test.bank_id)
    used = [q for q in questions if q.first_used_at is not None]
    assert len(used) == test.sections[0].question_count
    assert {q.first_used_at for q in used} == {DRAWN_AT}
    assert all(question_is_used(q) for q in used)
    assert not any(question_is_used(q) for q in questions if q not in used)


def test_a_later_use_keeps_the_first(make):
    question = make.question()
    mark_used([question.id], at=T0)
    mark_used([question.id], at=T0 + dt.timedelta(days=1))
    mark_used([], at=T0)
    db.session.expire_all()
    assert db.session.get(Question, question.id).first_used_at == T0


def test_a_used_draft_cannot_be_deleted(make):
    question = make.question()
    assert question.status == QuestionStatus.DRAFT
    mark_used([question.id], at=T0)
    with pytest.raises(DomainError, match="Câu hỏi đã có trong đề thi"):
        delete_question(question, actor=question.author)


def _backfill() -> str:
    [path] = (ROOT / "migrations" / "versions").glob("*_questions_first_used_at.py")
    spec = importlib.util.spec_from_file_location("first_used_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.BACKFILL


def test_the_migration_gives_questions_already_on_papers_their_first_use(make):
    round_ = make.round()
    make.application(round_.positions[0])
    make.application(round_.positions[0])
    test = make.test(round_, starts_at=STARTS_AT)
    before = {q.id: q.first_used_at for q in _questions(test.bank_id)}
    db.session.execute(sa.update(Question).values(first_used_at=None))
    db.session.execute(sa.text(_backfill()))
    after = {q.id: q.first_used_at for q in _questions(test.bank_id)}
    assert after == before
    assert set(after.values()) == {DRAWN_AT, None}  # the drawn ones, and the others unused
