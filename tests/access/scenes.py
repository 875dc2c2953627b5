"""The worlds the route cases run in, built through the application's own operations (and
the fixtures of the matrix and of the domains' tests), so that every URL carries real ids.

Every scene has the same four onlookers besides its powers:

- ``guest``: nobody signed in;
- ``candidate``: a candidate of the scene's round, the owner of its dossier, paper, appeal…;
- ``other_candidate``: another candidate of the same round;
- ``round_b``: staff of another round, sitting on every body of round B (Chair or head where
  the body has one) and on none of round A's, with a staff role that gives nothing alone."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import Flask

from exam.accounts.models import Role, User
from exam.core.db import utcnow
from exam.core.jobs import Job, JobStatus
from exam.council.models import Body, BodyKind, MemberFunction, Membership
from exam.council.operations import hold_meeting
from exam.exams.models import Test as ExamTest
from exam.extensions import db
from exam.marking.models import PaperTest, Script
from exam.panels.models import Panel, ScoreSheet
from exam.panels.sessions import attach_recording, set_session
from exam.question_bank.models import Question
from exam.rounds.models import Position, Round, RoundStatus
from exam.supervision.models import SupervisionReport
from tests.conftest import login

# Round B's seats: every body, with the function that carries the most power on it.
ROUND_B_SEATS = {
    BodyKind.COUNCIL: MemberFunction.CHAIR,
    BodyKind.SUPERVISORY: MemberFunction.HEAD,
    BodyKind.ELIGIBILITY: MemberFunction.HEAD,
    BodyKind.QUESTIONS: MemberFunction.HEAD,
    BodyKind.INVIGILATION: MemberFunction.HEAD,
    BodyKind.ANONYMISATION: MemberFunction.HEAD,
    BodyKind.MARKING: MemberFunction.HEAD,
    BodyKind.REMARKING: MemberFunction.HEAD,
    BodyKind.INTERVIEW: MemberFunction.MEMBER,
}
ONLOOKERS = ("guest", "candidate", "other_candidate", "round_b")
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 4
FINDINGS = "Các bài thi được niêm phong đúng quy định."


@dataclass
class Scene:
    people: dict[str, User | None]
    ids: dict[str, Any] = field(default_factory=dict)


def round_b_staff(make) -> User:
    """Someone who sits on every body of another round, and on nothing of round A's."""
    person = make.user(Role.INVIGILATOR, name="Người Của Vòng B", seated=False)
    round_b = make.round()
    for kind, function in ROUND_B_SEATS.items():
        make.seat(person, round_b, kind, function)
    return person


# --- the matrix's world, a round open for registration -----------------------------------------


def world_scene(app: Flask, make, world) -> Scene:
    """The matrix's world (tests/test_access_matrix.py), plus a dossier sent with its
    documents by a third candidate (``dossier_owner``), a section of the test, a unit of
    the organisation, a candidates' import job and a supervisory report (written through
    its page)."""
    users = world.users
    position = db.session.get(Position, world.position_id)
    owner = make.user(Role.CANDIDATE, name="Chủ Hồ Sơ")
    dossier = make.dossier(position, owner)  # sent with its documents, not yet decided
    document = dossier.documents[0]
    test = db.session.get(ExamTest, world.test_id)
    panel = db.session.get(Panel, world.panel_id)
    unit = make.unit_tree()
    job = Job(
        kind="candidates.import",
        status=JobStatus.DONE,
        done=1,
        total=1,
        message="",
        payload={"round_id": world.round_id, "file": "x.xlsx"},
        result={"problems": []},
        created_by_id=users["board_admin"].id,
        created_at=utcnow(),
        updated_at=utcnow(),
        finished_at=utcnow(),
    )
    db.session.add(job)
    people = {
        "guest": None,
        "candidate": users["candidate"],
        "other_candidate": users["other_candidate"],
        "round_b": round_b_staff(make),
        "council": users["board_admin"],  # platform administration, seated on the Council
        "platform": make.user(Role.BOARD_ADMIN, name="Quản Trị Không Ghế", seated=False),
        "supervisor": users["supervisor"],
        "author": users["author"],
        "panel_member": users["panel_member"],
        "dossier_owner": owner,
        "chair": db.session.get(Membership, world.membership_id).user,  # the Council's Chair
    }
    db.session.commit()
    client = login(app.test_client(), users["supervisor"])
    client.post(
        f"/rounds/{world.round_id}/supervision/reports",
        data={"scope": "Toàn bộ kỳ thi", "findings": FINDINGS, "recommendations": ""},
    )
    report_id = db.session.scalar(
        sa.select(SupervisionReport.id).where(SupervisionReport.round_id == world.round_id)
    )
    assert report_id is not None, "the supervisory report was not written"
    ids = dict(world.__dict__)
    ids.pop("users")
    ids.update(
        dossier_id=dossier.id,
        document_id=document.id,
        section_id=test.sections[0].id,
        unit_id=unit.id,
        job_id=job.id,
        report_id=report_id,
        candidate_user_id=users["candidate"].id,
        chair_id=people["chair"].id,
        member_id=panel.members[1].id,
        test_question_id=db.session.scalar(
            sa.select(Question.id).where(Question.bank_id == test.bank_id).order_by(Question.id)
        ),
    )
    return Scene(people, ids)


