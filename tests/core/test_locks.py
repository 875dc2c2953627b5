"""The periodic commands started on every node at once (exam/core/locks.py): one runner does
the work, the others skip with a message; nothing is done twice. Each test runs two runners
on connections of their own (threads, and one in a separate process) against a database of
its own, the first held inside its work until the second has given up."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from click.testing import Result
from flask import Flask

from exam.accounts.models import Role
from exam.audit.models import AuditEntry, PendingAuditEntry
from exam.audit.operations import record_soon, verify_chain
from exam.core.locks import advisory_key, single_runner
from exam.exams.models import Attempt, AttemptStatus
from exam.exams.papers import generate_papers
from exam.exams.sitting import start_attempt
from exam.extensions import db
from exam.notices.models import OutboxMessage, OutboxStatus
from exam.rounds.models import RoundStatus
from tests.core.standalone import fresh_database_url, standalone_app
from tests.factories import Factories as make
from tests.notices.test_outbox import Inbox, free_port
from tests.notices.test_outbox import _queue as queue_received

ROOT = Path(__file__).resolve().parents[2]
WAIT = 60  # seconds: only reached when the test fails (a runner that never comes back)


@pytest.fixture
def own_app(tmp_path: Path) -> Iterator[Flask]:
    with fresh_database_url(tmp_path, "periodic") as url, standalone_app(url, tmp_path) as app:
        yield app


def run_two_together(
    app: Flask, args: list[str], monkeypatch: pytest.MonkeyPatch, target: str
) -> tuple[Result, Result]:
    """Run ``flask <args>`` twice at once: the first runner is held inside ``target`` (the
    command's work, "module.name") until the second runner has returned."""
    module_name, _, name = target.rpartition(".")
    module = sys.modules[module_name]
    work = getattr(module, name)
    inside, second_done, calls = threading.Event(), threading.Event(), []

    def held(*a: Any, **kw: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            inside.set()
            second_done.wait(WAIT)
        return work(*a, **kw)

    monkeypatch.setattr(module, name, held)
    results: dict[str, Result] = {}

    def invoke() -> Result:  # a context and a database session of its own, as cron's
        with app.app_context():
            return app.test_cli_runner().invoke(args=args)

    def first() -> None:
        results["first"] = invoke()
        inside.set()  # a runner that failed before its work: the test says so below

    thread = threading.Thread(target=first)
    thread.start()
    assert inside.wait(WAIT), "the first runner never started its work"
    assert "first" not in results, results["first"].output + repr(results["first"].exception)
    results["second"] = invoke()
    second_done.set()
    thread.join(WAIT)
    return results["first"], results["second"]


def skipped(result: Result, command: str) -> bool:
    return result.exit_code == 0 and f"Skipped: another `flask {command}` is running" in (
        result.output
    )


def test_two_seals_at_once_seal_each_pending_entry_once(own_app, monkeypatch, tmp_path):
    for n in range(5):
        record_soon("attempt.start", actor=None, object_type="Attempt", object_id=n)
    db.session.commit()

    first, second = run_two_together(
        own_app, ["audit", "seal"], monkeypatch, "exam.audit.cli.seal_pending"
    )

    assert first.exit_code == 0, first.output
    assert "Pending entries sealed into the chain: 5." in first.output
    assert skipped(second, "audit seal"), second.output
    db.session.rollback()  # a new snapshot: the runners committed on their own connections
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 5
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PendingAuditEntry)) == 0
    assert verify_chain().intact
    anchors = (tmp_path / "audit-anchors.txt").read_text().splitlines()
    assert len(anchors) == 1
    assert anchors[0].startswith("5:")


def test_two_senders_at_once_send_each_notice_once(own_app, monkeypatch):
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        own_app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
        recipients = [f"thi-sinh-{n}@ungvien.example" for n in range(3)]
        for recipient in recipients:
            queue_received(make, recipient)
        db.session.commit()
        queued = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))

        first, second = run_two_together(
            own_app, ["notices", "send"], monkeypatch, "exam.notices.sender.deliver_due"
        )
    finally:
        controller.stop()

    assert queued >= 3
    assert f"Sent {queued}, failed 0." in first.output, first.output
    assert skipped(second, "notices send"), second.output
    received = [message["Message-ID"] for message in inbox.messages]
    assert len(received) == len(set(received)) == queued  # each notice once
    assert set(recipients) <= {message["To"] for message in inbox.messages}
    db.session.rollback()  # a new snapshot: the runners committed on their own connections
    statuses = db.session.scalars(sa.select(OutboxMessage.status)).all()
    assert statuses == [OutboxStatus.SENT] * queued


