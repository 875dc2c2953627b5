"""No route escapes the access tests: every rule of ``app.url_map``, for every method, is
checked by the matrix (tests/test_access_matrix.py), by a case of tests/access/table.py, is
public with a reason, or is covered by a named test that exists. The URLs are built on the
scenes' real ids and matched against the routes, so a stale or mistyped entry fails too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

import tests.test_access_matrix as matrix
from tests.access.scenes import ONLOOKERS
from tests.access.table import CASES, ELSEWHERE, LET_THROUGH, PUBLIC

ROOT = Path(__file__).resolve().parents[2]
IGNORED_METHODS = {"HEAD", "OPTIONS"}
WHERE_TO_ADD = """\
Each route and method must be classified for access. Add each one listed above to one of:
  - tests/access/table.py CASES: case(scene, method, url, <person>=<status>, ...), with the
    answer of the guest, the round's candidates, round B's staff and the seat that may;
  - tests/test_access_matrix.py GET_MATRIX / POST_DENIALS (every role of the matrix);
  - tests/access/table.py PUBLIC, with why it is open to anyone;
  - tests/access/table.py ELSEWHERE, naming the test that covers it ("tests/…::test_name")."""


def _routes(app) -> dict[tuple[str, str], str]:
    """(endpoint, method) → the rule, for every route."""
    return {
        (rule.endpoint, method): rule.rule
        for rule in app.url_map.iter_rules()
        for method in sorted(rule.methods - IGNORED_METHODS)
    }


def _endpoint(adapter, url: str, method: str) -> str:
    path = url.split("?")[0]
    try:
        endpoint, _ = adapter.match(path, method=method)
    except RequestRedirect as redirect:
        raise AssertionError(f"{method} {url} is redirected to {redirect.new_url}") from None
    except HTTPException as error:
        raise AssertionError(f"{method} {url} matches no route ({error.code})") from None
    return endpoint


def _matrix_entries(world) -> list[tuple[str, str]]:
    """(method, URL) of every entry of the matrix, built on the world's ids."""
    ids = {k: v for k, v in world.__dict__.items() if k != "users"}
    gets = [t for t, _ in matrix.GET_MATRIX] + [t for t, _ in matrix.ROUND_MATRIX]
    posts = [t for t, _ in matrix.POST_DENIALS] + matrix.ROUND_WRITES + matrix.ROUND_B_WRITES
    return [("GET", t.format(**ids)) for t in gets] + [("POST", t.format(**ids)) for t in posts]


def _defines_test(reference: str) -> bool:
    path, _, name = reference.partition("::")
    file = ROOT / path
    if not (path.startswith("tests/") and name and file.is_file()):
        return False
    tree = ast.parse(file.read_text(encoding="utf-8"))
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name
        for node in ast.walk(tree)
    )


@pytest.fixture
def scenes(world_scene, marked_scene, ranked_scene) -> dict:
    return {"world": world_scene, "marked": marked_scene, "ranked": ranked_scene}


def test_every_route_and_method_is_classified(app, world, scenes):
    routes = _routes(app)
    adapter = app.url_map.bind("localhost")
    classified: dict[tuple[str, str], str] = {}
    for method, url in _matrix_entries(world):
        classified[(_endpoint(adapter, url, method), method)] = "matrix"
    for case in CASES:
        url = case.url.format(**scenes[case.scene].ids)
        classified[(_endpoint(adapter, url, case.method), case.method)] = "case"
    stale = [key for key in [*PUBLIC, *ELSEWHERE] if key not in routes]
    assert not stale, f"PUBLIC or ELSEWHERE names routes that do not exist: {stale}"
    classified.update(dict.fromkeys(PUBLIC, "public"))
    classified.update(dict.fromkeys(ELSEWHERE, "elsewhere"))
    missing = sorted(
        (rule, method, endpoint)
        for (endpoint, method), rule in routes.items()
        if (endpoint, method) not in classified
    )
    listed = "\n".join(f"  {method} {rule}  (endpoint {name})" for rule, method, name in missing)
    assert not missing, f"{len(missing)} route(s) classified nowhere:\n{listed}\n{WHERE_TO_ADD}"


def test_the_tests_named_elsewhere_exist():
    absent = {key: ref for key, ref in ELSEWHERE.items() if not _defines_test(ref)}
    assert not absent, f"ELSEWHERE names tests that do not exist: {absent}"


def test_public_routes_say_why():
    assert {key: why for key, why in PUBLIC.items() if len(why.split()) < 3} == {}


def test_each_case_names_the_onlookers_and_who_is_let_through():
    """The guest, both candidates and round B's staff in every case; someone let through
    (the power the route is for) unless the case says why nobody is."""
    for case in CASES:
        assert set(ONLOOKERS) <= set(case.expected), case.name
        let_through = [a for a, got in case.expected.items() if got in LET_THROUGH]
        reason = f"{case.name}: nobody is let through, and no reason given"
        assert set(let_through) - {"guest"} or case.nobody, reason


def test_each_case_names_people_of_its_scene(scenes):
    for case in CASES:
        unknown = set(case.expected) - set(scenes[case.scene].people)
        assert not unknown, f"{case.name}: {unknown} are not people of the {case.scene} scene"
