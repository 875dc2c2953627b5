"""Writing to the bank: questions, their versions and their review."""

from __future__ import annotations

import datetime as dt
import unicodedata

import nh3
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.core.errors import DomainError, ValidationFailed
from exam.extensions import db
from exam.question_bank.interchange import QuestionData
from exam.question_bank.models import (
    Bank,
    Category,
    Difficulty,
    Question,
    QuestionStatus,
    QuestionVersion,
)
from exam.question_bank.qtypes import get_type


def create_bank(name: str, description: str, *, actor: User) -> Bank:
    name = name.strip()
    if db.session.scalars(sa.select(Bank).where(Bank.name == name)).first():
        raise ValidationFailed([("name", _l("Đã có ngân hàng câu hỏi mang tên này."))])
    bank = Bank(name=name, description=description.strip())
    db.session.add(bank)
    record("bank.create", bank, actor=actor, after={"name": name})
    return bank


def category_for_path(bank: Bank, path: str) -> Category | None:
    """The category at ``path`` ("A/B/C"), creating the missing levels."""
    parts = [p.strip() for p in path.split("/") if p.strip()]
    parent: Category | None = None
    for depth in range(1, len(parts) + 1):
        sub_path = "/".join(parts[:depth])
        category = db.session.scalars(
            sa.select(Category).where(Category.bank_id == bank.id, Category.path == sub_path)
        ).first()
        if category is None:
            category = Category(bank=bank, parent=parent, name=parts[depth - 1], path=sub_path)
            db.session.add(category)
        parent = category
    return parent


def _clean_text(text: str, text_format: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n")).strip()
    return nh3.clean(text) if text_format == "html" else text


def _version_from_data(data: QuestionData, number: int, actor: User) -> QuestionVersion:
    try:
        qtype = get_type(data.type)
    except LookupError:
        raise ValidationFailed([("type", _l("Kiểu câu hỏi không được hỗ trợ."))]) from None
    text = _clean_text(data.text, data.text_format)
    type_data = qtype.data_from_interchange(data)
    reasons = [("text", _l("Nội dung câu hỏi không được để trống."))] if not text else []
    reasons += [("choices", problem) for problem in qtype.problems(type_data)]
    if reasons:
        raise ValidationFailed(reasons)
    return QuestionVersion(
        number=number,
        type=data.type,
        text=text,
        data=type_data,
        default_points=data.default_points,
        difficulty=Difficulty(data.difficulty) if data.difficulty else None,
        legal_basis=data.legal_basis.strip(),
        legal_basis_date=data.legal_basis_date,
        general_feedback=data.general_feedback.strip(),
        created_by_id=actor.id,
    )


def _next_key(bank: Bank) -> str:
    count = db.session.scalar(sa.select(sa.func.count()).where(Question.bank_id == bank.id))
    return f"Q{count + 1:05d}"


def create_question(bank: Bank, data: QuestionData, *, actor: User) -> Question:
    key = data.key.strip() or _next_key(bank)
    duplicate = db.session.scalars(
        sa.select(Question).where(Question.bank_id == bank.id, Question.key == key)
    ).first()
    if duplicate:
        raise ValidationFailed([("key", _l("Mã câu hỏi %(key)s đã có trong ngân hàng.", key=key))])
    question = Question(
        bank=bank,
        key=key,
        category=category_for_path(bank, data.category) if data.category else None,
        author_id=actor.id,
        status=QuestionStatus.DRAFT,
    )
    question.versions.append(_version_from_data(data, 1, actor))
    db.session.add(question)
    record(
        "question.create",
        question,
        actor=actor,
        after={"bank_id": bank.id, "key": key, "type": data.type},
    )
    return question


def submit_for_review(question: Question, *, actor: User) -> Question:
    if question.status != QuestionStatus.DRAFT:
        raise DomainError(_l("Chỉ gửi duyệt câu hỏi ở trạng thái bản nháp."))
    question.status = QuestionStatus.SUBMITTED
    record("question.submit", question, actor=actor, after={"status": question.status})
    return question


def approve_question(question: Question, *, actor: User, at: dt.datetime) -> Question:
    """Approval by someone other than the author; only approved questions are drawn."""
    if question.status != QuestionStatus.SUBMITTED:
        raise DomainError(_l("Chỉ duyệt câu hỏi đang chờ duyệt."))
    if question.author_id == actor.id:
        raise DomainError(_l("Người soạn không được tự duyệt câu hỏi của mình."))
    question.status = QuestionStatus.APPROVED
    question.approved_by_id = actor.id
    question.approved_at = at
    record("question.approve", question, actor=actor, after={"status": question.status})
    return question


def reveal_question(question: Question, *, actor: User) -> Question:
    """Showing a secret question to someone leaves a trace in the audit trail."""
    record("question.view", question, actor=actor)
    return question


def import_questions(bank: Bank, questions: list[QuestionData], *, actor: User) -> list[Question]:
    """Add every question or none: the first refusal rolls the whole file back (the caller's
    transaction), with every question's problems listed, each under its key."""
    created, reasons = [], []
    for data in questions:
        try:
            with db.session.begin_nested():
                created.append(create_question(bank, data, actor=actor))
        except ValidationFailed as failed:
            reasons += [(None, f"{data.key or data.text[:40]}: {m}") for _, m in failed.reasons]
    if reasons:
        raise ValidationFailed(reasons)
    return created
