"""Forms of the bank: one question form for every type (the parts of its type shown),
review, import and export, filters."""

from __future__ import annotations

import string
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from exam.core.forms import REQUIRED, PageForm, VietnameseDateField
from exam.question_bank.formats import FORMATS
from exam.question_bank.formats.common import format_number, true_false_choices
from exam.question_bank.interchange import (
    Choice,
    MatchPair,
    NumericAnswer,
    NumericUnit,
    QuestionData,
    RubricCriterion,
    ShortAnswer,
)
from exam.question_bank.models import Difficulty, QuestionStatus
from exam.question_bank.operations import MAX_LEGAL_BASIS
from exam.question_bank.qtypes import registered_types
from exam.question_bank.qtypes.numerical import read_number
from exam.question_bank.queries import TreeNode, categories_of, tags_of

LETTERS = string.ascii_uppercase
OPTION_LETTERS = "ABCD"  # a new choice question starts with four options
DEFAULT_ROWS = {
    "single_choice": 4,
    "multiple_response": 4,
    "short_answer": 2,
    "numerical": 1,
    "matching": 4,
    "ordering": 4,
    "essay": 3,
}
ROW_LISTS = {
    "single_choice": "options",
    "multiple_response": "options",
    "short_answer": "answers",
    "numerical": "numeric",
    "matching": "pairs",
    "ordering": "items",
    "essay": "rubric",
}


class NumberField(StringField):
    """A number typed with a decimal comma or point ("0,5" or "0.5"); empty is None."""

    def __init__(self, *args: Any, percent: bool = False, **kwargs: Any):
        kwargs.setdefault("render_kw", {"inputmode": "decimal"})
        super().__init__(*args, **kwargs)
        self.percent = percent
        self.number: float | None = None

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        self.number = read_number(self.data) if self.data and self.data.strip() else None

    def process_data(self, value: Any) -> None:
        if isinstance(value, int | float):
            self.number = float(value)
            value = format_number(value).replace(".", ",")
        super().process_data(value)

    def pre_validate(self, form: Any) -> None:
        if self.data and self.data.strip() and self.number is None:
            raise ValidationError(_l("Nhập một số, ví dụ 2,5."))
        if self.percent and self.number is not None and not -100 <= self.number <= 100:
            raise ValidationError(_l("Tỉ lệ điểm từ -100 đến 100 (%)."))


class BankForm(PageForm):
    name = StringField(_l("Tên ngân hàng"), validators=[DataRequired(REQUIRED), Length(max=200)])
    description = TextAreaField(_l("Mô tả"), validators=[Length(max=2000)])


# --- rows of the type-specific lists ------------------------------------------------------


class OptionRow(Form):
    text = TextAreaField(_l("Phương án"), render_kw={"rows": 2})
    fraction = NumberField(_l("Tỉ lệ điểm (%)"), percent=True)
    feedback = StringField(_l("Phản hồi"))


class AnswerRow(Form):
    text = StringField(_l("Đáp án được chấp nhận"))
    fraction = NumberField(_l("Tỉ lệ điểm (%)"), percent=True)
    feedback = StringField(_l("Phản hồi"))


class NumericRow(Form):
    value = NumberField(_l("Giá trị đúng"))
    tolerance = NumberField(_l("Sai số cho phép (±)"))
    fraction = NumberField(_l("Tỉ lệ điểm (%)"), percent=True)
    feedback = StringField(_l("Phản hồi"))


class PairRow(Form):
    prompt = StringField(_l("Vế hỏi"))
    answer = StringField(_l("Vế trả lời"))


class ItemRow(Form):
    text = StringField(_l("Mục"))


class CriterionRow(Form):
    criterion = StringField(_l("Tiêu chí"))
    points = NumberField(_l("Điểm"))


def _blank(row: Form) -> bool:
    return all(not (str(f.data or "").strip()) for f in row)


