"""Writing to the bank: questions, their versions, their review, imports and exports.

Every function flushes and writes its audit entry; none commits (the caller's one
transaction does, or rolls everything back).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import mimetypes
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.core.db import lock_row, utcnow
from exam.core.errors import DomainError, ValidationFailed
from exam.extensions import db
from exam.question_bank.formats import ExportProblem, ExportUnsupported, dump, exportable
from exam.question_bank.formats.common import (
    FIELD_LABELS,
    changed_fields,
    finish_question,
    question_label,
    validate_question,
)
from exam.question_bank.interchange import QuestionData
from exam.question_bank.models import (
    Bank,
    BankMedia,
    Category,
    Difficulty,
    Question,
    QuestionStatus,
    QuestionVersion,
    Tag,
    question_tags,
)
from exam.question_bank.qtypes import get_type, registered_types
from exam.question_bank.queries import media_of, question_is_used

# Limits of the columns, checked before the database sees the values.
MAX_KEY, MAX_NAME, MAX_LEGAL_BASIS, MAX_TAG, MAX_LEVEL, MAX_PATH = 60, 255, 500, 100, 200, 1000
# What belongs to the question rather than to one of its versions.
QUESTION_FIELDS = ("key", "category", "tags")


def create_bank(name: str, description: str, *, actor: User) -> Bank:
    name = name.strip()
    if not name:
        raise ValidationFailed([("name", _l("Vui lòng điền mục này."))])
    if db.session.scalars(sa.select(Bank).where(Bank.name == name)).first():
        raise ValidationFailed([("name", _l("Đã có ngân hàng câu hỏi mang tên này."))])
    bank = Bank(name=name, description=description.strip())
    db.session.add(bank)
    record("bank.create", bank, actor=actor, after={"name": name})
    return bank


# --- categories and tags --------------------------------------------------------------------


class _BankCache:
    """The bank's categories, tags, keys and media, loaded once for many questions."""

    def __init__(self, bank: Bank):
        self.bank = bank
        self.categories = {
            c.path: c
            for c in db.session.scalars(sa.select(Category).where(Category.bank_id == bank.id))
        }
        self.tags = {
            t.name: t for t in db.session.scalars(sa.select(Tag).where(Tag.bank_id == bank.id))
        }
        self.keys = set(
            db.session.scalars(sa.select(Question.key).where(Question.bank_id == bank.id))
        )
        self.media: dict[str, BankMedia] = {}
        self._next_number = len(self.keys) + 1

    def category(self, path: str) -> Category | None:
        parts = [p.strip() for p in path.split("/") if p.strip()]
        parent: Category | None = None
        for depth in range(1, len(parts) + 1):
            sub_path = "/".join(parts[:depth])
            category = self.categories.get(sub_path)
            if category is None:
                category = Category(
                    bank=self.bank, parent=parent, name=parts[depth - 1], path=sub_path
                )
                db.session.add(category)
                self.categories[sub_path] = category
            parent = category
        return parent

    def tag_list(self, names: Iterable[str]) -> list[Tag]:
        result = []
        for name in dict.fromkeys(n.strip() for n in names if n.strip()):
            tag = self.tags.get(name)
            if tag is None:
                tag = Tag(bank_id=self.bank.id, name=name)
                db.session.add(tag)
                self.tags[name] = tag
            result.append(tag)
        return result

    def new_key(self) -> str:
        while f"Q{self._next_number:05d}" in self.keys:
            self._next_number += 1
        key = f"Q{self._next_number:05d}"
        self.keys.add(key)
        return key

    def media_refs(self, media: dict[str, bytes]) -> dict[str, str]:
        """Store each embedded file once per bank; the version keeps name → hash."""
        refs = {}
        for name, content in media.items():
            digest = hashlib.sha256(content).hexdigest()
            if digest not in self.media:
                stored = db.session.scalars(
                    sa.select(BankMedia).where(
                        BankMedia.bank_id == self.bank.id, BankMedia.sha256 == digest
                    )
                ).first()
                if stored is None:
                    stored = BankMedia(
                        bank_id=self.bank.id,
                        sha256=digest,
                        content_type=media_type(name, content),
                        size=len(content),
                        content=content,
                    )
                    db.session.add(stored)
                self.media[digest] = stored
            refs[name] = digest
        return refs


