from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange

from exam.core.forms import REQUIRED, MultiCheckboxField, PageForm


class PanelForm(PageForm):
    name = StringField(_l("Tên ban"), validators=[DataRequired(REQUIRED), Length(max=200)])
    position_id = SelectField(_l("Vị trí"), coerce=int, validators=[DataRequired(REQUIRED)])
    chair_id = SelectField(_l("Trưởng ban"), coerce=int, validators=[DataRequired(REQUIRED)])
    secretary_id = SelectField(
        _l("Thư ký"),
        coerce=int,
        default=0,
        description=_l("Thư ký điều hành buổi phỏng vấn và lập biên bản; có thể để trống."),
    )
    member_ids = MultiCheckboxField(_l("Các thành viên khác"), coerce=int)


class ScoreForm(PageForm):
    score = StringField(
        _l("Điểm (thang 100)"),
        validators=[DataRequired(REQUIRED)],
        description=_l("Tối đa 2 chữ số thập phân, ví dụ 85,5. Phiếu đã gửi không sửa được."),
    )
    comment = TextAreaField(_l("Nhận xét"), validators=[Length(max=2000)])


class CriterionRow(Form):
    """One criterion of the marking guide (a row of the guide's form)."""

    title = StringField(_l("Tiêu chí"), validators=[Length(max=200)])
    max_points = StringField(_l("Điểm tối đa"))
    descriptor = TextAreaField(_l("Mô tả mức điểm"), validators=[Length(max=2000)])


class GuideForm(PageForm):
    criteria = FieldList(FormField(CriterionRow), min_entries=1, max_entries=12)
    min_sheets = IntegerField(
        _l("Số phiếu tối thiểu cho mỗi thí sinh (sau khi trừ thành viên phải tránh)"),
        default=2,
        validators=[NumberRange(min=1, max=20)],
    )
    trimmed_mean = BooleanField(_l("Bỏ điểm cao nhất và thấp nhất khi có từ 3 phiếu"))


class DeclarationForm(PageForm):
    """One select per candidate, named ``relation_<application id>``, added by the view."""


class ReasonForm(PageForm):
    reason = TextAreaField(_l("Lý do"), validators=[DataRequired(REQUIRED), Length(max=2000)])


class SpreadForm(ReasonForm):
    decision = RadioField(_l("Quyết định"), validators=[DataRequired(REQUIRED)])


class ReplaceMemberForm(ReasonForm):
    user_id = SelectField(_l("Người thay"), coerce=int, validators=[DataRequired(REQUIRED)])


def criterion_field(criterion_id: int) -> str:
    return f"criterion_{criterion_id}"


def sheet_form(criteria: list) -> PageForm:
    """A sheet's form: one field per criterion of the guide (``criterion_<id>``), checked by
    the operation (a draft may leave some blank), and a comment."""

    class SheetForm(PageForm):
        comment = TextAreaField(_l("Nhận xét"), validators=[Length(max=2000)])

    for criterion in criteria:
        setattr(
            SheetForm,
            criterion_field(criterion.id),
            StringField(
                criterion.title,
                description=_l(
                    "Tối đa %(m)s điểm.", m=format(criterion.max_points.normalize(), "f")
                ),
                render_kw={"inputmode": "decimal", "data-max": str(criterion.max_points)},
            ),
        )
    return SheetForm()


class AddPositionForm(PageForm):
    position_id = SelectField(
        _l("Giao thêm vị trí cho ban"), coerce=int, validators=[DataRequired(REQUIRED)]
    )
