"""Making papers: drawing each candidate's paper from the blueprint's pools before the
session, and the accommodations (extra time) they carry."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Iterable

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.candidates.models import Application
from exam.candidates.queries import eligible_applications
from exam.core.errors import DomainError, ValidationFailed
from exam.exams.definition import approved_pool, ensure_schedulable, free_seats, section_pool
from exam.exams.models import (
    Accommodation,
    Attempt,
    AttemptQuestion,
    AttemptStatus,
    Test,
    TestSection,
    new_token_secret,
)
from exam.exams.rules import required_text
from exam.extensions import db
from exam.question_bank.models import QuestionVersion
from exam.question_bank.operations import mark_used
from exam.question_bank.qtypes import get_type
from exam.rounds.models import RoundStatus
from exam.rounds.stages import require_stage

# --- papers ---------------------------------------------------------------------------------


def draw_paper(attempt: Attempt, pools: dict[TestSection, dict[int, QuestionVersion]]) -> None:
    """Fill a paper from the sections' pools with the attempt's seed: the same seed and pools
    give the same paper, so any paper can be re-derived and checked.

    Sections draw from their smallest pool first so that a broad section never takes the
    questions a narrow one needs; a question is drawn at most once per paper. Questions are
    shuffled within their section (sections keep the blueprint's order), options within
    their question."""
    test = attempt.test
    rng = random.Random(attempt.seed)
    chosen: set[int] = set()
    drawn: dict[int, list[tuple[int, QuestionVersion]]] = {}  # by section position
    for section in sorted(test.sections, key=lambda s: (len(pools[s]), s.position)):
        available = sorted(set(pools[section]) - chosen)
        if len(available) < section.question_count:
            raise DomainError(
                _l("Phần «%(title)s» không còn đủ câu hỏi để tạo đề.", title=section.title)
            )
        picked = rng.sample(available, section.question_count)
        chosen.update(picked)
        drawn[section.position] = [
            (slot, pools[section][qid]) for slot, qid in enumerate(picked, 1)
        ]
    position = 0
    for section in test.sections:
        items = drawn[section.position]
        if test.shuffle_questions:
            rng.shuffle(items)
        else:
            items.sort(key=lambda pair: pair[1].question_id)
        for slot, version in items:
            position += 1
            option_ids = get_type(version.type).shuffleable_ids(version.data)
            if test.shuffle_options:
                rng.shuffle(option_ids)
            attempt.questions.append(
                AttemptQuestion(
                    position=position,
                    section=section,
                    slot=slot,
                    version=version,
                    option_order=option_ids,
                    points=section.points_per_question,
                )
            )


def blueprint_pools(test: Test) -> dict[TestSection, dict[int, QuestionVersion]]:
    approved = approved_pool(test.bank_id)
    return {section: section_pool(test, section, approved) for section in test.sections}


def _accommodations(candidate_ids: Iterable[int]) -> dict[int, int]:
    ids = list(candidate_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Accommodation.candidate_id, Accommodation.extra_time_percent).where(
            Accommodation.candidate_id.in_(ids)
        )
    )
    return dict(rows.all())


def generate_papers(test: Test, *, actor: User, at: dt.datetime) -> list[Attempt]:
    """One paper per eligible candidate of the round, made before their session starts so
    that pressing Start is a cheap read. Each new candidate takes the next free seat
    (sessions by start, rooms by name, registration-number order). Candidates who already
    have a paper keep it."""
    # Drawn in the testing stage only: screening is over, so the list of candidates is final.
    require_stage(test.round, RoundStatus.TESTING, action=_l("tạo đề cho thí sinh"))
    open_sessions = [s for s in test.sessions if at < s.starts_at]
    if not open_sessions:
        raise DomainError(_l("Phải tạo đề trước giờ bắt đầu thi."))
    ensure_schedulable(test)
    have_paper = set(
        db.session.scalars(sa.select(Attempt.application_id).where(Attempt.test_id == test.id))
    )
    applications = [
        a
        for position in test.round.positions
        for a in eligible_applications(position.id)
        if a.id not in have_paper
    ]
    if not applications and not have_paper:
        raise DomainError(_l("Chưa có thí sinh đủ điều kiện để tạo đề."))
    pools = blueprint_pools(test)
    extra = _accommodations(a.candidate_id for a in applications)
    seats = free_seats(open_sessions)
    made = []
    for count, application in enumerate(applications):
        seat = next(seats, None)
        if seat is None:
            raise DomainError(
                _l(
                    "Không đủ chỗ ngồi: còn %(n)d thí sinh chưa có chỗ. Hãy thêm phòng thi "
                    "hoặc ca thi.",
                    n=len(applications) - count,
                )
            )
        session, room = seat
        attempt = Attempt(
            test=test,
            session=session,
            room=room,
            application=application,
            seed=secrets.randbits(62),
            token_secret=new_token_secret(),
            time_percent=extra.get(application.candidate_id, 0),
        )
        draw_paper(attempt, pools)
        db.session.add(attempt)
        made.append(attempt)
    test.papers_generated_at = at
    # The bank keeps its own record of use (a used question is never deleted).
    mark_used((item.version.question_id for a in made for item in a.questions), at=at)
    record("test.generate_papers", test, actor=actor, after={"papers": len(made)})
    return made


def attempt_for(test: Test, application: Application) -> Attempt | None:
    return db.session.scalars(
        sa.select(Attempt).where(
            Attempt.test_id == test.id, Attempt.application_id == application.id
        )
    ).first()


# --- accommodation --------------------------------------------------------------------------


def set_accommodation(
    candidate: User, *, extra_time_percent: int, reason: str, actor: User, at: dt.datetime
) -> Accommodation:
    """Set a candidate's extra time once; it applies to every paper not yet submitted."""
    reason = required_text(reason, "reason", _l("Ghi rõ lý do (ví dụ: giấy xác nhận khuyết tật)."))
    if not 0 <= extra_time_percent <= 200:
        raise ValidationFailed([("extra_time_percent", _l("Từ 0 đến 200%."))])
    accommodation = db.session.scalars(
        sa.select(Accommodation).where(Accommodation.candidate_id == candidate.id)
    ).first()
    before = None
    if accommodation is None:
        accommodation = Accommodation(candidate_id=candidate.id, granted_by_id=actor.id)
        db.session.add(accommodation)
    else:
        before = {"extra_time_percent": accommodation.extra_time_percent}
    accommodation.extra_time_percent = extra_time_percent
    accommodation.reason = reason
    accommodation.granted_by_id = actor.id
    open_attempts = db.session.scalars(
        sa.select(Attempt)
        .join(Application)
        .where(Application.candidate_id == candidate.id, Attempt.status != AttemptStatus.SUBMITTED)
    )
    for attempt in open_attempts:
        attempt.time_percent = extra_time_percent
    record(
        "accommodation.set",
        accommodation,
        actor=actor,
        before=before,
        after={
            "candidate_id": candidate.id,
            "extra_time_percent": extra_time_percent,
            "reason": reason,
        },
    )
    return accommodation
