"""The screening's notices and the admission cards issued once (issue 16 item 6): the lists
dated the move that ends screening (issued by the board's first download after it), each
card when the board issues the cards (in batches of background jobs); every later download
gives the same bytes, with the code the verification page finds. A card whose room changes
is re-issued and the earlier says it was replaced; a candidate never reads another's card."""

from __future__ import annotations

import datetime as dt
import io
import unicodedata

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from exam.accounts.models import Role
from exam.candidates.models import ApplicationStatus
from exam.candidates.screening import decide_eligibility
from exam.core.db import utcnow
from exam.core.documents import COUNCIL
from exam.core.errors import DomainError, ValidationFailed
from exam.core.i18n import to_local
from exam.core.jobs import Job, JobStatus
from exam.documents.models import DocumentKind, IssuedDocument
from exam.documents.numbering import suggested_number
from exam.documents.queries import document_bytes
from exam.exams.cards import CARDS_JOB_KIND, card_document, issue_card, start_issuing_cards
from exam.exams.definition import move_attempt
from exam.exams.models import Room
from exam.extensions import db
from exam.rounds.operations import advance_round
from tests.conftest import login
from tests.factories import T0


def _text(data: bytes) -> str:
    raw = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(unicodedata.normalize("NFC", raw).split())


def _documents(kind: DocumentKind) -> list[IssuedDocument]:
    return list(
        db.session.scalars(
            sa.select(IssuedDocument).where(IssuedDocument.kind == kind).order_by(IssuedDocument.id)
        )
    )


def _screened(make, *, eligible: int, not_eligible: int = 0):
    """A round in screening, its dossiers decided, the clock past the deadline."""
    board = make.user(Role.BOARD_ADMIN)
    round_ = make.round(board=board)
    position = round_.positions[0]
    dossiers = [make.dossier(position) for _ in range(eligible + not_eligible)]
    after = round_.registration_closes_at + dt.timedelta(hours=1)
    advance_round(round_, actor=board, at=after)
    advance_round(round_, actor=board, at=after)
    for i, application in enumerate(dossiers):
        decide_eligibility(
            application,
            eligible=i < eligible,
            reason="" if i < eligible else "Chưa đủ thời gian giữ ngạch.",
            actor=board,
            at=after,
        )
    db.session.flush()
    return round_, board, dossiers, after


# --- the screening's notices -------------------------------------------------------------------


def test_the_lists_are_issued_once_as_the_round_leaves_screening(app, make):
    round_, board, dossiers, after = _screened(make, eligible=2, not_eligible=1)
    db.session.commit()
    client = login(app.test_client(), board)
    draft = client.get(f"/rounds/{round_.id}/applications/eligible.pdf")
    assert draft.status_code == 200
    assert "Mã xác minh" not in _text(draft.get_data())
    assert _documents(DocumentKind.ELIGIBILITY_NOTICE) == []

    advance_round(round_, actor=board, at=after)  # to the tests: the lists are final
    db.session.commit()
    first_free = suggested_number(round_.id, COUNCIL, "TB-HĐTT", on=to_local(utcnow()).date())
    # The board's first download issues both, dated the move.
    client.get(f"/rounds/{round_.id}/applications/eligible.pdf")
    db.session.expire_all()
    eligible, not_eligible = _documents(DocumentKind.ELIGIBILITY_NOTICE)
    assert eligible.created_by_id == board.id
    sequence = int(first_free.split("/")[0])  # the next numbers of the Council's register
    assert [eligible.number, not_eligible.number] == [
        f"{sequence:02d}/TB-HĐTT",
        f"{sequence + 1:02d}/TB-HĐTT",
    ]
    assert eligible.title == "Danh sách thí sinh đủ điều kiện dự thi tuyển"

    for which, doc in (("eligible", eligible), ("not-eligible", not_eligible)):
        first = client.get(f"/rounds/{round_.id}/applications/{which}.pdf")
        assert first.headers["Location"].endswith(f"/documents/{doc.id}.pdf")
        one = client.get(f"/rounds/{round_.id}/applications/{which}.pdf", follow_redirects=True)
        two = client.get(f"/rounds/{round_.id}/applications/{which}.pdf", follow_redirects=True)
        assert one.get_data() == two.get_data() == document_bytes(doc)
        text = _text(one.get_data())
        assert f"Số: {doc.number}" in text
        assert f"Mã xác minh: {doc.code}" in text
        assert f"/xac-minh/{doc.code}" in text
    assert "Chưa đủ thời gian giữ ngạch." in _text(document_bytes(not_eligible))
    assert dossiers[0].candidate.full_name in _text(document_bytes(eligible))
    assert len(_documents(DocumentKind.ELIGIBILITY_NOTICE)) == 2
    page = app.test_client().get(f"/xac-minh/{eligible.code}").get_data(as_text=True)
    assert eligible.number in page
    assert eligible.sha256 in page
    # A candidate reads no list through the registry (the board's lists).
    candidate = login(app.test_client(), dossiers[0].candidate)
    assert candidate.get(f"/documents/{eligible.id}.pdf").status_code == 404


