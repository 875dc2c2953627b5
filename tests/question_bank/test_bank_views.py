"""The question board's workshop in the browser-less client: writing, review, secrecy."""

from __future__ import annotations

import re

import sqlalchemy as sa

from exam.accounts.models import Role
from exam.audit.models import AuditEntry
from exam.extensions import db
from exam.question_bank.models import Question, QuestionStatus
from tests.conftest import login
from tests.pdfs import is_pdf, pdf_text

QUESTION = {
    "category": "Luật Viên chức/Tuyển dụng",
    "text": "Theo Luật Viên chức, thời gian tập sự tối đa là bao lâu?",
    "options-0-text": "12 tháng",
    "options-1-text": "6 tháng",
    "options-2-text": "24 tháng",
    "options-3-text": "3 tháng",
    "correct": "A",
    "difficulty": "easy",
    "legal_basis": "Luật Viên chức số 58/2010/QH12, Điều 27",
    "legal_basis_date": "2010-11-15",
}


def _questions() -> list[Question]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Question)))


def test_author_writes_a_question_which_another_person_approves(app, make):
    bank = make.bank(0)
    author = make.user(Role.QUESTION_AUTHOR)
    reviewer = make.user(Role.QUESTION_AUTHOR)
    db.session.commit()
    writer = login(app.test_client(), author)
    response = writer.post(f"/bank/{bank.id}/questions/new", data=QUESTION)
    assert response.status_code == 302
    (question,) = _questions()
    assert question.status == QuestionStatus.DRAFT
    assert question.category.path == "Luật Viên chức/Tuyển dụng"
    assert question.category.parent.name == "Luật Viên chức"
    version = question.current
    assert [c["fraction"] for c in version.data["choices"]] == [1.0, 0.0, 0.0, 0.0]
    assert version.legal_basis_date.isoformat() == "2010-11-15"

    # The author cannot approve their own question, not even by posting directly.
    writer.post(f"/bank/questions/{question.id}/submit")
    assert writer.post(f"/bank/questions/{question.id}/approve").status_code == 403
    assert _questions()[0].status == QuestionStatus.SUBMITTED

    login(app.test_client(), reviewer).post(f"/bank/questions/{question.id}/approve")
    (approved,) = _questions()
    assert approved.status == QuestionStatus.APPROVED
    assert approved.approved_by_id == reviewer.id


def test_an_incomplete_question_is_refused_and_nothing_saved(client, make):
    bank = make.bank(0)
    author = make.user(Role.QUESTION_AUTHOR)
    db.session.commit()
    login(client, author)
    response = client.post(
        f"/bank/{bank.id}/questions/new",
        data={**QUESTION, "options-2-text": "", "correct": "", "legal_basis": ""},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Chưa lưu được" in page
    assert "Chọn phương án đúng." in page
    assert 'href="#legal_basis"' in page
    assert _questions() == []


def test_only_a_submitted_question_can_be_approved(client, make):
    question = make.question()
    reviewer = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    page = login(client, reviewer).post(
        f"/bank/questions/{question.id}/approve", follow_redirects=True
    )
    assert "Chỉ duyệt câu hỏi đang chờ duyệt." in page.get_data(as_text=True)
    assert _questions()[0].status == QuestionStatus.DRAFT


def test_every_view_of_a_question_is_audited(client, make):
    question = make.question()
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    login(client, board).get(f"/bank/questions/{question.id}")
    db.session.expire_all()
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "question.view")
    ).one()
    assert (entry.actor_id, entry.object_id) == (board.id, str(question.id))


