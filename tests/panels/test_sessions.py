"""The interview session: the timetable in the order drawn by lot, the secretary's page
(present or absent, the phases' starts and ends recorded by the server), and the session's
recordings (audio or video only, streamed with Range to the panel, the Council and the
supervisory board)."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
import time_machine

from exam.accounts.models import Role, User
from exam.audit.models import AuditEntry
from exam.candidates.models import Application
from exam.candidates.screening import draw_presentation_order
from exam.core.errors import DomainError
from exam.core.storage import storage
from exam.extensions import db
from exam.panels import media
from exam.panels.models import Panel, PanelRole
from exam.panels.operations import create_panel
from exam.panels.sessions import (
    Phase,
    Recording,
    Turn,
    end_phase,
    mark_presence,
    set_session,
    start_phase,
    timetable,
)
from exam.rounds.models import RoundStatus
from tests.conftest import login

START = dt.datetime(2026, 12, 10, 1, 30, tzinfo=dt.UTC)  # 08:30 in Hanoi
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 40


@dataclass
class Hearing:
    panel: Panel
    applications: list[Application]
    order: list[str]
    secretary: User  # the head of the panel, which has no secretary

    def member(self) -> User:
        return self.panel.members[1].user


@pytest.fixture
def hearing(make) -> Hearing:
    return build_hearing(make)


def build_hearing(make) -> Hearing:
    """A panel of three in the interviews stage, four candidates in the order drawn, the
    session set (committed)."""
    round_ = make.round()
    position = round_.positions[0]
    applications = [make.application(position) for _ in range(4)]
    panel = make.panel(position, members=3)
    make.stage(round_, RoundStatus.INTERVIEWS)
    draw = draw_presentation_order(position, actor=make.user(Role.BOARD_ADMIN), at=START)
    chair = panel.members[0].user
    set_session(panel, room="Phòng họp tầng 3", starts_at=START, slot_minutes=150, actor=chair)
    db.session.commit()
    return Hearing(panel, applications, list(draw.order), chair)


def _by_number(hearing: Hearing) -> dict[str, Application]:
    return {a.registration_number: a for a in hearing.applications}


def _first(hearing: Hearing) -> Application:
    return _by_number(hearing)[hearing.order[0]]


def _turn(hearing: Hearing, application: Application) -> Turn:
    return db.session.scalars(
        sa.select(Turn).where(
            Turn.panel_id == hearing.panel.id, Turn.application_id == application.id
        )
    ).one()


def _act(app, hearing: Hearing, application: Application, action: str, user=None):
    client = login(app.test_client(), user or hearing.secretary)
    url = f"/panels/{hearing.panel.id}/session/turns/{application.id}/{action}"
    return client.post(url, follow_redirects=True)


# --- the timetable ----------------------------------------------------------------------------


def test_the_timetable_follows_the_lots_with_room_and_times(app, hearing):
    slots = timetable(hearing.panel)
    assert [s.application.registration_number for s in slots] == hearing.order
    assert [s.starts_at for s in slots] == [START + dt.timedelta(minutes=150 * i) for i in range(4)]
    assert {s.room for s in slots} == {"Phòng họp tầng 3"}
    page = login(app.test_client(), hearing.member()).get(f"/panels/{hearing.panel.id}/session")
    text = page.get_data(as_text=True)
    positions = [text.index(_by_number(hearing)[n].candidate.full_name) for n in hearing.order]
    assert positions == sorted(positions)
    assert "10/12/2026 08:30" in text
    assert "10/12/2026 11:00" in text


def test_no_timetable_before_the_lots_are_drawn(app, make):
    round_ = make.round()
    make.application(round_.positions[0])
    panel = make.panel(round_.positions[0], members=2)
    db.session.commit()
    assert timetable(panel) == []
    page = login(app.test_client(), panel.members[0].user).get(f"/panels/{panel.id}/session")
    assert "Chưa bốc thăm thứ tự trình bày" in page.get_data(as_text=True)


def test_the_secretary_sets_room_start_and_slot_in_hanoi_time(app, hearing):
    client = login(app.test_client(), hearing.secretary)
    response = client.post(
        f"/panels/{hearing.panel.id}/session",
        data={"room": "Phòng 201", "starts_at": "11/12/2026 07:45", "slot_minutes": "120"},
        follow_redirects=True,
    )
    assert "Đã lưu lịch phỏng vấn." in response.get_data(as_text=True)
    slots = timetable(hearing.panel)
    assert slots[1].starts_at == dt.datetime(2026, 12, 11, 2, 45, tzinfo=dt.UTC)
    assert slots[0].room == "Phòng 201"


def test_a_member_who_is_not_the_secretary_cannot_run_the_session(app, hearing):
    member = login(app.test_client(), hearing.member())
    assert member.get(f"/panels/{hearing.panel.id}/session/run").status_code == 403
    assert _act(app, hearing, _first(hearing), "present", hearing.member()).status_code == 403
    posted = member.post(
        f"/panels/{hearing.panel.id}/session",
        data={"room": "X", "starts_at": "11/12/2026 07:45", "slot_minutes": "60"},
    )
    assert posted.status_code == 403
    assert db.session.scalars(sa.select(Turn)).all() == []


# --- running it ---------------------------------------------------------------------------


def test_present_and_absent_are_recorded(app, hearing):
    first, second = (_by_number(hearing)[n] for n in hearing.order[:2])
    _act(app, hearing, first, "present")
    _act(app, hearing, second, "absent")
    assert _turn(hearing, first).present is True
    assert _turn(hearing, second).present is False
    refused = _act(app, hearing, second, "presentation-start")
    assert "Hãy ghi nhận thí sinh có mặt trước khi bắt đầu trình bày." in refused.get_data(
        as_text=True
    )
    assert _turn(hearing, second).presentation_started_at is None


def test_the_server_records_each_start_and_end(app, hearing):
    first = _first(hearing)
    moments = [START + dt.timedelta(minutes=m) for m in (0, 1, 43, 44, 120)]
    actions = ["present", "presentation-start", "presentation-end", "questions-start"]
    for moment, action in zip(moments, [*actions, "questions-end"], strict=True):
        with time_machine.travel(moment, tick=False):
            assert "Đã ghi nhận." in _act(app, hearing, first, action).get_data(as_text=True)
    turn = _turn(hearing, first)
    db.session.refresh(turn)
    assert turn.marked_at == moments[0]
    assert turn.presentation_started_at == moments[1]
    assert turn.presentation_ended_at == moments[2]
    assert turn.questions_started_at == moments[3]
    assert turn.questions_ended_at == moments[4]
    ends = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "panel.presentation_end")
    ).one()
    assert ends.after["seconds"] == 42 * 60


def test_the_room_screen_counts_from_the_recorded_start(app, hearing):
    first = _first(hearing)
    started = START + dt.timedelta(minutes=5)
    mark_presence(hearing.panel, first, present=True, actor=hearing.secretary, at=START)
    start_phase(hearing.panel, first, Phase.PRESENTATION, actor=hearing.secretary, at=started)
    db.session.commit()
    with time_machine.travel(started + dt.timedelta(minutes=10), tick=False):
        client = login(app.test_client(), hearing.member())  # signed in at that time
        state = client.get(f"/panels/{hearing.panel.id}/session/state.json").get_json()
        screen = client.get(f"/panels/{hearing.panel.id}/session/screen").get_data(as_text=True)
    assert state["phase"] == "presentation"
    assert state["started"] == started.timestamp()
    assert state["server_now"] == (started + dt.timedelta(minutes=10)).timestamp()
    assert state["limit"] == 45 * 60
    assert f'data-started="{started.timestamp()}"' in screen
    assert 'data-msg-over="Đã hết giờ"' in screen
    assert "js/panel-session.js" in screen


def test_questions_wait_for_the_presentation_and_one_phase_runs_at_a_time(app, hearing):
    first, second = (_by_number(hearing)[n] for n in hearing.order[:2])
    run = hearing.secretary
    for application in (first, second):
        mark_presence(hearing.panel, application, present=True, actor=run, at=START)
    with pytest.raises(DomainError, match="sau khi kết thúc trình bày"):
        start_phase(hearing.panel, first, Phase.QUESTIONS, actor=run, at=START)
    start_phase(hearing.panel, first, Phase.PRESENTATION, actor=run, at=START)
    with pytest.raises(DomainError, match="Một phần thi khác đang diễn ra"):
        start_phase(hearing.panel, second, Phase.PRESENTATION, actor=run, at=START)
    with pytest.raises(DomainError, match="không sửa có mặt/vắng"):
        mark_presence(hearing.panel, first, present=False, actor=run, at=START)
    end_phase(hearing.panel, first, Phase.PRESENTATION, actor=run, at=START)
    with pytest.raises(DomainError, match="đã kết thúc"):
        end_phase(hearing.panel, first, Phase.PRESENTATION, actor=run, at=START)


def test_a_candidate_outside_the_timetable_is_refused(app, make, hearing):
    stranger = make.application(make.round().positions[0])
    db.session.commit()
    response = _act(app, hearing, stranger, "present")
    assert "Thí sinh này không có trong lịch của ban." in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(Turn)).all() == []


# --- recordings -------------------------------------------------------------------------------


def _attach(app, hearing: Hearing, data: bytes, name: str, user=None):
    client = login(app.test_client(), user or hearing.secretary)
    return client.post(
        f"/panels/{hearing.panel.id}/recordings",
        data={"application_id": "0", "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def _stored_files() -> set[str]:
    return {f.key.rpartition("/")[2] for f in storage().listing(media.FOLDER)}


def test_a_recording_is_attached_and_streamed_with_ranges(app, hearing, stored_on):
    response = _attach(app, hearing, MP3, "buoi-sang.mp3")
    assert "Đã đính kèm bản ghi." in response.get_data(as_text=True)
    recording = db.session.scalars(sa.select(Recording)).one()
    assert (recording.content_type, recording.size) == ("audio/mpeg", len(MP3))
    client = login(app.test_client(), hearing.member())
    url = f"/recordings/{recording.id}"
    whole = client.get(url)
    assert whole.status_code == 200
    assert whole.headers["Accept-Ranges"] == "bytes"
    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.get_data() == MP3[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(MP3)}"


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"Bien ban buoi phong van", "ghi-am.mp3"),
        (b"%PDF-1.7\n" + b"x" * 200, "video.mp4"),
        (b"MZ\x90\x00" + b"\x00" * 200, "ghi-hinh.webm"),
    ],
)
def test_a_file_that_is_not_audio_or_video_is_refused(app, hearing, data, name):
    before = _stored_files()
    response = _attach(app, hearing, data, name)
    assert "Tệp không phải âm thanh hay video" in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(Recording)).all() == []
    assert _stored_files() == before


def test_a_recording_over_the_limit_is_refused_and_nothing_kept(
    app, hearing, monkeypatch, stored_on
):
    monkeypatch.setitem(app.config, "RECORDING_MAX_BYTES", len(MP3) - 1)
    before = _stored_files()
    response = _attach(app, hearing, MP3, "dai.mp3")
    assert "Tệp quá lớn" in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(Recording)).all() == []
    assert _stored_files() == before


def test_a_recording_larger_than_the_sites_limit_passes_the_csrf_check(app, hearing, monkeypatch):
    # CSRF's check reads the form before the view: the recording's own limit must be set
    # before it, or any recording over MAX_CONTENT_LENGTH is a 413.
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", len(MP3) // 2)
    client = login(app.test_client(), hearing.secretary)
    page = client.get(f"/panels/{hearing.panel.id}/session").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]
    response = client.post(
        f"/panels/{hearing.panel.id}/recordings",
        data={"csrf_token": token, "application_id": "0", "file": (io.BytesIO(MP3), "a.mp3")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Đã đính kèm bản ghi." in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(Recording)).one().size == len(MP3)


def test_a_plain_form_keeps_the_sites_limit(app, hearing, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    client = login(app.test_client(), hearing.secretary)
    response = client.post(f"/panels/{hearing.panel.id}/session", data={"note": "x" * 5000})
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x00\x00\x00\x20ftypisom" + b"\x00" * 52, "video/mp4"),
        (b"\x00\x00\x00\x20ftypM4A " + b"\x00" * 52, "audio/mp4"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm" + b"\x00" * 48, "video/webm"),
        (b"OggS" + b"\x00" * 60, "audio/ogg"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 48, "audio/wav"),
        (b"\xff\xfb\x90\x64" + b"\x00" * 60, "audio/mpeg"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 60, None),  # a JPEG is not an MPEG frame
        (b"GIF89a" + b"\x00" * 60, None),
    ],
)
def test_media_types_are_read_from_the_content(head, expected):
    sniffed = media.sniff_media(head)
    assert (sniffed[0] if sniffed else None) == expected


def test_recordings_are_read_by_the_panel_council_and_supervisors_only(app, make, hearing):
    _attach(app, hearing, MP3, "buoi-sang.mp3")
    recording = db.session.scalars(sa.select(Recording)).one()
    other_panel = make.panel(make.round().positions[0], members=2)
    readers = [make.user(Role.BOARD_ADMIN), make.user(Role.SUPERVISOR), hearing.member()]
    outsiders = [other_panel.members[0].user, hearing.applications[0].candidate]
    db.session.commit()
    url = f"/recordings/{recording.id}"
    assert [login(app.test_client(), u).get(url).status_code for u in readers] == [200] * 3
    assert [login(app.test_client(), u).get(url).status_code for u in outsiders] == [404] * 2
    assert _attach(app, hearing, MP3, "x.mp3", hearing.member()).status_code == 403


def test_a_panels_secretary_runs_it_and_then_the_head_does_not(app, make):
    round_ = make.round()
    position = round_.positions[0]
    make.application(position)
    chair, member, secretary = (make.user(Role.PANEL_MEMBER) for _ in range(3))
    panel = create_panel(
        position,
        "Ban có thư ký",
        [(chair, PanelRole.CHAIR), (member, PanelRole.MEMBER), (secretary, PanelRole.SECRETARY)],
        actor=make.user(Role.BOARD_ADMIN),
    )
    db.session.commit()
    url = f"/panels/{panel.id}/session/run"
    assert login(app.test_client(), secretary).get(url).status_code == 200
    assert login(app.test_client(), chair).get(url).status_code == 403
    with pytest.raises(DomainError, match="Chỉ thư ký"):
        set_session(panel, room="P1", starts_at=START, slot_minutes=60, actor=chair)


def test_the_secretarys_page_offers_each_step_on_a_key(app, hearing):
    first = _first(hearing)
    mark_presence(hearing.panel, first, present=True, actor=hearing.secretary, at=START)
    db.session.commit()
    page = login(app.test_client(), hearing.secretary).get(
        f"/panels/{hearing.panel.id}/session/run"
    )
    text = page.get_data(as_text=True)
    start = f'action="/panels/{hearing.panel.id}/session/turns/{first.id}/presentation-start"'
    assert start in text
    assert 'data-key="t"' in text
    assert 'data-key="c"' in text
    assert "js/panel-session.js" in text


def test_a_panel_serving_two_positions_times_both_position_by_position_in_drawn_order(app, make):
    from exam.panels.operations import add_position

    round_ = make.round(positions=2)
    first, second = round_.positions
    panel = make.panel(first, members=2)
    board = make.user(Role.BOARD_ADMIN)
    add_position(panel, second, actor=board)
    firsts = [make.application(first) for _ in range(3)]
    seconds = [make.application(second) for _ in range(2)]
    make.stage(round_, RoundStatus.INTERVIEWS)
    second_draw = draw_presentation_order(second, actor=board, at=START)
    assert [s.application for s in timetable(panel)] == [  # the first's lot not drawn yet
        next(a for a in seconds if a.registration_number == n) for n in second_draw.order
    ]
    first_draw = draw_presentation_order(first, actor=board, at=START)
    set_session(
        panel, room="Phòng 2", starts_at=START, slot_minutes=120, actor=panel.members[0].user
    )
    slots = timetable(panel)
    numbers = [s.application.registration_number for s in slots]
    assert numbers == list(first_draw.order) + list(second_draw.order)
    assert {s.application for s in slots} == set(firsts + seconds)
    assert [s.turn_number for s in slots] == [1, 2, 3, 4, 5]
    assert slots[3].starts_at == START + dt.timedelta(minutes=360)  # the second position follows
