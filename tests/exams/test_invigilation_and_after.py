"""The invigilator's console and actions (time, incidents, retakes), what the autosave API
logs and resolves (late answers, two tabs), and what comes after the test (review options,
marking, voiding a question, item analysis)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
import time_machine

from exam.accounts.models import Role, User
from exam.audit.models import AuditEntry
from exam.core.errors import DomainError, ValidationFailed
from exam.exams.analysis import void_question
from exam.exams.definition import add_room
from exam.exams.invigilation import allow_retake, grant_extra_time, record_incident
from exam.exams.models import (
    Attempt,
    AttemptQuestion,
    AttemptStatus,
    Penalty,
    RefusedAnswer,
    ReviewOption,
)
from exam.exams.papers import generate_papers
from exam.exams.scoring import record_item_points
from exam.exams.sitting import save_answer, start_attempt, submit_attempt
from exam.extensions import db
from exam.question_bank.qtypes.base import _REGISTRY, QuestionType
from exam.rounds.models import RoundStatus
from tests.conftest import login
from tests.helpers import paper_token

START = dt.datetime(2026, 4, 1, 1, 0, tzinfo=dt.UTC)  # 08:00 in Hanoi
DEADLINE = START + dt.timedelta(minutes=60)
MINUTE = dt.timedelta(minutes=1)
SECOND = dt.timedelta(seconds=1)


@dataclass
class Room1:
    board: User
    invigilator: User
    other_invigilator: User
    candidates: list[User]
    attempt_ids: list[int]
    room_id: int
    test_id: int

    def attempt(self, n: int) -> Attempt:
        return db.session.get(Attempt, self.attempt_ids[n])


@pytest.fixture
def room(make) -> Room1:
    round_ = make.round()
    candidates = [make.user(Role.CANDIDATE) for _ in range(3)]
    applications = [make.application(round_.positions[0], c) for c in candidates]
    test = make.test(round_, starts_at=START, papers=False)
    board = make.user(Role.BOARD_ADMIN)
    invigilator, other = make.user(Role.INVIGILATOR), make.user(Role.INVIGILATOR)
    room = add_room(
        test.sessions[0], name="Phòng 101", capacity=10, invigilators=[invigilator], actor=board
    )
    add_room(test.sessions[0], name="Phòng 102", capacity=10, invigilators=[other], actor=board)
    make.stage(test.round, RoundStatus.TESTING)
    generate_papers(test, actor=board, at=START - dt.timedelta(hours=1))
    db.session.flush()
    attempts = [make.attempt(test, a) for a in applications]
    world = Room1(board, invigilator, other, candidates, [a.id for a in attempts], room.id, test.id)
    db.session.commit()
    return world


def _start(attempt: Attempt, user: User, at: dt.datetime = START + MINUTE) -> Attempt:
    start_attempt(attempt, session_code=attempt.session.code, at=at)
    db.session.commit()
    return attempt


def _correct(item: AttemptQuestion) -> str:
    return next(c["id"] for c in item.version.data["choices"] if c["fraction"] == 1)


def _wrong(item: AttemptQuestion) -> str:
    return next(c["id"] for c in item.version.data["choices"] if c["fraction"] == 0)


def _all_right(attempt: Attempt, at: dt.datetime = START + 5 * MINUTE) -> None:
    for seq, item in enumerate(attempt.questions, start=1):
        save_answer(attempt, item, _correct(item), seq=seq, at=at)


def _fresh(attempt_id: int) -> Attempt:
    db.session.expire_all()
    return db.session.get(Attempt, attempt_id)


def _audit(action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
        )
    )


# --- the console ----------------------------------------------------------------------------


def test_the_console_lists_the_room_live(app, room):
    _start(room.attempt(0), room.candidates[0])
    _all_right(room.attempt(0))
    db.session.commit()
    with time_machine.travel(START + 10 * MINUTE, tick=False):
        client = login(app.test_client(), room.invigilator)
        page = client.get(f"/rooms/{room.room_id}")
        live = client.get(f"/rooms/{room.room_id}/live").get_json()
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert room.attempt(0).session.code in html  # read out to the room
    assert 'src="/static/js/console.js"' in html
    assert "<script>" not in html
    assert live["counts"] == {"ready": 2, "in_progress": 1, "submitted": 0}
    row = next(r for r in live["rows"] if r["attempt"] == room.attempt_ids[0])
    assert row["answered"] == 3
    assert row["items"] == 3
    assert row["status"] == "in_progress"
    assert dt.datetime.fromisoformat(row["last_contact"]) == START + 5 * MINUTE


def test_the_console_hides_the_code_until_half_an_hour_before(app, room):
    with time_machine.travel(START - 31 * MINUTE, tick=False):
        early = login(app.test_client(), room.invigilator).get(f"/rooms/{room.room_id}")
    assert room.attempt(0).session.code not in early.get_data(as_text=True)


def test_the_console_shows_papers_whose_time_is_up_closed_without_writing(app, room):
    _start(room.attempt(1), room.candidates[1])
    with time_machine.travel(
        DEADLINE + dt.timedelta(seconds=app.config["ANSWER_GRACE_SECONDS"]) + SECOND, tick=False
    ):
        live = (
            login(app.test_client(), room.invigilator).get(f"/rooms/{room.room_id}/live").get_json()
        )
    assert live["counts"]["submitted"] == 1
    # The cron or the candidate's own calls write the closing (tests/test_commit_boundary.py).
    assert _fresh(room.attempt_ids[1]).status == AttemptStatus.IN_PROGRESS


@pytest.mark.parametrize(
    ("who", "status"),
    [("invigilator", 200), ("other_invigilator", 403), ("board", 200), ("candidate", 404)],
)
def test_only_the_rooms_invigilators_and_the_board_run_the_console(app, room, who, status):
    user = room.candidates[0] if who == "candidate" else getattr(room, who)
    client = login(app.test_client(), user)
    assert client.get(f"/rooms/{room.room_id}").status_code == status
    assert client.get(f"/rooms/{room.room_id}/live").status_code == status
    assert client.get(f"/attempts/{room.attempt_ids[0]}/invigilate").status_code == status
    response = client.post(
        f"/attempts/{room.attempt_ids[0]}/extra-time",
        data={"time-minutes": 5, "time-reason": "Máy treo"},
    )
    assert response.status_code == (302 if status == 200 else status)


def test_a_supervisor_watches_but_does_not_act(app, make, room):
    client = login(app.test_client(), make.user(Role.SUPERVISOR))
    assert client.get(f"/rooms/{room.room_id}").status_code == 200
    assert client.get(f"/attempts/{room.attempt_ids[0]}/invigilate").status_code == 403


def test_my_rooms(app, room):
    html = login(app.test_client(), room.invigilator).get("/invigilation/").get_data(as_text=True)
    assert "Phòng 101" in html
    assert "Phòng 102" not in html


# --- adding time, incidents, retakes --------------------------------------------------------


def test_extra_time_for_one_candidate_with_its_reason(app, room):
    attempt = _start(room.attempt(0), room.candidates[0])
    with time_machine.travel(START + 20 * MINUTE, tick=False):
        client = login(app.test_client(), room.invigilator)
        refused = client.post(
            f"/attempts/{attempt.id}/extra-time",
            data={"time-minutes": 10, "time-reason": " "},
            follow_redirects=True,
        )
        done = client.post(
            f"/attempts/{attempt.id}/extra-time",
            data={"time-minutes": 10, "time-reason": "Máy tính treo 10 phút"},
        )
        state = (
            login(app.test_client(), room.candidates[0])
            .get(f"/attempts/{attempt.id}/state")
            .get_json()
        )
    assert refused.status_code == 200
    assert refused.request.path == f"/attempts/{attempt.id}/invigilate"
    assert "Vui lòng điền mục này." in refused.get_data(as_text=True)
    assert done.status_code == 302
    attempt = _fresh(attempt.id)
    assert attempt.deadline_at == DEADLINE + 10 * MINUTE
    assert dt.datetime.fromisoformat(state["deadline"]) == DEADLINE + 10 * MINUTE
    assert _fresh(room.attempt_ids[1]).deadline_at == DEADLINE  # only that candidate
    [entry] = _audit("attempt.extra_time")
    assert entry.after["reason"] == "Máy tính treo 10 phút"
    assert entry.actor_id == room.invigilator.id


def test_extra_time_is_refused_on_a_submitted_paper(room):
    attempt = _start(room.attempt(0), room.candidates[0])
    submit_attempt(attempt, actor=room.candidates[0], at=START + 10 * MINUTE)
    with pytest.raises(DomainError, match="Cho thi lại"):
        grant_extra_time(attempt, minutes=5, reason="x", actor=room.invigilator, at=START)
    with pytest.raises(ValidationFailed):
        grant_extra_time(room.attempt(1), minutes=0, reason="x", actor=room.invigilator, at=START)


@pytest.mark.parametrize(
    ("penalty", "final"),
    [(Penalty.NONE, 3.0), (Penalty.REPRIMAND, 2.25), (Penalty.WARNING, 1.5)],
)
def test_penalties_apply_to_the_final_score(room, penalty, final):
    attempt = _start(room.attempt(0), room.candidates[0])
    _all_right(attempt)
    submit_attempt(attempt, actor=room.candidates[0], at=START + 30 * MINUTE)
    assert attempt.final_score == 3.0
    record_incident(
        attempt,
        penalty=penalty,
        description="Trao đổi bài với thí sinh bên cạnh",
        actor=room.invigilator,
        at=START + 40 * MINUTE,
    )
    assert attempt.score == 3.0  # the objective part is unchanged
    assert attempt.final_score == final
    assert attempt.score_percent == pytest.approx(100 * final / 3)
    [entry] = _audit("attempt.incident")
    assert entry.after["final_score"] == final


def test_the_most_severe_measure_applies(room):
    attempt = _start(room.attempt(0), room.candidates[0])
    _all_right(attempt)
    for penalty in (Penalty.WARNING, Penalty.REPRIMAND):
        record_incident(
            attempt, penalty=penalty, description="Vi phạm", actor=room.invigilator, at=START
        )
    submit_attempt(attempt, actor=room.candidates[0], at=START + 30 * MINUTE)
    assert attempt.penalty == Penalty.WARNING
    assert attempt.final_score == 1.5
    assert len(attempt.incidents) == 2


def test_a_suspension_ends_the_sitting_and_voids_the_result(app, room):
    attempt = _start(room.attempt(0), room.candidates[0])
    _all_right(attempt)
    db.session.commit()
    with time_machine.travel(START + 15 * MINUTE, tick=False):
        response = login(app.test_client(), room.invigilator).post(
            f"/attempts/{attempt.id}/incidents",
            data={"incident-penalty": "suspension", "incident-description": "Sử dụng điện thoại"},
        )
        page = login(app.test_client(), room.candidates[0]).get(f"/attempts/{attempt.id}")
    assert response.status_code == 302
    attempt = _fresh(attempt.id)
    assert attempt.status == AttemptStatus.SUBMITTED
    assert attempt.penalty == Penalty.SUSPENSION
    assert (attempt.score, attempt.final_score) == (3.0, 0.0)
    assert "Bị đình chỉ thi: kết quả bị hủy" in page.get_data(as_text=True)
    with pytest.raises(DomainError, match="đình chỉ"):
        allow_retake(
            attempt, minutes=10, reason="x", actor=room.invigilator, at=START + 20 * MINUTE
        )


def test_an_incident_needs_its_minutes(room):
    attempt = _start(room.attempt(0), room.candidates[0])
    with pytest.raises(ValidationFailed) as refused:
        record_incident(
            attempt, penalty=Penalty.REPRIMAND, description="", actor=room.board, at=START
        )
    assert refused.value.reasons[0][0] == "description"
    with pytest.raises(DomainError, match="chưa bắt đầu"):
        record_incident(
            room.attempt(1), penalty=Penalty.NONE, description="x", actor=room.board, at=START
        )


def test_a_retake_reopens_the_same_paper_with_every_answer(app, room):
    attempt = _start(room.attempt(0), room.candidates[0])
    first = attempt.questions[0]
    save_answer(attempt, first, _wrong(first), seq=1, at=START + 5 * MINUTE)
    db.session.commit()
    # The machine died; the server submitted the paper at the deadline.
    with time_machine.travel(DEADLINE + MINUTE, tick=False):
        login(app.test_client(), room.candidates[0]).get(f"/attempts/{attempt.id}")
    assert _fresh(attempt.id).status == AttemptStatus.SUBMITTED
    at = DEADLINE + 5 * MINUTE
    with time_machine.travel(at, tick=False):
        response = login(app.test_client(), room.invigilator).post(
            f"/attempts/{attempt.id}/retake",
            data={"retake-minutes": 20, "retake-reason": "Mất điện máy số 12 từ 08:40"},
        )
    assert response.status_code == 302
    attempt = _fresh(attempt.id)
    assert attempt.status == AttemptStatus.IN_PROGRESS
    assert attempt.score is None
    assert attempt.submitted_at is None
    assert attempt.deadline_at >= at + 20 * MINUTE
    assert attempt.deadline_at < at + 21 * MINUTE
    assert attempt.questions[0].answer.response == _wrong(first)  # nothing lost
    with time_machine.travel(at + MINUTE, tick=False):
        client = login(app.test_client(), room.candidates[0])
        page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
        saved = client.post(
            f"/attempts/{attempt.id}/answers",
            json={
                "answers": [
                    {"item": first.id, "response": paper_token(first, _correct(first)), "seq": 2}
                ]
            },
        )
    assert 'id="paper"' in page
    assert saved.status_code == 200
    [entry] = _audit("attempt.retake")
    assert entry.after["reopened"] is True
    assert entry.before["status"] == "submitted"


def test_a_retake_only_on_the_day_of_the_session(room):
    attempt = _start(room.attempt(0), room.candidates[0])
    submit_attempt(attempt, actor=room.candidates[0], at=START + 10 * MINUTE)
    with pytest.raises(DomainError, match=r"^Chỉ cho thi lại trong ngày thi của ca thi\.$"):
        allow_retake(
            attempt,
            minutes=10,
            reason="Máy hỏng",
            actor=room.invigilator,
            at=START + dt.timedelta(days=1),
        )
    assert attempt.status == AttemptStatus.SUBMITTED


# --- late answers are refused and logged; two tabs; resume ----------------------------------


def test_answers_after_the_grace_are_logged(app, room):
    attempt = _start(room.attempt(0), room.candidates[0])
    item = attempt.questions[0]
    late = DEADLINE + dt.timedelta(seconds=app.config["ANSWER_GRACE_SECONDS"]) + SECOND
    with time_machine.travel(late, tick=False):
        response = login(app.test_client(), room.candidates[0]).post(
            f"/attempts/{attempt.id}/answers",
            json={"answers": [{"item": item.id, "response": "c", "seq": 41}]},
        )
    assert response.status_code == 409
    db.session.expire_all()
    [logged] = db.session.scalars(sa.select(RefusedAnswer)).all()
    assert (logged.attempt_id, logged.item_id, logged.seq, logged.response) == (
        attempt.id,
        item.id,
        41,
        "c",
    )
    assert logged.received_at == late
    assert item.answer is None


def test_two_tabs_cannot_corrupt_a_paper(app, room):
    """Two tabs (or two machines) on one paper save crossing answers, some arriving late:
    each question ends with the answer of the highest sequence number."""
    attempt = _start(room.attempt(0), room.candidates[0])
    q1, q2, q3 = (item.id for item in attempt.questions)
    with time_machine.travel(START + 5 * MINUTE, tick=False):
        tab1 = login(app.test_client(), room.candidates[0])
        tab2 = login(app.test_client(), room.candidates[0])

        def post(client, *entries):
            answers = [{"item": i, "response": paper_token(i, r), "seq": s} for i, r, s in entries]
            return client.post(f"/attempts/{attempt.id}/answers", json={"answers": answers})

        assert post(tab1, (q1, "a", 100), (q2, "a", 101)).status_code == 200
        assert post(tab2, (q1, "b", 102)).status_code == 200
        late = post(tab1, (q1, "c", 99), (q3, "d", 103))  # tab 1's retry of an older change
        assert post(tab2, (q2, "b", 104), (q3, "a", 98)).status_code == 200
    assert late.get_json()["saved"] == [{"item": q1, "seq": 102}, {"item": q3, "seq": 103}]
    db.session.expire_all()
    stored = {
        a.id: (a.answer.response, a.answer.seq)
        for a in db.session.scalars(
            sa.select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id)
        )
    }
    assert stored == {q1: ("b", 102), q2: ("b", 104), q3: ("d", 103)}


def test_the_paper_resumes_with_every_saved_answer_on_another_machine(app, room):
    attempt = _start(room.attempt(0), room.candidates[0])
    first, second, _ = attempt.questions
    with time_machine.travel(START + 5 * MINUTE, tick=False):
        login(app.test_client(), room.candidates[0]).post(
            f"/attempts/{attempt.id}/answers",
            json={
                "answers": [
                    {"item": first.id, "response": paper_token(first, "c"), "seq": 5},
                    {"item": second.id, "response": paper_token(second, "b"), "seq": 6},
                ]
            },
        )
        page = login(app.test_client(), room.candidates[0]).get(f"/attempts/{attempt.id}")
    html = page.get_data(as_text=True)
    c, b = paper_token(first, "c"), paper_token(second, "b")
    assert f'id="q-{first.id}-{c}" value="{c}" checked' in html
    assert f'id="q-{second.id}-{b}" value="{b}" checked' in html
    assert 'data-seq="6"' in html


def test_the_state_endpoint_notes_the_last_contact(app, room):
    attempt = _start(room.attempt(0), room.candidates[0])
    at = START + 7 * MINUTE
    with time_machine.travel(at, tick=False):
        state = login(app.test_client(), room.candidates[0]).get(f"/attempts/{attempt.id}/state")
    assert state.status_code == 200
    assert _fresh(attempt.id).last_seen_at == at


# --- after the test: review options, marking, voiding, statistics ---------------------------


def _sit_all(room: Room1) -> None:
    """Candidate 0 all right, 1 first right only, 2 all wrong; submitted."""
    for n in range(3):
        attempt = _start(room.attempt(n), room.candidates[n])
        for seq, item in enumerate(attempt.questions, start=1):
            right = n == 0 or (n == 1 and seq == 1)
            save_answer(
                attempt,
                item,
                _correct(item) if right else _wrong(item),
                seq=seq,
                at=START + 5 * MINUTE,
            )
        submit_attempt(attempt, actor=room.candidates[n], at=START + 20 * MINUTE)
    db.session.commit()


@pytest.mark.parametrize("option", list(ReviewOption))
def test_review_options_show_what_the_test_allows_once_every_paper_closed(app, room, option):
    _sit_all(room)
    test = room.attempt(1).test
    test.review_option = option
    db.session.commit()
    attempt = room.attempt(1)
    item = attempt.questions[1]
    with time_machine.travel(START + 30 * MINUTE, tick=False):  # others may still be sitting
        during = login(app.test_client(), room.candidates[1]).get(f"/attempts/{attempt.id}")
    with time_machine.travel(DEADLINE + MINUTE, tick=False):
        after = login(app.test_client(), room.candidates[1]).get(f"/attempts/{attempt.id}")
    during, after = during.get_data(as_text=True), after.get_data(as_text=True)
    assert item.version.text not in during
    assert 'id="score"' in during
    assert "1,00 / 3,00" in after
    if option == ReviewOption.SCORE_ONLY:
        assert item.version.text not in after
    else:
        assert "sẽ được hiển thị ở đây khi mọi thí sinh đã kết thúc" in during
        assert item.version.text in after
        assert "Bạn trả lời" in after
        assert ("Đáp án đúng" in after) == (option == ReviewOption.CORRECT_ANSWERS)


class _Essay(QuestionType):
    """A type scored by people, as the bank's essay type will be."""

    name = "essay_for_tests"
    template = "exams/qtypes/single_choice.html"
    auto_scored = False

    def clean_response(self, data, raw):
        return raw

    def score_fraction(self, data, response):
        raise AssertionError("never scored automatically")


