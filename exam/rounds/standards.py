"""A position's standards (tiêu chuẩn, điều kiện) as structured criteria.

The standards are stored as JSON on the position and read back through ``Standards``, which
checks every value: a stored dictionary that does not follow this schema is refused, never
half-read. Every number is a per-position setting with docs/domain.md's value as its default
(HD 45-HD/BTCTW 2025 for the appointment standards; Công văn 2424/BNV-CCVC for the pilot).

The levels (degree, political theory, state management, rank, rating) are ordered, so that a
criterion reads "at least X" and a declared level compares with ``rank_of``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from exam.core.db import TitledEnum
from exam.core.errors import ValidationFailed


class DegreeLevel(TitledEnum):
    COLLEGE = "college"
    UNIVERSITY = "university"
    MASTER = "master"
    DOCTOR = "doctor"

    @staticmethod
    def __titles__() -> dict:
        return {
            "college": _l("Cao đẳng"),
            "university": _l("Đại học"),
            "master": _l("Thạc sĩ"),
            "doctor": _l("Tiến sĩ"),
        }


class PoliticalTheory(TitledEnum):
    NONE = "none"
    ELEMENTARY = "elementary"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"
    BACHELOR = "bachelor"

    @staticmethod
    def __titles__() -> dict:
        return {
            "none": _l("Chưa có"),
            "elementary": _l("Sơ cấp"),
            "intermediate": _l("Trung cấp"),
            "advanced": _l("Cao cấp"),
            "bachelor": _l("Cử nhân"),
        }


class StateManagement(TitledEnum):
    NONE = "none"
    SPECIALIST = "specialist"
    PRINCIPAL = "principal"
    SENIOR = "senior"

    @staticmethod
    def __titles__() -> dict:
        return {
            "none": _l("Chưa có"),
            "specialist": _l("Chuyên viên"),
            "principal": _l("Chuyên viên chính"),
            "senior": _l("Chuyên viên cao cấp"),
        }


class Rank(TitledEnum):
    """Ngạch công chức or hạng chức danh nghề nghiệp viên chức, by equivalence."""

    GRADE_4 = "grade_4"
    GRADE_3 = "grade_3"
    GRADE_2 = "grade_2"
    GRADE_1 = "grade_1"

    @staticmethod
    def __titles__() -> dict:
        return {
            "grade_4": _l("Cán sự, hạng IV hoặc tương đương"),
            "grade_3": _l("Chuyên viên, hạng III hoặc tương đương"),
            "grade_2": _l("Chuyên viên chính, hạng II hoặc tương đương"),
            "grade_1": _l("Chuyên viên cao cấp, hạng I hoặc tương đương"),
        }


class Rating(TitledEnum):
    """The yearly assessment (đánh giá, xếp loại chất lượng)."""

    NOT_DONE = "not_done"
    DONE = "done"
    GOOD = "good"
    EXCELLENT = "excellent"

    @staticmethod
    def __titles__() -> dict:
        return {
            "not_done": _l("Không hoàn thành nhiệm vụ"),
            "done": _l("Hoàn thành nhiệm vụ"),
            "good": _l("Hoàn thành tốt nhiệm vụ"),
            "excellent": _l("Hoàn thành xuất sắc nhiệm vụ"),
        }


class Discipline(TitledEnum):
    NONE = "none"
    REPRIMAND = "reprimand"
    WARNING = "warning"
    DISMISSAL = "dismissal"

    @staticmethod
    def __titles__() -> dict:
        return {
            "none": _l("Không bị kỷ luật"),
            "reprimand": _l("Khiển trách"),
            "warning": _l("Cảnh cáo"),
            "dismissal": _l("Cách chức, giáng chức hoặc tương đương"),
        }


# Order of each scale. A bachelor's degree in political science (cử nhân chính trị) counts as
# the advanced level (cao cấp lý luận chính trị).
_RANKS: dict[type, dict[str, int]] = {
    DegreeLevel: {"college": 1, "university": 2, "master": 3, "doctor": 4},
    PoliticalTheory: {"none": 0, "elementary": 1, "intermediate": 2, "advanced": 3, "bachelor": 3},
    StateManagement: {"none": 0, "specialist": 1, "principal": 2, "senior": 3},
    Rank: {"grade_4": 1, "grade_3": 2, "grade_2": 3, "grade_1": 4},
    Rating: {"not_done": 0, "done": 1, "good": 2, "excellent": 3},
}


def rank_of(level: TitledEnum) -> int:
    return _RANKS[type(level)][level.value]


def at_least(declared: TitledEnum, required: TitledEnum) -> bool:
    return rank_of(declared) >= rank_of(required)


# A dossier declares the ratings of the last 3 years (HD 45-HD/BTCTW; docs/domain.md): a
# position cannot ask for more years than a dossier holds, or nobody could ever meet it.
MAX_RATING_YEARS = 3

# (field, lower bound, upper bound) of each whole-month setting.
_MONTH_LIMITS = {
    "months_in_post": (0, 240),
    "rating_years": (0, MAX_RATING_YEARS),
    "reprimand_cooloff_months": (0, 120),
    "warning_cooloff_months": (0, 120),
    "dismissal_cooloff_months": (0, 120),
    "term_months": (0, 120),
    "age_exception_months": (0, 120),
    "health_certificate_max_months": (1, 24),
}
_ENUMS = {
    "degree_level": DegreeLevel,
    "political_theory": PoliticalTheory,
    "state_management": StateManagement,
    "rank": Rank,
    "min_rating": Rating,
}
_FLAGS = ("leadership_training", "managing_body_approval", "age_exception_allowed")


@dataclass(frozen=True)
class Standards:
    """The criteria a candidate must meet. ``None`` as a level: no requirement."""

    degree_level: DegreeLevel | None = DegreeLevel.UNIVERSITY
    degree_fields: tuple[str, ...] = ()  # relevant fields; empty: any field
    political_theory: PoliticalTheory | None = PoliticalTheory.INTERMEDIATE
    state_management: StateManagement | None = StateManagement.SPECIALIST
    leadership_training: bool = True
    rank: Rank | None = Rank.GRADE_3
    months_in_post: int = 12  # in the current or an equivalent post (HD 45)
    rating_years: int = 3
    min_rating: Rating = Rating.GOOD
    reprimand_cooloff_months: int = 12
    warning_cooloff_months: int = 30
    dismissal_cooloff_months: int = 60
    term_months: int = 60  # a whole 5-year term before retirement
    age_exception_allowed: bool = True
    age_exception_months: int = 48
    managing_body_approval: bool = True
    health_certificate_max_months: int = 6

    def cooloff_months(self, discipline: Discipline) -> int:
        return {
            Discipline.NONE: 0,
            Discipline.REPRIMAND: self.reprimand_cooloff_months,
            Discipline.WARNING: self.warning_cooloff_months,
            Discipline.DISMISSAL: self.dismissal_cooloff_months,
        }[discipline]

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, TitledEnum):
                value = value.value
            elif isinstance(value, tuple):
                value = list(value)
            data[field.name] = value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Standards:
        """Read and check a stored or submitted dictionary; missing keys take the defaults,
        unknown keys and wrong values are refused (ValidationFailed, one reason per field)."""
        if not data:
            return cls()
        if not isinstance(data, dict):
            raise ValidationFailed([(None, _l("Tiêu chuẩn của vị trí không đúng định dạng."))])
        errors: list[tuple[str | None, str]] = []
        known = {f.name for f in dataclasses.fields(cls)}
        for key in sorted(set(data) - known):
            errors.append((None, _l("Tiêu chuẩn không được hỗ trợ: %(k)s.", k=key)))
        values: dict[str, Any] = {}
        for name, enum_cls in _ENUMS.items():
            if name not in data:
                continue
            raw = data[name]
            if raw in (None, "") and name != "min_rating":
                values[name] = None
                continue
            try:
                values[name] = enum_cls(raw)
            except ValueError:
                errors.append((name, _l("Giá trị không hợp lệ.")))
        for name in _FLAGS:
            if name in data:
                if not isinstance(data[name], bool):
                    errors.append((name, _l("Giá trị không hợp lệ.")))
                else:
                    values[name] = data[name]
        for name, (low, high) in _MONTH_LIMITS.items():
            if name not in data:
                continue
            raw = data[name]
            if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
                errors.append((name, _l("Nhập số nguyên từ %(a)s đến %(b)s.", a=low, b=high)))
            else:
                values[name] = raw
        if "degree_fields" in data:
            raw = data["degree_fields"]
            if not isinstance(raw, list | tuple) or not all(isinstance(f, str) for f in raw):
                errors.append(("degree_fields", _l("Giá trị không hợp lệ.")))
            else:
                fields = tuple(" ".join(f.split()) for f in raw if f.strip())
                if any(len(f) > 120 for f in fields) or len(fields) > 30:
                    errors.append(
                        ("degree_fields", _l("Tối đa 30 chuyên ngành, mỗi mục 120 ký tự."))
                    )
                values["degree_fields"] = fields
        if errors:
            raise ValidationFailed(errors)
        standards = dataclasses.replace(cls(), **values)
        if (
            standards.age_exception_allowed
            and standards.age_exception_months > standards.term_months
        ):
            raise ValidationFailed(
                [
                    (
                        "age_exception_months",
                        _l("Thời gian công tác theo ngoại lệ không được lớn hơn nhiệm kỳ."),
                    )
                ]
            )
        return standards
