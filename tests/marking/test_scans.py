"""Paper scripts (docs/domain.md §6, issue 14 item 1): a written test sat on paper, its scans
uploaded one by one or as a ZIP taken whole or refused whole, served under the code only to
the Ban phách and the markers drawn, marked on the test's criteria, unsealed to a score the
results can read."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest
import sqlalchemy as sa

from exam.audit.models import AuditEntry
from exam.core.errors import DomainError, ValidationFailed
from exam.core.storage import storage
from exam.extensions import db
from exam.marking.models import PaperScript, PaperTest, Script, ScriptStatus
from exam.marking.operations import code_scripts, hand_over
from exam.marking.papers import define_paper_test, upload_scan, upload_scan_zip
from exam.marking.queries import written_scores
from exam.marking.scans import FOLDER as SCANS
from exam.marking.sheets import submit_sheet
from tests.conftest import login
from tests.marking.conftest import AFTER, NAMES, Essays

D = Decimal
NUMBERS = ["48213", "48214", "48215"]  # the essays' candidates, in order


def _scan_keys() -> set[str]:
    return {found.key for found in storage().listing(SCANS)}


def _pdf(n: int) -> bytes:
    return b"%PDF-1.4\n% scanned script " + str(n).encode() + b"\n%%EOF\n"


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _paper_test(w: Essays) -> PaperTest:
    return define_paper_test(
        w.round,
        "Bài thi viết môn Kiến thức chung",
        [("Nội dung", D(60)), ("Trình bày, lập luận", D(40))],
        actor=w.anonymiser,
    )


def _stored() -> list[PaperScript]:
    return list(db.session.scalars(sa.select(PaperScript)))


def _actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.seq)))


def _refusal(w: Essays, entries: dict[str, bytes]) -> str:
    paper_test = _paper_test(w)
    files_before = _scan_keys()
    with pytest.raises(ValidationFailed) as refused:
        upload_scan_zip(paper_test, _zip(entries), actor=w.anonymiser, at=AFTER)
    assert _stored() == []
    assert _scan_keys() == files_before  # not a file written either
    return str(refused.value)


# --- the ZIP ----------------------------------------------------------------------------------


def test_a_zip_whose_numbers_are_all_known_is_stored_whole_with_its_report(essays, stored_on):
    paper_test = _paper_test(essays)
    report = upload_scan_zip(
        paper_test,
        _zip({"48213.pdf": _pdf(0), "scans/48214.PDF": _pdf(1), "__MACOSX/._48213.pdf": b"x"}),
        actor=essays.anonymiser,
        at=AFTER,
    )
    assert (report.added, report.replaced, report.missing) == (["48213", "48214"], [], ["48215"])
    stored = {s.application.registration_number: s for s in _stored()}
    assert set(stored) == {"48213", "48214"}
    assert storage().read(f"{SCANS}/{stored['48213'].stored_name}") == _pdf(0)
    assert _actions().count("marking.scan_upload") == 2
    assert "marking.scan_zip" in _actions()


def test_a_zip_with_an_unknown_registration_number_is_refused_and_nothing_is_saved(essays):
    message = _refusal(essays, {"48213.pdf": _pdf(0), "99999.pdf": _pdf(1)})
    assert "99999" in message
    assert "không lưu tệp nào" in message


def test_a_zip_refused_through_the_page_says_why_and_saves_nothing(app, essays):
    paper_test = _paper_test(essays)
    db.session.commit()
    client = login(app.test_client(), essays.anonymiser)
    response = client.post(
        f"/paper-tests/{paper_test.id}/scans.zip",
        data={"file": (io.BytesIO(_zip({"48213.pdf": _pdf(0), "77777.pdf": _pdf(1)})), "a.zip")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "77777" in page
    assert _stored() == []


def test_a_registration_number_twice_in_one_zip_is_refused(essays):
    message = _refusal(essays, {"48213.pdf": _pdf(0), "b/48213.PDF": _pdf(1)})
    assert "48213" in message
    assert "trùng" in message


def test_a_file_renamed_pdf_is_read_by_its_content_and_refused(essays):
    message = _refusal(essays, {"48213.pdf": b"MZ\x90\x00 not a pdf", "48214.pdf": _pdf(1)})
    assert "48213.pdf" in message
    assert "không phải tệp PDF" in message


@pytest.mark.parametrize(
    "name", ["../48213.pdf", "/etc/48213.pdf", "C:/x/48213.pdf", "a\\48213.pdf"]
)
def test_a_name_holding_a_path_is_refused(essays, name):
    message = _refusal(essays, {name: _pdf(0), "48214.pdf": _pdf(1)})
    assert "đường dẫn" in message


def test_too_many_files_are_refused_before_any_is_read(app, essays, monkeypatch):
    monkeypatch.setitem(app.config, "SCAN_ZIP_MAX_FILES", 2)
    message = _refusal(essays, {f"{n}.pdf": _pdf(0) for n in NUMBERS})
    assert "tối đa 2" in message


def test_a_zip_bomb_is_refused_on_what_it_inflates_to_not_what_it_claims(app, essays, monkeypatch):
    monkeypatch.setitem(app.config, "SCAN_ZIP_MAX_BYTES", 1024 * 1024)
    bomb = b"%PDF-1.4\n" + b"\0" * (8 * 1024 * 1024)  # 8 MB of zeros: a few kB compressed
    entries = {"48213.pdf": bomb}
    assert len(_zip(entries)) < 64 * 1024
    message = _refusal(essays, entries)
    assert "giải nén" in message


def test_a_scan_above_the_upload_limit_is_refused(app, essays, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 1024)
    message = _refusal(essays, {"48213.pdf": _pdf(0) + b" " * 2048, "48214.pdf": _pdf(1)})
    assert "48213.pdf" in message
    assert "quá lớn" in message


def test_a_damaged_zip_is_refused(essays):
    paper_test = _paper_test(essays)
    with pytest.raises(ValidationFailed, match="ZIP"):
        upload_scan_zip(paper_test, b"PK\x03\x04 not really", actor=essays.anonymiser, at=AFTER)


# --- one by one -------------------------------------------------------------------------------


def test_one_scan_replaces_the_earlier_one_audited(essays):
    paper_test = _paper_test(essays)
    first = upload_scan(paper_test, "48213", _pdf(0), actor=essays.anonymiser, at=AFTER)
    first_sha = first.sha256
    second = upload_scan(paper_test, " 48213 ", _pdf(9), actor=essays.anonymiser, at=AFTER)
    assert second.id == first.id
    assert len(_stored()) == 1
    assert storage().read(f"{SCANS}/{second.stored_name}") == _pdf(9)
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "marking.scan_replace")
    )
    assert entry is not None
    assert entry.before["sha256"] == first_sha
    assert entry.after["sha256"] == second.sha256 != first_sha


def test_one_scan_refused_for_an_unknown_number_or_a_non_pdf(essays):
    paper_test = _paper_test(essays)
    with pytest.raises(ValidationFailed) as refused:
        upload_scan(paper_test, "12345", b"\x7fELF", actor=essays.anonymiser, at=AFTER)
    assert "12345" in str(refused.value)
    assert "PDF" in str(refused.value)
    assert _stored() == []


def test_no_scan_is_changed_once_the_round_is_coded(essays):
    paper_test = _paper_test(essays)
    upload_scan(paper_test, "48213", _pdf(0), actor=essays.anonymiser, at=AFTER)
    code_scripts(essays.round, actor=essays.anonymiser, at=AFTER)
    with pytest.raises(DomainError, match="đánh phách"):
        upload_scan(paper_test, "48213", _pdf(1), actor=essays.anonymiser, at=AFTER)


# --- served under the code --------------------------------------------------------------------


def _scanned_and_handed_over(w: Essays) -> Script:
    paper_test = _paper_test(w)
    upload_scan_zip(
        paper_test,
        _zip({f"{n}.pdf": _pdf(i) for i, n in enumerate(NUMBERS)}),
        actor=w.anonymiser,
        at=AFTER,
    )
    code_scripts(w.round, actor=w.anonymiser, at=AFTER)
    hand_over(w.round, actor=w.anonymiser, at=AFTER)
    db.session.commit()
    return db.session.scalar(
        sa.select(Script)
        .join(PaperScript, PaperScript.id == Script.paper_script_id)
        .where(
            PaperScript.application_id == w.attempt(0).application_id,
            Script.remark.is_(False),  # the first marking's, not an appeal's re-marking
        )
    )


def test_the_scan_is_served_to_its_markers_and_the_ban_phach_and_404_to_anyone_else(app, essays):
    script = _scanned_and_handed_over(essays)
    url = f"/scripts/{script.id}/scan.pdf"
    drawn = {s.marker_id for s in script.sheets}
    for marker in essays.markers[1:]:  # the head of marking settles: may read it
        status = login(app.test_client(), marker).get(url).status_code
        assert status == (200 if marker.id in drawn else 404), marker.full_name
    assert any(m.id not in drawn for m in essays.markers[1:])
    assert login(app.test_client(), essays.anonymiser).get(url).status_code == 200
    for person in (essays.council, essays.supervisor, essays.candidates[0]):
        assert login(app.test_client(), person).get(url).status_code == 404
    online = db.session.scalar(sa.select(Script).where(Script.attempt_id.is_not(None)))
    assert (
        login(app.test_client(), essays.anonymiser)
        .get(f"/scripts/{online.id}/scan.pdf")
        .status_code
        == 404
    )


def test_the_scan_response_names_the_code_and_never_the_candidate(app, essays, stored_on):
    script = _scanned_and_handed_over(essays)
    marker = script.sheets[0].marker
    response = login(app.test_client(), marker).get(f"/scripts/{script.id}/scan.pdf")
    assert response.status_code == 200
    assert response.data == _pdf(0)
    assert response.mimetype == "application/pdf"
    assert script.code in response.headers["Content-Disposition"]
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    for secret in (*NAMES, *NUMBERS, "Nguyen"):
        assert secret not in headers
    assert "no-store" in response.headers["Cache-Control"]
    sheet_page = login(app.test_client(), marker).get(f"/marking/sheets/{script.sheets[0].id}")
    html = sheet_page.get_data(as_text=True)
    assert f"/scripts/{script.id}/scan.pdf" in html
    assert "Trình bày, lập luận" in html
    assert not any(secret in html for secret in (*NAMES, *NUMBERS))


# --- the whole chain --------------------------------------------------------------------------


def test_from_the_zip_to_the_unsealed_score_the_results_read(app, essays):
    paper_test = _paper_test(essays)
    db.session.commit()
    ban_phach = login(app.test_client(), essays.anonymiser)
    zipped = _zip({f"{n}.pdf": _pdf(i) for i, n in enumerate(NUMBERS)})
    response = ban_phach.post(
        f"/paper-tests/{paper_test.id}/scans.zip",
        data={"file": (io.BytesIO(zipped), "scans.zip")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert len(_stored()) == 3
    assert ban_phach.post(f"/rounds/{essays.round_id}/marking/code").status_code == 302
    assert ban_phach.post(f"/rounds/{essays.round_id}/marking/hand-over").status_code == 302
    scripts = list(db.session.scalars(sa.select(Script)))
    assert len(scripts) == 6  # three online essays, three scans
    assert all(s.status == ScriptStatus.MARKING for s in scripts)
    for script in scripts:
        for sheet in script.sheets:
            item = script.essay_items()[0]
            second = sheet.turn == 2 and script.paper_script_id is not None
            marks = {f"mark-{item.id}-0": "50", f"mark-{item.id}-1": "31" if second else "30"}
            if script.paper_script_id is not None and sheet.turn == 1:
                client = login(app.test_client(), sheet.marker)  # through the page
                page = client.post(f"/marking/sheets/{sheet.id}", data={**marks, "comments": ""})
                assert page.status_code == 302
            else:
                submit_sheet(sheet, marks, "", actor=sheet.marker, at=AFTER)
                db.session.commit()
    db.session.expire_all()
    assert all(s.status == ScriptStatus.FINAL for s in db.session.scalars(sa.select(Script)))
    assert written_scores(essays.round_id) == {}  # with the codes until unsealing
    assert ban_phach.post(f"/rounds/{essays.round_id}/marking/unseal").status_code == 302
    db.session.expire_all()
    scores = written_scores(essays.round_id)[paper_test.id]
    assert scores == {essays.attempt(n).application_id: D("80.50") for n in range(3)}
    assert {s.points for s in _stored()} == {D("80.50")}
    assert essays.attempt(0).final_score == 80.0  # the online essays joined their papers too
    unsealed = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "marking.unseal"))
    assert unsealed is not None


# --- a refused sheet keeps the points typed ---------------------------------------------------


def test_a_refused_sheet_comes_back_with_the_points_typed(app, essays):
    script = _scanned_and_handed_over(essays)
    sheet = script.sheets[0]
    client = login(app.test_client(), sheet.marker)
    url = f"/marking/sheets/{sheet.id}"
    response = client.post(url, data={"mark-0-0": "61", "mark-0-1": "37,5", "comments": "Ổn"})
    assert response.status_code == 303
    html = client.get(url).get_data(as_text=True)
    assert 'value="61"' in html
    assert 'value="37,5"' in html
    assert "từ 0 đến 60" in html
    db.session.expire_all()
    assert db.session.get(type(sheet), sheet.id).submitted_at is None


# --- the audit trail vouches for the marking's values -----------------------------------------


def test_audit_verify_finds_a_sheet_a_final_score_or_a_written_score_changed_in_sql(essays):
    from exam.audit.reconcile import compare_with_trail
    from exam.marking.models import MarkingSheet, ZeroReason
    from exam.marking.operations import record_zero, unseal

    paper_test = _paper_test(essays)
    zipped = _zip({f"{n}.pdf": _pdf(i) for i, n in enumerate(NUMBERS)})
    upload_scan_zip(paper_test, zipped, actor=essays.anonymiser, at=AFTER)
    scripts = code_scripts(essays.round, actor=essays.anonymiser, at=AFTER)
    zero = scripts[0]
    record_zero(zero, ZeroReason.FOREIGN_PAPER, "Giấy nháp lạ.", actor=essays.anonymiser, at=AFTER)
    hand_over(essays.round, actor=essays.anonymiser, at=AFTER)
    for script in scripts[1:]:
        for sheet in script.sheets:
            item = script.essay_items()[0]
            marks = {f"mark-{item.id}-0": "40", f"mark-{item.id}-1": "30"}
            submit_sheet(sheet, marks, "", actor=sheet.marker, at=AFTER)
    unseal(essays.round, actor=essays.anonymiser, at=AFTER)
    db.session.flush()

    def marking_problems() -> list[str]:  # the fixture writes the SBDs directly, unaudited
        return [p for p in compare_with_trail() if not p.startswith("Số báo danh")]

    assert marking_problems() == []
    sheet = scripts[1].sheets[0]
    scanned = next(s for s in scripts if s.paper_script_id is not None)
    for statement, values in (
        ("UPDATE marking_sheets SET score = 99 WHERE id = :id", {"id": sheet.id}),
        ("UPDATE marking_scripts SET final_score = 98 WHERE id = :id", {"id": zero.id}),
        (
            "UPDATE marking_paper_scripts SET score = 97, points = 97 WHERE id = :id",
            {"id": scanned.paper_script_id},
        ),
    ):
        db.session.execute(sa.text(statement), values)
    db.session.expire_all()
    problems = "\n".join(marking_problems())
    assert f"#{sheet.id} là 99" in problems
    assert f"#{zero.id} là 98" in problems
    assert f"#{scanned.paper_script_id} là 97" in problems
    assert db.session.get(MarkingSheet, sheet.id).score == 99


def test_the_interviews_wait_for_every_scanned_script_to_be_unsealed(essays):
    from exam.marking.operations import unseal
    from exam.rounds.models import RoundStatus
    from exam.rounds.stages import guard_problems

    def problems() -> list[str]:
        found = guard_problems(essays.round, RoundStatus.INTERVIEWS, AFTER)
        return [p for p in found if "Kiến thức chung" in p]

    paper_test = _paper_test(essays)
    assert problems() == ["Bài thi viết môn Kiến thức chung: chưa có bài thi đã quét."]
    zipped = _zip({f"{n}.pdf": _pdf(i) for i, n in enumerate(NUMBERS)})
    upload_scan_zip(paper_test, zipped, actor=essays.anonymiser, at=AFTER)
    assert "còn 3 bài thi viết trên giấy" in problems()[0]
    scripts = code_scripts(essays.round, actor=essays.anonymiser, at=AFTER)
    hand_over(essays.round, actor=essays.anonymiser, at=AFTER)
    for script in scripts:
        for sheet in script.sheets:
            item = script.essay_items()[0]
            marks = {f"mark-{item.id}-0": "40", f"mark-{item.id}-1": "30"}
            submit_sheet(sheet, marks, "", actor=sheet.marker, at=AFTER)
    assert "còn 3 bài thi viết trên giấy" in problems()[0]  # final, still sealed
    unseal(essays.round, actor=essays.anonymiser, at=AFTER)
    assert problems() == []
