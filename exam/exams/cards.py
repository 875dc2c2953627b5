"""A candidate's admission card with their sittings: each test of the round with the time,
session and room of their paper (known once papers are drawn; before that the card says the
schedule will follow). The card itself is the candidates' (exam/candidates/documents.py).

The cards are issued (exam/documents) when the board issues them, once every candidate has a
seat in every test: one per candidate (their subject), numbered by registration number, in
background jobs of ``CARDS_PER_JOB`` cards each (exam/core/job_batches.py). A card whose room
or time changes afterwards (``move_attempt``) is re-issued at once, replacing the earlier
(``reissue_document``: its verification page names the new one); issuing again after papers
of another test were drawn re-issues the cards that lack that test. Before the board issues
them, and in rounds tested before cards were issued, a card is rendered on request as before,
without a code."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.candidates.documents import Sitting, admission_card, render_admission_card
from exam.candidates.models import Application, ApplicationStatus
from exam.core.documents import COUNCIL, Verification
from exam.core.errors import ValidationFailed
from exam.core.i18n import to_local
from exam.core.job_batches import work_in_batches
from exam.core.jobs import Job, Progress, create_job, dispatch_after_commit, job_kind, recent_jobs
from exam.documents.models import DocumentKind, IssuedDocument
from exam.documents.operations import issue_document, reissue_document
from exam.exams.models import Attempt
from exam.exams.queries import tests_of_round
from exam.extensions import db
from exam.rounds.models import Round, RoundStatus
from exam.rounds.stages import require_stage

CARDS_JOB_KIND = "exams.issue_cards"
CARDS_PER_JOB_DEFAULT = 200


def sittings_of(application: Application) -> tuple[Sitting, ...]:
    attempts = {
        attempt.test_id: attempt
        for attempt in db.session.scalars(
            sa.select(Attempt).where(Attempt.application_id == application.id)
        )
    }
    sittings = []
    for test in tests_of_round(application.round_id):
        attempt = attempts.get(test.id)
        if attempt is None:
            sittings.append(Sitting(test.title, None, "", ""))
        else:
            room = attempt.room.name if attempt.room else ""
            sittings.append(
                Sitting(test.title, attempt.session.starts_at, attempt.session.name, room)
            )
    return tuple(sittings)


def admission_card_pdf(application: Application, verification: Verification | None = None) -> bytes:
    return render_admission_card(
        admission_card(application, sittings_of(application)), verification=verification
    )


# --- issued cards ---------------------------------------------------------------------------


def card_document(application: Application) -> IssuedDocument | None:
    """The candidate's card in force in the application's round, if issued."""
    return db.session.scalar(
        sa.select(IssuedDocument)
        .where(
            IssuedDocument.round_id == application.round_id,
            IssuedDocument.kind == DocumentKind.ADMISSION_CARD,
            IssuedDocument.subject_user_id == application.candidate_id,
            IssuedDocument.superseded_by_id.is_(None),
        )
        .order_by(IssuedDocument.id.desc())
        .limit(1)
    )


def _cards_issued_to(application: Application) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(IssuedDocument.id)).where(
            IssuedDocument.round_id == application.round_id,
            IssuedDocument.kind == DocumentKind.ADMISSION_CARD,
            IssuedDocument.subject_user_id == application.candidate_id,
        )
    )


def issue_card(application: Application, *, actor: User, at: dt.datetime) -> IssuedDocument:
    """Issue the candidate's card as their sittings are now; a card already issued is
    replaced. Numbered by registration number ("SBD 003", then "SBD 003 (lần 2)")."""
    previous = card_document(application)
    issued_before = _cards_issued_to(application)
    number = f"SBD {application.registration_number}"
    if issued_before:
        number += f" (lần {issued_before + 1})"
    terms: dict[str, Any] = {
        "number": number,
        "title": (
            f"Thẻ dự thi số báo danh {application.registration_number}: "
            f"{application.candidate.full_name}"
        ),
        "issuer": COUNCIL,
        "issued_on": to_local(at).date(),
        "render": lambda verification: admission_card_pdf(application, verification),
        "actor": actor,
    }
    if previous is None:
        return issue_document(
            kind=DocumentKind.ADMISSION_CARD,
            round_=application.round,
            subject_user=application.candidate,
            **terms,
        )
    return reissue_document(previous, **terms)


def reissue_card_if_issued(application: Application, *, actor: User, at: dt.datetime) -> None:
    """A seat changed (room, session): the card issued with the old one is replaced."""
    if card_document(application) is not None:
        issue_card(application, actor=actor, at=at)


def _card_holders(round_: Round) -> list[Application]:
    """Who gets a card: the eligible candidates of the round's running positions."""
    return list(
        db.session.scalars(
            sa.select(Application)
            .where(
                Application.round_id == round_.id,
                Application.status == ApplicationStatus.ELIGIBLE,
                Application.registration_number.is_not(None),
            )
            .order_by(Application.registration_number, Application.id)
        )
    )


