"""Reading applications, their pre-check and the lists the board publishes."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.candidates.eligibility import CriterionResult, Facts, Outcome, overall, precheck
from exam.candidates.models import Application, ApplicationStatus, Gender, PresentationDraw
from exam.core.documents import DocumentFrame, council_signature
from exam.core.i18n import vietnamese_sort_key
from exam.council.checks import register_membership_check
from exam.extensions import db
from exam.rounds.models import Position, Round


def applications_of_candidate(candidate: User) -> list[Application]:
    return list(
        db.session.scalars(
            sa.select(Application)
            .where(Application.candidate_id == candidate.id)
            # Paper dossiers received the same day share their time (noon): the id decides.
            .order_by(Application.submitted_at.desc(), Application.id.desc())
        )
    )


def latest_application_of(candidate: User) -> Application | None:
    """The candidate's most recent dossier, to fill a new one with what does not change."""
    apps = applications_of_candidate(candidate)
    return apps[0] if apps else None


def application_of(candidate: User, round_id: int) -> Application | None:
    return db.session.scalars(
        sa.select(Application).where(
            Application.round_id == round_id, Application.candidate_id == candidate.id
        )
    ).first()


def _name_order(application: Application) -> tuple:
    return vietnamese_sort_key(application.candidate.full_name)


def applications_for_round(
    round_id: int, status: ApplicationStatus | None = None
) -> list[Application]:
    """Every application of a round (or those of one status), names in Vietnamese order."""
    query = sa.select(Application).where(Application.round_id == round_id)
    if status is not None:
        query = query.where(Application.status == status)
    return sorted(db.session.scalars(query).all(), key=_name_order)


def published_list(round_: Round, status: ApplicationStatus) -> list[Application]:
    """The list the board publishes: by position (the round's order), then registration
    number for the eligible, Vietnamese name order for the others."""
    order = {p.id: i for i, p in enumerate(round_.positions)}
    apps = applications_for_round(round_.id, status)
    if status == ApplicationStatus.ELIGIBLE:
        return sorted(apps, key=lambda a: (order[a.position_id], a.registration_number or ""))
    return sorted(apps, key=lambda a: (order[a.position_id], _name_order(a)))


@dataclass(frozen=True)
class NoticeRow:
    """One candidate's line of the published notice."""

    position: str
    full_name: str
    date_of_birth: dt.date
    gender: Gender
    registration_number: str
    current_unit: str
    reason: str


@dataclass(frozen=True)
class EligibilityNotice:
    """The notice of who may sit (or may not, with the reasons), as the PDF prints it."""

    document: DocumentFrame
    eligible: bool
    round_name: str
    organisation: str
    registration_closes_at: dt.datetime
    test_date: dt.date | None
    presentation_starts_on: dt.date | None
    presentation_ends_on: dt.date | None
    rows: tuple[NoticeRow, ...]


def eligibility_notice(
    round_: Round, status: ApplicationStatus, *, number: int | None, at: dt.datetime
) -> EligibilityNotice:
    """The Council's notice (NĐ 30/2020, Phụ lục III, Mẫu 1.4) of the published list."""
    frame = DocumentFrame(
        parent_body=round_.parent_body,
        issued_at=at,
        symbol="TB-HĐTT",
        number=number,
        signature=council_signature(),
        recipients=("Các thí sinh", "Ban giám sát", "Cổng thông tin điện tử", "Lưu: HĐTT"),
    )
    rows = tuple(
        NoticeRow(
            position=application.position.label,
            full_name=application.candidate.full_name,
            date_of_birth=application.date_of_birth,
            gender=application.gender,
            registration_number=application.registration_number or "",
            current_unit=application.current_unit,
            reason=application.decision_reason or "",
        )
        for application in published_list(round_, status)
    )
    return EligibilityNotice(
        document=frame,
        eligible=status == ApplicationStatus.ELIGIBLE,
        round_name=round_.name,
        organisation=round_.organisation,
        registration_closes_at=round_.registration_closes_at,
        test_date=round_.test_date,
        presentation_starts_on=round_.presentation_starts_on,
        presentation_ends_on=round_.presentation_ends_on,
        rows=rows,
    )


