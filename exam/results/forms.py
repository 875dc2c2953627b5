"""The board's forms of the results: the round's formula and a further part's scores."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import FieldList, Form, FormField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from exam.core.forms import MultiCheckboxField, PageForm, WholeNumberField
from exam.core.i18n import format_date
from exam.results.formula import FormulaSpec, PartSpec, preset_spec
from exam.results.models import FormulaPreset, PartKind
from exam.rounds.models import Round

PART_ROWS = 6  # rows offered for a formula of one's own (the four kinds and further parts)


class PartRow(Form):
    """One part of a formula of one's own; a row without a kind is not used."""

    kind = SelectField(
        _l("Loại phần thi"),
        choices=[SelectChoice("", _l("— không dùng —"))]
        + [SelectChoice(k.value, k.title) for k in PartKind],
        default="",
    )
    name = StringField(_l("Tên phần thi"), validators=[Length(max=120)])
    gate = WholeNumberField(_l("Điểm tối thiểu"), validators=[Optional()])
    weight = WholeNumberField(_l("Trọng số (phần trăm)"), validators=[Optional()])
    tie_break = WholeNumberField(_l("Thứ tự xét khi bằng điểm"), validators=[Optional()])


class FormulaForm(PageForm):
    preset = RadioField(
        _l("Cách tính"),
        choices=[SelectChoice(p.value, p.title) for p in FormulaPreset],
        default=FormulaPreset.LEADERSHIP.value,
    )
    winner_min_score = WholeNumberField(
        _l("Tổng điểm tối thiểu để trúng tuyển (thang 100)"),
        default=50,
        validators=[Optional()],
        description=_l("Chỉ dùng cho công thức riêng; mỗi cách tính mẫu có mức của nó."),
    )
    reserve_count = WholeNumberField(
        _l("Số người bảo lưu kết quả (xếp ngay sau người trúng tuyển)"),
        default=0,
        validators=[Optional()],
    )
    parts = FieldList(FormField(PartRow), min_entries=PART_ROWS, max_entries=PART_ROWS)

    def custom_spec(self) -> FormulaSpec:
        """The parts typed in the rows (blank names take the kind's title)."""
        rows = [entry.form for entry in self.parts]
        parts = tuple(
            PartSpec(
                PartKind(row.kind.data),
                (row.name.data or "").strip() or str(PartKind(row.kind.data).title),
                row.gate.data,
                row.weight.data,
                row.tie_break.data,
            )
            for row in rows
            if row.kind.data
        )
        return FormulaSpec(
            FormulaPreset.CUSTOM,
            parts,
            winner_min_score=self._number(self.winner_min_score, 50),
            reserve_count=self._number(self.reserve_count, 0),
        )

    def chosen(self, round_: Round) -> FormulaSpec:
        """A preset (its parts and minimum, with the reserve typed here) or the rows."""
        custom = self.custom_spec()
        preset = FormulaPreset(self.preset.data)
        if preset == FormulaPreset.CUSTOM:
            return custom
        spec = preset_spec(preset, round_)
        return FormulaSpec(
            spec.preset,
            spec.parts,
            winner_min_score=spec.winner_min_score,
            reserve_count=custom.reserve_count,
        )

    def fill(self, spec: FormulaSpec) -> None:
        """Prefill from the stored formula (or the default)."""
        self.preset.data = spec.preset.value
        self.winner_min_score.data = spec.winner_min_score
        self.reserve_count.data = spec.reserve_count
        for entry, part in zip(self.parts, spec.parts, strict=False):
            entry.form.kind.data = part.kind.value
            entry.form.name.data = part.name
            entry.form.gate.data = part.gate
            entry.form.weight.data = part.weight
            entry.form.tie_break.data = part.tie_break

    @staticmethod
    def _number(field: WholeNumberField, default: int) -> int:
        return field.data if field.data is not None else default


def part_scores_form(application_ids: list[int]) -> PageForm:
    """One field per candidate (``score_<application id>``): a score out of 100, 2 decimals,
    left blank when not entered yet."""

    class PartScoresForm(PageForm):
        pass

    for application_id in application_ids:
        setattr(
            PartScoresForm,
            score_field(application_id),
            StringField(
                _l("Điểm"),
                validators=[Length(max=10)],
                render_kw={"inputmode": "decimal"},
            ),
        )
    return PartScoresForm()


def score_field(application_id: int) -> str:
    return f"score_{application_id}"


class TieForm(PageForm):
    """The Council's vote on a tie at the winning line: whom it chose, and the meeting's
    item that records the vote."""

    winner_ids = MultiCheckboxField(
        _l("Người trúng tuyển theo biểu quyết của Hội đồng"), coerce=int
    )
    item_id = SelectField(_l("Mục biểu quyết trong biên bản họp Hội đồng"), coerce=int)


def tie_form(pending: list, items: list) -> TieForm:
    form = TieForm(prefix="tie")
    form.winner_ids.choices = [
        SelectChoice(row.id, row.application.candidate.full_name) for row in pending
    ]
    form.item_id.choices = [
        SelectChoice(
            item.id,
            f"{format_date(item.meeting.held_at)} — {item.number}. {item.title}",
        )
        for item in items
    ]
    return form
