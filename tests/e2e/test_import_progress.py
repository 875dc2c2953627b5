"""The page of a background import follows the job in the browser (static/js/job-progress.js
polls its JSON status under the CSP) and shows the result once the job has finished."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from exam.accounts.models import Role
from exam.core.db import utcnow
from exam.core.jobs import Job, JobStatus
from tests.e2e.conftest import wait_until
from tests.factories import PASSWORD, Factories

pytestmark = pytest.mark.browser


def _set(live_db, job_id: int, **values) -> None:
    """What the job's thread does: a short write transaction of its own."""
    live_db.rollback()  # not a read transaction turned writer (SQLite refuses that)
    live_db.connection(execution_options={"sqlite_immediate": True})
    live_db.execute(sa.update(Job).where(Job.id == job_id).values(updated_at=utcnow(), **values))
    live_db.commit()


def test_the_progress_page_follows_the_job_then_shows_its_result(page, live_server, live_db):
    board = Factories.user(Role.BOARD_ADMIN)
    round_ = Factories.round(board=board)
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
    live_db.add(job)
    live_db.commit()
    job_id, round_id = job.id, round_.id
    live_db.rollback()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(board.email)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_text("Đăng nhập thành công.").wait_for()
    page.goto(f"{live_server}/rounds/{round_id}/applications/import/jobs/{job_id}")

    assert page.evaluate("document.getElementById('job-progress').value") == 13
    # The script runs: the reload link (for browsers without JavaScript) is hidden.
    wait_until(page, "document.querySelector('[data-job-field=reload]').hidden")

    _set(live_db, job_id, done=150, message="Đang kiểm tra 300 hồ sơ…")
    wait_until(page, "document.getElementById('job-progress').value === 50")
    assert page.get_by_text("(150/300)").is_visible()

    _set(
        live_db,
        job_id,
        status=JobStatus.DONE,
        done=300,
        message="Đã nhập 300 hồ sơ dự tuyển.",
        result={"round_id": round_id, "created": 300},
        finished_at=utcnow(),
    )
    page.get_by_role("status").get_by_text("Đã nhập 300 hồ sơ dự tuyển.").wait_for()
    assert page.locator("#job-progress").count() == 0
    assert errors == []  # no script or style refused by the CSP
