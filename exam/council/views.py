"""A round's bodies and their members, the setup decisions as PDFs, the Council's meetings
and minutes. Whoever sits on no body of the round (and is not platform administration) is
told nothing exists (404)."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from exam.accounts.models import User
from exam.core.auth import ensure, get_or_404, require
from exam.core.db import utcnow
from exam.core.pdf import render_pdf
from exam.core.views import refused, run_operation, submit_form_and_return
from exam.council.documents import decision_document, minutes_document
from exam.council.forms import (
    BodyForm,
    ItemForm,
    MeetingForm,
    MemberForm,
    NewDecisionForm,
    VoteForm,
)
from exam.council.issuing import (
    body_decisions,
    close_meeting,
    decision_in_force,
    issue_body_decision,
    issue_new_body_decision,
    meeting_problems,
)
from exam.council.models import (
    Body,
    BodyKind,
    Meeting,
    MeetingItem,
    Membership,
    VoteChoice,
    function_title,
    functions_for,
)
from exam.council.operations import (
    add_item,
    add_member,
    cast_vote,
    hold_meeting,
    remove_member,
    set_up_body,
)
from exam.council.permissions import (
    can_manage_members,
    can_run_meetings,
    can_set_up,
    can_view_bodies,
    can_view_meetings,
)
from exam.council.queries import bodies_of_round, council_of, decide, meetings_of, staff_people
from exam.rounds.models import Round

bp = Blueprint("council", __name__)

signed_in = require(lambda user: True)


def _round_for(round_id: int) -> Round:
    """The round, if the user may see its bodies; else 404, as if it did not exist."""
    round_ = get_or_404(Round, round_id)
    ensure(can_view_bodies(current_user, round_), hide=True)
    return round_


def _body_for(body_id: int) -> Body:
    body = get_or_404(Body, body_id)
    ensure(can_view_bodies(current_user, body.round_id), hide=True)
    return body


def _meeting_for(meeting_id: int) -> Meeting:
    meeting = get_or_404(Meeting, meeting_id)
    ensure(can_view_meetings(current_user, meeting.body.round_id), hide=True)
    return meeting


def _pdf(document: bytes, filename: str) -> Response:
    response = current_app.response_class(document, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- bodies and members ------------------------------------------------------------------


@bp.get("/rounds/<int:round_id>/bodies")
@signed_in
def index(round_id: int) -> str:
    round_ = _round_for(round_id)
    council = council_of(round_.id)
    return render_template(
        "council/index.html",
        round=round_,
        bodies=bodies_of_round(round_.id),
        kinds_allowed=[k for k in BodyKind if can_set_up(current_user, round_, k)],
        meetings=meetings_of(council) if council else [],
        may_see_meetings=can_view_meetings(current_user, round_),
        may_run_meetings=council is not None and can_run_meetings(current_user, round_),
    )


@bp.route("/rounds/<int:round_id>/bodies/new", methods=["GET", "POST"])
@signed_in
def new(round_id: int) -> str | Response:
    round_ = _round_for(round_id)
    kinds = [k for k in BodyKind if can_set_up(current_user, round_, k)]
    ensure(bool(kinds))
    form = BodyForm()
    form.kind.choices = [SelectChoice(k.value, k.title) for k in kinds]
    if form.validate_on_submit():
        body = run_operation(
            lambda: set_up_body(
                round_,
                BodyKind(form.kind.data),
                name=form.name.data or "",
                decision_number=form.decision_number.data,
                decision_on=form.decision_on.data,
                signer_name=form.signer_name.data,
                signer_title=form.signer_title.data,
                actor=current_user,
            ),
            _("Đã thành lập theo quyết định."),
            form,
        )
        if body:
            return redirect(url_for("council.show", body_id=body.id))
    return refused(form) or render_template("council/new.html", form=form, round=round_)


def _member_form(body: Body) -> MemberForm:
    form = MemberForm()
    form.user_id.choices = [
        SelectChoice(u.id, f"{u.full_name} ({u.email})") for u in staff_people()
    ]
    form.function.choices = [
        SelectChoice(f.value, function_title(body.kind, f)) for f in functions_for(body.kind)
    ]
    return form


@bp.get("/bodies/<int:body_id>")
@signed_in
def show(body_id: int) -> str:
    body = _body_for(body_id)
    manage = can_manage_members(current_user, body)
    return render_template(
        "council/show.html",
        body=body,
        round=body.round,
        form=_member_form(body) if manage else None,
        manage=manage,
        decisions=body_decisions(body),
        decision_form=NewDecisionForm() if manage else None,
    )


@bp.post("/bodies/<int:body_id>/members")
@signed_in
def add(body_id: int) -> Response:
    body = _body_for(body_id)
    ensure(can_manage_members(current_user, body))
    form = _member_form(body)
    return submit_form_and_return(
        form,
        lambda: add_member(
            body,
            get_or_404(User, form.user_id.data),
            form.function.data,
            post=form.post.data or "",
            actor=current_user,
        ),
        _("Đã thêm thành viên."),
        url_for("council.show", body_id=body.id),
    )


@bp.post("/bodies/<int:body_id>/members/<int:membership_id>/remove")
@signed_in
def remove(body_id: int, membership_id: int) -> Response:
    body = _body_for(body_id)
    ensure(can_manage_members(current_user, body))
    membership = get_or_404(Membership, membership_id)
    ensure(membership.body_id == body.id, hide=True)
    run_operation(
        lambda: remove_member(membership, actor=current_user), _("Đã đưa ra khỏi danh sách.")
    )
    return redirect(url_for("council.show", body_id=body.id))


@bp.get("/bodies/<int:body_id>/decision.pdf")
@signed_in
def decision_pdf(body_id: int) -> Response:
    """The decision in force as issued; before it is issued, a draft of it with the members
    as they are now (no code)."""
    body = _body_for(body_id)
    issued = decision_in_force(body)
    if issued is not None:
        return redirect(url_for("documents.download", document_id=issued.id))
    document = render_pdf("pdf/body_decision.html", **decision_document(body))
    return _pdf(document, f"quyet-dinh-thanh-lap-{body.kind.value}-{body.id}.pdf")


@bp.post("/bodies/<int:body_id>/decision")
@signed_in
def issue_decision(body_id: int) -> Response:
    body = _body_for(body_id)
    ensure(can_manage_members(current_user, body))
    run_operation(
        lambda: issue_body_decision(body, actor=current_user),
        _("Đã ban hành quyết định kèm danh sách thành viên."),
    )
    return redirect(url_for("council.show", body_id=body.id))


@bp.post("/bodies/<int:body_id>/decisions")
@signed_in
def new_decision(body_id: int) -> Response:
    body = _body_for(body_id)
    ensure(can_manage_members(current_user, body))
    form = NewDecisionForm()
    return submit_form_and_return(
        form,
        lambda: issue_new_body_decision(
            body,
            decision_number=form.decision_number.data,
            decision_on=form.decision_on.data,
            signer_name=form.signer_name.data,
            signer_title=form.signer_title.data,
            actor=current_user,
        ),
        _("Đã ban hành quyết định mới thay thế quyết định trước."),
        url_for("council.show", body_id=body.id),
    )


# --- the Council's meetings --------------------------------------------------------------


def _meeting_form(council: Body) -> MeetingForm:
    form = MeetingForm()
    people = [SelectChoice(m.user_id, m.user.full_name) for m in council.sorted_members()]
    form.attendee_ids.choices = people
    form.presiding_id.choices = people
    return form


@bp.route("/rounds/<int:round_id>/meetings/new", methods=["GET", "POST"])
@signed_in
def new_meeting(round_id: int) -> str | Response:
    round_ = _round_for(round_id)
    ensure(can_run_meetings(current_user, round_))
    council = council_of(round_.id)
    ensure(council is not None, hide=True)
    form = _meeting_form(council)
    if form.validate_on_submit():
        meeting = run_operation(
            lambda: hold_meeting(
                council,
                held_at=form.held_at.utc,
                place=form.place.data,
                attendee_ids=form.attendee_ids.data or [],
                presiding_id=form.presiding_id.data,
                actor=current_user,
                at=utcnow(),
            ),
            _("Đã ghi cuộc họp."),
            form,
        )
        if meeting:
            return redirect(url_for("council.meeting", meeting_id=meeting.id))
    return refused(form) or render_template(
        "council/meeting_form.html", form=form, round=round_, council=council
    )


def _vote_form(item: MeetingItem) -> VoteForm:
    # Every attendee is offered: a second vote is refused by the operation, in words.
    form = VoteForm(prefix=f"item{item.id}")
    form.voter_id.choices = [
        SelectChoice(a.user_id, a.user.full_name) for a in item.meeting.attendees
    ]
    return form


@bp.get("/meetings/<int:meeting_id>")
@signed_in
def meeting(meeting_id: int) -> str:
    meeting = _meeting_for(meeting_id)
    run = can_run_meetings(current_user, meeting.body.round_id) and not meeting.closed
    return render_template(
        "council/meeting.html",
        meeting=meeting,
        round=meeting.body.round,
        outcomes={item.id: decide(item) for item in meeting.items},
        item_form=ItemForm() if run else None,
        vote_forms={item.id: _vote_form(item) for item in meeting.items} if run else {},
        choices=list(VoteChoice),
        run=run,
        close_problems=meeting_problems(meeting),
    )


@bp.post("/meetings/<int:meeting_id>/items")
@signed_in
def new_item(meeting_id: int) -> Response:
    meeting = _meeting_for(meeting_id)
    ensure(can_run_meetings(current_user, meeting.body.round_id))
    form = ItemForm()
    return submit_form_and_return(
        form,
        lambda: add_item(
            meeting, title=form.title.data, motion=form.motion.data or "", actor=current_user
        ),
        _("Đã thêm nội dung biểu quyết."),
        url_for("council.meeting", meeting_id=meeting.id),
    )


@bp.post("/meetings/items/<int:item_id>/votes")
@signed_in
def vote(item_id: int) -> Response:
    item = get_or_404(MeetingItem, item_id)
    meeting = _meeting_for(item.meeting_id)
    ensure(can_run_meetings(current_user, meeting.body.round_id))
    form = _vote_form(item)
    return submit_form_and_return(
        form,
        lambda: cast_vote(
            item,
            get_or_404(User, form.voter_id.data),
            VoteChoice(form.choice.data),
            actor=current_user,
            at=utcnow(),
        ),
        _("Đã ghi biểu quyết."),
        url_for("council.meeting", meeting_id=meeting.id),
    )


@bp.post("/meetings/<int:meeting_id>/close")
@signed_in
def close(meeting_id: int) -> Response:
    meeting = _meeting_for(meeting_id)
    ensure(can_run_meetings(current_user, meeting.body.round_id))
    run_operation(
        lambda: close_meeting(meeting, actor=current_user),
        _("Đã kết thúc cuộc họp và ban hành biên bản."),
    )
    return redirect(url_for("council.meeting", meeting_id=meeting.id))


@bp.get("/meetings/<int:meeting_id>/minutes.pdf")
@signed_in
def minutes_pdf(meeting_id: int) -> Response:
    """The minutes as issued when the meeting was closed; before, a draft (no number, no
    code) of what has been recorded so far."""
    meeting = _meeting_for(meeting_id)
    if meeting.minutes_document_id is not None:
        return redirect(url_for("documents.download", document_id=meeting.minutes_document_id))
    document = render_pdf("pdf/council_minutes.html", **minutes_document(meeting))
    return _pdf(document, f"bien-ban-hop-hoi-dong-{meeting.id}.pdf")
