"""The round's results formula: which parts count, each part's gate (a minimum out of 100,
below which the candidate is out) and/or weight (percent of the total), the winner's minimum,
the tie-break chain and the reserve (docs/domain.md, "Results").

Set while the round is a draft, frozen once registration opens (the rules are published with
the plan). A round without a stored formula follows the leadership preset, built from the
round's own pass mark and winner minimum: the rule the results followed before formulas.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.candidates.models import Application, ApplicationStatus
from exam.core.errors import DomainError, ValidationFailed
from exam.extensions import db
from exam.panels.operations import parse_score
from exam.results.models import FormulaPart, FormulaPreset, PartKind, PartScore, ResultFormula
from exam.rounds.models import Round, RoundStatus
from exam.rounds.stages import require_stage

TWO_PLACES = Decimal("0.01")
HUNDRED = Decimal(100)
# Upper bounds that keep a typed number within the INTEGER columns and within reason.
MAX_TIE_BREAK = 100
MAX_RESERVE = 1000
FROZEN = _l(
    "Công thức tính kết quả chỉ được đặt khi kỳ thi còn là bản nháp: từ khi mở đăng ký, "
    "quy chế đã công bố và không thay đổi được."
)


@dataclass(frozen=True)
class PartSpec:
    """One part as the formula states it (``tie_break``: 1 first, None: not in the chain)."""

    kind: PartKind
    name: str
    gate: int | None = None
    weight: int | None = None
    tie_break: int | None = None


@dataclass(frozen=True)
class FormulaSpec:
    preset: FormulaPreset
    parts: tuple[PartSpec, ...]
    winner_min_score: int = 50
    reserve_count: int = 0
    stored_parts: tuple[FormulaPart, ...] = field(default=(), compare=False)

    @property
    def weighted(self) -> tuple[PartSpec, ...]:
        return tuple(p for p in self.parts if p.weight is not None)

    @property
    def chain(self) -> tuple[PartSpec, ...]:
        """The tie-break chain in its order; the Council's vote always follows it."""
        chained = [p for p in self.parts if p.tie_break is not None]
        return tuple(sorted(chained, key=lambda p: p.tie_break or 0))


def default_name(kind: PartKind) -> str:
    return str(kind.title)


def leadership_preset(*, pass_mark: int = 50, winner_min_score: int = 50) -> FormulaSpec:
    """The Central Organizing Committee's rule for leadership exams: the earlier parts are
    gates, the highest panel score (đề án, interview) of at least the minimum wins; equal
    panel scores are ordered by the test score, then the Council votes."""
    return FormulaSpec(
        FormulaPreset.LEADERSHIP,
        (
            PartSpec(
                PartKind.COMPUTER_TEST,
                default_name(PartKind.COMPUTER_TEST),
                gate=pass_mark,
                tie_break=1,
            ),
            PartSpec(PartKind.INTERVIEW, default_name(PartKind.INTERVIEW), weight=100),
        ),
        winner_min_score=winner_min_score,
    )


def civil_service_preset() -> FormulaSpec:
    """Civil-service recruitment (NĐ 170/2025): written 70 %, interview 30 %, each at least
    50; at least 50 in total; equal totals ordered by the written part, then the interview,
    then the Council votes."""
    return FormulaSpec(
        FormulaPreset.CIVIL_SERVICE,
        (
            PartSpec(
                PartKind.WRITTEN_TEST,
                default_name(PartKind.WRITTEN_TEST),
                gate=50,
                weight=70,
                tie_break=1,
            ),
            PartSpec(
                PartKind.INTERVIEW,
                default_name(PartKind.INTERVIEW),
                gate=50,
                weight=30,
                tie_break=2,
            ),
        ),
        winner_min_score=50,
    )


def preset_spec(preset: FormulaPreset, round_: Round) -> FormulaSpec:
    if preset == FormulaPreset.CIVIL_SERVICE:
        return civil_service_preset()
    return leadership_preset(
        pass_mark=round_.test_pass_mark, winner_min_score=round_.winner_min_score
    )


