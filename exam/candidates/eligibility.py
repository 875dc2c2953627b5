"""The eligibility pre-check: pure functions, no database, no clock.

``retirement`` computes the statutory retirement age and date (Bộ luật Lao động 2019 Art. 169,
NĐ 135/2019/NĐ-CP Art. 4 and its Appendix I). ``precheck`` compares what a candidate declared
(and the documents they uploaded) with a position's standards and answers one line per
criterion: met, not met, or needs a document, with the reason in words. The board decides;
the pre-check only prepares the decision (docs/domain.md, "Applying and eligibility").
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from exam.core.db import TitledEnum
from exam.core.i18n import fold, format_date
from exam.rounds.standards import (
    DegreeLevel,
    Discipline,
    PoliticalTheory,
    Rank,
    Rating,
    Standards,
    StateManagement,
    at_least,
)

# ---------------------------------------------------------------------------------------------
# Months and the retirement age


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months; the 31st becomes the last day of a shorter month."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from ``start`` to ``end`` (negative when ``end`` comes first)."""
    if end < start:
        return -months_between(end, start)
    months = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, months) > end:
        months -= 1
    return months


@dataclass(frozen=True)
class RetirementSchedule:
    """The statutory schedule, in months of age. From 2021 the age rises each year by a step
    until it reaches the final age (men: 60y3m in 2021, +3 months a year, 62 in 2028; women:
    55y4m in 2021, +4 months a year, 60 in 2035). Before 2021: 60 and 55."""

    start_year: int = 2021
    men_before: int = 60 * 12
    men_start: int = 60 * 12 + 3
    men_step: int = 3
    men_final: int = 62 * 12
    women_before: int = 55 * 12
    women_start: int = 55 * 12 + 4
    women_step: int = 4
    women_final: int = 60 * 12

    def age_in(self, year: int, male: bool) -> int:
        """The retirement age (months) of someone who reaches it in ``year``."""
        before, start, step, final = (
            (self.men_before, self.men_start, self.men_step, self.men_final)
            if male
            else (self.women_before, self.women_start, self.women_step, self.women_final)
        )
        if year < self.start_year:
            return before
        return min(start + step * (year - self.start_year), final)


LAW_2019 = RetirementSchedule()


@dataclass(frozen=True)
class Retirement:
    age_months: int  # the retirement age, in months
    reached_on: dt.date  # the day the person reaches it
    retires_on: dt.date  # first day of retirement: service ends with the month of reaching it

    @property
    def age_label(self) -> str:
        years, months = divmod(self.age_months, 12)
        if months:
            return str(_l("%(y)s tuổi %(m)s tháng", y=years, m=months))
        return str(_l("%(y)s tuổi", y=years))


def retirement(
    date_of_birth: dt.date, male: bool, schedule: RetirementSchedule = LAW_2019
) -> Retirement:
    """The retirement age is the one in force in the year the person reaches it: the first
    year Y from 2021 such that birth + age(Y) falls in Y (NĐ 135/2019, Appendix I: a man born
    in 09/1961 retires at 60y3m in 12/2021; one born in 10/1961 at 60y6m in 04/2022). The
    moment of retirement is the end of the last day of the month in which that age is
    reached (NĐ 135/2019 Art. 4), so ``retires_on`` is the first day of the next month."""
    before = schedule.age_in(schedule.start_year - 1, male)
    if add_months(date_of_birth, before).year < schedule.start_year:
        age = before
    else:
        year = schedule.start_year
        while True:
            age = schedule.age_in(year, male)
            final = age == schedule.age_in(year + 1, male)
            if add_months(date_of_birth, age).year <= year or final:
                break
            year += 1
    reached = add_months(date_of_birth, age)
    first_of_next = add_months(reached.replace(day=1), 1)
    return Retirement(age_months=age, reached_on=reached, retires_on=first_of_next)


# ---------------------------------------------------------------------------------------------
# National ID (căn cước công dân, 12 digits: province 3, century and gender 1, year 2, serial 6)

