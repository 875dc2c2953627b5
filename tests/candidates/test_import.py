"""Importing paper dossiers from Excel: the template, the preview, errors by row and column
in Vietnamese, and nothing imported unless every row is valid."""

from __future__ import annotations

import io
import zipfile

import pytest
import sqlalchemy as sa
import time_machine
from openpyxl import load_workbook

from exam.accounts.models import Role, User
from exam.candidates.models import Application
from exam.extensions import db
from exam.notices.models import NoticeKind, OutboxMessage
from exam.rounds.standards import DegreeLevel, Rating
from tests.conftest import login
from tests.factories import T0

GOOD_ROWS = [
    {
        "Họ và tên": "Nguyễn Văn Bình",
        "Email": "binh.nguyen@benhvien.example",
        "Số CCCD": "001082001234",
        "Ngày sinh": "12/08/1982",
        "Giới tính": "Nam",
        "Số điện thoại": "0987 654 321",
        "Mã vị trí dự tuyển": "VT1",
        "Cơ quan, đơn vị đang công tác": "Bệnh viện Đa khoa Thử Nghiệm",
        "Chức vụ hiện tại": "Phó Trưởng phòng",
        "Giữ chức vụ từ ngày": "01/07/2019",
        "Trình độ chuyên môn": "Thạc sĩ",
        "Chuyên ngành": "Quản lý bệnh viện",
        "Lý luận chính trị": "Trung cấp",
        "Quản lý nhà nước": "Chuyên viên",
        "Bồi dưỡng lãnh đạo, quản lý": "Có",
        "Ngạch, hạng": "Chuyên viên, hạng III hoặc tương đương",
        "Xếp loại năm 2025": "Hoàn thành tốt nhiệm vụ",
        "Xếp loại năm 2024": "Hoàn thành xuất sắc nhiệm vụ",
        "Xếp loại năm 2023": "Tốt",
        "Kỷ luật": "Không bị kỷ luật",
        "Ngày quyết định kỷ luật": "",
        "Ngày cấp giấy khám sức khỏe": "10/01/2026",
        "Ngày nhận hồ sơ": "25/02/2026",
    },
    {
        "Họ và tên": "Trần Thị Cúc",
        "Email": "cuc.tran@benhvien.example",
        "Số CCCD": "001186004321",
        "Ngày sinh": "03/03/1986",
        "Giới tính": "Nữ",
        "Số điện thoại": "",
        "Mã vị trí dự tuyển": "vt1",
        "Cơ quan, đơn vị đang công tác": "Trung tâm Y tế quận",
        "Chức vụ hiện tại": "Trưởng khoa",
        "Giữ chức vụ từ ngày": "15/03/2022",
        "Trình độ chuyên môn": "Đại học",
        "Chuyên ngành": "Y đa khoa",
        "Lý luận chính trị": "Cao cấp",
        "Quản lý nhà nước": "Chuyên viên chính",
        "Bồi dưỡng lãnh đạo, quản lý": "Có",
        "Ngạch, hạng": "Hạng II",
        "Xếp loại năm 2025": "Xuất sắc",
        "Xếp loại năm 2024": "Tốt",
        "Xếp loại năm 2023": "Tốt",
        "Kỷ luật": "Khiển trách",
        "Ngày quyết định kỷ luật": "01/02/2024",
        "Ngày cấp giấy khám sức khỏe": "",
        "Ngày nhận hồ sơ": "20/02/2026",
    },
]


@pytest.fixture
def setting(app, make):
    round_ = make.round()
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    return round_, board


def _template(app, round_, board) -> bytes:
    with time_machine.travel(T0, tick=False):
        response = login(app.test_client(), board).get(
            f"/rounds/{round_.id}/applications/import-template.xlsx"
        )
    assert response.status_code == 200
    return response.data


