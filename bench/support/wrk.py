"""wrk (a load generator in C, the Debian package wrk) sending the autosave bench's requests:
bench/support/autosave.lua makes them, this module hands it the candidates and reads back what
the server acknowledged. wrk costs far less CPU per request than the Python client, which on
the same two cores takes a fixed share of them per request and so flatters the ratio."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

SCRIPT = Path(__file__).with_name("autosave.lua")
THREADS = 1  # one thread drives all connections (epoll); a second only takes a core's share


def require() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: make bench-deps (or apt-get install wrk)")


@dataclass
class Result:
    seconds: float
    answered: int  # 2xx responses
    errors: dict[str, int]
    p50: float
    p99: float
    max: float
    acked: dict[int, int] = field(default_factory=dict)  # item -> highest acknowledged seq
    tokens: dict[int, str] = field(default_factory=dict)  # item -> token sent under it


class Runner:
    """wrk against ``url`` with ``connections`` connections, each of the first
    ``connections`` sitters its own candidate; the sequence numbers of each run start above
    the previous run's, and what the server acknowledged accumulates in ``acked`` and
    ``sent`` as bench/autosave.py::Traffic keeps them."""

    def __init__(self, url: str, sitters: list, connections: int) -> None:
        require()
        self.url, self.connections = url, connections
        self.sitters = sitters[:connections]
        if len(self.sitters) < connections:
            raise SystemExit(f"wrk needs {connections} more candidates than the Python client")
        self.folder = Path(tempfile.mkdtemp(prefix="exam-bench-wrk."))
        self.data = self.folder / "candidates.tsv"
        self.by_item = {item: s for s in self.sitters for item in s.items}
        self.runs = 0
        self.acked: dict[tuple[int, int], tuple[int, str]] = {}
        self.sent: dict[tuple[int, int], dict[int, str]] = {}

    def run(self, mode: str, seconds: float) -> Result:
        from exam.accounts.sessions import ACTIVITY_STEP_SECONDS

        # The cookies are signed as the run starts; the server signs a session again once
        # its last activity is ACTIVITY_STEP_SECONDS old (Sitter.cookie).
        if seconds >= ACTIVITY_STEP_SECONDS - 5:
            raise SystemExit(
                f"a wrk run must be shorter than {ACTIVITY_STEP_SECONDS - 5} s (see Runner)"
            )
        self.runs += 1
        self._write_candidates()
        out = self.folder / f"out-{self.runs}.txt"
        seqbase = self.runs * 1_000_000
        command = [
            "wrk",
            f"-t{THREADS}",
            f"-c{self.connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "30s",
            "-s",
            str(SCRIPT),
            self.url,
            "--",
            mode,
            str(self.data),
            str(seqbase),
            str(THREADS),
        ]
        completed = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            env={**os.environ, "EXAM_WRK_OUT": str(out)},
        )
        if completed.returncode != 0 or not out.exists():
            raise RuntimeError(f"wrk failed: {completed.stdout}{completed.stderr}")
        lines = out.read_text().splitlines()
        fields = [int(v) for v in lines[0].split()[1:]]
        duration, answered, refused, connect, read, write, timeout, p50, p99, top, _ = fields
        errors = {
            kind: count
            for kind, count in (
                ("status ≠ 200", refused),
                ("connect", connect),
                ("read", read),
                ("write", write),
                ("timeout", timeout),
            )
            if count
        }
        result = Result(duration / 1e6, answered, errors, p50 / 1e6, p99 / 1e6, top / 1e6)
        for line in lines[1:]:
            kind, item_text, seq_text, token = line.split(" ")
            item, seq = int(item_text), int(seq_text)
            sitter = self.by_item[item]
            option = {t: o for o, t in sitter.tokens[item].items()}.get(token, "?")
            key = (sitter.attempt_id, item)
            self.sent.setdefault(key, {})[seq] = option
            if kind == "A" and seq >= self.acked.get(key, (0, ""))[0]:
                self.acked[key] = (seq, option)
        return result

    def _write_candidates(self) -> None:
        """The candidates for this run, each with a session cookie signed now. wrk sends it
        unchanged for the whole run, where a browser would keep the one the server sends
        each minute (``Sitter.cookie``): so a run lasts less than that minute."""
        self.data.write_text(
            "".join(
                f"{s.attempt_id}\t{s.renew_cookie()}\t{s.csrf}\t"
                + ";".join(f"{item}={','.join(s.tokens[item].values())}" for item in s.items)
                + "\n"
                for s in self.sitters
            )
        )

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