NATIONAL_ID = re.compile(r"^\d{12}$")


def national_id_problems(number: str, date_of_birth: dt.date | None, male: bool | None) -> list:
    """Why a CCCD number cannot be right (empty list: it can)."""
    if not NATIONAL_ID.match(number):
        return [_l("Số CCCD gồm đúng 12 chữ số.")]
    if date_of_birth is None or male is None:
        return []
    century_code = int(number[3])
    # 0/1: born 1900–1999 (male/female), 2/3: 2000–2099, 4/5: 2100–2199 ...
    century = 1900 + 100 * (century_code // 2)
    code_male = century_code % 2 == 0
    born_year = century + int(number[4:6])
    if century_code > 9 or code_male != male or born_year != date_of_birth.year:
        return [_l("Số CCCD không khớp với ngày sinh hoặc giới tính đã khai.")]
    return []


# ---------------------------------------------------------------------------------------------
# The pre-check


class Outcome(TitledEnum):
    MET = "met"
    NOT_MET = "not_met"
    NEEDS_DOCUMENT = "needs_document"

    @staticmethod
    def __titles__() -> dict:
        return {
            "met": _l("Đạt"),
            "not_met": _l("Không đạt"),
            "needs_document": _l("Cần bổ sung, đối chiếu"),
        }


class DocumentKind(TitledEnum):
    APPLICATION_FORM = "application_form"
    CV = "cv"
    DEGREE = "degree"
    CERTIFICATES = "certificates"
    RATINGS = "ratings"
    APPROVAL = "approval"
    HEALTH = "health"
    ASSETS = "assets"
    OTHER = "other"

    @staticmethod
    def __titles__() -> dict:
        return {
            "application_form": _l("Đơn đăng ký dự tuyển"),
            "cv": _l("Sơ yếu lý lịch có xác nhận của cơ quan"),
            "degree": _l("Bản sao văn bằng chuyên môn"),
            "certificates": _l("Bản sao chứng chỉ lý luận chính trị, quản lý nhà nước, bồi dưỡng"),
            "ratings": _l("Nhận xét, đánh giá của cơ quan trong 3 năm gần nhất"),
            "approval": _l("Văn bản đồng ý của cơ quan quản lý"),
            "health": _l("Giấy chứng nhận sức khỏe"),
            "assets": _l("Bản kê khai tài sản, thu nhập"),
            "other": _l("Tài liệu khác"),
        }


@dataclass(frozen=True)
class Facts:
    """What the candidate declared; ``None``: not declared. ``ratings`` holds one entry per
    year, the most recent year first."""

    date_of_birth: dt.date | None = None
    male: bool | None = None
    degree_level: DegreeLevel | None = None
    degree_field: str | None = None
    political_theory: PoliticalTheory | None = None
    state_management: StateManagement | None = None
    leadership_training: bool | None = None
    rank: Rank | None = None
    post_held_since: dt.date | None = None
    ratings: tuple[tuple[int, Rating | None], ...] = ()
    discipline: Discipline | None = None
    discipline_on: dt.date | None = None
    health_certificate_on: dt.date | None = None
    documents: frozenset[DocumentKind] = field(default_factory=frozenset)
    paper_dossier: bool = False  # documents checked on paper by the board (imported dossier)
    declared: bool = False  # the signed declaration (online, or on paper)


@dataclass(frozen=True)
class CriterionResult:
    key: str
    label: str
    outcome: Outcome
    reason: str

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "label": str(self.label),
            "outcome": self.outcome.value,
            "reason": str(self.reason),
        }


def precheck(
    standards: Standards, facts: Facts, *, deadline: dt.date, age_reference: dt.date
) -> list[CriterionResult]:
    """One line per criterion. ``deadline``: the day the registration closes (months in the
    post, cool-offs and the health certificate are counted up to it); ``age_reference``: the
    expected appointment date (the remaining service is counted from it)."""
    checker = _Checker(standards, facts, deadline, age_reference)
    return [line for line in checker.lines() if line is not None]


