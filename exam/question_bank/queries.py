"""Reading the bank: lists and filters, the category tree, coverage, history, media."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from exam.audit.models import AuditEntry
from exam.core.i18n import fold
from exam.extensions import db
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


# "The current version of a question" is its highest-numbered one: here for SQL, and as
# ``Question.current`` (versions ordered by number) for a question already loaded.


def _latest() -> Any:
    """Each question's current version number."""
    return (
        sa.select(QuestionVersion.question_id, sa.func.max(QuestionVersion.number).label("n"))
        .group_by(QuestionVersion.question_id)
        .subquery()
    )


def _with_current(statement: sa.Select) -> sa.Select:
    latest = _latest()
    return statement.join(latest, latest.c.question_id == Question.id).join(
        QuestionVersion,
        sa.and_(QuestionVersion.question_id == Question.id, QuestionVersion.number == latest.c.n),
    )


def approved_with_current_version(bank_id: int) -> list[tuple[Question, QuestionVersion]]:
    """Every approved question of a bank with its current version, by id, in one query:
    what a test's papers are drawn from."""
    rows = db.session.execute(
        _with_current(sa.select(Question, QuestionVersion))
        .where(Question.bank_id == bank_id, Question.status == QuestionStatus.APPROVED)
        .order_by(Question.id)
    ).all()
    return [(question, version) for question, version in rows]


# --- categories -----------------------------------------------------------------------------


def categories_of(bank_id: int) -> list[Category]:
    """The bank's categories in tree order (each parent before its children)."""
    return sorted(
        db.session.scalars(sa.select(Category).where(Category.bank_id == bank_id)),
        key=lambda c: [fold(level) for level in c.path.split("/")],
    )


