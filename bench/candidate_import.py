"""How long the Excel import of paper dossiers takes, for 2,000 and 8,000 candidates.

    .venv/bin/python bench/candidate_import.py [--rows 2000 8000] [--database URL]

Generates the round's template filled with N valid rows (new candidates, Vietnamese names,
consistent CCCD numbers), then times: reading and checking the file (the preview), the
import in one transaction (accounts without a password hash, dossiers, notices, audit
entries) and the commit. A fresh SQLite file per size unless ``--database`` names another
(empty) database. Prints rows/s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi"]
GIVEN = ["Văn An", "Thị Bình", "Minh Châu", "Quốc Dũng", "Thu Hà", "Đức Long", "Ngọc Lan"]


def filled_workbook(template: bytes, count: int, today: dt.date) -> bytes:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(template))
    sheet = book["Thí sinh"]
    headers = [str(c.value).rstrip(" *") for c in sheet[1]]
    year = today.year
    for n in range(count):
        male = n % 2 == 0
        born = 1975 + n % 20
        row = {
            "Họ và tên": f"{SURNAMES[n % 8]} {GIVEN[n % 7]} {n}",
            "Email": f"thisinh{n}@ungvien.example",
            "Số CCCD": f"001{0 if male else 1}{born % 100:02d}{n:06d}",
            "Ngày sinh": f"12/08/{born}",
            "Giới tính": "Nam" if male else "Nữ",
            "Số điện thoại": "0987 654 321",
            "Mã vị trí dự tuyển": "VT1",
            "Cơ quan, đơn vị đang công tác": "Trường Trung học cơ sở Thử Nghiệm",
            "Chức vụ hiện tại": "Tổ trưởng chuyên môn",
            "Giữ chức vụ từ ngày": "01/07/2019",
            "Trình độ chuyên môn": "Đại học",
            "Chuyên ngành": "Sư phạm Toán",
            "Lý luận chính trị": "Trung cấp",
            "Quản lý nhà nước": "Chuyên viên",
            "Bồi dưỡng lãnh đạo, quản lý": "Có",
            "Ngạch, hạng": "Hạng III",
            f"Xếp loại năm {year - 1}": "Tốt",
            f"Xếp loại năm {year - 2}": "Tốt",
            f"Xếp loại năm {year - 3}": "Xuất sắc",
            "Kỷ luật": "Không bị kỷ luật",
            "Ngày nhận hồ sơ": today.strftime("%d/%m/%Y"),
        }
        for column, header in enumerate(headers, start=1):
            value = row.get(header)
            if value is not None:
                sheet.cell(row=n + 2, column=column, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def measure(count: int, database: str) -> None:
    from config import TestingConfig
    from exam import create_app
    from exam.accounts.models import Role
    from exam.accounts.operations import create_user
    from exam.candidates import imports
    from exam.candidates.paper_dossiers import import_candidates
    from exam.core.db import utcnow
    from exam.core.i18n import to_local
    from exam.extensions import db
    from exam.rounds.operations import add_position, advance_round, create_round

    folder = tempfile.mkdtemp(prefix="bench-candidates-")
    url = database or f"sqlite:///{folder}/bench.sqlite3"
    config = {k: getattr(TestingConfig, k) for k in dir(TestingConfig) if k.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=folder, PASSWORD_HASH_CHEAP=False)
    app = create_app(config)
    with app.app_context():
        db.create_all()
        now = utcnow()
        board = create_user(
            "hoidong@bench.example", "Hội Đồng", "mat-khau-bench-1", set(), actor=None
        )
        board.role_grants.clear()
        from exam.accounts.operations import grant_role

        grant_role(board, Role.BOARD_ADMIN, actor=board)
        round_ = create_round(
            name="Kỳ tuyển dụng đo tốc độ",
            organisation="Sở Giáo dục và Đào tạo",
            registration_opens_at=now - dt.timedelta(days=10),
            registration_closes_at=now + dt.timedelta(days=20),
            actor=board,
        )
        add_position(
            round_, title="Giáo viên", unit_name="Trường", posts=50, standards="", actor=board
        )
        advance_round(round_, actor=board)
        db.session.commit()
        data = filled_workbook(imports.template_workbook(round_), count, to_local(now).date())

        started = time.perf_counter()
        result = imports.read_import(round_, data)
        read_seconds = time.perf_counter() - started
        assert not result.problems, result.problems[:5]
        started = time.perf_counter()
        import_candidates(round_, result.rows, actor=board, at=utcnow(), dry_run=True)
        check_seconds = time.perf_counter() - started
        db.session.rollback()

        started = time.perf_counter()
        created = import_candidates(round_, result.rows, actor=board, at=utcnow())
        import_seconds = time.perf_counter() - started
        started = time.perf_counter()
        db.session.commit()
        commit_seconds = time.perf_counter() - started
        assert len(created) == count

    total = import_seconds + commit_seconds
    print(f"{count} rows, file {len(data) / 1024:.0f} KiB")
    print(f"  read the file:                {read_seconds:6.2f} s")
    print(f"  check against the database:   {check_seconds:6.2f} s")
    print(f"  import (checks again, write): {import_seconds:6.2f} s")
    print(f"  commit:                       {commit_seconds:6.2f} s")
    print(f"  import + commit:              {total:6.2f} s  ({count / total:.0f} rows/s)")
    whole = read_seconds + total
    print(f"  the background job in all:    {whole:6.2f} s  ({count / whole:.0f} rows/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[2000, 8000])
    parser.add_argument("--database", default="")
    args = parser.parse_args()
    for count in args.rows:
        measure(count, args.database)


if __name__ == "__main__":
    main()
