"""Autosave and the start storm on the local cluster (scripts/cluster.sh: PostgreSQL with fsync
on, Redis, two gunicorn nodes with production settings, an RQ worker, nginx in front), side by
side: straight to node A, through nginx to node A alone, through nginx to both nodes; then
node B killed mid-load.

1. The world (candidates sitting a 60-question test) is built on SQLite and copied into the
   cluster's database; the autosave candidates' papers are started through node A.
2. A second nginx, the cluster's own configuration with node B taken out of the upstream,
   serves "nginx → node A"; the cluster's nginx serves "nginx → A + B".
3. Autosave (bench/autosave.py's requests: the ceiling GET /exam-clock, saves, the page's poll;
   with wrk as well with `--client both`, the default) on each of the three, in turns, each
   with its ratio to the same path's ceiling; then the cost of the proxy (nginx → node A
   against node A), and how the requests through nginx were shared between the nodes.
4. The start storm (bench/start_storm.py's: Start, then the 60-question paper) on each of the
   three, each with its own candidates arriving evenly over the window.
5. SIGKILL to node B's master and workers while saves and polls run through nginx: nginx
   sends what node B held (polls, and saves: idempotent by their seq, docs/deployment.md)
   again to node A and marks B down. Target: no request answered with an error status; an
   answer node B was sending when it died arrives cut, and the client sends that save again
   until acknowledged, as the exam page does. No failure in the last half after the kill.
6. The checks: every acknowledged answer in the database and none older than acknowledged
   (all of 3 and 5), every storm candidate answered, every storm paper started exactly once.
   Exit status 1 when one fails.

On two cores two nodes are not faster than one (both share the same cores): the point is
correctness and the proxy's cost. Bounded: about seven minutes with the defaults.
  python bench/cluster.py [--candidates 200] [--storm-candidates 2000] [--storm-seconds 10]
                          [--seconds 15] [--kill-seconds 15] [--workers N] [--client both]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime as dt
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import autosave
import start_storm
from support import harness, wrk
from support.harness import (
    ROOT,
    busy_since,
    client_session,
    copy_database,
    cpu_times,
    describe,
    load_note,
    percentile,
    sqlite_database,
    workers_for,
)

ROUNDS = autosave.ROUNDS


@contextlib.contextmanager
def cluster(workers: int) -> Iterator[dict[str, str]]:
    """scripts/cluster.sh in a folder of its own (durable PostgreSQL, ``workers`` per node),
    stopped and removed at the end; yields its cluster.env."""
    folder = Path(tempfile.gettempdir()) / f"exam-bench-cluster-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "CLUSTER_DIR": str(folder),
        "CLUSTER_WORKERS": str(workers),
        "CLUSTER_DURABLE": "1",
    }
    script = str(ROOT / "scripts" / "cluster.sh")
    try:
        started = subprocess.run(
            [script, "start"], env=env, capture_output=True, text=True, timeout=300
        )
        if started.returncode != 0:
            raise SystemExit(f"the cluster did not start:\n{started.stdout}{started.stderr}")
        yield dict(
            line.split("=", 1)
            for line in (folder / "cluster.env").read_text().splitlines()
            if "=" in line
        )
    finally:
        subprocess.run([script, "stop"], env=env, capture_output=True, timeout=120)


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as response:
            if response.status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


@contextlib.contextmanager
def nginx_to_node_a(settings: dict[str, str]) -> Iterator[str]:
    """A second nginx with the cluster's own configuration, node B taken out of the upstream,
    on a port of its own; yields its URL."""
    folder = Path(settings["CLUSTER_DIR"])
    own = folder / "nginx-one"
    own.mkdir()
    port = harness.free_port()
    node_b = settings["NODE_B_URL"].rsplit(":", 1)[1]
    web = settings["NGINX_URL"].rsplit(":", 1)[1]
    site, removed = re.subn(
        rf"server 127\.0\.0\.1:{node_b} [^;]*;", "", (folder / "nginx" / "exam.conf").read_text()
    )
    listen = f"listen 127.0.0.1:{web};"
    if not removed or listen not in site:  # (the comment naming the fields is filled too)
        raise RuntimeError("the cluster's nginx site is not as scripts/cluster.sh writes it")
    (own / "exam.conf").write_text(site.replace(listen, f"listen 127.0.0.1:{port};"))
    main = (folder / "nginx" / "nginx.conf").read_text()
    main = main.replace(f"{folder}/nginx.pid", f"{own}/nginx.pid")
    (own / "nginx.conf").write_text(main.replace(f"{folder}/nginx/", f"{own}/"))
    subprocess.run(
        ["/usr/sbin/nginx", "-p", str(own), "-c", str(own / "nginx.conf"), "-e", "stderr"],
        check=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(url + "/exam-clock")
        yield url
    finally:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError, ValueError):
            os.kill(int((own / "nginx.pid").read_text()), signal.SIGTERM)


def access_counts(settings: dict[str, str]) -> tuple[int, int]:
    """Requests each node has logged so far (gunicorn's access logs of the cluster)."""
    folder = Path(settings["CLUSTER_DIR"])
    counts = []
    for name in ("node-a", "node-b"):
        log = folder / f"{name}.access.log"
        counts.append(log.read_bytes().count(b"\n") if log.exists() else 0)
    return counts[0], counts[1]


@dataclasses.dataclass
class Route:
    """One way to the app: its name, its URL, what was measured through it."""

    name: str
    url: str
    phases: dict = dataclasses.field(default_factory=dict)
    storm: dict | None = None
    storm_ok: bool = True
    storm_line: str = ""
    storm_busy: float = 0.0
    served: tuple[int, int] = (0, 0)


def measure_autosave(paths: list[Route], traffic, runner, settings, seconds: float) -> None:
    """ROUNDS turns; in each, every path in turn: the Python client's ceiling, saves and
    polls, then wrk's ceiling and saves."""
    for _ in range(ROUNDS):
        for path in paths:
            before = access_counts(settings)
            traffic.url = path.url
            autosave.measure_python(traffic, path.phases, seconds / ROUNDS)
            if runner:
                runner.url = path.url
                autosave.measure_wrk(runner, path.phases, seconds / ROUNDS)
            after = access_counts(settings)
            path.served = (
                path.served[0] + after[0] - before[0],
                path.served[1] + after[1] - before[1],
            )


async def kill_mid_load(
    url: str, traffic, node_b_pid: int, seconds: float, kill_at: float, connections: int
) -> dict:
    """Saves (three requests in four) and polls through nginx for ``seconds``; node B's
    processes killed with SIGKILL at ``kill_at``. A save without an answer is sent again,
    unchanged, until acknowledged (as the exam page does). Events are timed from the kill."""
    events: list[tuple[float, str, str]] = []  # (time from the kill, request, "ok" or error)
    killed = {"at": float("inf")}
    traffic.url = url
    async with client_session(connections, timeout_seconds=30) as http:
        began = time.perf_counter()
        end = began + seconds

        async def killer() -> None:
            await asyncio.sleep(kill_at)
            group = os.getpgid(node_b_pid)
            if group == os.getpgrp():
                raise RuntimeError("node B shares the bench's process group")
            os.killpg(group, signal.SIGKILL)
            killed["at"] = time.perf_counter()

        async def worker(n: int) -> None:
            pending = None
            count = 0
            while time.perf_counter() < end:
                count += 1
                kind = "poll" if count % 4 == 0 and pending is None else "save"
                try:
                    if kind == "poll":
                        ok = await traffic.poll(http, n)
                    else:
                        pending = pending or traffic.next_save(n)
                        ok = await traffic.send_save(http, *pending)
                        if ok is True:
                            pending = None
                except Exception as error:  # a reset connection, a timeout…
                    ok = type(error).__name__
                    await asyncio.sleep(0.05)  # the page waits before it tries again
                events.append((time.perf_counter(), kind, "ok" if ok is True else str(ok)))

        await asyncio.gather(killer(), *(worker(n) for n in range(connections)))
    at = killed["at"]
    return {
        "events": [(t - at, kind, outcome) for t, kind, outcome in events],
        "before": at - began,
        "after": end - at,
    }


def report_kill(result: dict, served_by_b: int) -> bool:
    """Print what the kill did; False when a request was answered with an error status or
    node A did not keep answering alone."""
    events, before, after = result["events"], result["before"], result["after"]

    def count(kind: str, outcome_ok: bool, since: float, until: float) -> int:
        return sum(
            1
            for t, k, outcome in events
            if k == kind and (outcome == "ok") == outcome_ok and since <= t < until
        )

    failures: dict[str, int] = {}
    for _, kind, outcome in events:
        if outcome != "ok":
            failures[f"{kind} {outcome}"] = failures.get(f"{kind} {outcome}", 0) + 1
    failed_at = [t for t, _, outcome in events if outcome != "ok"]
    saves_before = count("save", True, -before, 0)
    saves_after = count("save", True, 0, after)
    late = sum(1 for t in failed_at if t >= after / 2)
    # An error status (nginx's 502) would be a request node B held and nginx did not pass on;
    # a cut answer is one node B had begun to send when it died (nginx cannot send it again
    # once its headers are passed on): the client sends that save again, as the page does.
    # (a cut answer is an exception of the client, named by its class; an answer is a status)
    statuses = sum(n for k, n in failures.items() if not k.split(" ", 1)[1].isidentifier())
    ok = saves_after > 0 and late == 0 and served_by_b > 0 and statuses == 0
    print(
        f"-- node B killed (SIGKILL to its master and workers) after {before:.1f} s of saves "
        f"and polls through nginx (A + B), {after:.1f} s more after it"
    )
    print(
        f"   before the kill: {saves_before / before:.0f} saves/s acknowledged, "
        f"{count('poll', True, -before, 0) / before:.0f} polls/s; node B answered "
        f"{served_by_b} requests before it died"
    )
    print(
        f"   after the kill:  {saves_after / after:.0f} saves/s acknowledged, "
        f"{count('poll', True, 0, after) / after:.0f} polls/s"
    )
    window = (
        f"from {min(failed_at):+.2f} s to {max(failed_at):+.2f} s of the kill"
        if failed_at
        else "none"
    )
    print(
        f"   failed requests {failures or 0} ({window}); answered with an error: "
        f"{statuses} (target 0: nginx sends the saves and polls node B held to node A); the "
        f"others are answers cut by the kill, each save sent again until acknowledged; "
        f"failures in the last half after the kill: {late}{'' if ok else '  FAILED'}"
    )
    return ok


def print_autosave(paths: list[Route], client: str) -> bool:
    """The table of autosave by path; False when a request failed."""
    ok = True
    print(
        f"autosave, {autosave.CONCURRENCY} connections, {ROUNDS} turns "
        f"(ratio target ≥ 40 %, p99 < 250 ms):"
    )
    header = f"   {'path':<18}{'ceiling':>9}{'saves':>9}{'ratio':>7}{'save p99':>10}{'polls':>8}"
    if client != "python":
        header += f"{'wrk ceiling':>13}{'wrk saves':>11}{'ratio':>7}{'p99':>8}"
    print(header + "   (requests/s)")
    for path in paths:
        phases = path.phases
        line = f"   {path.name:<18}"
        if "saves" in phases:
            ratio, _ = autosave.ratio_line(phases)
            line += (
                f"{phases['ceiling'].rate:9.0f}{phases['saves'].rate:9.0f}{ratio:7.0%}"
                f"{phases['saves'].p99_ms():8.0f}ms{phases['polls'].rate:8.0f}"
            )
        if "wrk saves" in phases:
            ratio, _ = autosave.ratio_line(phases, "wrk ")
            line += (
                f"{phases['wrk ceiling'].rate:13.0f}{phases['wrk saves'].rate:11.0f}"
                f"{ratio:7.0%}{phases['wrk saves'].p99_ms():6.0f}ms"
            )
        print(line)
        errors = {
            f"{name}: {kind}": n for name, p in phases.items() for kind, n in p.errors.items()
        }
        if errors:
            ok = False
            print(f"   {'':<18}errors {errors}  FAILED")
    direct, one = paths[0].phases, paths[1].phases
    for prefix, client_name in (("", "Python client"), ("wrk ", "wrk")):
        if prefix + "ceiling" in direct:
            ceiling = one[prefix + "ceiling"].rate / direct[prefix + "ceiling"].rate
            saves = one[prefix + "saves"].rate / direct[prefix + "saves"].rate
            print(
                f"   the proxy's cost ({client_name}): through nginx, the ceiling {ceiling:.0%} "
                f"and the saves {saves:.0%} of node A's own"
            )
    a, b = paths[2].served
    print(
        f"   nginx → A + B: node A served {a / max(1, a + b):.0%}, node B {b / max(1, a + b):.0%}"
    )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--candidates", type=int, default=autosave.CANDIDATES)
    parser.add_argument("--storm-candidates", type=int, default=start_storm.CANDIDATES)
    parser.add_argument("--storm-seconds", type=float, default=start_storm.WINDOW)
    parser.add_argument("--seconds", type=float, default=autosave.DURATION)
    parser.add_argument("--kill-seconds", type=float, default=15.0)
    parser.add_argument(
        "--workers",
        type=int,
        default=workers_for("postgresql://"),
        help="gunicorn workers per node (gunicorn.conf.py's number for one server by default)",
    )
    parser.add_argument("--client", choices=["python", "wrk", "both"], default="both")
    arguments = parser.parse_args()
    if arguments.client != "python":
        wrk.require()
    needed = 2 * autosave.CONCURRENCY if arguments.client != "python" else autosave.CONCURRENCY
    if arguments.candidates < needed:
        raise SystemExit(f"--candidates must be at least {needed}")
    storms = 3
    total = arguments.candidates + storms * arguments.storm_candidates
    print(
        f"Cluster benchmark, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} "
        f"cores, scripts/cluster.sh: PostgreSQL (fsync on), Redis, 2 nodes × "
        f"{arguments.workers} gunicorn sync workers, nginx; {arguments.candidates} candidates "
        f"saving, {arguments.storm_candidates} per storm; {arguments.seconds:.0f} s per "
        f"measurement; client {arguments.client}"
    )
    failed = False
    with sqlite_database() as sqlite_url, cluster(arguments.workers) as settings:
        harness.SECRET = Path(settings["SECRET_KEY_FILE"]).read_text().strip()
        world = harness.build_world(
            sqlite_url, candidates=total, started=False, starts_in=dt.timedelta(seconds=1)
        )
        copied = copy_database(sqlite_url, settings["DATABASE_URL"])
        print(
            f"{total} candidates' papers made in {world.papers_seconds:.0f} s (setup "
            f"{world.setup_seconds:.0f} s), copied into the cluster's database in {copied:.0f} s"
        )
        savers = dataclasses.replace(world, sitters=world.sitters[: arguments.candidates])
        opened = asyncio.run(start_storm.storm(settings["NODE_A_URL"], savers, window=2.0))
        if len(opened["totals"]) != arguments.candidates:
            raise SystemExit(f"the savers' papers did not all start: {opened['failures']}")

        with nginx_to_node_a(settings) as one_node_url:
            paths = [
                Route("node A direct", settings["NODE_A_URL"]),
                Route("nginx → node A", one_node_url),
                Route("nginx → A + B", settings["NGINX_URL"]),
            ]
            traffic = autosave.Traffic(savers.sitters, paths[0].url)
            runner = (
                wrk.Runner(
                    paths[0].url, savers.sitters[autosave.CONCURRENCY :], autosave.CONCURRENCY
                )
                if arguments.client != "python"
                else None
            )
            try:
                measure_autosave(paths, traffic, runner, settings, arguments.seconds)
            finally:
                if runner:
                    runner.close()
            print(f"   ({load_note()})")
            failed |= not print_autosave(paths, arguments.client)

            print(
                f"start storm, {arguments.storm_candidates} candidates a path arriving evenly "
                f"over {arguments.storm_seconds:.0f} s (target p99 < 1 s):"
            )
            for n, path in enumerate(paths):
                begin = arguments.candidates + n * arguments.storm_candidates
                crowd = dataclasses.replace(
                    world, sitters=world.sitters[begin : begin + arguments.storm_candidates]
                )
                harness._wait_until_idle(limit=10)
                before = cpu_times()
                result = asyncio.run(
                    start_storm.storm(path.url, crowd, window=arguments.storm_seconds)
                )
                busy = busy_since(before)
                ok, line = start_storm.storm_ok(result, settings["DATABASE_URL"], crowd)
                failed |= not ok
                p99 = percentile(result["totals"], 99)
                print(
                    f"   {path.name:<18}answered {len(result['totals'])}/{len(crowd.sitters)}, "
                    f"failures {result['failures'] or 0}, done after {result['elapsed']:.1f} s, "
                    f"CPU {busy:.0%} busy"
                )
                print(
                    f"   {'':<18}start + paper {describe(result['totals'])} "
                    f"({'met' if p99 < 1 else 'NOT met'}); {line}"
                )

        node_b_pid = int((Path(settings["CLUSTER_DIR"]) / "node-b.pid").read_text())
        before_kill = access_counts(settings)
        result = asyncio.run(
            kill_mid_load(
                settings["NGINX_URL"],
                traffic,
                node_b_pid,
                arguments.kill_seconds,
                arguments.kill_seconds / 3,
                autosave.CONCURRENCY,
            )
        )
        served_by_b = access_counts(settings)[1] - before_kill[1]
        failed |= not report_kill(result, served_by_b)

        acked, sent = dict(traffic.acked), dict(traffic.sent)
        if runner:
            acked.update(runner.acked)
            sent.update(runner.sent)
        lost, reordered = autosave.check(settings["DATABASE_URL"], acked, sent)
        failed |= bool(lost or reordered)
        print(
            f"answers acknowledged (all paths, wrk's and the kill's included) checked in the "
            f"database: {len(acked)} questions, lost {lost}, older than acknowledged "
            f"{reordered} (target 0)  ({load_note()})"
        )
    if failed:
        sys.exit("FAILED (see above)")


if __name__ == "__main__":
    main()