# --- a written test marked, unsealed and published, an appeal filed ------------------------


def marked_scene(make) -> Scene:
    """tests/appeals' published round: essays coded, marked and unsealed, a paper test with
    scanned scripts, a re-marking board; the first candidate has filed an appeal."""
    from tests.appeals.test_filing_and_remarking import _file, _published
    from tests.marking.conftest import seat_on, staff

    w = _published(make, scans=True)
    appeal = _file(w)
    chair = staff("Chủ Tịch Hội Đồng")
    seat_on(w.round, BodyKind.COUNCIL, chair, MemberFunction.CHAIR)
    scanned = db.session.scalar(
        sa.select(Script)
        .where(Script.paper_script_id.is_not(None), Script.remark.is_(False))
        .order_by(Script.id)
    )
    # A sheet of the first script whose marker is not the head of marking (the head marks too).
    sheet = next(s for s in w.script(0).sheets if s.marker_id != w.head.id)
    council = db.session.scalar(
        sa.select(Body).where(Body.round_id == w.round_id, Body.kind == BodyKind.COUNCIL)
    )
    meeting = hold_meeting(
        council,
        held_at=dt.datetime(2026, 5, 20, 2, 0, tzinfo=dt.UTC),
        place="Phòng họp",
        attendee_ids=[chair.id],
        presiding_id=chair.id,
        actor=chair,
        at=dt.datetime(2026, 5, 20, 3, 0, tzinfo=dt.UTC),
    )
    people = {
        "guest": None,
        "candidate": w.candidates[0],
        "other_candidate": w.candidates[1],
        "round_b": round_b_staff(make),
        "anonymiser": w.anonymiser,
        "marking_head": w.head,
        "marker": sheet.marker,
        "council": w.council,
        "chair": chair,
        "supervisor": w.supervisor,
        "remarker": w.remarkers[0],
    }
    paper_test_id = db.session.scalar(
        sa.select(PaperTest.id).where(PaperTest.round_id == w.round_id)
    )
    ids = {
        "round_id": w.round_id,
        "appeal_id": appeal.id,
        "script_id": w.script(0).id,
        "scanned_script_id": scanned.id,
        "sheet_id": sheet.id,
        "paper_test_id": paper_test_id,
        "meeting_id": meeting.id,
    }
    db.session.commit()
    return Scene(people, ids)


# --- a position scored by its panel and ranked ---------------------------------------------


def ranked_scene(make) -> Scene:
    """tests/results' contest: a position whose panel scored two candidates (sheets sealed),
    the round in the results stage, a draft ranking; the panel's session had a recording."""
    from tests.results.lifecycle_helpers import build

    contest = build(make, {"Nguyễn Văn An": "80", "Trần Thị Bình": "70"})
    position = contest.position
    panel = db.session.scalar(sa.select(Panel).where(Panel.position_id == position.id))
    head = panel.members[0].user
    round_ = position.round
    with make.in_stage(round_, RoundStatus.INTERVIEWS):
        start = dt.datetime(2026, 5, 1, 1, 30, tzinfo=dt.UTC)
        set_session(panel, room="Phòng họp", starts_at=start, slot_minutes=60, actor=head)
        recording = attach_recording(
            panel,
            application=None,
            filename="buoi-sang.mp3",
            stream=io.BytesIO(MP3),
            actor=head,
            at=start,
        )
    ranking = contest.rank()
    candidates = {r.application.candidate.full_name: r.application.candidate for r in ranking.rows}
    sheet = db.session.scalar(  # the head's own sheet of a candidate
        sa.select(ScoreSheet)
        .where(ScoreSheet.panel_member_id == panel.members[0].id)
        .order_by(ScoreSheet.id)
    )
    people = {
        "guest": None,
        "candidate": candidates["Nguyễn Văn An"],
        "other_candidate": candidates["Trần Thị Bình"],
        "round_b": round_b_staff(make),
        "council": contest.board,
        "chair": contest.chair,
        "panel_head": head,
        "panel_member": panel.members[1].user,
        "supervisor": make.user(Role.SUPERVISOR),
    }
    ids = {
        "round_id": round_.id,
        "position_id": position.id,
        "panel_id": panel.id,
        "ranking_id": ranking.id,
        "sheet_id": sheet.id,
        "member_id": panel.members[1].id,
        "recording_id": recording.id,
        "application_id": sheet.application_id,
        "row_id": next(r.id for r in ranking.rows if r.application_id == sheet.application_id),
    }
    db.session.commit()
    assert db.session.get(Round, round_.id).status == RoundStatus.RESULTS
    return Scene(people, ids)