def stored_formula(round_: Round) -> ResultFormula | None:
    return db.session.scalars(
        sa.select(ResultFormula).where(ResultFormula.round_id == round_.id)
    ).first()


def spec_of(formula: ResultFormula) -> FormulaSpec:
    return FormulaSpec(
        formula.preset,
        tuple(PartSpec(p.kind, p.name, p.gate, p.weight, p.tie_break) for p in formula.parts),
        winner_min_score=formula.winner_min_score,
        reserve_count=formula.reserve_count,
        stored_parts=tuple(formula.parts),
    )


def rules_set_by_formula(round_: Round) -> dict[str, str]:
    """Once a formula is stored, the online test's pass mark and the winner's minimum are its
    gate and minimum: set on the formula page only (registered with the rounds, so the round
    form cannot make them disagree)."""
    if stored_formula(round_) is None:
        return {}
    where = str(_l("Đặt trên trang công thức tính kết quả của kỳ thi."))
    return {"test_pass_mark": where, "winner_min_score": where}


def formula_of(round_: Round) -> FormulaSpec:
    """The round's formula; the leadership preset for a round that has none stored."""
    formula = stored_formula(round_)
    if formula is None:
        return preset_spec(FormulaPreset.LEADERSHIP, round_)
    return spec_of(formula)


def weighted_total(scores: dict[int, Decimal], spec: FormulaSpec) -> Decimal:
    """Σ score × weight / 100 over the weighted parts (``scores`` by index in ``spec.parts``),
    rounded half up to 2 decimals."""
    exact = sum(
        (scores[i] * Decimal(p.weight) for i, p in enumerate(spec.parts) if p.weight is not None),
        Decimal(0),
    )
    return (exact / HUNDRED).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


# --- validation --------------------------------------------------------------------------


def formula_errors(spec: FormulaSpec) -> list[tuple[str | None, str]]:
    """Every reason the formula cannot stand, each in words (field name, message)."""
    errors: list[tuple[str | None, str]] = []
    if not spec.parts:
        errors.append((None, str(_l("Công thức cần ít nhất một phần thi."))))
    names = [" ".join(p.name.split()) for p in spec.parts]
    for index, part in enumerate(spec.parts):
        label = names[index] or default_name(part.kind)
        where = f"parts-{index}"
        if not names[index]:
            errors.append(
                (f"{where}-name", str(_l("Phần thi thứ %(n)d chưa có tên.", n=index + 1)))
            )
        if part.gate is None and part.weight is None:
            errors.append(
                (
                    f"{where}-gate",
                    str(_l("Phần «%(p)s» cần điểm tối thiểu hoặc trọng số.", p=label)),
                )
            )
        if part.gate is not None and not 0 <= part.gate <= 100:
            errors.append(
                (
                    f"{where}-gate",
                    str(_l("Điểm tối thiểu của «%(p)s» phải từ 0 đến 100.", p=label)),
                )
            )
        if part.weight is not None and not 1 <= part.weight <= 100:
            errors.append(
                (
                    f"{where}-weight",
                    str(_l("Trọng số của «%(p)s» phải từ 1 đến 100 (%%).", p=label)),
                )
            )
        if part.tie_break is not None and part.tie_break < 1:
            errors.append((f"{where}-tie_break", str(_l("Thứ tự xét bằng điểm bắt đầu từ 1."))))
        elif part.tie_break is not None and part.tie_break > MAX_TIE_BREAK:
            errors.append(
                (
                    f"{where}-tie_break",
                    str(_l("Thứ tự xét bằng điểm không quá %(n)d.", n=MAX_TIE_BREAK)),
                )
            )
    folded = [n.casefold() for n in names if n]
    if len(set(folded)) != len(folded):
        errors.append((None, str(_l("Hai phần thi không được trùng tên."))))
    singles = [p.kind for p in spec.parts if p.kind != PartKind.OTHER]
    if len(set(singles)) != len(singles):
        errors.append(
            (
                None,
                str(_l("Mỗi loại phần thi (trắc nghiệm, viết, đề án/phỏng vấn) chỉ có một lần.")),
            )
        )
    if not spec.weighted:
        errors.append((None, str(_l("Cần ít nhất một phần thi có trọng số để tính tổng điểm."))))
    elif sum(p.weight or 0 for p in spec.weighted) != 100:
        errors.append(
            (
                None,
                str(
                    _l(
                        "Tổng trọng số các phần thi phải bằng 100 %% (hiện là %(s)d %%).",
                        s=sum(p.weight or 0 for p in spec.weighted),
                    )
                ),
            )
        )
    chain = [p.tie_break for p in spec.parts if p.tie_break is not None]
    if len(set(chain)) != len(chain):
        errors.append((None, str(_l("Hai phần thi không được cùng thứ tự xét bằng điểm."))))
    if not 0 <= spec.winner_min_score <= 100:
        errors.append(
            ("winner_min_score", str(_l("Điểm tối thiểu để trúng tuyển phải từ 0 đến 100.")))
        )
    if spec.reserve_count < 0:
        errors.append(("reserve_count", str(_l("Số người bảo lưu không được âm."))))
    elif spec.reserve_count > MAX_RESERVE:
        errors.append(
            ("reserve_count", str(_l("Số người bảo lưu không quá %(n)d.", n=MAX_RESERVE)))
        )
    return errors


