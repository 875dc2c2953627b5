"""`flask demo load` builds two rounds through the real operations, each at a stage its data
agrees with (issue 11: the demo contradicted itself)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from exam.accounts.models import Role, User
from exam.candidates.models import Application, ApplicationStatus
from exam.core.db import utcnow
from exam.demo import GUIDE, load_demo
from exam.exams import models as exams_models
from exam.exams.models import Attempt, AttemptStatus
from exam.extensions import db
from exam.panels.models import Panel, ScoreSheet
from exam.panels.queries import guide_of, has_declared_all, interview_list
from exam.question_bank.models import Question, QuestionStatus
from exam.results.models import Outcome
from exam.results.operations import compute_ranking
from exam.rounds.models import Round, RoundStatus
from exam.rounds.operations import advance_round


def _round(name_part: str) -> Round:
    return db.session.scalars(sa.select(Round).where(Round.name.contains(name_part))).one()


def _user(email: str) -> User:
    return db.session.scalars(sa.select(User).where(User.email == email)).one()


def test_the_demo_rounds_agree_with_their_stages(app):
    now = utcnow()
    assert load_demo(now=now) == GUIDE
    approved = db.session.scalar(
        sa.select(sa.func.count(Question.id)).where(Question.status == QuestionStatus.APPROVED)
    )
    assert approved >= 90  # 3 × the 30 questions of a demo test

    for round_ in db.session.scalars(sa.select(Round)):
        # Past registration and screening: the window closed, every dossier is decided.
        assert round_.registration_closes_at < now
        applications = db.session.scalars(
            sa.select(Application).where(Application.round_id == round_.id)
        ).all()
        statuses = {a.status for a in applications}
        assert ApplicationStatus.SUBMITTED not in statuses
        assert {ApplicationStatus.ELIGIBLE, ApplicationStatus.NOT_ELIGIBLE} & statuses

    testing = _round("Thanh Xuân")
    assert testing.status == RoundStatus.TESTING
    [test] = db.session.scalars(
        sa.select(exams_models.Test).where(exams_models.Test.round_id == testing.id)
    )
    assert test.starts_at < now < test.starts_at + dt.timedelta(minutes=test.duration_minutes)
    attempts = db.session.scalars(sa.select(Attempt).where(Attempt.test_id == test.id)).all()
    assert {a.status for a in attempts} == {AttemptStatus.READY, AttemptStatus.IN_PROGRESS}
    assert all(a.room is not None for a in attempts)  # seated, so the invigilator sees them
    invigilator = _user("giamthi1@hoidong.demo")
    assert all(invigilator in a.room.invigilators for a in attempts)
    round_panels = db.session.scalars(
        sa.select(Panel).where(Panel.position_id.in_([p.id for p in testing.positions]))
    ).all()
    assert len(round_panels) == 2
    assert not db.session.scalars(
        sa.select(ScoreSheet).join(Application).where(Application.round_id == testing.id)
    ).all()  # nobody interviewed on the test day

    interviews = _round("Đống Đa")
    assert interviews.status == RoundStatus.INTERVIEWS
    [position] = interviews.positions
    panel = db.session.scalars(sa.select(Panel).where(Panel.position_id == position.id)).one()
    interviewed = interview_list(panel)
    emails = {a.candidate.email for a in interviewed}
    assert emails == {"mai.dinh@ungvien.demo", "nam.trinh@ungvien.demo", "thao.luu@ungvien.demo"}
    # Tạ Đình Quý is below the test gate: eligible, but not offered to the panel.
    waiting = {m.user.email for m in panel.members if not _sheets_of(m)}
    assert waiting == {"phongvan4@hoidong.demo", "phongvan5@hoidong.demo"}
    # The sheets are sealed per criterion of the round's marking guide, their points adding
    # up to the total; the two members yet to score have yet to declare.
    criteria = {str(c.id) for c in guide_of(interviews).criteria}
    for member in panel.members[:3]:
        for sheet in _sheets_of(member):
            assert sheet.submitted_at is not None
            assert set(sheet.points) == criteria
            assert sum(Decimal(v) for v in sheet.points.values()) == sheet.score
    assert [has_declared_all(m) for m in panel.members] == [True, True, True, False, False]
    board = _user("chutich@hoidong.demo")
    # Every candidate past the gate has three sheets: the round may move to its results.
    advance_round(interviews, actor=board, at=now)
    ranking = compute_ranking(position, has_test=True, actor=board, at=now)
    assert [row.outcome for row in ranking.rows].count(Outcome.SELECTED) == 1


def _sheets_of(member) -> list[ScoreSheet]:
    return db.session.scalars(
        sa.select(ScoreSheet).where(ScoreSheet.panel_member_id == member.id)
    ).all()


def test_every_account_in_the_guide_signs_in_with_the_demo_password(app):
    from exam.accounts.operations import authenticate

    load_demo(now=utcnow())
    for email, purpose in GUIDE:
        assert purpose
        assert authenticate(email, "thituyen-2026") is not None, email


def test_the_guide_names_every_kind_of_user(app):
    load_demo(now=utcnow())
    roles = {role for email, _ in GUIDE for role in _user(email).roles}
    assert {
        Role.BOARD_ADMIN,
        Role.SUPERVISOR,
        Role.QUESTION_AUTHOR,
        Role.INVIGILATOR,
        Role.PANEL_MEMBER,
        Role.CANDIDATE,
    } <= roles


def test_demo_load_command_skips_a_database_with_data(app, make):
    make.user(Role.BOARD_ADMIN)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["demo", "load", "--if-empty"])
    assert "already has data" in result.output


def test_demo_load_prints_which_account_to_use_for_what(app):
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "password: thituyen-2026" in result.output
    for email, purpose in GUIDE:
        assert f"{email:<28} {purpose}" in result.output


def test_the_demo_round_a_has_its_ban_phach_and_marking_board(app):
    from exam.marking.permissions import is_anonymiser, is_marking_head
    from exam.marking.queries import marking_board

    load_demo(now=utcnow())
    round_a = _round("Thanh Xuân")
    ban_phach, head = _user("phach@hoidong.demo"), _user("chamthi1@hoidong.demo")
    assert is_anonymiser(ban_phach, round_a)
    assert is_marking_head(head, round_a)
    assert not is_anonymiser(head, round_a)
    assert len(marking_board(round_a.id)) == 3
