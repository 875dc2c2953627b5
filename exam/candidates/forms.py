from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from exam.candidates.models import Gender
from exam.core.forms import REQUIRED, VietnameseDateField


class ApplicationForm(FlaskForm):
    date_of_birth = VietnameseDateField(
        _l("Ngày sinh"), validators=[DataRequired(_l("Nhập ngày sinh hợp lệ."))]
    )
    gender = RadioField(
        _l("Giới tính"),
        choices=[SelectChoice(g.value, g.title) for g in Gender],
        validators=[DataRequired(REQUIRED)],
    )
    current_unit = StringField(
        _l("Cơ quan, đơn vị đang công tác"), validators=[DataRequired(REQUIRED), Length(max=200)]
    )
    current_post = StringField(
        _l("Chức vụ, vị trí việc làm hiện tại"),
        validators=[DataRequired(REQUIRED), Length(max=200)],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.gender.choices = [SelectChoice(g.value, g.title) for g in Gender]


class DecisionForm(FlaskForm):
    reason = TextAreaField(
        _l("Lý do / ghi chú"),
        validators=[Length(max=2000)],
        description=_l("Bắt buộc khi kết luận không đủ điều kiện."),
    )
