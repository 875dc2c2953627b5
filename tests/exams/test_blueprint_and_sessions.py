"""The blueprint (ma trận đề) checked against the bank, sessions with their own start, code
and late-entry limit, rooms and seats, and the candidate's accommodation."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
import time_machine

from exam.accounts.models import Role
from exam.audit.models import AuditEntry
from exam.core.errors import DomainError, ValidationFailed
from exam.exams.definition import (
    add_room,
    add_section,
    add_session,
    check_blueprint,
    create_test,
    move_attempt,
    remove_section,
)
from exam.exams.models import Attempt, AttemptStatus
from exam.exams.papers import generate_papers, set_accommodation
from exam.exams.sitting import start_attempt
from exam.extensions import db
from exam.question_bank.models import Category, Difficulty
from exam.rounds.models import RoundStatus
from tests.conftest import login
from tests.factories import Factories

START = dt.datetime(2026, 4, 1, 1, 0, tzinfo=dt.UTC)
BEFORE = START - dt.timedelta(days=1)
MINUTE = dt.timedelta(minutes=1)


def _category(bank, path: str) -> Category:
    return db.session.scalars(
        sa.select(Category).where(Category.bank_id == bank.id, Category.path == path)
    ).one()


@pytest.fixture
def mixed_bank(make):
    """Law: 9 easy + 6 hard in "Luật/Cán bộ", 6 hard in "Luật/Viên chức"; 3 in "Tin học"."""
    bank = make.bank(0)
    make.approved_questions(bank, 9, category="Luật/Cán bộ", difficulty="easy")
    make.approved_questions(bank, 6, category="Luật/Cán bộ", difficulty="hard")
    make.approved_questions(bank, 6, category="Luật/Viên chức", difficulty="hard")
    make.approved_questions(bank, 3, category="Tin học", difficulty="easy")
    return bank


def _test(make, bank, *, count=3, **kwargs):
    round_ = make.round()
    return create_test(
        round_,
        bank,
        title="Trắc nghiệm",
        question_count=count,
        duration_minutes=60,
        starts_at=START,
        actor=make.user(Role.BOARD_ADMIN),
        **kwargs,
    )


# --- the blueprint --------------------------------------------------------------------------


def test_a_section_draws_from_its_category_with_subcategories_and_difficulty(make, mixed_bank):
    law = _category(mixed_bank, "Luật")
    test = _test(make, mixed_bank, count=4, category=law, difficulty=Difficulty.HARD)
    [check], problems = check_blueprint(test)
    assert problems == []
    assert (check.available, check.needed) == (12, 12)  # 6 + 6 hard law questions


def test_the_three_times_rule_is_checked_per_section_with_a_clear_message(make, mixed_bank):
    board = make.user(Role.BOARD_ADMIN)
    test = _test(make, mixed_bank, count=2, category=_category(mixed_bank, "Luật/Viên chức"))
    with pytest.raises(ValidationFailed) as refused:
        add_section(
            test,
            title="Tin học",
            question_count=2,
            points_per_question=1,
            category=_category(mixed_bank, "Tin học"),
            actor=board,
        )
    assert refused.value.reasons == [
        (
            "question_count",
            "Phần «Tin học»: ngân hàng chỉ có 3 câu hỏi đã duyệt phù hợp; 2 câu cần ít nhất 6.",
        )
    ]
    assert [s.title for s in test.sections] == ["Phần 1"]


def test_sections_sharing_questions_are_checked_on_their_union(make, mixed_bank):
    board = make.user(Role.BOARD_ADMIN)
    law = _category(mixed_bank, "Luật")
    test = _test(make, mixed_bank, count=5, category=law)  # 21 law questions ≥ 15
    with pytest.raises(ValidationFailed) as refused:
        # 12 hard law questions ≥ 3 × 3 alone, but both sections draw from the same 21 < 24.
        add_section(
            test,
            title="Khó",
            question_count=3,
            points_per_question=2,
            category=law,
            difficulty=Difficulty.HARD,
            actor=board,
        )
    [(_, message)] = refused.value.reasons
    assert message == (
        "Các phần «Phần 1», «Khó» dùng chung câu hỏi: ngân hàng chỉ có 21 câu phù hợp, "
        "cần ít nhất 24."
    )


def test_papers_follow_the_blueprint_section_by_section(make, mixed_bank):
    board = make.user(Role.BOARD_ADMIN)
    test = _test(
        make,
        mixed_bank,
        count=3,
        category=_category(mixed_bank, "Luật/Cán bộ"),
        difficulty=Difficulty.EASY,
    )
    add_section(
        test,
        title="Viên chức",
        question_count=2,
        points_per_question=2.5,
        category=_category(mixed_bank, "Luật/Viên chức"),
        actor=board,
    )
    round_ = test.round
    for _ in range(3):
        make.application(round_.positions[0])
    make.stage(test.round, RoundStatus.TESTING)
    papers = generate_papers(test, actor=board, at=BEFORE)
    db.session.flush()
    assert test.question_count == 5
    assert test.max_score == 3 * 1 + 2 * 2.5
    for paper in papers:
        items = paper.questions
        assert [item.position for item in items] == [1, 2, 3, 4, 5]
        first, second = items[:3], items[3:]
        assert {i.version.question.category.path for i in first} == {"Luật/Cán bộ"}
        assert {i.version.difficulty for i in first} == {Difficulty.EASY}
        assert {i.version.question.category.path for i in second} == {"Luật/Viên chức"}
        assert [i.points for i in items] == [1, 1, 1, 2.5, 2.5]
        assert sorted(i.slot for i in first) == [1, 2, 3]
        assert paper.max_score == 8


def test_the_blueprint_is_frozen_once_papers_exist(make, mixed_bank):
    board = make.user(Role.BOARD_ADMIN)
    test = _test(make, mixed_bank, count=2)
    make.application(test.round.positions[0])
    make.stage(test.round, RoundStatus.TESTING)
    generate_papers(test, actor=board, at=BEFORE)
    with pytest.raises(DomainError, match="không thể sửa ma trận đề"):
        add_section(test, title="Thêm", question_count=1, points_per_question=1, actor=board)
    with pytest.raises(DomainError, match="không thể sửa ma trận đề"):
        remove_section(test.sections[0], actor=board)


def test_the_last_section_cannot_be_removed(make, mixed_bank):
    test = _test(make, mixed_bank, count=2)
    with pytest.raises(DomainError, match=r"^Đề thi cần ít nhất một phần\.$"):
        remove_section(test.sections[0], actor=make.user(Role.BOARD_ADMIN))


def test_the_blueprint_form_shows_the_shortage_next_to_the_field(app, make, mixed_bank):
    test = _test(make, mixed_bank, count=2)
    board = make.user(Role.BOARD_ADMIN)
    computing = _category(mixed_bank, "Tin học")
    db.session.commit()
    client = login(app.test_client(), board)
    response = client.post(
        f"/tests/{test.id}/sections",
        data={
            "section-title": "Tin học",
            "section-category_id": computing.id,
            "section-difficulty": "",
            "section-question_type": "",
            "section-question_count": 2,
            "section-points_per_question": "1",
        },
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.request.path == f"/tests/{test.id}"
    assert 'id="section-question_count-error"' in html
    assert "Phần «Tin học»: ngân hàng chỉ có 3 câu hỏi đã duyệt phù hợp" in html
    db.session.expire_all()
    assert len(db.session.get(type(test), test.id).sections) == 1

    ok = client.post(
        f"/tests/{test.id}/sections",
        data={
            "section-title": "Khó",
            "section-category_id": 0,
            "section-difficulty": "hard",
            "section-question_type": "single_choice",
            "section-question_count": 3,
            "section-points_per_question": "2",
        },
    )
    assert ok.status_code == 302
    db.session.expire_all()
    sections = db.session.get(type(test), test.id).sections
    assert [(s.title, s.difficulty, s.question_count) for s in sections][1] == (
        "Khó",
        Difficulty.HARD,
        3,
    )
    # The blueprint table names the question type in words, not by its code.
    table = client.get(f"/tests/{test.id}").get_data(as_text=True)
    assert "Một lựa chọn" in table
    assert ">single_choice<" not in table


# --- sessions, rooms, seats -----------------------------------------------------------------


@pytest.fixture
def seated(make):
    """A test with two sessions; session 1 has rooms of 2 and 1 seats; 4 candidates."""
    round_ = make.round()
    position = round_.positions[0]
    applications = [make.application(position) for _ in range(4)]
    test = make.test(round_, starts_at=START, papers=False)
    board = make.user(Role.BOARD_ADMIN)
    invigilator = make.user(Role.INVIGILATOR)
    first = test.sessions[0]
    room_a = add_room(first, name="Phòng 101", capacity=2, invigilators=[invigilator], actor=board)
    room_b = add_room(first, name="Phòng 102", capacity=1, actor=board)
    second = add_session(
        test, name="Ca 2", starts_at=START + dt.timedelta(hours=3), actor=board, at=BEFORE
    )
    room_c = add_room(second, name="Phòng 201", capacity=5, actor=board)
    db.session.flush()
    return test, applications, board, (room_a, room_b, room_c)


def test_papers_fill_the_rooms_in_order(seated):
    test, applications, board, (_room_a, _room_b, _room_c) = seated
    Factories.stage(test.round, RoundStatus.TESTING)
    papers = generate_papers(test, actor=board, at=BEFORE)
    seats = [(p.application_id, p.session.name, p.room.name) for p in papers]
    assert seats == [
        (applications[0].id, "Ca 1", "Phòng 101"),
        (applications[1].id, "Ca 1", "Phòng 101"),
        (applications[2].id, "Ca 1", "Phòng 102"),
        (applications[3].id, "Ca 2", "Phòng 201"),
    ]


def test_not_enough_seats_is_refused_with_the_shortfall(make):
    round_ = make.round()
    for _ in range(3):
        make.application(round_.positions[0])
    test = make.test(round_, starts_at=START, papers=False)
    board = make.user(Role.BOARD_ADMIN)
    add_room(test.sessions[0], name="Phòng nhỏ", capacity=1, actor=board)
    make.stage(round_, RoundStatus.TESTING)
    with pytest.raises(DomainError) as refused:
        generate_papers(test, actor=board, at=BEFORE)
    assert refused.value.message == (
        "Không đủ chỗ ngồi: còn 2 thí sinh chưa có chỗ. Hãy thêm phòng thi hoặc ca thi."
    )


def test_each_session_has_its_own_start_and_code(seated):
    test, _, board, _ = seated
    Factories.stage(test.round, RoundStatus.TESTING)
    papers = generate_papers(test, actor=board, at=BEFORE)
    late = papers[3]
    second = late.session
    assert second.code != test.sessions[0].code
    assert late.deadline_at == second.starts_at + dt.timedelta(minutes=60)
    with pytest.raises(DomainError, match=r"^Chưa đến giờ thi\.$"):
        start_attempt(late, session_code=second.code, at=START + MINUTE)
    with pytest.raises(ValidationFailed):  # the first session's code does not open the second
        start_attempt(late, session_code=test.sessions[0].code, at=second.starts_at + MINUTE)
    start_attempt(late, session_code=second.code, at=second.starts_at + MINUTE)
    assert late.status == AttemptStatus.IN_PROGRESS


def test_a_session_cannot_start_in_the_past_or_reuse_a_name(seated):
    test, _, board, _ = seated
    with pytest.raises(ValidationFailed) as past:
        add_session(test, name="Ca 3", starts_at=BEFORE, actor=board, at=BEFORE)
    assert past.value.reasons == [("starts_at", "Giờ bắt đầu phải sau thời điểm hiện tại.")]
    with pytest.raises(ValidationFailed) as same:
        add_session(test, name="Ca 2", starts_at=START, actor=board, at=BEFORE)
    assert same.value.reasons == [("name", "Đã có ca thi tên này.")]


@pytest.mark.parametrize(
    ("late", "allowed"),
    [(dt.timedelta(minutes=15), True), (dt.timedelta(minutes=15, seconds=1), False)],
)
def test_late_entry_limit(make, late, allowed):
    round_ = make.round()
    application = make.application(round_.positions[0])
    test = make.test(round_, starts_at=START)
    attempt = make.attempt(test, application)
    assert test.sessions[0].late_entry_minutes == 15
    if allowed:
        start_attempt(attempt, session_code=test.session_code, at=START + late)
        assert attempt.status == AttemptStatus.IN_PROGRESS
    else:
        with pytest.raises(DomainError) as refused:
            start_attempt(attempt, session_code=test.session_code, at=START + late)
        assert refused.value.message == (
            "Đã quá 15 phút sau giờ bắt đầu: thí sinh không được vào thi."
        )
        assert attempt.status == AttemptStatus.READY


def test_the_start_page_says_when_entry_is_closed(app, make):
    round_ = make.round()
    candidate = make.user(Role.CANDIDATE)
    application = make.application(round_.positions[0], candidate)
    test = make.test(round_, starts_at=START)
    attempt = make.attempt(test, application)
    db.session.commit()
    with time_machine.travel(START + 20 * MINUTE, tick=False):
        page = login(app.test_client(), candidate).get(f"/attempts/{attempt.id}")
    html = page.get_data(as_text=True)
    assert "Đã quá giờ vào thi." in html
    assert 'name="session_code"' not in html


def test_moving_a_candidate_before_the_start(seated):
    test, _, board, (_room_a, room_b, room_c) = seated
    Factories.stage(test.round, RoundStatus.TESTING)
    papers = generate_papers(test, actor=board, at=BEFORE)
    first = papers[0]
    with pytest.raises(DomainError, match=r"^Phòng thi đã hết chỗ\.$"):
        move_attempt(first, room_b, actor=board, at=BEFORE)
    move_attempt(first, room_c, actor=board, at=BEFORE)
    assert (first.session.name, first.room.name) == ("Ca 2", "Phòng 201")
    assert first.deadline_at == room_c.session.starts_at + dt.timedelta(minutes=60)
    with pytest.raises(DomainError, match="Ca thi đã bắt đầu"):
        move_attempt(papers[1], room_c, actor=board, at=START + MINUTE)


# --- accommodation --------------------------------------------------------------------------


def test_accommodation_lengthens_every_paper_of_the_candidate(make):
    round_ = make.round()
    candidate = make.user(Role.CANDIDATE)
    application = make.application(round_.positions[0], candidate)
    test = make.test(round_, starts_at=START, duration_minutes=90)
    board = make.user(Role.BOARD_ADMIN)
    attempt = make.attempt(test, application)
    set_accommodation(
        candidate,
        extra_time_percent=25,
        reason="Giấy xác nhận khuyết tật số 12/GXN",
        actor=board,
        at=BEFORE,
    )
    assert attempt.deadline_at == START + dt.timedelta(minutes=112, seconds=30)  # 90 × 1.25

    # A paper made later takes it too: it is set once per candidate.
    later = make.test(round_, starts_at=START + dt.timedelta(days=1), duration_minutes=60)
    db.session.flush()
    second = make.attempt(later, application)
    assert second.time_percent == 25
    assert second.deadline_at == later.starts_at + dt.timedelta(minutes=75)
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "accommodation.set")
    ).one()
    assert entry.after["extra_time_percent"] == 25


def test_accommodation_needs_a_reason_and_a_sane_percent(make):
    candidate, board = make.user(Role.CANDIDATE), make.user(Role.BOARD_ADMIN)
    with pytest.raises(ValidationFailed) as no_reason:
        set_accommodation(candidate, extra_time_percent=25, reason=" ", actor=board, at=BEFORE)
    assert no_reason.value.reasons[0][0] == "reason"
    with pytest.raises(ValidationFailed) as too_much:
        set_accommodation(candidate, extra_time_percent=250, reason="x", actor=board, at=BEFORE)
    assert too_much.value.reasons == [("extra_time_percent", "Từ 0 đến 200%.")]


def test_the_test_page_lists_sessions_rooms_and_the_blueprint(app, make, seated):
    test, _, board, _ = seated
    make.stage(test.round, RoundStatus.TESTING)
    generate_papers(test, actor=board, at=BEFORE)
    db.session.commit()
    html = login(app.test_client(), board).get(f"/tests/{test.id}").get_data(as_text=True)
    assert "Ma trận đề" in html
    assert "Phòng 101" in html
    assert "Phòng 201" in html
    assert test.sessions[1].code in html
    supervisor_view = login(app.test_client(), make.user(Role.SUPERVISOR)).get(f"/tests/{test.id}")
    assert supervisor_view.status_code == 200
    assert test.sessions[1].code not in supervisor_view.get_data(as_text=True)


def test_attempts_keep_their_session(make, seated):
    test, _, board, _ = seated
    make.stage(test.round, RoundStatus.TESTING)
    generate_papers(test, actor=board, at=BEFORE)
    db.session.flush()
    sessions = db.session.execute(
        sa.select(Attempt.session_id, sa.func.count())
        .where(Attempt.test_id == test.id)
        .group_by(Attempt.session_id)
    ).all()
    assert sorted(n for _, n in sessions) == [1, 3]


def test_the_board_adds_a_session_a_room_and_an_accommodation_through_the_pages(app, make):
    round_ = make.round()
    candidate = make.user(Role.CANDIDATE)
    make.application(round_.positions[0], candidate)
    test = make.test(round_, starts_at=START, papers=False)
    board, invigilator = make.user(Role.BOARD_ADMIN), make.user(Role.INVIGILATOR)
    db.session.commit()
    with time_machine.travel(BEFORE, tick=False):
        client = login(app.test_client(), board)
        bad_session = client.post(
            f"/tests/{test.id}/sessions",
            data={
                "session-name": "Ca 2",
                "session-starts_at": "31/02/2026 08:00",
                "session-late_entry_minutes": 15,
            },
            follow_redirects=True,
        )
        session = client.post(
            f"/tests/{test.id}/sessions",
            data={
                "session-name": "Ca 2",
                "session-starts_at": "01/04/2026 14:00",
                "session-late_entry_minutes": 10,
            },
        )
        db.session.expire_all()
        second = db.session.get(type(test), test.id).sessions[1]
        bad_room = client.post(
            f"/sessions/{second.id}/rooms",
            data={"room-name": "Phòng 301", "room-capacity": 0, "room-invigilator_id": 0},
            follow_redirects=True,
        )
        room = client.post(
            f"/sessions/{second.id}/rooms",
            data={
                "room-name": "Phòng 301",
                "room-capacity": 30,
                "room-invigilator_id": invigilator.id,
            },
        )
        bad_accommodation = client.post(
            f"/tests/{test.id}/accommodations",
            data={"acc-candidate_id": candidate.id, "acc-extra_time_percent": 25, "acc-reason": ""},
            follow_redirects=True,
        )
        accommodation = client.post(
            f"/tests/{test.id}/accommodations",
            data={
                "acc-candidate_id": candidate.id,
                "acc-extra_time_percent": 25,
                "acc-reason": "Khiếm thị, giấy xác nhận số 7",
            },
        )
    assert bad_session.status_code == 200
    assert "Nhập ngày giờ hợp lệ." in bad_session.get_data(as_text=True)
    assert session.status_code == 302
    assert (second.name, second.late_entry_minutes) == ("Ca 2", 10)
    assert second.starts_at == dt.datetime(2026, 4, 1, 7, 0, tzinfo=dt.UTC)  # 14:00 in Hanoi
    assert bad_room.status_code == 200
    assert "Từ 1 đến 1000." in bad_room.get_data(as_text=True)
    assert room.status_code == 302
    db.session.expire_all()
    [made] = db.session.get(type(test), test.id).sessions[1].rooms
    assert (made.name, made.capacity, [u.id for u in made.invigilators]) == (
        "Phòng 301",
        30,
        [invigilator.id],
    )
    assert bad_accommodation.status_code == 200
    assert "Vui lòng điền mục này." in bad_accommodation.get_data(as_text=True)
    assert accommodation.status_code == 302
    from exam.exams.models import Accommodation

    [kept] = db.session.scalars(sa.select(Accommodation)).all()
    assert (kept.candidate_id, kept.extra_time_percent) == (candidate.id, 25)


def test_only_the_board_defines_sessions_and_rooms(app, make):
    round_ = make.round()
    test = make.test(round_, starts_at=START, papers=False)
    db.session.commit()
    for role in (Role.SUPERVISOR, Role.INVIGILATOR, Role.CANDIDATE):
        client = login(app.test_client(), make.user(role))
        response = client.post(
            f"/tests/{test.id}/sessions",
            data={"session-name": "Ca X", "session-starts_at": "01/04/2026 14:00"},
        )
        # A candidate sits on no body of the round: it does not exist for them.
        assert response.status_code == (404 if role == Role.CANDIDATE else 403)
    db.session.expire_all()
    assert len(db.session.get(type(test), test.id).sessions) == 1


def test_the_board_moves_a_candidate_to_another_room_on_the_page(app, seated):
    test, _, board, (_, room_b, room_c) = seated
    Factories.stage(test.round, RoundStatus.TESTING)
    papers = generate_papers(test, actor=board, at=BEFORE)
    db.session.commit()
    first = papers[0]
    with time_machine.travel(BEFORE, tick=False):
        client = login(app.test_client(), board)
        page = client.get(f"/tests/{test.id}").get_data(as_text=True)
        full = client.post(f"/attempts/{first.id}/move", data={"room_id": room_b.id})
        moved = client.post(f"/attempts/{first.id}/move", data={"room_id": room_c.id})
        shown = client.get(f"/tests/{test.id}").get_data(as_text=True)
    assert f'action="/attempts/{first.id}/move"' in page
    assert full.status_code == moved.status_code == 302
    assert "Đã chuyển thí sinh sang Ca 2, Phòng 201." in shown
    db.session.expire_all()
    assert db.session.get(Attempt, first.id).room_id == room_c.id
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "attempt.move")
    ).all()
    assert len(entries) == 1  # the full room refused, nothing recorded
