"""Each route of tests/access/table.py CASES, asked by every person its case names: the
status each gets, the guest sent to the sign-in page, and a refused POST (the guest's or a
person's without the seat) leaving every table of the database as it was. A page that sends
its reader on to an issued document (/documents/<id>.pdf) is answered by that document, which
the people the page refuses must not get by its address either."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.access.database import changed_tables, database_rows
from tests.access.table import CASES, Case
from tests.conftest import login

ISSUED_DOCUMENT = re.compile(r"/documents/\d+\.pdf")


def scene_for(request: pytest.FixtureRequest, case: Case):
    return request.getfixturevalue(f"{case.scene}_scene")


def _filled(template: str, ids: dict[str, Any]) -> str:
    return template.format(**ids)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_person_gets_the_declared_answer(app, request, case: Case):
    scene = scene_for(request, case)
    url = _filled(case.url, scene.ids)
    data = {_filled(key, scene.ids): _filled(value, scene.ids) for key, value in case.data.items()}
    # The refused first, so that the person let through acts on the data as the scene built it.
    order = sorted(case.expected, key=lambda actor: not case.refused(actor))
    before = database_rows() if case.method == "POST" else None
    got, changes, not_to_login, documents = {}, {}, [], set()
    for actor in order:
        client = login(app.test_client(), scene.people[actor])
        response = client.open(url, method=case.method, data=data)
        location = response.headers.get("Location", "")
        if ISSUED_DOCUMENT.fullmatch(urlsplit(location).path):
            # A document issued once is served by the documents' route: its answer counts.
            documents.add(urlsplit(location).path)
            response = client.get(location)
        got[actor] = response.status_code
        if actor == "guest" and response.status_code == 302 and "/login" not in location:
            not_to_login.append(location)
        if before is not None and case.refused(actor):
            after = database_rows()
            if changed := changed_tables(before, after):
                changes[actor] = changed
                before = after  # each refusal answers for its own changes
    leaks = {}
    for document in documents:
        for actor in filter(case.refused, case.expected):
            status = login(app.test_client(), scene.people[actor]).get(document).status_code
            if status != (302 if actor == "guest" else 404):
                leaks[(actor, document)] = status
    assert got == case.expected
    assert not leaks, f"the issued document is served to people the page refuses: {leaks}"
    assert not changes, f"refused {case.method} {url} changed tables: {changes}"
    assert not not_to_login, f"the guest was sent to {not_to_login}, not to sign in"
