"""The import preview lists the questions themselves, flags those without a legal basis,
and the confirmation may give them one (issue 11 items 15 and 10)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import sqlalchemy as sa

from exam.accounts.models import Role
from exam.extensions import db
from exam.question_bank.imports import PREVIEW_ROWS
from exam.question_bank.models import Question, QuestionVersion
from tests.conftest import login

GIFT = """\
$CATEGORY: $course$/top/Luật Viên chức/Tuyển dụng

// [id:VC-1]
::Tập sự::Thời gian tập sự tối đa của viên chức là bao lâu theo quy định hiện hành?
{=12 tháng ~6 tháng ~24 tháng}

::Viết tắt::Viết tắt của Ủy ban nhân dân? {=UBND}

::Đúng sai::[html]<p>Viên chức <b>được</b> tham gia <i>thành lập</i> doanh nghiệp tư nhân.</p> {F}
""".encode()

NATIVE = """\
format: exam-bank/1
questions:
  - id: CB-1
    type: true_false
    text: Công chức được đánh giá hằng năm.
    answer: true
    legal_basis: "Luật Cán bộ, công chức số 80/2025/QH15, Điều 25"
    legal_basis_date: 2025-06-24
  - id: CB-2
    type: true_false
    text: Công chức được thành lập doanh nghiệp tư nhân.
    answer: false
