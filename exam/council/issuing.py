"""The Council's documents issued once (exam/documents): a body's decision with its list of
members, and the minutes of a Council meeting.

A body is recorded with its setup decision's number, date and signer, then its members are
listed; the decision is issued when the list is complete (``issue_body_decision``), under that
number, by whoever signed it (the organising agency for the Council and the supervisory board,
the Council for its boards). Members may still change afterwards (a third marker joins the
marking board): such a change is a new decision with its own number
(``issue_new_body_decision``), which replaces the earlier; the earlier stays readable and its
verification page names its successor.

A meeting's minutes are issued when the meeting is closed (``close_meeting``): every item
voted on, numbered next in the Council's register (exam/documents/numbering.py), dated the
day it was held. A closed meeting takes no more items or votes."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.core.db import lock_row
from exam.core.documents import COUNCIL, nd30_date
from exam.core.errors import DomainError, ValidationFailed
from exam.core.i18n import to_local
from exam.core.pdf import render_pdf
from exam.council.documents import (
    DecisionTerms,
    decision_document,
    decision_issuer,
    minutes_document,
    setup_terms,
)
from exam.council.models import Body, Meeting
from exam.documents.models import DocumentKind, IssuedDocument
from exam.documents.numbering import canonical_number, number_problems, suggested_number
from exam.documents.operations import issue_document, reissue_document
from exam.documents.queries import current_version, document_with_number
from exam.extensions import db

MINUTES_SYMBOL = "BB-HĐTT"


# --- a body's decisions ------------------------------------------------------------------


def _first_decision(body: Body) -> IssuedDocument | None:
    return document_with_number(
        body.round_id, DocumentKind.BODY_DECISION, body.decision_number, None
    )


def body_decisions(body: Body) -> list[IssuedDocument]:
    """The body's issued decisions, the setup decision first, then each that replaced the
    one before (the last is in force)."""
    decisions: list[IssuedDocument] = []
    doc = _first_decision(body)
    while doc is not None and doc not in decisions:
        decisions.append(doc)
        doc = doc.superseded_by
    return decisions


def decision_in_force(body: Body) -> IssuedDocument | None:
    return current_version(_first_decision(body))


def _decision_title(body: Body, *, replacing: bool) -> str:
    action = "Kiện toàn" if replacing else "Thành lập"
    return f"Quyết định {action.lower()} {body.title}: {body.round.name}"


def _refuse_without_leader(body: Body) -> None:
    if not body.members:
        raise DomainError(
            _l("%(b)s chưa có thành viên: chưa ban hành được quyết định.", b=body.title)
        )
    if body.leader is None:
        raise DomainError(
            _l("%(b)s chưa có người đứng đầu: chưa ban hành được quyết định.", b=body.title)
        )


def issue_body_decision(body: Body, *, actor: User) -> IssuedDocument:
    """Issue the body's setup decision with its list of members, once."""
    if _first_decision(body) is not None:
        raise DomainError(
            _l(
                "Quyết định số %(n)s đã được ban hành. Thay đổi thành viên cần một quyết định "
                "mới có số riêng.",
                n=body.decision_number,
            )
        )
    _refuse_without_leader(body)
    terms = setup_terms(body)
    doc = issue_document(
        kind=DocumentKind.BODY_DECISION,
        round_=body.round,
        number=body.decision_number,
        title=_decision_title(body, replacing=False),
        issuer=decision_issuer(body),
        issued_on=body.decision_on,
        render=lambda verification: _render_decision(body, terms, verification),
        actor=actor,
    )
    record("body.issue_decision", body, actor=actor, after=_issued_values(doc, body))
    return doc