def overall(results: list[CriterionResult]) -> Outcome:
    outcomes = {r.outcome for r in results}
    if Outcome.NOT_MET in outcomes:
        return Outcome.NOT_MET
    if Outcome.NEEDS_DOCUMENT in outcomes:
        return Outcome.NEEDS_DOCUMENT
    return Outcome.MET


class _Checker:
    def __init__(self, s: Standards, f: Facts, deadline: dt.date, age_reference: dt.date):
        self.s, self.f, self.deadline, self.age_reference = s, f, deadline, age_reference

    def lines(self) -> list[CriterionResult | None]:
        return [
            self.declaration(),
            self.age(),
            self.degree(),
            self.political_theory(),
            self.state_management(),
            self.leadership(),
            self.rank(),
            self.months_in_post(),
            self.ratings(),
            self.discipline(),
            self.approval(),
            self.health(),
        ]

    # helpers
    def _line(self, key: str, label, outcome: Outcome, reason) -> CriterionResult:
        return CriterionResult(key, str(label), outcome, str(reason))

    def _has(self, kind: DocumentKind) -> bool:
        return self.f.paper_dossier or kind in self.f.documents

    def _met_or_document(self, key, label, reason, kind: DocumentKind) -> CriterionResult:
        if self._has(kind):
            return self._line(key, label, Outcome.MET, reason)
        missing = _l("%(r)s Cần nộp: %(d)s.", r=reason, d=kind.title)
        return self._line(key, label, Outcome.NEEDS_DOCUMENT, missing)

    def _undeclared(self, key, label) -> CriterionResult:
        return self._line(key, label, Outcome.NEEDS_DOCUMENT, _l("Thí sinh chưa kê khai."))

    def _level(self, key, label, declared, required, kind) -> CriterionResult | None:
        if required is None:
            return None
        if declared is None:
            return self._undeclared(key, label)
        if not at_least(declared, required):
            reason = _l(
                "Đã khai «%(d)s», thấp hơn yêu cầu: «%(r)s» trở lên.",
                d=declared.title,
                r=required.title,
            )
            return self._line(key, label, Outcome.NOT_MET, reason)
        reason = _l(
            "Đã khai «%(d)s», đáp ứng yêu cầu «%(r)s» trở lên.", d=declared.title, r=required.title
        )
        return self._met_or_document(key, label, reason, kind)

    # criteria
    def declaration(self) -> CriterionResult:
        label = _l("Lời cam đoan")
        if self.f.declared:
            return self._line("declaration", label, Outcome.MET, _l("Thí sinh đã ký cam đoan."))
        reason = _l("Thí sinh chưa ký lời cam đoan.")
        return self._line("declaration", label, Outcome.NEEDS_DOCUMENT, reason)

    def age(self) -> CriterionResult:
        label = _l("Tuổi: công tác trọn nhiệm kỳ trước tuổi nghỉ hưu")
        if self.f.date_of_birth is None or self.f.male is None:
            return self._undeclared("age", label)
        info = retirement(self.f.date_of_birth, self.f.male)
        left = months_between(self.age_reference, info.retires_on)
        facts = _l(
            "Tuổi nghỉ hưu %(age)s, đến %(d)s; tính từ ngày %(ref)s còn %(n)s tháng công tác.",
            age=info.age_label,
            d=format_date(info.reached_on),
            ref=format_date(self.age_reference),
            n=max(left, 0),
        )
        if left >= self.s.term_months:
            reason = _l("%(f)s Đủ một nhiệm kỳ (%(t)s tháng).", f=facts, t=self.s.term_months)
            return self._met_or_document("age", label, reason, DocumentKind.CV)
        if self.s.age_exception_allowed and left >= self.s.age_exception_months:
            reason = _l(
                "%(f)s Không đủ %(t)s tháng nhưng còn ít nhất %(e)s tháng: thuộc trường hợp "
                "ngoại lệ.",
                f=facts,
                t=self.s.term_months,
                e=self.s.age_exception_months,
            )
            return self._met_or_document("age", label, reason, DocumentKind.CV)
        if self.s.age_exception_allowed:
            reason = _l(
                "%(f)s Cần ít nhất %(t)s tháng (ngoại lệ: %(e)s tháng).",
                f=facts,
                t=self.s.term_months,
                e=self.s.age_exception_months,
            )
        else:
            reason = _l("%(f)s Cần ít nhất %(t)s tháng.", f=facts, t=self.s.term_months)
        return self._line("age", label, Outcome.NOT_MET, reason)

    def degree(self) -> CriterionResult | None:
        label = _l("Trình độ chuyên môn")
        line = self._level(
            "degree", label, self.f.degree_level, self.s.degree_level, DocumentKind.DEGREE
        )
        if line is None or line.outcome == Outcome.NOT_MET or not self.s.degree_fields:
            return line
        if not self.f.degree_field:
            return self._line(
                "degree", label, Outcome.NEEDS_DOCUMENT, _l("Chưa khai chuyên ngành.")
            )
        declared = fold(self.f.degree_field)
        wanted = "; ".join(self.s.degree_fields)
        if any(fold(f) in declared for f in self.s.degree_fields):
            reason = _l(
                "%(l)s Chuyên ngành «%(d)s» phù hợp (%(w)s).",
                l=line.reason,
                d=self.f.degree_field,
                w=wanted,
            )
            return self._line("degree", label, line.outcome, reason)
        reason = _l(
            "Chuyên ngành «%(d)s» không có trong danh sách chuyên ngành phù hợp (%(w)s): "
            "Hội đồng xem xét sự phù hợp.",
            d=self.f.degree_field,
            w=wanted,
        )
        return self._line("degree", label, Outcome.NEEDS_DOCUMENT, reason)

    def political_theory(self) -> CriterionResult | None:
        return self._level(
            "political_theory",
            _l("Trình độ lý luận chính trị"),
            self.f.political_theory,
            self.s.political_theory,
            DocumentKind.CERTIFICATES,
        )

    def state_management(self) -> CriterionResult | None:
        return self._level(
            "state_management",
            _l("Quản lý nhà nước"),
            self.f.state_management,
            self.s.state_management,
            DocumentKind.CERTIFICATES,
        )

    def leadership(self) -> CriterionResult | None:
        if not self.s.leadership_training:
            return None
        label = _l("Bồi dưỡng kiến thức lãnh đạo, quản lý")
        if self.f.leadership_training is None:
            return self._undeclared("leadership_training", label)
        if not self.f.leadership_training:
            reason = _l("Chưa có chứng chỉ bồi dưỡng lãnh đạo, quản lý theo yêu cầu.")
            return self._line("leadership_training", label, Outcome.NOT_MET, reason)
        reason = _l("Đã có chứng chỉ bồi dưỡng lãnh đạo, quản lý.")
        return self._met_or_document(
            "leadership_training", label, reason, DocumentKind.CERTIFICATES
        )

    def rank(self) -> CriterionResult | None:
        return self._level(
            "rank",
            _l("Ngạch công chức, hạng viên chức"),
            self.f.rank,
            self.s.rank,
            DocumentKind.CV,
        )

    def months_in_post(self) -> CriterionResult | None:
        if not self.s.months_in_post:
            return None
        label = _l("Thời gian giữ chức vụ hiện tại hoặc tương đương")
        if self.f.post_held_since is None:
            return self._undeclared("months_in_post", label)
        held = months_between(self.f.post_held_since, self.deadline)
        facts = _l(
            "Giữ chức vụ từ %(d)s: %(n)s tháng tính đến %(end)s.",
            d=format_date(self.f.post_held_since),
            n=max(held, 0),
            end=format_date(self.deadline),
        )
        if held < self.s.months_in_post:
            reason = _l("%(f)s Cần ít nhất %(m)s tháng.", f=facts, m=self.s.months_in_post)
            return self._line("months_in_post", label, Outcome.NOT_MET, reason)
        reason = _l("%(f)s Đủ %(m)s tháng.", f=facts, m=self.s.months_in_post)
        return self._met_or_document("months_in_post", label, reason, DocumentKind.CV)

    def ratings(self) -> CriterionResult | None:
        years = self.s.rating_years
        if not years:
            return None
        label = _l("Đánh giá, xếp loại %(n)s năm liền kề", n=years)
        wanted = self.f.ratings[:years]
        if len(wanted) < years or any(r is None for _, r in wanted):
            return self._undeclared("ratings", label)
        low = [(y, r) for y, r in wanted if r is not None and not at_least(r, self.s.min_rating)]
        if low:
            listed = "; ".join(f"{y}: {r.title}" for y, r in low)
            reason = _l(
                "Năm %(l)s thấp hơn yêu cầu «%(r)s» trở lên.", l=listed, r=self.s.min_rating.title
            )
            return self._line("ratings", label, Outcome.NOT_MET, reason)
        listed = ", ".join(str(y) for y, _ in wanted)
        reason = _l("Các năm %(y)s đều đạt «%(r)s» trở lên.", y=listed, r=self.s.min_rating.title)
        return self._met_or_document("ratings", label, reason, DocumentKind.RATINGS)

    def discipline(self) -> CriterionResult:
        label = _l("Kỷ luật")
        kind = self.f.discipline
        if kind is None:
            return self._undeclared("discipline", label)
        if kind == Discipline.NONE:
            return self._met_or_document(
                "discipline", label, _l("Không bị kỷ luật."), DocumentKind.RATINGS
            )
        if self.f.discipline_on is None:
            reason = _l("Chưa khai ngày quyết định kỷ luật.")
            return self._line("discipline", label, Outcome.NEEDS_DOCUMENT, reason)
        needed = self.s.cooloff_months(kind)
        since = months_between(self.f.discipline_on, self.deadline)
        facts = _l(
            "Bị kỷ luật «%(k)s» ngày %(d)s: đã qua %(n)s tháng tính đến %(end)s.",
            k=kind.title,
            d=format_date(self.f.discipline_on),
            n=max(since, 0),
            end=format_date(self.deadline),
        )
        if since < needed:
            reason = _l("%(f)s Chưa hết thời hạn %(m)s tháng.", f=facts, m=needed)
            return self._line("discipline", label, Outcome.NOT_MET, reason)
        reason = _l("%(f)s Đã hết thời hạn %(m)s tháng.", f=facts, m=needed)
        return self._met_or_document("discipline", label, reason, DocumentKind.RATINGS)

    def approval(self) -> CriterionResult | None:
        if not self.s.managing_body_approval:
            return None
        label = _l("Văn bản đồng ý của cơ quan quản lý")
        if self._has(DocumentKind.APPROVAL):
            reason = _l("Đã nộp văn bản đồng ý của cơ quan quản lý.")
            return self._line("approval", label, Outcome.MET, reason)
        reason = _l("Cần nộp: %(d)s.", d=DocumentKind.APPROVAL.title)
        return self._line("approval", label, Outcome.NEEDS_DOCUMENT, reason)

    def health(self) -> CriterionResult:
        label = _l("Giấy chứng nhận sức khỏe")
        issued = self.f.health_certificate_on
        if issued is None:
            return self._undeclared("health", label)
        limit = self.s.health_certificate_max_months
        valid_until = add_months(issued, limit)
        if valid_until < self.deadline:
            reason = _l(
                "Cấp ngày %(d)s, quá %(m)s tháng tính đến %(end)s.",
                d=format_date(issued),
                m=limit,
                end=format_date(self.deadline),
            )
            return self._line("health", label, Outcome.NOT_MET, reason)
        reason = _l(
            "Cấp ngày %(d)s, còn trong thời hạn %(m)s tháng.", d=format_date(issued), m=limit
        )
        return self._met_or_document("health", label, reason, DocumentKind.HEALTH)
