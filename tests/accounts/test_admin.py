"""Account administration (exam/accounts/admin_views.py, exam/accounts/administration.py):
the platform administration creates staff accounts without a password and invites them by
e-mail, resends invitations, deactivates (sessions end) and reactivates, grants and revokes
roles; it cannot lock itself out; every action is audited; bad input saves nothing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
import time_machine

from exam.accounts.administration import create_staff_account
from exam.accounts.models import AccountToken, Role, RoleGrant, User
from exam.accounts.operations import authenticate
from exam.accounts.queries import AccountState, find_accounts
from exam.audit.models import AuditEntry
from exam.core.errors import ValidationFailed
from exam.extensions import db
from exam.notices.models import NoticeKind, OutboxMessage
from tests.conftest import login
from tests.factories import PASSWORD, T0

NEW_PASSWORD = "hoa-ban-no-tren-doi-2026"
UNUSABLE = "Đường dẫn này không hợp lệ, đã được dùng hoặc đã hết hạn."
STAFF = {
    "full_name": "Trần Thị Thu Hà",
    "email": "Thu.Ha@SoNoiVu.example",
    "roles": ["question_author", "invigilator"],
}


@pytest.fixture
def admin(make) -> User:
    user = make.user(Role.BOARD_ADMIN, name="Phạm Quản Trị")
    db.session.commit()
    return user


def _outbox(recipient: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(
                OutboxMessage.recipient == recipient, OutboxMessage.kind == NoticeKind.INVITATION
            )
            .order_by(OutboxMessage.id)
        )
    )


def _link(message: OutboxMessage) -> str:
    [path] = re.findall(r"https?://[^/\s]+(/invitation/[A-Za-z0-9_-]+)", message.body)
    return path


def _actions(user_id: int) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.object_type == "User", AuditEntry.object_id == str(user_id))
            .order_by(AuditEntry.seq)
        )
    )


def _create(app, admin, client=None, **changes):
    with time_machine.travel(T0, tick=False):
        client = client or login(app.test_client(), admin)
        return client.post("/accounts/new", data={**STAFF, **changes})


def _user(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalars(sa.select(User).where(User.email == email)).first()


def _signed_in_as(client) -> str | None:
    with client.session_transaction() as session:
        value = session.get("_user_id")
    return value.partition(":")[0] if value else None


# --- creating a staff account and its invitation ----------------------------------------------


def test_a_staff_account_is_created_without_a_password_and_its_link_signs_in(app, admin):
    with time_machine.travel(T0, tick=False):
        client = login(app.test_client(), admin)
        response = _create(app, admin, client)
    user = _user("thu.ha@sonoivu.example")  # the address kept in lower case
    assert response.status_code == 302
    assert response.headers["Location"] == f"/accounts/{user.id}"
    assert user.full_name == "Trần Thị Thu Hà"
    assert user.password_hash is None
    assert user.roles == {Role.QUESTION_AUTHOR, Role.INVIGILATOR}
    with time_machine.travel(T0, tick=False):
        page = client.get(response.headers["Location"])
    text = page.get_data(as_text=True)
    assert "Đã tạo tài khoản và gửi thư mời đặt mật khẩu đến thu.ha@sonoivu.example." in text
    assert "Chưa đặt mật khẩu" in text
    assert "Đường dẫn còn hạn đến 08/03/2026 08:00." in text  # 7 days, Hanoi time

    [message] = _outbox(user.email)
    assert "Kính gửi Trần Thị Thu Hà," in message.body
    assert authenticate(user.email, PASSWORD) is None  # no password yet: cannot sign in
    link = _link(message)
    client = app.test_client()
    with time_machine.travel(T0 + dt.timedelta(days=2), tick=False):
        done = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        assert done.status_code == 302
        assert _signed_in_as(client) == str(user.id)
        assert client.get("/account/password").status_code == 200  # signed in for real
    db.session.expire_all()
    assert authenticate(user.email, NEW_PASSWORD).id == user.id
    assert _actions(user.id) == ["account.create", "account.invite", "account.invitation_accept"]
    [created] = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.action == "account.create", AuditEntry.object_id == str(user.id)
        )
    )
    assert created.actor_id == admin.id
    assert created.after["roles"] == ["invigilator", "question_author"]


def test_a_staff_account_may_be_created_without_any_role_yet(app, admin):
    assert _create(app, admin, roles=[]).status_code == 302
    assert _user("thu.ha@sonoivu.example").roles == set()


def test_the_invitation_link_expires(app, admin):
    _create(app, admin)
    link = _link(_outbox("thu.ha@sonoivu.example")[0])
    with time_machine.travel(T0 + dt.timedelta(days=7, seconds=1), tick=False):
        page = app.test_client().post(
            link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        )
    assert UNUSABLE in page.get_data(as_text=True)
    assert _user("thu.ha@sonoivu.example").password_hash is None


def test_the_invitation_link_works_once(app, admin):
    _create(app, admin)
    link = _link(_outbox("thu.ha@sonoivu.example")[0])
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        app.test_client().post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        other = "mat-khau-cua-ke-gian-2026"
        again = app.test_client().post(link, data={"password": other, "confirm": other})
    assert UNUSABLE in again.get_data(as_text=True)
    assert authenticate("thu.ha@sonoivu.example", NEW_PASSWORD) is not None
    assert authenticate("thu.ha@sonoivu.example", other) is None


def test_the_invitation_link_is_void_once_a_password_is_set_another_way(app, admin):
    """Invited, the person sets a password through "forgot password" instead: the
    invitation's link no longer opens anything."""
    _create(app, admin)
    email = "thu.ha@sonoivu.example"
    invitation = _link(_outbox(email)[0])
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        app.test_client().post("/password/forgot", data={"email": email})
        [reset] = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == NoticeKind.RESET)
        )
        done = app.test_client().post(
            _link(reset), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        )
        assert done.status_code == 302
        other = "mat-khau-cua-ke-gian-2026"
        page = app.test_client().post(invitation, data={"password": other, "confirm": other})
    assert UNUSABLE in page.get_data(as_text=True)
    assert authenticate(email, NEW_PASSWORD) is not None