@pytest.fixture
def essay_type():
    _REGISTRY[_Essay.name] = _Essay()
    yield _Essay.name
    del _REGISTRY[_Essay.name]


def test_an_essay_waits_for_marking_while_the_objective_part_shows_at_once(app, room, essay_type):
    attempt = room.attempt(0)
    essay = attempt.questions[2]
    essay.version.type = essay_type  # (a version of this paper only, for the test)
    _start(attempt, room.candidates[0])
    for seq, item in enumerate(attempt.questions[:2], start=1):
        save_answer(attempt, item, _correct(item), seq=seq, at=START + 5 * MINUTE)
    save_answer(attempt, essay, "Bài luận…", seq=3, at=START + 6 * MINUTE)
    submit_attempt(attempt, actor=room.candidates[0], at=START + 20 * MINUTE)
    db.session.commit()
    assert (attempt.score, attempt.final_score, attempt.pending_marking) == (2.0, None, True)
    assert attempt.score_percent is None
    with time_machine.travel(START + 21 * MINUTE, tick=False):
        html = (
            login(app.test_client(), room.candidates[0])
            .get(f"/attempts/{attempt.id}")
            .get_data(as_text=True)
        )
    assert "Phần tự luận đang chờ chấm" in html
    assert '<div class="result-score" id="score">2,00</div>' in html

    with pytest.raises(ValidationFailed):
        record_item_points(essay, 1.5, actor=room.board, at=START + dt.timedelta(days=2))
    with pytest.raises(DomainError, match="chấm tự động"):
        record_item_points(attempt.questions[0], 1, actor=room.board, at=START)
    record_item_points(essay, 0.5, actor=room.board, at=START + dt.timedelta(days=2))
    assert (attempt.final_score, attempt.pending_marking) == (2.5, False)
    assert _audit("attempt.mark_item")[0].after["final_score"] == 2.5