def subtree_ids(bank_id: int, category_id: int) -> set[int]:
    """The category and every category below it, in one query: "a category" in a filter of
    the bank or a test's blueprint means this."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for cid, parent in db.session.execute(
        sa.select(Category.id, Category.parent_id).where(Category.bank_id == bank_id)
    ):
        children[parent].append(cid)
    found, pending = set(), [category_id]
    while pending:
        current = pending.pop()
        if current not in found:  # a parent loop in the data must not hang the walk
            found.add(current)
            pending.extend(children[current])
    return found


@dataclasses.dataclass
class TreeNode:
    category: Category
    own: int  # questions filed right here
    total: int  # here and below
    approved: int  # approved, here and below


def category_tree(bank_id: int) -> list[TreeNode]:
    """Every category in tree order with its question counts (retired ones left out)."""
    categories = categories_of(bank_id)
    own: dict[int | None, int] = defaultdict(int)
    approved_own: dict[int | None, int] = defaultdict(int)
    for category_id, status, count in db.session.execute(
        sa.select(Question.category_id, Question.status, sa.func.count())
        .where(Question.bank_id == bank_id, Question.status != QuestionStatus.RETIRED)
        .group_by(Question.category_id, Question.status)
    ):
        own[category_id] += count
        if status == QuestionStatus.APPROVED:
            approved_own[category_id] += count
    total: dict[int, int] = defaultdict(int)
    approved: dict[int, int] = defaultdict(int)
    by_id = {c.id: c for c in categories}
    for category in categories:
        node: Category | None = category
        while node is not None:
            total[node.id] += own[category.id]
            approved[node.id] += approved_own[category.id]
            node = by_id.get(node.parent_id) if node.parent_id else None
    return [TreeNode(c, own[c.id], total[c.id], approved[c.id]) for c in categories]


def uncategorised_count(bank_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(
            Question.bank_id == bank_id,
            Question.category_id.is_(None),
            Question.status != QuestionStatus.RETIRED,
        )
    )


def tags_of(bank_id: int) -> list[Tag]:
    return sorted(
        db.session.scalars(sa.select(Tag).where(Tag.bank_id == bank_id)),
        key=lambda t: (fold(t.name), t.name),
    )


# --- finding questions ----------------------------------------------------------------------


@dataclasses.dataclass
class QuestionFilter:
    """What the bank page filters on; every field optional."""

    text: str = ""  # in the key, name, text (no case, no marks)
    category_id: int | None = None
    subcategories: bool = True
    status: QuestionStatus | None = None
    type: str = ""
    difficulty: Difficulty | None = None
    tag: str = ""
    legal_basis: str = ""  # in the legal basis (no case, no marks)
    basis_dated_before: dt.date | None = None  # legal basis dated before this day
    basis_undated: bool = False  # legal basis without a date
    include_retired: bool = True


@dataclasses.dataclass
class Found:
    question: Question
    version: QuestionVersion


def find_questions(bank_id: int, where: QuestionFilter | None = None) -> list[Found]:
    """The bank's questions matching ``where``, by key, each with its current version.
    Structured filters run in SQL, text filters in Python (so "nghi dinh 30" finds
    "Nghị định 30/2020/NĐ-CP" on SQLite and PostgreSQL alike)."""
    where = where or QuestionFilter()
    statement = _with_current(sa.select(Question, QuestionVersion)).where(
        Question.bank_id == bank_id
    )
    if where.category_id is not None:
        ids = (
            subtree_ids(bank_id, where.category_id) if where.subcategories else {where.category_id}
        )
        statement = statement.where(Question.category_id.in_(ids))
    if where.status is not None:
        statement = statement.where(Question.status == where.status)
    elif not where.include_retired:
        statement = statement.where(Question.status != QuestionStatus.RETIRED)
    if where.type:
        statement = statement.where(QuestionVersion.type == where.type)
    if where.difficulty is not None:
        statement = statement.where(QuestionVersion.difficulty == where.difficulty)
    if where.tag:
        statement = statement.where(
            Question.id.in_(
                sa.select(question_tags.c.question_id)
                .join(Tag, Tag.id == question_tags.c.tag_id)
                .where(Tag.bank_id == bank_id, Tag.name == where.tag)
            )
        )
    if where.basis_dated_before is not None:
        statement = statement.where(QuestionVersion.legal_basis_date < where.basis_dated_before)
    if where.basis_undated:
        statement = statement.where(QuestionVersion.legal_basis_date.is_(None))
    statement = statement.options(
        selectinload(Question.category), selectinload(Question.tags)
    ).order_by(Question.key)
    rows = [Found(q, v) for q, v in db.session.execute(statement).all()]
    if where.text.strip():
        needle = fold(where.text.strip())
        rows = [
            r
            for r in rows
            if needle in fold(r.question.key)
            or needle in fold(r.version.name)
            or needle in fold(r.version.text)
        ]
    if where.legal_basis.strip():
        needle = fold(where.legal_basis.strip())
        rows = [r for r in rows if needle in fold(r.version.legal_basis)]
    return rows


def keys_of(bank_id: int) -> set[str]:
    return set(db.session.scalars(sa.select(Question.key).where(Question.bank_id == bank_id)))


def question_by_key(bank_id: int, key: str) -> Question | None:
    return db.session.scalars(
        sa.select(Question).where(Question.bank_id == bank_id, Question.key == key)
    ).first()


# --- coverage -------------------------------------------------------------------------------


ANY: Any = object()  # a coverage filter left out


@dataclasses.dataclass
class Counts:
    approved: int = 0
    total: int = 0  # every question not retired (drafts and those awaiting review included)


@dataclasses.dataclass
class Coverage:
    """Questions per category × difficulty × type of one bank (retired ones left out).

    ``cells`` is keyed by (category id or None, difficulty value or None, type). The
    helpers add up the cells matching a blueprint section's filters, a category counting
    its subcategories' questions too (as the test blueprint draws them)."""

    bank_id: int
    cells: dict[tuple[int | None, str | None, str], Counts]
    parents: dict[int, int | None]

    def _under(self, category_id: int | None, root: int) -> bool:
        while category_id is not None:
            if category_id == root:
                return True
            category_id = self.parents.get(category_id)
        return False

    def count(
        self,
        *,
        category_id: int | None = None,
        difficulty: Any = ANY,
        type: Any = ANY,
    ) -> Counts:
        """Questions of the category (and its subcategories; None: any), of the difficulty
        (None: those without one) and of the type; a filter left out matches anything."""
        found = Counts()
        for (cid, diff, qtype), counts in self.cells.items():
            if category_id is not None and not self._under(cid, category_id):
                continue
            if difficulty is not ANY and diff != difficulty:
                continue
            if type is not ANY and qtype != type:
                continue
            found.approved += counts.approved
            found.total += counts.total
        return found

    def types(self) -> list[str]:
        return sorted({qtype for _, _, qtype in self.cells})


