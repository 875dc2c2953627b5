from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from exam.candidates.eligibility import DocumentKind
from exam.candidates.models import Gender
from exam.candidates.values import ApplicationDetails, Person
from exam.core.forms import REQUIRED, PageForm, VietnameseDateField
from exam.rounds.standards import (
    DegreeLevel,
    Discipline,
    PoliticalTheory,
    Rank,
    Rating,
    StateManagement,
)

CHOOSE = _l("— Chọn —")
DATE_REQUIRED = _l("Nhập ngày hợp lệ theo dạng dd/mm/yyyy.")


def _choices(enum_cls) -> list[SelectChoice]:
    return [SelectChoice("", CHOOSE)] + [SelectChoice(m.value, m.title) for m in enum_cls]


def _enum(enum_cls, value):
    return enum_cls(value) if value else None


class ApplicationForm(PageForm):
    """The dossier (hồ sơ dự tuyển): who the candidate is and every fact the standards need."""

    national_id = StringField(
        _l("Số căn cước công dân (CCCD)"),
        validators=[
            DataRequired(REQUIRED),
            Regexp(r"^\s*\d{12}\s*$", message=_l("Số CCCD gồm đúng 12 chữ số.")),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    phone = StringField(
        _l("Số điện thoại"),
        validators=[
            Optional(),
            Regexp(r"^[0-9 +.()-]{8,20}$", message=_l("Số điện thoại không hợp lệ.")),
        ],
        render_kw={"inputmode": "tel", "autocomplete": "tel"},
    )
    date_of_birth = VietnameseDateField(
        _l("Ngày sinh"), validators=[DataRequired(_l("Nhập ngày sinh hợp lệ."))]
    )
    gender = RadioField(_l("Giới tính"), validators=[DataRequired(REQUIRED)])
    current_unit = StringField(
        _l("Cơ quan, đơn vị đang công tác"), validators=[DataRequired(REQUIRED), Length(max=200)]
    )
    current_post = StringField(
        _l("Chức vụ, vị trí việc làm hiện tại"),
        validators=[DataRequired(REQUIRED), Length(max=200)],
    )
    post_held_since = VietnameseDateField(
        _l("Giữ chức vụ hiện tại hoặc tương đương từ ngày"),
        validators=[DataRequired(DATE_REQUIRED)],
    )
    degree_level = SelectField(
        _l("Trình độ chuyên môn cao nhất"), validators=[DataRequired(REQUIRED)]
    )
    degree_field = StringField(
        _l("Chuyên ngành đào tạo"), validators=[DataRequired(REQUIRED), Length(max=200)]
    )
    political_theory = SelectField(
        _l("Trình độ lý luận chính trị"), validators=[DataRequired(REQUIRED)]
    )
    state_management = SelectField(
        _l("Trình độ quản lý nhà nước"), validators=[DataRequired(REQUIRED)]
    )
    leadership_training = RadioField(
        _l("Đã có chứng chỉ bồi dưỡng kiến thức lãnh đạo, quản lý"),
        validators=[DataRequired(REQUIRED)],
    )
    rank = SelectField(_l("Ngạch công chức, hạng viên chức"), validators=[DataRequired(REQUIRED)])
    rating_1 = SelectField(_l("Đánh giá, xếp loại năm"), validators=[DataRequired(REQUIRED)])
    rating_2 = SelectField(_l("Đánh giá, xếp loại năm"), validators=[DataRequired(REQUIRED)])
    rating_3 = SelectField(_l("Đánh giá, xếp loại năm"), validators=[DataRequired(REQUIRED)])
    discipline = SelectField(_l("Kỷ luật"), validators=[DataRequired(REQUIRED)])
    discipline_on = VietnameseDateField(
        _l("Ngày quyết định kỷ luật"),
        validators=[Optional()],
        description=_l("Chỉ nhập khi có kỷ luật."),
    )
    health_certificate_on = VietnameseDateField(
        _l("Ngày cấp giấy chứng nhận sức khỏe"),
        validators=[Optional()],
        description=_l("Có thể bổ sung trước khi hết hạn nhận hồ sơ."),
    )
    declaration = BooleanField(validators=[DataRequired(_l("Bạn cần đánh dấu lời cam đoan."))])

    def __init__(self, *args, years=(None, None, None), declaration_text="", **kwargs):
        super().__init__(*args, **kwargs)
        self.gender.choices = [SelectChoice(g.value, g.title) for g in Gender]
        self.leadership_training.choices = [
            SelectChoice("yes", _l("Có")),
            SelectChoice("no", _l("Chưa có")),
        ]
        self.degree_level.choices = _choices(DegreeLevel)
        self.political_theory.choices = _choices(PoliticalTheory)
        self.state_management.choices = _choices(StateManagement)
        self.rank.choices = _choices(Rank)
        self.discipline.choices = _choices(Discipline)
        for field, year in zip((self.rating_1, self.rating_2, self.rating_3), years, strict=True):
            field.choices = _choices(Rating)
            if year:
                field.label.text = _l("Đánh giá, xếp loại năm %(y)s", y=year)
        self.declaration.label.text = declaration_text

    def person(self) -> Person:
        return Person(
            date_of_birth=self.date_of_birth.data,
            gender=Gender(self.gender.data),
            current_unit=self.current_unit.data,
            current_post=self.current_post.data,
        )

    def details(self) -> ApplicationDetails:
        return ApplicationDetails(
            national_id=(self.national_id.data or "").strip() or None,
            phone=(self.phone.data or "").strip(),
            degree_level=_enum(DegreeLevel, self.degree_level.data),
            degree_field=self.degree_field.data,
            political_theory=_enum(PoliticalTheory, self.political_theory.data),
            state_management=_enum(StateManagement, self.state_management.data),
            leadership_training={"yes": True, "no": False}.get(self.leadership_training.data),
            rank=_enum(Rank, self.rank.data),
            post_held_since=self.post_held_since.data,
            ratings=(
                _enum(Rating, self.rating_1.data),
                _enum(Rating, self.rating_2.data),
                _enum(Rating, self.rating_3.data),
            ),
            discipline=_enum(Discipline, self.discipline.data),
            discipline_on=self.discipline_on.data,
            health_certificate_on=self.health_certificate_on.data,
        )

    def fill_from(self, application, *, with_identity: bool = True) -> None:
        """Pre-fill from a dossier (the same one when editing, an earlier one otherwise)."""
        names = [
            "phone",
            "current_unit",
            "current_post",
            "post_held_since",
            "degree_field",
            "discipline_on",
            "health_certificate_on",
        ]
        if with_identity:
            names += ["national_id", "date_of_birth"]
        for name in names:
            getattr(self, name).data = getattr(application, name)
        for name in (
            "degree_level",
            "political_theory",
            "state_management",
            "rank",
            "rating_1",
            "rating_2",
            "rating_3",
            "discipline",
        ):
            value = getattr(application, name)
            getattr(self, name).data = value.value if value is not None else ""
        if with_identity:
            self.gender.data = application.gender.value
        self.leadership_training.data = {True: "yes", False: "no"}.get(
            application.leadership_training
        )


class DocumentForm(PageForm):
    kind = SelectField(_l("Loại tài liệu"), validators=[DataRequired(REQUIRED)])
    file = FileField(
        _l("Tệp (PDF, JPEG hoặc PNG)"),
        validators=[FileRequired(_l("Chọn tệp để tải lên."))],
        render_kw={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice("", CHOOSE)] + [
            SelectChoice(k.value, k.title) for k in DocumentKind
        ]


class DecisionForm(PageForm):
    reason = TextAreaField(
        _l("Lý do / ghi chú"),
        validators=[Length(max=2000)],
        description=_l(
            "Bắt buộc khi kết luận không đủ điều kiện, và khi kết luận khác kết quả kiểm tra "
            "tự động."
        ),
    )


class WithdrawForm(PageForm):
    confirm = BooleanField(
        _l("Tôi xác nhận rút hồ sơ dự tuyển; việc rút hồ sơ không thể hoàn tác."),
        validators=[DataRequired(_l("Đánh dấu ô xác nhận để rút hồ sơ."))],
    )


class ImportForm(PageForm):
    file = FileField(
        _l("Tệp Excel (.xlsx) theo mẫu"),
        validators=[FileRequired(_l("Chọn tệp để tải lên."))],
        render_kw={"accept": ".xlsx"},
    )


class ConfirmImportForm(PageForm):
    token = StringField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{32}$")])


class NoticeNumberForm(PageForm):
    class Meta:
        csrf = False  # a GET form that only shapes a download

    number = IntegerField(
        _l("Số văn bản"),
        validators=[Optional(), NumberRange(1, 9999, _l("Từ 1 đến 9999."))],
    )
