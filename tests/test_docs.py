"""The rule book stays true to the code: every file and every `path::name` that docs/*.md cite
exists, every name written alone in docs/domain.md and docs/architecture.md is defined in the
code, and no file of the repository points outside it (a fresh clone has no ../shared)."""

from __future__ import annotations

import ast
import os
import re
import subprocess
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted((ROOT / "docs").glob("*.md"))
# The pages that name the code's functions and settings alone (`advance_problems`), not only
# with their file: each such name must be defined somewhere in the code.
RULE_BOOK = [ROOT / "docs" / "domain.md", ROOT / "docs" / "architecture.md"]

# Folders of the repository a cited path may start with. A file at the top is cited by its
# name alone (`config.py`, `config.py::Config`); another name alone (`models.py`, the file
# every domain has) is not a citation.
TOP_FOLDERS = {
    "bench",
    "docs",
    "exam",
    "migrations",
    "question_bank",
    "scripts",
    "static",
    "templates",
    "tests",
}
_BACKTICKED = re.compile(r"`([^`\n]+)`")
_CITATION = re.compile(
    r"^(?P<path>[\w.-]+(?:/[\w.-]+)*/?)(?:::(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*))?$"
)
_TOP_FILE = re.compile(r"^[\w.-]+\.(?:py|md|toml|cfg|txt|sh|ini|conf\.py)$")
_FILE_NAME = re.compile(r"^.+\.(?:py|md|html|css|js|txt|toml|cfg|sh|json|ya?ml|po|pot|xml|pdf)$")
_WORD = re.compile(r"[A-Za-z_]\w*")
_IDENTIFIER = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?$")
# Words outside the repository: links to outside it, and the names of the files it once had.
OUTSIDE = ("../" + "shared/", "DOMAIN" + ".md", "DESIGN" + ".md")
SKIPPED_DIRECTORIES = {".git", ".venv", "__pycache__", "instance", "artifacts"}


def citations(text: str) -> list[tuple[str, str | None]]:
    """The (path, name or None) of each backticked citation of a repository file."""
    found = []
    for token in _BACKTICKED.findall(text):
        match = _CITATION.match(token.strip())
        if match is None:
            continue
        path, name = match["path"], match["name"]
        if "/" in path:
            if path.split("/", 1)[0] not in TOP_FOLDERS:
                continue
        elif not _TOP_FILE.match(path) or (name is None and not (ROOT / path).is_file()):
            continue  # a file of a domain named alone (`models.py`), not a citation
        found.append((path, name))
    return found


def lone_names(text: str) -> set[str]:
    """Backticked code names written without their file: `advance_problems`, `Round.move_to`,
    `MAX_ROWS`, `ReviewOption`. Plain words (`vi`, `flask`) are not names of the code."""
    names = set()
    for token in _BACKTICKED.findall(text):
        if not _IDENTIFIER.match(token) or _FILE_NAME.match(token):
            continue
        if "_" in token or "." in token or re.search(r"[a-z][A-Z]", token):
            names.add(token)
    return names


def _assigned(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def _scope(body: list[ast.stmt]) -> dict[str, ast.AST]:
    """The names a module or class body defines (not those it imports)."""
    names: dict[str, ast.AST] = {}
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names[node.name] = node
        for target in _assigned(node):
            names[target] = node
    return names


def defines(source: str, dotted: str) -> bool:
    """``dotted`` (``name`` or ``Class.attribute``) is defined at the top of ``source``."""
    scope = _scope(ast.parse(source).body)
    *outer, last = dotted.split(".")
    for part in outer:
        node = scope.get(part)
        if not isinstance(node, ast.ClassDef):
            return False
        scope = _scope(node.body)
    return last in scope


@dataclass
class CodeIndex:
    """What the code defines and mentions: ``classes`` maps each class name to the names its
    body defines; ``mentioned`` holds every identifier the code uses (defined, imported,
    called as an attribute, passed as a keyword, or written as a string: a statement's or a
    filter's name)."""

    classes: dict[str, set[str]] = field(default_factory=dict)
    mentioned: set[str] = field(default_factory=set)

    def add(self, source: str) -> None:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ClassDef):
                self.classes.setdefault(node.name, set()).update(_scope(node.body))
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                self.mentioned.add(node.name)
            elif isinstance(node, ast.Name):
                self.mentioned.add(node.id)
            elif isinstance(node, ast.Attribute):
                self.mentioned.add(node.attr)
            elif isinstance(node, ast.alias):  # import a.b as c: a, b and c
                self.mentioned.update(node.name.split("."))
                self.mentioned.add(node.asname or "")
            elif isinstance(node, ast.keyword | ast.arg) and node.arg:
                self.mentioned.add(node.arg)
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and _WORD.fullmatch(node.value)
            ):
                self.mentioned.add(node.value)

    def knows(self, token: str) -> bool:
        """``name``: the code mentions it. ``Class.name``: the class of that name defines it
        (a class of the code) or, for a library's class, the code mentions both."""
        owner, _dot, member = token.rpartition(".")
        if not owner:
            return token in self.mentioned
        if owner in self.classes:
            return member in self.classes[owner]
        return owner in self.mentioned and member in self.mentioned


