"""Sitting a test: start, autosave, submit, server-side closing, acknowledgement.

Every time rule is checked under a frozen clock (time_machine); the deadline is the test's
start + duration, whatever the login time, plus the attempt's ``extra_minutes``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
import time_machine

from exam.accounts.models import Role, User
from exam.audit.models import AuditEntry
from exam.core.errors import DomainError, ValidationFailed
from exam.exams.hotpath import CONTACT_EVERY_SECONDS
from exam.exams.invigilation import grant_extra_time
from exam.exams.models import Answer, Attempt, AttemptQuestion, AttemptStatus
from exam.exams.papers import generate_papers
from exam.exams.rules import AnswerRefused
from exam.exams.sitting import (
    acknowledge_result,
    close_expired_attempts,
    close_if_expired,
    save_answer,
    start_attempt,
    submit_attempt,
)
from exam.extensions import db
from exam.rounds.models import RoundStatus
from tests.conftest import login
from tests.helpers import paper_token

START = dt.datetime(2026, 4, 1, 1, 0, tzinfo=dt.UTC)  # 08:00 in Hanoi
DURATION = 60
DEADLINE = START + dt.timedelta(minutes=DURATION)
CODE = "HN7QKX"
POINTS = 2.5
SECOND = dt.timedelta(seconds=1)
MINUTE = dt.timedelta(minutes=1)


def exactly(message: str) -> str:
    """A ``match=`` pattern for exactly this message."""
    return f"^{re.escape(message)}$"


@dataclass
class Sitting:
    candidate: User
    other: User
    attempt_id: int
    other_attempt_id: int
    test_id: int

    @property
    def attempt(self) -> Attempt:
        return db.session.get(Attempt, self.attempt_id)

    @property
    def other_attempt(self) -> Attempt:
        return db.session.get(Attempt, self.other_attempt_id)


@pytest.fixture
def sitting(make) -> Sitting:
    round_ = make.round()
    position = round_.positions[0]
    candidate, other = make.user(Role.CANDIDATE), make.user(Role.CANDIDATE)
    mine = make.application(position, candidate)
    theirs = make.application(position, other)
    test = make.test(
        round_, question_count=3, duration_minutes=DURATION, starts_at=START, papers=False
    )
    test.sections[0].points_per_question = POINTS
    test.sessions[0].code = CODE
    make.stage(test.round, RoundStatus.TESTING)
    generate_papers(test, actor=make.user(Role.BOARD_ADMIN), at=START - dt.timedelta(hours=1))
    db.session.flush()
    world = Sitting(
        candidate,
        other,
        make.attempt(test, mine).id,
        make.attempt(test, theirs).id,
        test.id,
    )
    db.session.commit()
    return world


@pytest.fixture
def grace(app) -> int:
    return app.config["ANSWER_GRACE_SECONDS"]


def _fresh(attempt_id: int) -> Attempt:
    db.session.expire_all()
    return db.session.get(Attempt, attempt_id)


def _start(attempt: Attempt, user: User, at: dt.datetime = START + MINUTE) -> Attempt:
    start_attempt(attempt, session_code=CODE, at=at)
    db.session.commit()
    return attempt


def _correct(item: AttemptQuestion) -> str:
    return next(c["id"] for c in item.version.data["choices"] if c["fraction"] == 1)


def _wrong(item: AttemptQuestion) -> str:
    return next(c["id"] for c in item.version.data["choices"] if c["fraction"] == 0)


def _answers(attempt_id: int) -> dict[int, tuple[object, int]]:
    db.session.expire_all()
    rows = db.session.scalars(
        sa.select(Answer).join(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id)
    )
    return {a.attempt_question_id: (a.response, a.seq) for a in rows}


def _post(client, attempt_id: int, *entries: dict):
    return client.post(f"/attempts/{attempt_id}/answers", json={"answers": list(entries)})


# --- start -----------------------------------------------------------------------------


def test_start_before_the_start_time_is_refused(sitting):
    attempt = sitting.attempt
    with pytest.raises(DomainError, match=exactly("Chưa đến giờ thi.")):
        start_attempt(attempt, session_code=CODE, at=START - SECOND)
    assert attempt.status == AttemptStatus.READY
    assert attempt.started_at is None


def test_start_page_before_the_start_time_refuses_and_says_so(app, sitting):
    with time_machine.travel(START - dt.timedelta(minutes=10), tick=False):
        client = login(app.test_client(), sitting.candidate)
        response = client.post(
            f"/attempts/{sitting.attempt_id}/start",
            data={"session_code": CODE},
            follow_redirects=True,
        )
    assert response.status_code == 200
    assert "Chưa đến giờ thi." in response.get_data(as_text=True)
    assert _fresh(sitting.attempt_id).status == AttemptStatus.READY


def test_wrong_session_code_is_refused_on_its_field(app, sitting):
    with pytest.raises(ValidationFailed) as refused:
        start_attempt(sitting.attempt, session_code="HN7QKY", at=START + MINUTE)
    assert refused.value.reasons == [("session_code", "Mã ca thi không đúng.")]
    db.session.rollback()

    with time_machine.travel(START + MINUTE, tick=False):
        client = login(app.test_client(), sitting.candidate)
        response = client.post(
            f"/attempts/{sitting.attempt_id}/start",
            data={"session_code": "ABCDEF"},
            follow_redirects=True,
        )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="session_code-error"' in html
    assert "Mã ca thi không đúng." in html
    attempt = _fresh(sitting.attempt_id)
    assert attempt.status == AttemptStatus.READY
    assert attempt.started_at is None


def test_session_code_is_accepted_whatever_its_case(app, sitting):
    at = START + dt.timedelta(minutes=3)
    with time_machine.travel(at, tick=False):
        client = login(app.test_client(), sitting.candidate)
        response = client.post(
            f"/attempts/{sitting.attempt_id}/start", data={"session_code": f"  {CODE.lower()} "}
        )
        page = client.get(f"/attempts/{sitting.attempt_id}").get_data(as_text=True)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/attempts/{sitting.attempt_id}?started=1")
    attempt = _fresh(sitting.attempt_id)
    assert attempt.status == AttemptStatus.IN_PROGRESS
    assert attempt.started_at == at
    assert "Câu hỏi thử nghiệm" in page


@pytest.mark.parametrize("late", [dt.timedelta(0), MINUTE, dt.timedelta(hours=5)])
def test_start_after_the_deadline_is_refused(app, sitting, late):
    attempt = sitting.attempt
    with pytest.raises(DomainError, match=exactly("Đã hết giờ làm bài.")):
        start_attempt(attempt, session_code=CODE, at=DEADLINE + late)
    db.session.rollback()

    with time_machine.travel(DEADLINE + late, tick=False):
        client = login(app.test_client(), sitting.candidate)
        response = client.post(
            f"/attempts/{sitting.attempt_id}/start",
            data={"session_code": CODE},
            follow_redirects=True,
        )
    assert response.status_code == 200
    assert "Đã hết giờ làm bài." in response.get_data(as_text=True)
    assert _fresh(sitting.attempt_id).status == AttemptStatus.READY


def test_the_deadline_is_fixed_by_the_start_not_by_the_login(app, sitting):
    late_login = START + dt.timedelta(minutes=14)  # inside the 15 minutes' late entry
    with time_machine.travel(late_login, tick=False):
        client = login(app.test_client(), sitting.candidate)
        client.post(f"/attempts/{sitting.attempt_id}/start", data={"session_code": CODE})
        state = client.get(f"/attempts/{sitting.attempt_id}/state").get_json()
    attempt = _fresh(sitting.attempt_id)
    assert attempt.started_at == late_login
    assert attempt.deadline_at == DEADLINE
    assert dt.datetime.fromisoformat(state["deadline"]) == DEADLINE
    assert state["status"] == "in_progress"
    item = attempt.questions[0]
    # 46 minutes after this candidate's login, but past the common deadline: refused.
    with pytest.raises(
        AnswerRefused, match=exactly("Bài thi đã đóng: câu trả lời không được ghi nhận.")
    ):
        save_answer(attempt, item, _correct(item), seq=1, at=DEADLINE + SECOND)


def test_extra_minutes_extend_the_deadline(sitting):
    attempt = _start(sitting.attempt, sitting.candidate, at=START + 5 * MINUTE)
    grant_extra_time(
        attempt, minutes=15, reason="Mất điện phòng thi 15 phút", actor=sitting.other, at=START
    )
    assert attempt.deadline_at == DEADLINE + dt.timedelta(minutes=15)
    item = attempt.questions[0]
    save_answer(attempt, item, _correct(item), seq=1, at=DEADLINE + dt.timedelta(minutes=14))
    assert not close_if_expired(attempt, at=DEADLINE + dt.timedelta(minutes=15))
    assert attempt.status == AttemptStatus.IN_PROGRESS
    assert close_if_expired(attempt, at=DEADLINE + dt.timedelta(minutes=15) + SECOND)
    assert attempt.status == AttemptStatus.SUBMITTED
    assert attempt.submitted_at == DEADLINE + dt.timedelta(minutes=15)
    assert attempt.score == POINTS


def test_a_started_attempt_is_resumed_not_restarted(sitting):
    attempt = _start(sitting.attempt, sitting.candidate, at=START + MINUTE)
    start_attempt(attempt, session_code="wrong", at=START + 30 * MINUTE)
    assert attempt.status == AttemptStatus.IN_PROGRESS
    assert attempt.started_at == START + MINUTE


# --- saving answers ------------------------------------------------------------------------


def test_save_answer_keeps_the_response(sitting):
    attempt = _start(sitting.attempt, sitting.candidate)
    item = attempt.questions[1]
    at = START + 2 * MINUTE
    save_answer(attempt, item, _wrong(item), seq=1, at=at)
    db.session.commit()
    assert _answers(attempt.id) == {item.id: (_wrong(item), 1)}
    assert db.session.get(AttemptQuestion, item.id).answer.saved_at == at


def test_api_saves_answers(app, sitting):
    attempt = _start(sitting.attempt, sitting.candidate)
    first, second = attempt.questions[0], attempt.questions[1]
    with time_machine.travel(START + 5 * MINUTE, tick=False):
        client = login(app.test_client(), sitting.candidate)
        response = _post(
            client,
            attempt.id,
            {"item": first.id, "response": paper_token(first.id, "a"), "seq": 1},
            {"item": second.id, "response": paper_token(second.id, "c"), "seq": 2},
        )
    body = response.get_json()
    assert response.status_code == 200
    assert body["saved"] == [{"item": first.id, "seq": 1}, {"item": second.id, "seq": 2}]
    assert body["status"] == "in_progress"
    assert dt.datetime.fromisoformat(body["deadline"]) == DEADLINE
    assert _answers(attempt.id) == {first.id: ("a", 1), second.id: ("c", 2)}


def test_a_lower_seq_never_overwrites_a_higher_one(app, sitting):
    attempt = _start(sitting.attempt, sitting.candidate)
    item_id = attempt.questions[0].id
    with time_machine.travel(START + 5 * MINUTE, tick=False):
        client = login(app.test_client(), sitting.candidate)
        newer = _post(
            client, attempt.id, {"item": item_id, "response": paper_token(item_id, "b"), "seq": 5}
        )
        late = _post(
            client, attempt.id, {"item": item_id, "response": paper_token(item_id, "a"), "seq": 3}
        )
    assert newer.status_code == late.status_code == 200
    assert late.get_json()["saved"] == [{"item": item_id, "seq": 5}]
    assert _answers(attempt.id) == {item_id: ("b", 5)}


def test_a_higher_seq_replaces_a_lower_one(app, sitting):
    attempt = _start(sitting.attempt, sitting.candidate)
    item_id = attempt.questions[0].id
    with time_machine.travel(START + 5 * MINUTE, tick=False):
        client = login(app.test_client(), sitting.candidate)
        _post(
            client, attempt.id, {"item": item_id, "response": paper_token(item_id, "a"), "seq": 3}
        )
        _post(
            client, attempt.id, {"item": item_id, "response": paper_token(item_id, "d"), "seq": 5}
        )
    assert _answers(attempt.id) == {item_id: ("d", 5)}


def test_retrying_the_same_seq_is_harmless(app, sitting):
    attempt = _start(sitting.attempt, sitting.candidate)
    item_id = attempt.questions[2].id
    entry = {"item": item_id, "response": paper_token(item_id, "c"), "seq": 7}
    with time_machine.travel(START + 5 * MINUTE, tick=False):
        client = login(app.test_client(), sitting.candidate)
        responses = [_post(client, attempt.id, entry) for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert all(r.get_json()["saved"] == [{"item": item_id, "seq": 7}] for r in responses)
    assert _answers(attempt.id) == {item_id: ("c", 7)}


def test_an_option_the_question_does_not_have_is_refused(app, sitting):
    attempt = _start(sitting.attempt, sitting.candidate)
    first, second = attempt.questions[0].id, attempt.questions[1].id
    with time_machine.travel(START + 5 * MINUTE, tick=False):
        client = login(app.test_client(), sitting.candidate)
        alone = _post(client, attempt.id, {"item": first, "response": "z", "seq": 1})
        # A valid answer in the same batch is not kept either: the batch is one transaction.
        batch = _post(
            client,
            attempt.id,
            {"item": second, "response": paper_token(second, "a"), "seq": 2},
            {"item": first, "response": ["a", "b"], "seq": 3},
        )
    for response in (alone, batch):
        assert response.status_code == 400
        assert response.get_json()["error"] == "Câu trả lời không hợp lệ."
    assert _answers(attempt.id) == {}


MALFORMED = {
    "not json": lambda item: "{answers: oops",
    "no body": lambda item: "",
    "a list, not an object": lambda item: json.dumps([{"item": item, "response": "a", "seq": 1}]),
    "answers missing": lambda item: json.dumps({"item": item, "response": "a", "seq": 1}),
    "answers not a list": lambda item: json.dumps({"answers": {"item": item, "seq": 1}}),
    "entry not an object": lambda item: json.dumps({"answers": ["a"]}),
    "item missing": lambda item: json.dumps({"answers": [{"response": "a", "seq": 1}]}),
    "seq missing": lambda item: json.dumps({"answers": [{"item": item, "response": "a"}]}),
    "seq a string": lambda item: json.dumps(
        {"answers": [{"item": item, "response": "a", "seq": "1"}]}
    ),
    "seq negative": lambda item: json.dumps(
        {"answers": [{"item": item, "response": "a", "seq": -1}]}
    ),
    "unknown item": lambda item: json.dumps(
        {"answers": [{"item": 987654, "response": "a", "seq": 1}]}
    ),
    "item as a string": lambda item: json.dumps(
        {"answers": [{"item": str(item), "response": "a", "seq": 1}]}
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_payloads_are_refused(app, sitting, case):
    attempt = _start(sitting.attempt, sitting.candidate)
    body = MALFORMED[case](attempt.questions[0].id)
    with time_machine.travel(START + 5 * MINUTE, tick=False):
        client = login(app.test_client(), sitting.candidate)
        response = client.post(
            f"/attempts/{attempt.id}/answers", data=body, content_type="application/json"
        )
    assert response.status_code == 400
    assert response.get_json()["error"] == "Dữ liệu gửi lên không hợp lệ."
    assert _answers(attempt.id) == {}


def test_an_item_of_another_candidates_paper_is_refused(app, sitting):
    mine = _start(sitting.attempt, sitting.candidate)
    theirs = _start(sitting.other_attempt, sitting.other)
    their_item = theirs.questions[0]
    save_answer(theirs, their_item, "a", seq=1, at=START + 2 * MINUTE)
    db.session.commit()

    with pytest.raises(DomainError, match=exactly("Câu hỏi không thuộc bài thi này.")):
        save_answer(mine, their_item, "b", seq=9, at=START + 3 * MINUTE)
    db.session.rollback()

    with time_machine.travel(START + 5 * MINUTE, tick=False):
        client = login(app.test_client(), sitting.candidate)
        response = _post(
            client,
            mine.id,
            {"item": their_item.id, "response": paper_token(their_item.id, "b"), "seq": 9},
        )
    assert response.status_code == 400
    assert _answers(sitting.other_attempt_id) == {their_item.id: ("a", 1)}
    assert _answers(sitting.attempt_id) == {}


def test_answers_inside_the_grace_are_accepted(app, sitting, grace):
    attempt = _start(sitting.attempt, sitting.candidate)
    item_id = attempt.questions[0].id
    with time_machine.travel(DEADLINE + dt.timedelta(seconds=grace), tick=False):
        client = login(app.test_client(), sitting.candidate)
        response = _post(
            client, attempt.id, {"item": item_id, "response": paper_token(item_id, "a"), "seq": 4}
        )
    assert response.status_code == 200
    assert _answers(attempt.id) == {item_id: ("a", 4)}
    assert _fresh(attempt.id).status == AttemptStatus.IN_PROGRESS


def test_answers_after_the_grace_are_refused(app, sitting, grace):
    attempt = _start(sitting.attempt, sitting.candidate)
    item_id = attempt.questions[0].id
    save_answer(attempt, attempt.questions[0], "b", seq=1, at=START + 10 * MINUTE)
    db.session.commit()
    with time_machine.travel(DEADLINE + dt.timedelta(seconds=grace) + SECOND, tick=False):
        client = login(app.test_client(), sitting.candidate)
        response = _post(
            client, attempt.id, {"item": item_id, "response": paper_token(item_id, "a"), "seq": 4}
        )
    body = response.get_json()
    assert response.status_code == 409
    assert body["error"] == "Bài thi đã đóng: câu trả lời không được ghi nhận."
    assert body["status"] == "submitted"
    assert _answers(attempt.id) == {item_id: ("b", 1)}


def test_save_answer_before_start_or_after_submit_is_refused(sitting):
    attempt = sitting.attempt
    item = attempt.questions[0]
    with pytest.raises(AnswerRefused):
        save_answer(attempt, item, "a", seq=1, at=START + MINUTE)
    _start(attempt, sitting.candidate)
    submit_attempt(attempt, actor=sitting.candidate, at=START + 2 * MINUTE)
    with pytest.raises(AnswerRefused):
        save_answer(attempt, item, "a", seq=2, at=START + 3 * MINUTE)
    assert _answers(attempt.id) == {}


# --- submitting ----------------------------------------------------------------------------


def _answer_two_right_one_wrong(attempt: Attempt) -> None:
    right1, right2, wrong = attempt.questions
    for seq, (item, response) in enumerate(
        [(right1, _correct(right1)), (right2, _correct(right2)), (wrong, _wrong(wrong))], start=1
    ):
        save_answer(attempt, item, response, seq=seq, at=START + 5 * MINUTE)
    db.session.commit()


def test_submit_scores_the_paper_at_once(app, sitting):
    attempt = _start(sitting.attempt, sitting.candidate)
    _answer_two_right_one_wrong(attempt)
    at = START + 20 * MINUTE
    with time_machine.travel(at, tick=False):
        client = login(app.test_client(), sitting.candidate)
        response = client.post(f"/attempts/{attempt.id}/submit")
    assert response.status_code == 302
    attempt = _fresh(attempt.id)
    assert attempt.status == AttemptStatus.SUBMITTED
    assert attempt.score == 2 * POINTS
    assert attempt.submitted_at == at
    assert attempt.submitted_by_server is False


def test_a_second_submit_changes_nothing_and_shows_the_result(app, sitting):
    attempt = _start(sitting.attempt, sitting.candidate)
    _answer_two_right_one_wrong(attempt)
    first = START + 20 * MINUTE
    submit_attempt(attempt, actor=sitting.candidate, at=first)
    db.session.commit()
    with pytest.raises(DomainError, match=exactly("Bài thi đã được nộp.")):
        submit_attempt(attempt, actor=sitting.candidate, at=first + MINUTE)
    db.session.rollback()

    with time_machine.travel(first + 2 * MINUTE, tick=False):
        client = login(app.test_client(), sitting.candidate)
        response = client.post(f"/attempts/{attempt.id}/submit", follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Đã nộp bài." in page  # the result, as after the first submit
    assert "alert-danger" not in page
    attempt = _fresh(attempt.id)
    assert attempt.submitted_at == first
    assert attempt.score == 2 * POINTS


def test_submit_before_starting_is_refused(sitting):
    with pytest.raises(DomainError, match=exactly("Bài thi chưa bắt đầu.")):
        submit_attempt(sitting.attempt, actor=sitting.candidate, at=START + MINUTE)
    assert sitting.attempt.status == AttemptStatus.READY


def test_the_result_page_shows_the_score(app, sitting):
    attempt = _start(sitting.attempt, sitting.candidate)
    _answer_two_right_one_wrong(attempt)
    with time_machine.travel(START + 20 * MINUTE, tick=False):
        client = login(app.test_client(), sitting.candidate)
        client.post(f"/attempts/{attempt.id}/submit")
        page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    assert '<div class="result-score" id="score">5,00 / 7,50</div>' in page
    assert "Tỷ lệ: 66,67%" in page
    assert "Đạt vòng thi trắc nghiệm" in page
    assert "hệ thống tự nộp" not in page


# --- the server closes papers whose time is up ---------------------------------------------


def test_opening_an_expired_attempt_submits_it(app, sitting, grace):
    attempt = _start(sitting.attempt, sitting.candidate)
    item = attempt.questions[0]
    save_answer(attempt, item, _correct(item), seq=1, at=START + 5 * MINUTE)
    db.session.commit()

    with time_machine.travel(DEADLINE + dt.timedelta(seconds=grace), tick=False):
        client = login(app.test_client(), sitting.candidate)
        client.get(f"/attempts/{attempt.id}")
    assert _fresh(attempt.id).status == AttemptStatus.IN_PROGRESS  # still inside the grace

    with time_machine.travel(DEADLINE + dt.timedelta(minutes=7), tick=False):
        client = login(app.test_client(), sitting.candidate)
        response = client.get(f"/attempts/{attempt.id}")
    assert response.status_code == 200
    assert "hệ thống tự nộp khi hết giờ" in response.get_data(as_text=True)
    attempt = _fresh(attempt.id)
    assert attempt.status == AttemptStatus.SUBMITTED
    assert attempt.submitted_by_server is True
    assert attempt.submitted_at == DEADLINE
    assert attempt.score == POINTS


def test_the_state_endpoint_also_closes_an_expired_attempt(app, sitting, grace):
    attempt = _start(sitting.attempt, sitting.candidate)
    with time_machine.travel(DEADLINE + dt.timedelta(seconds=grace) + SECOND, tick=False):
        client = login(app.test_client(), sitting.candidate)
        state = client.get(f"/attempts/{attempt.id}/state").get_json()
    assert state["status"] == "submitted"
    attempt = _fresh(attempt.id)
    assert attempt.submitted_by_server is True
    assert attempt.score == 0


def test_the_state_endpoint_says_which_answers_the_server_holds(app, sitting):
    """The page compares them with its own copy and sends again what the server lacks."""
    attempt = _start(sitting.attempt, sitting.candidate)
    first, second = attempt.questions[0].id, attempt.questions[1].id
    with time_machine.travel(START + 5 * MINUTE, tick=False):
        client = login(app.test_client(), sitting.candidate)
        _post(client, attempt.id, {"item": first, "response": paper_token(first, "a"), "seq": 7})
        _post(client, attempt.id, {"item": second, "response": paper_token(second, "b"), "seq": 3})
        _post(
            client, attempt.id, {"item": first, "response": paper_token(first, "c"), "seq": 5}
        )  # a late retry
        state = client.get(f"/attempts/{attempt.id}/state").get_json()
        others = login(app.test_client(), sitting.other).get(f"/attempts/{attempt.id}/state")
    assert state["status"] == "in_progress"
    assert state["answers"] == {str(first): 7, str(second): 3}
    assert others.status_code == 404


def test_the_state_endpoint_of_a_paper_without_answers_holds_none(app, sitting):
    attempt = _start(sitting.attempt, sitting.candidate)
    with time_machine.travel(START + 2 * MINUTE, tick=False):
        state = login(app.test_client(), sitting.candidate).get(f"/attempts/{attempt.id}/state")
    assert state.get_json()["answers"] == {}


@contextlib.contextmanager
def _writes() -> Iterator[list[str]]:
    """The writing statements sent to the database meanwhile."""
    seen: list[str] = []

    def record(_connection, _cursor, statement, *_args) -> None:
        if statement.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def test_the_state_endpoint_writes_only_when_the_last_contact_is_due(app, sitting):
    """The page polls every minute: a poll is one read, and it notes the contact (a write)
    only when the last one noted is older than CONTACT_EVERY_SECONDS."""
    attempt = _start(sitting.attempt, sitting.candidate)  # the start is a contact
    started = START + MINUTE
    every = dt.timedelta(seconds=CONTACT_EVERY_SECONDS)
    with time_machine.travel(started, tick=False):
        client = login(app.test_client(), sitting.candidate)
    polls = [  # (when, the last contact noted after the poll)
        (started + every - SECOND, started),
        (started + every + SECOND, started + every + SECOND),
        (started + 2 * every, started + every + SECOND),
    ]
    for at, contact in polls:
        with time_machine.travel(at, tick=False), _writes() as writes:
            response = client.get(f"/attempts/{attempt.id}/state")
        assert response.status_code == 200
        assert response.get_json()["status"] == "in_progress"
        assert _fresh(attempt.id).last_seen_at == contact
        assert len(writes) == (1 if contact == at else 0), writes


def test_the_state_endpoint_leaves_a_paper_open_inside_the_grace(app, sitting, grace):
    attempt = _start(sitting.attempt, sitting.candidate)
    with time_machine.travel(DEADLINE + dt.timedelta(seconds=grace), tick=False):
        client = login(app.test_client(), sitting.candidate)
        state = client.get(f"/attempts/{attempt.id}/state").get_json()
    assert state["status"] == "in_progress"
    assert _fresh(attempt.id).status == AttemptStatus.IN_PROGRESS


def test_the_exam_page_keeps_its_csrf_token_for_a_sitting_longer_than_an_hour(
    app, sitting, monkeypatch
):
    """The page sends the token it was served with until the end, and a sitting can outlast
    Flask-WTF's default limit of an hour: here 60 minutes with +50 % time."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    attempt = sitting.attempt
    attempt.time_percent = 50
    _start(attempt, sitting.candidate)
    item = attempt.questions[0].id
    with time_machine.travel(START + 2 * MINUTE, tick=False):
        client = login(app.test_client(), sitting.candidate)
        page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    answer = {"answers": [{"item": item, "response": paper_token(item, "a"), "seq": 1}]}
    with time_machine.travel(START + 85 * MINUTE, tick=False):
        without_token = client.post(f"/attempts/{attempt.id}/answers", json=answer)
        saved = client.post(
            f"/attempts/{attempt.id}/answers", json=answer, headers={"X-CSRFToken": token}
        )
        submitted = client.post(f"/attempts/{attempt.id}/submit", data={"csrf_token": token})
    assert without_token.status_code == 400  # the check is on
    assert saved.status_code == 200
    assert submitted.status_code == 302
    assert _fresh(attempt.id).status == AttemptStatus.SUBMITTED
    assert _answers(attempt.id)[item] == ("a", 1)


