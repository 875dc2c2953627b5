"""Defining a test, making papers, and sitting them: start, save, submit.

Time is the server's: every function takes ``at`` (the moment of the request) and the
deadline is fixed by the test's start, never by the candidate's login.
"""

from __future__ import annotations

import datetime as dt
import hmac
import random
import secrets

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.candidates.models import Application
from exam.candidates.queries import eligible_applications
from exam.core.errors import DomainError, ValidationFailed
from exam.exams.models import Answer, Attempt, AttemptQuestion, AttemptStatus, Test
from exam.extensions import db
from exam.question_bank.models import Bank
from exam.question_bank.qtypes import get_type
from exam.question_bank.qtypes.base import InvalidResponse
from exam.question_bank.queries import approved_questions
from exam.rounds.models import Round

BANK_TO_PAPER_RATIO = 3  # DOMAIN.md: the bank holds at least 3× the questions of one paper
SESSION_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I look-alikes


class AnswerRefused(DomainError):
    """An answer that arrived too late or for a paper that is closed."""


def create_test(
    round_: Round,
    bank: Bank,
    *,
    title: str,
    question_count: int,
    duration_minutes: int,
    starts_at: dt.datetime,
    points_per_question: float = 1.0,
    actor: User,
) -> Test:
    available = len(approved_questions(bank.id))
    needed = question_count * BANK_TO_PAPER_RATIO
    if available < needed:
        raise ValidationFailed(
            [
                (
                    "question_count",
                    _l(
                        "Ngân hàng chỉ có %(n)d câu hỏi đã duyệt; đề %(q)d câu cần ít nhất %(m)d.",
                        n=available,
                        q=question_count,
                        m=needed,
                    ),
                )
            ]
        )
    test = Test(
        round_id=round_.id,
        bank_id=bank.id,
        title=title.strip(),
        question_count=question_count,
        duration_minutes=duration_minutes,
        starts_at=starts_at,
        points_per_question=points_per_question,
        session_code="".join(secrets.choice(SESSION_CODE_ALPHABET) for _ in range(6)),
    )
    db.session.add(test)
    record(
        "test.create",
        test,
        actor=actor,
        after={
            "title": test.title,
            "bank_id": bank.id,
            "question_count": question_count,
            "duration_minutes": duration_minutes,
            "starts_at": starts_at,
        },
    )
    return test


def draw_paper(attempt: Attempt, pool_ids: list[int], versions: dict[int, object]) -> None:
    """Fill a paper from the pool with the attempt's seed: the same seed and pool give the
    same paper, so any paper can be re-derived and checked."""
    test = attempt.test
    rng = random.Random(attempt.seed)
    chosen = rng.sample(sorted(pool_ids), test.question_count)
    if not test.shuffle_questions:
        chosen.sort()
    for position, question_id in enumerate(chosen, start=1):
        version = versions[question_id]
        option_ids = get_type(version.type).shuffleable_ids(version.data)
        if test.shuffle_options:
            rng.shuffle(option_ids)
        attempt.questions.append(
            AttemptQuestion(
                position=position,
                version=version,
                option_order=option_ids,
                points=test.points_per_question,
            )
        )


def generate_papers(test: Test, *, actor: User, at: dt.datetime) -> list[Attempt]:
    """One paper per eligible candidate of the round, made before the start so that
    pressing Start is a cheap read. Candidates who already have one keep it."""
    if at >= test.starts_at:
        raise DomainError(_l("Phải tạo đề trước giờ bắt đầu thi."))
    pool = approved_questions(test.bank_id)
    versions = {q.id: q.current for q in pool}
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
    made = []
    for application in applications:
        attempt = Attempt(test=test, application=application, seed=secrets.randbits(62))
        draw_paper(attempt, list(versions), versions)
        db.session.add(attempt)
        made.append(attempt)
    test.papers_generated_at = at
    record("test.generate_papers", test, actor=actor, after={"papers": len(made)})
    return made


def attempt_for(test: Test, application: Application) -> Attempt | None:
    return db.session.scalars(
        sa.select(Attempt).where(
            Attempt.test_id == test.id, Attempt.application_id == application.id
        )
    ).first()


