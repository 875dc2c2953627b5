"""The marking's forms. A marking sheet's and a settlement's points are read by field name
from the request (one field per criterion or per essay item, known only from the script); the
operations check each of them."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DecimalField, SelectField, StringField, TextAreaField
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


def with_points(form_class: type[PageForm], names: Iterable[str]) -> PageForm:
    """``form_class`` with one text field per point field of the script (``mark-…`` or
    ``item-…``), checked by the operation: a refused sheet comes back with the points typed
    (``exam/core/views.py::refused`` keeps only a form's own fields)."""
    fields = {name: StringField(validators=[Optional()]) for name in names}
    fields |= {"__module__": form_class.__module__, "__qualname__": form_class.__qualname__}
    return type(form_class.__name__, (form_class,), fields)()


class PaperTestForm(PageForm):
    title = StringField(
        _l("Tên bài thi viết"), validators=[DataRequired(REQUIRED), Length(max=200)]
    )
    criteria = TextAreaField(
        _l("Hướng dẫn chấm: tiêu chí và điểm"),
        validators=[DataRequired(REQUIRED), Length(max=5000)],
        description=_l("Mỗi dòng một tiêu chí: «nội dung | điểm». Tổng điểm là điểm của bài."),
    )

    def criteria_lines(self) -> list[tuple[str, Decimal]]:
        """The criteria typed, one a line; a line without a number gets 0 points, which the
        operation refuses with its reason."""
        lines = []
        for line in (self.criteria.data or "").splitlines():
            if not line.strip():
                continue
            wording, _, points = line.rpartition("|")
            try:
                value = Decimal(points.strip().replace(",", "."))
            except InvalidOperation:
                wording, value = line, Decimal(0)
            lines.append((wording.strip(), value if value.is_finite() else Decimal(0)))
        return lines


class ScanForm(PageForm):
    registration_number = StringField(
        _l("Số báo danh"), validators=[DataRequired(REQUIRED), Length(max=20)]
    )
    file = FileField(
        _l("Bài thi đã quét (PDF)"), validators=[FileRequired(_l("Chọn tệp để tải lên."))]
    )


class ScanZipForm(PageForm):
    file = FileField(
        _l("Tệp ZIP các bài thi đã quét"),
        validators=[FileRequired(_l("Chọn tệp để tải lên."))],
        description=_l("Mỗi bài một tệp PDF đặt tên theo số báo danh: <số báo danh>.pdf."),
    )


def marks_from(formdata: object, prefix: str) -> dict[str, str]:
    """The request's fields named ``prefix``…: a sheet's criteria or a settlement's items."""
    return {k: v for k, v in formdata.items() if k.startswith(prefix)}  # type: ignore[attr-defined]