def category_for_path(bank: Bank, path: str) -> Category | None:
    """The category at ``path`` ("A/B/C"), creating the missing levels."""
    return _BankCache(bank).category(path)


_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def media_type(name: str, content: bytes) -> str:
    """The file's type by its first bytes (images), else by its name."""
    for magic, kind in _IMAGE_MAGIC:
        if content.startswith(magic):
            return kind
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    guessed = mimetypes.guess_type(name)[0]
    return guessed or "application/octet-stream"


# --- checking a question ----------------------------------------------------------------------


def canonical(data: QuestionData) -> QuestionData:
    """The form the bank stores: HTML sanitised, text NFC and trimmed, tags sorted."""
    data = finish_question(data)
    return dataclasses.replace(data, tags=sorted(data.tags))


def question_problems(data: QuestionData) -> list[str]:
    """Everything that stops ``data`` from being stored (messages in Vietnamese)."""
    if data.type not in registered_types():
        return [str(_l("Kiểu câu hỏi không được hỗ trợ: %(type)s.", type=data.type))]
    problems = list(validate_question(data))
    if len(data.key) > MAX_KEY:
        problems.append(str(_l("Mã câu hỏi dài quá %(n)d ký tự.", n=MAX_KEY)))
    if len(data.name) > MAX_NAME:
        problems.append(str(_l("Tên câu hỏi dài quá %(n)d ký tự.", n=MAX_NAME)))
    if len(data.legal_basis) > MAX_LEGAL_BASIS:
        problems.append(str(_l("Căn cứ pháp lý dài quá %(n)d ký tự.", n=MAX_LEGAL_BASIS)))
    if any(len(tag) > MAX_TAG for tag in data.tags):
        problems.append(str(_l("Thẻ dài quá %(n)d ký tự.", n=MAX_TAG)))
    levels = data.category.split("/")
    if len(data.category) > MAX_PATH or any(len(level) > MAX_LEVEL for level in levels):
        problems.append(str(_l("Tên chủ đề quá dài.")))
    if not problems:
        qtype = get_type(data.type)
        problems += qtype.problems(qtype.data_from_interchange(data))
    return problems


def _refuse_if_invalid(data: QuestionData) -> None:
    problems = question_problems(data)
    if problems:
        raise ValidationFailed([(None, problem) for problem in problems])


def _version(data: QuestionData, number: int, actor: User, cache: _BankCache) -> QuestionVersion:
    qtype = get_type(data.type)
    return QuestionVersion(
        number=number,
        type=data.type,
        name=data.name,
        text=data.text,
        text_format=data.text_format,
        data=qtype.data_from_interchange(data),
        default_points=data.default_points,
        difficulty=Difficulty(data.difficulty) if data.difficulty else None,
        legal_basis=data.legal_basis,
        legal_basis_date=data.legal_basis_date,
        general_feedback=data.general_feedback,
        media=cache.media_refs(data.media),
        created_by_id=actor.id,
    )


def _new_question(
    bank: Bank, data: QuestionData, actor: User, cache: _BankCache, status: QuestionStatus
) -> Question:
    key = data.key or cache.new_key()
    cache.keys.add(key)
    question = Question(
        bank=bank,
        key=key,
        category=cache.category(data.category) if data.category else None,
        author_id=actor.id,
        status=status,
        tags=cache.tag_list(data.tags),
    )
    question.versions.append(_version(data, 1, actor, cache))
    return question


def create_question(bank: Bank, data: QuestionData, *, actor: User) -> Question:
    """A new question (a draft) with its first version."""
    data = canonical(data)
    _refuse_if_invalid(data)
    cache = _BankCache(bank)
    if data.key and data.key in cache.keys:
        raise ValidationFailed(
            [("key", _l("Mã câu hỏi %(key)s đã có trong ngân hàng.", key=data.key))]
        )
    question = _new_question(bank, data, actor, cache, QuestionStatus.DRAFT)
    db.session.add(question)
    record(
        "question.create",
        question,
        actor=actor,
        after={"bank_id": bank.id, "key": question.key, "type": data.type},
    )
    return question


# --- versions -------------------------------------------------------------------------------


def question_data(version: QuestionVersion) -> QuestionData:
    """A stored version as the interchange form (for the editor, diffs and exports)."""
    return get_type(version.type).to_interchange(version, media=media_of(version))


