"""Arrows one way down (docs/architecture.md, "Layers").

Walks every module of `exam/` with `ast` and reads every import, those inside functions
included (an import hidden in a function is still a dependency, only a later one), and checks:

(a) within a domain, a module imports only its own layer or lower ones
    (views, cli → forms → operations and the use-case modules → queries → models);
(b) across domains, a domain imports only the domains below it in `DOMAINS`;
(c) no circle of imports between modules.

Imports under `if TYPE_CHECKING:` never run: they are exempt from the layers *within* a domain
and from the circles (a model's type hint naming a sibling module is fine), but not from the
order of the domains, since naming another domain's type is depending on it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The domains from the bottom to the top: a domain may import those before it, never one
# after it. "core" is exam/core/ and exam/extensions.py; "app" is the application around the
# domains (exam/__init__.py's factory, exam/cli.py, exam/demo.py, exam/models.py,
# exam/permissions.py), which may import everything.
DOMAINS = (
    "core",
    "audit",
    "notices",
    "accounts",
    "rounds",
    "documents",  # issued documents and their verification: issued by the domains above
    "council",  # a round's bodies: each names its round
    "question_bank",
    "candidates",
    "exams",
    "marking",  # essays coded and marked: above the papers, below panels and results
    "panels",
    "results",
    "appeals",  # re-marks written parts, then a new ranking: above the results
    "supervision",  # the supervisory board reads the trail of every domain's objects
    "main",
    "app",
)
_APP_MODULES = {"__init__", "cli", "demo", "models", "permissions"}

# The layers inside a domain, by a module's name (its first name under the domain, so
# exam/exams/views/sit.py is "views"). A module not named here is a use case of the domain and
# sits with the operations; a name ending in "views" is a views module. A module may import
# its own layer: circles are caught by (c).
ENTRY, FORMS, OPERATIONS, QUERIES, MODELS = 4, 3, 2, 1, 0
LAYER_OF = {
    "views": ENTRY,
    "cli": ENTRY,
    "import_jobs": ENTRY,  # a background job is an entry point, like a command
    "forms": FORMS,
    "operations": OPERATIONS,
    "permissions": OPERATIONS,
    "queries": QUERIES,
    "models": MODELS,
    "__init__": MODELS,
    # Plain values and rules on them, with no database access: the bottom of their domain.
    "standards": MODELS,
    "values": MODELS,
    "rules": MODELS,
    "interchange": MODELS,
    "qtypes": MODELS,
    "rich_text": MODELS,
    "statistics": MODELS,
    "tokens": MODELS,
    "formats": MODELS,
    "eligibility": MODELS,
    "uploads": MODELS,
}
LAYER_NAMES = {ENTRY: "views/cli", FORMS: "forms", OPERATIONS: "operations", QUERIES: "queries"}
LAYER_NAMES[MODELS] = "models"

# Upward imports not removed yet, as (file, imported module). Empty when the layers hold; a
# listed import that no longer exists fails the test too, so the list only shrinks.
KNOWN_VIOLATIONS: set[tuple[str, str]] = set()
KNOWN_CIRCLES: list[list[str]] = []


@dataclass(frozen=True)
class Import:
    path: str  # the importing file, relative to the root ("exam/rounds/views.py")
    line: int
    source: str  # the importing module ("exam.rounds.views")
    target: str  # the imported module ("exam.candidates.queries")
    type_checking: bool  # under `if TYPE_CHECKING:`


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports_in(tree: ast.AST) -> Iterable[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement of the tree (at any depth) and whether it is TYPE_CHECKING-only."""

    def walk(node: ast.AST, type_checking: bool) -> Iterable[tuple[ast.AST, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for inner in child.body:
                    yield inner, True
                    yield from walk(inner, True)
                for inner in child.orelse:
                    yield inner, type_checking
                    yield from walk(inner, type_checking)
                continue
            yield child, type_checking
            yield from walk(child, type_checking)

    for node, type_checking in walk(tree, False):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, type_checking


def import_edges(root: Path, package: str = "exam") -> list[Import]:
    """The imports of one package by one another, each resolved to the module it loads."""
    files = sorted((root / package).rglob("*.py"))
    modules = {module_name(path, root) for path in files}
    edges = []
    for path in files:
        source = module_name(path, root)
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node, type_checking in _imports_in(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:
                    base = source.split(".") if is_package else source.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    stem = ".".join(base + ([node.module] if node.module else []))
                else:
                    stem = node.module or ""
                # `from exam.x import queries` loads the module exam.x.queries.
                targets = [
                    f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in modules else stem
                    for alias in node.names
                ]
            for target in dict.fromkeys(targets):
                # `import exam.x.y` names a module; keep the longest known prefix.
                while target not in modules and "." in target:
                    target = target.rsplit(".", 1)[0]
                if target in modules and target != package:
                    edges.append(
                        Import(
                            str(path.relative_to(root)), node.lineno, source, target, type_checking
                        )
                    )
    return edges


def domain_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] == "extensions":
        return "core" if len(parts) > 1 else "app"
    if len(parts) == 2 and parts[1] in _APP_MODULES:
        return "app"
    return parts[1]


def layer_of(module: str) -> int:
    parts = module.split(".")
    name = parts[2] if len(parts) > 2 else "__init__"
    if name.endswith("views"):
        return ENTRY
    return LAYER_OF.get(name, OPERATIONS)


def violations(edges: Iterable[Import], domains: tuple[str, ...] = DOMAINS) -> list[str]:
    """Each upward import, as "exam/x/y.py:LINE imports exam.z (upward: ...)"."""
    found = []
    for edge in edges:
        low, high = domain_of(edge.source), domain_of(edge.target)
        where = f"{edge.path}:{edge.line} imports {edge.target}"
        if low not in domains or high not in domains:
            unknown = low if low not in domains else high
            found.append(f"{where} (domain {unknown} missing from the order of domains)")
        elif domains.index(high) > domains.index(low):
            found.append(f"{where} (upward: {high} is above {low})")
        elif (
            low == high
            and low not in ("core", "app")
            and not edge.type_checking
            and layer_of(edge.target) > layer_of(edge.source)
        ):
            found.append(
                f"{where} (upward: {LAYER_NAMES[layer_of(edge.target)]} is above "
                f"{LAYER_NAMES[layer_of(edge.source)]} in {low})"
            )
    return found


def cycles(edges: Iterable[Import]) -> list[list[str]]:
    """The circles of imports (Tarjan's strongly connected components of more than one
    module, or a module importing itself), TYPE_CHECKING imports left out."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        if not edge.type_checking:
            graph.setdefault(edge.source, set()).add(edge.target)
            graph.setdefault(edge.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _problems(root: Path) -> list[str]:
    edges = import_edges(root)
    listed = {(edge.path, edge.target) for edge in edges}
    problems = [
        v
        for v in violations(edges)
        if (v.split(":", 1)[0], v.split(" imports ", 1)[1].split(" ", 1)[0]) not in KNOWN_VIOLATIONS
    ]
    problems += [
        "circle of imports: " + " → ".join(component + component[:1])
        for component in cycles(edges)
        if component not in KNOWN_CIRCLES
    ]
    problems += [
        f"{path} no longer imports {target}: remove it from KNOWN_VIOLATIONS"
        for path, target in sorted(KNOWN_VIOLATIONS - listed)
    ]
    problems += [
        f"no more circle {' → '.join(known)}: remove it from KNOWN_CIRCLES"
        for known in KNOWN_CIRCLES
        if known not in cycles(edges)
    ]
    return problems


def test_exam_imports_only_downward_and_without_circles() -> None:
    problems = _problems(ROOT)
    assert not problems, "\n".join(problems)


def test_only_the_fast_paths_runner_uses_the_driver() -> None:
    """The driver's autocommit is safe only behind the runner's one-write rule
    (docs/architecture.md, "Exam day's fast path"; exam/exams/hotpath/runner.py)."""
    users = {edge.source for edge in import_edges(ROOT) if edge.target == "exam.core.driver"}
    assert users == {"exam.exams.hotpath.runner"}


# The checker itself, on small trees.


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for folder in {p.parent for p in root.rglob("*.py")}:
        (folder / "__init__.py").touch()
    return root


def test_an_upward_import_across_domains_is_reported(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "exam/rounds/operations.py": "def f():\n    from exam.candidates.queries import g\n",
            "exam/candidates/queries.py": "from exam.rounds.models import Round\n",
            "exam/rounds/models.py": "Round = 1\n",
        },
    )
    assert violations(import_edges(root)) == [
        "exam/rounds/operations.py:2 imports exam.candidates.queries "
        "(upward: candidates is above rounds)"
    ]


def test_an_upward_import_inside_a_domain_is_reported(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "exam/panels/queries.py": "from exam.panels import operations\n",
            "exam/panels/operations.py": "from exam.panels.models import Panel\n",
            "exam/panels/models.py": "import exam.panels.views\n",
            "exam/panels/views.py": "from exam.panels.forms import F\n",
            "exam/panels/forms.py": "F = 1\n",
        },
    )
    assert violations(import_edges(root)) == [
        "exam/panels/models.py:1 imports exam.panels.views "
        "(upward: views/cli is above models in panels)",
        "exam/panels/queries.py:1 imports exam.panels.operations "
        "(upward: operations is above queries in panels)",
    ]


def test_type_checking_imports_are_exempt_from_layers_inside_a_domain_only(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "exam/exams/models.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n"
                "    from exam.exams.papers import Paper\n"
                "    from exam.results.models import Ranking\n"
            ),
            "exam/exams/papers.py": "from exam.exams.models import Test\n",
            "exam/results/models.py": "Ranking = 1\n",
        },
    )
    edges = import_edges(root)
    assert violations(edges) == [
        "exam/exams/models.py:4 imports exam.results.models (upward: results is above exams)"
    ]
    assert cycles(edges) == []


def test_a_circle_is_reported_and_a_downward_tree_passes(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "exam/candidates/imports.py": "from exam.candidates.operations import apply\n",
            "exam/candidates/operations.py": "def f():\n    from exam.candidates import imports\n",
            "exam/candidates/views.py": "from exam.candidates import operations\n",
        },
    )
    edges = import_edges(root)
    assert violations(edges) == []
    assert cycles(edges) == [["exam.candidates.imports", "exam.candidates.operations"]]


def test_an_unknown_domain_must_be_placed_in_the_order(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "exam/lottery/operations.py": "from exam.core.db import x\n",
            "exam/core/db.py": "x = 1\n",
        },
    )
    assert violations(import_edges(root)) == [
        "exam/lottery/operations.py:1 imports exam.core.db "
        "(domain lottery missing from the order of domains)"
    ]
