"""How long the results PDFs take, and how much memory the long one needs.

    .venv/bin/python bench/results_pdf.py [--rows 10000] [--baseline-rows 1000] [--workers 2]

Prints three figures:

1. the baseline: a plain WeasyPrint render of a 1,000-row results table in one document
   (``templates/pdf/ranking.html``, the table as it was rendered inside the request), measured
   before and after the annex (the annex is compared with their mean);
2. the Council's decision with its 10,000-row annex as the application makes it
   (exam/results/documents.py::decision_pdf: chunks of rows rendered in worker processes,
   joined with pypdf, page numbers stamped), per row against the baseline, with the peak
   memory of the whole process tree (the process and its workers, sampled every 0.1 s);
3. one candidate's result notice (median of 5 renders after a first one).

Each measurement runs in a fresh process, so that none inherits another's memory or caches.
Synthetic candidates, no database. Wall-clock times (the target) need an otherwise idle machine;
the CPU time of all processes is printed too, which a busy machine disturbs less (and which the
worker processes do not reduce: they spread it over the cores).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi"]
GIVEN = ["Văn An", "Thị Bình", "Minh Châu", "Quốc Dũng", "Thu Hà", "Đức Long", "Ngọc Lan"]
UNIT = "Sở Nội vụ tỉnh Quảng Ninh"


def _tree_rss_mb() -> float:
    """Resident memory of this process and its children (the render workers), in MB."""
    pids = [os.getpid()]
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        with contextlib.suppress(OSError):
            pids += [int(p) for p in (task / "children").read_text().split()]
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return total * os.sysconf("SC_PAGE_SIZE") / 2**20


class PeakMemory:
    def __init__(self) -> None:
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_rss_mb())
            self._stop.wait(0.1)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _tree_rss_mb())


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the render workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _app(workers: int):
    from config import TestingConfig
    from exam import create_app

    return create_app({**vars(TestingConfig), "PDF_WORKERS": workers})


def _table(rows: int):
    from exam.candidates.models import Gender
    from exam.results.documents import AnnexRow, ResultsTable
    from exam.results.models import Outcome

    lines = []
    for n in range(1, rows + 1):
        outcome = Outcome.SELECTED if n == 1 else Outcome.NOT_SELECTED
        lines.append(
            AnnexRow(
                row_number=n,
                rank=n,
                full_name=f"{SURNAMES[n % 8]} {GIVEN[n % 7]} {n}",
                date_of_birth=dt.date(1975 + n % 20, 8, 12),
                gender=Gender.MALE if n % 2 else Gender.FEMALE,
                registration_number=f"TS{n:05d}",
                position="Phó Giám đốc Sở Nội vụ",
                unit=UNIT,
                parts=(f"{60 + n % 40},50", f"{55 + n % 45},25"),
                total=f"{58 + n % 40},65",
                outcome=outcome,
                note="",
            )
        )
    return ResultsTable(
        position="Phó Giám đốc Sở Nội vụ",
        round_name="Kỳ thi tuyển lãnh đạo năm 2026",
        part_names=("Thi viết", "Phỏng vấn"),
        rows=tuple(lines),
        undecided_posts=0,
        pending_count=0,
    )


def _frame():
    from exam.core.documents import DocumentFrame, council_signature

    return DocumentFrame(
        parent_body="UBND TỈNH QUẢNG NINH",
        issued_at=dt.date(2026, 3, 5),
        signature=council_signature(signer="Trần Văn Chủ Tịch"),
        recipients=("Như Điều 3", "Lưu: HĐTT"),
        symbol="QĐ-HĐTT",
        number=5,
    )


def measure_baseline(rows: int) -> dict:
    """Today's table (pdf/ranking.html) of ``rows`` candidates, one WeasyPrint document."""
    from exam.core.pdf import render_pdf
    from exam.results.models import Outcome
    from exam.results.queries import RankingDocument, RankingLine

    table = _table(rows)
    lines = tuple(
        RankingLine(
            row_number=r.row_number,
            full_name=r.full_name,
            date_of_birth=r.date_of_birth,
            gender=r.gender,
            registration_number=r.registration_number,
            test_percent=Decimal("78.50"),
            panel_score=Decimal("81.25"),
            rank=r.rank,
            outcome=Outcome.NOT_SELECTED,
            note="",
        )
        for r in table.rows
    )
    data = RankingDocument(
        document=_frame(),
        position=table.position,
        round_name=table.round_name,
        rows=lines,
        undecided_posts=0,
        pending_count=0,
        audit_anchor=None,
    )
    with _app(1).test_request_context(), PeakMemory() as memory:
        start, cpu = time.perf_counter(), _cpu_seconds()
        pdf = render_pdf("pdf/ranking.html", ranking=data)
        seconds, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
    return {"seconds": seconds, "cpu": cpu, "bytes": len(pdf), "peak_mb": memory.peak}


