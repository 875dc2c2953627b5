"""A position's results as an Excel workbook (openpyxl): the columns of the results table,
scores as numbers (2 decimals) and dates as dates, so that the board can sort and add up;
every text cell written through exam/core/spreadsheets.py (no formula can be smuggled in)."""

from __future__ import annotations

import io
from decimal import Decimal

from flask_babel import force_locale
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from exam.core.spreadsheets import append_row
from exam.results.documents import ResultsTable, annex_outcome, results_table
from exam.results.models import Outcome, Ranking

SHEET_TITLE = "Kết quả"
DATE_FORMAT = "DD/MM/YYYY"
SCORE_FORMAT = "0.00"


def _number(formatted: str) -> Decimal | None:
    """A score as the table prints it ("78,50", "—") back to a number for the sheet."""
    return None if formatted in ("", "—") else Decimal(formatted.replace(",", "."))


def headers(table: ResultsTable) -> list[str]:
    return [
        "STT",
        "Họ và tên",
        "Ngày sinh",
        "Giới tính",
        "Số báo danh",
        "Vị trí dự tuyển",
        "Đơn vị công tác",
        *table.part_names,
        "Tổng điểm",
        "Xếp hạng",
        "Kết quả",
        "Ghi chú",
    ]


def results_workbook(ranking: Ranking) -> bytes:
    table = results_table(ranking)
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_TITLE
    append_row(sheet, headers(table))
    with force_locale("vi"):  # the board's document: Vietnamese whatever the reader's language
        for row in table.rows:
            note = row.note
            if row.outcome == Outcome.FAILED_GATE:
                note = "; ".join(filter(None, [str(row.outcome.title), row.note]))
            append_row(
                sheet,
                [
                    row.row_number,
                    row.full_name,
                    row.date_of_birth,
                    str(row.gender.title),
                    row.registration_number,
                    row.position,
                    row.unit,
                    *[_number(score) for score in row.parts],
                    _number(row.total),
                    row.rank,
                    annex_outcome(row.outcome),
                    note,
                ],
            )
    parts = len(table.part_names)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for column in sheet.iter_cols(min_row=2, min_col=3, max_col=3):
        for cell in column:
            cell.number_format = DATE_FORMAT
    for column in sheet.iter_cols(min_row=2, min_col=8, max_col=8 + parts):
        for cell in column:
            cell.number_format = SCORE_FORMAT
    widths = [6, 28, 12, 9, 12, 28, 30, *[12] * parts, 11, 9, 20, 30]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = width
    sheet.freeze_panes = "C2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
