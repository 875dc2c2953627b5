"""The outbox's page (blueprint ``notices``): the notices' queue, read and sent again by the
platform administration. It lives at the top because it joins the notices with the accounts'
roles; the notices themselves sit below the accounts, which queue their mail."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from exam.core.auth import get_or_404, require
from exam.core.db import utcnow
from exam.core.views import commit_each_step, run_operation
from exam.main.permissions import can_retry_notices, can_view_outbox
from exam.notices.models import OutboxMessage, OutboxStatus
from exam.notices.operations import retry_failed
from exam.notices.queries import outbox, outbox_counts
from exam.notices.sender import deliver_due

bp = Blueprint("notices", __name__, url_prefix="/notices")


@bp.get("/")
@require(can_view_outbox)
def outbox_page() -> str:
    status = request.args.get("status")
    wanted = OutboxStatus(status) if status in {s.value for s in OutboxStatus} else None
    return render_template(
        "notices/outbox.html",
        messages=outbox(wanted),
        counts=outbox_counts(),
        status=wanted,
        statuses=list(OutboxStatus),
        pending=OutboxStatus.PENDING,
    )


@bp.post("/<int:message_id>/retry")
@require(can_retry_notices)
def retry(message_id: int) -> Response:
    message = get_or_404(OutboxMessage, message_id)
    run_operation(lambda: retry_failed(message, at=utcnow()), _("Đã đưa thư vào hàng đợi gửi lại."))
    return redirect(url_for("notices.outbox_page"))


# A click sends at most this many: a person waits for the page, and the rest follow on the
# next click (or the scheduled sending).
SEND_NOW_LIMIT = 50


@bp.post("/send")
@require(can_retry_notices)
def send_now() -> Response:
    report = deliver_due(
        at=utcnow(), config=current_app.config, limit=SEND_NOW_LIMIT, after_each=commit_each_step
    )
    if report.failed:
        flash(
            _(
                "Đã gửi %(sent)s thư; %(failed)s thư chưa gửi được (xem cột «Lỗi gần nhất»), "
                "hệ thống sẽ tự gửi lại.",
                sent=report.sent,
                failed=report.failed,
            ),
            "warning",
        )
    elif report.sent:
        flash(_("Đã gửi %(sent)s thư.", sent=report.sent), "success")
    else:
        flash(_("Không có thư nào đang chờ gửi."), "info")
    return redirect(url_for("notices.outbox_page"))
