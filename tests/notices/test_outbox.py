"""The outbox and its sender, against a real SMTP server (aiosmtpd) on a free local port:
nothing is lost when the mail server fails; failures are recorded and retried."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import socket
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from exam.accounts.models import Role
from exam.extensions import db
from exam.notices.models import NoticeKind, OutboxMessage, OutboxStatus
from exam.notices.operations import queue_notice, retry_failed
from exam.notices.sender import backoff, deliver_due
from tests.conftest import login
from tests.factories import T0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler keeping what it receives; refuses recipients at ``refused``."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refused = "bi-tu-choi@ungvien.example"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refused:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def config(app, port: int, **changes) -> dict:
    return {
        **app.config,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_TIMEOUT": 5,
        "MAIL_MAX_ATTEMPTS": 3,
        **changes,
    }


def _queue(make, recipient="an.nguyen@ungvien.example", at=T0) -> OutboxMessage:
    round_ = make.round()
    application = make.dossier(round_.positions[0], documents=False)
    return queue_notice(
        NoticeKind.RECEIVED,
        recipient,
        obj=application,
        at=at,
        application=application,
        round=round_,
        position=application.position,
        candidate=application.candidate,
    )


def _messages() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def test_pending_messages_are_delivered_and_marked_sent(app, make, smtp):
    inbox, port = smtp
    make.round()
    message = _queue(make)
    before = len(_messages())
    report = deliver_due(at=T0, config=config(app, port))
    assert (report.sent, report.failed) == (before, 0)
    assert message.status == OutboxStatus.SENT
    assert message.sent_at == T0
    received = next(m for m in inbox.messages if m["To"] == "an.nguyen@ungvien.example")
    assert "Đã nhận hồ sơ dự tuyển" in received["Subject"]
    assert f"outbox-{message.id}" in received["Message-ID"]
    assert "Kính gửi" in received.get_content()
    assert deliver_due(at=T0, config=config(app, port)).sent == 0  # nothing sent twice


def test_a_dead_mail_server_loses_nothing_and_the_message_is_retried(app, make, smtp):
    inbox, port = smtp
    message = _queue(make)
    dead = config(app, free_port())
    report = deliver_due(at=T0, config=dead)
    assert report.sent == 0
    assert report.failed >= 1
    assert message.status == OutboxStatus.PENDING
    assert message.attempts == 1
    assert "ConnectionRefusedError" in message.last_error
    assert message.next_attempt_at == T0 + dt.timedelta(minutes=1)
    # Not due yet: nothing is tried before the back-off ends.
    assert deliver_due(at=T0 + dt.timedelta(seconds=30), config=config(app, port)).sent == 0
    assert message.attempts == 1
    later = T0 + dt.timedelta(minutes=1)
    assert deliver_due(at=later, config=config(app, port)).sent >= 1
    assert message.status == OutboxStatus.SENT
    assert message.last_error == ""
    assert any(m["To"] == message.recipient for m in inbox.messages)


def test_a_refused_recipient_fails_alone_then_runs_out_of_attempts(app, make, smtp):
    inbox, port = smtp
    assert inbox.refused == "bi-tu-choi@ungvien.example"
    good = _queue(make)
    bad = _queue(make, recipient="bi-tu-choi@ungvien.example")
    at = T0
    deliver_due(at=at, config=config(app, port))
    assert good.status == OutboxStatus.SENT
    assert [m["To"] for m in inbox.messages].count(bad.recipient) == 0
    assert bad.status == OutboxStatus.PENDING
    assert "550" in bad.last_error
    for _ in range(2):
        at = bad.next_attempt_at
        deliver_due(at=at, config=config(app, port))
    assert bad.attempts == 3
    assert bad.status == OutboxStatus.FAILED  # kept, shown, and can be queued again
    retry_failed(bad, at=at)
    assert (bad.status, bad.attempts, bad.next_attempt_at) == (OutboxStatus.PENDING, 0, at)


def test_backoff_doubles_and_is_capped():
    assert [backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert backoff(30) == dt.timedelta(hours=6)


def test_the_cli_sends_and_commits(app, make, smtp):
    inbox, port = smtp
    _queue(make)
    db.session.commit()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    try:
        result = app.test_cli_runner().invoke(args=["notices", "send"])
    finally:
        app.config.update(MAIL_SERVER="localhost", MAIL_PORT=25)
    assert result.exit_code == 0, result.output
    assert "Sent" in result.output
    assert all(m.status == OutboxStatus.SENT for m in _messages())
    assert inbox.messages


def test_the_cli_exits_1_when_messages_fail(app, make):
    _queue(make)
    db.session.commit()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    try:
        result = app.test_cli_runner().invoke(args=["notices", "send"])
    finally:
        app.config.update(MAIL_SERVER="localhost", MAIL_PORT=25)
    assert result.exit_code == 1
    assert all(m.status == OutboxStatus.PENDING and m.attempts == 1 for m in _messages())


def test_the_outbox_page_shows_failures_to_the_platform_administration(app, make):
    message = _queue(make, recipient="that-bai@ungvien.example")
    message.status, message.attempts, message.last_error = OutboxStatus.FAILED, 3, "550 no"
    board, supervisor, candidate = (
        make.user(Role.BOARD_ADMIN),
        make.user(Role.SUPERVISOR),
        make.user(Role.CANDIDATE),
    )
    db.session.commit()
    page = login(app.test_client(), board).get("/notices/?status=failed").get_data(as_text=True)
    assert "that-bai@ungvien.example" in page
    assert "Gửi lại" in page
    # The outbox holds every round's mail: the platform administration's, not a round's
    # supervisory board's.
    assert login(app.test_client(), supervisor).get("/notices/").status_code == 403
    assert login(app.test_client(), candidate).get("/notices/").status_code == 403
    assert (
        login(app.test_client(), supervisor).post(f"/notices/{message.id}/retry").status_code == 403
    )
    assert login(app.test_client(), board).post(f"/notices/{message.id}/retry").status_code == 302
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message.id).status == OutboxStatus.PENDING


def _sending_to(app, port: int):
    """The app's mail settings pointed at the test server for the duration of a request."""
    import contextlib

    @contextlib.contextmanager
    def pointed():
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        try:
            yield
        finally:
            app.config.update(MAIL_SERVER="localhost", MAIL_PORT=25)

    return pointed()


