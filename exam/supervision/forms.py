from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from exam.core.forms import REQUIRED, PageForm, VietnameseDateField
from exam.supervision.operations import MAX_TEXT


class TrailFilterForm(FlaskForm):
    """The trail's filters, read from the address (a GET form: no CSRF, nothing changes)."""

    class Meta:
        csrf = False

    actor_id = SelectField(_l("Người thực hiện"), coerce=int, default=0, validate_choice=False)
    object_type = SelectField(_l("Loại đối tượng"), default="", validate_choice=False)
    action = StringField(_l("Thao tác (phần đầu)"), validators=[Optional(), Length(max=80)])
    since = VietnameseDateField(_l("Từ ngày"), validators=[Optional()])
    until = VietnameseDateField(_l("Đến hết ngày"), validators=[Optional()])


class ReportForm(PageForm):
    scope = TextAreaField(
        _l("Nội dung đã giám sát"), validators=[DataRequired(REQUIRED), Length(max=MAX_TEXT)]
    )
    findings = TextAreaField(
        _l("Kết quả giám sát"), validators=[DataRequired(REQUIRED), Length(max=MAX_TEXT)]
    )
    recommendations = TextAreaField(_l("Kiến nghị"), validators=[Optional(), Length(max=MAX_TEXT)])
