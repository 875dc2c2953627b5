"""The deadline rush made cheap (issue 17): each answer's points are scored when it is saved,
so that a submit or the server's closing only adds them up (exam/exams/hotpath/submit.py).
The scores must stay those of ``rescore`` for every question type, a paper must be scored
once whoever closes it, the server closes expired papers in batches, and a corrected key
updates the stored points."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
import time_machine
from flask_migrate import downgrade, upgrade

from exam import create_app
from exam.accounts.models import Role, User
from exam.audit.models import AuditEntry, PendingAuditEntry
from exam.audit.reconcile import attempt_values
from exam.exams.analysis import void_question
from exam.exams.definition import add_section, create_test
from exam.exams.hotpath import Statement, close_papers, run_statements, submit_paper
from exam.exams.hotpath.submit import _close
from exam.exams.models import Answer, Attempt, AttemptQuestion, AttemptStatus, ReviewOption
from exam.exams.papers import generate_papers
from exam.exams.scoring import answer_points, paper_scores, rescore
from exam.exams.sitting import (
    close_expired_attempts,
    save_answer,
    start_attempt,
    submit_attempt,
)
from exam.extensions import db
from exam.question_bank.interchange import Choice, MatchPair, QuestionData, RubricCriterion
from exam.question_bank.operations import (
    approve_question,
    create_bank,
    create_question,
    submit_for_review,
)
from exam.rounds.models import RoundStatus
from tests.conftest import login
from tests.factories import Factories
from tests.helpers import config_for_tests, fresh_database_url

START = dt.datetime(2026, 4, 1, 1, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)
DURATION = 60
DEADLINE = START + DURATION * MINUTE
CODE = "DL7QKX"
TYPES = ("single_choice", "multiple_response", "true_false", "matching", "ordering", "essay")


def _question(kind: str) -> QuestionData:
    text = f"Câu hỏi {kind}"
    if kind == "single_choice":
        choices = [Choice(f"Phương án {x}", 1.0 if x == "A" else 0.0) for x in "ABCD"]
        return QuestionData(kind, text, choices=choices)
    if kind == "multiple_response":
        fractions = (0.5, 0.5, -1.0, -1.0)
        choices = [Choice(f"Lựa chọn {x}", f) for x, f in zip("ABCD", fractions, strict=True)]
        return QuestionData(kind, text, choices=choices)
    if kind == "true_false":
        return QuestionData(kind, text, correct_answer=True)
    if kind == "matching":
        pairs = [MatchPair(f"Vế hỏi {x}", f"Vế trả lời {x}") for x in "ABC"]
        return QuestionData(kind, text, pairs=pairs)
    if kind == "ordering":
        return QuestionData(kind, text, items=[f"Bước {x}" for x in "ABCD"])
    return QuestionData(kind, text, rubric=[RubricCriterion("Ý chính", 3.0)])


def _responses(item: AttemptQuestion) -> object:
    """A response of each type, partly right where the type allows it, in the bank's ids."""
    data, kind = item.version.data, item.version.type
    if kind == "single_choice":
        return next(c["id"] for c in data["choices"] if c["fraction"] == 1)
    if kind == "multiple_response":  # one right, one wrong: a penalty, then 0
        right = next(c["id"] for c in data["choices"] if c["fraction"] > 0)
        wrong = next(c["id"] for c in data["choices"] if c["fraction"] < 0)
        return [right, wrong]
    if kind == "true_false":
        return "false"
    if kind == "matching":  # two of three pairs right
        pairs = [p for p in data["pairs"] if p.get("id")]
        given = {p["id"]: p["answer_id"] for p in pairs}
        given[pairs[0]["id"]] = pairs[1]["answer_id"]
        return given
    if kind == "ordering":  # the first two swapped
        order = {entry["id"]: n for n, entry in enumerate(data["items"], start=1)}
        first, second = (entry["id"] for entry in data["items"][:2])
        order[first], order[second] = order[second], order[first]
        return order
    return "Bài luận của thí sinh."