def _filled(template: bytes, rows: list[dict]) -> bytes:
    book = load_workbook(io.BytesIO(template))
    sheet = book["Thí sinh"]
    headers = [str(c.value).rstrip(" *") for c in sheet[1]]
    for number, row in enumerate(rows, start=2):
        for column, header in enumerate(headers, start=1):
            value = row.get(header, "")
            sheet.cell(row=number, column=column, value=value if value != "" else None)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _preview(app, round_, board, data: bytes, name="ho-so.xlsx"):
    with time_machine.travel(T0, tick=False):
        return login(app.test_client(), board).post(
            f"/rounds/{round_.id}/applications/import",
            data={"file": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
        )


def _counts() -> tuple[int, int, int]:
    db.session.expire_all()
    return (
        db.session.scalar(sa.select(sa.func.count(Application.id))),
        db.session.scalar(sa.select(sa.func.count(User.id)).where(User.email.like("%benhvien%"))),
        db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))),
    )


def test_the_template_lists_the_columns_the_positions_and_the_choices(app, setting):
    round_, board = setting
    book = load_workbook(io.BytesIO(_template(app, round_, board)))
    assert book.sheetnames[:3] == ["Thí sinh", "Danh mục", "Vị trí"]
    headers = [c.value for c in book["Thí sinh"][1]]
    assert headers[:4] == ["Họ và tên *", "Email *", "Số CCCD *", "Ngày sinh *"]
    assert "Xếp loại năm 2025 *" in headers
    positions = list(book["Vị trí"].values)
    assert positions[1][:2] == ("VT1", round_.positions[0].title)
    assert book["Thí sinh"].data_validations.dataValidation  # drop-down lists


def test_a_valid_file_is_previewed_then_imported_whole(app, setting):
    round_, board = setting
    data = _filled(_template(app, round_, board), GOOD_ROWS)
    preview = _preview(app, round_, board, data)
    text = preview.get_data(as_text=True)
    assert "Xem trước: 2 hồ sơ hợp lệ" in text
    assert "Nguyễn Văn Bình" in text
    assert _counts() == (0, 0, 0)  # nothing saved by the preview
    token = text.split('name="token" value="')[1].split('"')[0]
    with time_machine.travel(T0, tick=False):
        done = login(app.test_client(), board).post(
            f"/rounds/{round_.id}/applications/import/confirm", data={"token": token}
        )
    assert done.status_code == 302
    assert _counts() == (2, 2, 4)  # each: the dossier received, the invitation to sign in
    binh = db.session.scalars(
        sa.select(Application)
        .join(User, Application.candidate_id == User.id)
        .where(User.email == "binh.nguyen@benhvien.example")
    ).one()
    assert binh.paper_dossier is True
    assert binh.degree_level == DegreeLevel.MASTER
    assert binh.ratings == [Rating.GOOD, Rating.EXCELLENT, Rating.GOOD]
    assert binh.submitted_at.date().isoformat() == "2026-02-25"
    assert {m.kind for m in db.session.scalars(sa.select(OutboxMessage))} == {
        NoticeKind.RECEIVED,
        NoticeKind.INVITATION,
    }
    # The same file cannot be imported twice.
    with time_machine.travel(T0, tick=False):
        again = login(app.test_client(), board).post(
            f"/rounds/{round_.id}/applications/import/confirm",
            data={"token": token},
            follow_redirects=True,
        )
    assert "Tệp đã được nhập hoặc đã hết hạn" in again.get_data(as_text=True)
    assert _counts() == (2, 2, 4)


def test_one_bad_row_refuses_the_whole_file_with_errors_by_row_and_column(app, setting):
    round_, board = setting
    bad = {
        **GOOD_ROWS[1],
        "Ngày sinh": "30/02/1986",
        "Số CCCD": "00118600432",
        "Xếp loại năm 2024": "Giỏi",
        "Mã vị trí dự tuyển": "VT9",
        "Email": "khong-phai-email",
    }
    response = _preview(
        app, round_, board, _filled(_template(app, round_, board), [GOOD_ROWS[0], bad])
    )
    text = response.get_data(as_text=True)
    assert "Tệp có 5 lỗi: không hồ sơ nào được nhập" in text
    for column, message in [
        ("D – Ngày sinh", "Ngày «30/02/1986» không hợp lệ (dạng dd/mm/yyyy)."),
        ("C – Số CCCD", "Số CCCD «00118600432» phải gồm đúng 12 chữ số."),
        ("R – Xếp loại năm 2024", "Giá trị «Giỏi» không có trong danh sách."),
        ("G – Mã vị trí dự tuyển", "Không có vị trí mã «VT9» trong kỳ thi"),
        ("B – Email", "Địa chỉ email «khong-phai-email» không hợp lệ."),
    ]:
        assert f"<td>3</td><td>{column}</td><td>{message}" in text
    assert "Xác nhận nhập" not in text
    assert _counts() == (0, 0, 0)


