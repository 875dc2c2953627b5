"""The hand-over's minutes issued once, after the hand-over (issue 16 item 6; by a job, see
tests/marking/test_hand_over_job.py): numbered in the Council's register, stored once with
their verification code, the same bytes at every download whatever happens to the scripts
afterwards; read by the two sides of the hand-over only; a hand-over made before the minutes
were issued still renders as before."""

from __future__ import annotations

import re
import unicodedata

import pytest
import sqlalchemy as sa

from exam.core.documents import COUNCIL
from exam.core.errors import DomainError
from exam.core.jobs import Job
from exam.documents.models import DocumentKind, IssuedDocument
from exam.documents.queries import document_bytes
from exam.extensions import db
from exam.marking import hand_over_jobs
from exam.marking.models import ZeroReason
from exam.marking.operations import code_scripts, hand_over, record_zero
from exam.marking.queries import plan_of
from tests.conftest import login
from tests.marking.conftest import AFTER, NAMES, Essays
from tests.pdfs import pdf_text as raw_text


def pdf_text(data: bytes) -> str:
    """The PDF's text in composed Vietnamese (pypdf may give decomposed marks)."""
    return unicodedata.normalize("NFC", raw_text(data))


def _minutes() -> list[IssuedDocument]:
    return list(
        db.session.scalars(
            sa.select(IssuedDocument).where(IssuedDocument.kind == DocumentKind.MARKING_HAND_OVER)
        )
    )


def _minute_jobs() -> list[Job]:
    return list(db.session.scalars(sa.select(Job).where(Job.kind == hand_over_jobs.KIND)))


def _code_of(data: bytes) -> str:
    found = re.search(r"Mã xác minh: ([0-9A-Z]{10})", pdf_text(data))
    assert found, "no verification code printed"
    return found[1]


def _hand_over(w: Essays) -> None:
    code_scripts(w.round, actor=w.anonymiser, at=AFTER)
    hand_over(w.round, actor=w.anonymiser, at=AFTER)
    db.session.commit()


def test_the_minutes_are_issued_once_at_the_hand_over_and_served_as_issued(app, essays):
    _hand_over(essays)
    [doc] = _minutes()
    plan = plan_of(essays.round_id)
    assert plan.hand_over_document_id == doc.id
    assert re.fullmatch(r"\d{2,}/BB-BP", doc.number)  # the register's next number
    assert doc.issuer == COUNCIL
    assert doc.issued_on == AFTER.date()
    client = login(app.test_client(), essays.anonymiser)
    url = f"/rounds/{essays.round_id}/marking/hand-over.pdf"
    first = client.get(url, follow_redirects=True)
    second = client.get(url, follow_redirects=True)
    assert first.mimetype == "application/pdf"
    assert first.data == second.data == document_bytes(doc)
    assert len(_minutes()) == 1
    text = pdf_text(first.data)
    assert f"Số: {doc.number}" in text
    for n in range(3):
        assert essays.script(n).code in text
        assert NAMES[n] not in text
    # The code printed on it is the registry's, and the public page finds the document.
    assert _code_of(first.data) == doc.code
    page = app.test_client().get(f"/xac-minh/{doc.code}")
    assert page.status_code == 200
    assert doc.number in page.get_data(as_text=True)


def test_the_minutes_stay_as_handed_over_when_a_script_is_scored_zero_later(app, essays):
    _hand_over(essays)
    client = login(app.test_client(), essays.head)
    url = f"/rounds/{essays.round_id}/marking/hand-over.pdf"
    before = client.get(url, follow_redirects=True).data
    record_zero(
        essays.script(0),
        ZeroReason.TWO_HANDWRITINGS,
        "Bài thi có hai kiểu chữ; lập biên bản có Ban giám sát chứng kiến.",
        actor=essays.head,
        at=AFTER,
    )
    db.session.commit()
    after = client.get(url, follow_redirects=True).data
    assert after == before
    assert "Điểm 0" not in pdf_text(after)  # rendered again, it would print the later zero
    assert len(_minutes()) == 1


def test_only_the_two_sides_of_the_hand_over_read_the_minutes(app, essays):
    _hand_over(essays)
    [doc] = _minutes()
    for person in (essays.markers[1], essays.supervisor, essays.council, essays.candidates[0]):
        client = login(app.test_client(), person)
        assert client.get(f"/rounds/{essays.round_id}/marking/hand-over.pdf").status_code == 404
        assert client.get(f"/documents/{doc.id}.pdf").status_code == 404, person.full_name
    guest = app.test_client().get(f"/documents/{doc.id}.pdf")
    assert guest.status_code == 302
    assert "/login" in guest.headers["Location"]
    for person in (essays.anonymiser, essays.head):
        response = login(app.test_client(), person).get(f"/documents/{doc.id}.pdf")
        assert response.status_code == 200, person.full_name


def test_a_hand_over_rolled_back_leaves_no_minutes_and_queues_no_job(essays):
    code_scripts(essays.round, actor=essays.anonymiser, at=AFTER)
    db.session.commit()
    hand_over(essays.round, actor=essays.anonymiser, at=AFTER)
    assert plan_of(essays.round_id).hand_over_number is not None
    assert len(_minute_jobs()) == 1  # queued in the hand-over's transaction
    db.session.rollback()
    assert _minutes() == []
    assert _minute_jobs() == []
    plan = plan_of(essays.round_id)
    assert plan.hand_over_document_id is None
    assert plan.hand_over_number is None


def test_a_second_hand_over_is_refused_in_words_and_issues_nothing(essays):
    _hand_over(essays)
    with pytest.raises(DomainError, match="Bài thi đã bàn giao cho Ban chấm thi"):
        hand_over(essays.round, actor=essays.anonymiser, at=AFTER)
    assert len(_minutes()) == 1


def test_a_hand_over_made_before_the_minutes_were_issued_still_renders(app, essays):
    _hand_over(essays)
    plan = plan_of(essays.round_id)
    plan.hand_over_document_id = plan.hand_over_number = None  # as made before they were
    db.session.commit()
    response = login(app.test_client(), essays.anonymiser).get(
        f"/rounds/{essays.round_id}/marking/hand-over.pdf"
    )
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "Bàn giao bài thi tự luận đã đánh phách cho Ban chấm thi" in text
    assert "Mã xác minh" not in text
