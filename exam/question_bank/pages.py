"""What the workshop's pages show, gathered from the queries and the operations' reads (no
writes): the bank page's filter, the coverage check of a paper, a question's history, an
export's selection and its preview."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from exam.question_bank.formats import FORMATS, export_losses, exportable
from exam.question_bank.formats.common import FIELD_LABELS, changed_fields
from exam.question_bank.models import Bank, Difficulty, Question, QuestionStatus
from exam.question_bank.operations import question_data
from exam.question_bank.qtypes import registered_types
from exam.question_bank.queries import Coverage, QuestionFilter, find_questions

if TYPE_CHECKING:
    from exam.question_bank.forms import CoverageForm, FilterForm


def question_filter(form: FilterForm) -> QuestionFilter:
    """The bank page's filters, a value not among the choices read as no filter."""
    return QuestionFilter(
        text=form.q.data or "",
        category_id=int(form.category.data) if (form.category.data or "").isdigit() else None,
        status=QuestionStatus(form.status.data)
        if form.status.data in {s.value for s in QuestionStatus}
        else None,
        type=form.type.data if form.type.data in registered_types() else "",
        difficulty=Difficulty(form.difficulty.data)
        if form.difficulty.data in {d.value for d in Difficulty}
        else None,
        tag=form.tag.data or "",
        legal_basis=form.legal_basis.data or "",
        basis_dated_before=form.before.data if not form.before.errors else None,
        basis_undated=bool(form.undated.data),
    )


def paper_check(form: CoverageForm, counts: Coverage) -> dict[str, Any] | None:
    """Whether the bank holds three questions per question of the paper asked about."""
    if not form.paper.data or form.paper.errors:
        return None
    category_id = int(form.category.data) if (form.category.data or "").isdigit() else None
    filters = {"difficulty": form.difficulty.data, "type": form.type.data}
    found = counts.count(category_id=category_id, **{k: v for k, v in filters.items() if v})
    return {"needed": 3 * form.paper.data, "found": found, "paper": form.paper.data}


def _shown(value: Any) -> str:
    """A field's value as the history page prints it."""
    if isinstance(value, list):
        return "\n".join(_shown(v) for v in value)
    if hasattr(value, "__dataclass_fields__"):
        return " · ".join(
            f"{k}: {_shown(v)}" for k, v in vars(value).items() if v not in ("", None)
        )
    if isinstance(value, dict):
        return ", ".join(sorted(value))
    return "" if value is None else str(value)


def version_diffs(question: Question) -> list[dict[str, Any]]:
    """Each version with the fields it changed (label, before, after), the newest first."""
    result, previous = [], None
    for version in question.versions:
        data = question_data(version)
        changes = []
        if previous is not None:
            for name in changed_fields(previous, data):
                if name in ("category", "tags"):  # the question's, not the version's
                    continue
                before, after = getattr(previous, name), getattr(data, name)
                changes.append((FIELD_LABELS.get(name, name), _shown(before), _shown(after)))
        result.append({"version": version, "changes": changes})
        previous = data
    return list(reversed(result))


def known_type(name: str | None) -> str:
    return name if name in registered_types() else ""


def export_selection(bank: Bank, only_approved: bool, qtype: str) -> list[Question]:
    """The bank's questions an export takes (retired ones never)."""
    where = QuestionFilter(
        status=QuestionStatus.APPROVED if only_approved else None,
        type=qtype,
        include_retired=False,
    )
    return [found.question for found in find_questions(bank.id, where)]


def export_preview(questions: list[Question], fmt: str) -> dict[str, Any]:
    """What the format would keep of the questions, lose of them, and leave out."""
    data = [question_data(q.current) for q in questions]
    kept, left_out = exportable(data, fmt)
    return {
        "count": len(data),
        "kept": len(kept),
        "losses": export_losses(kept, fmt),
        "left_out": left_out,
        "format": FORMATS[fmt],
    }
