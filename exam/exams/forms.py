from flask_babel import lazy_gettext as _l
from wtforms import DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from exam.core.forms import REQUIRED, LocalDateTimeField, PageForm, WholeNumberField
from exam.exams.models import (
    BANK_RATIO_DEFAULT,
    BANK_RATIO_RANGE,
    LATE_ENTRY_MINUTES_DEFAULT,
    LATE_ENTRY_MINUTES_RANGE,
    PENALTY_PERCENT_RANGE,
    REPRIMAND_PERCENT_DEFAULT,
    WARNING_PERCENT_DEFAULT,
    Penalty,
    ReviewOption,
)
from exam.question_bank.models import Difficulty


def _late_entry_field(label: str, *required: object) -> IntegerField:
    low, high = LATE_ENTRY_MINUTES_RANGE
    return WholeNumberField(
        label,
        default=LATE_ENTRY_MINUTES_DEFAULT,
        description=_l(
            "Mặc định %(n)d phút. Không sửa được sau khi ca thi bắt đầu.",
            n=LATE_ENTRY_MINUTES_DEFAULT,
        ),
        validators=[
            *required,
            NumberRange(low, high, _l("Từ %(min)d đến %(max)d phút.")),
        ],
    )


def _review_choices() -> list[tuple[str, str]]:
    return [(option.value, option.title) for option in ReviewOption]


class TestForm(PageForm):
    title = StringField(_l("Tên bài thi"), validators=[DataRequired(REQUIRED), Length(max=200)])
    bank_id = SelectField(
        _l("Rút câu hỏi từ ngân hàng"), coerce=int, validators=[DataRequired(REQUIRED)]
    )
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
    late_entry_minutes = _late_entry_field(
        _l("Không cho vào thi sau (phút kể từ giờ bắt đầu)"), Optional()
    )
    review_option = SelectField(
        _l("Sau khi thi, thí sinh được xem"),
        choices=_review_choices,
        default=ReviewOption.SCORE_ONLY.value,
    )


def _difficulty_choices() -> list[tuple[str, str]]:
    return [("", _l("Mọi mức độ"))] + [(d.value, d.title) for d in Difficulty]


class SectionForm(PageForm):
    title = StringField(_l("Tên phần"), validators=[DataRequired(REQUIRED), Length(max=200)])
    category_id = SelectField(_l("Chủ đề (gồm cả chủ đề con)"), coerce=int, default=0)
    difficulty = SelectField(_l("Mức độ"), choices=_difficulty_choices, default="")
    question_type = SelectField(_l("Loại câu hỏi"), default="")
    question_count = IntegerField(
        _l("Số câu hỏi"),
        validators=[InputRequired(REQUIRED), NumberRange(1, 300, _l("Từ 1 đến 300."))],
    )
    points_per_question = DecimalField(
        _l("Điểm mỗi câu"),
        default=1,
        places=2,
        validators=[InputRequired(REQUIRED), NumberRange(0.01, 100, _l("Từ 0,01 đến 100."))],
    )


class SessionForm(PageForm):
    name = StringField(_l("Tên ca thi"), validators=[DataRequired(REQUIRED), Length(max=100)])
    starts_at = LocalDateTimeField(
        _l("Giờ bắt đầu ca thi"), validators=[DataRequired(_l("Nhập ngày giờ hợp lệ."))]
    )
    late_entry_minutes = _late_entry_field(
        _l("Không cho vào thi sau (phút)"), InputRequired(REQUIRED)
    )


class LateEntryForm(PageForm):
    late_entry_minutes = _late_entry_field(
        _l("Không cho vào thi sau (phút kể từ giờ bắt đầu)"), InputRequired(REQUIRED)
    )


def _percent_field(label: str, default: int, description: str) -> IntegerField:
    low, high = PENALTY_PERCENT_RANGE
    return WholeNumberField(
        label,
        default=default,
        description=description,
        validators=[
            InputRequired(REQUIRED),
            NumberRange(low, high, _l("Từ %(min)d đến %(max)d%%.")),
        ],
    )


