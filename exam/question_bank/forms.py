from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from exam.core.forms import REQUIRED, VietnameseDateField
from exam.question_bank.models import Difficulty

OPTION_LETTERS = "ABCD"


class BankForm(FlaskForm):
    name = StringField(_l("Tên ngân hàng"), validators=[DataRequired(REQUIRED), Length(max=200)])
    description = TextAreaField(_l("Mô tả"), validators=[Length(max=2000)])


class SingleChoiceQuestionForm(FlaskForm):
    category = StringField(
        _l("Chủ đề"),
        validators=[Length(max=500)],
        description=_l("Các cấp cách nhau bởi dấu /, ví dụ: Luật Viên chức/Tuyển dụng"),
    )
    text = TextAreaField(_l("Nội dung câu hỏi"), validators=[DataRequired(REQUIRED)])
    option_a = StringField(_l("Phương án A"), validators=[DataRequired(REQUIRED)])
    option_b = StringField(_l("Phương án B"), validators=[DataRequired(REQUIRED)])
    option_c = StringField(_l("Phương án C"), validators=[DataRequired(REQUIRED)])
    option_d = StringField(_l("Phương án D"), validators=[DataRequired(REQUIRED)])
    correct = RadioField(
        _l("Phương án đúng"),
        choices=[SelectChoice(letter, letter) for letter in OPTION_LETTERS],
        validators=[DataRequired(_l("Chọn phương án đúng."))],
    )
    difficulty = SelectField(_l("Độ khó"), validators=[DataRequired(REQUIRED)])
    legal_basis = StringField(
        _l("Căn cứ pháp lý"),
        validators=[DataRequired(REQUIRED), Length(max=500)],
        description=_l("Văn bản, số hiệu, điều khoản."),
    )
    legal_basis_date = VietnameseDateField(_l("Ngày ban hành văn bản"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.difficulty.choices = [SelectChoice(d.value, d.title) for d in Difficulty]