def _seats(round_: Round) -> list[tuple[int, int, dt.datetime]]:
    """(test id, application id, when the seat was given) of every paper of the round."""
    test_ids = [test.id for test in tests_of_round(round_.id)]
    if not test_ids:
        return []
    rows = db.session.execute(
        sa.select(Attempt.test_id, Attempt.application_id, Attempt.created_at).where(
            Attempt.test_id.in_(test_ids)
        )
    )
    return [(test_id, application_id, at) for test_id, application_id, at in rows]


def cards_problems(round_: Round) -> list[str]:
    """Why the cards cannot be issued yet: every candidate needs a seat in every test."""
    tests = tests_of_round(round_.id)
    if not tests:
        return [str(_l("Kỳ thi chưa có bài thi nào: chưa phát hành được thẻ dự thi."))]
    holders = _card_holders(round_)
    if not holders:
        return [str(_l("Chưa có thí sinh đủ điều kiện dự thi."))]
    seated = {(test_id, application_id) for test_id, application_id, _at in _seats(round_)}
    problems = []
    for test in tests:
        missing = sum(1 for a in holders if (test.id, a.id) not in seated)
        if missing:
            problems.append(
                str(
                    _l(
                        "%(t)s: %(n)s thí sinh chưa có chỗ thi (hãy tạo đề cho thí sinh).",
                        t=test.title,
                        n=missing,
                    )
                )
            )
    return problems


def _waiting(round_: Round, holders: list[Application]) -> list[Application]:
    """Candidates without a card, or whose card predates a seat given since."""
    rows = db.session.execute(
        sa.select(IssuedDocument.subject_user_id, IssuedDocument.created_at).where(
            IssuedDocument.round_id == round_.id,
            IssuedDocument.kind == DocumentKind.ADMISSION_CARD,
            IssuedDocument.superseded_by_id.is_(None),
        )
    )
    issued = {subject_id: at for subject_id, at in rows}
    latest_seat: dict[int, dt.datetime] = {}
    for _test_id, application_id, seated_at in _seats(round_):
        if application_id not in latest_seat or seated_at > latest_seat[application_id]:
            latest_seat[application_id] = seated_at
    return [
        a
        for a in holders
        if a.candidate_id not in issued
        or (a.id in latest_seat and latest_seat[a.id] > issued[a.candidate_id])
    ]


def start_issuing_cards(round_: Round, *, actor: User, at: dt.datetime) -> Job:
    """The board issues the cards: checked now, issued by background jobs once committed."""
    require_stage(round_, RoundStatus.TESTING, action=_l("phát hành thẻ dự thi"))
    if problems := cards_problems(round_):
        raise ValidationFailed([(None, problem) for problem in problems])
    job = create_job(
        CARDS_JOB_KIND, payload={"round_id": round_.id, "at": at.isoformat()}, actor=actor
    )
    record("round.issue_cards", round_, actor=actor, after={"job_id": job.id})
    dispatch_after_commit(job.id)
    return job


def cards_issued(round_: Round) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(IssuedDocument.id)).where(
            IssuedDocument.round_id == round_.id,
            IssuedDocument.kind == DocumentKind.ADMISSION_CARD,
            IssuedDocument.superseded_by_id.is_(None),
        )
    )


def card_jobs_of(round_: Round) -> list[Job]:
    return recent_jobs(CARDS_JOB_KIND, limit=5, round_id=round_.id)


@job_kind(CARDS_JOB_KIND)
def issue_cards(job: Job, progress: Progress) -> dict[str, Any]:
    round_ = db.session.get(Round, job.payload["round_id"])
    actor = db.session.get(User, job.created_by_id) if job.created_by_id else None
    if round_ is None or actor is None:
        progress.start_writing(_l("Không còn thẻ dự thi nào cần phát hành."))
        return {"round_id": job.payload["round_id"], "issued": 0, "message": _l("Đã xong.")}
    at = dt.datetime.fromisoformat(job.payload["at"])
    holders = _card_holders(round_)
    batch = work_in_batches(
        job,
        progress,
        waiting=_waiting(round_, holders),
        total=len(holders),
        per_job=int(current_app.config.get("CARDS_PER_JOB", CARDS_PER_JOB_DEFAULT)),
        work=lambda application: issue_card(application, actor=actor, at=at),
        actor=actor,
        message=_l("Đang phát hành thẻ dự thi…"),
    )
    return {
        "round_id": round_.id,
        "issued": batch.in_batch,
        "next_job_id": batch.next_job.id if batch.next_job is not None else None,
        "message": _l(
            "Đã phát hành %(n)s thẻ dự thi (%(d)s/%(t)s).",
            n=batch.in_batch,
            d=batch.done,
            t=batch.total,
        ),
    }
