"""The proposal (tờ trình) to the appointing authority for an approved version's winners
(docs/domain.md §12): issued once by the board with its own number in the Council's sequence
of the round ("06/TTr-HĐTT", the next number suggested, a number never used twice), dated and
signed by the Chair who signed the decision; stored by the documents registry, so every
download gives the same bytes."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.core.documents import COUNCIL
from exam.core.errors import DomainError, ValidationFailed
from exam.documents.models import DocumentKind, IssuedDocument
from exam.documents.numbering import canonical_number, number_problems, suggested_number
from exam.documents.operations import issue_document
from exam.extensions import db
from exam.results.documents import PROPOSAL_SYMBOL, render_proposal
from exam.results.models import Ranking, RankingStatus
from exam.results.publication import decision_document
from exam.rounds.models import RoundStatus
from exam.rounds.stages import require_stage


def suggested_proposal_number(round_id: int, *, on: dt.date | None = None) -> str:
    """The next number of the Council's sequence in the round, with the proposal's symbol."""
    return suggested_number(round_id, COUNCIL, PROPOSAL_SYMBOL, on=on)


def proposal_number_problems(
    round_id: int, number: str, issued_on: dt.date
) -> list[tuple[str | None, str]]:
    """The proposal's number in the Council's sequence (exam/documents/numbering.py)."""
    return number_problems(round_id, COUNCIL, number, on=issued_on, example="06/TTr-HĐTT")


def issue_proposal(
    ranking: Ranking, *, number: str, issued_on: dt.date, actor: User
) -> IssuedDocument:
    """Issue the proposal for an approved version's winners, once."""
    round_ = ranking.position.round
    require_stage(
        round_,
        RoundStatus.RESULTS,
        RoundStatus.PUBLISHED,
        RoundStatus.CLOSED,
        action=_l("lập tờ trình đề nghị bổ nhiệm"),
    )
    decision = ranking.decision
    if decision is None or ranking.status == RankingStatus.DRAFT:
        raise DomainError(_l("Tờ trình chỉ lập sau khi Hội đồng phê duyệt kết quả."))
    if decision_document(ranking) is None:
        raise DomainError(
            _l(
                "Quyết định phê duyệt kết quả chưa ban hành xong: lập tờ trình sau khi văn bản "
                "quyết định được tạo."
            )
        )
    if decision.proposal_document_id is not None:
        raise DomainError(_l("Tờ trình của phiên bản kết quả này đã được ban hành."))
    if issued_on < decision.decided_on:
        raise ValidationFailed(
            [("issued_on", _l("Tờ trình không thể đề ngày trước quyết định phê duyệt kết quả."))]
        )
    number = canonical_number(number)
    if problems := proposal_number_problems(round_.id, number, issued_on):
        raise ValidationFailed(problems)
    try:
        with db.session.begin_nested():  # another request took the number, or issued it
            document = _issue(ranking, number=number, issued_on=issued_on, actor=actor)
            decision.proposal_document_id = document.id
            db.session.flush()
    except sa.exc.IntegrityError:
        raise ValidationFailed(
            proposal_number_problems(round_.id, number, issued_on)
            or [(None, _l("Vừa có thay đổi khác cùng lúc: vui lòng thử lại."))]
        ) from None
    record(
        "ranking.propose",
        ranking,
        actor=actor,
        after={
            "position_id": ranking.position_id,
            "version": decision.version,
            "number": number,
            "issued_on": issued_on.isoformat(),
            "document_id": document.id,
        },
    )
    return document


def _issue(ranking: Ranking, *, number: str, issued_on: dt.date, actor: User) -> IssuedDocument:
    decision = ranking.decision
    assert decision is not None
    return issue_document(
        kind=DocumentKind.RESULTS_PROPOSAL,
        round_=ranking.position.round,
        number=number,
        title=str(
            _l(
                "Tờ trình đề nghị bổ nhiệm người trúng tuyển vị trí %(p)s (phiên bản %(v)s)",
                p=ranking.position.label,
                v=decision.version,
            )
        ),
        issuer=COUNCIL,
        issued_on=issued_on,
        render=lambda verification: render_proposal(
            ranking, verification=verification, number=number, issued_on=issued_on
        ),
        actor=actor,
    )
