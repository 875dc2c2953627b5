"""Autosave throughput and latency beside the ceiling of the stack, on SQLite and PostgreSQL.

For each database: the app under gunicorn (gunicorn.conf.py, as on exam days), a populated
database (candidates sitting a 60-question test), then from this same machine:
  1. the ceiling: a trivial endpoint of the same app (GET /exam-clock, no database) with
     CONCURRENCY connections;
  2. autosave: POST /attempts/<id>/answers, one answer per request, with the same
     concurrency; two "tabs" per paper share each paper's sequence numbers, and one
     request in ten re-sends an older answer (a late retry), which must not win;
  3. the page's poll: GET /attempts/<id>/state, which the exam page sends every minute to keep
     its clock in step and learn which answers the server holds (and which notes the page's
     last contact, at most once per paper every 30 s);
  1, 2 and 3 take turns, three times each, DURATION seconds in all for each;
  4. the check: every acknowledged answer is read back from the database, and for every
     question the stored answer is the one with the highest acknowledged sequence number.

Prints saves/s and polls/s, p50/p99, the ratios to the ceiling (autosave's target: ≥ 40 % with
p99 < 250 ms) and the number of lost or reordered answers (target 0). Bounded: about a minute
and a half per database.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import random
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
    stored_answers,
)

DURATION = float(os.environ.get("BENCH_SECONDS", 15))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", 32))
CANDIDATES = int(os.environ.get("BENCH_CANDIDATES", 200))
ROUNDS = 3


async def closed_loop(make_request, seconds: float, concurrency: int):
    """``concurrency`` workers sending back-to-back for ``seconds``: (latencies, errors)."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    async with client_session(concurrency) as http:
        end = time.perf_counter() + seconds

        async def worker(n: int) -> None:
            while time.perf_counter() < end:
                began = time.perf_counter()
                try:
                    ok = await make_request(http, n)
                except Exception as error:  # a refused connection, a timeout…
                    ok = type(error).__name__
                if ok is True:
                    latencies.append(time.perf_counter() - began)
                else:
                    errors[str(ok)] = errors.get(str(ok), 0) + 1

        await asyncio.gather(*(worker(n) for n in range(concurrency)))
    return latencies, errors