def version_changes(before: QuestionData | None, after: QuestionData) -> list[str]:
    """Labels of the fields that differ between two versions of a question."""
    if before is None:
        return []
    return [FIELD_LABELS.get(name, name) for name in changed_fields(before, after)]


def edit_question(question: Question, data: QuestionData, *, actor: User) -> Question:
    """Save an edit. A change of content writes a new version (papers keep the version they
    were drawn with); an approved question whose content changed goes back to review.
    Category and tags belong to the question: changing only them writes no version."""
    lock_row(question)  # a review decided meanwhile is read before this edit's new version
    if question.status == QuestionStatus.RETIRED:
        raise DomainError(_l("Câu hỏi đã ngừng sử dụng: khôi phục trước khi sửa."))
    data = canonical(dataclasses.replace(data, key=question.key))
    _refuse_if_invalid(data)
    current = question_data(question.current)
    content = [name for name in changed_fields(current, data) if name not in QUESTION_FIELDS]
    cache = _BankCache(question.bank)
    before = {"category": current.category, "tags": current.tags}
    after = {"category": data.category, "tags": data.tags}
    if data.category != current.category:
        question.category = cache.category(data.category) if data.category else None
    if data.tags != current.tags:
        question.tags = cache.tag_list(data.tags)
    if not content and before == after:
        raise DomainError(_l("Không có thay đổi nào để lưu."))
    if content:
        question.versions.append(_version(data, question.current.number + 1, actor, cache))
        if question.status == QuestionStatus.APPROVED:
            question.status = QuestionStatus.SUBMITTED
            question.approved_by_id = None
            question.approved_at = None
    record(
        "question.edit",
        question,
        actor=actor,
        before={**before, "version": question.versions[-2].number if content else None},
        after={
            **after,
            "version": question.current.number,
            "changed": content,
            "status": question.status,
        },
    )
    return question


# --- review ---------------------------------------------------------------------------------


def _reviewer_is_someone_else(question: Question, actor: User) -> None:
    if question.author_id == actor.id:
        raise DomainError(_l("Người soạn không được tự duyệt câu hỏi của mình."))
    if question.current.created_by_id == actor.id:
        raise DomainError(_l("Người sửa phiên bản này không được tự duyệt nó."))


def submit_for_review(question: Question, *, actor: User) -> Question:
    if question.status != QuestionStatus.DRAFT:
        raise DomainError(_l("Chỉ gửi duyệt câu hỏi ở trạng thái bản nháp."))
    question.status = QuestionStatus.SUBMITTED
    question.review_comment = ""
    record("question.submit", question, actor=actor, after={"status": question.status})
    return question


def approve_question(question: Question, *, actor: User, at: dt.datetime) -> Question:
    """Approval by someone other than the author (and than the writer of the version under
    review); only approved questions are drawn into tests."""
    lock_row(question)  # an edit saved meanwhile is a new version: under review again
    if question.status != QuestionStatus.SUBMITTED:
        raise DomainError(_l("Chỉ duyệt câu hỏi đang chờ duyệt."))
    _reviewer_is_someone_else(question, actor)
    question.status = QuestionStatus.APPROVED
    question.approved_by_id = actor.id
    question.approved_at = at
    record(
        "question.approve",
        question,
        actor=actor,
        after={"status": question.status, "version": question.current.number},
    )
    return question


def reject_question(question: Question, comment: str, *, actor: User) -> Question:
    """Send a submitted (or approved) question back to its author as a draft, saying why."""
    lock_row(question)
    if question.status not in (QuestionStatus.SUBMITTED, QuestionStatus.APPROVED):
        raise DomainError(_l("Chỉ trả lại câu hỏi đang chờ duyệt hoặc đã duyệt."))
    comment = comment.strip()
    if not comment:
        raise ValidationFailed([("comment", _l("Ghi rõ lý do trả lại."))])
    _reviewer_is_someone_else(question, actor)
    before = question.status
    question.status = QuestionStatus.DRAFT
    question.review_comment = comment
    question.approved_by_id = None
    question.approved_at = None
    record(
        "question.reject",
        question,
        actor=actor,
        before={"status": before},
        after={"status": question.status, "comment": comment},
    )
    return question


