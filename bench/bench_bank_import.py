"""How long a 5,000-question GIFT file takes to parse and import into a fresh bank.

    .venv/bin/python bench/bench_bank_import.py [--questions 5000] [--database URL]

Generates the file (single choice, multiple response, true/false, short answer, numerical,
matching and essay questions, Vietnamese text, nested categories, tags, escapes), then
times: parsing, the dry-run check against the bank (``plan_import``), and the import in one
transaction (``run_import``: bulk inserts, a category/tag/key cache, one audit entry for the
whole file naming every key), then the commit. Prints the figures; a fresh SQLite file is
used unless ``--database`` names another (empty) database.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TOPICS = ["Luật Cán bộ, công chức", "Luật Viên chức", "Cải cách hành chính", "Văn bản hành chính"]


def gift_question(n: int) -> str:
    topic = TOPICS[n % len(TOPICS)]
    head = f"// [id:B{n:05d}] [tag:bench] [tag:chu-de-{n % 7}]\n::Câu {n}::"
    kind = n % 7
    if kind == 0:
        body = (
            f"Theo {topic}, điều nào đúng (câu {n})? "
            f"{{=Đáp án đúng {n} ~Sai một ~Sai hai ~Sai \\{{ba\\}}}}"
        )
    elif kind == 1:
        body = f"Chọn các ý đúng về {topic} ({n}): {{~%50%Ý một ~%50%Ý hai ~%-100%Ý sai}}"
    elif kind == 2:
        body = f"{topic} có hiệu lực từ năm 2010 (câu {n}). {{T}}"
    elif kind == 3:
        body = f"Viết tắt của Ủy ban nhân dân (câu {n})? {{=UBND =%50%UB}}"
    elif kind == 4:
        body = f"Thời gian tập sự tối đa (tháng), câu {n}? {{#12:0}}"
    elif kind == 5:
        body = (
            f"Ghép cơ quan với thẩm quyền (câu {n}). "
            "{=Quốc hội -> lập pháp =Chính phủ -> hành pháp =Tòa án -> tư pháp}"
        )
    else:
        body = f"Trình bày vai trò của {topic} (câu {n})? {{}}"
    return f"{head}{body}\n"


def make_file(count: int) -> bytes:
    parts = []
    for n in range(1, count + 1):
        if n % 250 == 1:
            parts.append(f"$CATEGORY: $course$/top/{TOPICS[(n // 250) % 4]}/Phần {n // 250 + 1}\n")
        parts.append(gift_question(n))
    return "\n".join(parts).encode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=5000)
    parser.add_argument("--database", default="")
    args = parser.parse_args()

    from config import TestingConfig
    from exam import create_app
    from exam.accounts.models import Role
    from exam.accounts.operations import create_user
    from exam.extensions import db
    from exam.question_bank.formats import parse
    from exam.question_bank.imports import plan_import, run_import
    from exam.question_bank.operations import create_bank

    folder = tempfile.mkdtemp(prefix="bench-bank-")
    url = args.database or f"sqlite:///{folder}/bench.sqlite3"
    config = {k: getattr(TestingConfig, k) for k in dir(TestingConfig) if k.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=folder)
    app = create_app(config)
    data = make_file(args.questions)
    print(f"GIFT file: {args.questions} questions, {len(data) / 1024:.0f} KiB")
    with app.app_context():
        db.create_all()
        author = create_user(
            "bench@example.test",
            "Người Soạn",
            "bench-password-1",
            {Role.QUESTION_AUTHOR},
            actor=None,
        )
        bank = create_bank("Ngân hàng đo tốc độ", "", actor=author)
        db.session.commit()

        started = time.perf_counter()
        parsed = parse(data, "gift")
        parse_seconds = time.perf_counter() - started

        started = time.perf_counter()
        plan = plan_import(bank, data, "gift", "bench.gift")
        plan_seconds = time.perf_counter() - started
        assert plan.ok, plan.problems[:5]

        started = time.perf_counter()
        created = run_import(bank, plan, actor=author)
        import_seconds = time.perf_counter() - started
        started = time.perf_counter()
        db.session.commit()
        commit_seconds = time.perf_counter() - started
        assert len(created) == len(parsed) == args.questions

    print(f"parse only:                  {parse_seconds:6.2f} s")
    print(f"dry run (parse + check):     {plan_seconds:6.2f} s")
    print(f"import (bulk insert, audit): {import_seconds:6.2f} s")
    print(f"commit:                      {commit_seconds:6.2f} s")
    total = plan_seconds + import_seconds + commit_seconds
    print(
        f"total, upload to saved:      {total:6.2f} s  ({args.questions / total:.0f} questions/s)"
    )


if __name__ == "__main__":
    main()
