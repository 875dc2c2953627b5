"""The local cluster (scripts/cluster.sh, `make cluster`): PostgreSQL, Redis, two gunicorn
nodes with production settings, an RQ worker and nginx in front, on loopback. What several
nodes must share, checked through each node's own port and through nginx: a candidate's
answer saved on one node is read on the other, the sign-in limit is counted once for all
nodes (Redis), a job started on one node runs on the worker, its file uploaded through the
other node (shared storage), and nginx compresses pages. A node killed mid-request: nginx
sends the saves it held to the other node (idempotent), never another POST.

`make test` installs the Debian packages it needs (system-deps WITH_TEST_DEPS=1): when one is
missing the test fails saying which, it is never skipped."""

from __future__ import annotations

import contextlib
import gzip
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

import pytest
from redis import Redis
from rq.job import Job as RQJob
from rq.results import Result

from tests.candidates.test_import import _filled
from tests.candidates.test_import_jobs import _rows

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]
USER_AGENT = "exam-bench/1.0"  # the signed-in sessions of world.py are made for it
START_SECONDS = 180


def _missing_packages() -> list[str]:
    missing = []
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        missing.append("postgresql")
    if not shutil.which("redis-server"):
        missing.append("redis-server")
    if not Path("/usr/sbin/nginx").exists():
        missing.append("nginx")
    return missing


@pytest.fixture(scope="module")
def cluster() -> Iterator[dict[str, str]]:
    missing = _missing_packages()
    assert not missing, (
        f"the cluster test needs {', '.join(missing)}: make system-deps WITH_TEST_DEPS=1"
    )
    # Not under pytest's own temporary folder (private to this user: the PostgreSQL server
    # runs as postgres when the tests run as root); cluster.sh makes it and removes it.
    folder = Path(tempfile.gettempdir()) / f"exam-cluster-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "CLUSTER_DIR": str(folder), "CLUSTER_WORKERS": "1"}
    env.pop("TEST_DATABASE_URL", None)
    started = subprocess.run(
        [str(ROOT / "scripts" / "cluster.sh"), "start"],
        env=env,
        capture_output=True,
        text=True,
        timeout=START_SECONDS,
    )
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        settings = dict(
            line.split("=", 1)
            for line in (folder / "cluster.env").read_text().splitlines()
            if "=" in line
        )
        yield settings
    finally:
        subprocess.run([str(ROOT / "scripts" / "cluster.sh"), "stop"], env=env, capture_output=True)


@pytest.fixture(scope="module")
def world(cluster) -> dict:
    made = subprocess.run(
        [sys.executable, "-m", "tests.cluster.world"],
        cwd=ROOT,
        env={**os.environ, **cluster},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    return json.loads(made.stdout.strip().splitlines()[-1])


def _request(url: str, *, cookie: str = "", data: bytes | None = None, headers=None):
    """(status, headers, body) of one request, redirects not followed."""
    request = urllib.request.Request(
        url,
        data=data,
        headers={
            "User-Agent": USER_AGENT,
            **({"Cookie": cookie} if cookie else {}),
            **(headers or {}),
        },
    )
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _save(base: str, world: dict, seq: int) -> int:
    body = json.dumps(
        {"answers": [{"item": world["item"], "response": world["option"], "seq": seq}]}
    ).encode()
    status, _, payload = _request(
        f"{base}/attempts/{world['attempt']}/answers",
        cookie=world["cookie"],
        data=body,
        headers={"Content-Type": "application/json", "X-CSRFToken": world["csrf"]},
    )
    assert status == 200, payload[:500]
    return json.loads(payload)["saved"][0]["seq"]


def _held_seq(base: str, world: dict) -> int:
    status, _, payload = _request(
        f"{base}/attempts/{world['attempt']}/state", cookie=world["cookie"]
    )
    assert status == 200, payload[:500]
    return json.loads(payload)["answers"][str(world["item"])]


def test_an_answer_saved_through_one_node_is_read_through_the_other(cluster, world):
    a, b, nginx = cluster["NODE_A_URL"], cluster["NODE_B_URL"], cluster["NGINX_URL"]
    assert _save(a, world, 1001) == 1001
    assert _held_seq(b, world) == 1001
    assert _save(nginx, world, 1002) == 1002  # through the proxy, to either node
    assert _held_seq(a, world) == 1002
    assert _held_seq(b, world) == 1002
    assert _held_seq(nginx, world) == 1002


def _login_attempt(base: str, opener, csrf: str) -> int:
    data = urllib.parse.urlencode(
        {"csrf_token": csrf, "email": "ai-do@cluster.example", "password": "sai-mat-khau-1"}
    ).encode()
    request = urllib.request.Request(f"{base}/login", data=data, headers={"User-Agent": USER_AGENT})
    try:
        with opener.open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_sign_in_limit_is_counted_once_for_every_node(cluster):
    a, b, nginx = cluster["NODE_A_URL"], cluster["NODE_B_URL"], cluster["NGINX_URL"]
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    page = opener.open(urllib.request.Request(f"{a}/login", headers={"User-Agent": USER_AGENT}))
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.read().decode())[1]
    # LOGIN_RATE_LIMIT: 10 a minute per account and address. Five wrong passwords on each
    # node, then node B, node A and nginx all refuse: each node alone has seen only five.
    statuses = [_login_attempt(node, opener, csrf) for node in (a, b) for _ in range(5)]
    assert 429 not in statuses, statuses
    assert _login_attempt(b, opener, csrf) == 429
    assert _login_attempt(a, opener, csrf) == 429
    assert _login_attempt(nginx, opener, csrf) == 429


