"""The fast path's functions, which the views and exam/exams/sitting.py call: the paper's
state, the poll, the paper page's first read, autosave, the last contact noted. Each is a lone
read, or reads and then one write (exam/exams/hotpath/runner.py)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.core.errors import DomainError, ValidationFailed
from exam.exams.hotpath.adapters import PaperState
from exam.exams.hotpath.keys import KeyStore, PaperKeys, Question, key_store
from exam.exams.hotpath.runner import StatementRunner, run_statements, session_bind
from exam.exams.hotpath.statements import Statement, _attempts
from exam.exams.models import AttemptStatus, Penalty, ReviewOption
from exam.exams.rules import CLOSED_MESSAGE, AnswerRefused, accepting_answers, is_answered
from exam.exams.scoring import answer_points
from exam.exams.tokens import decode_response
from exam.extensions import db
from exam.question_bank.qtypes import get_type
from exam.question_bank.qtypes.base import InvalidResponse

# A checked answer: (item, cleaned response, seq, the points it earns; None for an essay).
_Checked = tuple[int, object, int, float | None]


class NotYours(Exception):
    """No such paper for this candidate (answered 404: existence must not leak)."""


def _mine_parameters(attempt_id: int, candidate_id: int, session_token: str) -> dict[str, Any]:
    return {"attempt": attempt_id, "candidate": candidate_id, "token": session_token}


def paper_state(attempt_id: int, candidate_id: int, *, session_token: str) -> PaperState:
    """The paper's status and deadline, if it is this (active) candidate's."""
    with run_statements() as run:
        paper = run(Statement.STATE, _mine_parameters(attempt_id, candidate_id, session_token))
    if paper is None:
        raise NotYours()
    return paper.state(attempt_id, candidate_id)


CONTACT_EVERY_SECONDS = 30  # the page's last contact is noted at most this often


@dataclass(frozen=True)
class PaperPoll:
    """What the exam page's poll learns (docs/api.md, GET …/state)."""

    state: PaperState
    answers: dict[int, int] | None  # item -> seq of the stored answer, while the paper is open
    expired: bool  # open, but its time and grace are over: the server must close it now
    contact_due: bool  # the last contact noted is older than CONTACT_EVERY_SECONDS


def poll_paper(
    attempt_id: int, candidate_id: int, *, session_token: str, at: dt.datetime, grace_seconds: int
) -> PaperPoll:
    """The exam page's poll in one read, without a lock: the paper's state and the seq of
    each stored answer. Writing (closing an expired paper, noting the contact) is left to
    the caller, who knows from the result whether either is due."""
    with run_statements() as run:
        poll = run(Statement.POLL, _mine_parameters(attempt_id, candidate_id, session_token))
    if poll is None:
        raise NotYours()
    state = poll.paper.state(attempt_id, candidate_id)
    if state.status != AttemptStatus.IN_PROGRESS:
        return PaperPoll(state, None, expired=False, contact_due=False)
    if not accepting_answers(state.status, state.deadline_at, at, grace_seconds):
        return PaperPoll(state, None, expired=True, contact_due=False)
    last_seen = poll.last_seen_at
    due = last_seen is None or last_seen < at - dt.timedelta(seconds=CONTACT_EVERY_SECONDS)
    return PaperPoll(state, poll.answers, expired=False, contact_due=due)


@dataclass(frozen=True)
class OpenPaper:
    """An unanswered paper in progress, with its questions rendered ahead of time."""

    attempt_id: int
    title: str
    candidate_name: str
    deadline_at: dt.datetime
    html: str
    questions: int


def open_paper(
    attempt_id: int, candidate_id: int, *, session_token: str, locale: str, at: dt.datetime
) -> OpenPaper | None:
    """The start of the session in one read: this candidate's paper when it is in progress,
    before its deadline, still unanswered and rendered in ``locale``; otherwise None (the
    page then takes the general path, which also explains a refusal)."""
    with run_statements() as run:
        row = run(Statement.OPEN_PAPER, _mine_parameters(attempt_id, candidate_id, session_token))
    if row is None or row.locale != locale:
        return None
    deadline_at = row.paper.deadline_at
    if row.paper.status != AttemptStatus.IN_PROGRESS or at > deadline_at:
        return None
    return OpenPaper(attempt_id, row.title, row.full_name, deadline_at, row.html, row.questions)