def test_voiding_a_question_gives_everyone_its_points(app, room):
    _sit_all(room)
    target = room.attempt(2).questions[0].version.question  # candidate 2 got it wrong
    had_it = [
        n
        for n in range(3)
        if any(i.version.question_id == target.id for i in room.attempt(n).questions)
    ]
    before = {n: room.attempt(n).final_score for n in had_it}
    db.session.commit()
    client = login(app.test_client(), room.board)
    refused = client.post(
        f"/tests/{room.test_id}/questions/{target.id}/void",
        data={"reason": ""},
        follow_redirects=True,
    )
    done = client.post(
        f"/tests/{room.test_id}/questions/{target.id}/void",
        data={"reason": "Đáp án B và C đều đúng theo Luật sửa đổi 2019"},
    )
    assert refused.status_code == 200
    assert "Vui lòng điền mục này." in refused.get_data(as_text=True)
    assert done.status_code == 302
    db.session.expire_all()
    assert room.attempt(2).final_score == 1.0  # 0 + the voided question's point
    for n in had_it:
        attempt = room.attempt(n)
        item = next(i for i in attempt.questions if i.version.question_id == target.id)
        assert item.voided
        assert item.awarded_points == item.points
        answered_right = n == 0 or (n == 1 and attempt.questions.index(item) == 0)
        assert attempt.final_score == before[n] + (0 if answered_right else 1)
    [entry] = _audit("test.void_question")
    assert entry.after["papers"] == len(had_it)
    with pytest.raises(DomainError, match="đã được hủy"):
        void_question(room.attempt(0).test, target, reason="x", actor=room.board, at=START)


