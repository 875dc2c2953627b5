"""A refused upload leaves no file behind (exam/core/files.py): scans written before the
refusal are deleted with the rolled-back transaction."""

from __future__ import annotations

import io
import zipfile

import sqlalchemy as sa

from exam.core.errors import DomainError
from exam.core.storage import storage
from exam.extensions import db
from exam.marking import papers
from exam.marking.models import PaperScript
from exam.marking.papers import define_paper_test
from exam.marking.scans import FOLDER as SCANS
from tests.conftest import login
from tests.marking.conftest import Essays


def _scan_keys() -> set[str]:
    return {found.key for found in storage().listing(SCANS)}


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _pdf(n: int) -> bytes:
    return b"%PDF-1.4\n% scan " + str(n).encode() + b"\n%%EOF\n"


def test_a_zip_refused_after_some_scans_were_written_leaves_no_file(
    app, essays: Essays, monkeypatch, stored_on
):
    """The third scan's audit entry fails (a refusal after two files are on disk): the page
    says why, no row is saved and no file stays in the scans' folder."""
    paper_test = define_paper_test(
        essays.round, "Bài viết trên giấy", [("Nội dung", 100)], actor=essays.anonymiser
    )
    db.session.commit()
    before = _scan_keys()
    calls = {"n": 0}
    real_record = papers.record

    def failing_record(action, *args, **kwargs):
        if action == "marking.scan_upload":
            calls["n"] += 1
            if calls["n"] == 3:
                assert len(_scan_keys() - before) == 3  # written before the refusal
                raise DomainError("Sổ nhật ký tạm thời không ghi được.")
        return real_record(action, *args, **kwargs)

    monkeypatch.setattr(papers, "record", failing_record)
    numbers = [essays.attempt(n).application.registration_number for n in range(3)]
    client = login(app.test_client(), essays.anonymiser)
    response = client.post(
        f"/paper-tests/{paper_test.id}/scans.zip",
        data={
            "file": (
                io.BytesIO(_zip({f"{n}.pdf": _pdf(i) for i, n in enumerate(numbers)})),
                "a.zip",
            )
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    assert "Sổ nhật ký tạm thời không ghi được." in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(PaperScript.id))) == 0
    assert _scan_keys() == before