def measure_annex(rows: int, workers: int) -> dict:
    from pypdf import PdfReader

    from exam.results.documents import decision_pdf

    table = _table(rows)
    with _app(workers).test_request_context(), PeakMemory() as memory:
        start, cpu = time.perf_counter(), _cpu_seconds()
        pdf = decision_pdf(table, _frame(), decision=None, posts=1, verification=None)
        seconds, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
    import io

    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    return {
        "seconds": seconds,
        "cpu": cpu,
        "bytes": len(pdf),
        "pages": pages,
        "peak_mb": memory.peak,
    }


def measure_notice() -> dict:
    from exam.accounts.models import User
    from exam.candidates.models import Application, Gender
    from exam.results.documents import render_result_notice
    from exam.results.models import Outcome, Ranking, RankingRow
    from exam.rounds.models import Position, Round

    round_ = Round(name="Kỳ thi tuyển lãnh đạo năm 2026", parent_body="UBND TỈNH QUẢNG NINH")
    position = Position(title="Phó Giám đốc", unit_name="Sở Nội vụ", posts=1, round=round_)
    application = Application(
        candidate=User(full_name="Nguyễn Thị Hồng Nhung"),
        registration_number="TS00001",
        date_of_birth=dt.date(1980, 3, 5),
        gender=Gender.FEMALE,
        current_unit=UNIT,
    )
    row = RankingRow(
        ranking=Ranking(position=position),
        application=application,
        rank=1,
        row_number=1,
        total=Decimal("90.33"),
        outcome=Outcome.SELECTED,
        note="",
        explanation="Tổng điểm = thi viết × 70 % + phỏng vấn × 30 %.",
        part_scores=[
            {
                "kind": "written_test",
                "name": "Thi viết",
                "score": "91.00",
                "gate": 50,
                "weight": 70,
            },
            {"kind": "interview", "name": "Phỏng vấn", "score": "88.75", "gate": 50, "weight": 30},
        ],
    )
    deadline = dt.date(2026, 3, 12)
    with _app(1).test_request_context():
        render_result_notice(row, verification=None, appeal_deadline=deadline)  # fonts loaded
        times = []
        for _ in range(5):
            start = time.perf_counter()
            render_result_notice(row, verification=None, appeal_deadline=deadline)
            times.append(time.perf_counter() - start)
    return {"seconds": statistics.median(times)}


def _in_fresh_process(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--measure", *args], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--baseline-rows", type=int, default=1_000)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--measure", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        kind, *rest = args.measure
        if kind == "baseline":
            result = measure_baseline(int(rest[0]))
        elif kind == "annex":
            result = measure_annex(int(rest[0]), int(rest[1]))
        else:
            result = measure_notice()
        print(json.dumps(result))
        return

    # The baseline is measured before and after the annex, and the annex compared with the
    # mean of the two: a machine whose load changes during the run then favours neither.
    loads = [os.getloadavg()[0]]
    before = _in_fresh_process("baseline", str(args.baseline_rows))
    loads.append(os.getloadavg()[0])
    annex = _in_fresh_process("annex", str(args.rows), str(args.workers))
    loads.append(os.getloadavg()[0])
    after = _in_fresh_process("baseline", str(args.baseline_rows))
    loads.append(os.getloadavg()[0])
    for label, base in (("before", before), ("after", after)):
        print(
            f"baseline  plain WeasyPrint, {args.baseline_rows:>6,} rows ({label} the annex): "
            f"{base['seconds']:6.1f} s ({1000 * base['seconds'] / args.baseline_rows:.2f} ms/row; "
            f"CPU {1000 * base['cpu'] / args.baseline_rows:.2f} ms/row), "
            f"peak {base['peak_mb']:.0f} MB"
        )
    base_ms = 1000 * (before["seconds"] + after["seconds"]) / 2 / args.baseline_rows
    base_cpu_ms = 1000 * (before["cpu"] + after["cpu"]) / 2 / args.baseline_rows
    annex_ms = 1000 * annex["seconds"] / args.rows
    annex_cpu_ms = 1000 * annex["cpu"] / args.rows
    print(
        f"annex     decision + annex,     {args.rows:>6,} rows: {annex['seconds']:6.1f} s "
        f"({annex_ms:.2f} ms/row, {base_ms / annex_ms:.1f}x faster per row than the baseline's "
        f"mean; CPU of all processes {annex_cpu_ms:.2f} ms/row, "
        f"{base_cpu_ms / annex_cpu_ms:.1f}x), "
        f"{annex['pages']} pages, {annex['bytes'] / 2**20:.1f} MB, "
        f"peak {annex['peak_mb']:.0f} MB with {args.workers} worker(s)"
    )
    notice = _in_fresh_process("notice")
    print(f"notice    one candidate's notice:           {notice['seconds']:6.3f} s (median of 5)")
    loads.append(os.getloadavg()[0])
    print("load average (1 min) at each step: " + ", ".join(f"{load:.2f}" for load in loads))


if __name__ == "__main__":
    main()
