"""The appeals' forms: the round's appeal settings (§9). The operation checks the ranges, so
that every reason shows at once."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DecimalField
from wtforms.validators import InputRequired

from exam.core.forms import REQUIRED, PageForm, WholeNumberField

INVALID_NUMBER = _l("Nhập một số, ví dụ 5 hoặc 4,5.")


class PointsField(DecimalField):
    """Points typed with a decimal comma or point; a refusal said in Vietnamese."""

    def process_formdata(self, valuelist: list) -> None:
        try:
            super().process_formdata([v.strip().replace(",", ".") for v in valuelist])
        except ValueError:
            raise ValueError(INVALID_NUMBER) from None
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError(INVALID_NUMBER)


class AppealRulesForm(PageForm):
    working_days = WholeNumberField(
        _l("Thời hạn nhận đơn phúc khảo (ngày làm việc)"),
        validators=[InputRequired(REQUIRED)],
        description=_l("Kể từ ngày công bố kết quả; theo Nghị định 170: 5 ngày làm việc."),
    )
    remark_agree_limit = PointsField(
        _l("Chênh lệch tối đa giữa hai thành viên chấm phúc khảo (điểm, thang 100)"),
        validators=[InputRequired(REQUIRED)],
        description=_l("Lớn hơn thì bốc thăm thành viên chấm lần ba; theo Thông tư 22: 5 điểm."),
    )
    replace_limit = PointsField(
        _l("Chênh lệch so với điểm đã công bố để Chủ tịch Hội đồng quyết định (điểm)"),
        validators=[InputRequired(REQUIRED)],
        description=_l(
            "Chênh lệch nhỏ hơn thì điểm phúc khảo thay điểm đã công bố; theo Thông tư 22: 5 điểm."
        ),
    )
    remark_days = WholeNumberField(
        _l("Thời hạn chấm phúc khảo (ngày)"),
        validators=[InputRequired(REQUIRED)],
        description=_l("Kể từ ngày hết hạn nhận đơn; theo Nghị định 170: 10 ngày, tối đa 20 ngày."),
    )