def coverage(bank_id: int) -> Coverage:
    """Counts of the bank's questions (current versions) per category × difficulty × type,
    approved and all (retired left out). A pure read: one grouped query."""
    statement = (
        _with_current(
            sa.select(
                Question.category_id,
                QuestionVersion.difficulty,
                QuestionVersion.type,
                Question.status,
                sa.func.count(),
            )
        )
        .where(Question.bank_id == bank_id, Question.status != QuestionStatus.RETIRED)
        .group_by(
            Question.category_id, QuestionVersion.difficulty, QuestionVersion.type, Question.status
        )
    )
    cells: dict[tuple[int | None, str | None, str], Counts] = defaultdict(Counts)
    for category_id, difficulty, qtype, status, count in db.session.execute(statement):
        cell = cells[(category_id, difficulty.value if difficulty else None, qtype)]
        cell.total += count
        if status == QuestionStatus.APPROVED:
            cell.approved += count
    parents = dict(
        db.session.execute(
            sa.select(Category.id, Category.parent_id).where(Category.bank_id == bank_id)
        ).all()
    )
    return Coverage(bank_id, dict(cells), parents)


# --- versions, history, use -----------------------------------------------------------------


def question_is_used(question: Question) -> bool:
    """Whether any version of the question was ever drawn onto a paper."""
    return question.first_used_at is not None


def review_history(question: Question) -> list[Any]:
    """The question's audit entries that changed it (views and exports left out)."""
    return list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(
                AuditEntry.object_type == "Question",
                AuditEntry.object_id == str(question.id),
                AuditEntry.action != "question.view",
            )
            .order_by(AuditEntry.seq)
        )
    )


def media_of(version: QuestionVersion) -> dict[str, bytes]:
    """The embedded files of a version, by the name its text uses."""
    refs = version.media or {}
    if not refs:
        return {}
    stored = {
        m.sha256: m.content
        for m in db.session.scalars(
            sa.select(BankMedia).where(
                BankMedia.bank_id == version.question.bank_id,
                BankMedia.sha256.in_(set(refs.values())),
            )
        )
    }
    return {name: stored[digest] for name, digest in refs.items() if digest in stored}


def media_file(version: QuestionVersion, name: str) -> BankMedia | None:
    digest = (version.media or {}).get(name)
    if digest is None:
        return None
    return db.session.scalars(
        sa.select(BankMedia).where(
            BankMedia.bank_id == version.question.bank_id, BankMedia.sha256 == digest
        )
    ).first()


# --- where the keys sit ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class KeyRule:
    """When the keys of one type of question are skewed (``KeyPositions.skewed``)."""

    questions: int = 10  # fewer questions of a type: too few to judge
    significance: float = 0.01  # chance of a skew this large when keys are placed at random
    excess: float = 0.10  # one position at least 10 points above its fair share


KEY_RULE = KeyRule()


