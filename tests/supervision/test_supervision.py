"""The supervisory board's page (issue 13 item 7): its round's audit trail, filtered and
paginated, with the chain's verification and anchor; its own report, kept and printed as an
NĐ 30 document; nobody else's business."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import unicodedata

import pytest
import sqlalchemy as sa
import time_machine
from pypdf import PdfReader

from exam.accounts.models import Role
from exam.audit.models import AuditEntry
from exam.council.models import BodyKind
from exam.extensions import db
from exam.rounds.models import RoundStatus
from exam.rounds.operations import add_position
from exam.supervision import queries
from exam.supervision.models import SupervisionReport
from exam.supervision.queries import TrailFilter, report_document, round_trail
from tests.conftest import login
from tests.results.test_ranking import QUESTIONS, _sit

FINDINGS = "Các bài thi được niêm phong đúng quy định.\nPhòng thi số 2 bắt đầu muộn 5 phút."


@pytest.fixture
def rounds(make):
    """Round A with a supervisor and a Council member; round B with its own supervisor."""
    council = make.user(Role.BOARD_ADMIN, name="Trần Hội Đồng", seated=False)
    round_a = make.round(board=council)
    round_b = make.round(board=make.user(Role.BOARD_ADMIN, seated=False))
    make.seat(council, round_a, BodyKind.COUNCIL)
    supervisor = make.user(Role.SUPERVISOR, name="Phạm Giám Sát", seated=False)
    make.seat(supervisor, round_a, BodyKind.SUPERVISORY)
    other_supervisor = make.user(Role.SUPERVISOR, seated=False)
    make.seat(other_supervisor, round_b, BodyKind.SUPERVISORY)
    db.session.commit()
    return round_a, round_b, council, supervisor, other_supervisor


def _entries(round_id: int, **wanted) -> list[AuditEntry]:
    return round_trail(round_id, TrailFilter(**wanted)).entries


def test_the_trail_of_a_round_holds_its_objects_only(rounds):
    round_a, round_b, _council, _, _ = rounds
    trail_a = _entries(round_a.id)
    assert {(e.object_type, e.object_id) for e in trail_a} >= {
        ("Round", str(round_a.id)),
        ("Position", str(round_a.positions[0].id)),
    }
    assert ("Round", str(round_b.id)) not in {(e.object_type, e.object_id) for e in trail_a}
    assert all(
        e.object_type != "Position" or e.object_id != str(round_b.positions[0].id) for e in trail_a
    )


def test_the_trail_filters_by_person_object_action_and_time(rounds, make):
    round_a, _, _council, _, _ = rounds
    other = make.user(Role.BOARD_ADMIN, seated=False)
    make.stage(round_a, round_a.status.DRAFT)
    add_position(
        round_a, title="Phó Giám đốc", unit_name="Bệnh viện", posts=1, standards="", actor=other
    )
    db.session.flush()
    by_other = _entries(round_a.id, actor_id=other.id)
    assert by_other
    assert {e.actor_id for e in by_other} == {other.id}
    positions = _entries(round_a.id, object_type="Position")
    assert positions
    assert {e.object_type for e in positions} == {"Position"}
    creations = _entries(round_a.id, action="round.")
    assert creations
    assert all(e.action.startswith("round.") for e in creations)
    assert _entries(round_a.id, action="round%") == []  # a wildcard is a character
    newest = max(e.created_at for e in _entries(round_a.id))
    assert _entries(round_a.id, since=newest + dt.timedelta(seconds=1)) == []
    assert _entries(round_a.id, until=newest - dt.timedelta(days=3650)) == []
    assert len(_entries(round_a.id, since=newest)) >= 1


def test_the_trail_is_paginated(rounds, monkeypatch):
    round_a = rounds[0]
    everything = round_trail(round_a.id, TrailFilter())
    monkeypatch.setattr(queries, "PER_PAGE", 2)
    first, second = (round_trail(round_a.id, TrailFilter(), page) for page in (1, 2))
    assert first.total == everything.total
    assert first.pages == -(-everything.total // 2)
    assert [e.seq for e in first.entries + second.entries] == [
        e.seq for e in everything.entries[:4]
    ]
    assert round_trail(round_a.id, TrailFilter(), 999).page == first.pages  # clamped


def test_the_page_shows_the_trail_the_chain_and_its_anchor(app, rounds):
    round_a, _round_b, _, supervisor, _ = rounds
    client = login(app.test_client(), supervisor)
    page = client.get(f"/rounds/{round_a.id}/supervision").get_data(as_text=True)
    assert "Chuỗi nhật ký nguyên vẹn" in page
    newest = db.session.scalar(sa.select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))
    assert f"{newest.seq}:{newest.hash[:16]}" in page
    assert "round.create" in page
    filtered = client.get(
        f"/rounds/{round_a.id}/supervision?object_type=Position&action=position."
    ).get_data(as_text=True)
    # The values read as written (Vietnamese, not JSON escapes).
    assert f"name: {round_a.name}" in page
    assert "position.create" in filtered
    assert "round.create" not in filtered
    bad_date = client.get(f"/rounds/{round_a.id}/supervision?since=99/99/2026")
    assert bad_date.status_code == 200
    assert "Nhập ngày hợp lệ theo dạng dd/mm/yyyy." in bad_date.get_data(as_text=True)


def test_a_broken_chain_is_shown_broken(app, rounds):
    round_a, _, _, supervisor, _ = rounds
    db.session.execute(
        sa.text("UPDATE audit_entries SET actor_label = 'ai-do@test.example' WHERE seq = 1")
    )
    db.session.commit()
    page = login(app.test_client(), supervisor).get(f"/rounds/{round_a.id}/supervision")
    text = page.get_data(as_text=True)
    assert "Chuỗi nhật ký không nguyên vẹn" in text
    assert "entry #1 was altered" in text


def test_only_the_rounds_supervisory_board_supervises(app, rounds, make):
    round_a, _, council, supervisor, other_supervisor = rounds
    candidate = make.user(Role.CANDIDATE)
    db.session.commit()
    url = f"/rounds/{round_a.id}/supervision"
    expected = {supervisor: 200, council: 403, other_supervisor: 404, candidate: 404}
    for person, status in expected.items():
        assert login(app.test_client(), person).get(url).status_code == status
        post = login(app.test_client(), person).post(f"{url}/reports", data={})
        assert post.status_code in ((303, 302) if status == 200 else (status,))
    assert login(app.test_client(), None).get(url).status_code == 302
    assert db.session.scalars(sa.select(SupervisionReport)).all() == []


def _report(app, supervisor, round_, **data):
    client = login(app.test_client(), supervisor)
    fields = {"scope": "Toàn bộ kỳ thi", "findings": FINDINGS, "recommendations": ""}
    fields.update(data)
    return client, client.post(f"/rounds/{round_.id}/supervision/reports", data=fields)


def test_a_report_without_findings_is_refused_in_words_and_nothing_saved(app, rounds):
    round_a, _, _, supervisor, _ = rounds
    client, response = _report(app, supervisor, round_a, findings="   ")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Vui lòng điền mục này." in page
    assert db.session.scalars(sa.select(SupervisionReport)).all() == []


def test_the_report_is_kept_and_printed_as_an_official_document(app, rounds):
    round_a, _round_b, _, supervisor, other_supervisor = rounds
    client, response = _report(
        app, supervisor, round_a, recommendations="Bổ sung camera tại phòng thi số 2."
    )
    assert response.status_code in (302, 303)
    [report] = db.session.scalars(sa.select(SupervisionReport)).all()
    assert (report.round_id, report.author_id, report.chain_intact) == (
        round_a.id,
        supervisor.id,
        True,
    )
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "supervision.report")
    ).one()
    assert entry.object_id == str(report.id)
    assert entry.actor_id == supervisor.id
    pdf = client.get(f"/supervision/reports/{report.id}.pdf")
    assert pdf.headers["Content-Type"] == "application/pdf"
    raw = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.get_data())).pages)
    text = " ".join(unicodedata.normalize("NFC", raw).split())
    for words in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "BÁO CÁO",
        round_a.name,
        "Phòng thi số 2 bắt đầu muộn 5 phút.",
        "Bổ sung camera tại phòng thi số 2.",
        f"mốc neo {report.audit_anchor}",
        "Phạm Giám Sát",
        "/BC-BGS",
    ):
        assert words in text, words
    # Another round's supervisor is told the report does not exist.
    other = login(app.test_client(), other_supervisor)
    assert other.get(f"/supervision/reports/{report.id}.pdf").status_code == 404


def test_the_report_is_printed_from_plain_data(app, rounds):
    round_a, _, _, supervisor, _ = rounds
    _report(app, supervisor, round_a)
    [report] = db.session.scalars(sa.select(SupervisionReport)).all()
    data = report_document(report)
    assert dataclasses.is_dataclass(data)
    assert data.findings == tuple(FINDINGS.split("\n"))
    for value in dataclasses.asdict(data).values():
        assert not isinstance(value, db.Model)


def test_the_supervisors_read_papers_and_answers_once_the_test_is_over(app, make):
    round_ = make.round()
    supervisor = make.user(Role.SUPERVISOR)  # seated on the round's supervisory board
    invigilator = make.user(Role.INVIGILATOR)  # seated on its invigilation board
    elsewhere = make.user(Role.SUPERVISOR, seated=False)
    make.seat(elsewhere, make.round(), BodyKind.SUPERVISORY)
    application = make.application(round_.positions[0])
    with make.in_stage(round_, RoundStatus.TESTING):
        test = make.test(round_, question_count=QUESTIONS)
        _sit(test, application, QUESTIONS)
    attempt = make.attempt(test, application)
    question = attempt.questions[0].version.text
    db.session.commit()
    url = f"/attempts/{attempt.id}/paper"
    with time_machine.travel(test.starts_at + dt.timedelta(minutes=20), tick=False):
        during = login(app.test_client(), supervisor).get(url).get_data(as_text=True)
    assert "Bài làm được xem khi mọi thí sinh đã kết thúc bài thi." in during
    assert question not in during
    with time_machine.travel(test.starts_at + dt.timedelta(hours=3), tick=False):
        after = login(app.test_client(), supervisor).get(url).get_data(as_text=True)
        statuses = {
            who: login(app.test_client(), person).get(url).status_code
            for who, person in {
                "invigilator": invigilator,
                "elsewhere": elsewhere,
                "candidate": application.candidate,
            }.items()
        }
    assert question in after
    assert "Thí sinh trả lời" in after
    assert statuses == {"invigilator": 403, "elsewhere": 404, "candidate": 404}
