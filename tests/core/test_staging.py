"""Upload → preview → confirm, written once (exam/core/staging.py) and used by the candidates'
and the bank's imports: a staged file is its uploader's, taken once, and never kept long."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest

from exam.candidates.import_jobs import STAGED as CANDIDATES_STAGED
from exam.core.staging import StagedUploads
from exam.question_bank.imports import STAGED as BANK_STAGED

STAGED = StagedUploads("test-imports", suffix=".bin", max_age=dt.timedelta(hours=1))
ME, SOMEONE_ELSE = 7, 8


@pytest.fixture(autouse=True)
def uploads(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "uploads"))
    return tmp_path / "uploads"


def _age(token: str, hours: float, uploads) -> None:
    [path] = (uploads / STAGED.area).glob(f"*{token}*.bin")
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def test_both_imports_stage_through_the_one_rule():
    assert isinstance(CANDIDATES_STAGED, StagedUploads)
    assert isinstance(BANK_STAGED, StagedUploads)


def test_a_staged_file_is_loaded_by_its_uploader_with_its_meta():
    token = STAGED.stage(b"data", owner_id=ME, bank_id=3, filename="cau-hoi.xml")

    assert STAGED.load(token, owner_id=ME, bank_id=3) == (
        b"data",
        {"bank_id": 3, "filename": "cau-hoi.xml"},
    )
    assert STAGED.load(token, owner_id=SOMEONE_ELSE, bank_id=3) is None
    assert STAGED.load(token, owner_id=ME, bank_id=4) is None  # another bank's page


@pytest.mark.parametrize(
    "token",
    ["", None, "../../etc/passwd", "A" * 32, "0" * 31, "0" * 33, "0" * 32 + "/..", "*"],
)
def test_a_malformed_token_finds_nothing(token):
    STAGED.stage(b"data", owner_id=ME)

    assert STAGED.load(token, owner_id=ME) is None
    assert STAGED.claim(token, owner_id=ME) is None


def test_a_file_is_claimed_once_and_read_only_from_its_folder():
    token = STAGED.stage(b"data", owner_id=ME)

    assert STAGED.claim(token, owner_id=SOMEONE_ELSE) is None
    name = STAGED.claim(token, owner_id=ME)
    assert name is not None
    assert STAGED.claim(token, owner_id=ME) is None  # a second click
    assert STAGED.load(token, owner_id=ME) is None
    assert STAGED.read_claimed(name) == b"data"
    assert STAGED.read_claimed("../../" + name) == b"data"  # its folder's file, nothing else
    STAGED.drop_claimed(name)
    with pytest.raises(FileNotFoundError):
        STAGED.read_claimed(name)


def test_an_old_file_is_expired_and_removed_at_the_next_upload(uploads):
    old = STAGED.stage(b"old", owner_id=ME)
    _age(old, 2, uploads)

    assert STAGED.load(old, owner_id=ME) is None
    fresh = STAGED.stage(b"new", owner_id=ME)

    assert sorted(p.name for p in (uploads / STAGED.area).iterdir()) == [
        f"{ME}-{fresh}.bin",
        f"{ME}-{fresh}.json",
    ]


def test_a_discarded_file_is_gone(uploads):
    token = STAGED.stage(b"data", owner_id=ME)

    STAGED.discard(token, owner_id=SOMEONE_ELSE)  # not theirs: nothing happens
    assert STAGED.load(token, owner_id=ME) is not None
    STAGED.discard(token, owner_id=ME)
    assert STAGED.load(token, owner_id=ME) is None
    assert list((uploads / STAGED.area).iterdir()) == []


def test_a_staged_file_waits_in_either_store_and_is_taken_once(stored_on):
    """On several nodes the preview, the confirmation and the job may run on three of them:
    the file waits in the shared store, and its claim is an exclusive write there."""
    token = STAGED.stage(b"data", owner_id=ME, bank_id=3)
    assert STAGED.load(token, owner_id=ME, bank_id=3) == (b"data", {"bank_id": 3})

    name = STAGED.claim(token, owner_id=ME)
    assert name is not None
    assert STAGED.claim(token, owner_id=ME) is None  # a second click
    assert STAGED.load(token, owner_id=ME, bank_id=3) is None
    assert STAGED.read_claimed(name) == b"data"
    STAGED.drop_claimed(name)
    with pytest.raises(FileNotFoundError):
        STAGED.read_claimed(name)

    other = STAGED.stage(b"other", owner_id=ME)
    assert STAGED.prune() == []  # young files stay
    assert STAGED.prune(older_than=-dt.timedelta(hours=1)) == [f"{ME}-{other}.bin"]
    assert STAGED.load(other, owner_id=ME) is None


def test_a_claim_racing_another_for_one_file_loses_in_either_store(stored_on):
    """Both confirmations read the file before either took it: the claimed copy is written
    exclusively, so the second gets None."""
    from exam.core import staging

    token = STAGED.stage(b"data", owner_id=ME)
    first = STAGED.claim(token, owner_id=ME)
    assert first is not None
    store = staging.storage()
    key = f"{STAGED.folder}/{ME}-{token}.bin"
    store.put(key, b"data")  # as seen by a second node that read it before the delete
    assert STAGED.claim(token, owner_id=ME) is None