def test_close_expired_attempts_closes_only_expired_ones(sitting):
    mine = _start(sitting.attempt, sitting.candidate)
    theirs = sitting.other_attempt
    theirs.extra_minutes = 30
    _start(theirs, sitting.other)
    right, wrong = mine.questions[0], mine.questions[1]
    save_answer(mine, right, _correct(right), seq=1, at=START + 5 * MINUTE)
    save_answer(mine, wrong, _wrong(wrong), seq=2, at=START + 6 * MINUTE)
    db.session.commit()

    assert close_expired_attempts(at=DEADLINE) == 0
    assert close_expired_attempts(at=DEADLINE + 10 * MINUTE) == 1
    assert mine.status == AttemptStatus.SUBMITTED
    assert mine.submitted_by_server is True
    assert mine.submitted_at == DEADLINE
    assert mine.score == POINTS
    assert theirs.status == AttemptStatus.IN_PROGRESS
    assert close_expired_attempts(at=DEADLINE + 10 * MINUTE) == 0
    assert close_expired_attempts(at=DEADLINE + 31 * MINUTE) == 1
    assert theirs.submitted_at == DEADLINE + 30 * MINUTE


def test_the_cli_closes_expired_attempts(app, sitting, grace):
    attempt = _start(sitting.attempt, sitting.candidate)
    item = attempt.questions[2]
    save_answer(attempt, item, _correct(item), seq=1, at=START + 5 * MINUTE)
    db.session.commit()
    runner = app.test_cli_runner()

    with time_machine.travel(DEADLINE + dt.timedelta(seconds=grace), tick=False):
        early = runner.invoke(args=["exams", "close-expired"])
    assert early.exit_code == 0
    assert "Closed 0 attempt(s)." in early.output

    with time_machine.travel(DEADLINE + dt.timedelta(seconds=grace) + SECOND, tick=False):
        result = runner.invoke(args=["exams", "close-expired"])
    assert result.exit_code == 0, result.output
    assert "Closed 1 attempt(s)." in result.output
    attempt = _fresh(attempt.id)
    assert attempt.status == AttemptStatus.SUBMITTED
    assert attempt.submitted_by_server is True
    assert attempt.score == POINTS
    assert _fresh(sitting.other_attempt_id).status == AttemptStatus.READY


