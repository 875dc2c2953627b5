"""The proposal (tờ trình) to the appointing authority for an approved version's winners
(docs/domain.md §12): issued once by the board with its own number in the Council's sequence
of the round ("06/TTr-HĐTT", the next number suggested, a number never used twice), dated and
signed by the Chair who signed the decision; stored by the documents registry, so every
download gives the same bytes."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.core.errors import DomainError, ValidationFailed
from exam.council.operations import DECISION_NUMBER, MAX_DECISION_NUMBER, canonical_decision_number
from exam.documents.models import DocumentKind, IssuedDocument
from exam.documents.operations import issue_document
from exam.extensions import db
from exam.results.documents import PROPOSAL_SYMBOL, render_proposal
from exam.results.models import Ranking, RankingStatus
from exam.results.queries import council_sequence
from exam.rounds.models import RoundStatus
from exam.rounds.stages import require_stage

_SEQUENCE = re.compile(r"0*(\d{1,6})/(\S+)")


def _sequence_numbers(round_id: int) -> set[int]:
    return {
        int(match[1])
        for number in council_sequence(round_id)
        if (match := _SEQUENCE.fullmatch(number)) is not None
    }


def suggested_proposal_number(round_id: int) -> str:
    """The next number of the Council's sequence in the round, with the proposal's symbol."""
    return f"{max(_sequence_numbers(round_id), default=0) + 1:02d}/{PROPOSAL_SYMBOL}"


def proposal_number_problems(round_id: int, number: str) -> list[tuple[str | None, str]]:
    if not number:
        return [("number", _l("Vui lòng điền mục này."))]
    match = DECISION_NUMBER.fullmatch(number)
    if match is None:
        return [("number", _l("Ghi số tờ trình theo dạng số/ký hiệu, ví dụ 06/TTr-HĐTT."))]
    if len(number) > MAX_DECISION_NUMBER:
        return [("number", _l("Tối đa %(n)s ký tự.", n=MAX_DECISION_NUMBER))]
    if int(match[1]) in _sequence_numbers(round_id):
        return [
            (
                "number",
                _l(
                    "Số %(s)s đã dùng cho một văn bản khác của Hội đồng trong kỳ thi.",
                    s=f"{int(match[1]):02d}",
                ),
            )
        ]
    return []


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
    if decision.proposal_document_id is not None:
        raise DomainError(_l("Tờ trình của phiên bản kết quả này đã được ban hành."))
    if issued_on < decision.decided_on:
        raise ValidationFailed(
            [("issued_on", _l("Tờ trình không thể đề ngày trước quyết định phê duyệt kết quả."))]
        )
    number = canonical_decision_number(number)
    if problems := proposal_number_problems(round_.id, number):
        raise ValidationFailed(problems)
    try:
        with db.session.begin_nested():  # another request took the number, or issued it
            document = _issue(ranking, number=number, issued_on=issued_on, actor=actor)
            decision.proposal_document_id = document.id
            db.session.flush()
    except sa.exc.IntegrityError:
        raise ValidationFailed(
            proposal_number_problems(round_.id, number)
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
        issuer=str(_l("Hội đồng thi tuyển")),
        issued_on=issued_on,
        render=lambda verification: render_proposal(
            ranking, verification=verification, number=number, issued_on=issued_on
        ),
        actor=actor,
    )
