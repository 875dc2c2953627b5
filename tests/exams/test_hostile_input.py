"""What a hostile client sends to the exam's routes (issue 10 items 3 and 7): ids beyond the
database's integers, JSON nested 100,000 deep, batches of 250,000 answers, megabytes in one
answer, thousands of answers to a closed paper, session codes guessed on the start page.
Each is answered 400/404/413/429 in the page's usual form, never 500, and writes little."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
import time_machine

from exam.accounts.models import Role, User
from exam.audit.models import PendingAuditEntry
from exam.exams.definition import add_room
from exam.exams.models import Answer, Attempt, AttemptStatus, RefusedAnswer, WrongSessionCode
from exam.exams.papers import generate_papers
from exam.exams.sitting import start_attempt, submit_attempt
from exam.extensions import db
from exam.rounds.models import RoundStatus
from tests.conftest import login

START = dt.datetime(2026, 4, 1, 1, 0, tzinfo=dt.UTC)  # 08:00 in Hanoi
MINUTE = dt.timedelta(minutes=1)
SECOND = dt.timedelta(seconds=1)
CODE = "HN7QKX"
BAD_DATA = "Dữ liệu gửi lên không hợp lệ."


@dataclass
class Room:
    candidate: User
    other: User
    invigilator: User
    board: User
    attempt_id: int
    other_attempt_id: int
    room_id: int

    @property
    def attempt(self) -> Attempt:
        db.session.expire_all()
        return db.session.get(Attempt, self.attempt_id)


@pytest.fixture
def room(make) -> Room:
    round_ = make.round()
    candidate, other = make.user(Role.CANDIDATE), make.user(Role.CANDIDATE)
    mine = make.application(round_.positions[0], candidate)
    theirs = make.application(round_.positions[0], other)
    test = make.test(round_, question_count=3, starts_at=START, papers=False)
    test.sessions[0].code = CODE
    board, invigilator = make.user(Role.BOARD_ADMIN), make.user(Role.INVIGILATOR)
    room = add_room(
        test.sessions[0], name="Phòng 101", capacity=10, invigilators=[invigilator], actor=board
    )
    make.stage(test.round, RoundStatus.TESTING)
    generate_papers(test, actor=board, at=START - dt.timedelta(hours=1))
    db.session.flush()
    world = Room(
        candidate,
        other,
        invigilator,
        board,
        make.attempt(test, mine).id,
        make.attempt(test, theirs).id,
        room.id,
    )
    db.session.commit()
    return world


def _started(room: Room) -> Attempt:
    attempt = room.attempt
    start_attempt(attempt, session_code=CODE, at=START + MINUTE)
    db.session.commit()
    return attempt


def _closed(room: Room) -> Attempt:
    attempt = _started(room)
    submit_attempt(attempt, actor=room.candidate, at=START + 10 * MINUTE)
    db.session.commit()
    return attempt


def _save(app, user: User, attempt_id: int, at: dt.datetime, **request):
    with time_machine.travel(at, tick=False):
        return login(app.test_client(), user).post(f"/attempts/{attempt_id}/answers", **request)


def _evidence(attempt_id: int) -> list[RefusedAnswer]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(RefusedAnswer)
            .where(RefusedAnswer.attempt_id == attempt_id)
            .order_by(RefusedAnswer.id)
        )
    )


# --- ids beyond the database's integers (item 7) --------------------------------------------


@pytest.mark.parametrize("big", [2**31, 2**63, 99999999999999999999999])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/attempts/{}/answers"),
        ("get", "/attempts/{}/state"),
        ("get", "/attempts/{}"),
        ("post", "/attempts/{}/start"),
        ("get", "/rounds/{}"),
        ("get", "/tests/{}"),
    ],
)
def test_an_id_beyond_the_database_integers_is_404(app, room, method, path, big):
    """Every id column is an INTEGER (32 bits on PostgreSQL): 2^31 in a URL failed there
    with "integer out of range", 2^63 and beyond on SQLite too (OverflowError)."""
    client = login(app.test_client(), room.board if path.startswith("/rounds") else room.candidate)
    with time_machine.travel(START + 2 * MINUTE, tick=False):
        response = getattr(client, method)(path.format(big), json={"answers": []})
    assert response.status_code == 404


@pytest.mark.parametrize("big", [2**31, 2**63, 2**70])
def test_an_item_id_beyond_the_database_integers_is_400(app, room, big):
    attempt = _started(room)
    response = _save(
        app,
        room.candidate,
        attempt.id,
        START + 2 * MINUTE,
        json={"answers": [{"item": big, "response": "a", "seq": 1}]},
    )
    assert response.status_code == 400
    assert response.get_json() == {"error": BAD_DATA}


def test_a_room_id_beyond_the_database_integers_is_refused_in_words(app, room):
    client = login(app.test_client(), room.board)
    response = client.post(f"/attempts/{room.attempt_id}/move", data={"room_id": str(2**64)})
    assert response.status_code == 302
    assert room.attempt.room_id == room.room_id


# --- JSON nested 100,000 deep (item 7) -------------------------------------------------------


@pytest.mark.parametrize("depth", [100_000, 33])
def test_json_nested_too_deep_is_400(app, room, depth):
    """100,000 ``[`` made the parser raise RecursionError: a 500. 33 levels parse, but no
    page sends more than 5: refused before any code walks them."""
    attempt = _started(room)
    item = attempt.questions[0].id
    nested = "[" * depth + "]" * depth
    body = f'{{"answers": [{{"item": {item}, "seq": 1, "response": {nested}}}]}}'
    response = _save(
        app,
        room.candidate,
        attempt.id,
        START + 2 * MINUTE,
        data=body,
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.get_json() == {"error": BAD_DATA}


def test_deep_json_to_another_candidates_paper_is_still_404(app, room):
    _started(room)
    response = _save(
        app,
        room.other,
        room.attempt_id,
        START + 2 * MINUTE,
        data="[" * 100_000,
        content_type="application/json",
    )
    assert response.status_code == 404


# --- batch and answer size (items 3 and 7) ---------------------------------------------------


def test_a_batch_of_250001_answers_is_413_and_saves_nothing(app, room):
    attempt = _started(room)
    batch = [{"item": item, "response": None, "seq": 1} for item in range(1, 250_002)]
    response = _save(app, room.candidate, attempt.id, START + 2 * MINUTE, json={"answers": batch})
    assert response.status_code == 413
    assert response.get_json() == {
        "error": "Quá nhiều câu trả lời trong một lần lưu (tối đa 1000)."
    }
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 0


def test_a_body_over_the_request_limit_is_413_in_json(app, room, monkeypatch):
    """Beyond MAX_CONTENT_LENGTH Flask answers an HTML page, which the exam page takes for a
    sign-out: the autosave says it in JSON."""
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 10_000)
    attempt = _started(room)
    answer = {"item": attempt.questions[0].id, "response": "x" * 20_000, "seq": 1}
    response = _save(
        app, room.candidate, attempt.id, START + 2 * MINUTE, json={"answers": [answer]}
    )
    assert response.status_code == 413
    assert response.get_json() == {"error": "Dữ liệu gửi lên quá lớn."}


def test_a_batch_just_over_the_cap_to_another_paper_is_404(app, room):
    _started(room)
    batch = [{"item": 1, "response": None, "seq": i + 1} for i in range(1001)]
    response = _save(app, room.other, room.attempt_id, START + 2 * MINUTE, json={"answers": batch})
    assert response.status_code == 404


def test_a_batch_of_one_answer_per_question_is_never_capped(app, room, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_ANSWERS_PER_SAVE", 3)
    attempt = _started(room)
    batch = [{"item": item.id, "response": None, "seq": 1} for item in attempt.questions]
    response = _save(app, room.candidate, attempt.id, START + 2 * MINUTE, json={"answers": batch})
    assert response.status_code == 200
    response = _save(
        app, room.candidate, attempt.id, START + 2 * MINUTE, json={"answers": batch + batch[:1]}
    )
    assert response.status_code == 413


def test_an_essay_of_several_megabytes_is_400_and_saves_nothing(app, room):
    """The essay type keeps at most 100,000 characters (the page's textarea says so with
    maxlength); a request of 5 MB in one answer is refused whole."""
    attempt = _started(room)
    essay = attempt.questions[0]
    essay.version.type = "essay"  # (a version of this paper only, for the test)
    db.session.commit()
    answer = {"item": essay.id, "response": "Bài luận " * 600_000, "seq": 1}
    response = _save(
        app, room.candidate, attempt.id, START + 2 * MINUTE, json={"answers": [answer]}
    )
    assert response.status_code == 400
    assert response.get_json() == {"error": "Câu trả lời không hợp lệ."}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 0


# --- answers to a closed paper: evidence capped (item 3) -------------------------------------


def test_refused_answers_beyond_the_caps_are_counted_not_kept(app, room):
    """200,000 refused answers were 200,000 rows written in SQLite's write turn (17 s).
    Now at most 50 a minute are kept whole; the rest are counted on one summary row."""
    attempt = _closed(room)
    item = attempt.questions[0].id
    first = [{"item": item, "response": "b", "seq": 1}]
    response = _save(app, room.candidate, attempt.id, START + 11 * MINUTE, json={"answers": first})
    assert response.status_code == 409  # under the caps: the usual answer

    batch = [{"item": item, "response": "c", "seq": n} for n in range(2, 1002)]
    at = START + 11 * MINUTE + 20 * SECOND
    response = _save(app, room.candidate, attempt.id, at, json={"answers": batch})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "40"  # when the first one is a minute old
    body = response.get_json()
    assert body["error"] == "Quá nhiều câu trả lời gửi đến bài thi đã đóng."
    assert body["status"] == "submitted"
    kept = [e for e in _evidence(attempt.id) if not e.summary]
    [summary] = [e for e in _evidence(attempt.id) if e.summary]
    assert len(kept) == 50
    assert [e.seq for e in kept[1:]] == list(range(2, 51))
    assert (summary.count, summary.item_id, summary.response, summary.received_at) == (
        951,
        None,
        None,
        at,
    )

    again = _save(app, room.candidate, attempt.id, at + SECOND, json={"answers": batch})
    assert again.status_code == 429
    assert len(_evidence(attempt.id)) == 51  # the same summary row, counting
    assert [e.count for e in _evidence(attempt.id) if e.summary] == [1951]

    later = START + 12 * MINUTE + 21 * SECOND  # a minute after the 50 kept
    response = _save(app, room.candidate, attempt.id, later, json={"answers": batch[:10]})
    assert response.status_code == 409
    assert len(_evidence(attempt.id)) == 61


def test_refused_evidence_stops_at_the_paper_cap(app, room, monkeypatch):
    monkeypatch.setitem(app.config, "REFUSED_EVIDENCE_PER_PAPER", 70)
    attempt = _closed(room)
    item = attempt.questions[0].id
    batch = [{"item": item, "response": "c", "seq": n} for n in range(1, 51)]
    for minute in range(11, 14):
        response = _save(
            app, room.candidate, attempt.id, START + minute * MINUTE, json={"answers": batch}
        )
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "60"
    evidence = _evidence(attempt.id)
    assert len([e for e in evidence if not e.summary]) == 70
    assert [e.count for e in evidence if e.summary] == [80]


def test_a_huge_refused_response_is_kept_by_its_beginning_and_length(app, room):
    attempt = _closed(room)
    item = attempt.questions[0].id
    text = "x" * 3_000_000
    response = _save(
        app,
        room.candidate,
        attempt.id,
        START + 11 * MINUTE,
        json={"answers": [{"item": item, "response": text, "seq": 1}]},
    )
    assert response.status_code == 409
    [kept] = _evidence(attempt.id)
    assert kept.response == {
        "truncated": True,
        "characters": 3_000_002,
        "start": '"' + "x" * 999,
    }


def test_answers_to_a_paper_not_started_are_capped_too(app, room):
    batch = [{"item": 1, "response": "c", "seq": n} for n in range(1, 101)]
    response = _save(
        app, room.candidate, room.attempt_id, START + 2 * MINUTE, json={"answers": batch}
    )
    assert response.status_code == 429
    assert response.get_json()["status"] == "ready"
    assert room.attempt.status == AttemptStatus.READY
    assert len(_evidence(room.attempt_id)) == 51


# --- wrong session codes (item 7) ------------------------------------------------------------


def _press_start(app, user: User, attempt_id: int, code: str, at: dt.datetime, **kw):
    with time_machine.travel(at, tick=False):
        return login(app.test_client(), user).post(
            f"/attempts/{attempt_id}/start", data={"session_code": code}, **kw
        )


def test_wrong_session_codes_are_kept_and_shown_to_the_invigilator(app, room):
    at = START + MINUTE
    response = _press_start(
        app, room.candidate, room.attempt_id, "abc123", at, follow_redirects=True
    )
    assert response.status_code == 200
    assert response.request.path == f"/attempts/{room.attempt_id}"
    assert "Mã ca thi không đúng." in response.get_data(as_text=True)
    [wrong] = db.session.scalars(sa.select(WrongSessionCode)).all()
    assert (wrong.attempt_id, wrong.code, wrong.entered_at) == (room.attempt_id, "ABC123", at)
    [entry] = db.session.scalars(
        sa.select(PendingAuditEntry).where(PendingAuditEntry.action == "attempt.wrong_code")
    ).all()
    assert (entry.actor_id, entry.object_id) == (room.candidate.id, str(room.attempt_id))

    with time_machine.travel(START + 2 * MINUTE, tick=False):
        client = login(app.test_client(), room.invigilator)
        console = client.get(f"/rooms/{room.room_id}").get_data(as_text=True)
        page = client.get(f"/attempts/{room.attempt_id}/invigilate").get_data(as_text=True)
    assert "Nhập sai mã ca thi: 1 lần" in console
    assert "<code>ABC123</code>" in page


def test_a_reload_after_a_wrong_code_counts_no_second_try(app, room):
    """The refusal answers 303 to the paper's page: reloading it posts the code no more."""
    with time_machine.travel(START + MINUTE, tick=False):
        client = login(app.test_client(), room.candidate)
        refused = client.post(
            f"/attempts/{room.attempt_id}/start",
            data={"session_code": "abc123"},
            follow_redirects=True,
        )
        reload = client.get(refused.request.path)
    assert refused.request.path == f"/attempts/{room.attempt_id}"
    assert "Mã ca thi không đúng." in refused.get_data(as_text=True)
    assert "Mã ca thi không đúng." not in reload.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WrongSessionCode)) == 1


