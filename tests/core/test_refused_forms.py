"""Post/Redirect/Get for refused forms (exam/core/refused_forms.py, exam/core/views.py::refused):
a refused POST answers 303 to the form's page, which shows what was typed and why once; a
reload posts nothing and shows nothing stale; no one else picks the form up."""

from __future__ import annotations

import datetime as dt
import html

import sqlalchemy as sa

from exam.accounts.models import Role, User
from exam.candidates.models import Application, ApplicationStatus
from exam.core.refused_forms import SESSION_KEY, RefusedForm
from exam.extensions import db
from exam.rounds.models import Position, RoundStatus
from tests.conftest import login

PASSWORD = "mat-khau-du-dai-2026"


def _users(email: str) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(User).where(User.email == email)
    )


def test_a_refused_registration_comes_back_to_its_page_with_values_but_no_password(client):
    typed = {
        "full_name": "Nguyễn Thị Hoa",
        "email": "hoa.nguyen@test.example",
        "password": PASSWORD,
        "confirm": PASSWORD + "x",
    }
    refused = client.post("/register", data=typed)

    assert refused.status_code == 303
    assert refused.headers["Location"] == "/register"
    page = client.get("/register")
    text = page.get_data(as_text=True)
    assert "Nguyễn Thị Hoa" in text
    assert "hoa.nguyen@test.example" in text
    assert PASSWORD not in text  # never kept, never shown
    assert 'href="#confirm"' in text  # the summary still links to the field
    assert text.count('class="field-error"') == 1
    assert _users("hoa.nguyen@test.example") == 0

    again = client.get("/register").get_data(as_text=True)  # a reload: nothing stale
    assert 'class="field-error"' not in again
    assert "Nguyễn Thị Hoa" not in again
    assert _users("hoa.nguyen@test.example") == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RefusedForm)) == 0


def test_what_is_kept_holds_no_password_and_no_csrf_token(app, client):
    client.post("/login?next=/rounds/", data={"email": "x@test.example", "password": PASSWORD})
    with client.session_transaction() as session:
        kept = session[SESSION_KEY]
    row = db.session.get(RefusedForm, kept["id"])
    assert row.page == "/login"
    assert dict(row.content["data"]) == {"email": "x@test.example"}
    assert PASSWORD not in str(row.content)


def test_a_wrong_password_returns_to_the_sign_in_page_with_next_and_email(client):
    response = client.post(
        "/login?next=/rounds/",
        data={"email": "x@test.example", "password": PASSWORD},
        follow_redirects=True,
    )
    assert response.request.path == "/login"
    assert response.request.args["next"] == "/rounds/"
    text = response.get_data(as_text=True)
    assert "Email hoặc mật khẩu không đúng." in text
    assert 'value="x@test.example"' in text


def test_a_decision_posted_to_a_post_only_address_comes_back_to_the_application(app, make):
    round_ = make.round()
    application = make.application(round_.positions[0], eligible=None)
    make.stage(round_, RoundStatus.SCREENING)
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    client = login(app.test_client(), board)
    url = f"/applications/{application.id}/decide"

    response = client.post(
        url, data={"decision": "not_eligible", "reason": "  "}, follow_redirects=True
    )

    assert response.status_code == 200
    assert response.request.path == f"/applications/{application.id}"
    assert "Cần ghi rõ lý do không đủ điều kiện." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == ApplicationStatus.SUBMITTED
    reload = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "Cần ghi rõ lý do không đủ điều kiện." not in reload


def test_another_session_cannot_pick_up_someone_elses_refused_form(app, make):
    round_ = make.round()
    application = make.application(round_.positions[0], eligible=None)
    board, other = make.user(Role.BOARD_ADMIN), make.user(Role.BOARD_ADMIN)
    db.session.commit()
    mine = login(app.test_client(), board)
    theirs = login(app.test_client(), other)
    reason = "Thiếu giấy chứng nhận sức khỏe còn hạn."
    refused = mine.post(
        f"/applications/{application.id}/decide",
        data={"decision": "not_eligible", "reason": reason + "x" * 2001},
    )
    assert refused.status_code == 303

    seen = theirs.get(f"/applications/{application.id}").get_data(as_text=True)
    assert reason not in seen
    assert 'class="field-error"' not in seen
    own = mine.get(f"/applications/{application.id}").get_data(as_text=True)
    assert reason in own
    assert 'class="field-error"' in own


def test_a_form_larger_than_a_cookie_is_kept(client, make):
    board = make.user(Role.BOARD_ADMIN)
    round_ = make.round(status=RoundStatus.DRAFT, board=board)
    db.session.commit()
    login(client, board)
    standards = "Có ít nhất 5 năm công tác trong ngành y tế; " * 110  # ~5,000 characters
    url = f"/rounds/{round_.id}/positions/new"
    response = client.post(
        url, data={"title": "", "posts": "1", "standards": standards}, follow_redirects=True
    )

    assert response.request.path == url
    text = html.unescape(response.get_data(as_text=True))
    assert standards.strip() in text
    assert "Vui lòng điền mục này." in text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Position)) == len(
        round_.positions
    )


def test_kept_forms_older_than_an_hour_are_pruned(client, now):
    db.session.add(
        RefusedForm(
            id="old",
            page="/register",
            form="x",
            content={},
            created_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2),
        )
    )
    db.session.commit()
    client.post("/register", data={"email": "not an address"})
    assert db.session.get(RefusedForm, "old") is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RefusedForm)) == 1


def test_a_hostile_refused_post_keeps_only_the_forms_own_short_values(app, client):
    def kept_row() -> RefusedForm:
        with client.session_transaction() as session:
            return db.session.get(RefusedForm, session[SESSION_KEY]["id"])

    client.post(
        "/login",
        data={
            "email": "x@test.example",
            "password": PASSWORD,
            "not_a_field": "kept?",
            "padding": "x" * 1_000_000,
        },
    )
    assert kept_row().content["data"] == [["email", "x@test.example"]]
    client.post("/login", data={"email": "y" * 20_000, "password": PASSWORD})
    assert kept_row().content["data"] == []  # a 20,000-character value is not kept
