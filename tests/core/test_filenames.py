"""Uploaded names made safe to show and to offer for download (exam/core/filenames.py)."""

from __future__ import annotations

import unicodedata

import pytest
import sqlalchemy as sa

from exam.accounts.models import Role
from exam.audit.models import AuditEntry
from exam.core.filenames import MAX_LENGTH, clean_filename, download_name
from exam.extensions import db
from exam.question_bank.imports import plan_import, run_import


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Quyết định.pdf", "Quyết định.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("a\x00b\x07c\x7fd\x85e\x9f.pdf", "abcd e.pdf"),  # NEL is a line break
        ("dòng\r\nhai\tba.pdf", "dòng hai ba.pdf"),
        ("C:\\Users\\An\\hồ sơ.pdf", "hồ sơ.pdf"),
        ("../../etc/passwd", "passwd"),
        ("  ...ẩn...  ", "ẩn"),
        ("\u2066\u2069\u200e", "tep"),
        (None, "tep"),
        ("a\u2028b\u00a0c.pdf", "a b c.pdf"),
        ("\U000f0000riêng.pdf", "riêng.pdf"),  # private use
    ],
)
def test_clean_filename(name, expected):
    assert clean_filename(name) == expected


def test_clean_filename_normalises_to_nfc_and_bounds_the_length():
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Ánh.pdf")
    assert clean_filename(decomposed) == "Nguyễn Thị Ánh.pdf"
    assert len(clean_filename("x" * 1000)) == MAX_LENGTH
    assert clean_filename("", fallback="") == ""


@pytest.mark.parametrize(
    ("name", "extension", "expected"),
    [
        ("invoice\u202efdp.exe", ".pdf", "invoicefdp.pdf"),
        ("ảnh.PNG", ".png", "ảnh.png"),
        ("không đuôi", ".jpg", "không đuôi.jpg"),
        ("bản.tar.gz", ".pdf", "bản.tar.pdf"),
        ("tên. .exe", ".pdf", "tên.pdf"),
        (".exe", ".pdf", "exe.pdf"),
        ("", ".pdf", "tep.pdf"),
        ("y" * 300 + ".exe", ".pdf", "y" * (MAX_LENGTH - 4) + ".pdf"),
    ],
)
def test_download_name_takes_the_stored_types_extension(name, extension, expected):
    assert download_name(name, extension) == expected


def test_a_bank_import_keeps_its_files_name_cleaned(make):
    """The imported file's name is shown on the import page and kept in the audit entry of
    the import: no bidi or control character survives."""
    bank = make.bank(0)
    gift = "::Q1:: Thủ đô của Việt Nam là? {=Hà Nội ~Huế ~Đà Nẵng}\n".encode()
    plan = plan_import(bank, gift, None, "cau-hoi\u202etxt.\x00gift")
    assert plan.ok, plan.problems
    assert plan.filename == "cau-hoitxt.gift"
    run_import(bank, plan, actor=make.user(Role.QUESTION_AUTHOR))
    [entry] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "bank.import"))
    assert entry.after["source"] == "cau-hoitxt.gift (gift)"