def test_rules_of_the_round_are_checked_for_every_row(app, make, setting):
    round_, board = setting
    existing = make.dossier(round_.positions[0], documents=False)
    db.session.commit()
    rows = [
        {**GOOD_ROWS[0], "Ngày nhận hồ sơ": "01/02/2026"},  # before the window
        GOOD_ROWS[1],
        {**GOOD_ROWS[1], "Email": "khac@benhvien.example"},  # same CCCD as row 3
        {
            **GOOD_ROWS[1],
            "Email": "nua@benhvien.example",
            "Số CCCD": existing.national_id,
            "Ngày sinh": "17/05/1985",
        },
        {
            **GOOD_ROWS[0],
            "Email": "moi@benhvien.example",
            "Số CCCD": "001082009999",
            "Kỷ luật": "Cảnh cáo",
        },
    ]
    response = _preview(app, round_, board, _filled(_template(app, round_, board), rows))
    text = response.get_data(as_text=True)
    assert "Tệp có 4 lỗi" in text
    assert "<td>2</td><td>W – Ngày nhận hồ sơ</td><td>Ngày nhận hồ sơ nằm ngoài" in text
    assert "<td>4</td><td>C – Số CCCD</td><td>Số CCCD trùng với dòng 3." in text
    assert "<td>5</td><td>C – Số CCCD</td><td>Số CCCD này đã có trong một hồ sơ khác" in text
    assert "<td>6</td><td>U – Ngày quyết định kỷ luật</td><td>Nhập ngày quyết định kỷ luật." in text
    assert _counts()[0] == 1


def test_a_file_that_is_not_the_template_is_refused(app, setting):
    round_, board = setting
    pdf = _preview(app, round_, board, b"%PDF-1.4 not excel", "ho-so.xlsx")
    assert "Tệp không phải Excel (.xlsx)." in pdf.get_data(as_text=True)
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Họ và tên", "Email"])
    buffer = io.BytesIO()
    book.save(buffer)
    partial = _preview(app, round_, board, buffer.getvalue())
    assert "Thiếu cột «Số CCCD» ở dòng tiêu đề." in partial.get_data(as_text=True)
    empty = _preview(app, round_, board, _filled(_template(app, round_, board), []))
    assert "Tệp không có dòng dữ liệu nào." in empty.get_data(as_text=True)
    assert _counts() == (0, 0, 0)


def test_an_email_of_a_staff_account_or_another_name_is_refused(app, make, setting):
    round_, board = setting
    make.user(Role.PANEL_MEMBER, email="binh.nguyen@benhvien.example")
    make.user(Role.CANDIDATE, name="Trần Thị Khác", email="cuc.tran@benhvien.example")
    db.session.commit()
    response = _preview(app, round_, board, _filled(_template(app, round_, board), GOOD_ROWS))
    text = response.get_data(as_text=True)
    assert "Email này thuộc một tài khoản không phải thí sinh." in text
    assert "Email này thuộc tài khoản «Trần Thị Khác», khác họ tên trong tệp." in text


def test_only_the_board_imports(app, make, setting):
    round_, _board = setting
    candidate, supervisor = make.user(Role.CANDIDATE), make.user(Role.SUPERVISOR)
    db.session.commit()
    # A candidate has no seat in the round (404); the supervisory board reads, imports nothing.
    for user, refused in ((candidate, 404), (supervisor, 403)):
        client = login(app.test_client(), user)
        assert client.get(f"/rounds/{round_.id}/applications/import").status_code == refused
        assert (
            client.get(f"/rounds/{round_.id}/applications/import-template.xlsx").status_code
            == refused
        )
        assert (
            client.post(
                f"/rounds/{round_.id}/applications/import/confirm", data={"token": "0" * 32}
            ).status_code
            == refused
        )