def test_resending_an_invitation_voids_the_previous_link(app, admin):
    _create(app, admin)
    user = _user("thu.ha@sonoivu.example")
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        client = login(app.test_client(), admin)
        response = client.post(f"/accounts/{user.id}/invitation")
        assert response.headers["Location"] == f"/accounts/{user.id}"
        page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã gửi lại thư mời đặt mật khẩu cho Trần Thị Thu Hà" in page
    old, new = (_link(m) for m in _outbox(user.email))
    with time_machine.travel(T0 + dt.timedelta(hours=2), tick=False):
        refused = app.test_client().post(
            old, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        )
        assert UNUSABLE in refused.get_data(as_text=True)
        assert _user(user.email).password_hash is None
        accepted = app.test_client().post(
            new, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        )
        assert accepted.status_code == 302
    assert _actions(user.id).count("account.invite") == 2


def test_an_account_with_a_password_gets_no_invitation(app, admin, make):
    user = make.user(Role.PANEL_MEMBER)
    db.session.commit()
    with time_machine.travel(T0, tick=False):
        client = login(app.test_client(), admin)
        client.post(f"/accounts/{user.id}/invitation")
        page = client.get(f"/accounts/{user.id}").get_data(as_text=True)
    assert "Tài khoản này đã có mật khẩu: không cần thư mời." in page
    assert _outbox(user.email) == []


# --- bad input: nothing saved ------------------------------------------------------------------


def _nothing_saved(email: str) -> None:
    assert _user(email) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccountToken)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
    created = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "account.create"))
    assert email not in [entry.after["email"] for entry in created]


