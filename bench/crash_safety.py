"""Crash safety: the server is killed (SIGKILL, master and workers) in the middle of the
test while candidates are saving; once restarted, every answer it had acknowledged is there.

For each database: candidates save answers without pause; after a few seconds the whole
gunicorn process group is killed with SIGKILL (no clean shutdown, requests in flight cut
off); a new server starts on the same database; the saves go on for a moment; then every
acknowledged save is checked in the database: the stored answer of each question has at
least the acknowledged sequence number, and the very answer when the numbers are equal.
Bounded: about half a minute per database.
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
    client_session,
    copy_database,
    load_note,
    postgres_cluster,
    sqlite_database,
    start_gunicorn,
    stop,
    stored_answers,
)

CANDIDATES = 40
CONCURRENCY = 24


async def save_until(server_url: str, world, acked: dict, seqs: dict, stop_at: float) -> dict:
    """Save without pause until ``stop_at`` (or until the server dies): counts by outcome."""
    outcome = {"acknowledged": 0, "cut off": 0}
    rng = random.Random(11)
    async with client_session(CONCURRENCY, timeout_seconds=5) as http:

        async def worker(n: int) -> None:
            sitter = world.sitters[n % len(world.sitters)]
            while time.perf_counter() < stop_at:
                item = rng.choice(sitter.items)
                seq = seqs.get(item, 0) + 1
                seqs[item] = seq
                response = rng.choice(sitter.options[item])
                body = json.dumps(
                    {
                        "answers": [
                            {"item": item, "response": sitter.sent(item, response), "seq": seq}
                        ]
                    }
                )
                try:
                    async with http.post(
                        f"{server_url}/attempts/{sitter.attempt_id}/answers",
                        data=body,
                        headers={
                            "Cookie": sitter.cookie,
                            "X-CSRFToken": sitter.csrf,
                            "Content-Type": "application/json",
                        },
                    ) as r:
                        await r.read()
                        if r.status == 200:
                            outcome["acknowledged"] += 1
                            if seq > acked.get(item, (0, None))[0]:
                                acked[item] = (seq, response)
                        else:
                            outcome["cut off"] += 1
                except Exception:
                    outcome["cut off"] += 1
                    await asyncio.sleep(0.05)

        await asyncio.gather(*(worker(n) for n in range(CONCURRENCY)))
    return outcome


def check(url: str, acked: dict) -> tuple[int, int]:
    stored = stored_answers(url)
    missing = sum(1 for item in acked if item not in stored)
    wrong = sum(
        1
        for item, (seq, response) in acked.items()
        if item in stored
        and (stored[item][0] < seq or (stored[item][0] == seq and stored[item][1] != response))
    )
    return missing, wrong


def run(database: str, url: str, world) -> bool:
    acked: dict = {}
    seqs: dict = {}
    server = start_gunicorn(url)
    killer_at = time.perf_counter() + 4

    async def until_killed() -> dict:
        saving = asyncio.create_task(save_until(server.url, world, acked, seqs, killer_at + 1))
        await asyncio.sleep(max(0.0, killer_at - time.perf_counter()))
        stop(server, kill=True)  # SIGKILL to the whole process group, mid-request
        return await saving

    before = asyncio.run(until_killed())
    killed_with = len(acked)
    lost_in_kill = check(url, dict(acked))  # read straight after the kill, server down
    restarted = start_gunicorn(url)
    try:
        after = asyncio.run(save_until(restarted.url, world, acked, seqs, time.perf_counter() + 3))
    finally:
        stop(restarted)
    missing, wrong = check(url, acked)
    print(
        f"-- {database}: {before['acknowledged']} saves acknowledged, then SIGKILL "
        f"({before['cut off']} requests cut off or refused while down); "
        f"after the restart {after['acknowledged']} more acknowledged"
    )
    print(
        f"   right after the kill, {killed_with} questions acknowledged: missing "
        f"{lost_in_kill[0]}, older than acknowledged {lost_in_kill[1]} (target 0)"
    )
    print(f"   at the end, {len(acked)} questions: missing {missing}, older {wrong} (target 0)")
    print(f"   ({load_note()})")
    return missing == wrong == lost_in_kill[0] == lost_in_kill[1] == 0


def main() -> None:
    print(f"Crash safety, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores")
    only = set(sys.argv[1:]) or {"sqlite", "postgresql"}
    ok = True
    with sqlite_database() as sqlite_url, postgres_cluster() as postgres_url:
        world = build_world(
            sqlite_url, candidates=CANDIDATES, started=True, starts_in=dt.timedelta(seconds=1)
        )
        if "postgresql" in only:
            copy_database(sqlite_url, postgres_url)
        if "sqlite" in only:
            ok &= run("SQLite (WAL)", sqlite_url, world)
        if "postgresql" in only:
            ok &= run("PostgreSQL", postgres_url, world)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
