"""The one commit boundary of a request (docs/architecture.md, Transactions): a user's
action that may be refused (``run_operation``), a write nobody refuses in words
(``commit_after``), work done in recorded steps (``commit_each_step``). Nothing else in a
view commits or rolls back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import flash, redirect, request
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from exam.core import refused_forms
from exam.core.db import in_session_transaction
from exam.core.errors import DomainError, ValidationFailed
from exam.core.forms import populate_errors
from exam.extensions import db

T = TypeVar("T")


def run_operation(operation: Callable[[], Any], success: str, form: FlaskForm | None = None) -> Any:
    """Run ``operation`` in the request's one transaction: commit and flash ``success``, or
    roll everything back and put the reasons on ``form`` (flashed when there is no form).
    Returns the operation's result, or None when it was refused."""
    try:
        result = operation()
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        if form is not None:
            populate_errors(form, error)
        else:
            for message in _messages_of(error):
                flash(message, "danger")
        return None
    flash(success, "success")
    return result if result is not None else True


def commit_after(work: Callable[[], T], *, write_lock: bool = False, release: bool = False) -> T:
    """Run ``work``, a write that is never refused in words (an audited read, a sign-in, the
    server closing an expired paper, the exam day's fast path), and commit it; if it raises,
    roll everything back and let the error go on to the view. Returns what ``work`` returned.

    ``write_lock``: end the request's read first and begin the write with SQLite's write lock
    (a deferred transaction that read and then writes fails at once when another writer
    committed in between). ``release``: give the connection (and SQLite's write turn) back as
    soon as it is committed; what was read before is then detached."""
    if write_lock:
        db.session.commit()  # only a read ends here
        db.session.connection(execution_options={"sqlite_immediate": True})
    try:
        result = work()
        if in_session_transaction():  # none when the work ran on the driver (autocommit)
            db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    if release and db.session.registry.has():
        db.session.close()
    return result


def refused(form: FlaskForm | None, page: str | None = None) -> Response | None:
    """Post/Redirect/Get for a refused form. After a POST whose ``form`` carries errors (or
    with no form: a refusal already flashed), keep what was typed and why for the next GET of
    ``page`` (this address by default) and redirect there (303): the address is the page's,
    so a reload or Back posts nothing again. Otherwise None: the view renders its page, so a
    view ends with ``return refused(form) or render_template(...)``."""
    if request.method != "POST" or (form is not None and not form.errors):
        return None
    page = page or (request.full_path if request.query_string else request.path)
    if form is not None:
        refused_forms.keep(form, page=urlsplit(page).path)
    return redirect(page, code=303)


def submit_form_and_return(
    form: FlaskForm, operation: Callable[[], Any], success: str, page: str
) -> Response:
    """A form posted from ``page``: when valid, ``operation`` runs at the commit boundary
    (``run_operation``: ``success`` flashed, or the refusal put on the form); then back to
    ``page`` either way (Post/Redirect/Get), a refused form kept for its next GET. What the
    operation returned is not looked at: a 0 or an empty list is no refusal."""
    if form.validate_on_submit():
        run_operation(operation, success, form)
    return refused(form, page) or redirect(page)


def _messages_of(error: DomainError) -> list[str]:
    """Each reason of a refusal on its own line."""
    if isinstance(error, ValidationFailed):
        return [message for _, message in error.reasons]
    return [error.message]


def commit_each_step() -> None:
    """The boundary's commit for work done in recorded steps (each notice delivered stays
    delivered even if a later step fails): passed to operations as their ``after_each``."""
    db.session.commit()