def test_item_analysis_page_and_csv(app, make, room):
    _sit_all(room)
    client = login(app.test_client(), make.user(Role.SUPERVISOR))
    page = client.get(f"/tests/{room.test_id}/analysis")
    download = client.get(f"/tests/{room.test_id}/analysis.csv")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<dd class="col-sm-7" id="stat-candidates">3</dd>' in html
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["question", "section", "type"]
    items = [r for r in rows[1:] if r and r[0].startswith("Q")]
    assert sum(int(r[5]) for r in items) == 9  # 3 papers × 3 questions
    # Candidate 0 is right everywhere, 2 nowhere: a question all three had scores 1/3 or 2/3.
    assert all(0 <= float(r[6]) <= 1 for r in items)
    assert "A*=" in download.get_data(as_text=True)  # option A is right in the factories
    summary = {r[0]: r[1] for r in rows if len(r) == 2}
    assert summary["candidates"] == "3"
    assert summary["kr20"] != ""  # every slot answered right or wrong: KR-20 computed
    assert (
        login(app.test_client(), room.candidates[0])
        .get(f"/tests/{room.test_id}/analysis")
        .status_code
        == 404  # a candidate has no seat in the round
    )


# --- papers rendered ahead of the session ---------------------------------------------------


def test_papers_made_on_the_page_are_rendered_ahead_and_served_until_answered(app, make):
    from exam.exams.models import RenderedPaper

    round_ = make.round()
    candidate = make.user(Role.CANDIDATE)
    application = make.application(round_.positions[0], candidate)
    test = make.test(round_, starts_at=START, papers=False)
    board = make.user(Role.BOARD_ADMIN)
    make.stage(round_, RoundStatus.TESTING)
    db.session.commit()
    with time_machine.travel(START - dt.timedelta(hours=1), tick=False):
        made = login(app.test_client(), board).post(f"/tests/{test.id}/papers")
    assert made.status_code == 302
    db.session.expire_all()
    attempt = make.attempt(test, application)
    [rendered] = db.session.scalars(sa.select(RenderedPaper)).all()
    assert (rendered.attempt_id, rendered.locale, rendered.questions) == (attempt.id, "vi", 3)
    first = attempt.questions[0]
    assert f'data-item="{first.id}"' in rendered.html
    assert first.version.text in rendered.html

    # Served as it is while the paper has no answer…
    rendered.html = rendered.html.replace(first.version.text, "ĐÃ KẾT XUẤT TRƯỚC")
    db.session.commit()
    with time_machine.travel(START + MINUTE, tick=False):
        client = login(app.test_client(), candidate)
        client.post(f"/attempts/{attempt.id}/start", data={"session_code": test.session_code})
        ahead = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
        client.post(
            f"/attempts/{attempt.id}/answers",
            json={"answers": [{"item": first.id, "response": paper_token(first, "b"), "seq": 1}]},
        )
        fresh = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    assert "ĐÃ KẾT XUẤT TRƯỚC" in ahead
    assert "/3 câu đã trả lời" in ahead
    # …and rendered afresh, with the answer, once it has one.
    assert "ĐÃ KẾT XUẤT TRƯỚC" not in fresh
    b = paper_token(first, "b")
    assert f'id="q-{first.id}-{b}" value="{b}" checked' in fresh


