from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from exam.core.forms import REQUIRED, LocalDateTimeField


class TestForm(FlaskForm):
    title = StringField(_l("Tên bài thi"), validators=[DataRequired(REQUIRED), Length(max=200)])
    bank_id = SelectField(_l("Rút câu hỏi từ ngân hàng"), coerce=int, validators=[DataRequired(REQUIRED)])
    question_count = IntegerField(
        _l("Số câu hỏi"),
        default=60,
        validators=[InputRequired(REQUIRED), NumberRange(1, 300, _l("Từ 1 đến 300."))],
    )
    duration_minutes = IntegerField(
        _l("Thời gian làm bài (phút)"),
        default=60,
        validators=[InputRequired(REQUIRED), NumberRange(1, 600, _l("Từ 1 đến 600 phút."))],
    )
    starts_at = LocalDateTimeField(
        _l("Giờ bắt đầu (chung cho mọi thí sinh)"),
        validators=[DataRequired(_l("Nhập ngày giờ hợp lệ."))],
    )


class StartForm(FlaskForm):
    session_code = StringField(
        _l("Mã ca thi"),
        validators=[DataRequired(REQUIRED), Length(max=12)],
        description=_l("Cán bộ coi thi đọc mã này khi bắt đầu ca thi."),
    )
