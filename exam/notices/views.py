from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from exam.core.auth import get_or_404, require
from exam.core.db import utcnow
from exam.core.views import run_operation
from exam.notices.models import OutboxMessage, OutboxStatus
from exam.notices.operations import retry_failed
from exam.notices.permissions import can_retry_notices, can_view_outbox
from exam.notices.queries import outbox, outbox_counts

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
    )


@bp.post("/<int:message_id>/retry")
@require(can_retry_notices)
def retry(message_id: int) -> Response:
    message = get_or_404(OutboxMessage, message_id)
    run_operation(lambda: retry_failed(message, at=utcnow()), _("Đã đưa thư vào hàng đợi gửi lại."))
    return redirect(url_for("notices.outbox_page"))
