"""exam: competitive selection of leaders and managers for Hanoi's public service units."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, render_template, request
from flask_babel import format_decimal
from flask_login import current_user

import config as app_config
from exam.core import i18n
from exam.core.http import BoundedIntegerConverter, apply_upload_limit
from exam.core.ratelimits import init_rate_limits
from exam.extensions import babel, csrf, db, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def create_app(config: type | dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    # Before any route is added: an id beyond the database's integers is a 404, not a 500.
    app.url_map.converters["int"] = BoundedIntegerConverter
    if isinstance(config, dict):
        app.config.from_object(app_config.config_from_environment())
        app.config.update(config)
    else:
        app.config.from_object(config or app_config.config_from_environment())
    _refuse_unsafe_production(app)
    from exam.core.jobs import queue_kind

    queue_kind(app.config)  # a misnamed JOBS_QUEUE stops the start, not the first import
    from exam.core.storage import refuse_unusable_storage

    refuse_unusable_storage(app.config)  # likewise STORAGE_BACKEND, before the first upload
    os.makedirs(app.instance_path, exist_ok=True)
    if app.config.get("PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        proxies = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    _init_extensions(app)
    _register_blueprints(app)
    _register_template_helpers(app)
    _register_errors(app)
    _register_cli(app)
    _register_stage_guards()
    _register_audited_kinds()
    _register_seat_lookup()
    app.after_request(_security_headers)
    return app


# The pages of a session's first minute, and what they extend and import (compiled when
# rendered, not with the page).
_HOT_TEMPLATES = (
    "base.html",
    "_macros/forms.html",
    "exams/start.html",
    "exams/paper.html",
    "exams/closing.html",
)


def warm_up(app: Flask) -> None:
    """Make a fresh server process ready for the start of a session: the exam pages'
    templates compiled, the hot statements compiled, a database connection open and the
    translations loaded. Without it the first requests of each process pay for all this
    while hundreds of candidates press Start (bench/start_storm.py: the slow requests were
    all in the storm's first 0.7 s). Called by gunicorn.conf.py once per worker."""
    from flask_babel import force_locale, gettext

    from exam.exams.hotpath import compile_hot_statements

    with app.app_context():
        for name in _HOT_TEMPLATES:
            app.jinja_env.get_template(name)
        with db.engine.connect() as connection:
            compile_hot_statements(connection.dialect.name)
        with app.test_request_context():
            for locale in app.config["LANGUAGES"]:
                with force_locale(locale):
                    gettext("Bài thi")


def _refuse_unsafe_production(app: Flask) -> None:
    if app.config.get("ENV_NAME") == "production":
        from exam.core.secret_key import refuse_unsafe_secret_key

        refuse_unsafe_secret_key(app.config.get("SECRET_KEY"), app.config.get("SECRET_KEY_FILE"))


def _init_extensions(app: Flask) -> None:
    from exam import models  # noqa: F401  (every table known to the metadata)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    # Before CSRF's check reads the form: views that take large uploads say their own limit.
    app.before_request(apply_upload_limit)
    csrf.init_app(app)
    init_rate_limits(app)  # shared storage in production; Redis down: 503
    limiter.init_app(app)
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        default_translation_directories=str(ROOT / "exam" / "translations"),
    )
    i18n.install_template_gettext(app)
    # Templates get the lazy current_user proxy: a page that never shows the account (the
    # paper at the start of a session) does not load it.
    login_manager.init_app(app, add_context_processor=False)
    app.context_processor(lambda: {"current_user": current_user})
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"

    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Vui lòng đăng nhập để tiếp tục.")

    from exam.accounts import sessions
    from exam.accounts.models import User

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        # One query for the user and their roles (every signed-in request asks for both).
        # The session's token must still be the account's (sessions.py: revocation).
        from sqlalchemy.orm import joinedload

        parsed = sessions.parse_user_id(user_id)
        if parsed is None:
            return None
        user = db.session.get(User, parsed[0], options=[joinedload(User.role_grants)])
        if user is None or not user.is_active or not sessions.token_matches(user, parsed[1]):
            return None
        return user

    app.before_request(sessions.enforce_limits)
    from exam.core import refused_forms

    app.before_request(refused_forms.take_for_this_page)  # Post/Redirect/Get of a refused form

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        from exam.core.db import enable_sqlite_pragmas

        with app.app_context():
            enable_sqlite_pragmas(db.engine)

    @app.teardown_request
    def _one_request_one_transaction(exc: BaseException | None) -> None:
        # Operations only flush; views commit once. Whatever is left is thrown away.
        if exc is not None:
            db.session.rollback()


