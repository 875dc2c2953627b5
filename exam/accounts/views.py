from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from exam.accounts import invitations
from exam.accounts.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    RegistrationForm,
    SetPasswordForm,
)
from exam.accounts.operations import (
    authenticate,
    change_password,
    end_all_sessions,
    register_candidate,
)
from exam.accounts.sessions import end_session, start_session
from exam.core.db import utcnow
from exam.core.http import local_path
from exam.core.views import commit_after, refused, run_operation
from exam.extensions import limiter

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


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_address_and_account)
@limiter.limit(_login_limit_per_address, methods=["POST"])
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = commit_after(lambda: authenticate(form.email.data, form.password.data))
        if user is not None:
            start_session(user)
            flash(_("Đăng nhập thành công."), "success")
            return redirect(local_path(request.args.get("next"), url_for("main.index")))
        form.form_errors.append(_("Email hoặc mật khẩu không đúng."))
    return refused(form) or render_template("accounts/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Response:
    commit_after(lambda: end_all_sessions(current_user._get_current_object()))
    end_session()
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("main.index"))


def _register_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


def _register_limit_per_address() -> str:
    return current_app.config["REGISTER_RATE_LIMIT_PER_ADDRESS"]


def _registered_address() -> str:
    """Registrations naming one address, wherever they come from: each may e-mail its
    owner, whose mailbox is not to be flooded."""
    return "register " + (request.form.get("email") or "").strip().casefold()


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"], key_func=_registered_address)
@limiter.limit(_register_limit_per_address, methods=["POST"])
def register() -> str | Response:
    """The same answer whether or not the address has an account (its owner is told by
    e-mail instead): the page tells no one which addresses are registered."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegistrationForm()
    if form.validate_on_submit():
        done = run_operation(
            lambda: register_candidate(
                form.email.data, form.full_name.data, form.password.data, at=utcnow()
            ),
            _("Đã nhận đăng ký."),
            form,
        )
        if done:
            return redirect(url_for("accounts.registered"))
    return refused(form) or render_template("accounts/register.html", form=form)


@bp.get("/register/done")
def registered() -> str:
    return render_template("accounts/registered.html")


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_login_limit, methods=["POST"], key_func=lambda: f"password {current_user.id}")
def password() -> str | Response:
    """The owner changes their password: every other session of the account ends, and
    this one is signed in afresh."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        changed = run_operation(
            lambda: change_password(
                user, form.current_password.data, form.password.data, actor=user
            ),
            _("Đã đổi mật khẩu. Các phiên đăng nhập khác của tài khoản đã kết thúc."),
            form,
        )
        if changed:
            start_session(user)
            return redirect(url_for("main.index"))
    return refused(form) or render_template("accounts/password.html", form=form)


# --- invitations and "forgot password" (exam/accounts/invitations.py) ----------------------


# "Forgot password" e-mails the owner of an address: a few a quarter of an hour for one
# address from one place; an exam site behind one address (NAT) may have many who forgot.
def _reset_limit() -> str:
    return current_app.config["PASSWORD_RESET_RATE_LIMIT"]


def _reset_limit_per_address() -> str:
    return current_app.config["PASSWORD_RESET_RATE_LIMIT_PER_ADDRESS"]


def _token_limit() -> str:
    # A link's token cannot be guessed (256 bits); this only bounds the password checks.
    return current_app.config["PASSWORD_LINK_RATE_LIMIT"]


def _secret_page(body: str) -> Response:
    """A page whose address carries a token: never cached, never sent on as a referrer."""
    response = current_app.make_response(body)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _set_password_page(token: str) -> Response:
    form = SetPasswordForm()
    if invitations.find_token(token, at=utcnow()) is None:
        return _secret_page(render_template("accounts/token_unusable.html"))
    if form.validate_on_submit():
        user = run_operation(
            lambda: invitations.use_token(
                token, form.password.data, form.confirm.data, at=utcnow()
            ),
            _("Đã đặt mật khẩu. Bạn đã đăng nhập."),
            form,
        )
        if user:
            start_session(user)
            return redirect(url_for("main.index"))
    return refused(form) or _secret_page(render_template("accounts/set_password.html", form=form))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit(_token_limit, methods=["POST"])
def use_token(token: str) -> Response:
    """The link of an invitation or a reset e-mail: set a password, then signed in."""
    return _set_password_page(token)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_reset_limit_per_address, methods=["POST"])
@limiter.limit(_reset_limit, methods=["POST"], key_func=_address_and_account)
def forgot_password() -> str | Response:
    """The same answer whether the address has an account or not."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        commit_after(lambda: invitations.request_password_reset(form.email.data, at=utcnow()))
        return render_template("accounts/forgot_sent.html", email=form.email.data)
    return refused(form) or render_template("accounts/forgot.html", form=form)
