"""The supervisory board's reports on its round."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam.accounts.models import User
from exam.core.db import TimestampMixin, UTCDateTime
from exam.documents.models import IssuedDocument
from exam.extensions import db
from exam.rounds.models import Round


class SupervisionReport(TimestampMixin, db.Model):
    """A report of the supervisory board (báo cáo giám sát): what it checked, what it found,
    what it recommends. Written once, never changed: a later finding is a new report."""

    __tablename__ = "supervision_reports"
    __table_args__ = (
        sa.CheckConstraint("length(findings) > 0", name="findings_not_empty"),
        sa.CheckConstraint("length(scope) > 0", name="scope_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rounds.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    written_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    scope: Mapped[str] = mapped_column(sa.Text)  # what was supervised
    findings: Mapped[str] = mapped_column(sa.Text)
    recommendations: Mapped[str] = mapped_column(sa.Text, default="")
    # The chain's state when the report was written, printed on it ("12345:ab12…, intact").
    audit_anchor: Mapped[str] = mapped_column(sa.String(100), default="")
    chain_intact: Mapped[bool] = mapped_column(default=True)
    # The report as issued (numbered, stored once, verifiable); None for a report written
    # before documents were issued, printed from its data instead.
    document_id: Mapped[int | None] = mapped_column(sa.ForeignKey("issued_documents.id"))

    round: Mapped[Round] = relationship()
    author: Mapped[User] = relationship()
    document: Mapped[IssuedDocument | None] = relationship()