def retire_question(question: Question, *, actor: User) -> Question:
    """No longer drawn into tests; kept with every version for the papers that used it."""
    if question.status == QuestionStatus.RETIRED:
        raise DomainError(_l("Câu hỏi đã ngừng sử dụng."))
    before = question.status
    question.status = QuestionStatus.RETIRED
    record(
        "question.retire",
        question,
        actor=actor,
        before={"status": before},
        after={"status": question.status},
    )
    return question


def reinstate_question(question: Question, *, actor: User) -> Question:
    """A retired question back to draft (it is reviewed again before it is drawn)."""
    if question.status != QuestionStatus.RETIRED:
        raise DomainError(_l("Chỉ khôi phục câu hỏi đã ngừng sử dụng."))
    question.status = QuestionStatus.DRAFT
    question.approved_by_id = None
    question.approved_at = None
    record("question.reinstate", question, actor=actor, after={"status": question.status})
    return question


def delete_question(question: Question, *, actor: User) -> None:
    """Only a draft that was never on a paper can be deleted; any other is retired."""
    if question.status != QuestionStatus.DRAFT:
        raise DomainError(_l("Chỉ xoá được câu hỏi ở trạng thái bản nháp."))
    if question_is_used(question):
        raise DomainError(
            _l("Câu hỏi đã có trong đề thi: không xoá được, chỉ có thể ngừng sử dụng.")
        )
    record(
        "question.delete",
        question,
        actor=actor,
        before={"key": question.key, "versions": len(question.versions)},
    )
    question.tags = []
    db.session.delete(question)  # its versions go with it (never on a paper)
    db.session.flush()


def mark_used(question_ids: Iterable[int], *, at: dt.datetime) -> None:
    """The questions were drawn onto papers at ``at`` (called by the exams domain): the first
    use is kept, later ones change nothing."""
    ids = set(question_ids)
    if ids:
        db.session.execute(
            sa.update(Question)
            .where(Question.id.in_(ids), Question.first_used_at.is_(None))
            .values(first_used_at=at)
            .execution_options(synchronize_session=False)
        )
        for loaded in list(db.session.identity_map.values()):  # read again when next used
            if isinstance(loaded, Question) and loaded.id in ids:
                db.session.expire(loaded, ["first_used_at"])


def reveal_question(question: Question, *, actor: User) -> Question:
    """Showing a secret question to someone leaves a trace in the audit trail."""
    record("question.view", question, actor=actor)
    return question


def reveal_questions(bank: Bank, keys: Sequence[str], *, actor: User, what: str) -> None:
    """A page listing questions (their text or answers): one entry naming every key."""
    if keys:
        record("question.list", bank, actor=actor, after={"page": what, "keys": list(keys)})


# --- import ---------------------------------------------------------------------------------


def import_questions(
    bank: Bank,
    questions: Sequence[QuestionData],
    *,
    actor: User,
    status: QuestionStatus = QuestionStatus.DRAFT,
    source: str = "",
    canonical_already: bool = False,
) -> list[Question]:
    """Add every question or none, in bulk; imported questions are never approved here.

    Refused whole (``ValidationFailed``, every question's problems under its key or first
    words) when any question is invalid or its key is already taken. One audit entry names
    the file, the counts and every key (not one entry per question: an import of 5,000
    questions stays one entry). ``canonical_already``: the questions come from
    ``plan_import``, already in the stored form."""
    if status not in (QuestionStatus.DRAFT, QuestionStatus.SUBMITTED):
        raise DomainError(_l("Câu hỏi nhập vào chỉ ở trạng thái bản nháp hoặc chờ duyệt."))
    cache = _BankCache(bank)
    ready, reasons = [], []
    seen: set[str] = set()
    for raw in questions:
        data = raw if canonical_already else canonical(raw)
        label = data.key or question_label(data)
        problems = question_problems(data)
        if data.key and (data.key in cache.keys or data.key in seen):
            problems.append(str(_l("Mã câu hỏi %(key)s đã có trong ngân hàng.", key=data.key)))
        seen.add(data.key)
        reasons += [(None, f"{label}: {problem}") for problem in problems]
        ready.append(data)
    if reasons:
        raise ValidationFailed(reasons)
    created = _insert_many(bank, ready, actor, cache, status)
    by_type: dict[str, int] = {}
    for data in ready:
        by_type[data.type] = by_type.get(data.type, 0) + 1
    record(
        "bank.import",
        bank,
        actor=actor,
        after={
            "source": source,
            "count": len(created),
            "by_type": by_type,
            "status": status,
            "keys": [q.key for q in created],
        },
    )
    return created


