"""Forms of the đề án and of the interview sessions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from exam.core.forms import REQUIRED, LocalDateTimeField, PageForm, WholeNumberField


class InterviewSettingsForm(PageForm):
    plan_deadline = LocalDateTimeField(
        _l("Hạn nộp đề án"),
        validators=[Optional()],
        description=_l("dd/mm/yyyy hh:mm, giờ Việt Nam; để trống nếu chưa định."),
    )
    presentation_minutes = WholeNumberField(
        _l("Thời gian trình bày (phút, tối đa 45)"), validators=[DataRequired(REQUIRED)]
    )
    questions_min_minutes = WholeNumberField(
        _l("Hỏi đáp tối thiểu (phút)"), validators=[DataRequired(REQUIRED)]
    )
    questions_max_minutes = WholeNumberField(
        _l("Hỏi đáp tối đa (phút)"), validators=[DataRequired(REQUIRED)]
    )


class PlanForm(PageForm):
    file = FileField(
        _l("Tệp đề án (PDF)"),
        validators=[FileRequired(_l("Chọn tệp để tải lên."))],
        render_kw={"accept": ".pdf,application/pdf"},
    )


class SessionForm(PageForm):
    room = StringField(_l("Phòng"), validators=[DataRequired(REQUIRED), Length(max=120)])
    starts_at = LocalDateTimeField(_l("Bắt đầu lượt đầu tiên"), validators=[DataRequired(REQUIRED)])
    slot_minutes = WholeNumberField(
        _l("Thời lượng mỗi lượt (phút)"), validators=[DataRequired(REQUIRED)]
    )


class RecordingForm(PageForm):
    application_id = SelectField(_l("Thí sinh (nếu ghi riêng một lượt)"), coerce=int)
    file = FileField(
        _l("Tệp ghi âm hoặc ghi hình"),
        validators=[FileRequired(_l("Chọn tệp để tải lên."))],
        render_kw={"accept": "audio/*,video/*"},
    )