def test_without_anyone_refused_only_the_eligible_list_is_issued(app, make):
    round_, board, _dossiers, after = _screened(make, eligible=2)
    advance_round(round_, actor=board, at=after)
    db.session.commit()
    client = login(app.test_client(), board)
    refused = client.get(f"/rounds/{round_.id}/applications/not-eligible.pdf")
    assert refused.status_code == 200  # nobody refused: a list of nobody, rendered, not issued
    [only] = _documents(DocumentKind.ELIGIBILITY_NOTICE)
    assert only.title == "Danh sách thí sinh đủ điều kiện dự thi tuyển"


# --- admission cards ---------------------------------------------------------------------------


@pytest.fixture
def tested(make):
    """A round in testing: two eligible candidates, each seated for its one test."""
    round_, board, dossiers, after = _screened(make, eligible=2)
    advance_round(round_, actor=board, at=after)
    test = make.test(round_)
    db.session.commit()
    return round_, board, dossiers, test


def _card_url(application) -> str:
    return f"/applications/{application.id}/admission-card.pdf"


def test_the_board_issues_each_candidates_card_once(app, make, tested, monkeypatch):
    monkeypatch.setitem(app.config, "CARDS_PER_JOB", 1)
    round_, board, (first, second), _test = tested
    # Before the board issues them, a card is rendered as before, without a code.
    own = login(app.test_client(), first.candidate)
    assert "Mã xác minh" not in _text(own.get(_card_url(first)).get_data())

    response = login(app.test_client(), board).post(f"/rounds/{round_.id}/admission-cards")
    assert response.status_code == 302
    db.session.expire_all()
    jobs = db.session.scalars(sa.select(Job).where(Job.kind == CARDS_JOB_KIND)).all()
    assert [job.status for job in jobs] == [JobStatus.DONE, JobStatus.DONE]  # 1 + 1
    assert [job.result["issued"] for job in jobs] == [1, 1]
    cards = _documents(DocumentKind.ADMISSION_CARD)
    assert sorted(c.subject_user_id for c in cards) == sorted(
        [first.candidate_id, second.candidate_id]
    )
    card = card_document(first)
    assert card.number == f"SBD {first.registration_number}"

    redirect = own.get(_card_url(first))
    assert redirect.headers["Location"].endswith(f"/documents/{card.id}.pdf")
    one = own.get(_card_url(first), follow_redirects=True).get_data()
    two = own.get(_card_url(first), follow_redirects=True).get_data()
    assert one == two == document_bytes(card)
    text = _text(one)
    assert f"Số báo danh: {first.registration_number}" in text
    assert f"Mã xác minh: {card.code}" in text
    assert f"/xac-minh/{card.code}" in text
    page = app.test_client().get(f"/xac-minh/{card.code}").get_data(as_text=True)
    assert card.number in page
    # Issuing again changes nothing: every card is up to date.
    login(app.test_client(), board).post(f"/rounds/{round_.id}/admission-cards")
    assert len(_documents(DocumentKind.ADMISSION_CARD)) == 2
    board_page = login(app.test_client(), board).get(f"/rounds/{round_.id}/admission-cards")
    assert "Đã phát hành 2 thẻ dự thi." in board_page.get_data(as_text=True)


