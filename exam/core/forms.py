"""Form helpers shared by every domain."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField

from exam.core.errors import DomainError, ValidationFailed
from exam.core.i18n import local_to_utc

REQUIRED = _l("Vui lòng điền mục này.")


def populate_errors(form: FlaskForm, error: DomainError) -> None:
    """Put an operation's reasons next to the fields they concern (or on the whole form)."""
    reasons = (
        error.reasons if isinstance(error, ValidationFailed) else [(error.field, error.message)]
    )
    for field_name, message in reasons:
        field = getattr(form, field_name, None) if field_name else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)


class LocalDateTimeField(DateTimeLocalField):
    """A date and time typed in Hanoi time, given to operations as aware UTC."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])
        super().__init__(*args, **kwargs)

    @property
    def utc(self) -> dt.datetime | None:
        return local_to_utc(self.data) if self.data else None
