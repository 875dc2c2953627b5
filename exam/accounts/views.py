from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from exam.accounts.forms import LoginForm, RegistrationForm
from exam.accounts.operations import authenticate, register_candidate
from exam.core.views import run_operation
from exam.extensions import db, limiter

bp = Blueprint("accounts", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _login_limit_per_address() -> str:
    return current_app.config["LOGIN_RATE_LIMIT_PER_ADDRESS"]


def _address_and_account() -> str:
    """Attempts on one account from one address: a guesser is held back, while the other
    candidates of an exam site behind the same address still sign in."""
    email = (request.form.get("email") or "").strip().casefold()
    return f"{get_remote_address()} {email}"


def _safe_next(target: str | None) -> str:
    # A local path only. Control characters are refused: browsers (and urlsplit) drop tabs
    # and newlines, so "/\t/evil.example" would become "//evil.example".
    if target and target.startswith("/") and not target.startswith("//") and target.isprintable():
        return target
    return url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_address_and_account)
@limiter.limit(_login_limit_per_address, methods=["POST"])
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            db.session.commit()
            login_user(user)
            flash(_("Đăng nhập thành công."), "success")
            return redirect(_safe_next(request.args.get("next")))
        form.form_errors.append(_("Email hoặc mật khẩu không đúng."))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Response:
    logout_user()
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("main.index"))


@bp.route("/register", methods=["GET", "POST"])
def register() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegistrationForm()
    if form.validate_on_submit():
        user = run_operation(
            lambda: register_candidate(form.email.data, form.full_name.data, form.password.data),
            _("Đăng ký thành công. Bạn có thể nộp hồ sơ dự tuyển."),
            form,
        )
        if user:
            login_user(user)
            return redirect(url_for("main.index"))
    return render_template("accounts/register.html", form=form)
