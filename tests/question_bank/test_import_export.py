"""Import and export from the web page and the command line (the same code): the dry run
writes nothing, a bad file changes nothing and lists every problem with its line, a good
file comes in whole as drafts, every export is audited; embedded images are served to the
bank's people and, while on their running paper, to that candidate only."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine

from exam.accounts.models import Role
from exam.audit.models import AuditEntry
from exam.exams.models import Attempt, AttemptStatus
from exam.extensions import db
from exam.question_bank.formats import parse
from exam.question_bank.models import BankMedia, Question, QuestionStatus, QuestionVersion
from tests.conftest import login

SAMPLES = Path(__file__).parent / "formats" / "samples"
MOODLE = (SAMPLES / "moodle-export.xml").read_bytes()
GOOD_GIFT = """\
$CATEGORY: $course$/top/Luật Viên chức/Tuyển dụng

// [id:VC-1] [tag:tuyen-dung]
::Tập sự::Thời gian tập sự tối đa của viên chức? {=12 tháng ~6 tháng ~24 tháng}

::Viết tắt::Viết tắt của Ủy ban nhân dân? {=UBND =%50%UB}

::Số::Luật Viên chức có bao nhiêu chương? {#8}
""".encode()
BAD_GIFT = """\
::Một::Câu một {=a ~b}

::Hai::Câu hai thiếu dấu đóng {=a ~b

::Ba::Câu ba {~a ~b}
""".encode()


def _count(model=Question) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def author(make):
    return make.user(Role.QUESTION_AUTHOR)


def upload(client, bank_id, data, filename, fmt=""):
    return client.post(
        f"/bank/{bank_id}/import",
        data={"file": (io.BytesIO(data), filename), "format": fmt},
        content_type="multipart/form-data",
    )


def test_web_import_previews_then_imports_everything_as_drafts(app, make, author):
    bank = make.bank(0)
    db.session.commit()
    client = login(app.test_client(), author)
    preview = upload(client, bank.id, GOOD_GIFT, "vien-chuc.gift")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "GIFT (Moodle)" in html
    assert "Nhập 3 câu hỏi" in html
    assert "Luật Viên chức/Tuyển dụng" in html
    assert "Trả lời ngắn" in html
    assert _count() == 0  # the dry run writes nothing
    token = html.split('name="token" type="hidden" value="')[1].split('"')[0]

    done = client.post(f"/bank/{bank.id}/import/confirm", data={"token": token, "status": "draft"})
    assert done.status_code == 302
    db.session.expire_all()
    questions = db.session.scalars(sa.select(Question).order_by(Question.id)).all()
    assert [q.status for q in questions] == [QuestionStatus.DRAFT] * 3
    assert [q.current.type for q in questions] == ["single_choice", "short_answer", "numerical"]
    assert questions[0].key == "VC-1"
    assert [t.name for t in questions[0].tags] == ["tuyen-dung"]
    assert questions[0].category.path == "Luật Viên chức/Tuyển dụng"
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "bank.import")
    ).one()
    assert entry.after["count"] == 3
    assert entry.after["keys"][0] == "VC-1"

    # The same file again: every key is taken now, so it is refused whole.
    again = upload(client, bank.id, GOOD_GIFT, "vien-chuc.gift").get_data(as_text=True)
    assert "VC-1" in again
    assert "đã có trong ngân hàng" in again
    assert "Nhập 3 câu hỏi" not in again


def test_imported_questions_may_arrive_submitted_but_never_approved(app, make, author):
    bank = make.bank(0)
    db.session.commit()
    client = login(app.test_client(), author)
    html = upload(client, bank.id, MOODLE, "moodle.xml").get_data(as_text=True)
    token = html.split('name="token" type="hidden" value="')[1].split('"')[0]
    client.post(f"/bank/{bank.id}/import/confirm", data={"token": token, "status": "submitted"})
    db.session.expire_all()
    statuses = set(db.session.scalars(sa.select(Question.status)))
    assert statuses == {QuestionStatus.SUBMITTED}
    types = set(db.session.scalars(sa.select(QuestionVersion.type)))
    assert len(types) == 8  # every type of the sample
    # A forged status is refused: nothing approved by an import.
    refused = client.post(
        f"/bank/{bank.id}/import/confirm", data={"token": token, "status": "approved"}
    )
    assert "hết hạn" in refused.get_data(as_text=True)
    assert QuestionStatus.APPROVED not in set(db.session.scalars(sa.select(Question.status)))


def test_a_bad_file_lists_every_problem_with_its_line_and_changes_nothing(app, make, author):
    bank = make.bank(2)
    db.session.commit()
    before = _count()
    client = login(app.test_client(), author)
    html = upload(client, bank.id, BAD_GIFT, "sai.gift").get_data(as_text=True)
    assert "không câu hỏi nào được nhập" in html
    assert "<td>3</td>" in html  # the unclosed answer block
    assert "<td>5</td>" in html  # no correct answer in question three
    assert "Ba" in html
    assert 'name="token"' not in html  # nothing to confirm
    assert _count() == before


def test_an_unknown_file_is_refused_with_the_formats_it_could_be(app, make, author):
    bank = make.bank(0)
    db.session.commit()
    client = login(app.test_client(), author)
    html = upload(client, bank.id, b"just some words", "notes.doc").get_data(as_text=True)
    assert "không nhận ra định dạng" in html
    assert "GIFT" in html


def test_a_staged_file_is_only_confirmed_by_who_uploaded_it(app, make, author):
    bank = make.bank(0)
    other = make.user(Role.QUESTION_AUTHOR)
    db.session.commit()
    html = upload(login(app.test_client(), author), bank.id, GOOD_GIFT, "a.gift").get_data(
        as_text=True
    )
    token = html.split('name="token" type="hidden" value="')[1].split('"')[0]
    page = login(app.test_client(), other).post(
        f"/bank/{bank.id}/import/confirm", data={"token": token, "status": "draft"}
    )
    assert "hết hạn" in page.get_data(as_text=True)
    assert _count() == 0


def test_web_export_shows_losses_then_downloads_and_audits(app, make):
    bank = make.bank(3)
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    client = login(app.test_client(), board)
    check = client.get(f"/bank/{bank.id}/export?format=aiken").get_data(as_text=True)
    assert "3 câu hỏi được chọn" in check
    assert "không được ghi đầy đủ" in check  # Aiken keeps no legal basis nor difficulty
    response = client.post(f"/bank/{bank.id}/export", data={"format": "gift"})
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert len(parse(response.data, "gift")) == 3
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "bank.export")
    ).one()
    assert entry.actor_id == board.id
    assert len(entry.after["keys"]) == 3


def test_export_leaves_out_what_the_format_cannot_hold_and_says_why(app, make, author):
    from exam.question_bank.operations import create_question

    bank = make.bank(1)
    essay = create_question(bank, make.question_data(9, type="essay", choices=[]), actor=author)
    db.session.commit()
    client = login(app.test_client(), author)
    page = client.get(f"/bank/{bank.id}/export?format=aiken").get_data(as_text=True)
    assert "không ghi được 1 câu hỏi" in page
    assert f"{essay.key}: kiểu câu hỏi không được hỗ trợ trong định dạng này: essay" in page
    assert "Tải tệp xuống (1 câu hỏi)" in page
    response = client.post(f"/bank/{bank.id}/export", data={"format": "aiken"})
    assert "attachment" in response.headers["Content-Disposition"]
    assert len(parse(response.data, "aiken")) == 1
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "bank.export")
    ).one()
    assert entry.after["left_out"] == [essay.key]
    assert essay.key not in entry.after["keys"]


def test_export_filters_by_type_and_refuses_when_nothing_is_left(app, make, author):
    from exam.question_bank.operations import create_question

    bank = make.bank(2)
    essay = create_question(bank, make.question_data(9, type="essay", choices=[]), actor=author)
    db.session.commit()
    client = login(app.test_client(), author)
    page = client.get(f"/bank/{bank.id}/export?format=gift&qtype=essay").get_data(as_text=True)
    assert "GIFT (Moodle): 1 câu hỏi được chọn" in page
    response = client.post(f"/bank/{bank.id}/export", data={"format": "gift", "qtype": "essay"})
    [only] = parse(response.data, "gift")
    assert only.type == "essay"
    assert essay.key in response.get_data(as_text=True)
    refused = client.post(
        f"/bank/{bank.id}/export", data={"format": "aiken", "qtype": "essay"}, follow_redirects=True
    )
    assert refused.status_code == 200
    assert "Chưa lưu được" in refused.get_data(as_text=True)
    assert (
        len(
            db.session.scalars(
                sa.select(AuditEntry).where(AuditEntry.action == "bank.export")
            ).all()
        )
        == 1
    )


# --- the command line ----------------------------------------------------------------------


def test_cli_dry_run_writes_nothing(app, make, tmp_path):
    bank = make.bank(0)
    db.session.commit()
    path = tmp_path / "good.gift"
    path.write_bytes(GOOD_GIFT)
    result = app.test_cli_runner().invoke(
        args=["bank", "import", str(path), "--bank", bank.name, "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "3 question(s)" in result.output
    assert "Dry run" in result.output
    assert _count() == 0


def test_cli_bad_file_is_refused_whole_with_lines(app, make, author, tmp_path):
    bank = make.bank(0)
    db.session.commit()
    path = tmp_path / "bad.gift"
    path.write_bytes(BAD_GIFT)
    result = app.test_cli_runner().invoke(
        args=["bank", "import", str(path), "--bank", bank.name, "--author", author.email]
    )
    assert result.exit_code == 1
    assert "dòng 3" in result.output
    assert "dòng 5" in result.output
    assert "nothing imported" in result.output
    assert _count() == 0


def test_cli_import_then_export_round_trip(app, make, author, tmp_path):
    path = tmp_path / "moodle.xml"
    path.write_bytes(MOODLE)
    runner = app.test_cli_runner()
    missing_author = runner.invoke(args=["bank", "import", str(path), "--bank", "Ngân hàng CLI"])
    assert missing_author.exit_code != 0
    assert "--author" in missing_author.output
    result = runner.invoke(
        args=["bank", "import", str(path), "--bank", "Ngân hàng CLI", "--author", author.email]
    )
    assert result.exit_code == 0, result.output
    assert "Imported 8 question(s)" in result.output
    assert _count() == 8
    assert _count(BankMedia) == 1  # the embedded image, stored once

    out = tmp_path / "out.yaml"
    result = runner.invoke(
        args=[
            "bank",
            "export",
            "--bank",
            "Ngân hàng CLI",
            "--format",
            "native",
            "--output",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    exported = parse(out.read_bytes(), "native")
    assert len(exported) == 8
    image = next(q for q in exported if q.media)
    assert image.media["so do.png"] == bytes.fromhex("89504e470d0a1a0a0000000d49484452")
    result = runner.invoke(
        args=[
            "bank",
            "export",
            "--bank",
            "Ngân hàng CLI",
            "--format",
            "aiken",
            "--output",
            str(out),
        ]
    )
    # Aiken holds only the single-choice questions: the others are left out, each named.
    assert result.exit_code == 0, result.output
    assert result.output.count("LEFT OUT") == 7
    assert len(parse(out.read_bytes(), "aiken")) == 1
    db.session.expire_all()
    exports = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "bank.export"))
    assert [e.after["count"] for e in exports] == [8, 1]


# --- embedded images -------------------------------------------------------------------------


def _image_question(make, author):
    from exam.question_bank.imports import plan_import, run_import

    bank = make.bank(0)
    plan = plan_import(bank, MOODLE, "moodle-xml", "moodle.xml")
    (question,) = [q for q in run_import(bank, plan, actor=author) if q.current.media]
    return question


def test_images_are_served_to_the_bank_and_shown_in_the_question(app, make, author):
    question = _image_question(make, author)
    candidate = make.user(Role.CANDIDATE)
    db.session.commit()
    version = question.current
    url = f"/bank/media/{version.id}/so%20do.png"
    client = login(app.test_client(), author)
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    page = client.get(f"/bank/questions/{question.id}").get_data(as_text=True)
    assert f'src="/bank/media/{version.id}/so%20do.png"' in page
    assert "<script>" not in page
    assert login(app.test_client(), candidate).get(url).status_code == 404
    assert client.get(f"/bank/media/{version.id}/missing.png").status_code == 404


def test_a_candidate_sees_an_image_only_through_their_running_attempt(app, make, author):
    """The bank's route is for the bank's people only; a candidate's paper links its
    images to the attempt's own route (tests/exams/test_question_html.py)."""
    round_ = make.round()
    application = make.application(round_.positions[0])
    other = make.application(round_.positions[0])
    test = make.test(round_, question_count=1)
    attempt = make.attempt(test, application)
    version = attempt.questions[0].version
    media = BankMedia(
        bank_id=test.bank_id, sha256="0" * 64, content_type="image/png", size=3, content=b"png"
    )
    db.session.add(media)
    version.media = {"a.png": "0" * 64}
    db.session.commit()
    bank_url = f"/bank/media/{version.id}/a.png"
    attempt_url = f"/attempts/{attempt.id}/assets/{'0' * 64}"
    with time_machine.travel(test.starts_at + dt.timedelta(minutes=1), tick=False):
        mine = login(app.test_client(), application.candidate)
        assert mine.get(attempt_url).status_code == 404  # the paper has not started
        attempt.status, attempt.started_at = AttemptStatus.IN_PROGRESS, test.starts_at
        db.session.commit()
        assert mine.get(attempt_url).status_code == 200
        assert mine.get(bank_url).status_code == 404  # never the bank's route
        assert login(app.test_client(), other.candidate).get(attempt_url).status_code == 404
        submitted = db.session.get(Attempt, attempt.id)
        submitted.status, submitted.submitted_at = AttemptStatus.SUBMITTED, test.starts_at
        submitted.score = submitted.final_score = 0.0
        db.session.commit()
        assert mine.get(attempt_url).status_code == 404


def test_moodle_gift_export_imports_with_its_notices_shown(app, make, author):
    bank = make.bank(0)
    db.session.commit()
    client = login(app.test_client(), author)
    data = (SAMPLES / "moodle-gift-export.txt").read_bytes()
    html = upload(client, bank.id, data, "moodle.txt").get_data(as_text=True)
    assert "Nhập 4 câu hỏi" in html
    assert "Ghi chú: 3 mục" in html
    assert "bỏ qua mục mô tả" in html
    token = html.split('name="token" type="hidden" value="')[1].split('"')[0]
    client.post(f"/bank/{bank.id}/import/confirm", data={"token": token, "status": "draft"})
    assert _count() == 4


# --- damaged packages (issue 10 item 7) ------------------------------------------------------


def _qti_package() -> bytes:
    from exam.question_bank.formats import dump, exportable

    questions, _losses = exportable(parse(MOODLE, "moodle-xml"), "qti")
    return dump(questions, "qti")


def _corrupted(package: bytes, part: str) -> bytes:
    """One byte of a file's compressed data flipped: the zip's directory still reads (the
    package is recognised), the file inside does not (wrong CRC)."""
    import zipfile

    info = next(i for i in zipfile.ZipFile(io.BytesIO(package)).infolist() if part in i.filename)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    damaged = bytearray(package)
    damaged[start + info.compress_size // 2] ^= 0xFF
    return bytes(damaged)


@pytest.mark.parametrize("part", ["imsmanifest.xml", "item.xml"])
@pytest.mark.parametrize("filename", ["cau-hoi.xlsx", "cau-hoi.zip"])
def test_a_damaged_package_is_refused_in_words_and_nothing_imported(
    app, make, author, part, filename
):
    """A QTI package whose manifest or item is corrupted made zipfile raise "Bad CRC-32"
    while the package was read: a 500, whatever the file was named."""
    bank = make.bank(0)
    db.session.commit()
    client = login(app.test_client(), author)
    response = upload(client, bank.id, _corrupted(_qti_package(), part), filename)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Tệp nén bị hỏng: không giải nén được các tệp bên trong." in html
    assert 'name="token"' not in html
    assert _count() == 0


def test_a_broken_zip_named_xlsx_is_refused_in_words(app, make, author):
    bank = make.bank(0)
    db.session.commit()
    client = login(app.test_client(), author)
    response = upload(client, bank.id, b"PK\x03\x04" + b"\x00garbage" * 100, "cau-hoi.xlsx")
    assert response.status_code == 200
    assert "không nhận ra định dạng của tệp «cau-hoi.xlsx»" in response.get_data(as_text=True)
    assert _count() == 0


def test_a_qti_2_2_file_is_labelled_2_2_whatever_qti_format_is_chosen(app, make, author):
    from exam.question_bank.imports import plan_import

    bank = make.bank(0)
    data = (SAMPLES / "qti22-tao-item.xml").read_bytes()
    for chosen in (None, "qti", "qti-2.2"):
        plan = plan_import(bank, data, chosen, "item.xml")
        assert (plan.format, plan.format_label) == ("qti-2.2", "IMS QTI 2.2")
        assert not plan.problems
        assert len(plan.notices) == 1  # the "right answer" feedback, merged


def test_a_manifest_alone_is_named_on_the_import_page(app, make, author):
    bank = make.bank(0)
    db.session.commit()
    client = login(app.test_client(), author)
    data = (SAMPLES / "imsmanifest.xml").read_bytes()
    html = upload(client, bank.id, data, "imsmanifest.xml").get_data(as_text=True)
    assert "hãy tải lên cả gói ZIP" in html
    assert "quiz" not in html


def test_a_retired_question_in_a_file_stays_retired_and_is_never_drawn(app, make, author):
    """``status: retired`` (history of a replaced law): imported retired even when the import
    sends the others for review, left out of the approved pool, written back by the export."""
    from exam.core.errors import DomainError
    from exam.exams.definition import approved_pool
    from exam.question_bank.operations import (
        approve_question,
        export_questions,
        import_questions,
        submit_for_review,
    )

    text = b"""\
format: exam-bank/1
questions:
  - id: OLD-2008
    type: true_false
    status: retired
    legal_basis: "Lu\xe1\xba\xadt s\xe1\xbb\x91 22/2008/QH12"
    text: "Ba"
    answer: true
  - id: NEW-2025
    type: true_false
    text: "Hai"
    answer: false
"""
    bank = make.bank(0)
    old, new = import_questions(
        bank, parse(text, "native"), actor=author, status=QuestionStatus.SUBMITTED
    )
    assert old.status == QuestionStatus.RETIRED
    assert new.status == QuestionStatus.SUBMITTED
    approve_question(new, actor=make.user(Role.QUESTION_AUTHOR), at=dt.datetime.now(dt.UTC))
    db.session.flush()
    assert [q.key for q, _ in approved_pool(bank.id)] == ["NEW-2025"]
    with pytest.raises(DomainError):  # history is never sent for review
        submit_for_review(old, actor=author)
    exported = export_questions(bank, [old, new], "native", actor=author).content.decode()
    assert exported.count("status: retired") == 1
    assert exported.index("status: retired") < exported.index("NEW-2025")