def test_no_candidate_reaches_a_question_through_any_page(app, make):
    """Secrecy: the bank's text appears on no page a candidate can open, whatever the URL:
    every GET route of the application, filled with real ids (a question, its version, its
    image, the candidate's own paper), answers without a word of a question."""
    from exam.question_bank.models import BankMedia

    round_ = make.round()
    candidate = make.user(Role.CANDIDATE)
    application = make.application(round_.positions[0], candidate)
    test = make.test(round_)
    attempt = make.attempt(test, application)
    version = attempt.questions[0].version
    db.session.add(
        BankMedia(
            bank_id=test.bank_id, sha256="1" * 64, content_type="image/png", size=1, content=b"x"
        )
    )
    version.media = {"hinh.png": "1" * 64}
    db.session.commit()
    client = login(app.test_client(), candidate)
    ids = {
        "bank_id": test.bank_id,
        "question_id": version.question_id,
        "version_id": version.id,
        "name": "hinh.png",
        "test_id": test.id,
        "attempt_id": attempt.id,
        "round_id": round_.id,
        "position_id": round_.positions[0].id,
        "application_id": application.id,
        "panel_id": 1,
        "filename": "css/app.css",
        "draft_round_id": 1,
    }
    pattern = re.compile(r"<(?:(\w+):)?(\w+)>")
    checked = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        url = pattern.sub(lambda m: str(ids.get(m.group(2), 1)), rule.rule)
        response = client.get(url)
        data = response.get_data()
        # A PDF a candidate may open (their admission card) is read as its reader reads it.
        body = pdf_text(data) if is_pdf(data) else data.decode()
        assert "Câu hỏi thử nghiệm" not in body, url
        assert "Phương án A của câu" not in body, url
        if rule.rule.startswith("/bank"):
            assert response.status_code in (403, 404), url
            checked.append(rule.rule)
    assert len(checked) >= 10  # every page of the bank was tried
    assert "/bank/media/<int:version_id>/<path:name>" in checked


def test_bank_writes_are_refused_to_candidates_and_to_the_wrong_people(app, make):
    """POST routes of the bank: a candidate gets 403, and a question's own author can neither
    approve nor reject it."""
    question = make.question()
    bank_id = question.bank_id
    candidate = make.user(Role.CANDIDATE)
    db.session.commit()
    posts = [
        f"/bank/{bank_id}/questions/new",
        f"/bank/{bank_id}/import",
        f"/bank/{bank_id}/import/confirm",
        f"/bank/{bank_id}/export",
        f"/bank/questions/{question.id}/edit",
        f"/bank/questions/{question.id}/submit",
        f"/bank/questions/{question.id}/approve",
        f"/bank/questions/{question.id}/reject",
        f"/bank/questions/{question.id}/retire",
        f"/bank/questions/{question.id}/reinstate",
        f"/bank/questions/{question.id}/delete",
    ]
    client = login(app.test_client(), candidate)
    for url in posts:
        assert client.post(url, data={"format": "native", "comment": "x"}).status_code == 403, url
    author = login(app.test_client(), question.author)
    author.post(f"/bank/questions/{question.id}/submit")
    assert author.post(f"/bank/questions/{question.id}/approve").status_code == 403
    assert (
        author.post(f"/bank/questions/{question.id}/reject", data={"comment": "x"}).status_code
        == 403
    )
    assert _questions()[0].status == QuestionStatus.SUBMITTED


def test_every_export_is_audited_with_its_keys(app, make):
    bank = make.bank(2)
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    login(app.test_client(), board).post(f"/bank/{bank.id}/export", data={"format": "native"})
    db.session.expire_all()
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "bank.export")
    ).one()
    assert entry.after["format"] == "native"
    assert len(entry.after["keys"]) == 2


def test_reject_needs_a_reason_and_shows_it_to_the_author(app, make):
    question = make.question()
    board = make.user(Role.BOARD_ADMIN)
    from exam.question_bank.operations import submit_for_review

    submit_for_review(question, actor=question.author)
    db.session.commit()
    client = login(app.test_client(), board)
    page = client.post(
        f"/bank/questions/{question.id}/reject", data={"comment": ""}, follow_redirects=True
    )
    assert "Ghi rõ lý do trả lại." in page.get_data(as_text=True)
    assert _questions()[0].status == QuestionStatus.SUBMITTED
    client.post(f"/bank/questions/{question.id}/reject", data={"comment": "Sai căn cứ."})
    assert _questions()[0].status == QuestionStatus.DRAFT
    shown = login(app.test_client(), question.author).get(f"/bank/questions/{question.id}")
    assert "Sai căn cứ." in shown.get_data(as_text=True)