def test_a_candidate_cannot_read_anothers_card(app, make, tested):
    round_, board, (first, second), _test = tested
    start_issuing_cards(round_, actor=board, at=T0)
    db.session.commit()
    others = card_document(second)
    client = login(app.test_client(), first.candidate)
    assert client.get(f"/documents/{others.id}.pdf").status_code == 404
    assert client.get(_card_url(second)).status_code == 404
    assert login(app.test_client(), board).get(f"/documents/{others.id}.pdf").status_code == 200


def test_a_moved_candidates_card_is_reissued_and_the_earlier_says_so(app, make, tested):
    round_, board, (first, _second), test = tested
    start_issuing_cards(round_, actor=board, at=T0)
    db.session.commit()
    earlier = card_document(first)
    attempt = make.attempt(test, first)
    room = Room(session=attempt.session, name="Phòng 204 nhà A", capacity=30)
    db.session.add(room)
    move_attempt(attempt, room, actor=board, at=T0)
    db.session.commit()
    db.session.expire_all()
    later = card_document(first)
    assert later.id != earlier.id
    assert earlier.superseded_by_id == later.id
    assert later.number == f"SBD {first.registration_number} (lần 2)"
    assert "Phòng 204 nhà A" in _text(document_bytes(later))
    assert "Phòng 204 nhà A" not in _text(document_bytes(earlier))
    page = app.test_client().get(f"/xac-minh/{earlier.code}").get_data(as_text=True)
    assert "Văn bản này đã được thay thế" in page
    assert f"/xac-minh/{later.code}" in page
    own = login(app.test_client(), first.candidate)
    assert own.get(_card_url(first)).headers["Location"].endswith(f"/documents/{later.id}.pdf")


def test_cards_wait_for_every_seat_and_the_testing_stage(app, make):
    round_, board, _dossiers, after = _screened(make, eligible=2)
    with pytest.raises(DomainError, match="phát hành thẻ dự thi"):
        start_issuing_cards(round_, actor=board, at=T0)  # still screening
    advance_round(round_, actor=board, at=after)
    with pytest.raises(ValidationFailed, match="Kỳ thi chưa có bài thi nào"):
        start_issuing_cards(round_, actor=board, at=T0)
    make.test(round_, papers=False)
    with pytest.raises(ValidationFailed, match="2 thí sinh chưa có chỗ thi"):
        start_issuing_cards(round_, actor=board, at=T0)
    db.session.commit()
    assert db.session.scalars(sa.select(Job).where(Job.kind == CARDS_JOB_KIND)).all() == []
    assert _documents(DocumentKind.ADMISSION_CARD) == []


def test_a_rolled_back_issue_leaves_no_card(app, make, tested):
    round_, board, (first, second), _test = tested
    start_issuing_cards(round_, actor=board, at=T0)
    issue_card(first, actor=board, at=T0)
    issue_card(second, actor=board, at=T0)
    assert len(_documents(DocumentKind.ADMISSION_CARD)) == 2
    db.session.rollback()
    assert _documents(DocumentKind.ADMISSION_CARD) == []
    assert db.session.scalars(sa.select(Job).where(Job.kind == CARDS_JOB_KIND)).all() == []
    assert card_document(first) is None
    assert first.status == ApplicationStatus.ELIGIBLE
