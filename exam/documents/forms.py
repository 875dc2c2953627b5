"""The public verification page's forms: a code to look up, a PDF to compare."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class CodeForm(FlaskForm):
    """Sent by GET: the code is in the address, nothing changes (no CSRF token)."""

    class Meta:
        csrf = False

    code = StringField(
        _l("Mã xác minh"),
        validators=[DataRequired(_l("Nhập mã xác minh in trên văn bản.")), Length(max=40)],
    )


class CompareForm(FlaskForm):
    file = FileField(
        _l("Tệp PDF cần đối chiếu"), validators=[FileRequired(_l("Chọn tệp để tải lên."))]
    )
