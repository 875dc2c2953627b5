"""The marking's forms. A marking sheet's and a settlement's points are read by field name
from the request (one field per criterion or per essay item, known only from the script); the
operations check each of them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DecimalField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from exam.core.forms import REQUIRED, PageForm
from exam.marking.models import ZeroReason


class LimitsForm(PageForm):
    agree_limit = DecimalField(
        _l("Chênh lệch tối đa để lấy trung bình (điểm, thang 100)"),
        validators=[InputRequired(REQUIRED)],
        description=_l("Theo Thông tư 22: 5 điểm."),
    )
    third_marker_limit = DecimalField(
        _l("Chênh lệch phải chấm lần ba (điểm, thang 100)"),
        validators=[InputRequired(REQUIRED)],
        description=_l("Theo Thông tư 22: từ 10 điểm trở lên."),
    )


class ZeroForm(PageForm):
    reason = SelectField(
        _l("Trường hợp"),
        choices=[SelectChoice(r.value, r.title) for r in ZeroReason],
        validators=[DataRequired(REQUIRED)],
    )
    minutes = TextAreaField(
        _l("Biên bản xử lý"),
        validators=[DataRequired(REQUIRED), Length(max=5000)],
        description=_l("Sự việc, người phát hiện, người chứng kiến, kết luận."),
    )


class SheetForm(PageForm):
    comments = TextAreaField(_l("Nhận xét"), validators=[Optional(), Length(max=5000)])


class SettleForm(PageForm):
    # Checked by the operation with the points, so that every reason shows at once.
    minutes = TextAreaField(
        _l("Biên bản thống nhất điểm"),
        validators=[Optional(), Length(max=5000)],
        description=_l(
            "Ý kiến của các thành viên chấm, cách thống nhất (trao đổi hoặc chấm tập thể), "
            "kết luận của Trưởng ban."
        ),
    )


def marks_from(formdata: object, prefix: str) -> dict[str, str]:
    """The request's fields named ``prefix``…: a sheet's criteria or a settlement's items."""
    return {k: v for k, v in formdata.items() if k.startswith(prefix)}  # type: ignore[attr-defined]
