"""The start storm: 2,000 candidates open their paper within the same 10 seconds.

For each database (SQLite in WAL mode, then PostgreSQL): 2,000 eligible candidates, each with
a 60-question paper made beforehand, all signed in; at the session's start each one, at a
moment spread evenly over 10 seconds, enters the session code (POST …/start) and loads the
paper it is sent to (GET /attempts/<id>, the 60 questions). Prints how many were answered,
the latencies of each step and of the whole (p50/p99, target p99 < 1 s), and checks in the
database that every paper started, exactly once (one Start entry in the audit trail, sealed or
pending); exits with status 1 when a candidate went unanswered or a paper did not start once.
Bounded: about a minute and a half per database.

Larger storms: `python bench/start_storm.py --candidates 8000 --seconds 20` (a city's
recruitment round; the papers then take a few minutes to make). `sqlite` or `postgresql` as
arguments run one database only.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support.harness import (
    add_databases_argument,
    build_world,
    busy_jiffies_since,
    busy_since,
    client_session,
    copy_database,
    cpu_times,
    describe,
    load_note,
    percentile,
    postgres_cluster,
    server_note,
    sqlite_database,
    start_gunicorn,
    stop,
)

CANDIDATES = int(os.environ.get("BENCH_STORM_CANDIDATES", 2000))
WINDOW = float(os.environ.get("BENCH_STORM_SECONDS", 10))
QUESTIONS = 60


async def storm(server_url: str, world, window: float | None = None) -> dict:
    window = WINDOW if window is None else window
    starts: list[float] = []
    papers: list[float] = []
    totals: list[float] = []
    failures: dict[str, int] = {}
    async with client_session(1000, timeout_seconds=60) as http:
        began = time.perf_counter()

        async def candidate(n: int) -> None:
            sitter = world.sitters[n]
            await asyncio.sleep(
                max(0.0, began + n * window / len(world.sitters) - time.perf_counter())
            )
            t0 = time.perf_counter()
            try:
                async with http.post(
                    f"{server_url}/attempts/{sitter.attempt_id}/start",
                    data={"csrf_token": sitter.csrf, "session_code": world.session_code},
                    headers={"Cookie": sitter.cookie},
                    allow_redirects=False,
                ) as r:
                    await r.read()
                    if r.status != 302:
                        failures[f"start {r.status}"] = failures.get(f"start {r.status}", 0) + 1
                        return
                t1 = time.perf_counter()
                async with http.get(
                    f"{server_url}/attempts/{sitter.attempt_id}", headers={"Cookie": sitter.cookie}
                ) as r:
                    body = await r.text()
                    if r.status != 200 or body.count('class="question"') != QUESTIONS:
                        failures[f"paper {r.status}"] = failures.get(f"paper {r.status}", 0) + 1
                        return
                t2 = time.perf_counter()
            except Exception as error:
                failures[type(error).__name__] = failures.get(type(error).__name__, 0) + 1
                return
            starts.append(t1 - t0)
            papers.append(t2 - t1)
            totals.append(t2 - t0)

        await asyncio.gather(*(candidate(n) for n in range(len(world.sitters))))
        elapsed = time.perf_counter() - began
    return {
        "starts": starts,
        "papers": papers,
        "totals": totals,
        "failures": failures,
        "elapsed": elapsed,
    }


def started_papers(url: str, attempt_ids: list[int]) -> tuple[int, int, int]:
    """Of these papers: how many are in progress, how many have exactly one Start entry in
    the audit trail (sealed or pending), how many more than one."""
    import sqlalchemy as sa

    from exam.audit.models import AuditEntry, PendingAuditEntry
    from exam.exams.models import Attempt

    wanted = set(attempt_ids)
    entries: Counter[int] = Counter()
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        statuses = dict(connection.execute(sa.select(Attempt.id, Attempt.status)).all())
        for table in (AuditEntry.__table__, PendingAuditEntry.__table__):
            for (object_id,) in connection.execute(
                sa.select(table.c.object_id).where(table.c.action == "attempt.start")
            ):
                entries[int(object_id)] += 1
    engine.dispose()
    started = sum(1 for a in wanted if statuses.get(a) == "in_progress")
    once = sum(1 for a in wanted if entries[a] == 1)
    twice = sum(1 for a in wanted if entries[a] > 1)
    return started, once, twice


def storm_ok(result: dict, url: str, world) -> tuple[bool, str]:
    """Every candidate answered, every paper started exactly once: (ok, the line saying so)."""
    ids = [s.attempt_id for s in world.sitters]
    started, once, twice = started_papers(url, ids)
    answered = len(result["totals"])
    ok = answered == started == once == len(ids) and not twice
    return ok, (
        f"papers started in the database {started}/{len(ids)}, with one Start entry {once} "
        f"(more than one: {twice}){'' if ok else '  FAILED'}"
    )


def run(database: str, url: str, world) -> bool:
    server = start_gunicorn(url)
    try:
        time.sleep(max(0.0, (world.starts_at - dt.datetime.now(dt.UTC)).total_seconds()))
        before, client_before = cpu_times(), time.process_time()
        result = asyncio.run(storm(server.url, world))
        busy = busy_since(before)
        client_ms = (time.process_time() - client_before) * 1000 / len(world.sitters)
        busy_ms = busy_jiffies_since(before) * 1000 / os.sysconf("SC_CLK_TCK") / len(world.sitters)
    finally:
        stop(server)
    answered = len(result["totals"])
    print(
        f"-- {database}: arrivals over {WINDOW:.0f} s, all done after {result['elapsed']:.1f} s; "
        f"answered {answered}/{len(world.sitters)}, failures {result['failures'] or 0}"
    )
    print(f"   POST start (session code)   {describe(result['starts'])}")
    print(f"   GET paper (60 questions)    {describe(result['papers'])}")
    p99 = percentile(result["totals"], 99)
    print(
        f"   start + paper               {describe(result['totals'])}  "
        f"(target p99 < 1 s: {'met' if p99 < 1 else 'NOT met'})"
    )
    ok, line = storm_ok(result, url, world)
    print(f"   {line}; CPU busy {busy:.0%} during the storm ({load_note()})")
    print(
        f"   CPU per candidate (start + paper): {busy_ms - client_ms:.1f} ms for the server and "
        f"its database, {client_ms:.1f} ms for this load generator"
    )
    return ok


def main() -> None:
    global CANDIDATES, WINDOW
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_databases_argument(parser)
    parser.add_argument("--candidates", type=int, default=CANDIDATES)
    parser.add_argument("--seconds", type=float, default=WINDOW, help="the arrivals' window")
    arguments = parser.parse_args()
    CANDIDATES, WINDOW = arguments.candidates, arguments.seconds
    print(
        f"Start storm, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
        f"{server_note()}"
    )
    only = set(arguments.databases) or {"sqlite", "postgresql"}
    failed = False
    with sqlite_database() as sqlite_url, postgres_cluster() as postgres_url:
        world = build_world(
            sqlite_url,
            candidates=CANDIDATES,
            questions=QUESTIONS,
            started=False,
            starts_in=dt.timedelta(seconds=20),
        )
        print(
            f"{len(world.sitters)} candidates, {QUESTIONS}-question papers made and rendered "
            f"beforehand in {world.papers_seconds:.1f} s (whole setup {world.setup_seconds:.0f} s)"
        )
        if "postgresql" in only:
            print(f"copied to PostgreSQL in {copy_database(sqlite_url, postgres_url):.0f} s")
        if "sqlite" in only:
            failed |= not run("SQLite (WAL)", sqlite_url, world)
        if "postgresql" in only:
            failed |= not run("PostgreSQL", postgres_url, world)
    if failed:
        sys.exit("FAILED: a candidate went unanswered or a paper did not start exactly once")


if __name__ == "__main__":
    main()
