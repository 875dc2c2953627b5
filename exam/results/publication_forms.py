"""The forms of a ranking's lifecycle: the Council's decision approving it, a correction's
reason, a winner's withdrawal, what the public page shows."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from exam.core.forms import REQUIRED, PageForm, VietnameseDateField
from exam.results.models import PublicScope


class ApprovalForm(PageForm):
    decision_number = StringField(
        _l("Số quyết định phê duyệt kết quả"),
        validators=[DataRequired(REQUIRED), Length(max=50)],
        description=_l(
            "Số tiếp theo trong dãy số quyết định của Hội đồng thi tuyển, ví dụ 05/QĐ-HĐTT; "
            "mỗi số chỉ dùng một lần trong kỳ thi."
        ),
    )
    decided_on = VietnameseDateField(_l("Ngày quyết định"), validators=[DataRequired(REQUIRED)])


class ReasonForm(PageForm):
    reason = TextAreaField(_l("Lý do"), validators=[DataRequired(REQUIRED), Length(max=2000)])


class PublicScopeForm(PageForm):
    scope = RadioField(
        _l("Trang kết quả công khai hiển thị"),
        choices=[SelectChoice(s.value, s.title) for s in PublicScope],
        validators=[DataRequired(REQUIRED)],
    )


class ProposalForm(PageForm):
    number = StringField(
        _l("Số tờ trình"),
        validators=[DataRequired(REQUIRED), Length(max=50)],
        description=_l(
            "Số tiếp theo trong dãy số văn bản của Hội đồng thi tuyển, ví dụ 06/TTr-HĐTT; "
            "mỗi số chỉ dùng một lần trong kỳ thi."
        ),
    )
    issued_on = VietnameseDateField(_l("Ngày tờ trình"), validators=[DataRequired(REQUIRED)])
