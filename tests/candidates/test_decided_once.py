"""A dossier is decided once and a summons sent once, also when two board members press at
the same moment (exam/candidates/screening.py): the second waits for the first's commit (the
dossier's or the round's row locked, PostgreSQL; SQLite's writers take turns), then finds
the work done and is refused, instead of a second decision, number and e-mail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from exam.accounts.models import Role, User
from exam.audit.models import AuditEntry
from exam.candidates.models import Application, ApplicationStatus
from exam.candidates.screening import decide_eligibility, send_summons
from exam.core.errors import DomainError
from exam.extensions import db
from exam.notices.models import NoticeKind, OutboxMessage
from exam.rounds.models import Round, RoundStatus
from tests.concurrency import hold_until_the_other_waits
from tests.core.standalone import fresh_database_url, standalone_app
from tests.factories import T0
from tests.factories import Factories as make

AFTER = T0 + dt.timedelta(days=40)


@pytest.fixture
def own_app(tmp_path: Path) -> Iterator[Flask]:
    with fresh_database_url(tmp_path, "screening") as url, standalone_app(url, tmp_path) as app:
        yield app


def _kinds() -> list[NoticeKind]:
    db.session.rollback()  # a new snapshot: the threads committed on their own connections
    return list(db.session.scalars(sa.select(OutboxMessage.kind).order_by(OutboxMessage.id)))


def _entries(action: str) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
    )


def test_two_members_deciding_one_dossier_at_once_decide_it_once(own_app):
    round_ = make.round()
    application_id = make.dossier(round_.positions[0]).id
    make.stage(round_, RoundStatus.SCREENING)
    first_id, second_id = (make.user(Role.BOARD_ADMIN).id for _ in range(2))
    db.session.commit()

    def decide(member_id: int, eligible: bool) -> None:
        decide_eligibility(
            db.session.get(Application, application_id),
            eligible=eligible,
            reason="" if eligible else "Thiếu văn bản đồng ý.",
            actor=db.session.get(User, member_id),
            at=AFTER,
        )

    errors = hold_until_the_other_waits(
        own_app, lambda: decide(first_id, True), lambda: decide(second_id, False)
    )

    assert [type(e) for e in errors] == [DomainError], errors
    assert "Hồ sơ này đã được xét" in str(errors[0])
    assert NoticeKind.NOT_ELIGIBLE not in _kinds()
    assert _kinds().count(NoticeKind.ELIGIBLE) == 1
    decided = db.session.get(Application, application_id)
    assert (decided.status, decided.registration_number) == (ApplicationStatus.ELIGIBLE, "001")
    assert _entries("application.decide") == 1


def test_two_members_sending_the_summons_at_once_send_each_one_once(own_app):
    round_ = make.screened_round(2)
    round_.test_date = dt.date(2026, 4, 20)
    make.stage(round_, RoundStatus.TESTING)
    round_id, member_id = round_.id, make.user(Role.BOARD_ADMIN).id
    db.session.commit()
    summons_before = _kinds().count(NoticeKind.SUMMONS)

    def send() -> None:
        send_summons(
            db.session.get(Round, round_id), actor=db.session.get(User, member_id), at=AFTER
        )

    errors = hold_until_the_other_waits(own_app, send, send)

    assert [type(e) for e in errors] == [DomainError], errors
    assert "Không còn thí sinh nào cần gửi giấy triệu tập" in str(errors[0])
    assert _kinds().count(NoticeKind.SUMMONS) - summons_before == 2  # two candidates, once
    assert _entries("round.summons") == 1