@dataclass
class World:
    board: User
    candidates: list[User]
    attempt_ids: list[int]

    def attempt(self, n: int = 0) -> Attempt:
        """Paper ``n`` as stored (the fast path writes without the ORM)."""
        db.session.expire_all()
        return db.session.get(Attempt, self.attempt_ids[n])


@pytest.fixture
def world(make, monkeypatch) -> World:
    """Papers of the same six questions, one of each type (the essay scored by people),
    worth 1.5 points each."""
    monkeypatch.setattr("exam.exams.definition.BANK_RATIO_DEFAULT", 1)
    author, reviewer = make.user(Role.QUESTION_AUTHOR), make.user(Role.QUESTION_AUTHOR)
    board = make.user(Role.BOARD_ADMIN)
    bank = create_bank("Ngân hàng mọi loại câu hỏi", "", actor=author)
    for kind in TYPES:
        question = create_question(bank, _question(kind), actor=author)
        submit_for_review(question, actor=author)
        approve_question(question, actor=reviewer, at=START - dt.timedelta(days=9))
    round_ = make.round()
    candidates = [make.user(Role.CANDIDATE) for _ in range(7)]
    applications = [make.application(round_.positions[0], c) for c in candidates]
    test = create_test(
        round_,
        bank,
        title="Trắc nghiệm",
        question_count=1,
        duration_minutes=DURATION,
        starts_at=START,
        question_type=TYPES[0],
        actor=board,
    )
    test.sections[0].points_per_question = 1.5
    for kind in TYPES[1:]:
        add_section(
            test,
            title=kind,
            question_count=1,
            points_per_question=1.5,
            question_type=kind,
            actor=board,
        )
    test.sessions[0].code = CODE
    make.stage(test.round, RoundStatus.TESTING)
    generate_papers(test, actor=board, at=START - dt.timedelta(hours=1))
    db.session.flush()
    made = World(board, candidates, [make.attempt(test, a).id for a in applications])
    db.session.commit()
    return made


def _sat(world: World, n: int) -> Attempt:
    """Paper ``n`` started and answered (every question, as ``_responses``)."""
    attempt = world.attempt(n)
    start_attempt(attempt, session_code=CODE, at=START + MINUTE)
    for seq, item in enumerate(attempt.questions, start=1):
        save_answer(attempt, item, _responses(item), seq=seq, at=START + 5 * MINUTE)
    db.session.commit()
    return attempt


def _values(attempt_id: int) -> tuple:
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    return (attempt.status, attempt.score, attempt.final_score, attempt_values(attempt))


def _submit_entries(attempt_id: int) -> list[dict]:
    """The paper's submit entries, sealed or still pending."""
    where = {"action": "attempt.submit", "object_id": str(attempt_id)}
    sealed = db.session.scalars(sa.select(AuditEntry).filter_by(**where)).all()
    pending = db.session.scalars(sa.select(PendingAuditEntry).filter_by(**where)).all()
    return [entry.after for entry in [*sealed, *pending]]


def _submit_through_the_page(app, user: User, attempt_id: int, at: dt.datetime):
    with time_machine.travel(at, tick=False):
        client = login(app.test_client(), user)
        return client.post(f"/attempts/{attempt_id}/submit", follow_redirects=True)