def test_an_empty_or_right_code_writes_no_wrong_code(app, room):
    assert (
        _press_start(app, room.candidate, room.attempt_id, " ", START + MINUTE).status_code == 303
    )
    response = _press_start(app, room.candidate, room.attempt_id, CODE.lower(), START + MINUTE)
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WrongSessionCode)) == 0


def test_five_wrong_codes_lock_the_paper_for_three_minutes(app, room):
    """32^6 codes, 5 tries per 3 minutes: guessing a code would take centuries, and a
    candidate who mistypes loses little of the late-entry time. The lock refuses even the
    right code, or guessing would go on behind the 429s."""
    for n in range(5):
        response = _press_start(
            app, room.candidate, room.attempt_id, f"WRONG{n}", START + n * SECOND
        )
        assert response.status_code == 303  # refused: back to the paper's page
    locked = _press_start(app, room.candidate, room.attempt_id, CODE, START + 30 * SECOND)
    assert locked.status_code == 429
    assert locked.headers["Retry-After"] == "150"  # the first wrong code is 3 minutes old then
    page = locked.get_data(as_text=True)
    assert "Mã ca thi đã bị nhập sai 5 lần: bài thi tạm khóa." in page
    assert "thử lại sau 3 phút" in page
    assert room.attempt.status == AttemptStatus.READY
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WrongSessionCode)) == 5

    other = _press_start(app, room.other, room.other_attempt_id, CODE, START + 30 * SECOND)
    assert other.status_code == 302  # another candidate's paper is not locked

    still = _press_start(app, room.candidate, room.attempt_id, CODE, START + 3 * MINUTE - SECOND)
    assert still.status_code == 429
    free = _press_start(app, room.candidate, room.attempt_id, CODE, START + 3 * MINUTE)
    assert free.status_code == 302
    assert room.attempt.status == AttemptStatus.IN_PROGRESS


def test_the_code_limit_follows_the_settings(app, room, monkeypatch):
    monkeypatch.setitem(app.config, "START_CODE_TRIES", 2)
    monkeypatch.setitem(app.config, "START_CODE_WINDOW_MINUTES", 1)
    for n in range(2):
        _press_start(app, room.candidate, room.attempt_id, "NOPE", START + n * SECOND)
    assert (
        _press_start(app, room.candidate, room.attempt_id, CODE, START + 2 * SECOND).status_code
        == 429
    )
    assert (
        _press_start(
            app, room.candidate, room.attempt_id, CODE, START + MINUTE + 2 * SECOND
        ).status_code
        == 302
    )