def test_an_email_with_an_account_already_is_refused_whatever_its_case(app, admin, make):
    make.user(Role.CANDIDATE, email="thu.ha@sonoivu.example", name="Trần Thị Thu Hà")
    db.session.commit()
    users_before = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    with time_machine.travel(T0, tick=False):
        client = login(app.test_client(), admin)
        response = client.post("/accounts/new", data=STAFF)
        assert response.status_code == 303
        assert response.headers["Location"] == "/accounts/new"
        page = client.get("/accounts/new").get_data(as_text=True)
    assert (
        "Địa chỉ email này đã có tài khoản: tìm tài khoản đó trong danh sách để cấp thêm vai trò."
        in page
    )
    assert 'value="Trần Thị Thu Hà"' in page  # what was typed comes back
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == users_before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
    assert _user("thu.ha@sonoivu.example").roles == {Role.CANDIDATE}  # no role granted


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"email": "thu.ha@"}, "Địa chỉ email không hợp lệ."),
        ({"email": "thu ha@sonoivu.example"}, "Địa chỉ email không hợp lệ."),
        ({"email": ""}, "Vui lòng điền mục này."),
        ({"full_name": "   "}, "Vui lòng điền mục này."),
        ({"full_name": "Trần " * 30}, "Tối đa 120 ký tự."),
        ({"roles": ["board_admin", "superuser"]}, "Vai trò không hợp lệ."),
        ({"roles": ["candidate"]}, "Vai trò không hợp lệ."),
    ],
)
def test_bad_input_is_refused_in_vietnamese_and_nothing_is_saved(app, admin, changes, message):
    with time_machine.travel(T0, tick=False):
        client = login(app.test_client(), admin)
        response = client.post("/accounts/new", data={**STAFF, **changes})
        assert response.status_code == 303
        page = client.get("/accounts/new").get_data(as_text=True)
    assert message in page
    _nothing_saved("thu.ha@sonoivu.example")


def test_the_operation_refuses_the_same_without_a_form_and_gives_every_reason(app, admin):
    with pytest.raises(ValidationFailed) as refused:
        create_staff_account("khong-hop-le", " ", ["board_admin", "root"], actor=admin, at=T0)
    assert dict(refused.value.reasons) == {
        "email": "Địa chỉ email không hợp lệ.",
        "full_name": "Vui lòng nhập họ và tên.",
        "roles": "Vai trò không hợp lệ.",
    }
    db.session.rollback()
    _nothing_saved("khong-hop-le")


# --- deactivation, reactivation ------------------------------------------------------------------


def test_deactivation_ends_a_session_at_once_and_reactivation_lets_them_back(app, admin, make):
    staff = make.user(Role.INVIGILATOR, name="Đỗ Văn Coi")
    db.session.commit()
    with time_machine.travel(T0, tick=False):
        browser = login(app.test_client(), staff)
        assert browser.get("/account/password").status_code == 200
        client = login(app.test_client(), admin)
        response = client.post(f"/accounts/{staff.id}/deactivate")
        assert response.headers["Location"] == f"/accounts/{staff.id}"
        page = client.get(f"/accounts/{staff.id}").get_data(as_text=True)
        assert "Đã khóa tài khoản của Đỗ Văn Coi: mọi phiên đăng nhập đã kết thúc." in page
        assert "Mở khóa tài khoản" in page
        # The signed-in browser is sent to the login page on its next request.
        next_request = browser.get("/account/password")
        assert next_request.status_code == 302
        assert next_request.headers["Location"].startswith("/login")
        refused = app.test_client().post(
            "/login", data={"email": staff.email, "password": PASSWORD}, follow_redirects=True
        )
        assert "Email hoặc mật khẩu không đúng." in refused.get_data(as_text=True)

        client.post(f"/accounts/{staff.id}/reactivate")
        assert "Đã mở khóa tài khoản của Đỗ Văn Coi." in client.get(
            f"/accounts/{staff.id}"
        ).get_data(as_text=True)
        again = app.test_client()
        again.post("/login", data={"email": staff.email, "password": PASSWORD})
        assert _signed_in_as(again) == str(staff.id)
    assert _actions(staff.id)[-2:] == ["account.deactivate", "account.reactivate"]
    entries = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.action.in_(["account.deactivate", "account.reactivate"])
        )
    ).all()
    assert {entry.actor_id for entry in entries} == {admin.id}


