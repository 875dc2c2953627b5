"""The bank's pages: finding questions (tags, difficulty, legal basis and its date), the
category tree, coverage, and writing every type through the web form."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from exam.accounts.models import Role
from exam.audit.models import AuditEntry
from exam.extensions import db
from exam.question_bank.models import Question, QuestionStatus
from exam.question_bank.operations import (
    approve_question,
    create_question,
    retire_question,
    submit_for_review,
)
from exam.question_bank.queries import QuestionFilter, coverage, find_questions
from tests.conftest import login
from tests.factories import T0


@pytest.fixture
def bank_with_laws(make):
    """Five questions citing laws of different dates, in a two-level category tree."""
    author, reviewer = make.user(Role.QUESTION_AUTHOR), make.user(Role.QUESTION_AUTHOR)
    bank = make.bank(0)
    specs = [
        (
            "CB-1",
            "Cán bộ/Tuyển dụng",
            "easy",
            "Luật Cán bộ, công chức số 22/2008/QH12",
            dt.date(2008, 11, 13),
            ["cu"],
        ),
        (
            "CB-2",
            "Cán bộ/Tuyển dụng",
            "hard",
            "Luật số 80/2025/QH15",
            dt.date(2025, 6, 24),
            ["moi"],
        ),
        (
            "VC-1",
            "Viên chức",
            "medium",
            "Luật Viên chức số 58/2010/QH12",
            dt.date(2010, 11, 15),
            ["cu"],
        ),
        ("VB-1", "Cán bộ", "easy", "Nghị định 30/2020/NĐ-CP, Điều 8", dt.date(2020, 3, 5), []),
        ("ND-1", "", None, "Nghị định 170/2025/NĐ-CP", None, []),
    ]
    for n, (key, category, difficulty, basis, date, tags) in enumerate(specs):
        data = make.question_data(
            n,
            key=key,
            category=category,
            difficulty=difficulty,
            legal_basis=basis,
            legal_basis_date=date,
            tags=tags,
        )
        question = create_question(bank, data, actor=author)
        if key != "ND-1":
            submit_for_review(question, actor=author)
            approve_question(question, actor=reviewer, at=T0)
    db.session.flush()
    return bank


def keys(bank, **where) -> list[str]:
    return [f.question.key for f in find_questions(bank.id, QuestionFilter(**where))]


def test_find_by_legal_basis_without_case_or_marks(bank_with_laws):
    bank = bank_with_laws
    assert keys(bank, legal_basis="nghi dinh") == ["ND-1", "VB-1"]
    assert keys(bank, legal_basis="NĐ-CP") == ["ND-1", "VB-1"]
    assert keys(bank, legal_basis="58/2010") == ["VC-1"]


def test_find_questions_citing_laws_dated_before_a_day(bank_with_laws):
    """Laws change: the questions citing texts older than a new law are easy to find."""
    bank = bank_with_laws
    assert keys(bank, basis_dated_before=dt.date(2025, 7, 1)) == ["CB-1", "CB-2", "VB-1", "VC-1"]
    assert keys(bank, basis_dated_before=dt.date(2015, 1, 1)) == ["CB-1", "VC-1"]
    assert keys(bank, basis_undated=True) == ["ND-1"]


def test_find_by_category_subtree_tag_difficulty_status_and_text(bank_with_laws, make):
    bank = bank_with_laws
    from exam.question_bank.queries import categories_of

    by_path = {c.path: c.id for c in categories_of(bank.id)}
    assert keys(bank, category_id=by_path["Cán bộ"]) == ["CB-1", "CB-2", "VB-1"]
    assert keys(bank, category_id=by_path["Cán bộ"], subcategories=False) == ["VB-1"]
    assert keys(bank, tag="cu") == ["CB-1", "VC-1"]
    from exam.question_bank.models import Difficulty

    assert keys(bank, difficulty=Difficulty.EASY) == ["CB-1", "VB-1"]
    assert keys(bank, status=QuestionStatus.DRAFT) == ["ND-1"]
    assert keys(bank, text="cau hoi thu nghiem so 2") == ["VC-1"]


def test_the_bank_page_filters_and_audits_the_questions_it_lists(app, make, bank_with_laws):
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    client = login(app.test_client(), board)
    page = client.get(f"/bank/{bank_with_laws.id}?legal_basis=luat&before=01/07/2025").get_data(
        as_text=True
    )
    assert "3 câu hỏi" in page
    assert "CB-1" in page
    assert "VC-1" in page
    assert "VB-1" not in page
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "question.list")
    ).one()
    assert entry.actor_id == board.id
    assert sorted(entry.after["keys"]) == ["CB-1", "CB-2", "VC-1"]
    wrong_date = client.get(f"/bank/{bank_with_laws.id}?before=31/02/2025").get_data(as_text=True)
    assert "5 câu hỏi" in wrong_date  # an impossible date filters nothing, and says so
    assert "field-error" in wrong_date


def test_category_tree_page_counts_each_level(app, make, bank_with_laws):
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    page = login(app.test_client(), board).get(f"/bank/{bank_with_laws.id}/categories")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    # "Cán bộ": one question of its own, three with "Tuyển dụng" below it.
    row = html.split(">Cán bộ</a>")[1].split("</tr>")[0]
    assert [cell.split("<")[0] for cell in row.split('class="text-end">')[1:]] == ["1", "3", "3"]
    assert "(chưa xếp chủ đề)" in html


def test_coverage_counts_category_difficulty_type_approved_and_all(make, bank_with_laws):
    bank = bank_with_laws
    retire_question(
        db.session.scalars(sa.select(Question).where(Question.key == "CB-2")).one(),
        actor=make.user(Role.BOARD_ADMIN),
    )
    counts = coverage(bank.id)
    from exam.question_bank.queries import categories_of

    by_path = {c.path: c.id for c in categories_of(bank.id)}
    total = counts.count()
    assert (total.approved, total.total) == (3, 4)  # the retired one left out
    under = counts.count(category_id=by_path["Cán bộ"])
    assert (under.approved, under.total) == (2, 2)
    assert counts.count(difficulty="easy").approved == 2
    assert counts.count(difficulty=None).total == 1  # ND-1 has no difficulty
    assert counts.count(type="single_choice").total == 4
    assert counts.count(type="essay").total == 0
    assert counts.types() == ["single_choice"]


def test_coverage_page_checks_three_times_a_paper(app, make, bank_with_laws):
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    client = login(app.test_client(), board)
    enough = client.get(f"/bank/{bank_with_laws.id}/coverage?paper=1").get_data(as_text=True)
    assert "Đủ câu hỏi." in enough
    short = client.get(f"/bank/{bank_with_laws.id}/coverage?paper=2&difficulty=easy")
    html = short.get_data(as_text=True)
    assert "Chưa đủ câu hỏi." in html
    assert "Còn thiếu 4 câu" in html
    assert client.get(f"/bank/{bank_with_laws.id}/coverage?paper=0").status_code == 200


# --- writing through the web form ------------------------------------------------------------

COMMON = {
    "text": "Nội dung câu hỏi thử",
    "text_format": "plain",
    "difficulty": "medium",
    "points": "2",
    "legal_basis": "Luật Viên chức số 58/2010/QH12",
    "legal_basis_date": "15/11/2010",
    "category": "Viên chức/Tuyển dụng",
    "tags": "vien-chuc, tuyen-dung",
}
FORMS = {
    "single_choice": {
        **{f"options-{i}-text": t for i, t in enumerate(["12 tháng", "6 tháng", "24 tháng"])},
        "options-1-fraction": "-25",
        "correct": "A",
        "shuffle": "y",
    },
    "multiple_response": {
        "options-0-text": "a",
        "options-0-fraction": "50",
        "options-1-text": "b",
        "options-1-fraction": "50",
        "options-2-text": "c",
        "options-2-fraction": "-100",
    },
    "true_false": {"answer": "false", "feedback_false": "Đúng, vì…"},
    "short_answer": {
        "answers-0-text": "UBND",
        "answers-1-text": "UB",
        "answers-1-fraction": "50",
    },
    "numerical": {"numeric-0-value": "2,5", "numeric-0-tolerance": "0,5"},
    "matching": {
        "pairs-0-prompt": "Quốc hội",
        "pairs-0-answer": "lập pháp",
        "pairs-1-prompt": "Chính phủ",
        "pairs-1-answer": "hành pháp",
        "pairs-2-answer": "giám sát",
    },
    "ordering": {"items-0-text": "Một", "items-1-text": "Hai", "items-2-text": "Ba"},
    "essay": {
        "rubric-0-criterion": "Nêu căn cứ",
        "rubric-0-points": "4",
        "rubric-1-criterion": "Lập luận",
        "rubric-1-points": "6",
    },
}


@pytest.mark.parametrize("qtype", list(FORMS))
def test_every_type_is_written_through_the_web_form(app, make, qtype):
    from exam.question_bank.operations import question_data

    bank = make.bank(0)
    author = make.user(Role.QUESTION_AUTHOR)
    db.session.commit()
    client = login(app.test_client(), author)
    assert client.get(f"/bank/{bank.id}/questions/new?type={qtype}").status_code == 200
    response = client.post(
        f"/bank/{bank.id}/questions/new?type={qtype}", data={**COMMON, **FORMS[qtype]}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    question = db.session.scalars(sa.select(Question)).one()
    data = question_data(question.current)
    assert (data.type, data.default_points, data.tags) == (qtype, 2.0, ["tuyen-dung", "vien-chuc"])
    assert data.legal_basis_date == dt.date(2010, 11, 15)
    expected = {
        "single_choice": lambda d: [c.fraction for c in d.choices] == [1.0, -0.25, 0.0],
        "multiple_response": lambda d: [c.fraction for c in d.choices] == [0.5, 0.5, -1.0],
        "true_false": lambda d: d.correct_answer is False and d.choices[1].feedback == "Đúng, vì…",
        "short_answer": lambda d: (
            [(a.text, a.fraction) for a in d.answers] == [("UBND", 1.0), ("UB", 0.5)]
        ),
        "numerical": lambda d: (
            (d.numeric_answers[0].value, d.numeric_answers[0].tolerance) == (2.5, 0.5)
        ),
        "matching": lambda d: [p.prompt for p in d.pairs] == ["Quốc hội", "Chính phủ", ""],
        "ordering": lambda d: d.items == ["Một", "Hai", "Ba"],
        "essay": lambda d: [r.points for r in d.rubric] == [4.0, 6.0],
    }
    assert expected[qtype](data)
    # The edit page shows the same question back, and saving it unchanged is refused.
    edit = client.get(f"/bank/questions/{question.id}/edit")
    assert edit.status_code == 200
    assert "Nội dung câu hỏi thử" in edit.get_data(as_text=True)


def test_add_option_posts_back_without_saving(app, make):
    bank = make.bank(0)
    author = make.user(Role.QUESTION_AUTHOR)
    db.session.commit()
    client = login(app.test_client(), author)
    data = {**COMMON, **FORMS["single_choice"], "add_row": "1"}
    page = client.post(f"/bank/{bank.id}/questions/new?type=single_choice", data=data)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="options-3-text"' in html
    assert "Phương án D" in html
    assert 'value="A"' in html
    assert "12 tháng" in html
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Question.id))) == 0


def test_form_errors_name_the_row_and_nothing_is_saved(app, make):
    bank = make.bank(0)
    author = make.user(Role.QUESTION_AUTHOR)
    db.session.commit()
    client = login(app.test_client(), author)
    bad = {**COMMON, "numeric-0-value": "hai", "points": "x"}
    html = client.post(
        f"/bank/{bank.id}/questions/new?type=numerical", data=bad, follow_redirects=True
    ).get_data(as_text=True)
    assert "Chưa lưu được" in html
    assert 'href="#numeric-0-value"' in html
    assert "Nhập một số" in html
    wrong = {
        **COMMON,
        "options-0-text": "a",
        "options-1-text": "b",
        "options-2-text": "c",
        "correct": "D",
    }
    html = client.post(
        f"/bank/{bank.id}/questions/new", data=wrong, follow_redirects=True
    ).get_data(as_text=True)
    assert "Phương án đúng đang để trống." in html
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Question.id))) == 0


def test_editing_through_the_web_writes_a_version_and_needs_review_again(app, make):
    make.bank(1)
    question = db.session.scalars(sa.select(Question)).one()
    author = make.user(Role.QUESTION_AUTHOR)
    db.session.commit()
    client = login(app.test_client(), author)
    form = client.get(f"/bank/questions/{question.id}/edit").get_data(as_text=True)
    assert "phải được duyệt lại" in form
    data = {
        **COMMON,
        "options-0-text": "Phương án A mới",
        "options-1-text": "B",
        "options-2-text": "C",
        "correct": "A",
    }
    assert client.post(f"/bank/questions/{question.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    question = db.session.get(Question, question.id)
    assert [v.number for v in question.versions] == [1, 2]
    assert question.status == QuestionStatus.SUBMITTED
    assert question.current.created_by_id == author.id


def test_fractions_are_written_with_the_pages_decimal_sign(app, make):
    from exam.question_bank.interchange import Choice, QuestionData
    from exam.question_bank.operations import create_question

    bank = make.bank(0)
    author = make.user(Role.QUESTION_AUTHOR)
    third = 1 / 3
    question = create_question(
        bank,
        QuestionData(
            type="multiple_response",
            text="Những cơ quan nào?",
            choices=[Choice("A", third), Choice("B", third), Choice("C", third), Choice("D", -1)],
        ),
        actor=author,
    )
    db.session.commit()
    client = login(app.test_client(), author)
    vietnamese = client.get(f"/bank/questions/{question.id}").get_data(as_text=True)
    assert "33,333333%" in vietnamese
    assert "33.3333" not in vietnamese
    client.post("/language", data={"language": "en", "next": "/"})
    assert "33.333333%" in client.get(f"/bank/questions/{question.id}").get_data(as_text=True)
