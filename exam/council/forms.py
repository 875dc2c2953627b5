from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from exam.core.forms import (
    REQUIRED,
    LocalDateTimeField,
    MultiCheckboxField,
    PageForm,
    VietnameseDateField,
)
from exam.council.models import VoteChoice


class BodyForm(PageForm):
    """A body set up by a decision: its kind, the decision's number, date and signer."""

    kind = SelectField(_l("Hội đồng, ban"), validators=[DataRequired(REQUIRED)])
    name = StringField(
        _l("Tên ban phỏng vấn"),
        validators=[Optional(), Length(max=200)],
        description=_l("Chỉ với ban phỏng vấn, chấm đề án, ví dụ «Vị trí Trưởng khoa Nội»."),
    )
    decision_number = StringField(
        _l("Số quyết định"),
        validators=[DataRequired(REQUIRED), Length(max=50)],
        description=_l("Ví dụ 12/QĐ-HĐTT; mỗi số chỉ dùng một lần trong kỳ thi."),
    )
    decision_on = VietnameseDateField(_l("Ngày quyết định"), validators=[DataRequired(REQUIRED)])
    signer_name = StringField(_l("Người ký"), validators=[DataRequired(REQUIRED), Length(max=120)])
    signer_title = StringField(
        _l("Chức vụ người ký"),
        validators=[DataRequired(REQUIRED), Length(max=200)],
        description=_l(
            "Hội đồng, Ban giám sát: người đứng đầu cơ quan tổ chức thi tuyển (ví dụ «Giám đốc "
            "Sở Nội vụ»); các ban: Chủ tịch Hội đồng thi tuyển."
        ),
    )


class MemberForm(PageForm):
    user_id = SelectField(_l("Thành viên"), coerce=int, validators=[DataRequired(REQUIRED)])
    function = SelectField(_l("Chức danh"), validators=[DataRequired(REQUIRED)])
    post = StringField(
        _l("Chức vụ, đơn vị công tác"),
        validators=[Optional(), Length(max=200)],
        description=_l("Như ghi trong danh sách kèm theo quyết định."),
    )


class MeetingForm(PageForm):
    held_at = LocalDateTimeField(_l("Thời gian họp"), validators=[DataRequired(REQUIRED)])
    place = StringField(_l("Địa điểm"), validators=[DataRequired(REQUIRED), Length(max=200)])
    attendee_ids = MultiCheckboxField(_l("Thành viên dự họp"), coerce=int)
    presiding_id = SelectField(
        _l("Người chủ trì"),
        coerce=int,
        validators=[DataRequired(REQUIRED)],
        description=_l("Chủ tịch Hội đồng; khi Chủ tịch vắng, một Phó Chủ tịch."),
    )


class ItemForm(PageForm):
    title = StringField(
        _l("Nội dung biểu quyết"), validators=[DataRequired(REQUIRED), Length(max=300)]
    )
    motion = TextAreaField(
        _l("Đề xuất"),
        validators=[Length(max=5000)],
        description=_l("Điều được thông qua nếu đa số tán thành."),
    )


class VoteForm(PageForm):
    voter_id = SelectField(_l("Thành viên"), coerce=int, validators=[DataRequired(REQUIRED)])
    choice = RadioField(
        _l("Biểu quyết"),
        choices=[SelectChoice(value, title) for value, title in VoteChoice.__titles__().items()],
        validators=[DataRequired(REQUIRED)],
    )


class NewDecisionForm(PageForm):
    """A later decision for a body whose members changed: its own number, date and signer."""

    decision_number = StringField(
        _l("Số quyết định mới"),
        validators=[DataRequired(REQUIRED), Length(max=50)],
        description=_l("Một số mới, chưa dùng trong kỳ thi, ví dụ 15/QĐ-HĐTT."),
    )
    decision_on = VietnameseDateField(_l("Ngày quyết định"), validators=[DataRequired(REQUIRED)])
    signer_name = StringField(_l("Người ký"), validators=[DataRequired(REQUIRED), Length(max=120)])
    signer_title = StringField(
        _l("Chức vụ người ký"), validators=[DataRequired(REQUIRED), Length(max=200)]
    )
