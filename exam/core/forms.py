"""Form helpers shared by every domain."""

from __future__ import annotations

import datetime as dt

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import DateField, DateTimeField, IntegerField, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from exam.core import refused_forms
from exam.core.errors import DomainError, ValidationFailed
from exam.core.i18n import local_to_utc

REQUIRED = _l("Vui lòng điền mục này.")
INVALID_DATE = _l("Nhập ngày hợp lệ theo dạng dd/mm/yyyy.")
INVALID_DATETIME = _l("Nhập ngày giờ hợp lệ theo dạng dd/mm/yyyy hh:mm.")
INVALID_WHOLE_NUMBER = _l("Nhập một số nguyên.")


class PageForm(FlaskForm):
    """A form of a page. Refused, it comes back once on the page's next GET with what was
    typed and why (``exam/core/views.py::refused``): such a form counts as submitted, so a
    view does not fill it again from the database, but only a real POST is validated."""

    def __init__(self, *args, **kwargs):
        kept = None
        if has_request_context() and request.method == "GET":
            kept = refused_forms.kept_data(type(self), kwargs.get("prefix", "").rstrip("-"))
        if kept is not None:
            kwargs["formdata"] = MultiDict(kept)
            args = ()  # formdata is the first positional argument
        super().__init__(*args, **kwargs)
        self.restored = kept is not None
        if self.restored:
            refused_forms.restore(self)

    def is_submitted(self) -> bool:
        return super().is_submitted() or self.restored

    def validate_on_submit(self, extra_validators=None) -> bool:
        return super().is_submitted() and self.validate(extra_validators)


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


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of checkboxes: a multiple select needs Ctrl-click, which
    nobody guesses and a tablet does not have."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WholeNumberField(IntegerField):
    """An integer whose refusal of "ba" or "2,5" is said in Vietnamese, not WTForms' English."""

    def process_formdata(self, valuelist: list) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(INVALID_WHOLE_NUMBER) from None


class VietnameseDateField(DateField):
    """A date typed as dd/mm/yyyy, whatever the browser's language (ISO also accepted).
    A plain text input: the browser's own date picker shows mm/dd/yyyy in some locales."""

    widget = TextInput()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", ["%d/%m/%Y", "%Y-%m-%d"])
        kwargs.setdefault("invalid_value_message", INVALID_DATE)  # not WTForms' English
        kwargs.setdefault("render_kw", {"placeholder": "dd/mm/yyyy", "inputmode": "numeric"})
        super().__init__(*args, **kwargs)

    def _value(self) -> str:
        return self.data.strftime("%d/%m/%Y") if self.data else super()._value()


class LocalDateTimeField(DateTimeField):
    """A date and time typed as dd/mm/yyyy HH:MM in Hanoi time, given to operations as
    aware UTC (ISO also accepted)."""

    widget = TextInput()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", ["%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
        kwargs.setdefault("invalid_value_message", INVALID_DATETIME)
        kwargs.setdefault("render_kw", {"placeholder": "dd/mm/yyyy hh:mm"})
        super().__init__(*args, **kwargs)

    def _value(self) -> str:
        return self.data.strftime("%d/%m/%Y %H:%M") if self.data else super()._value()

    @property
    def utc(self) -> dt.datetime | None:
        return local_to_utc(self.data) if self.data else None