def test_deactivation_voids_an_outstanding_invitation(app, admin):
    _create(app, admin)
    user = _user("thu.ha@sonoivu.example")
    link = _link(_outbox(user.email)[0])
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        client = login(app.test_client(), admin)
        client.post(f"/accounts/{user.id}/deactivate")
        client.post(f"/accounts/{user.id}/reactivate")
        page = app.test_client().get(link)
    assert UNUSABLE in page.get_data(as_text=True)  # reactivated, but the old link stays void


def test_the_administrator_cannot_deactivate_themselves_nor_drop_their_own_role(app, admin):
    with time_machine.travel(T0, tick=False):
        client = login(app.test_client(), admin)
        client.post(f"/accounts/{admin.id}/deactivate")
        page = client.get(f"/accounts/{admin.id}").get_data(as_text=True)
        assert "Bạn không thể tự khóa tài khoản của chính mình." in page
        assert "Khóa tài khoản" not in page.replace("tự khóa", "")  # no button offered
        response = client.post(f"/accounts/{admin.id}/roles", data={"roles": ["supervisor"]})
        assert response.status_code == 303
        page = client.get(f"/accounts/{admin.id}").get_data(as_text=True)
        assert "Bạn không thể tự bỏ vai trò quản trị của chính mình." in page
        assert client.get("/accounts/").status_code == 200  # still signed in, still admin
    user = _user(admin.email)
    assert user.active
    assert user.roles == {Role.BOARD_ADMIN}


def test_deactivating_twice_says_so(app, admin, make):
    staff = make.user(Role.SUPERVISOR)
    db.session.commit()
    with time_machine.travel(T0, tick=False):
        client = login(app.test_client(), admin)
        client.post(f"/accounts/{staff.id}/deactivate")
        client.get(f"/accounts/{staff.id}")  # the first message shown
        client.post(f"/accounts/{staff.id}/deactivate")
        page = client.get(f"/accounts/{staff.id}").get_data(as_text=True)
    assert "Tài khoản này đã bị khóa từ trước." in page
    assert _actions(staff.id).count("account.deactivate") == 1


# --- roles ---------------------------------------------------------------------------------------


def test_roles_are_granted_and_revoked_and_a_candidate_role_is_kept(app, admin, make):
    person = make.user(Role.CANDIDATE, Role.PANEL_MEMBER, name="Vũ Thị Lan")
    db.session.commit()
    with time_machine.travel(T0, tick=False):
        client = login(app.test_client(), admin)
        page = client.get(f"/accounts/{person.id}").get_data(as_text=True)
        assert "Tài khoản này cũng là thí sinh" in page
        response = client.post(
            f"/accounts/{person.id}/roles", data={"roles": ["invigilator", "supervisor"]}
        )
        assert response.headers["Location"] == f"/accounts/{person.id}"
        page = client.get(f"/accounts/{person.id}").get_data(as_text=True)
    assert "Đã lưu vai trò của Vũ Thị Lan." in page
    assert _user(person.email).roles == {Role.CANDIDATE, Role.INVIGILATOR, Role.SUPERVISOR}
    entries = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.object_id == str(person.id), AuditEntry.actor_id == admin.id)
        .order_by(AuditEntry.seq)
    ).all()
    assert [(e.action, (e.after or e.before)["role"]) for e in entries] == [
        ("account.revoke_role", "panel_member"),
        ("account.grant_role", "invigilator"),
        ("account.grant_role", "supervisor"),
    ]


@pytest.mark.parametrize("forged", [["candidate"], ["root"], ["board_admin", "x" * 500]])
def test_forged_role_values_are_refused_and_nothing_changes(app, admin, make, forged):
    person = make.user(Role.PANEL_MEMBER)
    db.session.commit()
    with time_machine.travel(T0, tick=False):
        client = login(app.test_client(), admin)
        response = client.post(f"/accounts/{person.id}/roles", data={"roles": forged})
        assert response.status_code == 303
        assert response.headers["Location"] == f"/accounts/{person.id}"
        page = client.get(f"/accounts/{person.id}").get_data(as_text=True)
    assert "Vai trò không hợp lệ." in page
    assert _user(person.email).roles == {Role.PANEL_MEMBER}
    count = db.session.scalar(sa.select(sa.func.count()).select_from(RoleGrant))
    assert count == 2  # the admin's and the panel member's


