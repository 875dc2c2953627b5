"""The board's report on a position's results (figures and the charts of the score
distributions, exam/results/documents.py::render_results_report), issued once when the
results are final: by the board, for the published version, numbered in the Council's
register (exam/documents/numbering.py) and stored by the documents registry, so every
download gives the same bytes. A later version published (after an appeal) gets its own
report, which replaces the earlier one (its verification page names its successor)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.core.db import lock_row
from exam.core.documents import COUNCIL
from exam.core.errors import DomainError, ValidationFailed
from exam.core.i18n import to_local
from exam.documents.models import DocumentKind, IssuedDocument
from exam.documents.numbering import suggested_number
from exam.documents.operations import issue_document, reissue_document
from exam.extensions import db
from exam.results.documents import REPORT_SYMBOL, render_results_report
from exam.results.models import Ranking, RankingDecision, RankingStatus
from exam.rounds.models import Position, RoundStatus
from exam.rounds.stages import require_stage


def report_to_issue(position: Position) -> Ranking | None:
    """The published version of the position while its report is not issued yet (the
    board's "Ban hành báo cáo" button), else None."""
    ranking = db.session.scalar(
        sa.select(Ranking).where(
            Ranking.position_id == position.id, Ranking.status == RankingStatus.PUBLISHED
        )
    )
    if ranking is None or ranking.decision is None or ranking.decision.report_document_id:
        return None
    return ranking


def _report_in_force(ranking: Ranking) -> IssuedDocument | None:
    """The report of an earlier version of the position not replaced yet, if any."""
    return db.session.scalar(
        sa.select(IssuedDocument)
        .join(RankingDecision, RankingDecision.report_document_id == IssuedDocument.id)
        .where(
            RankingDecision.position_id == ranking.position_id,
            RankingDecision.ranking_id != ranking.id,
            IssuedDocument.superseded_by_id.is_(None),
        )
        .order_by(IssuedDocument.id.desc())
        .limit(1)
    )


def issue_results_report(ranking: Ranking, *, actor: User, at: dt.datetime) -> IssuedDocument:
    """Issue the report of the published version, once, dated today in Hanoi."""
    position = ranking.position
    round_ = position.round
    require_stage(
        round_,
        RoundStatus.PUBLISHED,
        RoundStatus.CLOSED,
        action=_l("ban hành báo cáo kết quả thi tuyển"),
    )
    decision = ranking.decision
    if decision is None or ranking.status != RankingStatus.PUBLISHED:
        raise DomainError(
            _l("Báo cáo kết quả chỉ ban hành cho phiên bản kết quả đang được công bố.")
        )
    lock_row(decision)  # a second click waits, then finds the report issued
    if decision.report_document_id is not None:
        raise DomainError(_l("Báo cáo kết quả của phiên bản này đã được ban hành."))
    issued_on = to_local(at).date()
    number = suggested_number(round_.id, COUNCIL, REPORT_SYMBOL, on=issued_on)
    fields = {
        "number": number,
        "title": (
            f"Báo cáo kết quả thi tuyển chức danh {position.label} "
            f"(phiên bản {decision.version}) – {round_.name}"
        ),
        "issuer": COUNCIL,
        "issued_on": issued_on,
        "render": lambda verification: render_results_report(
            ranking, at=issued_on, number=number, verification=verification
        ),
        "actor": actor,
    }
    previous = _report_in_force(ranking)
    try:
        with db.session.begin_nested():  # another request issued it, or took the number
            if previous is None:
                document = issue_document(kind=DocumentKind.RESULTS_REPORT, round_=round_, **fields)
            else:
                document = reissue_document(previous, **fields)
            decision.report_document_id = document.id
            db.session.flush()
    except sa.exc.IntegrityError:
        raise ValidationFailed(
            [(None, _l("Vừa có thay đổi khác cùng lúc: vui lòng thử lại."))]
        ) from None
    record(
        "ranking.report",
        ranking,
        actor=actor,
        after={
            "position_id": position.id,
            "version": decision.version,
            "number": number,
            "issued_on": issued_on.isoformat(),
            "document_id": document.id,
            "replaces": previous.id if previous is not None else None,
        },
    )
    return document