def save_answers(
    attempt_id: int,
    candidate_id: int,
    entries: list[tuple[int, object, int]],
    *,
    session_token: str,
    at: dt.datetime,
    grace_seconds: int,
    bank_ids: bool = False,
) -> tuple[PaperState, dict[int, int]]:
    """Save a batch of (item, response, seq) for the candidate's paper, all or nothing.

    One read checks the paper (this candidate's, open, before its deadline) and the
    responses against their questions; then the write. The sequence rule is part of the
    write: insert, or on conflict update only where the stored seq is lower (PostgreSQL and
    SQLite both run ``INSERT … ON CONFLICT DO UPDATE … WHERE`` atomically, so two tabs
    racing on one question keep the higher seq).

    PostgreSQL: the read needs no transaction, and the write is one statement that also
    checks again that the paper is open, holding its row with a shared lock
    (``_save_batch``): two round trips. Once the process keeps the paper's keys
    (exam/exams/hotpath/keys.py), one: the responses are checked against the keys, and one
    statement checks the paper and the keys and writes (``_save_in_one_trip``). SQLite:
    write requests begin IMMEDIATE, one writer at a time, so nothing can close the paper
    between the read and the write.
    Responses name the page's option tokens, or the bank's ids with ``bank_ids``
    (``exam.exams.sitting.save_answer``). Returns the state and the stored seq per item.
    """
    latest: dict[int, tuple[object, int]] = {}
    for item_id, response, seq in entries:
        if item_id not in latest or seq > latest[item_id][1]:
            latest[item_id] = (response, seq)
    mine = _mine_parameters(attempt_id, candidate_id, session_token)
    postgresql = session_bind().dialect.name == "postgresql"
    if postgresql:
        store = key_store()
        keys = store.papers.get(attempt_id)
        saved = keys and _save_in_one_trip(store, keys, mine, latest, at, grace_seconds, bank_ids)
        if saved:
            return saved
    paper = mine | {"items": list(latest)}
    with run_statements() as run:
        state, values = _checked_batch(run, paper, latest, at, grace_seconds, bank_ids)
        if not postgresql:
            return state, _write_each(run, values, at)
        stored = _write_batch(run, attempt_id, values, at)
        # Reads only, after the write: the paper's keys, kept for its next saves, or read
        # again when the ones kept did not settle this save.
        _keep_keys(run, store, attempt_id)
        return state, stored


def _checked_answer(
    secret: str,
    item_id: int,
    question: tuple[str, Any],
    item_points: float,
    raw: object,
    seq: int,
    bank_ids: bool,
) -> _Checked:
    """One response cleaned by its question's type (the page's option tokens first
    translated back to the bank's ids, exam.exams.tokens) and scored; InvalidResponse when
    it is no response to that question."""
    qtype, data = question
    if not bank_ids:
        raw = decode_response(secret, item_id, qtype, data, raw)
    response = get_type(qtype).clean_response(data, raw)
    # Scored now, while the key is at hand: the submit then only adds the points up.
    return item_id, response, seq, answer_points(qtype, data, item_points, response)


def _checked_batch(
    run: StatementRunner,
    paper: dict[str, Any],
    latest: dict[int, tuple[object, int]],
    at: dt.datetime,
    grace_seconds: int,
    bank_ids: bool,
) -> tuple[PaperState, list[_Checked]]:
    """The paper's state, and the batch's responses checked (``_checked_answer``)."""
    found = run(Statement.STATE_AND_ITEMS, paper)
    if found is None:
        raise NotYours()
    state = found.paper.state(paper["attempt"], paper["candidate"])
    if not accepting_answers(state.status, state.deadline_at, at, grace_seconds):
        raise AnswerRefused(CLOSED_MESSAGE)
    values = []
    for item_id, (raw, seq) in latest.items():
        if item_id not in found.items:
            raise DomainError(_l("Câu hỏi không thuộc bài thi này."))
        try:
            checked = _checked_answer(
                found.token_secret,
                item_id,
                found.items[item_id],
                found.points[item_id],
                raw,
                seq,
                bank_ids,
            )
        except InvalidResponse:
            raise ValidationFailed([("response", _l("Câu trả lời không hợp lệ."))]) from None
        values.append(checked)
    return state, values


