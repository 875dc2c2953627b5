"""Invitations and "forgot password" (exam/accounts/invitations.py): a single-use, expiring
link e-mailed through the outbox, only its SHA-256 stored; the page sets the password with
the project's rule and signs the person in; unknown, used and expired links get one page."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
import sqlalchemy as sa
import time_machine

from exam.accounts.models import AccountToken, Role, TokenPurpose, User
from exam.accounts.operations import authenticate, create_user
from exam.audit.models import AuditEntry
from exam.candidates.models import Application
from exam.extensions import db
from exam.notices.models import NoticeKind, OutboxMessage
from tests.conftest import login
from tests.factories import PASSWORD, T0

NEW_PASSWORD = "hoa-ban-no-tren-doi-2026"
UNUSABLE = "Đường dẫn này không hợp lệ, đã được dùng hoặc đã hết hạn."


@pytest.fixture
def setting(app, make):
    """A round with two candidates imported from Excel (no password) and one who
    registered online (a password)."""
    round_ = make.round()
    board = make.user(Role.BOARD_ADMIN)
    imported = [
        create_user(
            f"nhap{n}@ungvien.example", f"Lê Thị Nhập {n}", None, {Role.CANDIDATE}, actor=None
        )
        for n in range(2)
    ]
    db.session.flush()
    for user in imported:
        make.application(round_.positions[0], user, eligible=None)
    registered = make.application(round_.positions[0], eligible=None).candidate
    db.session.commit()
    return round_, board, imported, registered


def _messages(kind: NoticeKind) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        )
    )


def _link(message: OutboxMessage) -> str:
    [path] = re.findall(r"https?://[^/\s]+(/invitation/[A-Za-z0-9_-]+)", message.body)
    return path


def _invite_all(app, round_, board):
    with time_machine.travel(T0, tick=False):
        return login(app.test_client(), board).post(f"/rounds/{round_.id}/invitations")


def test_the_board_invites_every_imported_candidate_once(app, setting):
    round_, board, imported, _registered = setting
    response = _invite_all(app, round_, board)
    assert response.status_code == 302
    sent = _messages(NoticeKind.INVITATION)
    assert [m.recipient for m in sent] == [u.email for u in imported]  # not the registered one
    body = sent[0].body
    assert sent[0].subject == "Mời Ông/Bà đặt mật khẩu tài khoản thi tuyển"
    assert "Kính gửi Lê Thị Nhập 0," in body
    assert "hết hạn lúc 08/03/2026 08:00" in body  # 7 days later, Hanoi time
    token = _link(sent[0]).rsplit("/", 1)[1]
    # Only the token's SHA-256 is stored.
    [row] = db.session.scalars(
        sa.select(AccountToken).where(AccountToken.user_id == imported[0].id)
    )
    assert row.purpose == TokenPurpose.INVITATION
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.expires_at == T0 + dt.timedelta(days=7)
    assert row.created_by_id == board.id
    assert token not in str(db.session.execute(sa.select(AccountToken.__table__)).all())
    [entry] = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "round.invite_candidates")
    )
    assert entry.after["user_ids"] == [u.id for u in imported]
    # Already invited: nobody is invited twice by "all not yet invited".
    _invite_all(app, round_, board)
    assert len(_messages(NoticeKind.INVITATION)) == 2


def test_the_invitation_link_sets_the_password_and_signs_in(app, setting):
    round_, board, imported, _ = setting
    _invite_all(app, round_, board)
    link = _link(_messages(NoticeKind.INVITATION)[0])
    client = app.test_client()
    with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
        page = client.get(link)
        assert page.status_code == 200
        assert page.headers["Cache-Control"] == "no-store"
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert "Đặt mật khẩu" in page.get_data(as_text=True)
        # The project's password rule applies; nothing is used up by a refused password.
        weak = client.post(
            link, data={"password": "1234567890", "confirm": "1234567890"}, follow_redirects=True
        )
        assert weak.status_code == 200
        assert "field-error" in weak.get_data(as_text=True)
        mismatch = client.post(
            link, data={"password": NEW_PASSWORD, "confirm": "khac"}, follow_redirects=True
        )
        assert "Hai mật khẩu không khớp." in mismatch.get_data(as_text=True)
        done = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        assert done.status_code == 302
        with client.session_transaction() as session:  # (its cookie expires in 12 hours)
            assert session["_user_id"].partition(":")[0] == str(imported[0].id)
    db.session.expire_all()
    user = db.session.get(User, imported[0].id)
    assert user.password_hash.startswith("$argon2id$")
    assert authenticate(user.email, NEW_PASSWORD) is user
    assert (
        db.session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.object_type == "User", AuditEntry.object_id == str(user.id))
            .order_by(AuditEntry.seq)
        ).all()[-1]
        == "account.invitation_accept"
    )


def test_a_used_link_an_unknown_link_and_an_expired_link_get_one_page(app, setting):
    round_, board, _, _ = setting
    _invite_all(app, round_, board)
    first, second = (_link(m) for m in _messages(NoticeKind.INVITATION))
    client = app.test_client()
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        client.post(first, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        used = app.test_client().get(first)
        reused = app.test_client().post(
            first, data={"password": "mot-mat-khau-khac-2026", "confirm": "mot-mat-khau-khac-2026"}
        )
        unknown = app.test_client().get("/invitation/" + "A" * 43)
    with time_machine.travel(T0 + dt.timedelta(days=7, seconds=1), tick=False):
        expired = app.test_client().get(second)
        expired_post = app.test_client().post(
            second, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        )
    pages = [r.get_data(as_text=True) for r in (used, reused, unknown, expired, expired_post)]
    assert all(UNUSABLE in page for page in pages)
    assert all(r.status_code == 200 for r in (used, reused, unknown, expired, expired_post))
    # No oracle: a used link and one that never existed answer alike.
    strip = lambda page: re.sub(r'"[\w-]+\.[\w-]+\.[\w-]+"', "TOKEN", page)  # noqa: E731  (CSRF)
    assert strip(pages[0]).replace(first, "LINK") == strip(pages[2]).replace(
        "/invitation/" + "A" * 43, "LINK"
    )
    db.session.expire_all()
    assert authenticate("nhap0@ungvien.example", "mot-mat-khau-khac-2026") is None
    assert (
        db.session.scalars(
            sa.select(User.password_hash).where(User.email == "nhap1@ungvien.example")
        ).one()
        is None
    )


def test_an_uninvited_imported_candidate_cannot_sign_in(app, setting):
    _, _, imported, _ = setting
    response = app.test_client().post(
        "/login", data={"email": imported[0].email, "password": PASSWORD}, follow_redirects=True
    )
    assert "Email hoặc mật khẩu không đúng." in response.get_data(as_text=True)
    client = app.test_client()
    client.post("/login", data={"email": imported[0].email, "password": "None"})
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_a_new_invitation_voids_the_previous_link(app, setting):
    round_, board, imported, _ = setting
    url = f"/rounds/{round_.id}/candidates/{imported[0].id}/invitation"
    application = db.session.scalars(
        sa.select(Application).where(Application.candidate_id == imported[0].id)
    ).one()
    with time_machine.travel(T0, tick=False):
        client = login(app.test_client(), board)
        page = client.get(f"/applications/{application.id}").get_data(as_text=True)
        assert "Thí sinh chưa đặt mật khẩu: chưa đăng nhập được." in page
        assert f'action="{url}"' in page
        assert client.post(url).headers["Location"] == f"/applications/{application.id}"
        client.post(url)
    old, new = (_link(m) for m in _messages(NoticeKind.INVITATION))
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        assert UNUSABLE in app.test_client().get(old).get_data(as_text=True)
        assert UNUSABLE not in app.test_client().get(new).get_data(as_text=True)


def test_only_the_board_invites_and_only_a_candidate_of_the_round(app, make, setting):
    round_, board, imported, registered = setting
    outsider = make.user(Role.CANDIDATE)
    db.session.commit()
    for person in (imported[1], registered, make.user(Role.SUPERVISOR)):
        db.session.commit()
        client = login(app.test_client(), person)
        # Only the round's Council invites; to anyone else the round's candidates are not there.
        assert client.post(f"/rounds/{round_.id}/invitations").status_code == 404
        url = f"/rounds/{round_.id}/candidates/{imported[0].id}/invitation"
        assert client.post(url).status_code == 404
    board_client = login(app.test_client(), board)
    url = f"/rounds/{round_.id}/candidates/{outsider.id}/invitation"
    assert board_client.post(url).status_code == 404
    # An account that has a password needs no invitation.
    url = f"/rounds/{round_.id}/candidates/{registered.id}/invitation"
    page = board_client.post(url, follow_redirects=True).get_data(as_text=True)
    assert "Tài khoản này đã có mật khẩu: không cần thư mời." in page
    assert _messages(NoticeKind.INVITATION) == []


def test_forgot_password_answers_the_same_for_any_address_and_resets_once(app, setting):
    _, _, _, registered = setting
    client = app.test_client()
    with time_machine.travel(T0, tick=False):
        known = client.post("/password/forgot", data={"email": registered.email.upper()})
        unknown = client.post("/password/forgot", data={"email": "khong-co@ungvien.example"})
    assert known.get_data(as_text=True).replace(registered.email.upper(), "X") == (
        unknown.get_data(as_text=True).replace("khong-co@ungvien.example", "X")
    )
    [message] = _messages(NoticeKind.RESET)
    assert message.recipient == registered.email
    assert message.subject == "Đặt lại mật khẩu tài khoản thi tuyển"
    link = _link(message)
    with time_machine.travel(T0 + dt.timedelta(minutes=30), tick=False):
        done = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        again = client.get(link)
    assert done.status_code == 302
    assert UNUSABLE in again.get_data(as_text=True)
    db.session.expire_all()
    assert authenticate(registered.email, NEW_PASSWORD) is not None
    assert authenticate(registered.email, PASSWORD) is None


def test_a_reset_link_expires_within_the_hour(app, setting):
    _, _, _, registered = setting
    with time_machine.travel(T0, tick=False):
        app.test_client().post("/password/forgot", data={"email": registered.email})
    link = _link(_messages(NoticeKind.RESET)[0])
    with time_machine.travel(T0 + dt.timedelta(minutes=61), tick=False):
        page = app.test_client().get(link)
    assert UNUSABLE in page.get_data(as_text=True)


def test_the_link_uses_the_configured_public_address_not_the_host_header(app, setting, monkeypatch):
    """A forged Host header must not put another site's address in a reset e-mail."""
    _, _, _, registered = setting
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://thituyen.hanoi.example/")
    with time_machine.travel(T0, tick=False):
        app.test_client().post(
            "/password/forgot",
            data={"email": registered.email},
            headers={"Host": "evil.example"},
        )
    [message] = _messages(NoticeKind.RESET)
    assert "https://thituyen.hanoi.example/invitation/" in message.body
    assert "evil.example" not in message.body