# --- the list ------------------------------------------------------------------------------------


@pytest.fixture
def people(app, make, admin):
    make.user(Role.PANEL_MEMBER, name="Nguyễn Văn Ánh", email="anh@x.example")
    make.user(Role.PANEL_MEMBER, name="Lê Thị An", email="an@x.example")
    make.user(Role.SUPERVISOR, name="Đặng Thị Ân", email="an2@x.example")
    make.user(Role.CANDIDATE, name="Trần Văn Bình", email="binh@x.example")
    blocked = make.user(Role.INVIGILATOR, name="Hoàng Đức Dũng", email="dung@x.example")
    blocked.active = False
    with app.test_request_context():  # the invitation's link is built from a request
        create_staff_account("thu@x.example", "Phan Thu Trang", ["supervisor"], actor=admin, at=T0)
    db.session.commit()


def _names(page) -> list[str]:
    return [row.full_name for row in page.rows]


def test_the_list_sorts_the_vietnamese_way_and_searches_without_marks(app, people):
    everyone = find_accounts(at=T0)
    # Given name first: An < Ân < Ánh < Bình < Dũng < Trang < Trị; family names break ties.
    assert _names(everyone) == [
        "Lê Thị An",
        "Nguyễn Văn Ánh",  # a < â: Ánh before Ân, the tone counting only on a tie
        "Đặng Thị Ân",
        "Trần Văn Bình",
        "Hoàng Đức Dũng",
        "Phan Thu Trang",
        "Phạm Quản Trị",
    ]
    assert _names(find_accounts(text="an", at=T0))[:3] == [
        "Lê Thị An",
        "Nguyễn Văn Ánh",
        "Đặng Thị Ân",
    ]
    assert _names(find_accounts(text="DANG thi", at=T0)) == ["Đặng Thị Ân"]
    assert _names(find_accounts(text="BINH@X", at=T0)) == ["Trần Văn Bình"]
    assert _names(find_accounts(role=Role.PANEL_MEMBER, at=T0)) == ["Lê Thị An", "Nguyễn Văn Ánh"]
    assert _names(find_accounts(state=AccountState.DEACTIVATED, at=T0)) == ["Hoàng Đức Dũng"]
    awaiting = find_accounts(state=AccountState.AWAITING_PASSWORD, at=T0)
    assert _names(awaiting) == ["Phan Thu Trang"]
    assert awaiting.rows[0].link_expires_at == T0 + dt.timedelta(days=7)
    assert len(find_accounts(state=AccountState.ACTIVE, at=T0).rows) == 5


def test_the_list_page_filters_and_paginates(app, admin, make, monkeypatch, people):
    monkeypatch.setattr("exam.accounts.queries.PAGE_SIZE", 3)
    with time_machine.travel(T0, tick=False):
        client = login(app.test_client(), admin)
        first = client.get("/accounts/").get_data(as_text=True)
        third = client.get("/accounts/?page=3").get_data(as_text=True)
        beyond = client.get("/accounts/?page=99&role=nonsense").get_data(as_text=True)
        filtered = client.get("/accounts/?q=dung&state=deactivated").get_data(as_text=True)
        none = client.get("/accounts/?q=khong-co-ai").get_data(as_text=True)
    assert "7 tài khoản · trang 1/3" in first
    assert ">Lê Thị An</a>" in first
    assert ">Phạm Quản Trị</a>" not in first
    assert 'href="/accounts/?page=2"' in first
    assert ">Phạm Quản Trị</a>" in third
    assert "trang 3/3" in third
    assert "trang 3/3" in beyond  # past the end: the last page; an unknown role: no filter
    assert "1 tài khoản" in filtered
    assert "Hoàng Đức Dũng" in filtered
    assert "Đã khóa" in filtered
    assert "Không có tài khoản nào phù hợp." in none