class QuestionForm(PageForm):
    """Every type's fields; the page shows the common ones and those of its type."""

    category = StringField(
        _l("Chủ đề"),
        validators=[Length(max=1000)],
        description=_l("Các cấp cách nhau bởi dấu /, ví dụ: Luật Viên chức/Tuyển dụng"),
    )
    tags = StringField(
        _l("Thẻ"),
        validators=[Length(max=1000)],
        description=_l("Cách nhau bởi dấu phẩy, ví dụ: luat-vien-chuc, tuyen-dung"),
    )
    name = StringField(_l("Tên ngắn (không bắt buộc)"), validators=[Length(max=255)])
    text = TextAreaField(
        _l("Nội dung câu hỏi"), validators=[DataRequired(REQUIRED)], render_kw={"rows": 4}
    )
    text_format = SelectField(
        _l("Định dạng nội dung"),
        choices=[
            SelectChoice("plain", _l("Văn bản thường")),
            SelectChoice("html", _l("HTML")),
            SelectChoice("markdown", _l("Markdown")),
        ],
        default="plain",
    )
    difficulty = SelectField(_l("Độ khó"), validators=[DataRequired(REQUIRED)])
    points = NumberField(
        _l("Số điểm mặc định"), default=1.0, description=_l("Điểm của câu khi đề không quy định.")
    )
    legal_basis = StringField(
        _l("Căn cứ pháp lý"),
        validators=[DataRequired(REQUIRED), Length(max=500)],
        description=_l("Văn bản, số hiệu, điều khoản."),
    )
    legal_basis_date = VietnameseDateField(_l("Ngày ban hành văn bản"), validators=[Optional()])
    feedback = TextAreaField(_l("Giải thích chung (hiện sau khi thi)"), render_kw={"rows": 2})

    # single_choice, multiple_response
    options = FieldList(FormField(OptionRow))
    correct = RadioField(_l("Phương án đúng"), validate_choice=False)
    shuffle = BooleanField(_l("Cho phép xáo trộn thứ tự phương án"), default=True)
    # true_false
    answer = RadioField(
        _l("Đáp án"),
        choices=[SelectChoice("true", _l("Đúng")), SelectChoice("false", _l("Sai"))],
        validate_choice=False,
    )
    feedback_true = StringField(_l("Phản hồi khi chọn Đúng"))
    feedback_false = StringField(_l("Phản hồi khi chọn Sai"))
    # short_answer
    answers = FieldList(FormField(AnswerRow))
    case_sensitive = BooleanField(_l("Phân biệt chữ hoa, chữ thường"))
    diacritics_sensitive = BooleanField(_l("Phân biệt dấu tiếng Việt"), default=True)
    # numerical, matching, ordering, essay
    numeric = FieldList(FormField(NumericRow))
    units = TextAreaField(
        _l("Đơn vị (không bắt buộc)"),
        description=_l(
            "Mỗi dòng một đơn vị: tên = hệ số. Đơn vị của đáp án có hệ số 1; "
            "ví dụ «m = 1» rồi «cm = 100». Thí sinh có thể ghi đơn vị sau số hoặc không."
        ),
        render_kw={"rows": 2},
    )
    pairs = FieldList(FormField(PairRow))
    items = FieldList(FormField(ItemRow))
    rubric = FieldList(FormField(CriterionRow))

    def __init__(self, qtype: str, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.qtype = qtype
        self.difficulty.choices = [SelectChoice(d.value, d.title) for d in Difficulty]
        rows = ROW_LISTS.get(qtype)
        if rows and not getattr(self, rows).entries:
            for _ in range(DEFAULT_ROWS[qtype]):
                getattr(self, rows).append_entry()
        self.label_rows()

    @property
    def rows(self) -> FieldList | None:
        name = ROW_LISTS.get(self.qtype)
        return getattr(self, name) if name else None

    def add_row(self) -> None:
        if self.rows is not None:
            self.rows.append_entry()
            self.label_rows()

    def label_rows(self) -> None:
        """Labels that say which row a field belongs to ("Phương án B", "Vế hỏi 2")."""
        if self.qtype in ("single_choice", "multiple_response"):
            letters = LETTERS[: len(self.options)]
            self.correct.choices = [SelectChoice(letter, letter) for letter in letters]
            for letter, row in zip(letters, self.options, strict=True):
                row.text.label.text = str(_l("Phương án %(l)s", l=letter))
                row.fraction.label.text = str(_l("Tỉ lệ điểm (%(l)s), %%", l=letter))
                row.feedback.label.text = str(_l("Phản hồi (%(l)s)", l=letter))
            return
        for number, row in enumerate(self.rows or [], start=1):
            for field in row:
                field.label.text = f"{field.label.text.split(' #')[0]} #{number}"

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if self.qtype == "single_choice" and not self.correct.data:
            self.correct.errors = [*self.correct.errors, str(_l("Chọn phương án đúng."))]
            valid = False
        if self.qtype == "single_choice":
            filled = {LETTERS[i] for i, row in enumerate(self.options) if not _blank(row)}
            if self.correct.data and self.correct.data not in filled:
                self.correct.errors = [
                    *self.correct.errors,
                    str(_l("Phương án đúng đang để trống.")),
                ]
                valid = False
        if self.qtype == "true_false" and self.answer.data not in ("true", "false"):
            self.answer.errors = [*self.answer.errors, str(_l("Chọn Đúng hoặc Sai."))]
            valid = False
        if self.qtype == "numerical" and units_from_text(self.units.data or "") is None:
            self.units.errors = [
                *self.units.errors,
                str(_l("Mỗi dòng phải có dạng «tên = hệ số», ví dụ «cm = 100».")),
            ]
            valid = False
        return valid

    # --- to and from the interchange form ---------------------------------------------------

    def to_data(self, *, key: str = "", media: dict[str, bytes] | None = None) -> QuestionData:
        question = QuestionData(
            type=self.qtype,
            text=self.text.data or "",
            name=self.name.data or "",
            key=key,
            text_format=self.text_format.data or "plain",
            category=self.category.data or "",
            difficulty=self.difficulty.data or None,
            tags=[t.strip() for t in (self.tags.data or "").split(",") if t.strip()],
            legal_basis=self.legal_basis.data or "",
            legal_basis_date=self.legal_basis_date.data,
            default_points=self.points.number if self.points.number is not None else 1.0,
            general_feedback=self.feedback.data or "",
            media=dict(media or {}),
        )
        fill = getattr(self, f"_fill_{self.qtype}", None)
        if fill:
            fill(question)
        return question

    def _fill_single_choice(self, q: QuestionData) -> None:
        q.choices = [
            Choice(
                row.text.data.strip(),
                1.0 if LETTERS[i] == self.correct.data else (row.fraction.number or 0.0) / 100,
                (row.feedback.data or "").strip(),
            )
            for i, row in enumerate(self.options)
            if not _blank(row)
        ]
        q.shuffle_choices = bool(self.shuffle.data)

    def _fill_multiple_response(self, q: QuestionData) -> None:
        q.choices = [
            Choice(
                row.text.data.strip(),
                (row.fraction.number or 0.0) / 100,
                (row.feedback.data or "").strip(),
            )
            for row in self.options
            if not _blank(row)
        ]
        q.shuffle_choices = bool(self.shuffle.data)

    def _fill_true_false(self, q: QuestionData) -> None:
        q.correct_answer = self.answer.data == "true"
        q.choices = true_false_choices(
            q.correct_answer, self.feedback_true.data or "", self.feedback_false.data or ""
        )

    def _fill_short_answer(self, q: QuestionData) -> None:
        q.answers = [
            ShortAnswer(
                row.text.data.strip(),
                (row.fraction.number if row.fraction.number is not None else 100.0) / 100,
                (row.feedback.data or "").strip(),
            )
            for row in self.answers
            if not _blank(row)
        ]
        q.case_sensitive = bool(self.case_sensitive.data)
        q.diacritics_sensitive = bool(self.diacritics_sensitive.data)

    def _fill_numerical(self, q: QuestionData) -> None:
        q.units = units_from_text(self.units.data or "") or []
        q.numeric_answers = [
            NumericAnswer(
                row.value.number if row.value.number is not None else float("nan"),
                row.tolerance.number or 0.0,
                (row.fraction.number if row.fraction.number is not None else 100.0) / 100,
                (row.feedback.data or "").strip(),
            )
            for row in self.numeric
            if not _blank(row)
        ]

    def _fill_matching(self, q: QuestionData) -> None:
        q.pairs = [
            MatchPair((row.prompt.data or "").strip(), (row.answer.data or "").strip())
            for row in self.pairs
            if not _blank(row)
        ]
        q.shuffle_choices = bool(self.shuffle.data)

    def _fill_ordering(self, q: QuestionData) -> None:
        q.items = [row.text.data.strip() for row in self.items if not _blank(row)]

    def _fill_essay(self, q: QuestionData) -> None:
        q.rubric = [
            RubricCriterion((row.criterion.data or "").strip(), row.points.number or 0.0)
            for row in self.rubric
            if not _blank(row)
        ]


def form_data(q: QuestionData) -> dict[str, Any]:
    """A question as the question form's initial data (for editing)."""
    data: dict[str, Any] = {
        "category": q.category,
        "tags": ", ".join(q.tags),
        "name": q.name,
        "text": q.text,
        "text_format": q.text_format,
        "difficulty": q.difficulty or "",
        "points": q.default_points,
        "legal_basis": q.legal_basis,
        "legal_basis_date": q.legal_basis_date,
        "feedback": q.general_feedback,
        "shuffle": q.shuffle_choices,
    }
    if q.type in ("single_choice", "multiple_response"):
        data["options"] = [
            {"text": c.text, "fraction": c.fraction * 100, "feedback": c.feedback}
            for c in q.choices
        ]
        full = [i for i, c in enumerate(q.choices) if c.fraction == 1]
        data["correct"] = LETTERS[full[0]] if full and q.type == "single_choice" else None
    elif q.type == "true_false":
        by_text = {c.text: c.feedback for c in q.choices}
        data |= {
            "answer": "true" if q.correct_answer else "false",
            "feedback_true": by_text.get("true", ""),
            "feedback_false": by_text.get("false", ""),
        }
    elif q.type == "short_answer":
        data["answers"] = [
            {"text": a.text, "fraction": a.fraction * 100, "feedback": a.feedback}
            for a in q.answers
        ]
        data["case_sensitive"] = q.case_sensitive
        data["diacritics_sensitive"] = q.diacritics_sensitive
    elif q.type == "numerical":
        data["units"] = "\n".join(f"{u.unit} = {format_number(u.multiplier)}" for u in q.units)
        data["numeric"] = [
            {
                "value": a.value,
                "tolerance": a.tolerance,
                "fraction": a.fraction * 100,
                "feedback": a.feedback,
            }
            for a in q.numeric_answers
        ]
    elif q.type == "matching":
        data["pairs"] = [{"prompt": p.prompt, "answer": p.answer} for p in q.pairs]
    elif q.type == "ordering":
        data["items"] = [{"text": item} for item in q.items]
    elif q.type == "essay":
        data["rubric"] = [{"criterion": r.criterion, "points": r.points} for r in q.rubric]
    return data


def units_from_text(text: str) -> list[NumericUnit] | None:
    """Lines "name = multiplier" (a bare name has multiplier 1); None when a line is not
    one. What the units must be (unique, positive) is the bank's check."""
    units = []
    for line in text.splitlines():
        if not line.strip():
            continue
        name, equals, multiplier_text = line.partition("=")
        multiplier = read_number(multiplier_text) if equals else 1.0
        if multiplier is None or not name.strip():
            return None
        units.append(NumericUnit(name.strip(), multiplier))
    return units


def type_choices() -> list[SelectChoice]:
    return [SelectChoice(name, qtype.title) for name, qtype in sorted(registered_types().items())]


# --- review, retire, import, export ---------------------------------------------------------


class RejectForm(PageForm):
    comment = TextAreaField(
        _l("Lý do trả lại"),
        validators=[DataRequired(_l("Ghi rõ lý do trả lại.")), Length(max=2000)],
        render_kw={"rows": 3},
    )


FORMAT_CHOICES = [SelectChoice("", _l("Tự nhận biết"))] + [
    SelectChoice(name, spec.label) for name, spec in FORMATS.items()
]


class ImportForm(PageForm):
    file = FileField(
        _l("Tệp câu hỏi"),
        validators=[FileRequired(_l("Chọn tệp cần nhập."))],
        description=_l("GIFT, Moodle XML, Aiken, QTI 2.1/2.2 (.xml hoặc gói .zip), YAML."),
    )
    format = SelectField(_l("Định dạng"), choices=FORMAT_CHOICES, default="")


class ConfirmImportForm(PageForm):
    token = HiddenField(validators=[DataRequired()])
    status = RadioField(
        _l("Trạng thái của câu hỏi nhập vào"),
        choices=[
            SelectChoice(QuestionStatus.DRAFT.value, _l("Bản nháp")),
            SelectChoice(QuestionStatus.SUBMITTED.value, _l("Gửi duyệt ngay")),
        ],
        default=QuestionStatus.DRAFT.value,
        validators=[DataRequired(REQUIRED)],
    )
    # Given to every imported question whose file gives it none (other formats than the
    # native one carry no legal basis); a question's own wins.
    legal_basis = StringField(
        _l("Căn cứ pháp lý"),
        validators=[
            Optional(),
            Length(max=MAX_LEGAL_BASIS, message=_l("Căn cứ pháp lý tối đa %(max)d ký tự.")),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        description=_l("Văn bản, số hiệu, điều khoản; ghi cho mọi câu hỏi chưa có."),
    )
    legal_basis_date = VietnameseDateField(
        _l("Ngày văn bản"),
        validators=[Optional()],
        invalid_value_message=_l("Nhập ngày hợp lệ theo dạng dd/mm/yyyy."),
    )

    def validate_legal_basis_date(self, field: VietnameseDateField) -> None:
        if field.data is not None and not self.legal_basis.data:
            raise ValidationError(_l("Ghi căn cứ pháp lý cho ngày văn bản này."))

    def import_settings(self) -> dict[str, Any]:
        """The status and the default legal basis given to the imported questions."""
        return {
            "status": QuestionStatus(self.status.data),
            "legal_basis": self.legal_basis.data or "",
            "legal_basis_date": self.legal_basis_date.data,
        }


class ExportForm(PageForm):
    format = SelectField(
        _l("Định dạng"),
        choices=[SelectChoice(name, spec.label) for name, spec in FORMATS.items()],
        default="native",
        validators=[DataRequired(REQUIRED)],
    )
    only_approved = BooleanField(_l("Chỉ câu hỏi đã duyệt"))
    # Choices (every registered type) are set by the view.
    qtype = SelectField(_l("Kiểu câu hỏi"), default="")


class CoverageForm(PageForm):
    class Meta:
        csrf = False

    paper = IntegerField(
        _l("Số câu của một đề"),
        validators=[Optional(), NumberRange(min=1, max=1000, message=_l("Từ 1 đến 1000."))],
    )
    category = SelectField(_l("Chủ đề"), validate_choice=False, default="")
    difficulty = SelectField(_l("Độ khó"), validate_choice=False, default="")
    type = SelectField(_l("Kiểu câu hỏi"), validate_choice=False, default="")


class FilterForm(PageForm):
    """The bank page's filters (a GET form)."""

    class Meta:
        csrf = False

    q = StringField(_l("Tìm trong mã, tên, nội dung"))
    category = SelectField(_l("Chủ đề"), validate_choice=False, default="")
    status = SelectField(_l("Trạng thái"), validate_choice=False, default="")
    type = SelectField(_l("Kiểu câu hỏi"), validate_choice=False, default="")
    difficulty = SelectField(_l("Độ khó"), validate_choice=False, default="")
    tag = SelectField(_l("Thẻ"), validate_choice=False, default="")
    legal_basis = StringField(
        _l("Căn cứ pháp lý có chứa"), description=_l("Ví dụ: 58/2010/QH12 hoặc Luật Viên chức")
    )
    before = VietnameseDateField(
        _l("Văn bản ban hành trước ngày"),
        validators=[Optional()],
        description=_l("Tìm câu hỏi dựa trên văn bản cũ, có thể đã được thay thế."),
    )
    undated = BooleanField(_l("Căn cứ pháp lý chưa ghi ngày"))


def filter_form(bank_id: int, args: Any) -> FilterForm:
    """The bank page's filters read from the query string, each with its "any" choice."""
    form = FilterForm(args)
    form.category.choices = [SelectChoice("", _("Mọi chủ đề"))] + [
        SelectChoice(str(c.id), "— " * c.depth + c.name) for c in categories_of(bank_id)
    ]
    form.status.choices = [SelectChoice("", _("Mọi trạng thái"))] + [
        SelectChoice(s.value, s.title) for s in QuestionStatus
    ]
    form.type.choices = [SelectChoice("", _("Mọi kiểu")), *type_choices()]
    form.difficulty.choices = [SelectChoice("", _("Mọi độ khó"))] + [
        SelectChoice(d.value, d.title) for d in Difficulty
    ]
    form.tag.choices = [SelectChoice("", _("Mọi thẻ"))] + [
        SelectChoice(t.name, t.name) for t in tags_of(bank_id)
    ]
    form.validate()
    return form


def coverage_form(args: Any, tree: list[TreeNode]) -> CoverageForm:
    """The coverage page's check of a paper, read from the query string."""
    form = CoverageForm(args)
    form.category.choices = [SelectChoice("", _("Mọi chủ đề"))] + [
        SelectChoice(str(n.category.id), "— " * n.category.depth + n.category.name) for n in tree
    ]
    form.difficulty.choices = [SelectChoice("", _("Mọi độ khó"))] + [
        SelectChoice(d.value, d.title) for d in Difficulty
    ]
    form.type.choices = [SelectChoice("", _("Mọi kiểu")), *type_choices()]
    form.validate()
    return form


def export_form(formdata: Any) -> ExportForm:
    form = ExportForm(formdata)
    form.qtype.choices = [SelectChoice("", _("Mọi kiểu")), *type_choices()]
    return form