def test_the_submit_scores_every_type_as_rescore_does(app, world):
    """The page's submit (stored points) against the ORM's submit (``rescore`` from the
    responses and the keys) on two papers answered alike: the same scores, item points and
    audit entry; the essay waits for marking; a voided question gives all its points."""
    fast, slow = _sat(world, 0), _sat(world, 1)
    voided = next(item for item in fast.questions if item.version.type == "true_false")
    void_question(
        db.session.get(Attempt, fast.id).test,
        voided.version.question,
        reason="Đáp án sai",
        actor=world.board,
        at=START + 2 * MINUTE,
    )
    db.session.commit()
    at = START + 20 * MINUTE

    page = _submit_through_the_page(app, world.candidates[0], fast.id, at)
    assert "Đã nộp bài." in page.get_data(as_text=True)
    submit_attempt(world.attempt(1), actor=world.candidates[1], at=at)
    db.session.commit()

    status, score, final_score, values = _values(fast.id)
    assert (status, final_score) == (AttemptStatus.SUBMITTED, None)  # the essay waits
    assert 0 < score < 7.5  # partly right
    assert values["item_points"] == {
        str(item.id): points
        for item, points in zip(fast.questions, paper_scores(world.attempt(0)).points, strict=True)
        if points is not None
    }
    slow_values = _values(slow.id)
    assert (status, score, final_score) == slow_values[:3]
    assert sorted(values["item_points"].values()) == sorted(slow_values[3]["item_points"].values())
    assert _submit_entries(fast.id) == [{"by_server": False, **values}]
    attempt = world.attempt(0)
    assert attempt.submitted_at == at
    assert attempt.submitted_by_server is False
    before = (attempt.score, attempt.final_score, attempt_values(attempt))
    rescore(attempt)  # what the ORM's rescore writes: nothing changes
    assert (attempt.score, attempt.final_score, attempt_values(attempt)) == before


def test_each_saved_answer_stores_its_points_and_an_essay_none(world):
    attempt = _sat(world, 0)
    for item in attempt.questions:
        expected = answer_points(
            item.version.type, item.version.data, item.points, item.answer.response
        )
        assert item.answer.points == expected
        assert (expected is None) == (item.version.type == "essay")
    single = next(item for item in attempt.questions if item.version.type == "single_choice")
    save_answer(attempt, single, None, seq=99, at=START + 6 * MINUTE)  # cleared
    assert single.answer.points == 0.0


def test_the_result_page_behind_the_submit_is_read_without_the_orm(app, world):
    """Right after the submit the result page is one read and no site menu, with the score
    of the paper; once every paper is over, a test that shows the paper takes the general
    path, which shows it."""
    attempt = _sat(world, 0)
    for item in attempt.questions:  # only the essay left to mark
        if item.version.type == "single_choice":
            single = item
    test = attempt.test
    test.review_option = ReviewOption.OWN_ANSWERS
    db.session.commit()
    _submit_through_the_page(app, world.candidates[0], attempt.id, START + 20 * MINUTE)
    score = world.attempt(0).score
    with time_machine.travel(START + 21 * MINUTE, tick=False):
        client = login(app.test_client(), world.candidates[0])
        page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    shown = f"{score:.2f}".replace(".", ",")  # Vietnamese decimal comma
    assert f'<div class="result-score" id="score">{shown}</div>' in page
    assert "Phần tự luận đang chờ chấm" in page
    assert "khi mọi thí sinh đã kết thúc bài thi" in page  # the review later
    assert 'class="site-nav"' not in page
    assert world.candidates[0].full_name in page
    after_every_paper = DEADLINE + dt.timedelta(hours=1)
    with time_machine.travel(after_every_paper, tick=False):
        client = login(app.test_client(), world.candidates[0])
        page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    assert 'id="review"' in page
    assert 'class="site-nav"' in page
    assert single.version.text in page


def test_a_second_submit_shows_the_result_again_and_the_paper_is_scored_once(app, world):
    attempt = _sat(world, 0)
    first = _submit_through_the_page(app, world.candidates[0], attempt.id, START + 20 * MINUTE)
    again = _submit_through_the_page(app, world.candidates[0], attempt.id, START + 21 * MINUTE)
    assert "Đã nộp bài." in first.get_data(as_text=True)
    # Sent again (a second click, a retry after a lost answer, nginx after a node died):
    # answered as the first was, without an error, and the paper not scored again.
    assert "Đã nộp bài." in again.get_data(as_text=True)
    assert "alert-danger" not in again.get_data(as_text=True)
    assert len(_submit_entries(attempt.id)) == 1
    assert world.attempt(0).submitted_at == START + 20 * MINUTE