# --- acknowledging the result --------------------------------------------------------------


def test_acknowledging_records_the_time_once(app, sitting):
    attempt = _start(sitting.attempt, sitting.candidate)
    with pytest.raises(DomainError, match=exactly("Bài thi chưa nộp.")):
        acknowledge_result(attempt, actor=sitting.candidate, at=START + 2 * MINUTE)
    submit_attempt(attempt, actor=sitting.candidate, at=START + 10 * MINUTE)
    db.session.commit()

    first = START + 12 * MINUTE
    with time_machine.travel(first, tick=False):
        client = login(app.test_client(), sitting.candidate)
        response = client.post(f"/attempts/{attempt.id}/acknowledge")
    assert response.status_code == 302
    assert _fresh(attempt.id).acknowledged_at == first

    with time_machine.travel(first + 5 * MINUTE, tick=False):
        client = login(app.test_client(), sitting.candidate)
        client.post(f"/attempts/{attempt.id}/acknowledge")
        page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    assert _fresh(attempt.id).acknowledged_at == first
    assert "Bạn đã xác nhận kết quả lúc" in page
    entries = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.action == "attempt.acknowledge", AuditEntry.object_id == str(attempt.id)
        )
    ).all()
    assert len(entries) == 1


def test_acknowledging_before_submitting_is_refused_by_the_view(app, sitting):
    attempt = _start(sitting.attempt, sitting.candidate)
    with time_machine.travel(START + 5 * MINUTE, tick=False):
        client = login(app.test_client(), sitting.candidate)
        response = client.post(f"/attempts/{attempt.id}/acknowledge", follow_redirects=True)
    assert "Bài thi chưa nộp." in response.get_data(as_text=True)
    assert _fresh(attempt.id).acknowledged_at is None


