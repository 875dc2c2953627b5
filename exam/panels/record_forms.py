"""Forms of the panel's record: attendance, incidents, the signed sheet's scan."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from exam.core.forms import REQUIRED, LocalDateTimeField, PageForm
from exam.panels.attendance import MAX_INCIDENT_CHARS


class IncidentForm(PageForm):
    occurred_at = LocalDateTimeField(
        _l("Thời điểm xảy ra"),
        validators=[DataRequired(REQUIRED)],
        description=_l("dd/mm/yyyy hh:mm, giờ Việt Nam."),
    )
    description = TextAreaField(
        _l("Sự việc"),
        validators=[DataRequired(REQUIRED), Length(max=MAX_INCIDENT_CHARS)],
    )


class ScanForm(PageForm):
    file = FileField(
        _l("Bản quét phiếu chấm đã ký (PDF, JPEG hoặc PNG)"),
        validators=[FileRequired(_l("Chọn tệp để tải lên."))],
        render_kw={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"},
    )