def test_a_password_change_voids_the_links_not_yet_used(app, setting):
    _, _, _, registered = setting
    with time_machine.travel(T0, tick=False):
        app.test_client().post("/password/forgot", data={"email": registered.email})
        owner = login(app.test_client(), registered)
        changed = owner.post(
            "/account/password",
            data={"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        )
    assert changed.status_code == 302
    link = _link(_messages(NoticeKind.RESET)[0])
    with time_machine.travel(T0 + dt.timedelta(minutes=5), tick=False):
        page = app.test_client().post(
            link,
            data={"password": "mat-khau-cua-ke-gian-2026", "confirm": "mat-khau-cua-ke-gian-2026"},
        )
    assert UNUSABLE in page.get_data(as_text=True)
    db.session.expire_all()
    assert authenticate(registered.email, NEW_PASSWORD) is not None


def test_forgot_password_is_limited_per_address_and_account(app, setting):
    from tests.accounts.test_accounts import rate_limited_app

    _, _, _, registered = setting
    with rate_limited_app(PASSWORD_RESET_RATE_LIMIT="2 per minute") as limited:
        client = limited.test_client()
        for _ in range(2):
            assert (
                client.post("/password/forgot", data={"email": registered.email}).status_code == 200
            )
        assert client.post("/password/forgot", data={"email": registered.email}).status_code == 429
        # Someone else at the same address (an exam site behind one NAT) is not held back.
        other = limited.test_client()
        assert (
            other.post("/password/forgot", data={"email": "ai-do@ungvien.example"}).status_code
            == 200
        )
    assert len(_messages(NoticeKind.RESET)) == 2
