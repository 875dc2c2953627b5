"""Cells of exported spreadsheets (CSV and Excel) that no spreadsheet program runs as a formula.

Names, units, reasons and question keys are typed by candidates and staff; a name such as
``=HYPERLINK("http://…"&C6,"Xem")`` would otherwise become a live formula in the exported list.
The rule follows the OWASP "CSV Injection" guidance: a text cell that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return gets a leading single quote, so that it is shown as the
text it is. Only text is escaped: real numbers (scores, counts, negative indices) and dates
keep their type, so that the sheet can still add them up.

Every export writes its rows through ``csv_writer`` or ``append_row`` / ``write_cell``; this is
the one place of the rule. (``defusedcsv`` covers CSV only, and neither tab nor CR.)
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE as _XLSX_ILLEGAL
from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` as it may go into an exported cell: text starting with a formula trigger
    is prefixed with ``'``; anything that is not text (numbers, dates, None) is unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


# --- CSV ---------------------------------------------------------------------------------------


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


class SafeCsvWriter:
    """``csv.writer`` whose every cell passes through ``safe_cell``."""

    def __init__(self, out: _Writable, **fmtparams: Any) -> None:
        self._writer = csv.writer(out, **fmtparams)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out: _Writable, **fmtparams: Any) -> SafeCsvWriter:
    return SafeCsvWriter(out, **fmtparams)


# --- Excel (openpyxl) -----------------------------------------------------------------------


def _text_cell(cell: Cell, value: Any) -> Cell:
    if isinstance(value, str):
        cell.value = safe_cell(_XLSX_ILLEGAL.sub("", value))
        cell.data_type = "s"
    else:
        cell.value = value
    return cell


def write_cell(sheet: Worksheet, row: int, column: int, value: Any) -> Cell:
    """Set one cell. Text is escaped and stored as text (type ``s``) whatever it looks like:
    openpyxl would otherwise store ``=…`` as a formula and ``#N/A`` as an error. Characters
    that an .xlsx file cannot hold (C0 controls other than tab, LF and CR) are dropped rather
    than failing the whole export."""
    return _text_cell(sheet.cell(row=row, column=column), value)


def append_row(sheet: Worksheet, values: Iterable[Any]) -> None:
    """``sheet.append(values)``, every cell made as ``write_cell`` makes it."""
    sheet.append([_text_cell(Cell(sheet), value) for value in values])
