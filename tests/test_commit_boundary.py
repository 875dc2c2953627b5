"""One commit boundary (docs/architecture.md, Transactions).

(a) Only the boundary modules listed below commit or roll back a session: views and
    operations go through exam/core/views.py (`run_operation`, `commit_after`,
    `commit_each_step`).
(b) `commit_after` commits what its work wrote, or rolls it all back and lets the error go on.
(c) An expired paper is closed when read: the board's and the invigilators' pages show it
    closed, exactly as once the closing is written, and write nothing; the cron and the
    candidate's own calls write the closing; an invigilator's action applies to the paper as
    shown."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine

from exam.accounts.models import Role
from exam.audit.models import AuditEntry
from exam.core.views import commit_after
from exam.exams.models import Attempt, AttemptStatus
from exam.extensions import db
from tests.conftest import login
from tests.exams import test_invigilation_and_after as sitting
from tests.exams.test_invigilation_and_after import DEADLINE, SECOND, _all_right, _start

room = sitting.room  # the fixture: a room of three candidates, its invigilators and the board

EXAM = Path(__file__).resolve().parent.parent / "exam"

# The modules that may end a transaction, each for its reason. A command module (any
# `cli.py`) is its own boundary too: a command commits at its end.
BOUNDARY_MODULES = {
    "exam/core/views.py": "the boundary of every request",
    "exam/core/jobs.py": "the background jobs' runner: a job commits with its status",
    "exam/core/refused_forms.py": "a refused form kept after its request was rolled back",
    "exam/__init__.py": "the teardown: whatever a failed request left is rolled back",
}
ENDING = {"commit", "rollback"}


def _is_boundary(relative: str) -> bool:
    return relative in BOUNDARY_MODULES or Path(relative).name == "cli.py"


def transaction_ends(root: Path) -> list[str]:
    """Each `<anything>.commit()` / `.rollback()` call outside the boundary modules under
    ``root`` (the package `exam`), as "path:line"."""
    found = []
    for path in sorted(root.rglob("*.py")):
        relative = f"exam/{path.relative_to(root).as_posix()}"
        if _is_boundary(relative):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ENDING
            ):
                found.append(f"{relative}:{node.lineno}")
    return found


def test_only_the_boundary_commits_or_rolls_back() -> None:
    assert transaction_ends(EXAM) == []


def test_every_listed_boundary_module_exists_and_ends_transactions() -> None:
    """The list stays exact: a module that no longer commits leaves it."""
    for relative in BOUNDARY_MODULES:
        tree = ast.parse((EXAM.parent / relative).read_text(encoding="utf-8"))
        assert any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ENDING
            for n in ast.walk(tree)
        ), relative


def test_the_check_finds_a_commit_or_rollback_in_a_view_or_an_operation(tmp_path: Path) -> None:
    root = tmp_path / "exam"
    files = {
        "x/views.py": "def v():\n    db.session.commit()\n",
        "x/operations.py": "def o(session):\n    x = 1\n    session.rollback()\n",
        "x/queries.py": "def q():\n    return db.session().commit\n",  # not a call
        "x/cli.py": "def c():\n    db.session.commit()\n",
        "core/views.py": "def b():\n    db.session.commit()\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    assert transaction_ends(root) == ["exam/x/operations.py:3", "exam/x/views.py:2"]


# --- commit_after -----------------------------------------------------------------------------


def test_commit_after_commits_the_work_and_returns_its_result(app, make) -> None:
    user = make.user(Role.CANDIDATE)
    db.session.commit()

    def rename() -> str:
        user.full_name = "Trần Thị Bình"
        return "done"

    assert commit_after(rename) == "done"
    db.session.rollback()  # nothing pending is left to lose: it was committed
    assert db.session.get(type(user), user.id).full_name == "Trần Thị Bình"


def test_commit_after_rolls_everything_back_and_lets_the_error_go_on(app, make) -> None:
    user = make.user(Role.CANDIDATE)
    user.full_name = "Nguyễn Văn An"
    db.session.commit()

    def rename_then_fail() -> None:
        user.full_name = "Lê Văn Cường"
        db.session.flush()
        raise LookupError("refused")

    with pytest.raises(LookupError, match="refused"):
        commit_after(rename_then_fail)
    assert db.session.get(type(user), user.id).full_name == "Nguyễn Văn An"


# --- an expired paper is closed when read -------------------------------------------------------


def _expired_at(app) -> dt.datetime:
    return DEADLINE + dt.timedelta(seconds=app.config["ANSWER_GRACE_SECONDS"]) + SECOND


def _row(attempt_id: int) -> tuple:
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    written = (attempt.status, attempt.score, attempt.final_score, attempt.submitted_at)
    audit = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    points = tuple(item.awarded_points for item in attempt.questions)
    return written, attempt.submitted_by_server, audit, points


def _tr_of(html: str, name: str) -> str:
    """The table row naming ``name``."""
    return next(row for row in html.split("<tr>") if name in row)


def _facts(html: str) -> str:
    return re.search(r'<dl class="row facts">.*?</dl>', html, re.S).group(0)


def _what_readers_see(app, room, at: dt.datetime) -> dict:
    attempt_id = room.attempt_ids[1]
    name = room.candidates[1].full_name
    with time_machine.travel(at, tick=False):
        board = login(app.test_client(), room.board)
        invigilator = login(app.test_client(), room.invigilator)
        test_page = board.get(f"/tests/{room.test_id}")
        console = invigilator.get(f"/rooms/{room.room_id}")
        live = invigilator.get(f"/rooms/{room.room_id}/live")
        page = invigilator.get(f"/attempts/{attempt_id}/invigilate")
    assert {r.status_code for r in (test_page, console, live, page)} == {200}
    rows = live.get_json()["rows"]
    return {
        "board's row": _tr_of(test_page.get_data(as_text=True), name),
        "console's row": _tr_of(console.get_data(as_text=True), name),
        "live counts": live.get_json()["counts"],
        "live row": next(r for r in rows if r["attempt"] == attempt_id),
        "candidate's facts": _facts(page.get_data(as_text=True)),
    }


def test_the_board_and_the_invigilators_see_an_expired_paper_closed_and_write_nothing(app, room):
    attempt = _start(room.attempt(1), room.candidates[1])
    _all_right(attempt)
    db.session.commit()
    at = _expired_at(app)
    before = _row(attempt.id)
    assert before[0][0] == AttemptStatus.IN_PROGRESS

    read = _what_readers_see(app, room, at)

    assert _row(attempt.id) == before  # the GETs wrote nothing
    assert read["live row"]["status"] == "submitted"
    assert read["live counts"]["submitted"] == 1
    assert "Đã nộp bài" in read["board's row"]
    assert "3,00" in read["candidate's facts"]  # scored as the closing will score it
    with time_machine.travel(at, tick=False):
        closed = app.test_cli_runner().invoke(args=["exams", "close-expired"])
    assert "Closed 1 attempt(s)." in closed.output
    after = _row(attempt.id)
    assert after[0][0] == AttemptStatus.SUBMITTED
    assert after[1] is True
    assert _what_readers_see(app, room, at) == read  # what they saw is what the cron wrote


def test_the_candidates_api_call_closes_the_paper_a_board_page_left_open(app, room):
    attempt = _start(room.attempt(1), room.candidates[1])
    at = _expired_at(app)
    with time_machine.travel(at, tick=False):
        login(app.test_client(), room.board).get(f"/tests/{room.test_id}")
        assert _row(attempt.id)[0][0] == AttemptStatus.IN_PROGRESS
        state = login(app.test_client(), room.candidates[1]).get(f"/attempts/{attempt.id}/state")
    assert state.get_json()["status"] == "submitted"
    written, by_server, _, _ = _row(attempt.id)
    assert written[0] == AttemptStatus.SUBMITTED
    assert by_server is True
    assert written[3] == DEADLINE


def test_an_invigilators_action_applies_to_the_paper_as_its_page_shows_it(app, room):
    """Extra time is refused for a paper shown closed, as when the page closed it; the
    refusal writes nothing (the closing it began is rolled back with it)."""
    attempt = _start(room.attempt(1), room.candidates[1])
    before = _row(attempt.id)
    with time_machine.travel(_expired_at(app), tick=False):
        client = login(app.test_client(), room.invigilator)
        response = client.post(
            f"/attempts/{attempt.id}/extra-time",
            data={"time-minutes": 5, "time-reason": "Máy treo"},
            follow_redirects=True,
        )
    assert "Bài thi đã nộp: hãy dùng «Cho thi lại» nếu máy bị lỗi." in response.get_data(
        as_text=True
    )
    assert _row(attempt.id) == before
    assert attempt.extra_minutes == 0
