"""English is one switch away, and the switch is remembered."""

from __future__ import annotations

from exam.accounts.models import Role
from exam.extensions import db
from tests.conftest import login


def test_the_language_switch_turns_the_interface_into_english(client):
    vietnamese = client.get("/login").get_data(as_text=True)
    assert "Đăng nhập" in vietnamese

    response = client.post("/language", data={"language": "en", "next": "/login"})
    assert response.headers["Location"] == "/login"
    english = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in english
    assert "Sign in" in english
    assert "Đăng nhập" not in english

    client.post("/language", data={"language": "vi", "next": "/"})
    assert "Đăng nhập" in client.get("/login").get_data(as_text=True)


def test_an_unknown_language_keeps_vietnamese(client):
    client.post("/language", data={"language": "fr", "next": "/"})
    assert '<html lang="vi">' in client.get("/").get_data(as_text=True)


def test_enum_titles_and_numbers_follow_the_language(client, make):
    round_ = make.round()
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    login(client, board)
    vi = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    client.post("/language", data={"language": "en", "next": "/"})
    en = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert "Đang nhận hồ sơ" in vi
    assert "Đang nhận hồ sơ" not in en


def test_templates_keep_their_translations_per_locale_within_one_request(app):
    """The templates' translations are kept for the request (exam/core/i18n.py), but a
    force_locale or a refresh inside it still gets the other language's strings."""
    from flask import render_template_string, session
    from flask_babel import force_locale, refresh

    page = "{{ _('Đăng xuất') }}"
    with app.test_request_context("/"):
        assert render_template_string(page) == "Đăng xuất"
        with force_locale("en"):
            assert render_template_string(page) == "Sign out"
        assert render_template_string(page) == "Đăng xuất"
        session["language"] = "en"
        refresh()
        assert render_template_string(page) == "Sign out"