def run(database: str, url: str, world) -> dict:
    server = start_gunicorn(url)
    try:
        sitters = world.sitters
        rng = random.Random(7)
        next_seq: dict[tuple[int, int], int] = {}
        acked: dict[tuple[int, int], tuple[int, str]] = {}  # (attempt, item) -> (seq, response)
        sent: dict[tuple[int, int], list[tuple[int, str]]] = {}

        async def clock(http, n):
            sitter = sitters[n % len(sitters)]
            async with http.get(server.url + "/exam-clock", headers={"Cookie": sitter.cookie}) as r:
                await r.read()
                return True if r.status == 200 else r.status

        async def save(http, n):
            sitter = sitters[(n // 2) % len(sitters)]  # two tabs per paper
            item = rng.choice(sitter.items)
            key = (sitter.attempt_id, item)
            history = sent.setdefault(key, [])
            if history and rng.random() < 0.1:
                seq, response = rng.choice(history)  # a late retry of an older save
            else:
                seq = next_seq.get(key, 0) + 1
                next_seq[key] = seq
                response = rng.choice(sitter.options[item])
                history.append((seq, response))
            body = json.dumps(
                {"answers": [{"item": item, "response": sitter.sent(item, response), "seq": seq}]}
            )
            async with http.post(
                f"{server.url}/attempts/{sitter.attempt_id}/answers",
                data=body,
                headers={
                    "Cookie": sitter.cookie,
                    "X-CSRFToken": sitter.csrf,
                    "Content-Type": "application/json",
                },
            ) as r:
                payload = await r.read()
                if r.status != 200:
                    return r.status
                [stored] = json.loads(payload)["saved"]
                if seq >= acked.get(key, (0, ""))[0]:
                    acked[key] = (seq, response)
                return True if stored["seq"] >= seq else "seq went back"

        async def poll(http, n):
            sitter = sitters[n % len(sitters)]
            async with http.get(
                f"{server.url}/attempts/{sitter.attempt_id}/state",
                headers={"Cookie": sitter.cookie, "Accept": "application/json"},
            ) as r:
                payload = await r.read()
                if r.status != 200:
                    return r.status
                return True if json.loads(payload)["status"] == "in_progress" else "not open"

        # Interleaved, a third of the time each turn: the load of this shared machine drifts
        # within a minute, and a ratio of two figures taken at different moments drifts too.
        ceiling, saves, polls, ceiling_errors, save_errors, poll_errors = [], [], [], {}, {}, {}
        busy: dict[str, list[float]] = {"ceiling": [], "saves": [], "polls": []}
        for _ in range(ROUNDS):
            for latencies, errors, request, phase in (
                (ceiling, ceiling_errors, clock, "ceiling"),
                (saves, save_errors, save, "saves"),
                (polls, poll_errors, poll, "polls"),
            ):
                before = cpu_times()
                more, failed = asyncio.run(closed_loop(request, DURATION / ROUNDS, CONCURRENCY))
                busy[phase].append(busy_since(before))
                latencies += more
                for kind, count in failed.items():
                    errors[kind] = errors.get(kind, 0) + count
    finally:
        stop(server)

    lost, reordered = check(url, acked)
    return {
        "database": database,
        "setup": world.setup_seconds,
        "papers": world.papers_seconds,
        "candidates": len(world.sitters),
        "ceiling_rps": len(ceiling) / DURATION,
        "ceiling": ceiling,
        "ceiling_errors": ceiling_errors,
        "saves_rps": len(saves) / DURATION,
        "saves": saves,
        "save_errors": save_errors,
        "polls_rps": len(polls) / DURATION,
        "polls": polls,
        "poll_errors": poll_errors,
        "answers": len(acked),
        "busy": {phase: sum(shares) / len(shares) for phase, shares in busy.items()},
        "lost": lost,
        "reordered": reordered,
    }


def check(url: str, acked: dict[tuple[int, int], tuple[int, str]]) -> tuple[int, int]:
    """Read every answer back: missing ones are lost, older ones reordered."""
    stored = stored_answers(url)
    lost = sum(1 for (_, item) in acked if item not in stored)
    reordered = sum(
        1 for (_, item), expected in acked.items() if item in stored and stored[item] != expected
    )
    return lost, reordered


def report(result: dict) -> None:
    print(f"   ({load_note()})")
    ratio = result["saves_rps"] / result["ceiling_rps"] if result["ceiling_rps"] else 0
    p99 = percentile(result["saves"], 99) * 1000
    print(
        f"-- {result['database']}: {result['candidates']} candidates, 60-question papers "
        f"(setup {result['setup']:.0f} s, of which papers {result['papers']:.1f} s)"
    )
    print(
        f"   ceiling  GET /exam-clock        {result['ceiling_rps']:7.0f} req/s  "
        f"{describe(result['ceiling'])}  errors {result['ceiling_errors'] or 0}  "
        f"CPU {result['busy']['ceiling']:.0%} busy"
    )
    print(
        f"   autosave POST …/answers         {result['saves_rps']:7.0f} saves/s "
        f"{describe(result['saves'])}  errors {result['save_errors'] or 0}  "
        f"CPU {result['busy']['saves']:.0%} busy"
    )
    print(
        f"   ratio {ratio:.0%} of the ceiling (target ≥ 40 %), p99 {p99:.0f} ms (target < 250); "
        f"answers checked {result['answers']}: lost {result['lost']}, "
        f"reordered {result['reordered']} (target 0)"
    )
    print(
        f"   state    GET …/state            {result['polls_rps']:7.0f} req/s   "
        f"{describe(result['polls'])}  errors {result['poll_errors'] or 0}  "
        f"CPU {result['busy']['polls']:.0%} busy  "
        f"({result['polls_rps'] / result['ceiling_rps'] if result['ceiling_rps'] else 0:.0%} "
        "of the ceiling)"
    )
    print(f"   capacity at this rate: {result['saves_rps'] * 10:.0f} candidates saving every 10 s")


def main() -> None:
    print(
        f"Autosave benchmark, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} cores, {server_note()}, "
        f"{CONCURRENCY} connections, {DURATION:.0f} s per measurement, "
        f"SQLite synchronous={os.environ.get('SQLITE_SYNCHRONOUS', 'NORMAL')}"
    )
    only = set(sys.argv[1:]) or {"sqlite", "postgresql"}
    with sqlite_database() as sqlite_url, postgres_cluster() as postgres_url:
        world = build_world(
            sqlite_url, candidates=CANDIDATES, started=True, starts_in=dt.timedelta(seconds=1)
        )
        if "postgresql" in only:
            copy_database(sqlite_url, postgres_url)
        if "sqlite" in only:
            report(run("SQLite (WAL)", sqlite_url, world))
        if "postgresql" in only:
            report(run("PostgreSQL", postgres_url, world))


if __name__ == "__main__":
    main()
