"""A document replaced by another (issue 16 item 6): the new one is issued under its own
number for the same kind, round and subject, the earlier is marked superseded (audited), its
verification page says so and names its successor, and the earlier stays readable. A document
already replaced, or a replacement with bad values, is refused with nothing half-saved."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from exam.accounts.models import Role
from exam.audit.models import AuditEntry
from exam.core.errors import DomainError, ValidationFailed
from exam.documents.models import DocumentKind, IssuedDocument
from exam.documents.operations import reissue_document
from exam.extensions import db
from tests.conftest import login
from tests.documents.test_documents import SITE, _issue, _report, _text


def _reports() -> int:
    """The supervision reports issued (the round's own announcement is another kind)."""
    return db.session.scalar(
        sa.select(sa.func.count(IssuedDocument.id)).where(
            IssuedDocument.kind == DocumentKind.SUPERVISION_REPORT
        )
    )


def _reissue(app, previous, actor, *, number="08/BC-BGS", **changes):
    with app.test_request_context(base_url=SITE):
        return reissue_document(
            previous,
            number=number,
            title=changes.pop("title", "Báo cáo kết quả giám sát (thay thế)"),
            issuer=changes.pop("issuer", "Ban giám sát kỳ thi tuyển"),
            issued_on=changes.pop("issued_on", dt.date(2026, 3, 9)),
            render=_report,
            actor=actor,
        )


@pytest.fixture
def first(app, make):
    supervisor = make.user(Role.SUPERVISOR, name="Phạm Giám Sát")
    candidate = make.user(Role.CANDIDATE)
    round_ = make.round()
    return _issue(app, round_, supervisor, subject=candidate), supervisor


def test_a_replacement_marks_the_earlier_superseded_and_audits_it(app, first):
    previous, supervisor = first
    successor = _reissue(app, previous, supervisor)
    db.session.commit()
    assert previous.superseded_by_id == successor.id
    assert previous.superseded_at is not None
    assert (successor.kind, successor.round_id, successor.subject_user_id) == (
        previous.kind,
        previous.round_id,
        previous.subject_user_id,
    )
    assert successor.superseded_by_id is None
    assert successor.code != previous.code
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "documents.supersede")
    ).one()
    assert (entry.object_id, entry.actor_id) == (str(previous.id), supervisor.id)
    assert entry.after["superseded_by_id"] == successor.id
    assert entry.after["successor_number"] == "08/BC-BGS"
    # The earlier stays readable, as issued; the new one carries its own code.
    client = login(app.test_client(), supervisor)
    assert client.get(f"/documents/{previous.id}.pdf").status_code == 200
    new_pages = _text(client.get(f"/documents/{successor.id}.pdf").get_data())
    assert all(f"Mã xác minh: {successor.code}" in page for page in new_pages)


def test_the_verification_page_of_the_earlier_names_its_successor(app, first):
    previous, supervisor = first
    successor = _reissue(app, previous, supervisor)
    db.session.commit()
    old_page = app.test_client().get(f"/xac-minh/{previous.code}").get_data(as_text=True)
    assert 'id="superseded"' in old_page
    assert "Văn bản này đã được thay thế" in old_page
    assert "bởi văn bản số 08/BC-BGS ngày 09/03/2026." in old_page
    assert f'href="/xac-minh/{successor.code}"' in old_page
    new_page = app.test_client().get(f"/xac-minh/{successor.code}").get_data(as_text=True)
    assert 'id="superseded"' not in new_page
    assert "Văn bản này thay thế văn bản số 07/BC-BGS ngày 05/03/2026." in new_page
    assert f'href="/xac-minh/{previous.code}"' in new_page


def test_the_verification_page_says_it_in_english_too(app, first):
    previous, supervisor = first
    successor = _reissue(app, previous, supervisor)
    db.session.commit()
    client = app.test_client()
    client.post("/language", data={"language": "en", "next": "/"})
    old_page = client.get(f"/xac-minh/{previous.code}").get_data(as_text=True)
    assert "This document has been replaced" in old_page
    assert "by document No. 08/BC-BGS of 09/03/2026." in old_page
    new_page = client.get(f"/xac-minh/{successor.code}").get_data(as_text=True)
    assert "This document replaces document No. 07/BC-BGS of 05/03/2026." in new_page


def test_a_document_already_replaced_is_not_replaced_again(app, first):
    previous, supervisor = first
    _reissue(app, previous, supervisor)
    db.session.commit()
    with pytest.raises(DomainError, match="đã được thay thế bởi văn bản số 08/BC-BGS"):
        _reissue(app, previous, supervisor, number="09/BC-BGS")
    db.session.rollback()
    assert _reports() == 2


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"number": " "}, "Văn bản cần có số."),
        ({"number": "07/BC-BGS"}, "Văn bản số 07/BC-BGS đã được ban hành trong kỳ thi này."),
        ({"title": ""}, "Văn bản cần có trích yếu."),
    ],
)
def test_a_replacement_with_bad_values_is_refused_and_nothing_changes(app, first, changes, message):
    previous, supervisor = first
    with pytest.raises(ValidationFailed) as refused:
        _reissue(app, previous, supervisor, **changes)
    assert message in [text for _field, text in refused.value.reasons]
    db.session.rollback()
    db.session.refresh(previous)
    assert previous.superseded_by_id is None
    assert previous.superseded_at is None
    assert _reports() == 1


def test_a_rolled_back_replacement_leaves_nothing_behind(app, first):
    previous, supervisor = first
    _reissue(app, previous, supervisor)
    db.session.rollback()
    db.session.refresh(previous)
    assert previous.superseded_by_id is None
    assert _reports() == 1
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuditEntry.id)).where(
                AuditEntry.action == "documents.supersede"
            )
        )
        == 0
    )