# --- another candidate's attempt does not exist for you ------------------------------------

ROUTES = [
    ("get", "/attempts/{id}", None),
    ("post", "/attempts/{id}/start", {"data": {"session_code": CODE}}),
    ("get", "/attempts/{id}/state", None),
    ("post", "/attempts/{id}/answers", "answers"),
    ("post", "/attempts/{id}/submit", None),
    ("post", "/attempts/{id}/acknowledge", None),
]


@pytest.mark.parametrize(("method", "template", "extra"), ROUTES, ids=[r[1] for r in ROUTES])
def test_another_candidates_attempt_is_404_on_every_route(app, sitting, method, template, extra):
    victim = _start(sitting.attempt, sitting.candidate)
    item = victim.questions[0]
    save_answer(victim, item, "a", seq=1, at=START + 2 * MINUTE)
    db.session.commit()
    if extra == "answers":
        kwargs = {"json": {"answers": [{"item": item.id, "response": "b", "seq": 99}]}}
    else:
        kwargs = extra or {}

    with time_machine.travel(START + 10 * MINUTE, tick=False):
        intruder = login(app.test_client(), sitting.other)
        response = getattr(intruder, method)(template.format(id=victim.id), **kwargs)
        missing = getattr(intruder, method)(template.format(id=999999), **kwargs)
    assert response.status_code == 404
    assert missing.status_code == 404
    assert "Câu hỏi thử nghiệm" not in response.get_data(as_text=True)
    victim = _fresh(victim.id)
    assert victim.status == AttemptStatus.IN_PROGRESS
    assert victim.acknowledged_at is None
    assert _answers(victim.id) == {item.id: ("a", 1)}
    assert _fresh(sitting.other_attempt_id).status == AttemptStatus.READY


def test_the_owner_still_reaches_every_route(app, sitting):
    """The 404s above come from ownership, not from broken routes."""
    with time_machine.travel(START + 10 * MINUTE, tick=False):
        client = login(app.test_client(), sitting.candidate)
        assert client.get(f"/attempts/{sitting.attempt_id}").status_code == 200
        assert client.get(f"/attempts/{sitting.attempt_id}/state").status_code == 200
        started = client.post(f"/attempts/{sitting.attempt_id}/start", data={"session_code": CODE})
        assert started.status_code == 302
        item_id = _fresh(sitting.attempt_id).questions[0].id
        saved = _post(
            client,
            sitting.attempt_id,
            {"item": item_id, "response": paper_token(item_id, "a"), "seq": 1},
        )
        assert saved.status_code == 200
        assert client.post(f"/attempts/{sitting.attempt_id}/submit").status_code == 302
        assert client.post(f"/attempts/{sitting.attempt_id}/acknowledge").status_code == 302
    attempt = _fresh(sitting.attempt_id)
    assert attempt.status == AttemptStatus.SUBMITTED
    assert attempt.acknowledged_at == START + 10 * MINUTE