def test_the_navigation_offers_the_accounts_to_the_administration_only(app, admin, make):
    author = make.user(Role.QUESTION_AUTHOR)
    db.session.commit()
    assert 'href="/accounts/"' in login(app.test_client(), admin).get("/").get_data(as_text=True)
    assert 'href="/accounts/"' not in login(app.test_client(), author).get("/").get_data(
        as_text=True
    )


ROUTES = [
    ("get", "/accounts/"),
    ("get", "/accounts/new"),
    ("post", "/accounts/new"),
    ("get", "/accounts/{id}"),
    ("post", "/accounts/{id}/roles"),
    ("post", "/accounts/{id}/invitation"),
    ("post", "/accounts/{id}/deactivate"),
    ("post", "/accounts/{id}/reactivate"),
]


@pytest.mark.parametrize(
    "role",
    [Role.CANDIDATE, Role.QUESTION_AUTHOR, Role.PANEL_MEMBER, Role.SUPERVISOR, Role.INVIGILATOR],
)
def test_no_one_else_reaches_any_of_these_routes(app, admin, make, role):
    other = make.user(role)
    target = make.user(Role.PANEL_MEMBER)
    db.session.commit()
    client = login(app.test_client(), other)
    for method, route in ROUTES:
        url = route.format(id=target.id)
        response = getattr(client, method)(url, data={**STAFF, "roles": ["board_admin"]})
        assert response.status_code in (403, 404), (method, url, response.status_code)
        guest = getattr(app.test_client(), method)(url, data=STAFF)
        assert guest.status_code == 302
        assert "/login" in guest.headers["Location"]
    assert _user(target.email).roles == {Role.PANEL_MEMBER}
    assert _user(target.email).active
    assert _user("thu.ha@sonoivu.example") is None


def test_the_screens_read_in_english_after_the_switch(app, admin, make):
    staff = make.user(Role.SUPERVISOR, name="Lý Thị Giám")
    db.session.commit()
    with time_machine.travel(T0, tick=False):
        client = login(app.test_client(), admin)
        client.post("/language", data={"language": "en", "next": "/"})
        pages = [
            client.get(url).get_data(as_text=True)
            for url in ("/accounts/", "/accounts/new", f"/accounts/{staff.id}")
        ]
        client.post("/accounts/new", data={**STAFF, "roles": ["root"]})
        refused = client.get("/accounts/new").get_data(as_text=True)
    assert "Create a staff account" in pages[0]
    assert "Search by name or e-mail" in pages[0]
    assert "Create the account and send the invitation" in pages[1]
    assert "Deactivate the account" in pages[2]
    assert "Supervisory Board" in pages[2]  # the roles too
    assert "Not a valid role." in refused
    for page in [*pages, refused]:
        for vietnamese in ("Tài khoản", "Tạo tài khoản", "Vai trò", "Khóa tài khoản", "Tình trạng"):
            assert vietnamese not in page


def test_two_administrators_creating_one_address_at_once_get_the_same_refusal(
    app, admin, make, monkeypatch
):
    """The other's account is written between the check and the insert: the database's
    unique address refuses it, and the page says so as for any address already taken."""
    make.user(Role.PANEL_MEMBER, email="thu.ha@sonoivu.example")
    db.session.commit()
    monkeypatch.setattr("exam.accounts.administration.find_user_by_email", lambda email: None)
    monkeypatch.setattr("exam.accounts.operations.find_user_by_email", lambda email: None)
    with time_machine.travel(T0, tick=False):
        client = login(app.test_client(), admin)
        assert client.post("/accounts/new", data=STAFF).status_code == 303
        page = client.get("/accounts/new").get_data(as_text=True)
    assert "Địa chỉ email này đã có tài khoản" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccountToken)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
    assert _user("thu.ha@sonoivu.example").roles == {Role.PANEL_MEMBER}