def _keep_keys(run: StatementRunner, store: KeyStore, attempt_id: int) -> None:
    """Keep the paper's keys, and the data of its versions not kept yet, for its next
    saves (exam/exams/hotpath/keys.py). Called once the paper was found the candidate's."""
    keys = run(Statement.PAPER_KEYS, {"attempt": attempt_id})
    if keys is None:
        return
    versions = {version for version, _points in keys.items.values()}
    missing = sorted(version for version in versions if store.versions.get(version) is None)
    if missing:
        for version, question in run(Statement.VERSIONS, {"versions": missing}).items():
            store.versions.put(version, Question(*question))
    store.papers.put(attempt_id, PaperKeys.of(keys.token_secret, keys.items))


def _batch_by_keys(
    store: KeyStore, keys: PaperKeys, latest: dict[int, tuple[object, int]], bank_ids: bool
) -> list[dict[str, Any]] | None:
    """The batch checked against the kept keys, as ``SAVE_CHECKED`` takes it; None when the
    keys do not settle it (an item they do not know, a response they refuse): the two-trip
    save then checks it and says what is wrong."""
    batch = []
    for item_id, (raw, seq) in latest.items():
        known = keys.get(item_id)
        question = known and store.versions.get(known[0])
        if question is None:
            return None
        version, item_points = known
        try:
            _item, response, _seq, points = _checked_answer(
                keys.token_secret, item_id, question, item_points, raw, seq, bank_ids
            )
        except InvalidResponse:
            return None
        batch.append(
            {
                "item": item_id,
                "version": version,
                "response": json.dumps(response),  # cast back to JSON by the statement
                "answered": is_answered(response),
                "seq": seq,
                "points": points,
            }
        )
    return batch


def _save_in_one_trip(
    store: KeyStore,
    keys: PaperKeys,
    mine: dict[str, Any],
    latest: dict[int, tuple[object, int]],
    at: dt.datetime,
    grace_seconds: int,
    bank_ids: bool,
) -> tuple[PaperState, dict[int, int]] | None:
    """PostgreSQL: the save in one statement, checked against the paper's kept keys. None
    when the two-trip save must do it and say what is wrong: keys that do not settle the
    batch, or the statement found the paper not the candidate's or the keys not its own
    (no row), or it did not write an item for which no newer answer is stored. An answer
    not written because a newer one is stored is reported with that one's seq, as the
    two-trip save reports it."""
    batch = _batch_by_keys(store, keys, latest, bank_ids)
    if batch is None:
        return None
    parameters = mine | {
        "secret": keys.token_secret,
        "batch": batch,
        "at": at,
        "grace": grace_seconds,
    }
    with run_statements() as run:
        result = run(Statement.SAVE_CHECKED, parameters)
        if result is None:
            return None
        if not result.accepting:
            raise AnswerRefused(CLOSED_MESSAGE)
        unwritten = [item_id for item_id in latest if item_id not in result.saved]
        stored = result.saved | _stored_seqs(run, unwritten)
    if any(stored.get(item_id, -1) < latest[item_id][1] for item_id in unwritten):
        return None
    state = result.paper.state(mine["attempt"], mine["candidate"])
    return state, {item_id: stored[item_id] for item_id in latest}


def _write_batch(
    run: StatementRunner, attempt_id: int, values: list[_Checked], at: dt.datetime
) -> dict[int, int]:
    """PostgreSQL: the batch in one statement (``_save_batch``)."""
    batch = [
        {
            "item": item_id,
            "response": json.dumps(response),  # cast back to JSON by the statement
            "answered": is_answered(response),
            "seq": seq,
            "points": points,
        }
        for item_id, response, seq, points in values
    ]
    stored = run(Statement.SAVE_BATCH, {"attempt": attempt_id, "batch": batch, "at": at})
    missing = [item_id for item_id, *_saved in values if item_id not in stored]
    if missing and not stored:
        status = run(Statement.STATUS, {"attempt": attempt_id})
        if status != AttemptStatus.IN_PROGRESS:
            raise AnswerRefused(CLOSED_MESSAGE)  # closed between the read and the write
    return _in_batch_order(values, stored | _stored_seqs(run, missing))