def _register_blueprints(app: Flask) -> None:
    from exam.accounts.admin_views import bp as account_admin_bp
    from exam.accounts.views import bp as accounts_bp
    from exam.appeals.views import bp as appeals_bp
    from exam.candidates.views import bp as candidates_bp
    from exam.council.views import bp as council_bp
    from exam.documents.views import bp as documents_bp
    from exam.exams.views import bp as exams_bp
    from exam.main.outbox_views import bp as notices_bp
    from exam.main.views import bp as main_bp
    from exam.marking.views import bp as marking_bp
    from exam.panels import (
        record_views,  # noqa: F401  (its routes, on panels_bp)
        session_views,  # noqa: F401  (its routes, on panels_bp)
    )
    from exam.panels.views import bp as panels_bp
    from exam.question_bank.views import bp as bank_bp
    from exam.results import (
        document_views,  # noqa: F401  (its routes, on results_bp)
        formula_views,  # noqa: F401  (its routes, on results_bp)
        publication_views,  # noqa: F401  (its routes, on results_bp)
    )
    from exam.results.views import bp as results_bp
    from exam.rounds.views import bp as rounds_bp
    from exam.supervision.views import bp as supervision_bp

    for blueprint in (
        main_bp,
        accounts_bp,
        account_admin_bp,
        rounds_bp,
        council_bp,
        documents_bp,
        candidates_bp,
        notices_bp,
        bank_bp,
        exams_bp,
        marking_bp,
        panels_bp,
        results_bp,
        supervision_bp,
        appeals_bp,
    ):
        app.register_blueprint(blueprint)


def _register_template_helpers(app: Flask) -> None:
    from exam import permissions
    from exam.core.documents import nd30_date

    app.jinja_env.filters["date"] = i18n.format_date
    app.jinja_env.filters["datetime"] = i18n.format_datetime
    app.jinja_env.filters["nd30_date"] = nd30_date
    app.jinja_env.filters["score"] = lambda v: "—" if v is None else format_decimal(v, "0.00")
    # Any other number, with the page's decimal sign (33,33 in Vietnamese), no grouping (a
    # numerical answer may be a year), at most 6 decimals like the '%g' it replaces.
    app.jinja_env.filters["number"] = lambda v: format_decimal(v, "0.######")
    app.jinja_env.globals["can"] = permissions
    app.jinja_env.globals["current_locale"] = i18n.select_locale


def _register_errors(app: Flask) -> None:
    def render_error(error: Any) -> tuple[str, int]:
        code = getattr(error, "code", 500)
        return render_template("errors.html", code=code), code

    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, render_error)


def _register_cli(app: Flask) -> None:
    from exam.cli import register_commands

    register_commands(app)


def _register_audited_kinds() -> None:
    """Each domain whose values the audit trail vouches for registers them
    (exam/audit/reconcile.py::register_kind), in the order ``flask audit verify`` reports."""
    from importlib import import_module

    for domain in ("exams", "marking", "panels", "candidates", "results"):
        import_module(f"exam.{domain}.audited")


def _register_stage_guards() -> None:
    """Each domain registers what it asks of a round before the round moves on
    (exam/rounds/stages.py): importing its guards module is the registration."""
    from exam.candidates import guards as candidates_guards  # noqa: F401
    from exam.exams import guards as exams_guards  # noqa: F401
    from exam.marking import guards as marking_guards  # noqa: F401
    from exam.panels import guards as panels_guards  # noqa: F401
    from exam.results import guards as results_guards  # noqa: F401


def _register_seat_lookup() -> None:
    """The council domain tells the rounds who sits on which body (exam/rounds/seats.py)."""
    from exam.council.permissions import register_with_rounds

    register_with_rounds()


def _security_headers(response: Any) -> Any:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.endpoint != "static" and "no-store" not in response.headers.get("Cache-Control", ""):
        # Papers, questions, dossiers and results must not stay in a shared computer's
        # cache (or a proxy's) after the person leaves: only the static assets are kept.
        response.headers["Cache-Control"] = "no-store"
    return response