@pytest.fixture
def rendered_ahead(app, make):
    """A paper made and rendered on the page an hour before the session, its candidate and
    another candidate of the same test."""
    round_ = make.round()
    candidate, other = make.user(Role.CANDIDATE, name="Nguyễn Thị Hoà"), make.user(Role.CANDIDATE)
    mine = make.application(round_.positions[0], candidate)
    theirs = make.application(round_.positions[0], other)
    test = make.test(round_, starts_at=START, papers=False)
    board = make.user(Role.BOARD_ADMIN)
    make.stage(round_, RoundStatus.TESTING)
    db.session.commit()
    with time_machine.travel(START - dt.timedelta(hours=1), tick=False):
        assert login(app.test_client(), board).post(f"/tests/{test.id}/papers").status_code == 302
    db.session.expire_all()
    return SimpleNamespace(
        test=test,
        candidate=candidate,
        other=other,
        attempt=make.attempt(test, mine),
        other_attempt=make.attempt(test, theirs),
    )


def _started(app, world, user, attempt, at=START + MINUTE):
    with time_machine.travel(at, tick=False):
        client = login(app.test_client(), user)
        started = client.post(
            f"/attempts/{attempt.id}/start", data={"session_code": world.test.session_code}
        )
    assert started.status_code == 302
    return client


