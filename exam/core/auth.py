"""Authorisation helpers used by every blueprint."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user

from exam.extensions import db, login_manager

M = TypeVar("M")


def require(predicate: Callable[[Any], bool]) -> Callable:
    """Guests are sent to the login page; signed-in users failing ``predicate`` get 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not predicate(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def get_or_404(model: type[M], ident: Any) -> M:
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return obj


def ensure(allowed: bool, *, hide: bool = False) -> None:
    """Abort unless ``allowed``: 404 where existence itself must not leak, else 403."""
    if not allowed:
        abort(404 if hide else 403)
