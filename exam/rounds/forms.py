from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from exam.core.forms import REQUIRED, LocalDateTimeField


class RoundForm(FlaskForm):
    name = StringField(_l("Tên kỳ thi tuyển"), validators=[DataRequired(REQUIRED), Length(max=200)])
    organisation = StringField(
        _l("Cơ quan, đơn vị tổ chức"), validators=[DataRequired(REQUIRED), Length(max=200)]
    )
    registration_opens_at = LocalDateTimeField(
        _l("Bắt đầu nhận hồ sơ"), validators=[DataRequired(_l("Nhập ngày giờ hợp lệ."))]
    )
    registration_closes_at = LocalDateTimeField(
        _l("Hết hạn nhận hồ sơ"),
        validators=[DataRequired(_l("Nhập ngày giờ hợp lệ."))],
        description=_l("Theo quy định, thời hạn nhận hồ sơ thường là 30 ngày."),
    )


class PositionForm(FlaskForm):
    title = StringField(
        _l("Chức danh"),
        validators=[DataRequired(REQUIRED), Length(max=200)],
        description=_l("Ví dụ: Trưởng phòng Tổ chức – Hành chính"),
    )
    unit_name = StringField(_l("Đơn vị"), validators=[DataRequired(REQUIRED), Length(max=200)])
    posts = IntegerField(
        _l("Số lượng cần tuyển"),
        default=1,
        validators=[InputRequired(REQUIRED), NumberRange(1, 50, _l("Từ 1 đến 50."))],
    )
    standards = TextAreaField(_l("Tiêu chuẩn, điều kiện"), validators=[Length(max=5000)])
