"""What the benchmarks share: a throw-away PostgreSQL cluster, a populated database, the app
under gunicorn, signed-in sessions made without the login page, and latency figures.

Everything runs on this machine (127.0.0.1 only) and stops by itself.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import os
import runpy
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
VENV_BIN = ROOT / ".venv" / "bin"
# A new key for each run: the server runs production settings, which refuse any key written
# in the repository (exam/core/secret_key.py).
SECRET = secrets.token_urlsafe(48)
USER_AGENT = "exam-bench/1.0"


def client_session(connections: int, timeout_seconds: float = 300):
    """The load generator's HTTP client: ``connections`` at most, the signed-in user's cookie
    sent by each request (so no cookie jar), the bench's User-Agent; ``timeout_seconds`` per
    request in all (aiohttp's default: 5 minutes)."""
    import aiohttp

    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections, limit_per_host=connections),
        headers={"User-Agent": USER_AGENT},
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=timeout_seconds),
    )


DATABASES = ("sqlite", "postgresql")


def add_databases_argument(parser) -> None:
    """The databases to measure, both when none is named. Not ``choices=``: Python 3.11's
    argparse checks an empty ``nargs="*"`` list against the choices and refuses it."""

    def database(name: str) -> str:
        if name not in DATABASES:
            raise argparse.ArgumentTypeError(f"{name!r}: choose from {', '.join(DATABASES)}")
        return name

    parser.add_argument("databases", nargs="*", type=database, metavar="{sqlite,postgresql}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def postgres_cluster() -> Iterator[str]:
    """A PostgreSQL cluster on a free local port, removed at the end (as
    scripts/with-postgres.sh does, but with fsync on: durable commits, as in production)."""
    pg_bin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    data = Path(tempfile.mkdtemp(prefix="exam-bench-pg."))
    port = free_port()
    root = os.getuid() == 0
    user = "postgres" if root else os.environ.get("USER", "postgres")

    def as_pg(*args: str) -> None:
        command = ["runuser", "-u", "postgres", "--", *args] if root else list(args)
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    if root:
        shutil.chown(data, "postgres")
    try:
        as_pg(
            str(pg_bin / "initdb"),
            "-D",
            str(data),
            "-U",
            user,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c max_connections=200"
        as_pg(
            str(pg_bin / "pg_ctl"),
            "-D",
            str(data),
            "-w",
            "-l",
            str(data / "log"),
            "-o",
            options,
            "start",
        )
        as_pg(str(pg_bin / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", user, "bench")
        # Through the Unix socket, as an application on the database's machine connects
        # (a TCP round trip on the loopback costs about twice as much).
        yield f"postgresql+psycopg://{user}@/bench?host={data}&port={port}"
    finally:
        with contextlib.suppress(Exception):
            as_pg(str(pg_bin / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(data, ignore_errors=True)


@contextlib.contextmanager
def sqlite_database() -> Iterator[str]:
    folder = Path(tempfile.mkdtemp(prefix="exam-bench-sqlite."))
    try:
        yield f"sqlite:///{folder / 'bench.sqlite3'}"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def make_app(url: str):
    from exam import create_app
    from tests.helpers import config_for_tests

    return create_app(
        config_for_tests(SQLALCHEMY_DATABASE_URI=url, SECRET_KEY=SECRET, WTF_CSRF_ENABLED=True)
    )


@dataclass
class Sitter:
    user_id: int
    attempt_id: int
    items: list[int]
    options: dict[int, list[str]]
    tokens: dict[int, dict[str, str]]  # the page's token of each option (exam.exams.tokens)
    csrf: str = ""
    session: dict[str, Any] = field(default_factory=dict)  # the signed-in session's fields
    serializer: Any = None  # the app's session cookie signer
    minted: tuple[int, str] = (0, "")  # when the cookie was last signed, and the cookie

    @property
    def cookie(self) -> str:
        """The session cookie as the candidate's browser holds it. The server rewrites a
        session's last activity at most once a minute (exam/accounts/sessions.py) and the
        browser keeps the cookie it is sent; one cookie signed at set-up and sent for
        minutes would make every request sign the session again, which no browser does.
        So the cookie is signed again when half that step old."""
        from exam.accounts.sessions import ACTIVITY_STEP_SECONDS

        minted, cookie = self.minted
        if time.time() - minted >= ACTIVITY_STEP_SECONDS / 2:
            cookie = self.renew_cookie()
        return cookie

    def renew_cookie(self) -> str:
        """The session cookie signed now, as the server would send it on a request now."""
        from exam.accounts.sessions import LAST_SEEN

        now = int(time.time())
        cookie = "session=" + self.serializer.dumps(self.session | {LAST_SEEN: now})
        self.minted = (now, cookie)
        return cookie

    def sent(self, item: int, option: str) -> str:
        """An option as the page sends it: its token on this paper."""
        return self.tokens[item][option]


@dataclass
class World:
    url: str
    session_code: str
    starts_at: dt.datetime
    sitters: list[Sitter] = field(default_factory=list)
    setup_seconds: float = 0.0
    papers_seconds: float = 0.0


def build_world(
    url: str, *, candidates: int, questions: int = 60, started: bool, starts_in: dt.timedelta
) -> World:
    """A round with ``candidates`` eligible candidates, a bank of 3× ``questions`` approved
    questions, a test of ``questions`` questions whose papers are made (timed), every
    candidate signed in; papers started when ``started``."""
    import sqlalchemy as sa

    from exam.accounts.models import Role
    from exam.core.db import utcnow
    from exam.exams.definition import create_test
    from exam.exams.models import Attempt, AttemptQuestion
    from exam.exams.papers import generate_papers
    from exam.exams.rendering import prerender_papers
    from exam.exams.sitting import start_attempt
    from exam.exams.tokens import option_token
    from exam.extensions import db
    from exam.rounds.models import RoundStatus
    from tests.factories import Factories

    app = make_app(url)
    began = time.perf_counter()
    with app.app_context():
        db.create_all()
        round_ = Factories.round()
        position = round_.positions[0]
        board = Factories.user(Role.BOARD_ADMIN)
        for _ in range(candidates):
            Factories.application(position)
        bank = Factories.bank(questions * 3)
        now = utcnow().replace(microsecond=0)
        test = create_test(
            round_,
            bank,
            title="Trắc nghiệm kiến thức chung",
            question_count=questions,
            duration_minutes=120,
            starts_at=now + starts_in,
            late_entry_minutes=120,
            actor=board,
        )
        Factories.stage(round_, RoundStatus.TESTING)  # papers are drawn in the testing stage
        db.session.commit()
        papers_began = time.perf_counter()
        generate_papers(test, actor=board, at=now)
        db.session.commit()
        with app.test_request_context():  # as the "make papers" page does
            prerender_papers(test)
        db.session.commit()
        papers_seconds = time.perf_counter() - papers_began
        world = World(url, test.session_code, test.starts_at, papers_seconds=papers_seconds)
        attempts = db.session.scalars(sa.select(Attempt).where(Attempt.test_id == test.id)).all()
        items: dict[int, list[tuple[int, list[str]]]] = {}
        for attempt_id, item_id, order in db.session.execute(
            sa.select(AttemptQuestion.attempt_id, AttemptQuestion.id, AttemptQuestion.option_order)
            .join(Attempt)
            .where(Attempt.test_id == test.id)
            .order_by(AttemptQuestion.id)
        ):
            items.setdefault(attempt_id, []).append((item_id, order))
        for attempt in attempts:
            if started:
                start_attempt(
                    attempt,
                    session_code=test.session_code,
                    at=test.starts_at,
                )
            world.sitters.append(
                Sitter(
                    attempt.application.candidate_id,
                    attempt.id,
                    [i for i, _ in items[attempt.id]],
                    {i: order for i, order in items[attempt.id]},
                    {
                        i: {o: option_token(attempt.token_secret, i, o) for o in order}
                        for i, order in items[attempt.id]
                    },
                )
            )
        db.session.commit()
        serializer = app.session_interface.get_signing_serializer(app)
        for sitter in world.sitters:
            sitter.session, sitter.csrf = signed_in_session(app, sitter.user_id)
            sitter.serializer = serializer
        db.session.remove()
        if db.engine.dialect.name == "sqlite":  # settled, as copy_database leaves PostgreSQL
            with db.engine.connect() as settle:
                settle.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.engine.dispose()
    world.setup_seconds = time.perf_counter() - began
    return world


def copy_database(source_url: str, target_url: str) -> float:
    """Copy every table of a built world (SQLite) into an empty PostgreSQL database, so that
    both databases serve the same papers and the bench stays within minutes. Returns the
    seconds taken."""
    import sqlalchemy as sa

    from exam.extensions import db

    began = time.perf_counter()
    source, target = sa.create_engine(source_url), sa.create_engine(target_url)
    metadata = db.metadata
    metadata.create_all(target)
    with source.connect() as reader, target.begin() as writer:
        for table in metadata.sorted_tables:
            rows = [dict(row._mapping) for row in reader.execute(sa.select(table))]
            for start in range(0, len(rows), 5000):
                writer.execute(table.insert(), rows[start : start + 5000])
        for table in metadata.sorted_tables:  # the sequences follow the copied ids
            if "id" in table.c and isinstance(table.c.id.type, sa.Integer):
                writer.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"COALESCE((SELECT max(id) FROM {table.name}), 0) + 1, false)"
                    )
                )
    # Settled as on exam day, when the papers were made hours before: statistics gathered
    # and dirty pages written out, not autovacuum's analyze and a checkpoint of the copy
    # running during the measurement (seen: a 0.5 s stall of every request mid-storm).
    with target.connect().execution_options(isolation_level="AUTOCOMMIT") as settle:
        settle.exec_driver_sql("VACUUM ANALYZE")
        settle.exec_driver_sql("CHECKPOINT")
    source.dispose()
    target.dispose()
    return time.perf_counter() - began


def stored_answers(url: str) -> dict[int, tuple[int, object]]:
    """Every answer in the database: item -> (seq, response)."""
    import sqlalchemy as sa

    from exam.exams.models import Answer

    answers = Answer.__table__
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        stored = {
            item: (seq, response)
            for item, seq, response in connection.execute(
                sa.select(answers.c.attempt_question_id, answers.c.seq, answers.c.response)
            )
        }
    engine.dispose()
    return stored


def signed_in_session(app, user_id: int) -> tuple[dict[str, Any], str]:
    """A session as the login page would make it, and its CSRF token (called in the app's
    context: the account's session token is read from the database)."""
    from flask_login.utils import _create_identifier
    from itsdangerous import URLSafeTimedSerializer

    from exam.accounts.models import User
    from exam.accounts.sessions import session_fields
    from exam.extensions import db

    raw = hashlib.sha1(os.urandom(32)).hexdigest()
    with app.test_request_context(
        environ_base={"REMOTE_ADDR": "127.0.0.1"}, headers={"User-Agent": USER_AGENT}
    ):
        identifier = _create_identifier()
    data = {
        **session_fields(db.session.get(User, user_id)),
        "_id": identifier,
        "csrf_token": raw,
    }
    token = URLSafeTimedSerializer(SECRET, salt="wtf-csrf-token").dumps(raw)
    return data, token


def signed_in(app, user_id: int) -> tuple[str, str]:
    """A session cookie as the login page would set it, and its CSRF token."""
    data, token = signed_in_session(app, user_id)
    cookie = app.session_interface.get_signing_serializer(app).dumps(data)
    return f"session={cookie}", token


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path


# gunicorn.conf.py (the exam-day settings) unless the environment says otherwise.
THREADS = int(os.environ.get("GUNICORN_THREADS", 1))
WORKER_CLASS = os.environ.get("GUNICORN_WORKER_CLASS", "sync")


def workers_for(database_url: str) -> int:
    """The number of workers gunicorn.conf.py gives for this database."""
    if os.environ.get("GUNICORN_WORKERS"):
        return int(os.environ["GUNICORN_WORKERS"])
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))["default_workers"](database_url)


def server_note() -> str:
    sqlite, postgres = workers_for("sqlite://"), workers_for("postgresql://")
    return (
        f"gunicorn {WORKER_CLASS} workers × {THREADS} thread (gunicorn.conf.py): "
        f"{sqlite} on SQLite, {postgres} on PostgreSQL"
    )


def start_gunicorn(database_url: str) -> Server:
    """The app as on exam days: gunicorn with gunicorn.conf.py, on a free local port."""
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="exam-bench-gunicorn.", suffix=".log")[1])
    env = dict(
        os.environ,
        EXAM_ENV="production",
        SECRET_KEY=SECRET,
        DATABASE_URL=database_url,
        SESSION_COOKIE_SECURE="0",
        RATELIMIT_ENABLED="0",
    )
    process = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "--config",
            str(ROOT / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the crash test kills it whole
    )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + 90  # a loaded machine boots its workers slowly
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(server.url + "/exam-clock", timeout=1) as response:
                if response.status == 200:
                    _wait_until_idle()  # every worker booted and warmed up, not only one
                    return server
        except OSError:
            time.sleep(0.1)
    stop(server)
    raise RuntimeError(f"gunicorn did not start: {log.read_text()[-2000:]}")