def _write_each(run: StatementRunner, values: list[_Checked], at: dt.datetime) -> dict[int, int]:
    """SQLite: one upsert per answer, in the transaction that holds the write lock."""
    stored: dict[int, int] = {}
    for item_id, response, seq, points in values:
        kept = run(
            Statement.UPSERT,
            {
                "attempt_question_id": item_id,
                "response": response,
                "answered": is_answered(response),
                "seq": seq,
                "saved_at": at,
                "points": points,
            },
        )
        if kept is not None:
            stored[item_id] = kept
    missing = [item_id for item_id, *_saved in values if item_id not in stored]
    return _in_batch_order(values, stored | _stored_seqs(run, missing))


def _in_batch_order(values: list[_Checked], stored: dict[int, int]) -> dict[int, int]:
    return {item_id: stored[item_id] for item_id, *_saved in values}


def _stored_seqs(run: StatementRunner, item_ids: list[int]) -> dict[int, int]:
    """The seq kept for items whose save was older than the one stored."""
    if not item_ids:
        return {}
    return run(Statement.STORED_SEQS, {"items": item_ids})


def touch_attempt(
    attempt_id: int, *, at: dt.datetime, every_seconds: int = CONTACT_EVERY_SECONDS
) -> None:
    """Note the last contact of the candidate's page (at most once per ``every_seconds``)."""
    db.session.execute(
        sa.update(_attempts)
        .where(
            _attempts.c.id == attempt_id,
            sa.or_(
                _attempts.c.last_seen_at.is_(None),
                _attempts.c.last_seen_at < at - dt.timedelta(seconds=every_seconds),
            ),
        )
        .values(last_seen_at=at)
    )


@dataclass(frozen=True)
class _ResultRound:
    test_pass_mark: int


@dataclass(frozen=True)
class _ResultTest:
    title: str
    round: _ResultRound


@dataclass(frozen=True)
class PaperResult:
    """A submitted paper as its result page reads it (the attributes of ``Attempt`` that
    templates/exams/result.html uses), read without the ORM."""

    id: int
    test: _ResultTest
    candidate_name: str
    score: float | None
    final_score: float | None
    max_score: float
    penalty: Penalty
    submitted_at: dt.datetime | None
    submitted_by_server: bool
    acknowledged_at: dt.datetime | None
    review_later: bool  # the test shows the paper once every paper has closed

    @property
    def score_percent(self) -> float | None:
        if self.final_score is None or not self.max_score:
            return None
        return round(100 * self.final_score / self.max_score, 2)


def paper_result(
    attempt_id: int, candidate_id: int, *, session_token: str, at: dt.datetime, grace_seconds: int
) -> PaperResult | None:
    """The result page right after a submit in one read: this candidate's submitted paper,
    while its test's review is not open (or the test shows only the score). Otherwise None:
    the page takes the general path (a paper to show again, or one not submitted)."""
    with run_statements() as run:
        row = run(Statement.RESULT, _mine_parameters(attempt_id, candidate_id, session_token))
    if row is None or row.status != AttemptStatus.SUBMITTED:
        return None
    review_later = False
    if row.review_option != ReviewOption.SCORE_ONLY.value:
        opens = row.review_opens_at
        if opens is not None and at > opens + dt.timedelta(seconds=grace_seconds):
            return None  # the review is open: the general path shows the paper
        review_later = True
    return PaperResult(
        attempt_id,
        _ResultTest(row.title, _ResultRound(row.pass_mark)),
        row.full_name,
        row.score,
        row.final_score,
        row.max_score,
        row.penalty,
        row.submitted_at,
        row.submitted_by_server,
        row.acknowledged_at,
        review_later,
    )
