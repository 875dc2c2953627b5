"""Reading the bank."""

from __future__ import annotations

import sqlalchemy as sa

from exam.extensions import db
from exam.question_bank.models import Bank, Question, QuestionStatus


def all_banks() -> list[Bank]:
    return list(db.session.scalars(sa.select(Bank).order_by(Bank.name)))


def questions_of_bank(bank: Bank) -> list[Question]:
    return list(
        db.session.scalars(
            sa.select(Question).where(Question.bank_id == bank.id).order_by(Question.key)
        )
    )


def approved_questions(bank_id: int) -> list[Question]:
    return list(
        db.session.scalars(
            sa.select(Question)
            .where(Question.bank_id == bank_id, Question.status == QuestionStatus.APPROVED)
            .order_by(Question.id)
        )
    )


def count_by_status(bank: Bank) -> dict[QuestionStatus, int]:
    rows = db.session.execute(
        sa.select(Question.status, sa.func.count())
        .where(Question.bank_id == bank.id)
        .group_by(Question.status)
    ).all()
    return {status: count for status, count in rows}
