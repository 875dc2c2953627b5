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
  4. with `--client wrk` or `both` (the default): 1 and 2 again, sent by wrk (a load generator
     in C, bench/support/autosave.lua), which spends far less of the two cores per request
     than the Python client and so flatters the ratio less; its saves are real ones (each of
     its candidates its own session, CSRF token and paper, one request in ten a late retry);
  1 to 4 take turns, three times each, DURATION seconds in all for each;
  5. the check: every acknowledged answer is read back from the database, and for every
     question the stored answer is the one with the highest acknowledged sequence number (or
     a later one the client sent).

Prints saves/s and polls/s, p50/p99, the ratios to the ceiling (autosave's target: ≥ 40 % with
p99 < 250 ms), by each client, and the number of lost or reordered answers (target 0; the
script exits with status 1 otherwise). Bounded: about two minutes per database.
  python bench/autosave.py [sqlite] [postgresql] [--client python|wrk|both]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import wrk
from support.harness import (
    add_databases_argument,
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


class Traffic:
    """The requests of the bench against ``url`` (which may change between measurements:
    bench/cluster.py sends them to a node, then through nginx), and what the server
    acknowledged. Saves go to the first CONCURRENCY / 2 papers, two tabs each."""

    def __init__(self, sitters: list, url: str) -> None:
        self.sitters, self.url = sitters, url
        self.rng = random.Random(7)
        self.next_seq: dict[tuple[int, int], int] = {}
        # (attempt, item) -> (seq, response) acknowledged, and every (seq, response) sent.
        self.acked: dict[tuple[int, int], tuple[int, str]] = {}
        self.sent: dict[tuple[int, int], dict[int, str]] = {}
        self.history: dict[tuple[int, int], list[tuple[int, str]]] = {}

    async def clock(self, http, n: int):
        sitter = self.sitters[n % len(self.sitters)]
        async with http.get(self.url + "/exam-clock", headers={"Cookie": sitter.cookie}) as r:
            await r.read()
            return True if r.status == 200 else r.status

    def next_save(self, n: int) -> tuple:
        """The next save of connection ``n``: (sitter, item, seq, response)."""
        sitter = self.sitters[(n // 2) % len(self.sitters)]  # two tabs per paper
        item = self.rng.choice(sitter.items)
        key = (sitter.attempt_id, item)
        history = self.history.setdefault(key, [])
        if history and self.rng.random() < 0.1:
            seq, response = self.rng.choice(history)  # a late retry of an older save
        else:
            seq = self.next_seq.get(key, 0) + 1
            self.next_seq[key] = seq
            response = self.rng.choice(sitter.options[item])
            history.append((seq, response))
            self.sent.setdefault(key, {})[seq] = response
        return sitter, item, seq, response

    async def send_save(self, http, sitter, item: int, seq: int, response: str):
        body = json.dumps(
            {"answers": [{"item": item, "response": sitter.sent(item, response), "seq": seq}]}
        )
        async with http.post(
            f"{self.url}/attempts/{sitter.attempt_id}/answers",
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
            key = (sitter.attempt_id, item)
            if seq >= self.acked.get(key, (0, ""))[0]:
                self.acked[key] = (seq, response)
            return True if stored["seq"] >= seq else "seq went back"

    async def save(self, http, n: int):
        return await self.send_save(http, *self.next_save(n))

    async def poll(self, http, n: int):
        sitter = self.sitters[n % len(self.sitters)]
        async with http.get(
            f"{self.url}/attempts/{sitter.attempt_id}/state",
            headers={"Cookie": sitter.cookie, "Accept": "application/json"},
        ) as r:
            payload = await r.read()
            if r.status != 200:
                return r.status
            return True if json.loads(payload)["status"] == "in_progress" else "not open"


class Phase:
    """One kind of request measured in turns: latencies, errors, CPU busy share, seconds."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.busy: list[float] = []
        self.seconds = 0.0
        self.count = 0  # answered requests (wrk gives a count, not every latency)
        self.p50 = self.p99 = self.max = float("nan")  # wrk's own figures, when it sent them

    def add(self, latencies: list[float], errors: dict, busy: float, seconds: float) -> None:
        self.latencies += latencies
        self.count += len(latencies)
        for kind, count in errors.items():
            self.errors[kind] = self.errors.get(kind, 0) + count
        self.busy.append(busy)
        self.seconds += seconds

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    @property
    def cpu(self) -> float:
        return sum(self.busy) / len(self.busy) if self.busy else float("nan")

    def describe(self) -> str:
        if self.latencies:
            return describe(self.latencies)
        return (
            f"p50 {self.p50 * 1000:.1f} ms, p99 {self.p99 * 1000:.1f} ms, "
            f"max {self.max * 1000:.1f} ms (wrk's, worst turn)"
        )

    def p99_ms(self) -> float:
        return (percentile(self.latencies, 99) if self.latencies else self.p99) * 1000


def measure_python(traffic: Traffic, phases: dict[str, Phase], seconds: float) -> None:
    """One turn of the Python client: ceiling, saves, polls, ``seconds`` each."""
    for name, request in (
        ("ceiling", traffic.clock),
        ("saves", traffic.save),
        ("polls", traffic.poll),
    ):
        before = cpu_times()
        latencies, errors = asyncio.run(closed_loop(request, seconds, CONCURRENCY))
        phases.setdefault(name, Phase()).add(latencies, errors, busy_since(before), seconds)


def measure_wrk(runner: wrk.Runner, phases: dict[str, Phase], seconds: float) -> None:
    """One turn of wrk: ceiling, then saves, ``seconds`` each."""
    for name, mode in (("wrk ceiling", "clock"), ("wrk saves", "save")):
        before = cpu_times()
        result = runner.run(mode, seconds)
        phase = phases.setdefault(name, Phase())
        phase.add([], result.errors, busy_since(before), result.seconds)
        phase.count += result.answered
        # wrk's percentiles of a turn; the worst turn's kept (turns are equally long).
        phase.p50 = result.p50 if phase.p50 != phase.p50 else max(phase.p50, result.p50)
        phase.p99 = result.p99 if phase.p99 != phase.p99 else max(phase.p99, result.p99)
        phase.max = result.max if phase.max != phase.max else max(phase.max, result.max)


def run(database: str, url: str, world, client: str) -> dict:
    server = start_gunicorn(url)
    # The Python client saves to the first CONCURRENCY / 2 papers; wrk to the next ones.
    traffic = Traffic(world.sitters, server.url)
    runner = (
        wrk.Runner(server.url, world.sitters[CONCURRENCY:], CONCURRENCY)
        if client != "python"
        else None
    )
    phases: dict[str, Phase] = {}
    try:
        # Interleaved, a share of the time each turn: the load of this shared machine drifts
        # within a minute, and a ratio of two figures taken at different moments drifts too.
        for _ in range(ROUNDS):
            if client != "wrk":
                measure_python(traffic, phases, DURATION / ROUNDS)
            if runner:
                measure_wrk(runner, phases, DURATION / ROUNDS)
    finally:
        stop(server)
        if runner:
            runner.close()

    acked, sent = dict(traffic.acked), dict(traffic.sent)
    if runner:
        acked.update(runner.acked)
        sent.update(runner.sent)
    lost, reordered = check(url, acked, sent)
    return {
        "database": database,
        "setup": world.setup_seconds,
        "papers": world.papers_seconds,
        "candidates": len(world.sitters),
        "phases": phases,
        "answers": len(acked),
        "lost": lost,
        "reordered": reordered,
    }


def check(
    url: str,
    acked: dict[tuple[int, int], tuple[int, str]],
    sent: dict[tuple[int, int], dict[int, str]],
) -> tuple[int, int]:
    """Read every answer back: missing ones are lost; one older than acknowledged, or not
    what the client sent with that sequence number, reordered. (A later one than
    acknowledged is right: a save sent, whose answer the client did not get.)"""
    stored = stored_answers(url)
    lost = sum(1 for (_, item) in acked if item not in stored)
    reordered = 0
    for (attempt, item), (seq, _) in acked.items():
        if item not in stored:
            continue
        stored_seq, response = stored[item]
        if stored_seq < seq or sent.get((attempt, item), {}).get(stored_seq) != response:
            reordered += 1
            if reordered <= 3:  # a few, to see what went wrong
                print(
                    f"   question {item} of paper {attempt}: acknowledged seq {seq} "
                    f"({acked[(attempt, item)][1]!r}), stored seq {stored_seq} ({response!r}), "
                    f"sent under it {sent.get((attempt, item), {}).get(stored_seq)!r}"
                )
    return lost, reordered


def ratio_line(phases: dict[str, Phase], prefix: str = "") -> tuple[float, str]:
    ceiling, saves = phases[prefix + "ceiling"], phases[prefix + "saves"]
    ratio = saves.rate / ceiling.rate if ceiling.rate else 0.0
    return ratio, f"{ratio:.0%} of the ceiling, p99 {saves.p99_ms():.0f} ms"


def report(result: dict) -> None:
    phases: dict[str, Phase] = result["phases"]
    print(f"   ({load_note()})")
    print(
        f"-- {result['database']}: {result['candidates']} candidates, 60-question papers "
        f"(setup {result['setup']:.0f} s, of which papers {result['papers']:.1f} s)"
    )
    rows = (
        ("ceiling", "ceiling  GET /exam-clock        ", "req/s  "),
        ("saves", "autosave POST …/answers         ", "saves/s"),
        ("polls", "state    GET …/state            ", "req/s  "),
        ("wrk ceiling", "wrk ceiling GET /exam-clock     ", "req/s  "),
        ("wrk saves", "wrk autosave POST …/answers     ", "saves/s"),
    )
    for name, label, unit in rows:
        if name in phases:
            phase = phases[name]
            print(
                f"   {label}{phase.rate:7.0f} {unit} {phase.describe()}  "
                f"errors {phase.errors or 0}  CPU {phase.cpu:.0%} busy"
            )
    ratios = []
    if "saves" in phases:
        ratios.append("Python client " + ratio_line(phases)[1])
    if "wrk saves" in phases:
        ratios.append("wrk " + ratio_line(phases, "wrk ")[1])
    print(
        f"   ratio (target ≥ 40 %, p99 < 250 ms): {'; '.join(ratios)}; "
        f"answers checked {result['answers']}: lost {result['lost']}, "
        f"reordered {result['reordered']} (target 0)"
    )
    if "polls" in phases:
        polls = phases["polls"]
        ceiling = phases["ceiling"].rate
        print(f"   the poll: {polls.rate / ceiling if ceiling else 0:.0%} of the ceiling")
    saves = phases.get("saves") or phases["wrk saves"]
    print(f"   capacity at this rate: {saves.rate * 10:.0f} candidates saving every 10 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_databases_argument(parser)
    parser.add_argument(
        "--client",
        choices=["python", "wrk", "both"],
        default="both",
        help="the load generator: Python (aiohttp), wrk with bench/support/autosave.lua, or both",
    )
    arguments = parser.parse_args()
    if arguments.client != "python":
        wrk.require()
    print(
        f"Autosave benchmark, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} cores, {server_note()}, "
        f"{CONCURRENCY} connections, {DURATION:.0f} s per measurement, "
        f"SQLite synchronous={os.environ.get('SQLITE_SYNCHRONOUS', 'NORMAL')}, "
        f"client {arguments.client}"
    )
    only = set(arguments.databases) or {"sqlite", "postgresql"}
    failed = False
    with sqlite_database() as sqlite_url, postgres_cluster() as postgres_url:
        world = build_world(
            sqlite_url, candidates=CANDIDATES, started=True, starts_in=dt.timedelta(seconds=1)
        )
        if "postgresql" in only:
            copy_database(sqlite_url, postgres_url)
        for name, database, url in (
            ("sqlite", "SQLite (WAL)", sqlite_url),
            ("postgresql", "PostgreSQL", postgres_url),
        ):
            if name in only:
                result = run(database, url, world, arguments.client)
                report(result)
                failed |= bool(result["lost"] or result["reordered"])
    if failed:
        sys.exit("FAILED: acknowledged answers lost or reordered")


if __name__ == "__main__":
    main()