# --- operations ----------------------------------------------------------------------------


def _snapshot(spec: FormulaSpec) -> dict:
    return {
        "preset": spec.preset.value,
        "winner_min_score": spec.winner_min_score,
        "reserve_count": spec.reserve_count,
        "parts": [[p.kind.value, p.name, p.gate, p.weight, p.tie_break] for p in spec.parts],
    }


def online_test_gate(spec: FormulaSpec) -> int:
    """The round's pass mark for its online test, which the interview list applies: the
    computer test's gate, else the written test's (an online paper with essays is then the
    written test), else none (0: everyone is interviewed)."""
    for kind in (PartKind.COMPUTER_TEST, PartKind.WRITTEN_TEST):
        part = next((p for p in spec.parts if p.kind == kind), None)
        if part is not None:
            return part.gate or 0
    return 0


def set_formula(round_: Round, spec: FormulaSpec, *, actor: User) -> ResultFormula:
    """Store the round's formula (replacing its parts), only while the round is a draft.
    The online test's gate and the winner's minimum are also the round's own settings (the
    interview list reads the pass mark): both are kept equal (``online_test_gate``). Audited."""
    if round_.rules_frozen:
        raise DomainError(FROZEN)
    errors = formula_errors(spec)
    if errors:
        raise ValidationFailed(errors)
    formula = stored_formula(round_)
    before = _snapshot(spec_of(formula)) if formula is not None else None
    if formula is None:
        formula = ResultFormula(round=round_)
        db.session.add(formula)
    else:
        formula.parts.clear()
        db.session.flush()  # the old parts go before the new take their places
    formula.preset = spec.preset
    formula.winner_min_score = spec.winner_min_score
    formula.reserve_count = spec.reserve_count
    for seq, part in enumerate(spec.parts, start=1):
        formula.parts.append(
            FormulaPart(
                seq=seq,
                kind=part.kind,
                name=" ".join(part.name.split()),
                gate=part.gate,
                weight=part.weight,
                tie_break=part.tie_break,
            )
        )
    round_.test_pass_mark = online_test_gate(spec)
    round_.winner_min_score = spec.winner_min_score
    db.session.flush()
    record("formula.set", formula, actor=actor, before=before, after=_snapshot(spec))
    return formula


