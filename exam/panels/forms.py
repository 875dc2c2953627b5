from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from exam.core.forms import REQUIRED, MultiCheckboxField, PageForm


class PanelForm(PageForm):
    name = StringField(_l("Tên ban"), validators=[DataRequired(REQUIRED), Length(max=200)])
    position_id = SelectField(_l("Vị trí"), coerce=int, validators=[DataRequired(REQUIRED)])
    chair_id = SelectField(_l("Trưởng ban"), coerce=int, validators=[DataRequired(REQUIRED)])
    member_ids = MultiCheckboxField(_l("Các thành viên khác"), coerce=int)


class ScoreForm(PageForm):
    score = StringField(
        _l("Điểm (thang 100)"),
        validators=[DataRequired(REQUIRED)],
        description=_l("Tối đa 2 chữ số thập phân, ví dụ 85,5. Phiếu đã gửi không sửa được."),
    )
    comment = TextAreaField(_l("Nhận xét"), validators=[Length(max=2000)])