def _insert_many(
    bank: Bank, ready: list[QuestionData], actor: User, cache: _BankCache, status: QuestionStatus
) -> list[Question]:
    """Many questions in three multi-row INSERTs (questions, versions, tags): the ORM's
    unit of work would build and track every object one by one."""
    keys = [data.key or cache.new_key() for data in ready]
    cache.keys.update(keys)
    categories = [cache.category(data.category) if data.category else None for data in ready]
    tags = [cache.tag_list(data.tags) for data in ready]
    media = [cache.media_refs(data.media) for data in ready]
    db.session.flush()  # new categories, tags and files get their ids
    now = utcnow()
    question_rows = [
        {
            "bank_id": bank.id,
            "category_id": category.id if category else None,
            "key": key,
            # A question the file keeps as history (native ``status: retired``) stays retired.
            "status": QuestionStatus.RETIRED if data.retired else status,
            "author_id": actor.id,
            "review_comment": "",
            "created_at": now,
            "updated_at": now,
        }
        for key, category, data in zip(keys, categories, ready, strict=True)
    ]
    table = Question.__table__
    ids = list(
        db.session.scalars(
            sa.insert(table).returning(table.c.id, sort_by_parameter_order=True),
            question_rows,
        )
    )
    version_rows = []
    for question_id, data, refs in zip(ids, ready, media, strict=True):
        qtype = get_type(data.type)
        version_rows.append(
            {
                "question_id": question_id,
                "number": 1,
                "type": data.type,
                "name": data.name,
                "text": data.text,
                "text_format": data.text_format,
                "data": qtype.data_from_interchange(data),
                "default_points": data.default_points,
                "difficulty": Difficulty(data.difficulty) if data.difficulty else None,
                "legal_basis": data.legal_basis,
                "legal_basis_date": data.legal_basis_date,
                "general_feedback": data.general_feedback,
                "media": refs,
                "created_by_id": actor.id,
                "created_at": now,
            }
        )
    db.session.execute(sa.insert(QuestionVersion.__table__), version_rows)
    tag_rows = [
        {"question_id": question_id, "tag_id": tag.id}
        for question_id, question_tags_ in zip(ids, tags, strict=True)
        for tag in question_tags_
    ]
    if tag_rows:
        db.session.execute(sa.insert(question_tags), tag_rows)
    loaded: dict[int, Question] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        loaded.update(
            (q.id, q) for q in db.session.scalars(sa.select(Question).where(Question.id.in_(chunk)))
        )
    return [loaded[question_id] for question_id in ids]


# --- export ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Export:
    """An exported file, and the questions its format could not hold, with why."""

    content: bytes
    keys: list[str]  # the questions written
    left_out: list[ExportProblem]


def export_questions(bank: Bank, questions: Sequence[Question], fmt: str, *, actor: User) -> Export:
    """The questions' current versions as a file of format ``fmt``: those the format can
    hold, the others left out and named with their reason (as Moodle's export does).
    Refused (nothing written, nothing audited) when it can hold none of them. One audit
    entry names the format, every key exported and every key left out."""
    current = [
        dataclasses.replace(question_data(q.current), retired=q.status == QuestionStatus.RETIRED)
        for q in questions
    ]
    kept, left_out = exportable(current, fmt)
    if not kept:
        problems = [(None, str(problem)) for problem in left_out]
        raise ValidationFailed(problems or [(None, str(_l("Không có câu hỏi nào để xuất.")))])
    options = {"bank": bank.name, "description": bank.description} if fmt == "native" else {}
    try:
        content = dump(kept, fmt, **options)
    except ExportUnsupported as error:  # a check the format's writer makes on its own
        raise ValidationFailed([(None, str(problem)) for problem in error.problems]) from None
    keys = [data.key for data in kept]
    record(
        "bank.export",
        bank,
        actor=actor,
        after={
            "format": fmt,
            "count": len(kept),
            "keys": keys,
            "left_out": [problem.question for problem in left_out],
        },
    )
    return Export(content, keys, left_out)