def test_a_vietnamese_file_is_read_the_same_in_the_english_interface(app, setting):
    """The template is the official Vietnamese form; the language of the person uploading it
    changes the messages, not how the cells are read."""
    round_, board = setting
    data = _filled(_template(app, round_, board), GOOD_ROWS)
    with time_machine.travel(T0, tick=False):
        client = login(app.test_client(), board)
        client.post("/language", data={"language": "en", "next": "/"})
        english_template = client.get(f"/rounds/{round_.id}/applications/import-template.xlsx")
        preview = client.post(
            f"/rounds/{round_.id}/applications/import",
            data={"file": (io.BytesIO(data), "ho-so.xlsx")},
            content_type="multipart/form-data",
        )
    text = preview.get_data(as_text=True)
    assert '<html lang="en">' in text
    assert "Nguyễn Văn Bình" in text
    assert load_workbook(io.BytesIO(english_template.data)).sheetnames[0] == "Thí sinh"
    assert _counts() == (0, 0, 0)
    assert 'name="token"' in text


# --- damaged and hostile workbooks (issue 10 item 7) -----------------------------------------

BROKEN = "Tệp không phải là tệp Excel hợp lệ: tệp bị hỏng hoặc không đọc được."


def _rewritten(data: bytes, change) -> bytes:
    """The workbook with each part's bytes passed through ``change(name, bytes)``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, change(info.filename, source.read(info)))
    return out.getvalue()


def _corrupted_sheet(data: bytes) -> bytes:
    """One byte of the sheet's compressed data flipped: the archive's directory reads,
    the sheet does not (a wrong CRC, or a broken deflate stream)."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    damaged = bytearray(data)
    damaged[start + info.compress_size // 2] ^= 0xFF
    return bytes(damaged)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda good: b"PK\x03\x04" + b"\x00garbage" * 100, id="broken-zip"),
        pytest.param(lambda good: good[: len(good) // 2], id="truncated"),
        pytest.param(_corrupted_sheet, id="corrupted-sheet"),
        pytest.param(
            lambda good: _rewritten(
                good, lambda name, part: part[: len(part) // 2] if "worksheets" in name else part
            ),
            id="broken-sheet-xml",
        ),
    ],
)
def test_a_damaged_workbook_is_refused_in_words_and_nothing_saved(app, setting, damage):
    """A broken sheet XML or a corrupted part made openpyxl fail while reading the rows
    (read-only mode reads lazily): a 500, after the file had been accepted."""
    round_, board = setting
    good = _filled(_template(app, round_, board), GOOD_ROWS)
    response = _preview(app, round_, board, damage(good))
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert BROKEN in text
    assert 'name="token"' not in text  # nothing to confirm
    assert _counts() == (0, 0, 0)


def test_a_zip_bomb_named_xlsx_is_refused_before_it_is_unpacked(app, setting, monkeypatch):
    from exam.candidates import imports

    monkeypatch.setattr(imports, "MAX_UNPACKED_BYTES", 1024 * 1024)

    def never(*args, **kwargs):
        raise AssertionError("the workbook must not be opened")

    monkeypatch.setattr(imports, "load_workbook", never)
    round_, board = setting
    good = _filled(_template(app, round_, board), GOOD_ROWS)
    bomb = _rewritten(
        good,
        lambda name, part: (
            part.replace(b"</sheetData>", b" " * 2_000_000 + b"</sheetData>")
            if "worksheets" in name
            else part
        ),
    )
    assert len(bomb) < len(good) + 10_000  # 2 MB more once unpacked
    response = _preview(app, round_, board, bomb)
    assert "Tệp Excel quá lớn khi giải nén (trên 1 MB)." in response.get_data(as_text=True)
    assert _counts() == (0, 0, 0)
