"""The round's announcement issued once as the round is announced (issue 16 item 6): dated the
move that opens registration, by who made it, numbered in the Council's register, issued by
the first download after the move; the public link serves those bytes at every download, with
the code the verification page finds. A draft's announcement and a round put in its stage
without a move are rendered as before, without a code."""

from __future__ import annotations

import datetime as dt
import io
import unicodedata

import sqlalchemy as sa
from pypdf import PdfReader

from exam.accounts.models import Role
from exam.core.db import utcnow
from exam.core.i18n import to_local
from exam.documents.announcements import announcement_document, issued_announcement
from exam.documents.models import DocumentKind, IssuedDocument
from exam.documents.queries import document_bytes
from exam.extensions import db
from exam.rounds.models import RoundStatus
from exam.rounds.operations import advance_round, stop_position
from tests.conftest import login


def _text(data: bytes) -> str:
    raw = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(unicodedata.normalize("NFC", raw).split())


def _announcements() -> list[IssuedDocument]:
    return list(
        db.session.scalars(
            sa.select(IssuedDocument).where(IssuedDocument.kind == DocumentKind.ROUND_ANNOUNCEMENT)
        )
    )


def _draft(make):
    board = make.user(Role.BOARD_ADMIN, name="Nguyễn Văn Chủ")  # seated on its Council
    round_ = make.round(status=RoundStatus.DRAFT, board=board)
    return round_, board


def test_announcing_the_round_issues_its_announcement_once(app, make):
    round_, board = _draft(make)
    db.session.commit()
    draft = login(app.test_client(), board).get(f"/rounds/{round_.id}/announcement.pdf")
    assert draft.status_code == 200
    assert "Mã xác minh" not in _text(draft.get_data())  # a draft: no code
    assert _announcements() == []

    advance_round(round_, actor=board)
    db.session.commit()
    guest = app.test_client()  # public: anyone reads it, the first download issues it
    first = guest.get(f"/rounds/{round_.id}/announcement.pdf")
    second = guest.get(f"/rounds/{round_.id}/announcement.pdf")
    assert first.status_code == second.status_code == 200
    db.session.expire_all()
    [doc] = _announcements()
    assert doc.round_id == round_.id
    assert doc.number == "01/TB-HĐTT"
    assert doc.issuer == "Hội đồng thi tuyển"
    assert doc.issued_on == to_local(utcnow()).date()  # the day of the move
    assert doc.created_by_id == board.id  # who announced the round, not the first reader
    assert first.get_data() == second.get_data() == document_bytes(doc)
    text = _text(first.get_data())
    assert "Số: 01/TB-HĐTT" in text
    assert f"Mã xác minh: {doc.code}" in text
    assert round_.positions[0].title in text
    page = guest.get(f"/xac-minh/{doc.code}").get_data(as_text=True)
    assert "01/TB-HĐTT" in page
    assert doc.sha256 in page
    assert issued_announcement(round_).id == doc.id  # never issued twice
    assert len(_announcements()) == 1


def test_a_rolled_back_issue_leaves_nothing_and_the_next_download_issues_it(app, make):
    round_, board = _draft(make)
    advance_round(round_, actor=board)
    db.session.commit()
    early = issued_announcement(round_)
    assert early is not None
    db.session.rollback()
    assert _announcements() == []
    response = app.test_client().get(f"/rounds/{round_.id}/announcement.pdf")
    db.session.expire_all()
    [doc] = _announcements()
    assert response.get_data() == document_bytes(doc)


def test_a_rolled_back_move_announces_nothing(app, make):
    round_, board = _draft(make)
    db.session.commit()
    advance_round(round_, actor=board)
    db.session.rollback()
    assert app.test_client().get(f"/rounds/{round_.id}/announcement.pdf").status_code == 404
    assert _announcements() == []


def test_a_round_announced_before_announcements_were_issued_renders_as_before(app, make):
    round_, _board = _draft(make)
    make.stage(round_, RoundStatus.REGISTRATION_OPEN)  # no move, no job: an older round
    db.session.commit()
    response = app.test_client().get(f"/rounds/{round_.id}/announcement.pdf")
    assert response.status_code == 200
    assert "Mã xác minh" not in _text(response.get_data())
    assert announcement_document(round_) is None
    assert _announcements() == []


def test_a_drafts_announcement_stays_hidden_from_the_public(app, make):
    round_, _board = _draft(make)
    db.session.commit()
    assert app.test_client().get(f"/rounds/{round_.id}/announcement.pdf").status_code == 404
    assert _announcements() == []


def test_a_position_stopped_after_the_announcement_stays_in_it(app, make):
    board = make.user(Role.BOARD_ADMIN)
    round_ = make.round(status=RoundStatus.DRAFT, board=board, positions=2)
    advance_round(round_, actor=board)  # announced now
    later = utcnow() + dt.timedelta(minutes=5)
    advance_round(round_, actor=board, at=round_.registration_closes_at + dt.timedelta(hours=1))
    stopped = round_.positions[1]
    stop_position(stopped, reason="Chỉ có một thí sinh.", actor=board, at=later)
    db.session.commit()
    response = app.test_client().get(f"/rounds/{round_.id}/announcement.pdf")
    text = _text(response.get_data())
    assert "Mã xác minh" in text  # issued: the announcement as it was made
    assert stopped.title in text
