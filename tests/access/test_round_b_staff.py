"""Staff of another round, seated on every body of round B with the most power each body
gives, get nothing of the matrix's round: every page of tests/test_access_matrix.py that a
candidate does not get is refused to them (403 or 404), and every write is refused with the
database unchanged."""

from __future__ import annotations

import pytest

import tests.test_access_matrix as matrix
from tests.access.database import changed_tables, database_rows
from tests.access.scenes import round_b_staff
from tests.conftest import login

GUEST, CANDIDATE = matrix.ROLES.index("guest"), matrix.ROLES.index("candidate")
# Not the round's: what a guest or a candidate gets too (public pages, one's own lists, the
# sign-in page that sends the signed-in home), and these, shown to any seat of any round.
NOT_THE_ROUNDS = {
    "/invigilation/": "one's own rooms (round B's only: tests/test_access_matrix.py)",
    "/panels/": "one's own panels (round B's only: tests/test_access_matrix.py)",
    "/rounds/units/": "the organisation's units, read by any Council or supervisory board",
}
STAFF_PAGES = [
    t
    for t, expected in matrix.GET_MATRIX
    if 200 not in (expected[GUEST], expected[CANDIDATE])
    and expected[CANDIDATE] != 302
    and t not in NOT_THE_ROUNDS
]
WRITES = [t for t, _ in matrix.POST_DENIALS]


def _url(template: str, world) -> str:
    return template.format(**{k: v for k, v in world.__dict__.items() if k != "users"})


@pytest.fixture
def outsider(make, world):
    person = round_b_staff(make)
    from exam.extensions import db

    db.session.commit()
    return person


def test_round_b_staff_get_no_page_of_round_a(app, world, outsider):
    client = login(app.test_client(), outsider)
    got = {t: client.get(_url(t, world)).status_code for t in STAFF_PAGES}
    assert {t: s for t, s in got.items() if s not in (403, 404)} == {}


def test_round_b_staff_write_nothing_in_round_a(app, world, outsider):
    before = database_rows()
    got = {}
    for template in WRITES:
        got[template] = login(app.test_client(), outsider).post(_url(template, world)).status_code
    assert {t: s for t, s in got.items() if s not in (403, 404)} == {}
    assert changed_tables(before, database_rows()) == []
