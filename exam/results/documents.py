"""The results' official documents (NĐ 30/2020): the Council's decision approving a position's
results with the results table as its annex (Mẫu 1.3 and 2.1), the result notice to each
candidate, the proposal to the appointing authority for the winners, the results list of a
ranking not yet approved, and the board's report with the score distributions.

Values are read here and rendered by ``templates/pdf/results_*.html``. The table of a large
position (up to 10,000 candidates) is rendered in chunks of rows and joined
(exam/core/pdf.py::join_pdf_chunks), each chunk a few pages, so that time and memory stay flat;
the board makes it in the background (exam/results/document_jobs.py), never in a request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from exam.candidates.models import Application, Gender
from exam.core.db import utcnow
from exam.core.documents import DocumentFrame, Verification, council_signature
from exam.core.pdf import join_pdf_chunks, render_html_chunks, render_pdf
from exam.documents.numbering import split_number as split_document_number
from exam.extensions import db
from exam.results.charts import distribution_svg
from exam.results.models import Outcome, Ranking, RankingRow
from exam.rounds.models import Position

TWO_PLACES = Decimal("0.01")
ROWS_PER_CHUNK = 120  # about four landscape pages: flat time, and two workers under 500 MB
DECISION_SYMBOL = "QĐ-HĐTT"
NOTICE_SYMBOL = "TB-HĐTT"
PROPOSAL_SYMBOL = "TTr-HĐTT"
# Columns of the parts before the formula named them (rankings computed before issue 16).
_LEGACY_PARTS = ("Trắc nghiệm (%)", "Đề án, phỏng vấn")


@dataclass(frozen=True)
class AnnexRow:
    """One line of the results table, as printed. ``parts``: the part scores in the formula's
    order, already formatted ("78,50", "—" when absent)."""

    row_number: int
    rank: int
    full_name: str
    date_of_birth: dt.date
    gender: Gender
    registration_number: str
    position: str
    unit: str
    parts: tuple[str, ...]
    total: str
    outcome: Outcome
    note: str


@dataclass(frozen=True)
class ResultsTable:
    position: str
    round_name: str
    part_names: tuple[str, ...]
    rows: tuple[AnnexRow, ...]
    undecided_posts: int
    pending_count: int

    def chunks(self, size: int | None = None) -> list[tuple[AnnexRow, ...]]:
        size = size or ROWS_PER_CHUNK
        return [self.rows[i : i + size] for i in range(0, len(self.rows), size)] or [()]


_ANNEX_OUTCOMES = {
    Outcome.SELECTED: "Trúng tuyển",
    Outcome.RESERVED: "Bảo lưu",
    Outcome.PENDING_COUNCIL: "Chờ Hội đồng quyết định",
}


def annex_outcome(outcome: Outcome) -> str:
    """The outcome as the results table of an official document states it: Trúng tuyển,
    Không trúng tuyển or Bảo lưu (a tie waiting for the Council's vote says so)."""
    return _ANNEX_OUTCOMES.get(outcome, "Không trúng tuyển")


def _score(value: Decimal | str | None) -> str:
    if value is None or value == "":
        return "—"
    return f"{Decimal(value):.2f}".replace(".", ",")


def _rows_of(ranking: Ranking) -> list[RankingRow]:
    """The ranking's rows with their candidates, read in three statements whatever their
    number (a row at a time would be 10,000 statements for a large position)."""
    return list(
        db.session.scalars(
            sa.select(RankingRow)
            .where(RankingRow.ranking_id == ranking.id)
            .options(selectinload(RankingRow.application).selectinload(Application.candidate))
            .order_by(RankingRow.row_number)
        )
    )


def _part_names(rows: list[RankingRow]) -> tuple[str, ...]:
    for row in rows:
        if row.part_scores:
            return tuple(part["name"] for part in row.part_scores)
    return _LEGACY_PARTS


def _parts_of(row: RankingRow, count: int) -> tuple[str, ...]:
    if row.part_scores:
        return tuple(_score(part.get("score")) for part in row.part_scores)[:count]
    return (_score(row.test_percent), _score(row.panel_score))[:count]


def results_table(ranking: Ranking) -> ResultsTable:
    position = ranking.position
    rows = _rows_of(ranking)
    part_names = _part_names(rows)
    lines = tuple(
        AnnexRow(
            row_number=row.row_number,
            rank=row.rank,
            full_name=row.application.candidate.full_name,
            date_of_birth=row.application.date_of_birth,
            gender=row.application.gender,
            registration_number=row.application.registration_number or "",
            position=position.label,
            unit=row.application.current_unit,
            parts=_parts_of(row, len(part_names)),
            total=_score(row.total),
            outcome=row.outcome,
            note=row.note,
        )
        for row in rows
    )
    return ResultsTable(
        position=position.label,
        round_name=position.round.name,
        part_names=part_names,
        rows=lines,
        undecided_posts=ranking.undecided_posts,
        pending_count=sum(1 for row in rows if row.outcome == Outcome.PENDING_COUNCIL),
    )


def split_number(number: str) -> tuple[int | None, str]:
    """ "05/QĐ-HĐTT" → (5, "QĐ-HĐTT"); a number in another form is kept whole as the symbol
    (exam/documents/numbering.py reads numbers)."""
    sequence, symbol = split_document_number(number)
    return sequence, symbol or DECISION_SYMBOL


def _decision_frame(ranking: Ranking, verification: Verification | None) -> DocumentFrame:
    round_ = ranking.position.round
    decision = getattr(ranking, "decision", None)
    number, symbol = split_number(decision.decision_number) if decision else (None, DECISION_SYMBOL)
    return DocumentFrame(
        parent_body=round_.parent_body,
        issued_at=decision.decided_on if decision else utcnow(),
        signature=council_signature(signer=decision.signer_name if decision else ""),
        recipients=("Như Điều 3", "Ban giám sát", "Lưu: HĐTT"),
        symbol=symbol,
        number=number,
        verification=verification,
    )


Progress = Callable[[int, int], None]


def _workers() -> int:
    return int(current_app.config.get("PDF_WORKERS", 1))


def _long_document(
    first_template: str,
    table: ResultsTable,
    *,
    on_chunk: Progress | None = None,
    **data: object,
) -> bytes:
    """The first chunk is the document itself with the table's first rows; the others carry
    rows only (templates/pdf/results_rows.html), each with the table's header."""
    chunks = table.chunks()
    last = len(chunks) - 1
    htmls = render_html_chunks(
        first_template, [{"rows": chunks[0], "last_chunk": last == 0}], table=table, **data
    )
    htmls += render_html_chunks(
        "pdf/results_rows.html",
        [{"rows": rows, "last_chunk": i == last} for i, rows in enumerate(chunks[1:], 1)],
        table=table,
        **data,
    )
    return join_pdf_chunks(htmls, workers=_workers(), on_chunk=on_chunk)


def render_results_decision(
    ranking: Ranking, *, verification: Verification | None, on_chunk: Progress | None = None
) -> bytes:
    """The Council's decision approving the position's results (its number, date and signer
    from ``ranking.decision``), with the results table as its annex on landscape pages."""
    return decision_pdf(
        results_table(ranking),
        _decision_frame(ranking, verification),
        decision=getattr(ranking, "decision", None),
        posts=ranking.position.posts,
        verification=verification,
        on_chunk=on_chunk,
    )


def decision_pdf(
    table: ResultsTable,
    frame: DocumentFrame,
    *,
    decision: object | None,
    posts: int,
    verification: Verification | None,
    on_chunk: Progress | None = None,
) -> bytes:
    """The decision and its annex from plain values (also what bench/results_pdf.py times)."""
    return _long_document(
        "pdf/results_decision.html",
        table,
        on_chunk=on_chunk,
        document=frame,
        decision=decision,
        posts=posts,
        verification=verification,
    )


def render_results_list(
    ranking: Ranking, *, at: dt.datetime, on_chunk: Progress | None = None
) -> bytes:
    """The results table of a ranking as the Council's list (landscape), e.g. a draft for
    the Council's meeting; numbered from page 2 like every document."""
    frame = DocumentFrame(
        parent_body=ranking.position.round.parent_body,
        issued_at=at,
        signature=council_signature(),
        recipients=("Thành viên Hội đồng thi tuyển", "Ban giám sát", "Lưu: HĐTT"),
    )
    return _long_document(
        "pdf/results_list.html",
        results_table(ranking),
        on_chunk=on_chunk,
        document=frame,
        status=getattr(ranking, "status", None),
        verification=None,
        sign_after_table=True,
    )


@dataclass(frozen=True)
class NoticePart:
    name: str
    score: str
    gate: int | None
    weight: int | None


def _notice_parts(row: RankingRow) -> tuple[NoticePart, ...]:
    if row.part_scores:
        return tuple(
            NoticePart(p["name"], _score(p.get("score")), p.get("gate"), p.get("weight"))
            for p in row.part_scores
        )
    return (
        NoticePart(_LEGACY_PARTS[0], _score(row.test_percent), None, None),
        NoticePart(_LEGACY_PARTS[1], _score(row.panel_score), None, None),
    )


def render_result_notice(
    row: RankingRow, *, verification: Verification | None, appeal_deadline: dt.date | None
) -> bytes:
    """The notice of one candidate's result: each part's score, the total, the rank, the
    outcome and the rule that made it, and their right to appeal a written part with its
    deadline."""
    ranking = row.ranking
    position = ranking.position
    decision = getattr(ranking, "decision", None)
    published_at = getattr(ranking, "published_at", None)
    frame = DocumentFrame(
        parent_body=position.round.parent_body,
        issued_at=published_at or (decision.decided_on if decision else utcnow()),
        signature=council_signature(signer=decision.signer_name if decision else ""),
        recipients=("Thí sinh " + row.application.candidate.full_name, "Lưu: HĐTT"),
        symbol=NOTICE_SYMBOL,
        verification=verification,
    )
    parts = _notice_parts(row)
    return render_pdf(
        "pdf/results_notice.html",
        document=frame,
        verification=verification,
        row=row,
        application=row.application,
        position=position,
        parts=parts,
        total=_score(row.total),
        written=any(p.get("kind") == "written_test" for p in row.part_scores or []),
        decision=decision,
        appeal_deadline=appeal_deadline,
    )


def render_proposal(
    ranking: Ranking,
    *,
    verification: Verification | None,
    number: str | None = None,
    issued_on: dt.date | None = None,
) -> bytes:
    """The Council's proposal (tờ trình) to the appointing authority: the winners of the
    position, to be appointed, with the decision that approved the results. ``number`` and
    ``issued_on``: the proposal's own ("06/TTr-HĐTT"), when it is issued."""
    position = ranking.position
    decision = getattr(ranking, "decision", None)
    sequence, symbol = split_number(number) if number else (None, PROPOSAL_SYMBOL)
    frame = DocumentFrame(
        parent_body=position.round.parent_body,
        issued_at=issued_on or (decision.decided_on if decision else utcnow()),
        signature=council_signature(signer=decision.signer_name if decision else ""),
        recipients=("Như trên", "Ban giám sát", "Lưu: HĐTT"),
        symbol=symbol,
        number=sequence,
        verification=verification,
    )
    table = results_table(ranking)
    winners = tuple(r for r in table.rows if r.outcome == Outcome.SELECTED)
    reserve = tuple(r for r in table.rows if r.outcome == Outcome.RESERVED)
    return render_pdf(
        "pdf/results_proposal.html",
        document=frame,
        verification=verification,
        table=table,
        winners=winners,
        reserve=reserve,
        position=position,
        decision=decision,
    )


# --- the board's report: figures and charts ---------------------------------------------------


@dataclass(frozen=True)
class Distribution:
    """The scores of one part (or the total) over the ranked candidates, and its chart."""

    name: str
    count: int
    mean: str
    lowest: str
    highest: str
    svg: str


def distributions(ranking: Ranking) -> list[Distribution]:
    """The distribution of each part's scores and of the totals, absent scores left out."""
    rows = _rows_of(ranking)
    names = _part_names(rows)
    series: list[tuple[str, list[Decimal]]] = []
    for index, name in enumerate(names):
        values = []
        for row in rows:
            raw = _raw_parts(row)[index] if index < len(_raw_parts(row)) else None
            if raw is not None:
                values.append(Decimal(raw))
        series.append((name, values))
    series.append(("Tổng điểm", [row.total for row in rows if row.total is not None]))
    return [_distribution(name, values) for name, values in series]


def _raw_parts(row: RankingRow) -> list[Decimal | str | None]:
    if row.part_scores:
        return [part.get("score") for part in row.part_scores]
    return [row.test_percent, row.panel_score]


def _distribution(name: str, values: list[Decimal]) -> Distribution:
    count = len(values)
    mean = (sum(values, Decimal(0)) / count).quantize(TWO_PLACES, ROUND_HALF_UP) if count else None
    return Distribution(
        name=name,
        count=count,
        mean=_score(mean),
        lowest=_score(min(values) if values else None),
        highest=_score(max(values) if values else None),
        svg=distribution_svg(name, values),
    )


REPORT_SYMBOL = "BC-HĐTT"


def render_results_report(
    ranking: Ranking,
    *,
    at: dt.datetime | dt.date,
    number: str | None = None,
    verification: Verification | None = None,
) -> bytes:
    """The board's report on a position's results: how many were ranked and selected, and
    the distribution of every part's scores and of the totals as charts. ``number`` and
    ``verification``: those of the report as issued (exam/results/reports.py), signed by the
    Chair who signed the decision; without them a working copy, unnumbered."""
    position: Position = ranking.position
    decision = getattr(ranking, "decision", None) if number else None
    sequence, symbol = split_number(number) if number else (None, REPORT_SYMBOL)
    frame = DocumentFrame(
        parent_body=position.round.parent_body,
        issued_at=at,
        signature=council_signature(signer=decision.signer_name if decision else ""),
        recipients=("Ban giám sát", "Lưu: HĐTT"),
        symbol=symbol,
        number=sequence,
        verification=verification,
    )
    outcomes = [row.outcome for row in ranking.rows]
    return render_pdf(
        "pdf/results_report.html",
        document=frame,
        position=position,
        ranking=ranking,
        ranked=len(outcomes),
        selected=outcomes.count(Outcome.SELECTED),
        reserved=outcomes.count(Outcome.RESERVED),
        distributions=distributions(ranking),
    )
