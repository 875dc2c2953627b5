"""Post/Redirect/Get for refused forms: what a refused POST typed and why it was refused,
kept on the server for the next GET of the form's page, which shows it once.

Kept in a table, not in the signed cookie (~4 KB: a position's standards outgrow it); the
row's random id is named only by the session's cookie, so no one else can pick it up.
Never kept: passwords, files, the CSRF token. Rows older than an hour are pruned."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import sqlalchemy as sa
from flask import g, request, session
from flask_wtf import FlaskForm
from sqlalchemy.orm import Mapped, mapped_column
from wtforms import FieldList, FileField, FormField, PasswordField
from wtforms.csrf.core import CSRFTokenField

from exam.core.db import UTCDateTime, utcnow
from exam.extensions import db

SESSION_KEY = "refused_form"
KEPT_FOR = dt.timedelta(hours=1)
# Longer values are not kept (the person types them again); the forms' own limits are lower.
MAX_KEPT_VALUE = 10_000
MAX_KEPT = 100_000
_SECRET_FIELDS = (PasswordField, FileField, CSRFTokenField)


class RefusedForm(db.Model):
    __tablename__ = "refused_forms"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    page: Mapped[str] = mapped_column(sa.String(2000))  # the path whose next GET shows it
    form: Mapped[str] = mapped_column(sa.String(300))  # the form's class and prefix
    content: Mapped[dict] = mapped_column(sa.JSON)  # {"data": [[name, value]…], "errors": …}
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


def form_key(form_class: type, prefix: str) -> str:
    return f"{form_class.__module__}.{form_class.__qualname__}:{prefix}"


def keep(form: FlaskForm, page: str) -> None:
    """Keep ``form``'s submitted values and errors for the next GET of the path ``page``
    (committed; whatever the refused request changed is rolled back first)."""
    fields = list(_all_fields(form))
    own = {f.name for f in fields if not isinstance(f, _SECRET_FIELDS)}
    content = {
        "data": _kept_values(own),
        "errors": {f.name: _plain(f.errors) for f in fields if f.errors},
        "form_errors": _plain(form.form_errors),
    }
    db.session.rollback()
    now = utcnow()
    earlier = session.pop(SESSION_KEY, None)
    db.session.execute(
        sa.delete(RefusedForm).where(
            sa.or_(
                RefusedForm.created_at < now - KEPT_FOR,
                RefusedForm.id == (earlier or {}).get("id", ""),
            )
        )
    )
    row = RefusedForm(
        id=secrets.token_urlsafe(32),
        page=page,
        form=form_key(type(form), form._prefix.rstrip("-")),
        content=content,
        created_at=now,
    )
    db.session.add(row)
    db.session.commit()
    session[SESSION_KEY] = {"id": row.id, "page": page}


def _kept_values(names: set[str]) -> list[list[str]]:
    """The posted values of the form's own fields, each at most MAX_KEPT_VALUE characters:
    a refused POST, even an anonymous one, must not store whatever else it carried."""
    kept, size = [], 0
    for name, value in request.form.items(multi=True):
        if name in names and len(value) <= MAX_KEPT_VALUE and size + len(value) <= MAX_KEPT:
            kept.append([name, value])
            size += len(value)
    return kept


def take_for_this_page() -> None:
    """Before a GET of the page a refused form was kept for: take it (once) into ``g``."""
    kept = session.get(SESSION_KEY)
    if request.method != "GET" or not kept or kept.get("page") != request.path:
        return
    session.pop(SESSION_KEY)
    row = db.session.get(RefusedForm, kept.get("id", ""))
    if row is not None:
        g.refused_form = {"form": row.form, **row.content}
        db.session.delete(row)
        db.session.commit()


def restore(form: FlaskForm) -> None:
    """Put the kept errors back on ``form``, processed with the kept values."""
    kept = g.pop("refused_form")
    for field in _all_fields(form):
        if field.name in kept["errors"] and not isinstance(field, FormField):  # derived
            field.errors = kept["errors"][field.name]
    form.form_errors = list(kept["form_errors"])


def kept_data(form_class: type, prefix: str) -> list | None:
    """The values kept for this form of this page, if a refused POST left some."""
    kept = g.get("refused_form")
    if kept and kept["form"] == form_key(form_class, prefix):
        return kept["data"]
    return None


def _all_fields(form: Any):
    for field in form:
        yield field
        if isinstance(field, FormField):
            yield from _all_fields(field.form)
        elif isinstance(field, FieldList):
            for entry in field.entries:
                yield entry
                if isinstance(entry, FormField):
                    yield from _all_fields(entry.form)


def _plain(value: Any) -> Any:
    """Errors as JSON (lazy translations become the text shown)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)