def test_two_closers_at_once_close_each_expired_paper_once(own_app, monkeypatch):
    from tests.exams import test_attempts as sitting_test

    attempt_id = _expired_attempt(sitting_test)
    after_deadline = sitting_test.DEADLINE + dt.timedelta(minutes=5)

    with time_machine.travel(after_deadline, tick=False):
        first, second = run_two_together(
            own_app,
            ["exams", "close-expired"],
            monkeypatch,
            "exam.exams.cli.close_expired_attempts",
        )

    assert "Closed 1 attempt(s)." in first.output, first.output
    assert skipped(second, "exams close-expired"), second.output
    db.session.rollback()  # a new snapshot: the runners committed on their own connections
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.status == AttemptStatus.SUBMITTED
    assert attempt.submitted_by_server
    actions = [action for action in _audited_actions(attempt_id) if action != "attempt.start"]
    assert len(actions) == len(set(actions)), actions  # each step of the closing once


def _expired_attempt(sitting_test: Any) -> int:
    """One started paper of a test whose time is now up (tests/exams/test_attempts.py)."""
    round_ = make.round()
    candidate = make.user(Role.CANDIDATE)
    application = make.application(round_.positions[0], candidate)
    test = make.test(
        round_,
        question_count=3,
        duration_minutes=sitting_test.DURATION,
        starts_at=sitting_test.START,
        papers=False,
    )
    test.sessions[0].code = sitting_test.CODE
    make.stage(round_, RoundStatus.TESTING)
    generate_papers(
        test,
        actor=make.user(Role.BOARD_ADMIN),
        at=sitting_test.START - dt.timedelta(hours=1),
    )
    db.session.flush()
    attempt = make.attempt(test, application)
    db.session.commit()
    start_attempt(attempt, session_code=sitting_test.CODE, at=sitting_test.START)
    db.session.commit()
    return attempt.id


def _audited_actions(attempt_id: int) -> list[str]:
    chained = db.session.scalars(
        sa.select(AuditEntry.action).where(
            AuditEntry.object_type == "Attempt", AuditEntry.object_id == str(attempt_id)
        )
    ).all()
    pending = db.session.scalars(
        sa.select(PendingAuditEntry.action).where(
            PendingAuditEntry.object_type == "Attempt",
            PendingAuditEntry.object_id == str(attempt_id),
        )
    ).all()
    return [*chained, *pending]


def test_a_runner_in_another_process_skips_while_the_lock_is_held(own_app, tmp_path):
    """Two processes (two nodes' cron): the lock is held here, the command runs in a process
    of its own and does nothing; once the lock is released, the next minute's run works."""
    record_soon("attempt.start", actor=None, object_type="Attempt", object_id=1)
    db.session.commit()

    def flask_audit_seal() -> subprocess.CompletedProcess:
        environment = {
            **os.environ,
            "FLASK_APP": "wsgi",
            "EXAM_ENV": "development",
            "DATABASE_URL": own_app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": own_app.config["SECRET_KEY"],
            "AUDIT_ANCHOR_FILE": str(tmp_path / "audit-anchors.txt"),
        }
        return subprocess.run(
            [sys.executable, "-m", "flask", "audit", "seal"],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=WAIT,
        )

    with single_runner("audit seal") as held:
        assert held
        other = flask_audit_seal()
    assert other.returncode == 0, other.stderr
    assert "Skipped: another `flask audit seal` is running" in other.stdout
    db.session.rollback()  # a new snapshot: the runners committed on their own connections
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PendingAuditEntry)) == 1

    after = flask_audit_seal()
    assert after.returncode == 0, after.stderr
    assert "Pending entries sealed into the chain: 1." in after.stdout


def test_the_lock_is_per_command_and_free_again_after_use(own_app):
    with (
        single_runner("audit seal") as seal,
        single_runner("notices send") as send,
        single_runner("audit seal") as again,
    ):
        assert (seal, send, again) == (True, True, False)
    with single_runner("audit seal") as later:
        assert later


def test_each_command_has_its_own_stable_key():
    keys = {advisory_key(name) for name in ("audit seal", "exams close-expired", "notices send")}
    assert len(keys) == 3
    assert advisory_key("audit seal") == advisory_key("audit seal")
    assert all(-(2**63) <= key < 2**63 for key in keys)


@pytest.mark.parametrize(
    "command",
    ["audit seal", "exams close-expired", "notices send", "candidates prune-uploads"],
)
def test_every_periodic_command_skips_while_another_runs_it(own_app, command, monkeypatch):
    """The commands cron runs on every node: none does its work while the lock is held."""
    import exam.candidates.operations as candidates_operations

    pruned: list[str] = []
    monkeypatch.setattr(candidates_operations, "prune_uploads", lambda: pruned.append("run") or [])
    with single_runner(command) as held, own_app.app_context():
        assert held
        result = own_app.test_cli_runner().invoke(args=command.split())
    assert skipped(result, command), result.output
    assert pruned == []