@dataclasses.dataclass
class KeyPositions:
    """Where the right answers of one type of question sit in the bank's order.

    ``keys[p]``: right answers at position ``p`` (0 = A; for true/false 0 = Đúng, 1 = Sai);
    ``expected[p]``: what placing them at random gives (a question of n options puts 1/n of
    its keys at each of its positions); ``share``/``fair`` the same as fractions of all keys.
    """

    type: str
    questions: int
    keys: list[int]
    expected: list[float]
    p_value: float

    @property
    def total(self) -> int:
        return sum(self.keys)

    def share(self, position: int) -> float:
        return self.keys[position] / self.total if self.total else 0.0

    def fair(self, position: int) -> float:
        return self.expected[position] / self.total if self.total else 0.0

    @property
    def excess(self) -> float:
        """How far the most over-used position is above its fair share (a fraction)."""
        return max((self.share(p) - self.fair(p) for p in range(len(self.keys))), default=0.0)

    @property
    def heaviest(self) -> int:
        return max(range(len(self.keys)), key=lambda p: self.share(p) - self.fair(p))

    @property
    def skewed(self) -> bool:
        """The rule (``KEY_RULE``): at least 10 questions, a chi-square test of the keys per
        position against random placement below 0.01 (so unlikely by chance), and one
        position at least 10 percentage points above its fair share (so large enough to use:
        answering that position everywhere gains). Chi-square: the sum over positions of
        (keys − expected)² / expected, with one degree of freedom less than the positions.
        With four options: of 10 questions, 8 keys at A are flagged (p ≈ 0.001), 7 are not
        yet (p ≈ 0.013); of 40, 20 at A are flagged (p ≈ 0.004, 50 % against 25 %), 16 are
        not (p ≈ 0.19). The sample bank before its rebalancing, 104 of 151 at A, gave
        p ≈ 10⁻³⁴; its true/false questions, 23 of 28 true, p ≈ 0.0007."""
        return (
            self.questions >= KEY_RULE.questions
            and self.p_value < KEY_RULE.significance
            and self.excess >= KEY_RULE.excess
        )


def chi_square_survival(statistic: float, freedom: int) -> float:
    """P(χ² with ``freedom`` degrees ≥ ``statistic``), in closed form for whole degrees."""
    if freedom < 1:
        return 1.0
    half = statistic / 2
    if freedom % 2 == 0:
        term, total = 1.0, 1.0
        for i in range(1, freedom // 2):
            term *= half / i
            total += term
        return min(1.0, math.exp(-half) * total)
    total = math.erfc(math.sqrt(half))
    for i in range(1, (freedom + 1) // 2):
        total += math.exp((i - 0.5) * math.log(half) - half - math.lgamma(i + 0.5)) if half else 0
    return min(1.0, total)


def _key_positions(qtype: str, keyed: list[tuple[int, list[int]]]) -> KeyPositions:
    """``keyed``: per question, its number of options and the positions of its keys."""
    width = max((n for n, _ in keyed), default=0)
    keys, expected = [0] * width, [0.0] * width
    for options, right in keyed:
        for position in right:
            keys[position] += 1
        for position in range(options):
            expected[position] += len(right) / options
    cells = [(k, e) for k, e in zip(keys, expected, strict=True) if e > 0]
    statistic = sum((k - e) ** 2 / e for k, e in cells)
    p_value = chi_square_survival(statistic, len(cells) - 1) if keyed else 1.0
    return KeyPositions(qtype, len(keyed), keys, expected, p_value)


@dataclasses.dataclass
class KeyReport:
    """``key_position_report``: one ``KeyPositions`` per type the bank has, and the rule."""

    types: list[KeyPositions]
    rule: KeyRule = KEY_RULE

    @property
    def skewed(self) -> list[KeyPositions]:
        return [report for report in self.types if report.skewed]


def key_position_report(bank_id: int) -> KeyReport:
    """Where the keys of the bank's single-choice, multiple-response and true/false
    questions sit (current versions of questions not retired), each type tested by
    ``KeyPositions.skewed``. A skew is a leak: the page shuffles options only when the test
    says so, and a candidate who knows that authors put the key first answers A everywhere.
    """
    statement = _with_current(
        sa.select(QuestionVersion.type, QuestionVersion.data).select_from(Question)
    ).where(
        Question.bank_id == bank_id,
        Question.status != QuestionStatus.RETIRED,
        QuestionVersion.type.in_(("single_choice", "multiple_response", "true_false")),
    )
    keyed: dict[str, list[tuple[int, list[int]]]] = defaultdict(list)
    for qtype, data in db.session.execute(statement):
        if qtype == "true_false":
            if isinstance(data.get("answer"), bool):
                keyed[qtype].append((2, [0 if data["answer"] else 1]))
            continue
        choices = data.get("choices", [])
        right = [n for n, c in enumerate(choices) if float(c.get("fraction", 0)) > 0]
        if len(choices) >= 2 and right:
            keyed[qtype].append((len(choices), right))
    order = ("single_choice", "multiple_response", "true_false")
    return KeyReport([_key_positions(qtype, keyed[qtype]) for qtype in order if keyed[qtype]])
