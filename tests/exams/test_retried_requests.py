"""Requests nginx sends again to another node when the node that received them dies
(deploy/nginx/exam.conf.template, `non_idempotent`): exactly the exam page's saves and its
submit, which the server makes idempotent (docs/api.md). A save sent again changes nothing
(here; the same save repeated and a late older one: tests/exams/test_attempts.py); a submit
sent again scores nothing twice (tests/exams/test_deadline_rush.py::
test_a_second_submit_shows_the_result_again_and_the_paper_is_scored_once). tests/cluster
kills a node with a save and a sign-in attempt in flight."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa
import time_machine

from exam.exams.models import Answer, AttemptQuestion
from exam.extensions import db
from tests.conftest import login
from tests.exams.test_attempts import MINUTE, START, _post, _start, sitting  # noqa: F401 (fixture)
from tests.helpers import paper_token

SITE = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "exam.conf.template"
IDEMPOTENT_POSTS = {"exams.answers", "exams.submit"}


def _locations() -> dict[str, str]:
    """Each location of the nginx site: its match, its body."""
    return dict(re.findall(r"^    location (.+?) \{\n(.*?)^    \}", SITE.read_text(), re.M | re.S))


def _sample_path(rule: str) -> str:
    """A path the rule matches: 7 for each number, a word for anything else."""
    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>", lambda m: "7" if m[1] == "int" else "x", rule)


def test_nginx_sends_again_to_another_node_exactly_the_idempotent_posts(app):
    locations = _locations()
    again = [match for match, body in locations.items() if "non_idempotent" in body]
    assert len(again) == 1, locations.keys()
    assert again[0].startswith("~ ")  # a regular expression, case-sensitive as Python's
    pattern = re.compile(again[0][2:])
    sent_again = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and pattern.search(_sample_path(rule.rule))
    }
    assert sent_again == IDEMPOTENT_POSTS
    # Start (a wrong code counts towards the paper's lock), sign-in, every form: never.
    for path in ("/attempts/7/start", "/login", "/attempts/7/answers/x", "/x/attempts/7/submit"):
        assert not pattern.search(path), path
    assert "non_idempotent" not in locations["/"]


def _rows(attempt_id: int) -> dict[int, tuple]:
    db.session.expire_all()
    answers = db.session.scalars(
        sa.select(Answer).join(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id)
    )
    return {a.attempt_question_id: (a.response, a.seq, a.points, a.saved_at) for a in answers}


def test_a_batch_sent_again_after_a_newer_save_changes_nothing(
    app,
    sitting,  # noqa: F811
):
    """A batch whose node died after committing it reaches the other node again, possibly
    after the page's next save: every stored answer stays as it was, points and time of
    saving included, and the reply gives the newer sequence numbers."""
    attempt = _start(sitting.attempt, sitting.candidate)
    first, second = attempt.questions[0].id, attempt.questions[1].id
    batch = (
        {"item": first, "response": paper_token(first, "a"), "seq": 10},
        {"item": second, "response": paper_token(second, "b"), "seq": 11},
    )
    with time_machine.travel(START + 5 * MINUTE, tick=False):
        client = login(app.test_client(), sitting.candidate)
        assert _post(client, attempt.id, *batch).status_code == 200
    with time_machine.travel(START + 6 * MINUTE, tick=False):
        newer = {"item": first, "response": paper_token(first, "c"), "seq": 12}
        assert _post(client, attempt.id, newer).status_code == 200
    before = _rows(attempt.id)
    with time_machine.travel(START + 7 * MINUTE, tick=False):
        again = _post(client, attempt.id, *batch)
    assert again.status_code == 200
    assert again.get_json()["saved"] == [{"item": first, "seq": 12}, {"item": second, "seq": 11}]
    assert _rows(attempt.id) == before
    assert before[first][:2] == ("c", 12)
    assert before[second][:2] == ("b", 11)
