from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from exam.core.forms import REQUIRED, LocalDateTimeField, PageForm, VietnameseDateField
from exam.rounds.models import UnitLevel
from exam.rounds.operations import Rules, Schedule
from exam.rounds.standards import (
    MAX_RATING_YEARS,
    DegreeLevel,
    PoliticalTheory,
    Rank,
    Rating,
    Standards,
    StateManagement,
)

DATE_MESSAGE = _l("Nhập ngày hợp lệ theo dạng dd/mm/yyyy.")


class DefaultedIntegerField(IntegerField):
    """A whole number that takes its default when left empty (the page always shows it
    filled in)."""

    def process_formdata(self, valuelist):
        if not valuelist or not str(valuelist[0]).strip():
            self.data = self.default
            return
        try:
            self.data = int(str(valuelist[0]).strip())
        except ValueError:
            self.data = None
            raise ValueError(_l("Nhập một số nguyên.")) from None


def _months(label, default, low=0, high=120, description=None):
    return DefaultedIntegerField(
        label,
        default=default,
        description=description,
        validators=[
            NumberRange(low, high, _l("Nhập số nguyên từ %(a)s đến %(b)s.", a=low, b=high))
        ],
    )


def _optional_date(label, description=None):
    return VietnameseDateField(
        label,
        description=description,
        validators=[Optional()],
        render_kw={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"},
    )


class RoundForm(PageForm):
    """The plan and rules of a round (create, and edit while a draft)."""

    name = StringField(_l("Tên kỳ thi tuyển"), validators=[DataRequired(REQUIRED), Length(max=200)])
    organisation = StringField(
        _l("Cơ quan, đơn vị tổ chức"), validators=[DataRequired(REQUIRED), Length(max=200)]
    )
    parent_body = StringField(
        _l("Cơ quan cấp trên (dòng đầu của văn bản)"),
        default="UBND THÀNH PHỐ HÀ NỘI",
        validators=[Optional(), Length(max=200)],
    )
    registration_opens_at = LocalDateTimeField(
        _l("Bắt đầu nhận hồ sơ"), validators=[DataRequired(_l("Nhập ngày giờ hợp lệ."))]
    )
    registration_closes_at = LocalDateTimeField(
        _l("Hết hạn nhận hồ sơ"),
        validators=[DataRequired(_l("Nhập ngày giờ hợp lệ."))],
        description=_l("Theo quy định, thời hạn nhận hồ sơ thường là 30 ngày."),
    )
    test_date = _optional_date(_l("Ngày thi trắc nghiệm"), _l("Để trống nếu chưa ấn định."))
    presentation_starts_on = _optional_date(_l("Bắt đầu trình bày đề án, phỏng vấn"))
    presentation_ends_on = _optional_date(_l("Kết thúc trình bày đề án, phỏng vấn"))
    appointment_expected_on = _optional_date(
        _l("Ngày dự kiến bổ nhiệm"),
        _l(
            "Tuổi công tác còn lại (trọn nhiệm kỳ 5 năm) tính từ ngày này; để trống: tính từ "
            "ngày hết hạn nhận hồ sơ."
        ),
    )
    min_candidates_per_position = _months(
        _l("Số thí sinh đủ điều kiện tối thiểu mỗi vị trí"), 2, 1, 20
    )
    test_pass_mark = _months(_l("Điểm tối thiểu vòng trắc nghiệm (%)"), 50, 0, 100)
    winner_min_score = _months(_l("Điểm tối thiểu để trúng tuyển (thang 100)"), 50, 0, 100)
    panel_spread_limit = _months(
        _l("Chênh lệch điểm tối đa giữa các thành viên ban phỏng vấn"), 10, 0, 100
    )

    def schedule(self) -> Schedule:
        return Schedule(
            registration_opens_at=self.registration_opens_at.utc,
            registration_closes_at=self.registration_closes_at.utc,
            test_date=self.test_date.data,
            presentation_starts_on=self.presentation_starts_on.data,
            presentation_ends_on=self.presentation_ends_on.data,
            appointment_expected_on=self.appointment_expected_on.data,
        )

    def rules(self) -> Rules:
        return Rules(**{name: getattr(self, name).data for name in Rules.__dataclass_fields__})


class UnitForm(PageForm):
    name = StringField(_l("Tên đơn vị"), validators=[DataRequired(REQUIRED), Length(max=200)])
    level = SelectField(_l("Cấp"), validators=[DataRequired(REQUIRED)])
    parent_id = SelectField(_l("Đơn vị cấp trên"), coerce=int, validators=[Optional()])

    def __init__(self, units, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.level.choices = [SelectChoice(lv.value, lv.title) for lv in UnitLevel]
        self.parent_id.choices = [SelectChoice(0, _l("— Không (cấp thành phố) —"))] + [
            SelectChoice(u.id, u.path_label)
            for u in units
            if u.level != UnitLevel.DIVISION and not u.retired
        ]


class UnitEditForm(PageForm):
    """Rename a unit or move it under another unit of the level above."""

    name = StringField(_l("Tên đơn vị"), validators=[DataRequired(REQUIRED), Length(max=200)])
    parent_id = SelectField(_l("Đơn vị cấp trên"), coerce=int, validators=[Optional()])

    def __init__(self, unit, units, *args, **kwargs):
        super().__init__(*args, **kwargs)
        above = unit.level.depth - 1
        self.parent_id.choices = [SelectChoice(0, _l("— Không (cấp thành phố) —"))] + [
            SelectChoice(u.id, u.path_label)
            for u in units
            if u.level.depth == above and (not u.retired or u.id == unit.parent_id)
        ]


def _level_choices(enum_cls, none_label=None):
    choices = [SelectChoice("", none_label)] if none_label else []
    return choices + [SelectChoice(m.value, m.title) for m in enum_cls if m.value != "none"]


class PositionForm(PageForm):
    title = StringField(
        _l("Chức danh"),
        validators=[DataRequired(REQUIRED), Length(max=200)],
        description=_l("Ví dụ: Trưởng phòng Tổ chức – Hành chính"),
    )
    unit_id = SelectField(
        _l("Đơn vị"),
        coerce=int,
        validators=[DataRequired(_l("Chọn đơn vị của vị trí."))],
        description=_l("Đơn vị trong cây tổ chức (phòng, khoa hoặc đơn vị sự nghiệp)."),
    )
    posts = IntegerField(
        _l("Số lượng cần tuyển"),
        default=1,
        validators=[InputRequired(REQUIRED), NumberRange(1, 50, _l("Từ 1 đến 50."))],
    )
    # The structured standards.
    degree_level = SelectField(_l("Trình độ chuyên môn tối thiểu"), default="university")
    degree_fields = TextAreaField(
        _l("Chuyên ngành phù hợp"),
        description=_l("Mỗi dòng một chuyên ngành; để trống: không giới hạn chuyên ngành."),
        validators=[Length(max=3000)],
    )
    political_theory = SelectField(_l("Lý luận chính trị tối thiểu"), default="intermediate")
    state_management = SelectField(_l("Quản lý nhà nước tối thiểu"), default="specialist")
    leadership_training = BooleanField(
        _l("Yêu cầu chứng chỉ bồi dưỡng kiến thức lãnh đạo, quản lý"), default=True
    )
    rank = SelectField(_l("Ngạch công chức, hạng viên chức tối thiểu"), default="grade_3")
    months_in_post = _months(_l("Số tháng giữ chức vụ hiện tại hoặc tương đương"), 12, 0, 240)
    rating_years = _months(_l("Số năm liền kề được đánh giá"), 3, 0, MAX_RATING_YEARS)
    min_rating = SelectField(_l("Mức đánh giá tối thiểu mỗi năm"), default="good")
    reprimand_cooloff_months = _months(_l("Sau kỷ luật khiển trách (tháng)"), 12)
    warning_cooloff_months = _months(_l("Sau kỷ luật cảnh cáo (tháng)"), 30)
    dismissal_cooloff_months = _months(_l("Sau kỷ luật cách chức, giáng chức (tháng)"), 60)
    term_months = _months(_l("Thời gian công tác còn lại tối thiểu (tháng)"), 60)
    age_exception_allowed = BooleanField(_l("Cho phép trường hợp ngoại lệ về tuổi"), default=True)
    age_exception_months = _months(_l("Thời gian công tác còn lại theo ngoại lệ (tháng)"), 48)
    managing_body_approval = BooleanField(
        _l("Yêu cầu văn bản đồng ý của cơ quan quản lý"), default=True
    )
    health_certificate_max_months = _months(
        _l("Giấy chứng nhận sức khỏe cấp không quá (tháng)"), 6, 1, 24
    )
    standards = TextAreaField(
        _l("Tiêu chuẩn, điều kiện khác"),
        validators=[Length(max=5000)],
        description=_l("Những yêu cầu không có ở trên (kinh nghiệm trong ngành, …)."),
    )

    def __init__(self, units, *args, current_unit_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit_id.choices = [SelectChoice(0, _l("— Chọn đơn vị —"))] + [
            SelectChoice(u.id, u.path_label)
            for u in units
            if u.level in (UnitLevel.PUBLIC_SERVICE_UNIT, UnitLevel.DIVISION)
            and (not u.retired or u.id == current_unit_id)
        ]
        none = _l("Không yêu cầu")
        self.degree_level.choices = _level_choices(DegreeLevel, none)
        self.political_theory.choices = _level_choices(PoliticalTheory, none)
        self.state_management.choices = _level_choices(StateManagement, none)
        self.rank.choices = _level_choices(Rank, none)
        self.min_rating.choices = _level_choices(Rating)

    def criteria(self) -> dict:
        data = {
            name: getattr(self, name).data
            for name in (
                "degree_level",
                "political_theory",
                "state_management",
                "leadership_training",
                "rank",
                "months_in_post",
                "rating_years",
                "min_rating",
                "reprimand_cooloff_months",
                "warning_cooloff_months",
                "dismissal_cooloff_months",
                "term_months",
                "age_exception_allowed",
                "age_exception_months",
                "managing_body_approval",
                "health_certificate_max_months",
            )
        }
        data["degree_fields"] = [
            line for line in (self.degree_fields.data or "").splitlines() if line.strip()
        ]
        return data

    def details(self) -> dict:
        """The position's title, posts and standards, as the operations take them."""
        return {
            "title": self.title.data,
            "posts": self.posts.data,
            "standards": self.standards.data or "",
            "criteria": Standards.from_dict(self.criteria()),
        }

    def fill(self, standards: Standards) -> None:
        for name, value in standards.to_dict().items():
            field = getattr(self, name)
            if name == "degree_fields":
                field.data = "\n".join(value)
            else:
                field.data = "" if value is None else value


class StopPositionForm(PageForm):
    reason = TextAreaField(
        _l("Lý do dừng thi tuyển vị trí này"),
        validators=[DataRequired(REQUIRED), Length(max=2000)],
    )
