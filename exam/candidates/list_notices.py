"""The Council's notices of the screening's outcome (NĐ 30/2020, Mẫu 1.4): the list of the
candidates eligible to sit and the list of those who are not, with the reasons, issued once
as the round leaves screening for the tests. That move is the moment the lists are final:
it needs every dossier decided (exam/candidates/guards.py) and no decision changes after.
Each is dated that move and issued by who made it, numbered next in the Council's register
(exam/documents/numbering.py), by the board's first download after the move
(exam/documents/at_stage.py); the lists' PDF links serve those bytes from then on.

Before that move, and for rounds past it before notices were issued, the link renders the
list as of now, as a draft (the number typed by the board, no code)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa

from exam.accounts.models import User
from exam.candidates.models import Application, ApplicationStatus
from exam.candidates.queries import eligibility_notice
from exam.core.documents import COUNCIL, Verification
from exam.core.i18n import to_local
from exam.core.pdf import render_pdf
from exam.documents.at_stage import issue_at_stage
from exam.documents.models import DocumentKind, IssuedDocument
from exam.documents.numbering import split_number, suggested_number
from exam.documents.operations import issue_document
from exam.extensions import db
from exam.rounds.models import Round, RoundStatus

NOTICE_SYMBOL = "TB-HĐTT"

# The notice's trích yếu, which also tells the two lists of a round apart.
TITLES = {
    ApplicationStatus.ELIGIBLE: "Danh sách thí sinh đủ điều kiện dự thi tuyển",
    ApplicationStatus.NOT_ELIGIBLE: "Danh sách thí sinh không đủ điều kiện dự thi tuyển",
}


def list_notice_document(round_: Round, status: ApplicationStatus) -> IssuedDocument | None:
    """The issued notice of the round's list of ``status``, if issued."""
    return db.session.scalar(
        sa.select(IssuedDocument)
        .where(
            IssuedDocument.round_id == round_.id,
            IssuedDocument.kind == DocumentKind.ELIGIBILITY_NOTICE,
            IssuedDocument.title == TITLES[status],
            IssuedDocument.superseded_by_id.is_(None),
        )
        .order_by(IssuedDocument.id)
        .limit(1)
    )


def render_list_notice(
    round_: Round,
    status: ApplicationStatus,
    *,
    number: int | None,
    at: dt.datetime,
    verification: Verification | None = None,
) -> bytes:
    """The notice's PDF: issued with its ``verification``, or a draft without."""
    notice = eligibility_notice(round_, status, number=number, at=at)
    if verification is not None:
        frame = dataclasses.replace(notice.document, verification=verification)
        notice = dataclasses.replace(notice, document=frame)
    return render_pdf("pdf/eligibility_notice.html", notice=notice)


def issue_list_notice(
    round_: Round, status: ApplicationStatus, *, actor: User, at: dt.datetime
) -> IssuedDocument:
    issued_on = to_local(at).date()
    number = suggested_number(round_.id, COUNCIL, NOTICE_SYMBOL, on=issued_on)
    return issue_document(
        kind=DocumentKind.ELIGIBILITY_NOTICE,
        round_=round_,
        number=number,
        title=TITLES[status],
        issuer=COUNCIL,
        issued_on=issued_on,
        render=lambda verification: render_list_notice(
            round_, status, number=split_number(number)[0], at=at, verification=verification
        ),
        actor=actor,
    )


def _issue_missing(round_: Round, actor: User, at: dt.datetime) -> None:
    """The eligible list always (the round cannot move on without candidates); the list of
    those not eligible when there is anyone on it."""
    for status in (ApplicationStatus.ELIGIBLE, ApplicationStatus.NOT_ELIGIBLE):
        if list_notice_document(round_, status) is not None:
            continue
        if status == ApplicationStatus.NOT_ELIGIBLE and not _anyone(round_, status):
            continue
        issue_list_notice(round_, status, actor=actor, at=at)


# Issued by the board's first download after screening ended (exam/documents/at_stage.py).
ensure_list_notices_issued = issue_at_stage(RoundStatus.TESTING, _issue_missing)


def issued_list_notice(round_: Round, status: ApplicationStatus) -> IssuedDocument | None:
    """The notice of the round's list as issued, issuing it now, dated the move to the tests,
    if nobody has downloaded it yet; None before the tests and for a round put past
    screening without a move."""
    doc = list_notice_document(round_, status)
    if doc is None and ensure_list_notices_issued(round_):
        doc = list_notice_document(round_, status)
    return doc


def _anyone(round_: Round, status: ApplicationStatus) -> bool:
    return (
        db.session.scalar(
            sa.select(Application.id)
            .where(Application.round_id == round_.id, Application.status == status)
            .limit(1)
        )
        is not None
    )
