"""What a request sends, read safely whatever it sends: ids in URLs and JSON bodies.

A hostile client may put any number in a URL or a body: a value beyond the database's
integers must be "no such thing" (404) or "bad request" (400), never a query that fails
(500). Every id column is an INTEGER, 32 bits on PostgreSQL: 3000000000 in a URL failed
there as surely as 2^70 did on both databases. A JSON body nested thousands deep must be
refused before any code walks it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request, url_for
from werkzeug.routing import IntegerConverter, Map

MAX_ID = 2**31 - 1  # the largest INTEGER of PostgreSQL, the type of every id column
MAX_JSON_DEPTH = 32  # the exam page's bodies are 5 deep; a parser recurses per level


class BoundedIntegerConverter(IntegerConverter):
    """``<int:…>`` of every route: ids from 0 to ``MAX_ID``; beyond, the URL matches no
    route (404) instead of failing in the database."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = MAX_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def is_id(value: Any) -> bool:
    """An integer (not a bool, not a float) that can be a row's id."""
    return type(value) is int and 0 <= value <= MAX_ID


def local_path(target: str | None, fallback: str) -> str:
    """``target`` when it is a path of this site, else ``fallback``: the one check of every
    ``next`` a request carries, so that no page redirects off the site. Refused: anything
    not starting with one "/", a backslash anywhere (browsers read "/\\evil" as "//evil"),
    control characters (browsers drop tabs and newlines: "/\\t/evil" becomes "//evil")."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or not target.isprintable()
    ):
        return fallback
    parts = urlsplit(target)
    return fallback if parts.scheme or parts.netloc else target


def _depth_within(value: Any, limit: int) -> bool:
    """Whether ``value`` nests at most ``limit`` lists/objects deep (walked without
    recursion, so that the check itself cannot overflow the stack)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return False
        stack.extend((child, depth + 1) for child in children)
    return True


def json_body(max_depth: int = MAX_JSON_DEPTH) -> Any | None:
    """The request's JSON body, or None when there is none, when it is not valid JSON in
    UTF-8, or when it nests deeper than ``max_depth``. Every JSON route reads its body
    here: Flask's ``get_json(silent=True)`` lets the parser's RecursionError through (a
    body of 100,000 ``[`` was a 500)."""
    try:
        value = request.get_json(silent=True)
    except RecursionError:
        return None
    if value is None or not _depth_within(value, max_depth):
        return None
    return value


View = TypeVar("View", bound=Callable[..., Any])


def allows_upload_of(limit: Callable[[], int]) -> Callable[[View], View]:
    """Mark a view that takes bodies up to ``limit()`` bytes instead of ``MAX_CONTENT_LENGTH``
    (a recording of a session, a plan). Set on the request by ``apply_upload_limit`` before
    any hook reads the form: CSRF's check reads it first, and would refuse a large body at the
    site's limit before the view could raise it."""

    def mark(view: View) -> View:
        view.upload_limit = limit  # type: ignore[attr-defined]
        return view

    return mark


def apply_upload_limit() -> None:
    """``before_request``, registered before CSRFProtect's: the marked view's own limit."""
    view = current_app.view_functions.get(request.endpoint or "")
    limit = getattr(view, "upload_limit", None)
    if limit is not None:
        request.max_content_length = limit()


def public_url_for(endpoint: str, **values: Any) -> str:
    """The absolute address of a page, for what leaves the site: links in e-mails, the QR
    code printed on a document. Built on ``PUBLIC_URL`` when set (a forged Host header must
    not end up in an e-mail or on a document), else on the request's host; outside any
    request (a background job, a command) without ``PUBLIC_URL``: on ``SERVER_NAME``, else
    ``http://localhost`` — production sets ``PUBLIC_URL`` (README, settings)."""
    public = current_app.config.get("PUBLIC_URL", "")
    if not public and has_request_context():
        return url_for(endpoint, _external=True, **values)
    server = current_app.config.get("SERVER_NAME") or "localhost"
    root = current_app.config.get("APPLICATION_ROOT") or "/"
    path = current_app.url_map.bind(server, script_name=root).build(endpoint, values)
    return (public or f"http://{server}").rstrip("/") + path
