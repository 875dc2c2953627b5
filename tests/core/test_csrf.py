"""CSRF protection with each token's signature verified once per process (exam/core/csrf.py):
it accepts and refuses exactly what Flask-WTF's own check accepts and refuses, a token that
failed is never kept, and a kept one is worth nothing in another session or under another key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask, jsonify, session
from flask_wtf.csrf import generate_csrf, validate_csrf
from itsdangerous import URLSafeTimedSerializer
from wtforms import ValidationError

from exam.core import csrf as kept


def _app(**config: object) -> Flask:
    app = Flask(__name__)
    app.config.update({"SECRET_KEY": "csrf-testing", "WTF_CSRF_TIME_LIMIT": None, **config})
    kept.KeptTokenCSRFProtect(app)

    @app.get("/token")
    def token() -> str:
        return generate_csrf()

    @app.post("/json")
    def json_call() -> object:
        return jsonify(ok=True)

    @app.post("/form")
    def form_call() -> str:
        return "ok"

    return app


@pytest.fixture(autouse=True)
def nothing_kept() -> Iterator[None]:
    kept._signed_value.cache_clear()
    yield
    kept._signed_value.cache_clear()


def _signed_in(app: Flask):
    client = app.test_client()
    return client, client.get("/token").get_data(as_text=True)


def test_a_valid_token_is_accepted_in_a_json_header_and_in_a_form_field():
    app = _app()
    client, token = _signed_in(app)
    assert client.post("/json", json={}, headers={"X-CSRFToken": token}).status_code == 200
    assert client.post("/json", json={}, headers={"X-CSRF-Token": token}).status_code == 200
    assert client.post("/form", data={"csrf_token": token}).status_code == 200
    assert client.post("/form", data={}, headers={"X-CSRFToken": token}).status_code == 200


def test_its_signature_is_verified_once_then_kept():
    app = _app()
    client, token = _signed_in(app)
    for _ in range(5):
        assert client.post("/json", json={}, headers={"X-CSRFToken": token}).status_code == 200
    info = kept._signed_value.cache_info()
    assert (info.misses, info.hits, info.currsize) == (1, 4, 1)


@pytest.mark.parametrize(
    "sent",
    [None, "", "garbage", "a.b.c", "IjEi.ZZZZZZ.AAAAAAAAAAAAAAAAAAAAAAAAAAA"],
    ids=["no header", "empty", "garbage", "three parts", "forged"],
)
def test_a_missing_or_forged_token_is_refused_every_time_and_never_kept(sent):
    app = _app()
    client, _token = _signed_in(app)
    headers = {"X-CSRFToken": sent} if sent is not None else {}
    for _ in range(3):
        refused = client.post("/json", json={}, headers=headers)
        assert refused.status_code == 400
    assert kept._signed_value.cache_info().currsize == 0


def test_a_token_with_one_character_of_its_signature_changed_is_refused():
    app = _app()
    client, token = _signed_in(app)
    assert client.post("/json", json={}, headers={"X-CSRFToken": token}).status_code == 200
    # The signature's first character carries six bits of it. Its last carries two bits that
    # base64 drops (27 characters for 20 bytes), so changing that one may forge nothing.
    payload, signature = token.rsplit(".", 1)
    forged = f"{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    assert forged != token
    assert client.post("/json", json={}, headers={"X-CSRFToken": forged}).status_code == 400


def test_a_kept_token_is_refused_in_another_session():
    """Kept after it passed in its own session: in another it signs the wrong value."""
    app = _app()
    mine, my_token = _signed_in(app)
    theirs, their_token = _signed_in(app)
    assert mine.post("/json", json={}, headers={"X-CSRFToken": my_token}).status_code == 200
    assert theirs.post("/json", json={}, headers={"X-CSRFToken": my_token}).status_code == 400
    assert theirs.post("/json", json={}, headers={"X-CSRFToken": their_token}).status_code == 200


def test_a_token_is_refused_once_the_secret_key_changed():
    app = _app()
    client, token = _signed_in(app)
    assert client.post("/json", json={}, headers={"X-CSRFToken": token}).status_code == 200
    app.config["WTF_CSRF_SECRET_KEY"] = "another-key"
    assert client.post("/json", json={}, headers={"X-CSRFToken": token}).status_code == 400


def test_a_token_signing_the_right_value_under_another_key_is_refused():
    app = _app()
    client, _token = _signed_in(app)
    with client.session_transaction() as stored:
        value = stored["csrf_token"]
    other = URLSafeTimedSerializer("not-our-key", salt="wtf-csrf-token").dumps(value)
    assert client.post("/json", json={}, headers={"X-CSRFToken": other}).status_code == 400


def test_with_a_time_limit_flask_wtf_checks_every_call_and_the_token_expires(monkeypatch):
    app = _app(WTF_CSRF_TIME_LIMIT=60)
    client, token = _signed_in(app)
    assert client.post("/json", json={}, headers={"X-CSRFToken": token}).status_code == 200
    assert kept._signed_value.cache_info().currsize == 0
    import itsdangerous.timed

    now = itsdangerous.timed.TimestampSigner.get_timestamp
    monkeypatch.setattr(
        itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: now(self) + 120
    )
    assert client.post("/json", json={}, headers={"X-CSRFToken": token}).status_code == 400


def test_a_get_and_an_exempt_view_are_not_checked():
    app = _app()
    protect = app.extensions["csrf"]

    @app.post("/exempt")
    @protect.exempt
    def exempt() -> str:
        return "ok"

    client = app.test_client()
    assert client.get("/token").status_code == 200
    assert client.post("/exempt", json={}).status_code == 200
    assert client.post("/json", json={}).status_code == 400


def _outcome(check, signed) -> str:
    try:
        check(signed)
    except ValidationError as error:
        return str(error.args[0])
    return "accepted"


def test_it_decides_as_flask_wtf_does_for_every_kind_of_token():
    app = _app()
    serializer = URLSafeTimedSerializer("csrf-testing", salt="wtf-csrf-token")
    with app.test_request_context("/json", method="POST"):
        session["csrf_token"] = "the-session-token"
        valid = serializer.dumps("the-session-token")
        cases = {
            "valid": valid,
            "valid again (kept)": valid,
            "another session's": serializer.dumps("another-token"),
            "other salt": URLSafeTimedSerializer("csrf-testing", salt="x").dumps(
                "the-session-token"
            ),
            "truncated": valid[:-3],
            "empty": "",
            "none": None,
        }
        for name, signed in cases.items():
            expected = _outcome(validate_csrf, signed)
            assert _outcome(kept.validate_token, signed) == expected, name
        # Flask-WTF would fail with a TypeError here (a 500); we refuse it.
        assert _outcome(kept.validate_token, serializer.dumps(12)) == (
            "The CSRF tokens do not match."
        )
        del session["csrf_token"]
        assert _outcome(kept.validate_token, valid) == _outcome(validate_csrf, valid)
        assert _outcome(kept.validate_token, valid) == "The CSRF session token is missing."
