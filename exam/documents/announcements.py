"""The round's announcement (thông báo thi tuyển) issued once, as the round is announced: the
move that opens registration is the moment it becomes public, and from then on its plan,
positions and standards are frozen (exam/rounds/operations.py refuses every change), so an
announcement is never replaced. It is dated the day of that move and issued by who made it,
numbered in the Council's register (exam/documents/numbering.py), by the first download after
the move (exam/documents/at_stage.py); the public link serves those bytes from then on.

A round put in its stage without a recorded move has none: its link renders the announcement
as before (rate-limited), without a code."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from exam.accounts.models import User
from exam.core.documents import COUNCIL
from exam.core.i18n import to_local
from exam.documents.at_stage import issue_at_stage
from exam.documents.models import DocumentKind, IssuedDocument
from exam.documents.numbering import split_number, suggested_number
from exam.documents.operations import issue_document
from exam.documents.queries import current_version
from exam.extensions import db
from exam.rounds.documents import ANNOUNCEMENT_SYMBOL, render_announcement
from exam.rounds.models import Round, RoundStatus


def announcement_document(round_: Round) -> IssuedDocument | None:
    """The round's issued announcement in force, if it has one."""
    first = db.session.scalar(
        sa.select(IssuedDocument)
        .where(
            IssuedDocument.round_id == round_.id,
            IssuedDocument.kind == DocumentKind.ROUND_ANNOUNCEMENT,
        )
        .order_by(IssuedDocument.id)
        .limit(1)
    )
    return current_version(first)


def issue_announcement(round_: Round, *, actor: User, at: dt.datetime) -> IssuedDocument:
    """Issue the round's announcement, numbered next in the Council's register, dated ``at``
    (a Hanoi day)."""
    issued_on = to_local(at).date()
    number = suggested_number(round_.id, COUNCIL, ANNOUNCEMENT_SYMBOL, on=issued_on)
    title = f"Thông báo tổ chức thi tuyển: {round_.name}"  # Vietnamese, as the document
    return issue_document(
        kind=DocumentKind.ROUND_ANNOUNCEMENT,
        round_=round_,
        number=number,
        title=title,
        issuer=COUNCIL,
        issued_on=issued_on,
        render=lambda verification: render_announcement(
            round_, number=split_number(number)[0], issued_at=at, verification=verification
        ),
        actor=actor,
    )


def _issue_if_missing(round_: Round, actor: User, at: dt.datetime) -> None:
    if announcement_document(round_) is None:
        issue_announcement(round_, actor=actor, at=at)


# Issued by the first download after registration opened (exam/documents/at_stage.py).
ensure_announcement_issued = issue_at_stage(RoundStatus.REGISTRATION_OPEN, _issue_if_missing)


def issued_announcement(round_: Round) -> IssuedDocument | None:
    """The round's announcement as issued, issuing it now, dated the move, if nobody has
    downloaded it yet; None for a draft and for a round put in its stage without a move."""
    if round_.status == RoundStatus.DRAFT:
        return None
    doc = announcement_document(round_)
    if doc is None and ensure_announcement_issued(round_):
        doc = announcement_document(round_)
    return doc
