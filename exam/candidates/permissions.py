"""Who may do what with dossiers: the candidate with their own; in a round, whoever sits on
its bodies (docs/domain.md §2): the Council runs the round, the eligibility board decides
dossiers with it, the supervisory board reads."""

from __future__ import annotations

from typing import Any

from exam.accounts.permissions import is_candidate
from exam.documents.models import DocumentKind
from exam.documents.permissions import register_access
from exam.rounds.permissions import COUNCIL, ELIGIBILITY, SUPERVISORY, sits_in


def can_apply(user: Any) -> bool:
    return is_candidate(user)


def can_view_candidates(user: Any, round_: Any) -> bool:
    """The round's dossiers, their lists and exports."""
    return sits_in(user, round_, COUNCIL, ELIGIBILITY, SUPERVISORY)


def can_view_application(user: Any, application: Any) -> bool:
    """A candidate sees only their own dossier (and its files); in its round, the Council,
    the eligibility board and the supervisory board see all."""
    if is_candidate(user) and application.candidate_id == user.id:
        return True
    return can_view_candidates(user, application.position.round)


def can_edit_application(user: Any, application: Any) -> bool:
    """Only the candidate changes their dossier (the operations add the deadline)."""
    return is_candidate(user) and application.candidate_id == user.id


def can_decide_eligibility(user: Any, round_: Any) -> bool:
    return sits_in(user, round_, COUNCIL, ELIGIBILITY)


def can_import_candidates(user: Any, round_: Any) -> bool:
    return sits_in(user, round_, COUNCIL)


def can_draw_lots(user: Any, round_: Any) -> bool:
    return sits_in(user, round_, COUNCIL)


def can_send_summons(user: Any, round_: Any) -> bool:
    return sits_in(user, round_, COUNCIL)


# The board's published lists and each candidate's admission card, once issued
# (exam/documents): read by whoever reads the round's dossiers; a card also by its candidate.
register_access(
    DocumentKind.ELIGIBILITY_NOTICE, lambda user, doc: can_view_candidates(user, doc.round)
)
register_access(DocumentKind.ADMISSION_CARD, lambda user, doc: can_view_candidates(user, doc.round))
