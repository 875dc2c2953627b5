"""`flask demo load` builds a whole round through the real operations."""

from __future__ import annotations

import sqlalchemy as sa

from exam.accounts.models import Role, User
from exam.candidates.models import Application, ApplicationStatus
from exam.core.db import utcnow
from exam.demo import load_demo
from exam.extensions import db
from exam.panels.models import Panel
from exam.question_bank.models import Question, QuestionStatus
from exam.results.models import Outcome
from exam.results.operations import compute_ranking
from exam.rounds.models import Position


def test_demo_round_is_complete_and_rankable(app):
    accounts = load_demo(now=utcnow())
    roles = {role for role, _ in accounts}
    assert {"board_admin", "question_author", "panel_member", "candidate", "supervisor"} <= roles

    candidates = db.session.scalars(sa.select(Application)).all()
    assert len(candidates) >= 6
    assert any("ễ" in a.candidate.full_name or "ễ" in a.candidate.full_name for a in candidates)
    statuses = {a.status for a in candidates}
    assert {ApplicationStatus.ELIGIBLE, ApplicationStatus.NOT_ELIGIBLE} <= statuses

    approved = db.session.scalar(
        sa.select(sa.func.count(Question.id)).where(Question.status == QuestionStatus.APPROVED)
    )
    assert approved >= 90  # 3 × the 30 questions of the demo test
    assert all(len(p.members) == 5 for p in db.session.scalars(sa.select(Panel)))

    positions = db.session.scalars(sa.select(Position).order_by(Position.id)).all()
    assert len(positions) == 2
    board = db.session.scalars(sa.select(User).where(User.email == "chutich@hoidong.demo")).one()
    assert board.has_role(Role.BOARD_ADMIN)
    ranking = compute_ranking(positions[1], has_test=True, actor=board, at=utcnow())
    outcomes = [row.outcome for row in ranking.rows]
    assert outcomes.count(Outcome.SELECTED) == 1
    assert ranking.rows[0].outcome == Outcome.SELECTED


def test_demo_load_command_skips_a_database_with_data(app, make):
    make.user(Role.BOARD_ADMIN)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["demo", "load", "--if-empty"])
    assert "already has data" in result.output
