"""Excel files: the import template, reading an import, and the exported lists.

An import is read whole, every cell checked, and every problem reported by row and column
(in Vietnamese); ``exam.candidates.paper_dossiers.import_candidates`` then checks the rules that
need the database and writes everything in one transaction, or nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import ParseError

from email_validator import EmailNotValidError, validate_email
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from exam.candidates.models import Application, Gender
from exam.candidates.values import ApplicationDetails, FieldProblem, Person
from exam.core.i18n import format_date
from exam.core.spreadsheets import append_row, write_cell
from exam.rounds.models import Position, Round
from exam.rounds.standards import (
    DegreeLevel,
    Discipline,
    PoliticalTheory,
    Rank,
    Rating,
    StateManagement,
)

DATA_SHEET = "Thí sinh"
LISTS_SHEET = "Danh mục"
POSITIONS_SHEET = "Vị trí"
# Hanoi's 2025 teacher recruitment had ~8,000 candidates (docs/domain.md, "Scale").
MAX_ROWS = 10_000
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool
    kind: str  # text, email, national_id, phone, date, gender, position, yes_no, enum
    enum: Any = None
    width: int = 18


def columns(round_: Round) -> list[Column]:
    year = round_.deadline_date.year
    return [
        Column("full_name", "Họ và tên", True, "text", width=26),
        Column("email", "Email", True, "email", width=28),
        Column("national_id", "Số CCCD", True, "national_id", width=16),
        Column("date_of_birth", "Ngày sinh", True, "date", width=12),
        Column("gender", "Giới tính", True, "gender", width=10),
        Column("phone", "Số điện thoại", False, "phone", width=14),
        Column("position", "Mã vị trí dự tuyển", True, "position", width=12),
        Column("current_unit", "Cơ quan, đơn vị đang công tác", True, "text", width=30),
        Column("current_post", "Chức vụ hiện tại", True, "text", width=22),
        Column("post_held_since", "Giữ chức vụ từ ngày", True, "date", width=14),
        Column("degree_level", "Trình độ chuyên môn", True, "enum", DegreeLevel),
        Column("degree_field", "Chuyên ngành", True, "text", width=24),
        Column("political_theory", "Lý luận chính trị", True, "enum", PoliticalTheory),
        Column("state_management", "Quản lý nhà nước", True, "enum", StateManagement, 20),
        Column("leadership_training", "Bồi dưỡng lãnh đạo, quản lý", True, "yes_no"),
        Column("rank", "Ngạch, hạng", True, "enum", Rank, 36),
        Column("rating_1", f"Xếp loại năm {year - 1}", True, "enum", Rating, 28),
        Column("rating_2", f"Xếp loại năm {year - 2}", True, "enum", Rating, 28),
        Column("rating_3", f"Xếp loại năm {year - 3}", True, "enum", Rating, 28),
        Column("discipline", "Kỷ luật", True, "enum", Discipline, 30),
        Column("discipline_on", "Ngày quyết định kỷ luật", False, "date", width=14),
        Column("health_certificate_on", "Ngày cấp giấy khám sức khỏe", False, "date", width=14),
        Column("received_on", "Ngày nhận hồ sơ", True, "date", width=14),
    ]


def position_code(index: int) -> str:
    return f"VT{index + 1}"


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", str(text).casefold().replace("đ", "d"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


# Short forms accepted besides the full titles.
_ALIASES = {
    Rank: {
        "can su": "grade_4",
        "hang iv": "grade_4",
        "iv": "grade_4",
        "chuyen vien": "grade_3",
        "hang iii": "grade_3",
        "iii": "grade_3",
        "chuyen vien chinh": "grade_2",
        "hang ii": "grade_2",
        "ii": "grade_2",
        "chuyen vien cao cap": "grade_1",
        "hang i": "grade_1",
        "i": "grade_1",
    },
    Rating: {
        "xuat sac": "excellent",
        "tot": "good",
        "hoan thanh": "done",
        "khong hoan thanh": "not_done",
    },
    Discipline: {"khong": "none", "cach chuc": "dismissal", "giang chuc": "dismissal"},
}


def _titles(member: Any) -> frozenset[str]:
    """A member's folded titles in every language: a template filled in Vietnamese is read
    the same whatever language the person uploading it uses."""
    # Keyed by class too: members of two str enums with the same value are equal.
    return _titles_of(type(member), member.value)


@functools.cache
def _titles_of(enum_cls: Any, value: str) -> frozenset[str]:
    # Kept once computed: switching locales for every cell made 2,000 rows take seconds.
    member = enum_cls(value)
    titles = {member.value}
    for language in ("vi", "en"):
        with force_locale(language):
            titles.add(_fold(str(member.title)))
    return frozenset(titles)


def _enum_value(enum_cls: Any, text: str) -> Any:
    folded = _fold(text)
    for member in enum_cls:
        if folded in _titles(member):
            return member
    alias = _ALIASES.get(enum_cls, {}).get(folded)
    return enum_cls(alias) if alias else None


# --- the template ------------------------------------------------------------------------


def template_workbook(round_: Round) -> bytes:
    """The import template: one sheet to fill, the positions' codes, the allowed values.
    Always in Vietnamese, the language of the dossiers it transcribes."""
    with force_locale("vi"):
        return _template_workbook(round_)


def _template_workbook(round_: Round) -> bytes:
    cols = columns(round_)
    book = Workbook()
    sheet = book.active
    sheet.title = DATA_SHEET
    lists = book.create_sheet(LISTS_SHEET)
    positions = book.create_sheet(POSITIONS_SHEET)
    guide = book.create_sheet("Hướng dẫn")

    for index, col in enumerate(cols, start=1):
        cell = write_cell(sheet, 1, index, col.header + (" *" if col.required else ""))
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = col.width
        if col.kind in ("national_id", "phone", "date"):
            for row in range(2, MAX_ROWS + 2):
                sheet.cell(row=row, column=index).number_format = "@"
    sheet.freeze_panes = "A2"

    list_values: dict[str, list[str]] = {
        "gender": [str(g.title) for g in Gender],
        "yes_no": ["Có", "Không"],
        "position": [position_code(i) for i in range(len(round_.positions))],
    }
    for col in cols:
        if col.kind == "enum":
            list_values[col.key] = [str(m.title) for m in col.enum]
    for list_index, (key, values) in enumerate(list_values.items(), start=1):
        letter = get_column_letter(list_index)
        write_cell(lists, 1, list_index, key)
        for row, value in enumerate(values, start=2):
            write_cell(lists, row, list_index, value)
        source = f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(values) + 1}"
        for index, col in enumerate(cols, start=1):
            if col.key == key or col.kind == key:
                validation = DataValidation(type="list", formula1=source, allow_blank=True)
                validation.error = "Chọn một giá trị trong danh sách."
                sheet.add_data_validation(validation)
                validation.add(
                    f"{get_column_letter(index)}2:{get_column_letter(index)}{MAX_ROWS + 1}"
                )
    lists.sheet_state = "hidden"

    append_row(positions, ["Mã vị trí", "Chức danh", "Đơn vị", "Số lượng"])
    for index, position in enumerate(round_.positions):
        append_row(
            positions, [position_code(index), position.title, position.unit_name, position.posts]
        )
    for letter, width in zip("ABCD", (12, 40, 40, 10), strict=True):
        positions.column_dimensions[letter].width = width

    guide.column_dimensions["A"].width = 110
    for line in (
        f"Mẫu nhập hồ sơ dự tuyển — {round_.name}",
        "Mỗi dòng của trang «Thí sinh» là một hồ sơ đã nhận bằng giấy. Cột có dấu * là bắt buộc.",
        "Ngày ghi theo dạng dd/mm/yyyy. Số CCCD gồm 12 chữ số (ô văn bản: giữ số 0 đầu).",
        "Mã vị trí lấy ở trang «Vị trí». Cột có danh sách: chọn một giá trị trong danh sách.",
        "Ngày nhận hồ sơ phải nằm trong thời hạn nhận hồ sơ của kỳ thi.",
        "Nếu có một dòng sai, không hồ sơ nào được nhập: sửa theo danh sách lỗi rồi tải lên lại.",
    ):
        append_row(guide, [line])

    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- reading an import -------------------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str  # "D – Ngày sinh", or "" for the whole row or file
    message: str


@dataclass
class ImportRow:
    row: int
    full_name: str
    email: str
    position: Position
    person: Person
    details: ApplicationDetails
    received_on: dt.date


@dataclass
class ImportResult:
    rows: list[ImportRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


# An .xlsx is a zip of XML files. What openpyxl raises on a damaged one, when it opens it
# or later, while it reads the rows (read-only mode reads lazily): a broken archive, CRC or
# compressed stream, malformed XML, or a part that is missing or of the wrong kind.
_BROKEN_FILE = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    ParseError,
    InvalidFileException,
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    AttributeError,
    NotImplementedError,  # a compression method zipfile does not know
    RuntimeError,  # an encrypted part
    OSError,
)
# What a file may unpack to: 10,000 full rows of the template are some 15 MB. The sizes come
# from the archive's directory before anything is unpacked, and zipfile never unpacks more
# than an entry declares, so a zip bomb is refused without being opened.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024


def read_import(round_: Round, data: bytes) -> ImportResult:
    """Parse and check every cell; nothing here touches the database. A file that is not
    a readable workbook, damaged or hostile, is one problem in words, never an error."""
    if not data.startswith(b"PK\x03\x04"):
        return _refused(_l("Tệp không phải Excel (.xlsx)."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            return _refused(
                _l(
                    "Tệp Excel quá lớn khi giải nén (trên %(n)d MB).",
                    n=MAX_UNPACKED_BYTES // (1024 * 1024),
                )
            )
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            return _read_book(round_, book)
        finally:
            book.close()
    except _BROKEN_FILE:
        return _refused(_l("Tệp không phải là tệp Excel hợp lệ: tệp bị hỏng hoặc không đọc được."))


def _refused(message: Any) -> ImportResult:
    return ImportResult(problems=[RowProblem(0, "", str(message))])


def _read_book(round_: Round, book: Any) -> ImportResult:
    result = ImportResult()
    sheet = book[DATA_SHEET] if DATA_SHEET in book.sheetnames else book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None) or ()
    cols = columns(round_)
    positions = {position_code(i): p for i, p in enumerate(round_.positions)}
    found = {_fold(_text(h).rstrip(" *")): i for i, h in enumerate(header) if h is not None}
    index_of: dict[str, int] = {}
    for col in cols:
        where = found.get(_fold(col.header))
        if where is None:
            result.problems.append(
                RowProblem(1, "", str(_l("Thiếu cột «%(c)s» ở dòng tiêu đề.", c=col.header)))
            )
        else:
            index_of[col.key] = where
    if result.problems:
        return result
    count = 0
    for number, values in enumerate(rows, start=2):
        if values is None or all(_text(v) == "" for v in values):
            continue
        count += 1
        if count > MAX_ROWS:
            result.problems.append(
                RowProblem(number, "", str(_l("Tệp có quá %(n)s dòng.", n=MAX_ROWS)))
            )
            break
        row = _read_row(number, values, cols, index_of, positions, result.problems)
        if row is not None:
            result.rows.append(row)
    if not result.rows and not result.problems:
        result.problems.append(RowProblem(0, "", str(_l("Tệp không có dòng dữ liệu nào."))))
    return result


def column_label(index: int, header: str) -> str:
    return f"{get_column_letter(index + 1)} – {header}"


# The column of the import file each dossier field comes from (the operations name fields).
_COLUMN_OF_FIELD = {
    "date_of_birth": "date_of_birth",
    "current_unit": "current_unit",
    "current_post": "current_post",
    "post_held_since": "post_held_since",
    "discipline_on": "discipline_on",
    "health_certificate_on": "health_certificate_on",
    "national_id": "national_id",
    "degree_field": "degree_field",
    "received_on": "received_on",
    "email": "email",
    "position": "position",
}


def located(round_: Round, problems: list[FieldProblem]) -> list[RowProblem]:
    """The problems ``import_candidates`` found, each placed in its column of the file."""
    cols = {c.key: (i, c.header) for i, c in enumerate(columns(round_))}
    return [
        RowProblem(
            p.row,
            column_label(*cols[_COLUMN_OF_FIELD[p.field]]) if p.field in _COLUMN_OF_FIELD else "",
            p.message,
        )
        for p in problems
    ]


def _read_row(
    number: int,
    values: tuple,
    cols: list[Column],
    index_of: dict[str, int],
    positions: dict[str, Position],
    problems: list[RowProblem],
) -> ImportRow | None:
    cells: dict[str, Any] = {}
    before = len(problems)

    def problem(col: Column, message: Any) -> None:
        problems.append(
            RowProblem(number, column_label(index_of[col.key], col.header), str(message))
        )

    for col in cols:
        index = index_of[col.key]
        raw = values[index] if index < len(values) else None
        text = _text(raw)
        if not text:
            if col.required:
                problem(col, _l("Chưa điền."))
            cells[col.key] = None
            continue
        try:
            cells[col.key] = _cell(col, raw, text, positions)
        except _Bad as error:
            problem(col, error.message)
    if len(problems) > before:
        return None
    ratings = (cells["rating_1"], cells["rating_2"], cells["rating_3"])
    return ImportRow(
        row=number,
        full_name=cells["full_name"],
        email=cells["email"],
        position=cells["position"],
        person=Person(
            date_of_birth=cells["date_of_birth"],
            gender=cells["gender"],
            current_unit=cells["current_unit"],
            current_post=cells["current_post"],
        ),
        details=ApplicationDetails(
            national_id=cells["national_id"],
            phone=cells["phone"] or "",
            degree_level=cells["degree_level"],
            degree_field=cells["degree_field"],
            political_theory=cells["political_theory"],
            state_management=cells["state_management"],
            leadership_training=cells["leadership_training"],
            rank=cells["rank"],
            post_held_since=cells["post_held_since"],
            ratings=ratings,
            discipline=cells["discipline"],
            discipline_on=cells["discipline_on"],
            health_certificate_on=cells["health_certificate_on"],
        ),
        received_on=cells["received_on"],
    )


class _Bad(ValueError):
    """A cell's problem, with a message for the person who filled the file."""

    def __init__(self, message: Any):
        super().__init__(str(message))
        self.message = message