# The code the rule book's names must come from: the package, the settings, the migrations
# and the tests' fixtures (not the tests themselves).
CODE = [
    "exam/**/*.py",
    "migrations/**/*.py",
    "config.py",
    "wsgi.py",
    "gunicorn.conf.py",
    "tests/conftest.py",
    "tests/factories.py",
    "tests/helpers.py",
    "tests/e2e/conftest.py",
]


@cache
def code_index() -> CodeIndex:
    index = CodeIndex()
    for pattern in CODE:
        for path in sorted(ROOT.glob(pattern)):
            index.add(path.read_text(encoding="utf-8"))
    return index


def repository_files() -> list[Path]:
    """The repository's files (tracked or new, not ignored), or every file but the skipped
    folders where git is not at hand."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        files = []
        for folder, subfolders, names in os.walk(ROOT):
            subfolders[:] = [d for d in subfolders if d not in SKIPPED_DIRECTORIES]
            files.extend(Path(folder, name) for name in names)
        return files
    paths = [ROOT / name for name in listed.decode().split("\0") if name]
    return [path for path in paths if path.is_file()]


# --- the parsers themselves ------------------------------------------------------------------


def test_citations_are_read_as_written() -> None:
    text = (
        "`exam/rounds/standards.py` and `exam/exams/queries.py::passed_test`, "
        "`exam/results/operations.py::Standing.sort_key`, `config.py`, `templates/pdf/`, "
        "`exam/<domain>/`, `/usr/bin/chromium`, `instance/uploads`, `flask db upgrade`, "
        "`api.md`, `models.py`, `../elsewhere/x.py`, `config.py::Config.ANSWER_GRACE_SECONDS`"
    )
    assert citations(text) == [
        ("exam/rounds/standards.py", None),
        ("exam/exams/queries.py", "passed_test"),
        ("exam/results/operations.py", "Standing.sort_key"),
        ("config.py", None),
        ("templates/pdf/", None),
        ("config.py", "Config.ANSWER_GRACE_SECONDS"),
    ]


def test_lone_names_are_code_names_only() -> None:
    text = (
        "`advance_problems`, `Round.move_to`, `MAX_ROWS`, `ReviewOption`, `vi`, `flask`, `a b`, "
        "`config.py`"
    )
    assert lone_names(text) == {"advance_problems", "Round.move_to", "MAX_ROWS", "ReviewOption"}


def test_definitions_are_found_by_ast_not_by_text() -> None:
    source = (
        "import os\nfrom x import imported\nLIMIT = 3\nlimit: int = 4\n"
        "class Box:\n    size: int = 1\n    def open(self): pass\n"
        "def run():\n    inner = 1\n# def commented(): pass\n"
    )
    for name in ("LIMIT", "limit", "Box", "Box.size", "Box.open", "run"):
        assert defines(source, name), name
    for name in ("os", "imported", "inner", "commented", "Box.close", "run.inner", "LIMIT.x"):
        assert not defines(source, name), name


def test_the_index_knows_what_the_code_defines_and_uses() -> None:
    index = CodeIndex()
    index.add(
        "import sqlalchemy as sa\nfrom flask_login import current_user\n"
        "from flask_babel import lazy_gettext as _l\n"
        "class Round:\n    test_pass_mark = 50\n    def move_to(self): pass\n"
        "def run(*, after_each): sa.UniqueConstraint('x'); filters['document_date'] = 1\n"
    )
    for name in (
        "Round",
        "Round.move_to",
        "Round.test_pass_mark",
        "run",
        "current_user",
        "_l",
        "lazy_gettext",
        "after_each",
        "document_date",
        "sa.UniqueConstraint",
    ):
        assert index.knows(name), name
    for name in ("Round.advance", "walk", "Outcome", "sa.Gone", "Round.run"):
        assert not index.knows(name), name


# --- the docs against the code ----------------------------------------------------------------


@pytest.mark.parametrize("page", DOCS, ids=lambda page: page.name)
def test_every_cited_file_and_name_exists(page: Path) -> None:
    missing = []
    for path, name in citations(page.read_text(encoding="utf-8")):
        target = ROOT / path
        if path.endswith("/") and not target.is_dir():
            missing.append(f"{path}: no such folder")
        elif not target.exists():
            missing.append(f"{path}: no such file")
        elif name is not None and not (
            target.is_file()
            and path.endswith(".py")
            and defines(target.read_text(encoding="utf-8"), name)
        ):
            missing.append(f"{path}::{name}: not defined there")
    assert not missing, f"{page.name} cites what the code no longer has:\n" + "\n".join(missing)


@pytest.mark.parametrize("page", RULE_BOOK, ids=lambda page: page.name)
def test_every_name_the_rule_book_uses_is_defined(page: Path) -> None:
    index = code_index()
    unknown = sorted(n for n in lone_names(page.read_text(encoding="utf-8")) if not index.knows(n))
    assert not unknown, f"{page.name} names what the code does not define: {unknown}"


def test_the_rule_book_cites_the_code() -> None:
    """The two pages exist and point at the code (an empty page would pass the tests above)."""
    for page in RULE_BOOK:
        assert len([c for c in citations(page.read_text(encoding="utf-8")) if c[1]]) >= 20, page


def test_no_file_points_outside_the_repository() -> None:
    offending = []
    for path in repository_files():
        data = path.read_bytes()
        for word in OUTSIDE:
            if word.encode() in data:
                offending.append(f"{path.relative_to(ROOT)}: {word}")
    assert not offending, "a fresh clone has none of these:\n" + "\n".join(offending)