def test_the_paper_rendered_ahead_names_its_candidate_and_offers_no_way_out(app, rendered_ahead):
    world = rendered_ahead
    client = _started(app, world, world.candidate, world.attempt)
    with time_machine.travel(START + 2 * MINUTE, tick=False):
        page = client.get(f"/attempts/{world.attempt.id}?started=1")
        reloaded = client.get(f"/attempts/{world.attempt.id}")
    later = reloaded.get_data(as_text=True)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<span class="user-name">Nguyễn Thị Hoà</span>' in html
    assert 'class="site-nav"' not in html  # no menu to click away to during the test
    assert "Bắt đầu làm bài. Câu trả lời được lưu tự động." in html  # where Start leads
    assert "Bắt đầu làm bài." not in later
    assert "Set-Cookie" not in reloaded.headers  # the session is not rewritten
    assert f'data-deadline="{world.attempt.deadline_at.isoformat()}"' in html
    assert html.count('class="question"') == 3


def test_the_paper_rendered_ahead_is_not_served_in_another_language(app, rendered_ahead):
    world = rendered_ahead
    client = _started(app, world, world.candidate, world.attempt)
    with time_machine.travel(START + 2 * MINUTE, tick=False):
        client.post("/language", data={"language": "en", "next": "/"})
        html = client.get(f"/attempts/{world.attempt.id}").get_data(as_text=True)
    assert "Question 1" in html
    assert "Câu 1" not in html
    assert html.count('class="question"') == 3


