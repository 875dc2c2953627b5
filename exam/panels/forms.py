from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
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
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange

from exam.accounts.models import User
from exam.candidates.models import Application
from exam.core.forms import REQUIRED, MultiCheckboxField, PageForm
from exam.panels.models import InterviewGuide, PanelRole, Relation, ScoreSheet, SpreadDecision
from exam.panels.operations import DEFAULT_CRITERIA
from exam.rounds.models import Position


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
                # The maximum and the guide's descriptor, read out with the field
                # (aria-describedby) rather than as a paragraph a screen reader skips.
                description=" ".join(
                    part
                    for part in (
                        _("Tối đa %(m)s điểm.", m=format(criterion.max_points.normalize(), "f")),
                        criterion.descriptor,
                    )
                    if part
                ),
                render_kw={
                    "inputmode": "decimal",
                    "autocomplete": "off",
                    "data-max": str(criterion.max_points),
                },
            ),
        )
    return SheetForm()


class AddPositionForm(PageForm):
    position_id = SelectField(
        _l("Giao thêm vị trí cho ban"), coerce=int, validators=[DataRequired(REQUIRED)]
    )


def panel_form(positions: list[Position], people: list[User]) -> PanelForm:
    """The form setting up a panel: the round's positions, the interview board's people."""
    form = PanelForm()
    form.position_id.choices = [SelectChoice(p.id, p.label) for p in positions]
    form.chair_id.choices = [SelectChoice(u.id, u.full_name) for u in people]
    form.secretary_id.choices = [SelectChoice(0, "—")] + [
        SelectChoice(u.id, u.full_name) for u in people
    ]
    form.member_ids.choices = [SelectChoice(u.id, u.full_name) for u in people]
    return form


def seated_members(form: PanelForm, people: list[User]) -> list[tuple[User, PanelRole]]:
    """The chair, the secretary if any, then the other members, each seated once."""
    by_id = {u.id: u for u in people}
    secretary = form.secretary_id.data
    seated = {form.chair_id.data, secretary}
    return (
        [(by_id[form.chair_id.data], PanelRole.CHAIR)]
        + ([(by_id[secretary], PanelRole.SECRETARY)] if secretary else [])
        + [(by_id[i], PanelRole.MEMBER) for i in form.member_ids.data if i not in seated]
    )


def points_from(form: Any, criteria: list) -> dict[str, str]:
    return {str(c.id): form[criterion_field(c.id)].data or "" for c in criteria}


def prefill_sheet(form: Any, criteria: list, draft: ScoreSheet) -> None:
    """The draft written so far, back in the sheet's fields."""
    for criterion in criteria:
        form[criterion_field(criterion.id)].data = draft.points.get(str(criterion.id), "")
    form.comment.data = draft.comment


def declared_relations(
    posted: Mapping[str, str], applications: list[Application], declared: Mapping[int, Any]
) -> dict[Application, Relation] | None:
    """The relation chosen for each candidate not declared yet, or None if one is missing or
    not a relation."""
    given = {a: posted.get(f"relation_{a.id}", "") for a in applications if a.id not in declared}
    values = {r.value for r in Relation}
    if any(v not in values for v in given.values()):
        return None
    return {a: Relation(v) for a, v in given.items()}


def relation_choices() -> list[tuple[str, str]]:
    return [(r.value, r.title) for r in Relation]


def spread_form() -> SpreadForm:
    form = SpreadForm()
    form.decision.choices = [(d.value, d.title) for d in SpreadDecision]
    return form


def prefill_guide(form: GuideForm, current: InterviewGuide | None) -> None:
    """The guide in force, else the legal example, with two blank rows to add criteria."""
    rows = (
        [(c.title, format(c.max_points.normalize(), "f"), c.descriptor) for c in current.criteria]
        if current
        else [(str(t), m, str(d)) for t, m, d in DEFAULT_CRITERIA]
    )
    while len(form.criteria) < len(rows) + 2:
        form.criteria.append_entry()
    for entry, (title, maximum, descriptor) in zip(form.criteria, rows, strict=False):
        entry.form.title.data, entry.form.max_points.data = title, maximum
        entry.form.descriptor.data = descriptor
    if current and form.min_sheets is not None:  # a position's form has no round settings
        form.min_sheets.data, form.trimmed_mean.data = current.min_sheets, current.trimmed_mean


def guide_rows(form: GuideForm) -> list[tuple[str, str, str]]:
    """The criteria written in the form, blank rows left out."""
    return [
        (e.form.title.data or "", e.form.max_points.data or "", e.form.descriptor.data or "")
        for e in form.criteria
        if (e.form.title.data or "").strip() or (e.form.max_points.data or "").strip()
    ]
