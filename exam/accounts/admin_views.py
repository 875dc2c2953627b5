"""Account administration ("Tài khoản"): the platform administration lists accounts,
creates staff accounts (invited by e-mail to set their password), resends invitations,
grants and revokes roles, deactivates and reactivates. The rules are in
exam/accounts/administration.py."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TypeVar

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from exam.accounts import administration
from exam.accounts.forms import RolesForm, StaffAccountForm
from exam.accounts.models import Role, User
from exam.accounts.operations import normalise_email
from exam.accounts.permissions import can_administer_accounts
from exam.accounts.queries import (
    AccountState,
    account_state,
    find_accounts,
    invitation_count,
    usable_link_expires_at,
)
from exam.core.auth import get_or_404, require
from exam.core.db import utcnow
from exam.core.views import refused, run_operation, submit_form_and_return

E = TypeVar("E", bound=Enum)

bp = Blueprint("account_admin", __name__, url_prefix="/accounts")


def _enum_arg(enum_cls: type[E], name: str) -> E | None:
    """A filter from the query string; an unknown value means no filter."""
    try:
        return enum_cls(request.args.get(name, ""))
    except ValueError:
        return None


@bp.get("/")
@require(can_administer_accounts)
def index() -> str:
    text = request.args.get("q", "")[:200]
    role, state = _enum_arg(Role, "role"), _enum_arg(AccountState, "state")
    found = find_accounts(
        text=text, role=role, state=state, page=request.args.get("page", 1, type=int), at=utcnow()
    )
    return render_template(
        "accounts/admin/index.html",
        found=found,
        text=text,
        role=role,
        state=state,
        roles=list(Role),
        states=list(AccountState),
        args={k: v for k, v in request.args.items() if k != "page"},
    )


@bp.route("/new", methods=["GET", "POST"])
@require(can_administer_accounts)
def new() -> str | Response:
    form = StaffAccountForm()
    if form.validate_on_submit():
        user = run_operation(
            lambda: administration.create_staff_account(
                form.email.data,
                form.full_name.data,
                form.roles.data or [],
                actor=current_user,
                at=utcnow(),
            ),
            _(
                "Đã tạo tài khoản và gửi thư mời đặt mật khẩu đến %(e)s.",
                e=normalise_email(form.email.data),
            ),
            form,
        )
        if user:
            return redirect(url_for("account_admin.show", user_id=user.id))
    return refused(form) or render_template("accounts/admin/new.html", form=form)


@bp.get("/<int:user_id>")
@require(can_administer_accounts)
def show(user_id: int) -> str:
    user = get_or_404(User, user_id)
    form = RolesForm()
    if not form.is_submitted():
        form.roles.data = [role.value for role in user.roles]
    return render_template(
        "accounts/admin/show.html",
        user=user,
        form=form,
        state=account_state(user),
        states=AccountState,
        link_expires_at=usable_link_expires_at(user, at=utcnow()),
        invitations=invitation_count(user),
        is_self=user.id == current_user.id,
        is_candidate=Role.CANDIDATE in user.roles,
    )


@bp.post("/<int:user_id>/roles")
@require(can_administer_accounts)
def roles(user_id: int) -> Response:
    user = get_or_404(User, user_id)
    form = RolesForm()
    return submit_form_and_return(
        form,
        lambda: administration.set_staff_roles(user, form.roles.data or [], actor=current_user),
        _("Đã lưu vai trò của %(n)s.", n=user.full_name),
        url_for("account_admin.show", user_id=user.id),
    )


def _act(
    user_id: int, operation: Callable[[User], object], success: Callable[[User], str]
) -> Response:
    """One button on the account's page: run it, then back to the page (refusals flashed)."""
    user = get_or_404(User, user_id)
    run_operation(lambda: operation(user), success(user))
    return redirect(url_for("account_admin.show", user_id=user.id))


@bp.post("/<int:user_id>/invitation")
@require(can_administer_accounts)
def invite(user_id: int) -> Response:
    return _act(
        user_id,
        lambda user: administration.resend_invitation(user, actor=current_user, at=utcnow()),
        lambda user: _(
            "Đã gửi lại thư mời đặt mật khẩu cho %(n)s; đường dẫn gửi trước không còn dùng được.",
            n=user.full_name,
        ),
    )


@bp.post("/<int:user_id>/deactivate")
@require(can_administer_accounts)
def deactivate(user_id: int) -> Response:
    return _act(
        user_id,
        lambda user: administration.deactivate_account(user, actor=current_user),
        lambda user: _(
            "Đã khóa tài khoản của %(n)s: mọi phiên đăng nhập đã kết thúc.", n=user.full_name
        ),
    )


@bp.post("/<int:user_id>/reactivate")
@require(can_administer_accounts)
def reactivate(user_id: int) -> Response:
    return _act(
        user_id,
        lambda user: administration.reactivate_account(user, actor=current_user),
        lambda user: _("Đã mở khóa tài khoản của %(n)s.", n=user.full_name),
    )
