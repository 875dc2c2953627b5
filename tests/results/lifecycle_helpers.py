"""A position ready for its ranking's lifecycle, shared by tests/results/test_publication*.py
and tests/appeals: candidates scored by a panel, the round in the results stage, the Council
with its Chair."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from exam.accounts.models import Role, User
from exam.council.models import BodyKind, MemberFunction
from exam.extensions import db
from exam.panels.operations import record_panel_score
from exam.results.decision_jobs import issue_decision_document
from exam.results.models import Ranking
from exam.results.publication import approve_ranking, suggested_decision_number
from exam.results.ranking import compute_ranking
from exam.rounds.models import Position, RoundStatus
from tests.panels.helpers import declare_no_relation

NOW = dt.datetime(2026, 5, 4, 2, 0, tzinfo=dt.UTC)
DECIDED_ON = dt.date(2026, 5, 5)


@pytest.fixture(autouse=True)
def _documents(app, monkeypatch, tmp_path):
    """Issued documents stored in the test's folder, printed with a public address."""
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://thi-tuyen.example")
    monkeypatch.setitem(app.config, "DOCUMENTS_DIR", str(tmp_path / "documents"))
    with app.test_request_context():  # the Council approves from a page
        yield


@dataclass
class Contest:
    position: Position
    chair: User
    board: User
    names: list[str]

    @property
    def round(self):
        return self.position.round

    def rank(self, **kwargs) -> Ranking:
        ranking = compute_ranking(self.position, actor=self.board, at=NOW, has_test=False, **kwargs)
        db.session.flush()
        return ranking

    def approve(
        self, ranking: Ranking, number: str = "05/QĐ-HĐTT", signer=None, *, issue: bool = True
    ) -> Ranking:
        """The Council's approval; with ``issue``, its decision's document issued at once, as
        the background job does once the approval is committed."""
        approved = approve_ranking(
            ranking,
            decision_number=number,
            decided_on=DECIDED_ON,
            signer=signer or self.chair,
            actor=self.board,
            at=NOW,
        )
        db.session.flush()
        if issue:
            issue_decision_document(approved, actor=self.board, at=NOW)
            db.session.flush()
        return approved

    def next_number(self) -> str:
        """The Council's next free decision number for a decision dated ``DECIDED_ON`` (the
        round's other documents, such as its announcement, take numbers of the register too)."""
        return suggested_decision_number(self.round.id, on=DECIDED_ON)

    def row(self, ranking: Ranking, name: str):
        return next(r for r in ranking.rows if r.application.candidate.full_name == name)


def build(make, scores: dict[str, str], *, posts: int = 1) -> Contest:
    """A position whose candidates a 3-member panel scored (each member the same score)."""
    round_ = make.round()
    position = round_.positions[0]
    position.posts = posts
    applications = {
        name: make.application(position, make.user(Role.CANDIDATE, name=name)) for name in scores
    }
    panel = make.panel(position, members=3)
    make.stage(round_, RoundStatus.INTERVIEWS)
    declare_no_relation(panel, NOW)
    for name, score in scores.items():
        for member in panel.members:
            record_panel_score(member, applications[name], score, actor=member.user, at=NOW)
    make.stage(round_, RoundStatus.RESULTS)
    chair = make.user(Role.BOARD_ADMIN, name="Chủ Tịch Hội Đồng", seated=False)
    make.seat(chair, round_, BodyKind.COUNCIL, MemberFunction.CHAIR)
    board = make.user(Role.BOARD_ADMIN)
    db.session.flush()
    return Contest(position, chair, board, list(scores))
