"""Autosave's one round trip on PostgreSQL (exam/exams/hotpath/keys.py and ``_save_in_one_trip``
in exam/exams/hotpath/paper.py): once the process keeps a paper's keys, a save is one
statement that checks everything the two-trip save's read checked. Each test says what a save
must answer, the same on both databases; on PostgreSQL it also says which statements ran (on
SQLite every save is the read and one upsert per answer, in the write's transaction)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from exam.core.errors import DomainError, ValidationFailed
from exam.exams.hotpath import NotYours, Statement, StatementRunner, save_answers
from exam.exams.hotpath.keys import KeyStore, PaperKeys, _Kept, key_store
from exam.exams.models import Answer, Attempt, AttemptStatus
from exam.exams.rules import AnswerRefused
from exam.exams.sitting import start_attempt
from exam.exams.tokens import option_token
from exam.extensions import db

START = dt.datetime(2026, 4, 1, 1, 0, tzinfo=dt.UTC)
GRACE = 30


@dataclass
class Sitting:
    attempt: Attempt
    other: Attempt  # another candidate's paper, of the same test

    @property
    def candidate(self) -> Any:
        return self.attempt.application.candidate

    def item(self, position: int = 0) -> Any:
        return sorted(self.attempt.questions, key=lambda item: item.position)[position]

    def token(self, position: int, option: str) -> str:
        return option_token(self.attempt.token_secret, self.item(position).id, option)

    def save(self, entries: list[tuple[int, object, int]], at: dt.datetime, **kwargs: Any):
        return save_answers(
            self.attempt.id,
            self.candidate.id,
            entries,
            session_token=kwargs.pop("session_token", self.candidate.session_token),
            at=at,
            grace_seconds=GRACE,
            **kwargs,
        )


@pytest.fixture
def sitting(make) -> Sitting:
    round_ = make.round()
    applications = [make.application(round_.positions[0]) for _ in range(2)]
    test = make.test(round_, starts_at=START, duration_minutes=1)
    attempts = [make.attempt(test, application) for application in applications]
    for attempt in attempts:
        start_attempt(attempt, session_code=test.session_code, at=START + dt.timedelta(seconds=5))
    db.session.flush()
    return Sitting(*attempts)


@pytest.fixture
def statements(monkeypatch) -> list[Statement]:
    """The statements each save ran, in order."""
    ran: list[Statement] = []
    real = StatementRunner.__call__

    def spy(self: StatementRunner, statement: Statement, parameters: dict[str, Any]) -> Any:
        ran.append(statement)
        return real(self, statement, parameters)

    monkeypatch.setattr(StatementRunner, "__call__", spy)
    return ran


def _postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def _stored(item_id: int) -> tuple[Any, int] | None:
    answer_id = _answer_id(item_id)
    if answer_id is None:
        return None
    answer = db.session.get(Answer, answer_id)
    db.session.refresh(answer)
    return answer.response, answer.seq


def _answer_id(item_id: int) -> int | None:
    import sqlalchemy as sa

    return db.session.scalar(sa.select(Answer.id).where(Answer.attempt_question_id == item_id))


AT = START + dt.timedelta(seconds=20)


def test_after_the_first_save_the_next_ones_take_one_statement(sitting, statements):
    first, second = sitting.item(0), sitting.item(1)
    state, stored = sitting.save([(first.id, sitting.token(0, "a"), 1)], AT)
    assert (state.status, stored) == (AttemptStatus.IN_PROGRESS, {first.id: 1})
    if _postgresql():  # the two trips, then the keys read for the next saves
        assert statements == [
            Statement.STATE_AND_ITEMS,
            Statement.SAVE_BATCH,
            Statement.PAPER_KEYS,
            Statement.VERSIONS,
        ]
        keys = key_store().papers.get(sitting.attempt.id)
        assert keys.token_secret == sitting.attempt.token_secret
        assert keys.as_dict() == {
            item.id: (item.question_version_id, item.points) for item in sitting.attempt.questions
        }
    else:
        assert statements == [Statement.STATE_AND_ITEMS, Statement.UPSERT]
    statements.clear()
    state, stored = sitting.save(
        [(first.id, sitting.token(0, "b"), 2), (second.id, sitting.token(1, "c"), 3)], AT
    )
    assert stored == {first.id: 2, second.id: 3}
    assert state.deadline_at == sitting.attempt.deadline_at
    assert _stored(first.id) == ("b", 2)
    assert _stored(second.id) == ("c", 3)
    if _postgresql():
        assert statements == [Statement.SAVE_CHECKED]
    else:
        assert statements == [Statement.STATE_AND_ITEMS, Statement.UPSERT, Statement.UPSERT]


def test_an_older_save_keeps_the_newer_answer_and_says_its_seq(sitting, statements):
    first = sitting.item(0)
    sitting.save([(first.id, sitting.token(0, "a"), 5)], AT)
    statements.clear()
    _state, stored = sitting.save([(first.id, sitting.token(0, "b"), 4)], AT)
    assert stored == {first.id: 5}
    assert _stored(first.id) == ("a", 5)
    if _postgresql():  # the write kept nothing: the stored seq is read, no second trip
        assert statements == [Statement.SAVE_CHECKED, Statement.STORED_SEQS]


def test_the_deadline_and_grace_are_the_same_second_in_sql_as_in_python(sitting, statements):
    """A duration lengthened by an accommodation to a fraction of a second (1 minute at
    +33 %: 79.8 s, rounded up to 80 s), with minutes added: the last instant accepted is the
    deadline plus the grace, to the microsecond, then nothing."""
    first = sitting.item(0)
    sitting.save([(first.id, sitting.token(0, "a"), 1)], AT)  # the keys are kept
    sitting.attempt.time_percent = 33
    sitting.attempt.extra_minutes = 2
    db.session.flush()
    last = sitting.attempt.deadline_at + dt.timedelta(seconds=GRACE)
    assert last == START + dt.timedelta(seconds=80 + 120 + GRACE)
    statements.clear()
    _state, stored = sitting.save([(first.id, sitting.token(0, "b"), 2)], last)
    assert stored == {first.id: 2}
    if _postgresql():
        assert statements == [Statement.SAVE_CHECKED]
    statements.clear()
    with pytest.raises(AnswerRefused):
        sitting.save([(first.id, sitting.token(0, "c"), 3)], last + dt.timedelta(microseconds=1))
    assert _stored(first.id) == ("b", 2)  # nothing written
    if _postgresql():
        assert statements == [Statement.SAVE_CHECKED]


def test_a_closed_paper_refuses_the_save(sitting, statements):
    first = sitting.item(0)
    sitting.save([(first.id, sitting.token(0, "a"), 1)], AT)
    sitting.attempt.status = AttemptStatus.SUBMITTED
    sitting.attempt.submitted_at = AT
    sitting.attempt.score = sitting.attempt.final_score = 0.0
    db.session.flush()
    with pytest.raises(AnswerRefused):
        sitting.save([(first.id, sitting.token(0, "b"), 2)], AT)
    assert _stored(first.id) == ("a", 1)


def test_another_candidate_or_an_ended_session_finds_no_paper(sitting, statements):
    """The keys are the process's, not the candidate's: a save for a paper whose keys are
    kept is still refused as not found (404) to anyone else, and after a sign-out."""
    first = sitting.item(0)
    sitting.save([(first.id, sitting.token(0, "a"), 1)], AT)
    stranger = sitting.other.application.candidate
    with pytest.raises(NotYours):
        save_answers(
            sitting.attempt.id,
            stranger.id,
            [(first.id, sitting.token(0, "b"), 2)],
            session_token=stranger.session_token,
            at=AT,
            grace_seconds=GRACE,
        )
    with pytest.raises(NotYours):
        sitting.save([(first.id, sitting.token(0, "b"), 2)], AT, session_token="signed-out")
    sitting.candidate.active = False
    db.session.flush()
    with pytest.raises(NotYours):
        sitting.save([(first.id, sitting.token(0, "b"), 2)], AT)
    assert _stored(first.id) == ("a", 1)
    if _postgresql():  # each tried one trip, then the two-trip save said why
        assert statements.count(Statement.SAVE_CHECKED) == 3
        assert statements.count(Statement.STATE_AND_ITEMS) == 1 + 3
        assert key_store().papers.get(sitting.attempt.id) is not None  # still the owner's


def test_a_response_or_question_the_keys_refuse_gets_the_two_trip_saves_words(sitting, statements):
    first = sitting.item(0)
    sitting.save([(first.id, sitting.token(0, "a"), 1)], AT)
    with pytest.raises(ValidationFailed):
        sitting.save([(first.id, "a", 2)], AT)  # a bank id, not the page's token
    with pytest.raises(DomainError, match="không thuộc bài thi"):
        sitting.save([(sitting.other.questions[0].id, "a", 2)], AT)
    assert _stored(first.id) == ("a", 1)
    if _postgresql():
        assert Statement.SAVE_CHECKED not in statements


@pytest.mark.parametrize("wrong", ["secret", "version", "item"])
def test_keys_that_are_not_the_papers_are_found_out_and_read_again(sitting, statements, wrong):
    """A stale entry (a restored database, ids given again) costs a save its second trip,
    never a wrong answer: the statement checks the keys it was given."""
    first, second = sitting.item(0), sitting.item(1)
    sitting.save([(first.id, sitting.token(0, "a"), 1)], AT)
    if not _postgresql():
        _state, stored = sitting.save([(second.id, sitting.token(1, "b"), 2)], AT)
        assert stored == {second.id: 2}
        return
    store = key_store()
    kept = store.papers.get(sitting.attempt.id)
    items = kept.as_dict()
    if wrong == "secret":
        forged = PaperKeys.of("0" * 32, items)
    elif wrong == "version":  # another version the process knows, of the other question
        items[second.id] = items[first.id]
        forged = PaperKeys.of(kept.token_secret, items)
    else:  # the keys give this paper an item of another paper (with a version they know)
        items[sitting.other.questions[0].id] = items[first.id]
        forged = PaperKeys.of(kept.token_secret, items)
    store.papers.put(sitting.attempt.id, forged)
    statements.clear()
    if wrong == "item":
        with pytest.raises(DomainError, match="không thuộc bài thi"):
            sitting.save([(sitting.other.questions[0].id, "a", 2)], AT, bank_ids=True)
        assert _stored(sitting.other.questions[0].id) is None
    elif wrong == "secret":  # a token made with the forged secret: refused once checked
        token = option_token("0" * 32, second.id, "b")
        with pytest.raises(ValidationFailed):
            sitting.save([(second.id, token, 2)], AT)
    else:
        _state, stored = sitting.save([(second.id, sitting.token(1, "b"), 2)], AT)
        assert stored == {second.id: 2}
        assert _stored(second.id) == ("b", 2)
    assert statements[0] is Statement.SAVE_CHECKED
    assert Statement.STATE_AND_ITEMS in statements  # then the two-trip save
    if wrong == "version":  # read again after the two-trip save
        assert statements[-1] is Statement.PAPER_KEYS
        assert key_store().papers.get(sitting.attempt.id) == kept


def test_the_kept_papers_are_bounded_the_least_recently_used_going_first():
    kept = _Kept(2)
    kept.put(1, "one")
    kept.put(2, "two")
    assert kept.get(1) == "one"  # now the most recently used
    kept.put(3, "three")
    assert (kept.get(1), kept.get(2), kept.get(3)) == ("one", None, "three")
    kept.drop(1)
    assert kept.get(1) is None
    store = KeyStore()
    assert store.papers.size >= 8_000  # a city's round, every paper kept by every worker