def eligible_applications(position_id: int) -> list[Application]:
    return list(
        db.session.scalars(
            sa.select(Application)
            .where(
                Application.position_id == position_id,
                Application.status == ApplicationStatus.ELIGIBLE,
            )
            .order_by(Application.registration_number)
        )
    )


@dataclass(frozen=True)
class PositionCounts:
    submitted: int = 0
    eligible: int = 0
    not_eligible: int = 0
    withdrawn: int = 0

    @property
    def total(self) -> int:
        return self.submitted + self.eligible + self.not_eligible + self.withdrawn


def position_counts(position: Position) -> PositionCounts:
    rows = db.session.execute(
        sa.select(Application.status, sa.func.count(Application.id))
        .where(Application.position_id == position.id)
        .group_by(Application.status)
    ).all()
    return PositionCounts(**{status.value: count for status, count in rows})


def round_counts(round_: Round) -> dict[int, PositionCounts]:
    return {p.id: position_counts(p) for p in round_.positions}


def facts_of(application: Application) -> Facts:
    year = application.round.deadline_date.year
    return Facts(
        date_of_birth=application.date_of_birth,
        male=application.gender.value == "male",
        degree_level=application.degree_level,
        degree_field=application.degree_field,
        political_theory=application.political_theory,
        state_management=application.state_management,
        leadership_training=application.leadership_training,
        rank=application.rank,
        post_held_since=application.post_held_since,
        ratings=tuple((year - i, r) for i, r in enumerate(application.ratings, start=1)),
        discipline=application.discipline,
        discipline_on=application.discipline_on,
        health_certificate_on=application.health_certificate_on,
        documents=frozenset(d.kind for d in application.documents),
        paper_dossier=application.paper_dossier,
        declared=application.declared_at is not None or application.paper_dossier,
    )


def precheck_of(application: Application) -> list[CriterionResult]:
    round_ = application.round
    return precheck(
        application.position.standards_obj,
        facts_of(application),
        deadline=round_.deadline_date,
        age_reference=round_.age_reference_date,
    )


def precheck_summary(application: Application) -> Outcome:
    return overall(precheck_of(application))


def rating_years(round_: Round) -> list[int]:
    """The three years whose ratings a dossier declares, the most recent first."""
    year = round_.deadline_date.year
    return [year - 1, year - 2, year - 3]


# --- the lot for the order of presentations -----------------------------------------------


def lot_key(seed: str, registration_number: str) -> str:
    """SHA-256 of "seed:number", in hexadecimal: anyone can recompute it, e.g. with
    ``printf '%s' 'SEED:001' | sha256sum``."""
    return hashlib.sha256(f"{seed}:{registration_number}".encode()).hexdigest()


def presentation_order(seed: str, registration_numbers: list[str]) -> list[str]:
    """The order drawn by lot: registration numbers sorted by their ``lot_key``."""
    return sorted(registration_numbers, key=lambda n: (lot_key(seed, n), n))


def draw_of(position_id: int) -> PresentationDraw | None:
    return db.session.scalars(
        sa.select(PresentationDraw).where(PresentationDraw.position_id == position_id)
    ).first()


def draw_checks_out(draw: PresentationDraw) -> bool:
    """The recorded order is what the seed gives for the recorded numbers."""
    return presentation_order(draw.seed, sorted(draw.order)) == list(draw.order)


# --- candidates and the round's bodies ----------------------------------------------------


@register_membership_check
def candidacy_refusal(user_id: int, round_id: int) -> str | None:
    """Nobody who is a candidate of a round (a dossier not withdrawn) sits on one of its
    bodies (docs/domain.md §2). Registered with the council domain, which sits below this one
    and cannot ask."""
    candidate = db.session.scalar(
        sa.select(User.full_name)
        .join(Application, Application.candidate_id == User.id)
        .where(
            Application.round_id == round_id,
            Application.candidate_id == user_id,
            Application.status != ApplicationStatus.WITHDRAWN,
        )
    )
    if candidate is None:
        return None
    return str(
        _l(
            "%(who)s là thí sinh của kỳ thi này: không được tham gia hội đồng, ban nào của kỳ thi.",
            who=candidate,
        )
    )