def test_someone_elses_paper_cannot_be_submitted(app, world):
    attempt = _sat(world, 1)
    response = _submit_through_the_page(app, world.candidates[0], attempt.id, START + 9 * MINUTE)
    assert response.status_code == 404
    assert world.attempt(1).status == AttemptStatus.IN_PROGRESS
    assert _submit_entries(attempt.id) == []


def test_a_paper_not_started_cannot_be_submitted(app, world):
    page = _submit_through_the_page(app, world.candidates[0], world.attempt_ids[0], START)
    assert "Bài thi chưa bắt đầu." in page.get_data(as_text=True)
    assert world.attempt(0).status == AttemptStatus.READY


def test_a_submit_after_the_grace_is_the_servers_closing(app, world, grace):
    attempt = _sat(world, 0)
    late = DEADLINE + dt.timedelta(seconds=grace + 1)
    page = _submit_through_the_page(app, world.candidates[0], attempt.id, late)
    assert "bài thi được nộp lúc hết giờ" in page.get_data(as_text=True)
    attempt = world.attempt(0)
    assert attempt.submitted_by_server is True
    assert attempt.submitted_at == DEADLINE
    assert [entry["by_server"] for entry in _submit_entries(attempt.id)] == [True]


@pytest.fixture
def grace(app) -> int:
    return app.config["ANSWER_GRACE_SECONDS"]


def test_the_candidates_submit_and_the_servers_closing_score_the_paper_once(world, grace):
    """Both read the paper in progress, then both write: the second write finds it
    submitted and writes neither a score nor an audit entry (the statement's own check,
    behind the row lock on PostgreSQL and the write lock on SQLite)."""
    attempt = _sat(world, 0)
    candidate = world.candidates[0]
    with run_statements() as run:
        seen_by_the_cron = run(Statement.SCORING_ROWS, {"papers": [attempt.id]})[attempt.id]
    assert submit_paper(
        attempt.id,
        candidate.id,
        session_token=candidate.session_token,
        at=DEADLINE,
        grace_seconds=grace,
    )
    with run_statements() as run:
        late = DEADLINE + dt.timedelta(seconds=grace + 1)
        assert _close(run, attempt.id, seen_by_the_cron, by_server=True, actor=None, at=late) == 0
    db.session.commit()
    assert close_papers([attempt.id], at=late, grace_seconds=grace) == 0
    entries = _submit_entries(attempt.id)
    assert [entry["by_server"] for entry in entries] == [False]
    assert world.attempt(0).submitted_by_server is False


def test_the_server_closes_many_expired_papers_in_batches(world, grace):
    """Six expired papers closed three at a time, each batch run on its own; a paper given
    extra time stays open; a second run finds nothing; each scored as ``rescore`` scores
    it and closed at its deadline by the server."""
    papers = [_sat(world, n) for n in range(7)]
    papers[6].extra_minutes = 30
    db.session.commit()
    expected = {}
    for attempt in papers[:6]:  # the ORM's scores of the same papers, not written
        db.session.refresh(attempt)
        scores = paper_scores(attempt)
        expected[attempt.id] = (scores.score, scores.final_score)
    batches = []

    def run_batch(work):
        closed = work()
        batches.append(closed)
        db.session.commit()
        return closed

    at = DEADLINE + dt.timedelta(seconds=grace + 1)
    assert (
        close_expired_attempts(at=at, grace_seconds=grace, batch_size=3, run_batch=run_batch) == 6
    )
    assert batches == [3, 3]
    for attempt in papers[:6]:
        status, score, final_score, values = _values(attempt.id)
        assert (status, score, final_score) == (AttemptStatus.SUBMITTED, *expected[attempt.id])
        assert _submit_entries(attempt.id) == [{"by_server": True, **values}]
        fresh = world.attempt(papers.index(attempt))
        assert fresh.submitted_by_server is True
        assert fresh.submitted_at == DEADLINE
    assert world.attempt(6).status == AttemptStatus.IN_PROGRESS
    assert close_expired_attempts(at=at, grace_seconds=grace, batch_size=3) == 0