def test_the_board_sends_the_pending_notices_with_a_button(app, make, smtp):
    inbox, port = smtp
    _queue(make, recipient="binh.tran@ungvien.example")
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    client = login(app.test_client(), board)
    page = client.get("/notices/").get_data(as_text=True)
    assert "Gửi ngay các thư đang chờ" in page
    assert "flask notices send" not in page
    with _sending_to(app, port):
        response = client.post("/notices/send", follow_redirects=True)
    assert "Đã gửi" in response.get_data(as_text=True)
    assert all(m.status == OutboxStatus.SENT for m in _messages())
    assert any(m["To"] == "binh.tran@ungvien.example" for m in inbox.messages)
    assert "Gửi ngay các thư đang chờ" not in client.get("/notices/").get_data(as_text=True)


def test_the_button_says_when_the_mail_server_is_down_and_keeps_the_notices(app, make):
    _queue(make)
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    client = login(app.test_client(), board)
    with _sending_to(app, free_port()):
        page = client.post("/notices/send", follow_redirects=True).get_data(as_text=True)
    assert "chưa gửi được" in page
    assert all(m.status == OutboxStatus.PENDING and m.attempts == 1 for m in _messages())


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.CANDIDATE])
def test_only_the_board_sends(app, make, role):
    _queue(make)
    user = make.user(role)
    db.session.commit()
    assert login(app.test_client(), user).post("/notices/send").status_code == 403
    assert all(m.attempts == 0 for m in _messages())
