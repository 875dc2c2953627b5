"""The supervisory board writes its report."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.core.documents import Verification
from exam.core.errors import ValidationFailed
from exam.core.i18n import to_local
from exam.core.pdf import render_pdf
from exam.documents.models import DocumentKind
from exam.documents.operations import issue_document
from exam.documents.queries import issued_documents
from exam.extensions import db
from exam.rounds.models import Round
from exam.supervision.models import SupervisionReport
from exam.supervision.queries import REPORT_ISSUER, REPORT_SYMBOL, chain_status, report_document

MAX_TEXT = 20_000  # characters of each part of a report


def write_report(
    round_: Round,
    *,
    scope: str,
    findings: str,
    recommendations: str = "",
    author: User,
    at: dt.datetime,
) -> SupervisionReport:
    """A report of the round's supervisory board, with the chain's state as it is now (its
    newest link and whether it verifies), so the report names the trail it was written on.
    It is issued at once (exam/documents): numbered in the round's sequence of reports,
    stored once with its verification code, the same bytes at every download."""
    scope, findings, recommendations = scope.strip(), findings.strip(), recommendations.strip()
    errors = []
    if not scope:
        errors.append(("scope", _l("Vui lòng ghi nội dung đã giám sát.")))
    if not findings:
        errors.append(("findings", _l("Vui lòng ghi kết quả giám sát.")))
    for field, text in (
        ("scope", scope),
        ("findings", findings),
        ("recommendations", recommendations),
    ):
        if len(text) > MAX_TEXT:
            errors.append((field, _l("Tối đa %(n)s ký tự.", n=f"{MAX_TEXT:,}".replace(",", "."))))
    if errors:
        raise ValidationFailed(errors)
    status = chain_status()
    report = SupervisionReport(
        round_id=round_.id,
        author_id=author.id,
        written_at=at,
        scope=scope,
        findings=findings,
        recommendations=recommendations,
        audit_anchor=status.anchor,
        chain_intact=status.intact,
    )
    db.session.add(report)
    db.session.flush()
    record(
        "supervision.report",
        report,
        actor=author,
        after={"round_id": round_.id, "anchor": status.anchor, "chain_intact": status.intact},
    )
    _issue(report, round_, author)
    return report


def _issue(report: SupervisionReport, round_: Round, author: User) -> None:
    number = len(issued_documents(round_.id, DocumentKind.SUPERVISION_REPORT)) + 1

    def render(verification: Verification) -> bytes:
        data = report_document(report, number=number, verification=verification)
        return render_pdf("pdf/supervision_report.html", report=data)

    report.document = issue_document(
        kind=DocumentKind.SUPERVISION_REPORT,
        round_=round_,
        number=f"{number:02d}/{REPORT_SYMBOL}",
        title=f"Báo cáo kết quả giám sát kỳ thi tuyển {round_.name}",
        issuer=REPORT_ISSUER,
        issued_on=to_local(report.written_at).date(),
        render=render,
        actor=author,
    )
    db.session.flush()
