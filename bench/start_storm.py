"""The start storm: 2,000 candidates open their paper within the same 10 seconds.

For each database (SQLite in WAL mode, then PostgreSQL): 2,000 eligible candidates, each with
a 60-question paper made beforehand, all signed in; at the session's start each one, at a
moment spread evenly over 10 seconds, enters the session code (POST …/start) and loads the
paper it is sent to (GET /attempts/<id>, the 60 questions). Prints how many were answered,
the latencies of each step and of the whole (p50/p99, target p99 < 1 s), and checks in the
database that every paper started. Bounded: about a minute and a half per database.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support.harness import (
    build_world,
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


async def storm(server_url: str, world) -> dict:
    starts: list[float] = []
    papers: list[float] = []
    totals: list[float] = []
    failures: dict[str, int] = {}
    async with client_session(1000, timeout_seconds=60) as http:
        began = time.perf_counter()

        async def candidate(n: int) -> None:
            sitter = world.sitters[n]
            await asyncio.sleep(
                max(0.0, began + n * WINDOW / len(world.sitters) - time.perf_counter())
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


def started_count(url: str, world) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as connection:
        count = connection.execute(
            sa.text("SELECT count(*) FROM attempts WHERE status = 'in_progress'")
        ).scalar_one()
    engine.dispose()
    return count


def run(database: str, url: str, world) -> None:
    server = start_gunicorn(url)
    try:
        time.sleep(max(0.0, (world.starts_at - dt.datetime.now(dt.UTC)).total_seconds()))
        before = cpu_times()
        result = asyncio.run(storm(server.url, world))
        busy = busy_since(before)
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
    print(
        f"   papers started in the database: {started_count(url, world)}; CPU busy {busy:.0%} "
        f"during the storm ({load_note()})"
    )


def main() -> None:
    print(
        f"Start storm, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
        f"{server_note()}"
    )
    only = set(sys.argv[1:]) or {"sqlite", "postgresql"}
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
            run("SQLite (WAL)", sqlite_url, world)
        if "postgresql" in only:
            run("PostgreSQL", postgres_url, world)


if __name__ == "__main__":
    main()