def _multipart(field: str, name: str, data: bytes, fields: dict[str, str]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def test_an_import_started_on_one_node_runs_on_the_worker(cluster, world):
    a, b, nginx = cluster["NODE_A_URL"], cluster["NODE_B_URL"], cluster["NGINX_URL"]
    imports = f"/rounds/{world['round']}/applications/import"
    board = world["board_cookie"]
    status, _, template = _request(
        f"{a}/rounds/{world['round']}/applications/import-template.xlsx", cookie=board
    )
    assert status == 200, template[:300]
    # The file is uploaded (previewed) through node B, kept in the shared UPLOAD_DIR …
    body, content_type = _multipart(
        "file", "ho-so.xlsx", _filled(template, _rows(3)), {"csrf_token": world["board_csrf"]}
    )
    status, _, preview = _request(
        f"{b}{imports}", cookie=board, data=body, headers={"Content-Type": content_type}
    )
    assert status == 200, preview[:300]
    found = re.search(rb'name="token" value="([0-9a-f]{32})"', preview)
    assert found, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", preview.decode()))[-3000:]
    token = found[1].decode()
    # … confirmed through node A, which queues the job in Redis …
    status, headers, _ = _request(
        f"{a}{imports}/confirm",
        cookie=board,
        data=urllib.parse.urlencode({"token": token, "csrf_token": world["board_csrf"]}).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 302
    job_path = re.search(r"/rounds/\d+/applications/import/jobs/\d+$", headers["Location"])[0]
    # … and run by the worker (`flask jobs work`): its end waited for on the RQ job itself
    # (its result, pushed to Redis once the job's transaction is committed), then its
    # progress read through node B and nginx.
    job_id = job_path.rsplit("/", 1)[1]
    queued = RQJob.fetch(f"exam-job-{job_id}", connection=Redis.from_url(cluster["REDIS_URL"]))
    ended = queued.latest_result(timeout=60)
    assert ended is not None, "the worker did not end the import within 60 s"
    assert ended.type == Result.Type.SUCCESSFUL, ended.exc_string
    status, _, payload = _request(f"{b}{job_path}.json", cookie=board)
    job = json.loads(payload)
    assert (job["status"], job["done"], job["total"]) == ("done", 3, 3), job
    status, _, payload = _request(f"{nginx}{job_path}.json", cookie=board)
    assert json.loads(payload)["status"] == "done"


def test_nginx_compresses_pages_and_serves_the_static_files(cluster, world):
    nginx = cluster["NGINX_URL"]
    status, headers, body = _request(
        f"{nginx}/attempts/{world['attempt']}",
        cookie=world["cookie"],
        headers={"Accept-Encoding": "gzip"},
    )
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert b"<html" in gzip.decompress(body)
    status, headers, body = _request(
        f"{nginx}/static/vendor/bootstrap/bootstrap.min.css", headers={"Accept-Encoding": "gzip"}
    )
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    css = (ROOT / "static/vendor/bootstrap/bootstrap.min.css").read_bytes()
    assert gzip.decompress(body) == css
    assert len(body) < len(css) / 4


def _until_refused(url: str) -> None:
    """Until the killed node's port refuses connections (its processes have exited): a
    connection made while they die is accepted, then reset after the request was sent."""
    port = _port(url)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except ConnectionRefusedError:
            return
        except ConnectionResetError:
            continue  # accepted by a dying process's socket, then reset
    raise AssertionError(f"{url} still accepts connections after SIGKILL")


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def _requests_held_by(port: int) -> int:
    """Connections to ``port`` holding bytes nobody has read (the kernel's table of TCP
    sockets): the requests nginx has sent to a node whose processes are stopped."""
    held = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state, unread = fields[1], fields[3], int(fields[4].split(":")[1], 16)
        if int(local.split(":")[1], 16) == port and state == "01" and unread:  # ESTABLISHED
            held += 1
    return held


def _one_answered_one_held(requests: list[Future], port: int, held: int) -> None:
    """Two requests sent through nginx at once go one to each node (round robin): until the
    one to node A is answered and node B's port holds ``held`` requests in all."""
    done, _ = wait(requests, timeout=20, return_when=FIRST_COMPLETED)
    assert len(done) == 1, f"{len(done)} of the two requests answered while node B is stopped"
    deadline = time.monotonic() + 20
    while _requests_held_by(port) < held:  # read again at once: the kernel signals nothing
        assert time.monotonic() < deadline, f"nginx sent node B ({port}) no request"


def _sign_in_page(base: str) -> tuple[str, str]:
    """The session cookie and the form's token of a browser that opened the sign-in page."""
    status, headers, page = _request(f"{base}/login")
    assert status == 200
    cookie = "; ".join(c.split(";", 1)[0] for c in headers.get_all("Set-Cookie"))
    return cookie, re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)[1].decode()


def _wrong_password(base: str, cookie: str, csrf: str) -> int:
    """A sign-in attempt counted by the limits (refused: 303 back to the form)."""
    data = {"csrf_token": csrf, "email": "nguoi-khac@cluster.example", "password": "sai-1"}
    status, _, _ = _request(
        f"{base}/login",
        cookie=cookie,
        data=urllib.parse.urlencode(data).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    return status


def _lines(path: Path, *parts: str) -> list[str]:
    return [line for line in path.read_text().splitlines() if all(p in line for p in parts)]


def test_a_node_killed_mid_request_its_saves_are_answered_by_the_other_never_a_form(cluster, world):
    """Last in this file: node B is gone afterwards. Its processes are stopped (SIGSTOP) so
    that what nginx sends it stays in flight: a save, then a sign-in attempt (a POST that is
    not idempotent: it counts towards the sign-in limit); then they are killed (SIGKILL).
    nginx sends the save again to node A (the sequence rule makes it harmless), never the
    sign-in attempt (502); every later save is answered by node A."""
    folder, nginx = Path(cluster["CLUSTER_DIR"]), cluster["NGINX_URL"]
    a, b = cluster["NODE_A_URL"], cluster["NODE_B_URL"]
    node_a_log, answers = folder / "node-a.access.log", f"/attempts/{world['attempt']}/answers"
    cookie, csrf = _sign_in_page(a)
    saves_on_a = len(_lines(node_a_log, f'"POST {answers} '))
    sign_ins_on_a = len(_lines(node_a_log, '"POST /login '))
    group = os.getpgid(int((folder / "node-b.pid").read_text()))  # gunicorn --daemon's own
    assert group != os.getpgrp()
    os.killpg(group, signal.SIGSTOP)
    try:
        with ThreadPoolExecutor(4) as pool:  # one for each request
            saves = [pool.submit(_save, nginx, world, seq) for seq in (3001, 3002)]
            _one_answered_one_held(saves, _port(b), held=1)
            sign_ins = [pool.submit(_wrong_password, nginx, cookie, csrf) for _ in "ab"]
            _one_answered_one_held(sign_ins, _port(b), held=2)
            os.killpg(group, signal.SIGKILL)
            acknowledged = [save.result(timeout=60) for save in saves]
            statuses = [sign_in.result(timeout=60) for sign_in in sign_ins]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
    assert sorted(acknowledged) in ([3001, 3002], [3002, 3002]), acknowledged  # 3001 held
    assert sorted(statuses) == [303, 502], statuses  # node B's: not sent again

    _until_refused(b)
    later = [_save(nginx, world, seq) for seq in range(3003, 3009)]
    assert later == list(range(3003, 3009))
    assert _held_seq(a, world) == 3008
    # Node A served both saves of the pair (one of them sent again) and the six later ones,
    # but only its own sign-in attempt.
    assert len(_lines(node_a_log, f'"POST {answers} ')) == saves_on_a + 8
    assert len(_lines(node_a_log, '"POST /login ')) == sign_ins_on_a + 1
    # nginx says why: the save and the sign-in attempt had been sent to node B (its answer
    # was being read); the save then went to node A, the sign-in attempt was answered 502.
    errors = folder / "nginx" / "error.log"
    held = (
        "while reading response header from upstream",
        f'upstream: "http://127.0.0.1:{_port(b)}',
    )
    assert _lines(errors, *held, f'request: "POST {answers} '), errors.read_text()[-3000:]
    assert _lines(errors, *held, 'request: "POST /login '), errors.read_text()[-3000:]
    requests = folder / "nginx" / "access.log"
    twice = f'upstream="127.0.0.1:{_port(b)}, 127.0.0.1:{_port(a)}" upstream_status="502, 200"'
    assert _lines(requests, f'"POST {answers} ', '" 200 ', twice)
    assert _lines(requests, '"POST /login ', '" 502 ', f'upstream="127.0.0.1:{_port(b)}" ')