class TestRulesForm(PageForm):
    """The test's numbers with a legal default (docs/domain.md §5, §10)."""

    bank_ratio = WholeNumberField(
        _l("Ngân hàng có ít nhất (lần số câu của đề)"),
        default=BANK_RATIO_DEFAULT,
        description=_l(
            "Mặc định %(n)d lần: mỗi phần của đề chỉ rút từ một ngân hàng có ít nhất %(n)d lần "
            "số câu của phần đó.",
            n=BANK_RATIO_DEFAULT,
        ),
        validators=[
            InputRequired(REQUIRED),
            NumberRange(*BANK_RATIO_RANGE, _l("Từ %(min)d đến %(max)d lần.")),
        ],
    )
    reprimand_percent = _percent_field(
        _l("Khiển trách: trừ (phần trăm điểm bài thi)"),
        REPRIMAND_PERCENT_DEFAULT,
        _l(
            "Mặc định %(n)d%% (Nội quy kỳ thi, Thông tư 22/2025/TT-BNV).",
            n=REPRIMAND_PERCENT_DEFAULT,
        ),
    )
    warning_percent = _percent_field(
        _l("Cảnh cáo: trừ (phần trăm điểm bài thi)"),
        WARNING_PERCENT_DEFAULT,
        _l(
            "Mặc định %(n)d%% (Nội quy kỳ thi, Thông tư 22/2025/TT-BNV).", n=WARNING_PERCENT_DEFAULT
        ),
    )


class RoomForm(PageForm):
    name = StringField(_l("Tên phòng thi"), validators=[DataRequired(REQUIRED), Length(max=100)])
    capacity = IntegerField(
        _l("Số chỗ ngồi (máy tính)"),
        validators=[InputRequired(REQUIRED), NumberRange(1, 1000, _l("Từ 1 đến 1000."))],
    )
    invigilator_id = SelectField(_l("Cán bộ coi thi"), coerce=int, default=0)


class ReviewForm(PageForm):
    review_option = SelectField(_l("Sau khi thi, thí sinh được xem"), choices=_review_choices)


class AccommodationForm(PageForm):
    candidate_id = SelectField(_l("Thí sinh"), coerce=int, validators=[DataRequired(REQUIRED)])
    extra_time_percent = IntegerField(
        _l("Thêm thời gian (% thời gian làm bài)"),
        default=25,
        validators=[InputRequired(REQUIRED), NumberRange(0, 200, _l("Từ 0 đến 200%."))],
    )
    reason = TextAreaField(_l("Lý do, giấy tờ kèm theo"), validators=[DataRequired(REQUIRED)])


class StartForm(PageForm):
    session_code = StringField(
        _l("Mã ca thi"),
        validators=[DataRequired(REQUIRED), Length(max=12)],
        description=_l("Cán bộ coi thi đọc mã này khi bắt đầu ca thi."),
    )


class ExtraTimeForm(PageForm):
    minutes = IntegerField(
        _l("Số phút cộng thêm"),
        validators=[InputRequired(REQUIRED), NumberRange(1, 600, _l("Từ 1 đến 600 phút."))],
    )
    reason = TextAreaField(_l("Lý do"), validators=[DataRequired(REQUIRED)])


class RetakeForm(PageForm):
    minutes = IntegerField(
        _l("Thời gian làm bài còn lại (phút, kể từ bây giờ)"),
        validators=[InputRequired(REQUIRED), NumberRange(1, 600, _l("Từ 1 đến 600 phút."))],
    )
    reason = TextAreaField(_l("Sự cố máy tính"), validators=[DataRequired(REQUIRED)])


def _penalty_choices() -> list[tuple[str, str]]:
    return [(p.value, p.title) for p in Penalty]


class IncidentForm(PageForm):
    penalty = SelectField(_l("Hình thức xử lý"), choices=_penalty_choices)
    description = TextAreaField(
        _l("Nội dung vi phạm (theo biên bản)"), validators=[DataRequired(REQUIRED)]
    )


class VoidForm(PageForm):
    reason = TextAreaField(_l("Lý do hủy câu hỏi"), validators=[DataRequired(REQUIRED)])
