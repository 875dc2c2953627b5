"""Fill the local cluster's database for tests/cluster (run as a script, with the cluster's
settings in the environment): a sitting candidate with a started paper, a council member of
an open round; prints their ids and signed-in sessions as JSON. A script of its own, so that
the suite's app and its rolled-back session (tests/conftest.py) stay out of it."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from bench.support import harness


def main() -> None:
    harness.SECRET = Path(os.environ["SECRET_KEY_FILE"]).read_text().strip()
    url = os.environ["DATABASE_URL"]
    world = harness.build_world(
        url, candidates=1, questions=5, started=True, starts_in=dt.timedelta(seconds=1)
    )
    [sitter] = world.sitters

    from exam.accounts.models import Role
    from exam.core.db import utcnow
    from exam.extensions import db
    from tests.factories import T0, Factories

    app = harness.make_app(url)
    with app.app_context():
        now = utcnow()
        council = Factories.user(Role.BOARD_ADMIN)  # seated by the factories' hook
        round_ = Factories.round(
            board=council,
            opens_at=T0 - dt.timedelta(days=10),  # the rows' dates of receipt (T0's)
            closes_at=now + dt.timedelta(days=20),
        )
        db.session.commit()
        board_cookie, board_csrf = harness.signed_in(app, council.id)
        round_id = round_.id
    print(
        json.dumps(
            {
                "attempt": sitter.attempt_id,
                "item": sitter.items[0],
                "option": sitter.sent(sitter.items[0], sitter.options[sitter.items[0]][0]),
                "cookie": sitter.cookie,
                "csrf": sitter.csrf,
                "round": round_id,
                "board_cookie": board_cookie,
                "board_csrf": board_csrf,
            }
        )
    )


if __name__ == "__main__":
    main()