def start_attempt(attempt: Attempt, *, session_code: str, actor: User, at: dt.datetime) -> Attempt:
    """Unlock the paper with the session code, once the fixed start has come."""
    if attempt.status != AttemptStatus.READY:
        return attempt  # resuming: nothing to do
    test = attempt.test
    if at < test.starts_at:
        raise DomainError(_l("Chưa đến giờ thi."))
    if at >= attempt.deadline_at:
        raise DomainError(_l("Đã hết giờ làm bài."))
    if not hmac.compare_digest(session_code.strip().upper(), test.session_code):
        raise ValidationFailed([("session_code", _l("Mã ca thi không đúng."))])
    attempt.status = AttemptStatus.IN_PROGRESS
    attempt.started_at = at
    record("attempt.start", attempt, actor=actor, after={"started_at": at})
    return attempt


def _accepting_answers(attempt: Attempt, at: dt.datetime, grace_seconds: int) -> bool:
    return attempt.status == AttemptStatus.IN_PROGRESS and at <= attempt.deadline_at + dt.timedelta(
        seconds=grace_seconds
    )


def save_answer(
    attempt: Attempt,
    attempt_question: AttemptQuestion,
    raw_response: object,
    *,
    seq: int,
    at: dt.datetime,
    grace_seconds: int = 0,
) -> Answer:
    """Keep the response unless a newer one (higher ``seq``) is already stored.

    Saving the same (seq, response) twice is harmless, so clients may retry freely.
    """
    if attempt_question.attempt_id != attempt.id:
        raise DomainError(_l("Câu hỏi không thuộc bài thi này."))
    if not _accepting_answers(attempt, at, grace_seconds):
        raise AnswerRefused(_l("Bài thi đã đóng: câu trả lời không được ghi nhận."))
    version = attempt_question.version
    try:
        response = get_type(version.type).clean_response(version.data, raw_response)
    except InvalidResponse:
        raise ValidationFailed([("response", _l("Câu trả lời không hợp lệ."))]) from None
    answer = attempt_question.answer
    if answer is None:
        answer = Answer(attempt_question=attempt_question, response=response, seq=seq, saved_at=at)
        db.session.add(answer)
    elif seq > answer.seq:
        answer.response, answer.seq, answer.saved_at = response, seq, at
    db.session.flush()
    return answer


def score_attempt(attempt: Attempt) -> float:
    total = 0.0
    for item in attempt.questions:
        if item.answer is None or item.answer.response in (None, []):
            continue
        qtype = get_type(item.version.type)
        total += item.points * qtype.score_fraction(item.version.data, item.answer.response)
    return round(total, 2)


def submit_attempt(
    attempt: Attempt, *, actor: User | None, at: dt.datetime, by_server: bool = False
) -> Attempt:
    """Close the paper and score it at once (objective questions)."""
    if attempt.status == AttemptStatus.SUBMITTED:
        raise DomainError(_l("Bài thi đã được nộp."))
    if attempt.status != AttemptStatus.IN_PROGRESS:
        raise DomainError(_l("Bài thi chưa bắt đầu."))
    score = score_attempt(attempt)  # before the state changes: loading answers autoflushes
    attempt.status = AttemptStatus.SUBMITTED
    attempt.submitted_at = min(at, attempt.deadline_at) if by_server else at
    attempt.submitted_by_server = by_server
    attempt.score = score
    record(
        "attempt.submit",
        attempt,
        actor=actor,
        after={"score": attempt.score, "by_server": by_server},
    )
    return attempt


def close_if_expired(attempt: Attempt, *, at: dt.datetime, grace_seconds: int = 0) -> bool:
    """The server submits a paper whose time is up, even if the browser is gone."""
    expired = at > attempt.deadline_at + dt.timedelta(seconds=grace_seconds)
    if expired and attempt.status == AttemptStatus.IN_PROGRESS:
        submit_attempt(attempt, actor=None, at=at, by_server=True)
        return True
    return False


def close_expired_attempts(*, at: dt.datetime, grace_seconds: int = 0) -> int:
    """Close every expired paper (run by `flask exams close-expired`, e.g. each minute)."""
    closed = 0
    for attempt in db.session.scalars(
        sa.select(Attempt).where(Attempt.status == AttemptStatus.IN_PROGRESS)
    ):
        closed += close_if_expired(attempt, at=at, grace_seconds=grace_seconds)
    return closed


def acknowledge_result(attempt: Attempt, *, actor: User, at: dt.datetime) -> Attempt:
    """The candidate confirms the score shown: the electronic signature of the result list."""
    if attempt.status != AttemptStatus.SUBMITTED:
        raise DomainError(_l("Bài thi chưa nộp."))
    if attempt.acknowledged_at is None:
        attempt.acknowledged_at = at
        record("attempt.acknowledge", attempt, actor=actor, after={"score": attempt.score})
    return attempt