def _wait_until_idle(limit: float = 20.0) -> None:
    """On exam day the server has been up for a while when the session starts: wait until
    the machine is idle again (under 20 % busy over half a second), at most ``limit`` s."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = cpu_times()
        time.sleep(0.5)
        if busy_since(before) < 0.2:
            return


def stop(server: Server, *, kill: bool = False) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.process.pid, signal.SIGKILL if kill else signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.process.wait(timeout=20)


def cpu_times() -> tuple[int, int]:
    """(all, idle) jiffies of the whole machine, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields), fields[3] + fields[4]


def busy_since(before: tuple[int, int]) -> float:
    """Share of the machine's CPU time that was busy since ``before`` (cpu_times())."""
    total, idle = cpu_times()
    return 1 - (idle - before[1]) / max(1, total - before[0])


def busy_jiffies_since(before: tuple[int, int]) -> int:
    """The machine's busy CPU time since ``before`` (cpu_times()), in clock ticks."""
    total, idle = cpu_times()
    return (total - before[0]) - (idle - before[1])


def load_note() -> str:
    """The machine's load when a figure was taken (other work on it skews every figure)."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def describe(latencies: list[float]) -> str:
    return (
        f"p50 {percentile(latencies, 50) * 1000:.1f} ms, "
        f"p99 {percentile(latencies, 99) * 1000:.1f} ms, "
        f"max {max(latencies) * 1000:.1f} ms"
        if latencies
        else "no requests"
    )


def mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else float("nan")
