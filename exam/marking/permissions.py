"""Who may do what in a round's marking, from their seats (docs/domain.md §6): the Ban phách
codes, hands over and unseals, and alone sees which code is whose; the head of marking sees
the sheets and settles; a marker sees only the scripts drawn for them, and only their own
sheet. Anyone else is told nothing exists (404)."""

from __future__ import annotations

from typing import Any

from exam.council.models import BodyKind, MemberFunction
from exam.council.permissions import sits_on
from exam.council.queries import functions_in
from exam.documents.models import DocumentKind, IssuedDocument
from exam.documents.permissions import register_access
from exam.marking.models import MarkingPlan, MarkingSheet, Script
from exam.rounds.models import RoundStatus


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def _round_id(round_: Any) -> int:
    return round_ if isinstance(round_, int) else round_.id


def is_anonymiser(user: Any, round_: Any) -> bool:
    """Sits on the round's Ban phách."""
    return sits_on(user, round_, BodyKind.ANONYMISATION)


def is_marking_head(user: Any, round_: Any) -> bool:
    """The head of the round's marking board."""
    return _signed_in(user) and (BodyKind.MARKING, MemberFunction.HEAD) in functions_in(
        user.id, _round_id(round_)
    )


def can_view_marking(user: Any, round_: Any) -> bool:
    """The round's marking page: the Ban phách, the marking board (each member sees their
    own part), the Council and the supervisory board (the progress and the limits, never a
    code's candidate). Platform administration without a seat runs no round (§2): 404."""
    return sits_on(
        user,
        round_,
        BodyKind.ANONYMISATION,
        BodyKind.MARKING,
        BodyKind.COUNCIL,
        BodyKind.SUPERVISORY,
    )


def can_set_limits(user: Any, round_: Any) -> bool:
    """The reconciliation limits: the Council's Chair or Member-secretary (the head of
    marking applies them, does not set them)."""
    seats = functions_in(user.id, _round_id(round_)) if _signed_in(user) else set()
    return bool(
        seats
        & {
            (BodyKind.COUNCIL, MemberFunction.CHAIR),
            (BodyKind.COUNCIL, MemberFunction.SECRETARY),
        }
    )


def can_view_code_table(user: Any, plan: MarkingPlan) -> bool:
    """The table matching codes to candidates: the Ban phách; nobody else until the Council
    has approved the results. The application has no approval step yet: the round reaching
    "results published" stands for it; then the Council and the supervisory board see it."""
    if is_anonymiser(user, plan.round_id):
        return True
    published = plan.round.status in (RoundStatus.PUBLISHED, RoundStatus.CLOSED)
    return published and sits_on(user, plan.round_id, BodyKind.COUNCIL, BodyKind.SUPERVISORY)


def can_mark(user: Any, sheet: MarkingSheet) -> bool:
    """A sheet is its marker's alone: another marker of the same script gets 404."""
    return _signed_in(user) and sheet.marker_id == user.id


def can_record_zero(user: Any, script: Script) -> bool:
    """A zero-score case: the Ban phách before the hand-over (identifying marks found when
    coding), the head of marking after it."""
    plan = script.plan
    if plan.handed_over_at is None:
        return is_anonymiser(user, plan.round_id)
    return plan.unsealed_at is None and is_marking_head(user, plan.round_id)


def can_view_scan(user: Any, script: Script) -> bool:
    """A scanned script's pages, served under its code: the Ban phách, the markers drawn for
    it, the head of marking (who settles it); anyone else 404."""
    if script.paper_script_id is None or not _signed_in(user):
        return False
    round_id = script.plan.round_id
    return (
        any(sheet.marker_id == user.id for sheet in script.sheets)
        or is_anonymiser(user, round_id)
        or is_marking_head(user, round_id)
    )


def can_read_hand_over(user: Any, round_: Any) -> bool:
    """The hand-over's minutes: the two sides of it, the Ban phách and the head of marking."""
    return is_anonymiser(user, round_) or is_marking_head(user, round_)


def _can_read_hand_over_document(user: Any, doc: IssuedDocument) -> bool:
    return can_read_hand_over(user, doc.round_id)


register_access(DocumentKind.MARKING_HAND_OVER, _can_read_hand_over_document)
