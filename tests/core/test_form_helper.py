"""A page's POST-only form (exam/core/views.py::submit_form_and_return): valid, the operation
runs once at the commit boundary and the page comes back with the success flashed; invalid or
refused, nothing is written and the page comes back (303) with what was typed and why; what
the operation returned is never taken for a refusal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, get_flashed_messages, session
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import DataRequired

import exam.exams.views.manage as manage_views
from exam.accounts.models import Role, User
from exam.core.errors import DomainError
from exam.core.forms import PageForm
from exam.core.refused_forms import SESSION_KEY, RefusedForm
from exam.core.views import submit_form_and_return
from exam.extensions import db
from tests.conftest import login

PAGE = "/tests/7#rules"
DONE = "Đã lưu."


class NameForm(PageForm):
    name = StringField(validators=[DataRequired()])


@pytest.fixture
def user(make) -> User:
    person = make.user(Role.CANDIDATE)
    person.full_name = "Nguyễn Văn An"
    db.session.commit()
    return person


def _post(
    app: Flask, data: dict[str, str], operation: Callable[[], Any]
) -> tuple[Response, list[tuple[str, str]], dict | None]:
    """The helper's answer to a POST of ``data``, what it flashed and what it kept."""
    with app.test_request_context("/tests/7/rules", method="POST", data=data):
        response = submit_form_and_return(NameForm(), operation, DONE, PAGE)
        return response, get_flashed_messages(with_categories=True), session.get(SESSION_KEY)


def test_a_valid_form_runs_the_operation_once_and_goes_back_with_the_success(app, user):
    calls = []

    def rename() -> User:
        calls.append(1)
        user.full_name = "Trần Thị Bình"
        return user

    response, flashed, kept = _post(app, {"name": "Bình"}, rename)

    assert calls == [1]
    assert response.status_code in (302, 303)
    assert response.headers["Location"] == PAGE
    assert flashed == [("success", DONE)]
    assert kept is None
    db.session.rollback()  # nothing pending is lost: it was committed
    assert db.session.get(User, user.id).full_name == "Trần Thị Bình"


def test_an_invalid_form_runs_nothing_and_comes_back_with_its_errors(app, user):
    calls = []

    response, flashed, kept = _post(app, {"name": ""}, lambda: calls.append(1))

    assert calls == []
    assert response.status_code == 303
    assert response.headers["Location"] == PAGE
    assert flashed == []
    assert kept["page"] == "/tests/7"  # the page's path: its next GET shows the form
    row = db.session.get(RefusedForm, kept["id"])
    assert list(row.content["errors"]) == ["name"]


def test_a_refusal_writes_nothing_and_comes_back_with_why(app, user):
    def rename_then_refuse() -> None:
        user.full_name = "Lê Văn Cường"
        db.session.flush()
        raise DomainError("Kỳ thi đã khoá.", field="name")

    response, flashed, kept = _post(app, {"name": "Cường"}, rename_then_refuse)

    assert response.status_code == 303
    assert response.headers["Location"] == PAGE
    assert ("success", DONE) not in flashed
    row = db.session.get(RefusedForm, kept["id"])
    assert row.content["errors"] == {"name": ["Kỳ thi đã khoá."]}
    assert dict(row.content["data"]) == {"name": "Cường"}
    db.session.expire_all()
    assert db.session.get(User, user.id).full_name == "Nguyễn Văn An"


@pytest.mark.parametrize("result", [0, [], "", None, False])
def test_what_the_operation_returned_is_no_refusal(app, user, result):
    response, flashed, kept = _post(app, {"name": "An"}, lambda: result)

    assert response.status_code in (302, 303)
    assert response.headers["Location"] == PAGE
    assert flashed == [("success", DONE)]
    assert kept is None


def test_a_test_page_form_whose_operation_returns_0_still_goes_back_to_the_page(
    app, make, monkeypatch
):
    """Through a real route (the test's rules): before the helper, a falsy result made the
    view answer None, a 500."""
    test = make.test(make.round(), papers=False)
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    real = manage_views.set_test_rules

    def set_rules_returning_0(*args: Any, **kwargs: Any) -> int:
        real(*args, **kwargs)
        return 0

    monkeypatch.setattr(manage_views, "set_test_rules", set_rules_returning_0)
    client = login(app.test_client(), board)

    response = client.post(
        f"/tests/{test.id}/rules",
        data={"rules-bank_ratio": 2, "rules-reprimand_percent": 10, "rules-warning_percent": 40},
    )

    assert response.status_code == 302
    assert response.headers["Location"] == f"/tests/{test.id}#rules"
    db.session.expire_all()
    assert (test.bank_ratio, test.reprimand_percent, test.warning_percent) == (2, 10, 40)