def _cell(col: Column, raw: Any, text: str, positions: dict[str, Position]) -> Any:
    if col.kind == "text":
        if len(text) > 200:
            raise _Bad(_l("Tối đa 200 ký tự."))
        return text
    if col.kind == "email":
        try:
            return validate_email(text, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            raise _Bad(_l("Địa chỉ email «%(v)s» không hợp lệ.", v=text)) from None
    if col.kind == "national_id":
        digits = text.replace(" ", "")
        if isinstance(raw, int | float) and digits.isdigit():
            digits = digits.zfill(12)  # a number cell lost its leading zeros
        if not (len(digits) == 12 and digits.isdigit()):
            raise _Bad(_l("Số CCCD «%(v)s» phải gồm đúng 12 chữ số.", v=text))
        return digits
    if col.kind == "phone":
        if not all(c.isdigit() or c in " +.()-" for c in text) or len(text) > 20:
            raise _Bad(_l("Số điện thoại «%(v)s» không hợp lệ.", v=text))
        return text
    if col.kind == "date":
        try:
            return _date(raw)
        except ValueError:
            raise _Bad(_l("Ngày «%(v)s» không hợp lệ (dạng dd/mm/yyyy).", v=text)) from None
    if col.kind == "gender":
        for gender in Gender:
            if _fold(text) in _titles(gender):
                return gender
        raise _Bad(_l("Giới tính ghi «Nam» hoặc «Nữ»."))
    if col.kind == "yes_no":
        folded = _fold(text)
        if folded in ("co", "x", "yes"):
            return True
        if folded in ("khong", "chua", "chua co", "no"):
            return False
        raise _Bad(_l("Ghi «Có» hoặc «Không»."))
    if col.kind == "position":
        position = positions.get(text.upper())
        if position is None:
            raise _Bad(_l("Không có vị trí mã «%(v)s» trong kỳ thi (xem trang «Vị trí»).", v=text))
        return position
    if col.kind == "enum":
        member = _enum_value(col.enum, text)
        if member is None:
            raise _Bad(_l("Giá trị «%(v)s» không có trong danh sách.", v=text))
        return member
    raise AssertionError(col.kind)


# --- exported lists ----------------------------------------------------------------------


def list_workbook(round_: Round, applications: list[Application], *, eligible: bool) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Đủ điều kiện" if eligible else "Không đủ điều kiện"
    title = (
        "DANH SÁCH THÍ SINH ĐỦ ĐIỀU KIỆN DỰ THI TUYỂN"
        if eligible
        else "DANH SÁCH THÍ SINH KHÔNG ĐỦ ĐIỀU KIỆN DỰ THI TUYỂN"
    )
    append_row(sheet, [title])
    append_row(sheet, [round_.name])
    append_row(sheet, [])
    header = ["STT", "Họ và tên", "Ngày sinh", "Nam/Nữ"]
    header += ["SBD"] if eligible else []
    header += ["Vị trí dự tuyển", "Cơ quan, đơn vị công tác"]
    header += ["Ghi chú"] if eligible else ["Lý do"]
    append_row(sheet, header)
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    sheet["A1"].font = Font(bold=True, size=13)
    for number, application in enumerate(applications, start=1):
        row = [
            number,
            application.candidate.full_name,
            format_date(application.date_of_birth),
            str(application.gender.title),
        ]
        row += [application.registration_number] if eligible else []
        row += [application.position.label, application.current_unit, application.decision_reason]
        append_row(sheet, row)
    widths = [6, 28, 12, 8] + ([8] if eligible else []) + [44, 34, 50]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
