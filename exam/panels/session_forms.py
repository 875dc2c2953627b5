"""Forms of the đề án and of the interview sessions."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from exam.core.forms import REQUIRED, LocalDateTimeField, PageForm, WholeNumberField
from exam.core.i18n import to_local
from exam.panels.models import Panel
from exam.panels.plans import InterviewSettings
from exam.panels.sessions import PanelSession, presentation_sequence


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


def prefill_settings(form: InterviewSettingsForm, settings: InterviewSettings) -> None:
    """The round's settings in force, in Vietnam's time."""
    deadline = settings.plan_deadline
    form.plan_deadline.data = to_local(deadline).replace(tzinfo=None) if deadline else None
    form.presentation_minutes.data = settings.presentation_minutes
    form.questions_min_minutes.data = settings.questions_min_minutes
    form.questions_max_minutes.data = settings.questions_max_minutes


def prefill_session(form: SessionForm, current: PanelSession) -> None:
    form.room.data = current.room
    form.starts_at.data = to_local(current.starts_at).replace(tzinfo=None)
    form.slot_minutes.data = current.slot_minutes


def recording_choices(panel: Panel) -> list[SelectChoice]:
    """The whole session, or one candidate's turn in the order of presentation."""
    return [SelectChoice(0, _("Cả buổi"))] + [
        SelectChoice(a.id, f"{a.registration_number} — {a.candidate.full_name}")
        for a in presentation_sequence(panel)
    ]


def recording_form(panel: Panel) -> RecordingForm:
    form = RecordingForm()
    form.application_id.choices = recording_choices(panel)
    return form