def test_the_paper_rendered_ahead_is_not_served_after_the_deadline(app, rendered_ahead):
    world = rendered_ahead
    client = _started(app, world, world.candidate, world.attempt)
    with time_machine.travel(world.attempt.deadline_at + MINUTE, tick=False):
        html = client.get(f"/attempts/{world.attempt.id}").get_data(as_text=True)
    assert 'class="question"' not in html
    db.session.expire_all()
    assert db.session.get(Attempt, world.attempt.id).status == AttemptStatus.SUBMITTED


def test_the_paper_rendered_ahead_is_for_its_candidate_only(app, make, rendered_ahead):
    world = rendered_ahead
    board_admin = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    _started(app, world, world.candidate, world.attempt)
    other = _started(app, world, world.other, world.other_attempt)
    with time_machine.travel(START + 2 * MINUTE, tick=False):
        stolen = other.get(f"/attempts/{world.attempt.id}")
        anonymous = app.test_client().get(f"/attempts/{world.attempt.id}")
        board = login(app.test_client(), board_admin).get(f"/attempts/{world.attempt.id}")
    assert stolen.status_code == 404
    assert anonymous.status_code == 302
    assert "/login" in anonymous.headers["Location"]
    assert board.status_code == 404


def test_pressing_start_is_audited_once_through_the_pending_journal(app, rendered_ahead):
    from exam.audit.models import PendingAuditEntry
    from exam.audit.operations import seal_pending, verify_chain

    world = rendered_ahead
    client = _started(app, world, world.candidate, world.attempt)
    with time_machine.travel(START + 2 * MINUTE, tick=False):
        again = client.post(
            f"/attempts/{world.attempt.id}/start", data={"session_code": world.test.session_code}
        )
    assert again.status_code == 302  # a second press (another tab) resumes, no second entry
    [pending] = db.session.scalars(sa.select(PendingAuditEntry)).all()
    assert (pending.action, pending.actor_id, pending.object_id) == (
        "attempt.start",
        world.candidate.id,
        str(world.attempt.id),
    )
    assert pending.created_at == START + MINUTE
    assert seal_pending() == 1
    last = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert (last.action, last.actor_label, last.created_at) == (
        "attempt.start",
        world.candidate.email,
        START + MINUTE,
    )
    assert last.after == {"started_at": (START + MINUTE).isoformat()}
    assert db.session.scalars(sa.select(PendingAuditEntry)).all() == []
    assert verify_chain().intact
