"""A candidate's admission card (PDF), for the candidate and for the board of their round."""

from __future__ import annotations

from flask import current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from exam.candidates.models import Application
from exam.candidates.permissions import can_view_application
from exam.core.auth import ensure, get_or_404
from exam.exams.cards import admission_card_pdf
from exam.exams.views.blueprint import bp


@bp.get("/applications/<int:application_id>/admission-card.pdf")
@login_required
def admission_card(application_id: int) -> Response:
    application = get_or_404(Application, application_id)
    ensure(can_view_application(current_user, application), hide=True)
    if not application.registration_number:
        flash(
            _("Thẻ dự thi chỉ có sau khi hồ sơ được xét đủ điều kiện và có số báo danh."), "warning"
        )
        return redirect(url_for("candidates.show", application_id=application.id))
    response = current_app.response_class(
        admission_card_pdf(application), mimetype="application/pdf"
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="the-du-thi-{application.registration_number}.pdf"'
    )
    return response