""".encode()


@pytest.fixture
def author(make):
    return make.user(Role.QUESTION_AUTHOR)


def upload(client, bank_id: int, data: bytes, filename: str) -> str:
    response = client.post(
        f"/bank/{bank_id}/import",
        data={"file": (io.BytesIO(data), filename), "format": ""},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def token_of(html: str) -> str:
    return html.split('name="token" type="hidden" value="')[1].split('"')[0]


def rows_of(html: str) -> list[str]:
    return re.findall(r'<tr class="import-question[^"]*">(.*?)</tr>', html, re.DOTALL)


def cells(row: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.DOTALL)
    ]


def stored() -> list[QuestionVersion]:
    db.session.expire_all()
    questions = db.session.scalars(sa.select(Question).order_by(Question.id)).all()
    return [q.current for q in questions]


def test_the_preview_lists_every_question_with_its_line_and_first_words(app, make, author):
    bank = make.bank(0)
    db.session.commit()
    html = upload(login(app.test_client(), author), bank.id, GIFT, "vien-chuc.gift")
    rows = [cells(row) for row in rows_of(html)]
    assert len(rows) == 3
    line, key, kind, category, difficulty, text, basis = rows[0]
    assert line == "3"  # the question's comment line, where its block starts
    assert "VC-1" in key
    assert "Tập sự" in key
    assert kind == "Một lựa chọn đúng"
    assert category == "Luật Viên chức/Tuyển dụng"
    assert difficulty == "—"
    assert text.startswith("Thời gian tập sự tối đa")
    assert basis == "Chưa có"
    assert rows[1][0] == "7"
    # HTML is shown as its words, and long texts are cut at about 120 characters.
    assert rows[2][5] == "Viên chức được tham gia thành lập doanh nghiệp tư nhân."
    assert "<b>" not in rows_of(html)[2]
    assert "3 câu hỏi chưa có căn cứ pháp lý" in html


def test_a_long_text_is_cut_and_a_native_legal_basis_is_shown(app, make, author):
    bank = make.bank(0)
    db.session.commit()
    long_text = "Nội dung " * 40
    data = NATIVE.replace("Công chức được đánh giá hằng năm.".encode(), long_text.encode())
    html = upload(login(app.test_client(), author), bank.id, data, "cb.yaml")
    first, second = (cells(row) for row in rows_of(html))
    assert first[0] == "3"
    assert len(first[5]) <= 121
    assert first[5].endswith("…")
    assert first[6] == "Luật Cán bộ, công chức số 80/2025/QH15, Điều 25 (24/06/2025)"
    assert second[0] == "9"
    assert second[6] == "Chưa có"
    assert "1 câu hỏi chưa có căn cứ pháp lý" in html


def test_a_big_file_lists_its_first_questions_and_says_how_many_more(app, make, author):
    bank = make.bank(0)
    db.session.commit()
    count = PREVIEW_ROWS + 30
    data = "\n\n".join(f"::C{n}::Câu số {n}? {{=đúng ~sai}}" for n in range(count)).encode()
    html = upload(login(app.test_client(), author), bank.id, data, "nhieu.gift")
    rows = rows_of(html)
    assert len(rows) == PREVIEW_ROWS
    assert f"Nhập {count} câu hỏi" in html
    assert f"{PREVIEW_ROWS} câu đầu tiên trong số {count}" in html


def test_a_legal_basis_given_on_the_form_goes_to_every_question_without_one(app, make, author):
    bank = make.bank(0)
    db.session.commit()
    client = login(app.test_client(), author)
    html = upload(client, bank.id, GIFT, "vien-chuc.gift")
    assert "Căn cứ pháp lý" in html
    assert "Ngày văn bản" in html
    done = client.post(
        f"/bank/{bank.id}/import/confirm",
        data={
            "token": token_of(html),
            "status": "draft",
            "legal_basis": "  Luật Viên chức số 58/2010/QH12  ",
            "legal_basis_date": "15/11/2010",
        },
    )
    assert done.status_code == 302
    versions = stored()
    assert len(versions) == 3
    assert {v.legal_basis for v in versions} == {"Luật Viên chức số 58/2010/QH12"}
    assert {v.legal_basis_date for v in versions} == {dt.date(2010, 11, 15)}


def test_a_native_files_own_legal_basis_wins_over_the_form(app, make, author):
    bank = make.bank(0)
    db.session.commit()
    client = login(app.test_client(), author)
    html = upload(client, bank.id, NATIVE, "cb.yaml")
    client.post(
        f"/bank/{bank.id}/import/confirm",
        data={
            "token": token_of(html),
            "status": "draft",
            "legal_basis": "Nghị định 170/2025/NĐ-CP",
            "legal_basis_date": "30/06/2025",
        },
    )
    own, given = stored()
    assert own.legal_basis == "Luật Cán bộ, công chức số 80/2025/QH15, Điều 25"
    assert own.legal_basis_date == dt.date(2025, 6, 24)
    assert given.legal_basis == "Nghị định 170/2025/NĐ-CP"
    assert given.legal_basis_date == dt.date(2025, 6, 30)


def test_without_a_legal_basis_on_the_form_the_questions_stay_without(app, make, author):
    bank = make.bank(0)
    db.session.commit()
    client = login(app.test_client(), author)
    html = upload(client, bank.id, GIFT, "vien-chuc.gift")
    client.post(
        f"/bank/{bank.id}/import/confirm", data={"token": token_of(html), "status": "draft"}
    )
    assert [v.legal_basis for v in stored()] == ["", "", ""]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"legal_basis": "Luật Viên chức", "legal_basis_date": "31/02/2026"}, "dd/mm/yyyy"),
        ({"legal_basis": "Luật Viên chức", "legal_basis_date": "2010-13-01"}, "dd/mm/yyyy"),
        ({"legal_basis": "x" * 501}, "500"),
        ({"legal_basis_date": "15/11/2010"}, "Ghi căn cứ pháp lý"),
    ],
)
def test_a_bad_legal_basis_shows_its_error_and_imports_nothing(app, make, author, fields, message):
    bank = make.bank(0)
    db.session.commit()
    client = login(app.test_client(), author)
    html = upload(client, bank.id, GIFT, "vien-chuc.gift")
    token = token_of(html)
    page = client.post(
        f"/bank/{bank.id}/import/confirm", data={"token": token, "status": "draft", **fields}
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert message in text
    assert "error-summary" in text
    assert stored() == []
    # The file is still staged: the corrected form imports it.
    assert token_of(text) == token
    assert len(rows_of(text)) == 3
    done = client.post(
        f"/bank/{bank.id}/import/confirm",
        data={"token": token, "status": "draft", "legal_basis": "Luật Viên chức"},
    )
    assert done.status_code == 302
    assert [v.legal_basis for v in stored()] == ["Luật Viên chức"] * 3


def test_a_missing_image_is_named_in_the_preview_with_its_question_and_line(app, make, author):
    bank = make.bank(0)
    db.session.commit()
    data = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n'
        '<question type="essay">\n<name><text>Sơ đồ</text></name>\n'
        '<questiontext format="html"><text><![CDATA[<p><img src="@@PLUGINFILE@@/sd.png" '
        'alt="sơ đồ"></p>]]></text></questiontext>\n</question>\n</quiz>\n'
    ).encode()
    client = login(app.test_client(), author)
    html = upload(client, bank.id, data, "moodle.xml")
    assert "Nhập 1 câu hỏi" in html
    notices = html.split('class="alert alert-info import-notices"')[1].split("</section>")[0]
    assert "<td>3</td><td>Sơ đồ</td>" in notices
    assert "«@@PLUGINFILE@@/sd.png» không có trong tệp" in notices


def test_a_bank_export_with_a_missing_image_leaves_it_out_of_qti_and_names_it(app, make, author):
    from exam.question_bank.imports import plan_import, run_import
    from exam.question_bank.operations import export_questions

    bank = make.bank(0)
    db.session.commit()
    data = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n'
        '<question type="essay"><name><text>Sơ đồ</text></name><idnumber>H1</idnumber>'
        '<questiontext format="html"><text><![CDATA[<p><img src="@@PLUGINFILE@@/sd.png">'
        "</p>]]></text></questiontext></question>\n"
        '<question type="essay"><name><text>Viết</text></name><idnumber>H2</idnumber>'
        "<questiontext><text>Viết một đoạn</text></questiontext></question>\n</quiz>\n"
    ).encode()
    run_import(bank, plan_import(bank, data, filename="m.xml"), actor=author)
    questions = db.session.scalars(sa.select(Question).order_by(Question.id)).all()
    done = export_questions(bank, questions, "qti", actor=author)
    assert done.keys == ["H2"]
    assert [p.question for p in done.left_out] == ["H1"]
    assert "sd.png" in done.left_out[0].message
    moodle = export_questions(bank, questions, "moodle-xml", actor=author)
    assert moodle.keys == ["H1", "H2"]
    assert b"@@PLUGINFILE@@/sd.png" in moodle.content


def test_the_cli_gives_a_legal_basis_to_the_questions_without_one(app, make, author, tmp_path):
    bank = make.bank(0)
    db.session.commit()
    path = tmp_path / "cb.yaml"
    path.write_bytes(NATIVE)
    runner = app.test_cli_runner()
    args = ["bank", "import", str(path), "--bank", bank.name, "--author", author.email]
    alone = runner.invoke(args=[*args, "--legal-basis-date", "30/06/2025"])
    assert alone.exit_code == 1
    assert "Ghi căn cứ pháp lý" in alone.output
    assert stored() == []
    result = runner.invoke(
        args=[
            *args,
            "--legal-basis",
            "Nghị định 170/2025/NĐ-CP",
            "--legal-basis-date",
            "30/06/2025",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "1 question(s) without a legal basis" in result.output
    own, given = stored()
    assert own.legal_basis_date == dt.date(2025, 6, 24)
    assert (given.legal_basis, given.legal_basis_date) == (
        "Nghị định 170/2025/NĐ-CP",
        dt.date(2025, 6, 30),
    )


def test_an_aiken_question_without_key_or_name_is_listed_by_its_line(app, make, author):
    bank = make.bank(0)
    db.session.commit()
    data = (
        "Cơ quan nào ban hành luật?\nA) Quốc hội\nB) Chính phủ\nANSWER: A\n\n"
        "Cơ quan nào ban hành nghị định?\nA) Quốc hội\nB) Chính phủ\nANSWER: B\n"
    ).encode()
    html = upload(login(app.test_client(), author), bank.id, data, "aiken.txt")
    rows = [cells(row) for row in rows_of(html)]
    assert [(row[0], row[1], row[5]) for row in rows] == [
        ("1", "—", "Cơ quan nào ban hành luật?"),
        ("6", "—", "Cơ quan nào ban hành nghị định?"),
    ]
