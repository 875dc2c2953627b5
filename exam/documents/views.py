"""Issued documents: their download, and the public verification page (no sign-in): a code
shows the document's number, date, issuer, title and SHA-256, and a PDF sent there is said
to be, or not to be, exactly the one issued."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from exam.core.auth import get_or_404
from exam.core.http import allows_upload_of
from exam.core.views import commit_after
from exam.documents.announcements import announcement_document, issued_announcement
from exam.documents.forms import CodeForm, CompareForm
from exam.documents.models import IssuedDocument
from exam.documents.permissions import can_download
from exam.documents.queries import (
    DocumentDamaged,
    document_by_code,
    document_bytes,
    is_the_issued_one,
    normalise_code,
    replaced,
)
from exam.extensions import db, limiter, login_manager
from exam.rounds.documents import render_announcement
from exam.rounds.models import Round, RoundStatus
from exam.rounds.permissions import can_view_round_admin

bp = Blueprint("documents", __name__)


def _verify_limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]


def _verify_upload_max() -> int:
    """A PDF to compare is read only up to this size (413 beyond), whatever the site allows:
    set before CSRF's check reads the form (exam/core/http.py::allows_upload_of)."""
    return int(current_app.config["VERIFY_UPLOAD_MAX_BYTES"])


@bp.get("/documents/<int:document_id>.pdf")
def download(document_id: int) -> Response:
    doc = get_or_404(IssuedDocument, document_id)
    if not can_download(current_user, doc):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        abort(404)  # as if it did not exist: its number and title are not everyone's
    return _send_issued(doc)


def _send_issued(doc: IssuedDocument) -> Response:
    """The document's bytes exactly as issued (500 if its stored file was lost or changed)."""
    try:
        data = document_bytes(doc)
    except DocumentDamaged:
        current_app.logger.error("issued document %s: stored file missing or changed", doc.code)
        abort(500)
    response = current_app.response_class(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{doc.kind.value}-{doc.code}.pdf"'
    )
    response.set_etag(doc.sha256)
    return response


def _public_pdf_limit() -> str:
    return current_app.config["PUBLIC_PDF_RATE_LIMIT"]


def _announcement_issued() -> bool:
    """The stored announcement costs a file read: only rendering or issuing one is
    rate-limited."""
    round_ = db.session.get(Round, (request.view_args or {}).get("round_id", 0))
    return round_ is not None and announcement_document(round_) is not None


@bp.get("/rounds/<int:round_id>/announcement.pdf")
@limiter.limit(_public_pdf_limit, exempt_when=_announcement_issued)
def round_announcement(round_id: int) -> Response:
    """The round's announcement, public once the round is announced: the issued one
    (exam/documents/announcements.py; issued now if its job has not run yet). A draft's is
    rendered for its Council and board, and a round announced before announcements were
    issued has its rendered as before."""
    round_ = get_or_404(Round, round_id)
    if round_.status == RoundStatus.DRAFT:
        if not can_view_round_admin(current_user, round_):
            abort(404)
    elif (doc := commit_after(lambda: issued_announcement(round_))) is not None:
        return _send_issued(doc)
    response = current_app.response_class(render_announcement(round_), mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="thong-bao-thi-tuyen-{round_.id}.pdf"'
    )
    return response


@bp.get("/xac-minh")
@limiter.limit(_verify_limit)
def lookup() -> str | Response | tuple[str, int]:
    form = CodeForm(request.args)
    if request.args and form.validate():
        code = normalise_code(form.code.data)
        if code is None:  # cannot be a code: the page of an unknown one, without a lookup
            return _verification_page(None, form.code.data.strip(), CompareForm())
        return redirect(url_for("documents.verify", code=code))
    return render_template("documents/lookup.html", form=form)


@bp.route("/xac-minh/<code>", methods=["GET", "POST"])
@allows_upload_of(_verify_upload_max)
@limiter.limit(_verify_limit)
def verify(code: str) -> tuple[str, int]:
    doc = document_by_code(code)
    form = CompareForm()
    match: bool | None = None
    if doc is not None and form.validate_on_submit():
        match = is_the_issued_one(doc, form.file.data.read())
    return _verification_page(doc, code, form, match)


def _verification_page(
    doc: IssuedDocument | None, code: str, form: CompareForm, match: bool | None = None
) -> tuple[str, int]:
    """One page for a known code and an unknown one, which learns nothing else."""
    shown = doc.code if doc is not None else code
    replaces = replaced(doc) if doc is not None else None
    page = render_template(
        "documents/verify.html", doc=doc, code=shown, form=form, match=match, replaces=replaces
    )
    return page, (200 if doc is not None else 404)