def enter_part_score(
    part: FormulaPart, application: Application, raw_score: object, *, actor: User, at: dt.datetime
) -> PartScore:
    """The board's score (out of 100, at most 2 decimals) for a candidate in a further part,
    while the tests, interviews or results run (audited, with the old value)."""
    round_ = part.formula.round
    if part.kind != PartKind.OTHER:
        raise DomainError(
            _l("Điểm phần «%(p)s» lấy từ bài thi hoặc phiếu chấm, không nhập tay.", p=part.name)
        )
    if application.round_id != round_.id or application.status != ApplicationStatus.ELIGIBLE:
        raise DomainError(_l("Thí sinh này không dự thi trong kỳ thi."))
    require_stage(
        round_,
        RoundStatus.TESTING,
        RoundStatus.INTERVIEWS,
        RoundStatus.RESULTS,
        action=_l("nhập điểm phần thi"),
    )
    score = parse_score(raw_score).quantize(TWO_PLACES)  # as stored: 72.5 → 72.50
    entry = db.session.scalars(
        sa.select(PartScore).where(
            PartScore.part_id == part.id, PartScore.application_id == application.id
        )
    ).first()
    if entry is not None and entry.score == score:
        return entry  # unchanged: nothing to record
    before = {"score": entry.score} if entry is not None else None
    if entry is None:
        entry = PartScore(part=part, application=application)
        db.session.add(entry)
    entry.score, entry.entered_at, entry.entered_by_id = score, at, actor.id
    db.session.flush()
    record(
        "part_score.enter",
        entry,
        actor=actor,
        before=before,
        after={"part_id": part.id, "application_id": application.id, "score": score},
    )
    return entry


def enter_part_scores(
    part: FormulaPart,
    scores: list[tuple[Application, str]],
    *,
    actor: User,
    at: dt.datetime,
    field_of: Callable[[Application], str],
) -> int:
    """The scores typed on the part's page, all or none: each refusal names its candidate
    (on the field ``field_of(application)``). Blank: not entered yet. Returns how many."""
    reasons: list[tuple[str | None, str]] = []
    entered = 0
    for application, raw in scores:
        if not raw.strip():
            continue
        try:
            enter_part_score(part, application, raw, actor=actor, at=at)
            entered += 1
        except ValidationFailed as refused:
            name = application.candidate.full_name
            reasons += [(field_of(application), f"{name}: {m}") for _, m in refused.reasons]
    if reasons:
        raise ValidationFailed(reasons)
    return entered


def part_scores_of(part: FormulaPart) -> dict[int, Decimal]:
    """The entered scores of a further part, by application."""
    rows = db.session.execute(
        sa.select(PartScore.application_id, PartScore.score)
        .where(PartScore.part_id == part.id)
        .order_by(PartScore.application_id)
    )
    return {application_id: score for application_id, score in rows}


def describe(spec: FormulaSpec) -> list[str]:
    """The formula in sentences, as the results page states its rule."""
    sentences = []
    for part in spec.parts:
        rules = []
        if part.gate is not None:
            rules.append(str(_l("điểm tối thiểu %(g)d", g=part.gate)))
        if part.weight is not None:
            rules.append(str(_l("trọng số %(w)d %%", w=part.weight)))
        sentences.append(str(_l("%(p)s: %(r)s.", p=part.name, r=", ".join(rules))))
    sentences.append(
        str(
            _l(
                "Tổng điểm là tổng các phần có trọng số nhân trọng số, làm tròn 2 chữ số thập "
                "phân; người trúng tuyển có tổng điểm cao nhất và từ %(m)d trở lên.",
                m=spec.winner_min_score,
            )
        )
    )
    chain = ", ".join(p.name for p in spec.chain)
    sentences.append(
        str(
            _l("Bằng tổng điểm: xét lần lượt %(c)s; sau đó Hội đồng thi tuyển biểu quyết.", c=chain)
        )
        if chain
        else str(_l("Bằng tổng điểm: Hội đồng thi tuyển biểu quyết."))
    )
    if spec.reserve_count:
        sentences.append(
            str(
                _l(
                    "Bảo lưu kết quả cho %(n)d người xếp ngay sau người trúng tuyển.",
                    n=spec.reserve_count,
                )
            )
        )
    return sentences
