"""The confirmed import runs as a background job (exam/core/jobs.py): accounts without a
password hash, progress on a page and in JSON, everything or nothing saved, the reason of
a failure in Vietnamese. Jobs run inline in the tests (JOBS_RUN_INLINE); one test runs
one through the real thread."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
import time_machine
from argon2 import PasswordHasher

from exam.accounts.models import AccountToken, Role, User
from exam.audit.models import AuditEntry
from exam.candidates.models import Application
from exam.core.db import utcnow
from exam.core.jobs import Job, JobStatus, wait_for
from exam.extensions import db
from exam.notices.models import NoticeKind, OutboxMessage
from tests.candidates.test_import import GOOD_ROWS, _counts, _filled, _preview, _template
from tests.conftest import login
from tests.factories import T0


@pytest.fixture
def setting(app, make):
    round_ = make.round()
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    return round_, board


def _rows(count: int) -> list[dict]:
    """``count`` valid rows: new candidates, CCCD numbers matching a man born in 1982."""
    return [
        {
            **GOOD_ROWS[0],
            "Họ và tên": f"Nguyễn Văn Thử {n}",
            "Email": f"thu{n}@benhvien.example",
            "Số CCCD": f"001082{n:06d}",
        }
        for n in range(count)
    ]


def _token(preview) -> str:
    return preview.get_data(as_text=True).split('name="token" value="')[1].split('"')[0]


def _confirm(app, round_, board, token):
    with time_machine.travel(T0, tick=False):
        return login(app.test_client(), board).post(
            f"/rounds/{round_.id}/applications/import/confirm", data={"token": token}
        )


def _job_id(response) -> int:
    match = re.fullmatch(
        r"/rounds/\d+/applications/import/jobs/(\d+)", response.headers["Location"]
    )
    assert match, response.headers["Location"]
    return int(match.group(1))


def _job(job_id: int) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


@pytest.fixture
def hashing(monkeypatch):
    """Counts argon2 hash and verify calls."""
    calls = {"hash": 0, "verify": 0}
    original_hash, original_verify = PasswordHasher.hash, PasswordHasher.verify

    def counted_hash(self, *args, **kwargs):
        calls["hash"] += 1
        return original_hash(self, *args, **kwargs)

    def counted_verify(self, *args, **kwargs):
        calls["verify"] += 1
        return original_verify(self, *args, **kwargs)

    monkeypatch.setattr(PasswordHasher, "hash", counted_hash)
    monkeypatch.setattr(PasswordHasher, "verify", counted_verify)
    return calls


def test_300_rows_make_accounts_without_a_password_hash_in_one_job(app, setting, hashing):
    round_, board = setting
    data = _filled(_template(app, round_, board), _rows(300))
    preview = _preview(app, round_, board, data)
    text = preview.get_data(as_text=True)
    assert "Xem trước: 300 hồ sơ hợp lệ" in text
    assert "… và 100 dòng khác." in text  # the preview table stops at 200 rows
    assert _counts() == (0, 0, 0)

    done = _confirm(app, round_, board, _token(preview))
    assert done.status_code == 302
    job = _job(_job_id(done))
    assert job.status == JobStatus.DONE
    assert (job.done, job.total) == (300, 300)
    assert job.result == {"round_id": round_.id, "created": 300, "invited": 300}
    assert job.message == (
        "Đã nhập 300 hồ sơ dự tuyển và gửi thư mời đặt mật khẩu cho 300 thí sinh."
    )
    assert job.created_by_id == board.id

    assert _counts() == (300, 300, 600)  # dossier received, invitation
    assert hashing["hash"] == 0  # not one argon2 hash: the import made 2,000 rows take 302 s
    users = db.session.scalars(sa.select(User).where(User.email.like("thu%@benhvien.example")))
    users = list(users)
    assert len(users) == 300
    assert all(u.password_hash is None and u.roles == {Role.CANDIDATE} for u in users)
    kinds = [m.kind for m in db.session.scalars(sa.select(OutboxMessage))]
    # Each imported candidate is told the dossier was received and invited to set a
    # password (a single-use link), so that they can sign in: no button left to press.
    assert kinds.count(NoticeKind.RECEIVED) == kinds.count(NoticeKind.INVITATION) == 300
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccountToken)) == 300
    [invited] = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "round.invite_candidates")
    )
    assert invited.actor_id == board.id
    assert invited.after["count"] == 300
    [entry] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "round.import"))
    assert entry.after["count"] == 300
    assert len(entry.after["accounts_created"]) == 300
    assert {a["national_id"] for a in entry.after["applications"]} == {
        f"001082{n:06d}" for n in range(300)
    }

    page = login(app.test_client(), board).get(done.headers["Location"])
    assert "Đã nhập 300 hồ sơ dự tuyển và gửi thư mời" in page.get_data(as_text=True)
    assert "Gửi thư mời cho" not in page.get_data(as_text=True)  # nobody left uninvited


def test_an_imported_candidate_without_an_invitation_cannot_sign_in(app, setting, hashing):
    round_, board = setting
    preview = _preview(app, round_, board, _filled(_template(app, round_, board), GOOD_ROWS))
    _confirm(app, round_, board, _token(preview))
    hashing["verify"] = 0
    for password in ("", "mat-khau-thu-nghiem", "None"):
        response = app.test_client().post(
            "/login",
            data={"email": "binh.nguyen@benhvien.example", "password": password or "x"},
            follow_redirects=True,
        )
        assert response.status_code == 200
        assert "Email hoặc mật khẩu không đúng." in response.get_data(as_text=True)
    # The same work as for a wrong password: a (dummy) hash is verified every time.
    assert hashing["verify"] == 3


def test_a_running_job_shows_its_progress_on_the_page_and_in_json(app, setting, make):
    round_, board = setting
    job = Job(
        kind="candidates.import",
        status=JobStatus.RUNNING,
        done=40,
        total=300,
        message="Đang kiểm tra 300 hồ sơ…",
        payload={"round_id": round_.id, "file": "x.xlsx"},
        created_by_id=board.id,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    db.session.add(job)
    db.session.commit()
    client = login(app.test_client(), board)
    page = client.get(f"/rounds/{round_.id}/applications/import/jobs/{job.id}")
    text = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert 'max="100" value="13"' in text
    assert "Đang kiểm tra 300 hồ sơ…" in text
    assert "(40/300 dòng)" in text
    assert "Tải lại trang để xem tiến độ" in text  # works without JavaScript
    assert "js/job-progress.js" in text
    assert "<script>" not in text  # CSP: no inline script
    status = client.get(f"/rounds/{round_.id}/applications/import/jobs/{job.id}.json").json
    assert (status["done"], status["total"], status["percent"]) == (40, 300, 13)
    assert (status["finished"], status["status"]) == (False, "running")

    # Another round's address, another person, another kind of job: not found / refused.
    other = make.round()
    db.session.commit()
    assert client.get(f"/rounds/{other.id}/applications/import/jobs/{job.id}").status_code == 404
    candidate = make.user(Role.CANDIDATE)
    db.session.commit()
    url = f"/rounds/{round_.id}/applications/import/jobs/{job.id}.json"
    assert login(app.test_client(), candidate).get(url).status_code == 404  # no seat in the round


def test_a_silent_job_is_shown_as_interrupted(app, setting):
    round_, board = setting
    long_ago = utcnow().replace(year=2020)
    job = Job(
        kind="candidates.import",
        status=JobStatus.RUNNING,
        payload={"round_id": round_.id, "file": "x.xlsx"},
        created_at=long_ago,
        updated_at=long_ago,
    )
    db.session.add(job)
    db.session.commit()
    url = f"/rounds/{round_.id}/applications/import/jobs/{job.id}.json"
    status = login(app.test_client(), board).get(url).json
    assert (status["finished"], status["status"]) == (True, "failed")
    assert "bị gián đoạn" in status["message"]


def test_a_job_that_fails_while_writing_saves_nothing_and_says_why(app, setting, monkeypatch):
    round_, board = setting
    preview = _preview(app, round_, board, _filled(_template(app, round_, board), _rows(5)))
    from exam.candidates import paper_dossiers

    written = []

    def failing_notice(application, *args, **kwargs):
        written.append(application.id)  # the accounts and dossiers were flushed already
        raise RuntimeError("mail template broken")

    monkeypatch.setattr(paper_dossiers, "_notify", failing_notice)
    done = _confirm(app, round_, board, _token(preview))
    job = _job(_job_id(done))
    assert written  # it failed in the middle of writing
    assert job.status == JobStatus.FAILED
    assert job.finished_at is not None
    assert job.message.startswith("Đã xảy ra lỗi ngoài dự kiến; không có gì được lưu.")
    assert _counts() == (0, 0, 0)
    page = login(app.test_client(), board).get(done.headers["Location"]).get_data(as_text=True)
    assert "không có gì được lưu" in page
    assert "mail template broken" not in page  # no internals shown


def test_a_row_refused_when_the_job_runs_lists_the_problem_and_saves_nothing(app, setting, make):
    """Between the preview and the confirmation the database changed: the job's checks
    find it, and the page lists the row."""
    round_, board = setting
    preview = _preview(app, round_, board, _filled(_template(app, round_, board), _rows(3)))
    taken = make.user(Role.PANEL_MEMBER, email="thu1@benhvien.example")
    db.session.commit()
    done = _confirm(app, round_, board, _token(preview))
    job = _job(_job_id(done))
    assert job.status == JobStatus.FAILED
    assert job.message == "Tệp có lỗi: không hồ sơ nào được nhập."
    assert job.result["problems"][0]["row"] == 3
    assert job.result["problems"][0]["message"] == (
        "Email này thuộc một tài khoản không phải thí sinh."
    )
    assert _counts() == (0, 1, 0)  # the panel member's account only
    page = login(app.test_client(), board).get(done.headers["Location"]).get_data(as_text=True)
    assert (
        "<td>3</td><td>B – Email</td><td>Email này thuộc một tài khoản không phải thí sinh." in page
    )
    assert taken.password_hash is not None
    # The import page lists the round's recent imports, so a failed one can be found again.
    with time_machine.travel(T0, tick=False):
        again = login(app.test_client(), board).get(f"/rounds/{round_.id}/applications/import")
    text = again.get_data(as_text=True)
    assert "Các lần nhập gần đây" in text
    assert f'href="{done.headers["Location"]}"' in text
    assert "Tệp có lỗi: không hồ sơ nào được nhập." in text


def test_a_file_is_imported_once_even_if_confirmed_twice(app, setting):
    round_, board = setting
    preview = _preview(app, round_, board, _filled(_template(app, round_, board), GOOD_ROWS))
    token = _token(preview)
    first = _confirm(app, round_, board, token)
    second = _confirm(app, round_, board, token)
    assert _job(_job_id(first)).status == JobStatus.DONE
    assert second.headers["Location"].endswith(f"/rounds/{round_.id}/applications/import")
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 1
    assert _counts() == (2, 2, 4)


def test_the_job_runs_even_if_the_server_never_closes_the_response(app, setting, monkeypatch):
    # werkzeug's development server skips the close when the client drops the connection
    # first: the job starts after a short wait instead of staying queued for ever.
    monkeypatch.setitem(app.config, "JOBS_RUN_INLINE", False)
    round_, board = setting
    preview = _preview(app, round_, board, _filled(_template(app, round_, board), _rows(3)))
    job_id = _job_id(_confirm(app, round_, board, _token(preview)))  # never closed
    assert wait_for(job_id, timeout=120)
    assert _job(job_id).status == JobStatus.DONE


def test_the_job_runs_in_a_background_thread(app, setting, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_RUN_INLINE", False)
    round_, board = setting
    preview = _preview(app, round_, board, _filled(_template(app, round_, board), _rows(20)))
    done = _confirm(app, round_, board, _token(preview))
    job_id = _job_id(done)
    done.close()  # as a WSGI server does once the response is sent: the thread starts
    assert wait_for(job_id, timeout=120)  # the job's completion event, set by its thread
    job = _job(job_id)
    assert job.status == JobStatus.DONE, job.message
    assert (job.done, job.total) == (20, 20)
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Application.id)).where(Application.round_id == round_.id)
        )
        == 20
    )
    # Outside any request, the invitations' links still name the site the board used.
    invitations = db.session.scalars(
        sa.select(OutboxMessage.body).where(OutboxMessage.kind == NoticeKind.INVITATION)
    ).all()
    assert len(invitations) == 20
    assert all("http://localhost/invitation/" in body for body in invitations)


def test_a_progress_report_that_cannot_be_written_does_not_fail_the_import(
    app, setting, monkeypatch
):
    from exam.core import jobs

    original = jobs._update

    def locked_for_progress(app_, job_id, **values):
        if "status" not in values:  # the progress reports, not the job's own states
            raise RuntimeError("database is locked")
        return original(app_, job_id, **values)

    monkeypatch.setattr(jobs, "_update", locked_for_progress)
    round_, board = setting
    preview = _preview(app, round_, board, _filled(_template(app, round_, board), GOOD_ROWS))
    job = _job(_job_id(_confirm(app, round_, board, _token(preview))))
    assert job.status == JobStatus.DONE
    assert _counts() == (2, 2, 4)


def test_an_existing_candidate_account_is_reused_and_one_already_in_the_round_refused(
    app, setting, make
):
    round_, board = setting
    rows = _rows(3)
    known = make.user(Role.CANDIDATE, name=rows[0]["Họ và tên"], email=rows[0]["Email"])
    already = make.user(Role.CANDIDATE, name=rows[1]["Họ và tên"], email=rows[1]["Email"])
    make.application(round_.positions[0], already, eligible=None)
    db.session.commit()
    refused = _preview(app, round_, board, _filled(_template(app, round_, board), rows))
    text = refused.get_data(as_text=True)
    assert "<td>3</td><td>B – Email</td><td>Thí sinh này đã có hồ sơ trong kỳ thi." in text
    assert "Tệp có 1 lỗi" in text

    preview = _preview(
        app, round_, board, _filled(_template(app, round_, board), [rows[0], rows[2]])
    )
    job = _job(_job_id(_confirm(app, round_, board, _token(preview))))
    assert job.status == JobStatus.DONE
    db.session.expire_all()
    mine = db.session.scalars(sa.select(Application).where(Application.candidate_id == known.id))
    assert mine.one().paper_dossier is True
    assert known.password_hash is not None  # the account they had, password kept
    emails = [rows[0]["Email"], rows[2]["Email"]]
    assert db.session.scalar(sa.select(sa.func.count(User.id)).where(User.email.in_(emails))) == 2


def test_previewed_files_never_confirmed_are_pruned_after_a_day(app, setting, upload_dir):
    import os
    import time

    from exam.candidates.cli import prune

    round_, board = setting
    _preview(app, round_, board, _filled(_template(app, round_, board), GOOD_ROWS))
    fresh = _preview(app, round_, board, _filled(_template(app, round_, board), GOOD_ROWS))
    staged = sorted((upload_dir / "imports").glob("*.xlsx"))
    assert len(staged) == 2
    old = next(p for p in staged if _token(fresh) not in p.name)
    day_ago = time.time() - 25 * 3600
    os.utime(old, (day_ago, day_ago))
    result = app.test_cli_runner().invoke(prune)
    assert result.exit_code == 0, result.output
    assert "Removed 1 file(s)." in result.output
    assert [p.name for p in (upload_dir / "imports").glob("*.xlsx")] == [
        p.name for p in staged if p != old
    ]
    assert _confirm(app, round_, board, _token(fresh)).status_code == 302  # still confirmable
