"""The question board's workshop in the browser-less client: writing, review, secrecy."""

from __future__ import annotations

import sqlalchemy as sa

from exam.accounts.models import Role
from exam.audit.models import AuditEntry
from exam.extensions import db
from exam.question_bank.models import Question, QuestionStatus
from tests.conftest import login

QUESTION = {
    "category": "Luật Viên chức/Tuyển dụng",
    "text": "Theo Luật Viên chức, thời gian tập sự tối đa là bao lâu?",
    "option_a": "12 tháng",
    "option_b": "6 tháng",
    "option_c": "24 tháng",
    "option_d": "3 tháng",
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
        data={**QUESTION, "option_c": "", "correct": "", "legal_basis": ""},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Chưa lưu được" in page
    assert "Chọn phương án đúng." in page
    assert 'href="#option_c"' in page
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
    """Secrecy: the bank's text appears on no page a candidate can open."""
    round_ = make.round()
    candidate = make.user(Role.CANDIDATE)
    application = make.application(round_.positions[0], candidate)
    test = make.test(round_)
    make.attempt(test, application)
    db.session.commit()
    client = login(app.test_client(), candidate)
    urls = [rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods]
    ids = {"bank_id": test.bank_id, "question_id": 1, "test_id": test.id, "attempt_id": 1,
           "round_id": round_.id, "position_id": round_.positions[0].id, "application_id": 1,
           "panel_id": 1, "filename": "css/app.css", "draft_round_id": 1}
    for rule in urls:
        url = rule
        for name, value in ids.items():
            url = url.replace(f"<int:{name}>", str(value)).replace(f"<path:{name}>", str(value))
        body = client.get(url).get_data(as_text=True)
        assert "Câu hỏi thử nghiệm" not in body, url
        assert "Phương án A của câu" not in body, url