def issue_new_body_decision(
    body: Body,
    *,
    decision_number: str,
    decision_on: dt.date,
    signer_name: str,
    signer_title: str,
    actor: User,
) -> IssuedDocument:
    """A new decision for the body's members as they are now, replacing the one in force."""
    previous = decision_in_force(body)
    if previous is None:
        raise DomainError(
            _l(
                "Chưa ban hành quyết định thành lập: ban hành quyết định số %(n)s trước.",
                n=body.decision_number,
            )
        )
    number = canonical_number(decision_number)
    signer_name, signer_title = " ".join(signer_name.split()), " ".join(signer_title.split())
    issuer = decision_issuer(body)
    errors = number_problems(
        body.round_id,
        issuer,
        number,
        on=decision_on,
        field="decision_number",
        example="12/QĐ-HĐTT",
    )
    if decision_on < previous.issued_on:
        errors.append(
            (
                "decision_on",
                _l(
                    "Quyết định mới không được ký trước quyết định số %(n)s (%(d)s) mà nó thay "
                    "thế.",
                    n=previous.number,
                    d=previous.issued_on.strftime("%d/%m/%Y"),
                ),
            )
        )
    if not signer_name:
        errors.append(("signer_name", _l("Vui lòng điền mục này.")))
    if not signer_title:
        errors.append(("signer_title", _l("Vui lòng điền mục này.")))
    if errors:
        raise ValidationFailed(errors)
    _refuse_without_leader(body)
    terms = DecisionTerms(
        number,
        decision_on,
        signer_name,
        signer_title,
        replaces=f"số {previous.number} {nd30_date(previous.issued_on)}",
    )
    doc = reissue_document(
        previous,
        number=number,
        title=_decision_title(body, replacing=True),
        issuer=issuer,
        issued_on=decision_on,
        render=lambda verification: _render_decision(body, terms, verification),
        actor=actor,
    )
    record("body.issue_decision", body, actor=actor, after=_issued_values(doc, body))
    return doc


def _render_decision(body: Body, terms: DecisionTerms, verification) -> bytes:
    return render_pdf(
        "pdf/body_decision.html", **decision_document(body, terms, verification=verification)
    )


def _issued_values(doc: IssuedDocument, body: Body) -> dict:
    return {
        "document_id": doc.id,
        "number": doc.number,
        "issued_on": doc.issued_on,
        "members": [m.user_id for m in body.sorted_members()],
    }


# --- a meeting's minutes -----------------------------------------------------------------


def meeting_problems(meeting: Meeting) -> list[str]:
    """Why the meeting cannot be closed yet, in words."""
    problems: list[str] = []
    if not meeting.items:
        problems.append(str(_l("Cuộc họp chưa có nội dung biểu quyết nào.")))
    for item in meeting.items:
        if not item.votes:
            problems.append(
                str(_l("Nội dung %(n)s (%(t)s) chưa có biểu quyết.", n=item.number, t=item.title))
            )
    return problems


def close_meeting(meeting: Meeting, *, actor: User) -> IssuedDocument:
    """Close the meeting and issue its minutes, numbered next in the Council's register and
    dated the day it was held; the minutes are then the meeting's record, never re-rendered."""
    lock_row(meeting)  # a second close, an item or a vote sent meanwhile: after, and refused
    if meeting.minutes_document_id is not None:
        raise DomainError(_l("Cuộc họp đã kết thúc, biên bản đã được ban hành."))
    if problems := meeting_problems(meeting):
        raise ValidationFailed([(None, problem) for problem in problems])
    council = meeting.body
    held_on = to_local(meeting.held_at).date()
    number = suggested_number(council.round_id, COUNCIL, MINUTES_SYMBOL, on=held_on)
    doc = issue_document(
        kind=DocumentKind.COUNCIL_MINUTES,
        round_=council.round,
        number=number,
        title=f"Biên bản họp Hội đồng thi tuyển ngày {held_on.strftime('%d/%m/%Y')}",
        issuer=COUNCIL,
        issued_on=held_on,
        render=lambda verification: render_pdf(
            "pdf/council_minutes.html",
            **minutes_document(meeting, number=number, verification=verification),
        ),
        actor=actor,
    )
    meeting.minutes_document_id = doc.id
    db.session.flush()
    record(
        "meeting.close",
        meeting,
        actor=actor,
        after={"minutes_document_id": doc.id, "number": number},
    )
    return doc