def test_an_answer_saved_without_its_points_is_scored_at_the_submit(app, world):
    """An answer written by an older release during an upgrade has no points yet: the submit
    scores it from its response and its key, as ``rescore`` would, and stores them."""
    fast, slow = _sat(world, 0), _sat(world, 1)
    items = [item.id for item in fast.questions if item.version.type != "essay"]
    db.session.execute(
        sa.update(Answer).where(Answer.attempt_question_id.in_(items)).values(points=None)
    )
    db.session.commit()
    at = START + 20 * MINUTE
    _submit_through_the_page(app, world.candidates[0], fast.id, at)
    submit_attempt(world.attempt(1), actor=world.candidates[1], at=at)
    db.session.commit()
    assert _values(fast.id)[:3] == _values(slow.id)[:3]
    stored = db.session.scalars(
        sa.select(Answer.points).where(Answer.attempt_question_id.in_(items))
    ).all()
    assert None not in stored
    assert len(stored) == len(items)


def test_a_corrected_key_updates_the_stored_points_when_the_paper_is_rescored(world):
    attempt = _sat(world, 0)
    single = next(item for item in attempt.questions if item.version.type == "single_choice")
    assert single.answer.points == 1.5
    submit_attempt(attempt, actor=world.candidates[0], at=START + 20 * MINUTE)
    score = attempt.score
    # The key corrected: the option the candidate chose is now wrong, another one right.
    data = dict(single.version.data)
    data["choices"] = [
        {**choice, "fraction": 0.0 if choice["fraction"] == 1 else 1.0 if n == 3 else 0.0}
        for n, choice in enumerate(data["choices"])
    ]
    single.version.data = data
    rescore(attempt)
    db.session.commit()
    db.session.expire_all()
    answer = db.session.get(Answer, single.answer.id)
    assert answer.points == 0.0
    assert world.attempt(0).score == score - 1.5


def test_the_migration_scores_the_answers_saved_before_it(tmp_path, monkeypatch):
    """Upgrading a database whose answers have no points yet stores each one's points as
    the save path would (None for an essay)."""
    app = create_app(
        config_for_tests(SQLALCHEMY_DATABASE_URI=fresh_database_url(tmp_path, "points"))
    )
    with app.app_context():
        monkeypatch.setattr(db, "session", sa.orm.scoped_session(sa.orm.sessionmaker(db.engine)))
        upgrade()
        round_ = Factories.round()
        Factories.application(round_.positions[0], Factories.user(Role.CANDIDATE))
        test = Factories.test(round_, starts_at=START)
        attempt = db.session.scalars(sa.select(Attempt).where(Attempt.test_id == test.id)).one()
        start_attempt(attempt, session_code=test.sessions[0].code, at=START + MINUTE)
        right, wrong, empty = attempt.questions
        choice = {c["fraction"]: c["id"] for c in right.version.data["choices"]}
        save_answer(attempt, right, choice[1.0], seq=1, at=START + 2 * MINUTE)
        wrong_choice = {c["fraction"]: c["id"] for c in wrong.version.data["choices"]}
        save_answer(attempt, wrong, wrong_choice[0.0], seq=2, at=START + 2 * MINUTE)
        save_answer(attempt, empty, None, seq=3, at=START + 2 * MINUTE)
        db.session.commit()
        ids = [right.id, wrong.id, empty.id]
        points = right.points
        db.session.remove()

        downgrade(revision="-1")
        upgrade()

        stored = dict(
            db.session.execute(
                sa.select(Answer.attempt_question_id, Answer.points).where(
                    Answer.attempt_question_id.in_(ids)
                )
            ).all()
        )
        assert stored == {ids[0]: points, ids[1]: 0.0, ids[2]: 0.0}
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()
