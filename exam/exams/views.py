from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from exam.accounts.models import Role, User
from exam.accounts.sessions import parse_user_id
from exam.candidates.models import Application, ApplicationStatus
from exam.core.auth import ensure, get_or_404, require
from exam.core.db import utcnow
from exam.core.errors import DomainError
from exam.core.forms import populate_errors
from exam.core.http import is_id, json_body
from exam.core.i18n import format_datetime
from exam.core.spreadsheets import csv_writer
from exam.core.views import refused, run_operation
from exam.exams.forms import (
    AccommodationForm,
    ExtraTimeForm,
    IncidentForm,
    RetakeForm,
    ReviewForm,
    RoomForm,
    SectionForm,
    SessionForm,
    StartForm,
    TestForm,
    VoidForm,
)
from exam.exams.models import (
    Attempt,
    AttemptQuestion,
    AttemptStatus,
    ExamSession,
    Penalty,
    ReviewOption,
    Room,
    Test,
    TestSection,
    VoidedQuestion,
)
from exam.exams.operations import (
    AnswerRefused,
    NotYours,
    OpenPaper,
    TooManyWrongCodes,
    WrongCode,
    acknowledge_result,
    add_room,
    add_section,
    add_session,
    allow_retake,
    check_blueprint,
    close_expired_attempts,
    close_if_expired,
    create_test,
    generate_papers,
    grant_extra_time,
    load_paper,
    log_refused_answers,
    move_attempt,
    note_wrong_code,
    open_paper,
    paper_state,
    poll_paper,
    record_incident,
    remove_section,
    save_answers,
    set_accommodation,
    set_review_option,
    start_paper,
    submit_attempt,
    touch_attempt,
    void_question,
)
from exam.exams.permissions import (
    can_invigilate,
    can_manage_tests,
    can_monitor_tests,
    can_sit,
    can_watch_room,
    can_watch_some_room,
)
from exam.exams.queries import (
    attempts_of_test,
    item_analysis,
    progress_of,
    review_opens_at,
    room_attempts,
    rooms_of,
    rooms_of_test,
    wrong_codes_of,
)
from exam.exams.rendering import body_context, prerender_papers
from exam.extensions import db, login_manager
from exam.question_bank import rich_text
from exam.question_bank.models import Category, Difficulty, Question
from exam.question_bank.qtypes import get_type, registered_types
from exam.question_bank.queries import all_banks, media_on_paper
from exam.rounds.models import Round

bp = Blueprint("exams", __name__)


CODE_SHOWN_BEFORE = dt.timedelta(minutes=30)  # the console shows the session code from then


def _grace() -> int:
    return current_app.config["ANSWER_GRACE_SECONDS"]


# --- defining a test ------------------------------------------------------------------------


@bp.route("/rounds/<int:round_id>/tests/new", methods=["GET", "POST"])
@require(can_manage_tests)
def new_test(round_id: int) -> str | Response:
    round_ = get_or_404(Round, round_id)
    form = TestForm()
    form.bank_id.choices = [SelectChoice(b.id, b.name) for b in all_banks()]
    if form.validate_on_submit():
        bank = next(b for b in all_banks() if b.id == form.bank_id.data)
        test = run_operation(
            lambda: create_test(
                round_,
                bank,
                title=form.title.data,
                question_count=form.question_count.data,
                duration_minutes=form.duration_minutes.data,
                starts_at=form.starts_at.utc,
                late_entry_minutes=15
                if form.late_entry_minutes.data is None
                else form.late_entry_minutes.data,
                review_option=ReviewOption(form.review_option.data),
                actor=current_user,
            ),
            _("Đã tạo bài thi trắc nghiệm."),
            form,
        )
        if test:
            return redirect(url_for("exams.show_test", test_id=test.id))
    return refused(form) or render_template("exams/test_form.html", form=form, round=round_)


def _section_form(test: Test, form: SectionForm | None = None) -> SectionForm:
    form = form or SectionForm(prefix="section")
    categories = db.session.scalars(
        db.select(Category).where(Category.bank_id == test.bank_id).order_by(Category.path)
    ).all()
    form.category_id.choices = [(0, _("Mọi chủ đề"))] + [(c.id, c.path) for c in categories]
    form.question_type.choices = [("", _("Mọi loại"))] + [
        (name, qtype.title) for name, qtype in sorted(registered_types().items())
    ]
    return form


def _room_form(form: RoomForm | None = None) -> RoomForm:
    form = form or RoomForm(prefix="room")
    invigilators = db.session.scalars(
        db.select(User).join(User.role_grants).where(User.role_grants.any(role=Role.INVIGILATOR))
    ).unique()
    form.invigilator_id.choices = [(0, _("— chưa phân công —"))] + [
        (u.id, u.full_name) for u in invigilators
    ]
    return form


def _accommodation_form(test: Test, form: AccommodationForm | None = None) -> AccommodationForm:
    form = form or AccommodationForm(prefix="acc")
    applications = db.session.scalars(
        db.select(Application).where(
            Application.round_id == test.round_id,
            Application.status == ApplicationStatus.ELIGIBLE,
        )
    ).all()
    form.candidate_id.choices = [
        (a.candidate_id, f"{a.registration_number} – {a.candidate.full_name}")
        for a in sorted(applications, key=lambda a: a.registration_number or "")
    ]
    return form


def _render_test(test: Test) -> str:
    """The test's page; a refused form of it comes back here (PageForm)."""
    checks, problems = check_blueprint(test)
    attempts = attempts_of_test(test)
    return render_template(
        "exams/test.html",
        test=test,
        checks=checks,
        problems=problems,
        attempts=attempts,
        progress=progress_of([a.id for a in attempts]),
        rooms=rooms_of_test(test),
        section_form=_section_form(test),
        session_form=SessionForm(prefix="session"),
        room_form=_room_form(),
        review_form=ReviewForm(prefix="review", review_option=test.review_option.value),
        accommodation_form=_accommodation_form(test),
    )


@bp.get("/tests/<int:test_id>")
@require(can_monitor_tests)
def show_test(test_id: int) -> str:
    test = get_or_404(Test, test_id)
    if close_expired_attempts(
        at=utcnow(), grace_seconds=_grace(), where=Attempt.test_id == test.id
    ):
        db.session.commit()
    return _render_test(test)


@bp.post("/tests/<int:test_id>/sections")
@require(can_manage_tests)
def new_section(test_id: int) -> Response | tuple[str, int]:
    test = get_or_404(Test, test_id)
    form = _section_form(test, SectionForm(prefix="section"))
    if form.validate_on_submit():
        category = (
            db.session.get(Category, form.category_id.data) if form.category_id.data else None
        )
        done = run_operation(
            lambda: add_section(
                test,
                title=form.title.data,
                question_count=form.question_count.data,
                points_per_question=float(form.points_per_question.data),
                category=category,
                difficulty=Difficulty(form.difficulty.data) if form.difficulty.data else None,
                question_type=form.question_type.data or None,
                actor=current_user,
            ),
            _("Đã thêm phần vào ma trận đề."),
            form,
        )
        if done:
            return redirect(url_for("exams.show_test", test_id=test.id, _anchor="blueprint"))
    return refused(form, url_for("exams.show_test", test_id=test.id, _anchor="blueprint"))


@bp.post("/sections/<int:section_id>/delete")
@require(can_manage_tests)
def delete_section(section_id: int) -> Response:
    section = get_or_404(TestSection, section_id)
    test_id = section.test_id
    run_operation(lambda: remove_section(section, actor=current_user), _("Đã xóa phần."))
    return redirect(url_for("exams.show_test", test_id=test_id, _anchor="blueprint"))


@bp.post("/tests/<int:test_id>/review")
@require(can_manage_tests)
def change_review(test_id: int) -> Response:
    test = get_or_404(Test, test_id)
    form = ReviewForm(prefix="review")
    if form.validate_on_submit():
        run_operation(
            lambda: set_review_option(
                test, ReviewOption(form.review_option.data), actor=current_user
            ),
            _("Đã lưu."),
        )
    return redirect(url_for("exams.show_test", test_id=test.id))


@bp.post("/tests/<int:test_id>/sessions")
@require(can_manage_tests)
def new_session(test_id: int) -> Response | tuple[str, int]:
    test = get_or_404(Test, test_id)
    form = SessionForm(prefix="session")
    if form.validate_on_submit():
        done = run_operation(
            lambda: add_session(
                test,
                name=form.name.data,
                starts_at=form.starts_at.utc,
                late_entry_minutes=form.late_entry_minutes.data,
                actor=current_user,
                at=utcnow(),
            ),
            _("Đã thêm ca thi."),
            form,
        )
        if done:
            return redirect(url_for("exams.show_test", test_id=test.id, _anchor="sessions"))
    return refused(form, url_for("exams.show_test", test_id=test.id, _anchor="sessions"))


@bp.post("/sessions/<int:session_id>/rooms")
@require(can_manage_tests)
def new_room(session_id: int) -> Response | tuple[str, int]:
    exam_session = get_or_404(ExamSession, session_id)
    form = _room_form(RoomForm(prefix="room"))
    if form.validate_on_submit():
        invigilator = (
            db.session.get(User, form.invigilator_id.data) if form.invigilator_id.data else None
        )
        done = run_operation(
            lambda: add_room(
                exam_session,
                name=form.name.data,
                capacity=form.capacity.data,
                invigilators=[invigilator] if invigilator else [],
                actor=current_user,
            ),
            _("Đã thêm phòng thi."),
            form,
        )
        if done:
            return redirect(
                url_for("exams.show_test", test_id=exam_session.test_id, _anchor="sessions")
            )
    return refused(
        form, url_for("exams.show_test", test_id=exam_session.test_id, _anchor="sessions")
    )


@bp.post("/tests/<int:test_id>/accommodations")
@require(can_manage_tests)
def accommodate(test_id: int) -> Response | tuple[str, int]:
    test = get_or_404(Test, test_id)
    form = _accommodation_form(test, AccommodationForm(prefix="acc"))
    if form.validate_on_submit():
        candidate = get_or_404(User, form.candidate_id.data)
        done = run_operation(
            lambda: set_accommodation(
                candidate,
                extra_time_percent=form.extra_time_percent.data,
                reason=form.reason.data,
                actor=current_user,
                at=utcnow(),
            ),
            _("Đã ghi nhận thời gian làm bài thêm cho thí sinh."),
            form,
        )
        if done:
            return redirect(url_for("exams.show_test", test_id=test.id, _anchor="candidates"))
    return refused(form, url_for("exams.show_test", test_id=test.id, _anchor="candidates"))


@bp.post("/tests/<int:test_id>/papers")
@require(can_manage_tests)
def make_papers(test_id: int) -> Response:
    test = get_or_404(Test, test_id)
    # Rendered in the same transaction, so that the start of the session is a read per candidate.
    run_operation(
        lambda: (generate_papers(test, actor=current_user, at=utcnow()), prerender_papers(test)),
        _("Đã tạo đề cho thí sinh."),
    )
    return redirect(url_for("exams.show_test", test_id=test.id))


@bp.post("/attempts/<int:attempt_id>/move")
@require(can_manage_tests)
def move(attempt_id: int) -> Response:
    """Seat a candidate in another room (another session) before the start."""
    attempt = get_or_404(Attempt, attempt_id)
    room_id = request.form.get("room_id", type=int)
    room = db.session.get(Room, room_id) if is_id(room_id) else None
    if room is None:
        flash(_("Chọn phòng thi."), "danger")
    else:
        run_operation(
            lambda: move_attempt(attempt, room, actor=current_user, at=utcnow()),
            _("Đã chuyển thí sinh sang %(room)s.", room=f"{room.session.name}, {room.name}"),
        )
    return redirect(url_for("exams.show_test", test_id=attempt.test_id, _anchor="candidates"))


# --- after the test: statistics and voiding -------------------------------------------------


@bp.get("/tests/<int:test_id>/analysis")
@require(can_monitor_tests)
def analysis(test_id: int) -> str:
    test = get_or_404(Test, test_id)
    return render_template("exams/analysis.html", test=test, stats=item_analysis(test))


def _decimal(value: float | None) -> Decimal | str:
    # a number, not text: a negative index must stay a number in the escaped CSV
    return "" if value is None else Decimal(f"{value:.3f}")


@bp.get("/tests/<int:test_id>/analysis.csv")
@require(can_monitor_tests)
def analysis_csv(test_id: int) -> Response:
    test = get_or_404(Test, test_id)
    result = item_analysis(test)
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(
        [
            "question",
            "section",
            "type",
            "points",
            "voided",
            "candidates",
            "facility",
            "discrimination_27",
            "point_biserial",
            "no_answer",
            "options",
        ]
    )
    for item in result.items:
        options = " ".join(
            f"{letter}{'*' if right else ''}={count}" for letter, _, count, right in item.options
        )
        writer.writerow(
            [
                item.key,
                item.section,
                item.qtype,
                item.points,
                int(item.voided),
                item.n,
                _decimal(item.facility),
                _decimal(item.discrimination),
                _decimal(item.point_biserial),
                item.no_answer,
                options,
            ]
        )
    writer.writerow([])
    writer.writerow(["candidates", result.candidates])
    writer.writerow(["slots", result.slots])
    writer.writerow(["cronbach_alpha", _decimal(result.alpha)])
    writer.writerow(["kr20", _decimal(result.kr20)])
    response = Response("\ufeff" + out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f"attachment; filename=test-{test.id}-items.csv"
    return response


@bp.route("/tests/<int:test_id>/questions/<int:question_id>/void", methods=["GET", "POST"])
@require(can_manage_tests)
def void(test_id: int, question_id: int) -> str | Response:
    test = get_or_404(Test, test_id)
    question = get_or_404(Question, question_id)
    if question.bank_id != test.bank_id:
        abort(404)
    form = VoidForm()
    if form.validate_on_submit():
        done = run_operation(
            lambda: void_question(
                test, question, reason=form.reason.data, actor=current_user, at=utcnow()
            ),
            _("Đã hủy câu hỏi: mọi thí sinh có câu này được tính điểm, bài đã nộp được chấm lại."),
            form,
        )
        if done:
            return redirect(url_for("exams.analysis", test_id=test.id))
    voided = db.session.scalars(
        db.select(VoidedQuestion).where(
            VoidedQuestion.test_id == test.id, VoidedQuestion.question_id == question.id
        )
    ).first()
    return refused(form) or render_template(
        "exams/void.html", test=test, question=question, form=form, voided=voided
    )


# --- the invigilator's console --------------------------------------------------------------


@bp.get("/invigilation/")
@require(can_watch_some_room)
def my_rooms() -> str:
    return render_template("exams/my_rooms.html", rooms=rooms_of(current_user))


def _room_for(room_id: int, *, act: bool = False) -> Room:
    room = get_or_404(Room, room_id)
    ensure(can_invigilate(current_user, room) if act else can_watch_room(current_user, room))
    return room


def _close_room(room: Room) -> None:
    if close_expired_attempts(
        at=utcnow(), grace_seconds=_grace(), where=Attempt.room_id == room.id
    ):
        db.session.commit()


@bp.get("/rooms/<int:room_id>")
@login_required
def console(room_id: int) -> str:
    room = _room_for(room_id)
    _close_room(room)
    now = utcnow()
    show_code = now >= room.session.starts_at - CODE_SHOWN_BEFORE
    return render_template(
        "exams/console.html", room=room, rows=room_attempts(room), now=now, show_code=show_code
    )


def _row_json(row: Any) -> dict[str, Any]:
    attempt = row.attempt
    last = row.last_contact_at
    return {
        "attempt": attempt.id,
        "status": attempt.status.value,
        "status_title": attempt.status.title,
        "answered": row.progress.answered,
        "items": row.progress.items,
        "last_contact": last.isoformat() if last else None,
        "last_contact_text": format_datetime(last) if last else "—",
        "deadline": attempt.deadline_at.isoformat(),
        "deadline_text": format_datetime(attempt.deadline_at),
        "penalty": attempt.penalty.value,
        "penalty_title": attempt.penalty.title if attempt.penalty != Penalty.NONE else "",
    }


@bp.get("/rooms/<int:room_id>/live")
@login_required
def console_live(room_id: int) -> Response:
    """The console's poll: one row per candidate of the room."""
    room = _room_for(room_id)
    _close_room(room)
    rows = room_attempts(room)
    counts = {status.value: 0 for status in AttemptStatus}
    for row in rows:
        counts[row.attempt.status.value] += 1
    return jsonify(
        server_time=utcnow().isoformat(), counts=counts, rows=[_row_json(r) for r in rows]
    )


def _invigilated(attempt_id: int) -> Attempt:
    attempt = get_or_404(Attempt, attempt_id)
    if not can_invigilate(current_user, attempt.room):
        abort(403)
    return attempt


def _render_candidate(attempt: Attempt) -> str:
    """One candidate's page for the invigilator; a refused form of it comes back here."""
    return render_template(
        "exams/invigilate.html",
        attempt=attempt,
        progress=progress_of([attempt.id])[attempt.id],
        wrong_codes=wrong_codes_of(attempt),
        time_form=ExtraTimeForm(prefix="time"),
        incident_form=IncidentForm(prefix="incident"),
        retake_form=RetakeForm(prefix="retake"),
    )


@bp.get("/attempts/<int:attempt_id>/invigilate")
@login_required
def invigilate(attempt_id: int) -> str:
    attempt = _invigilated(attempt_id)
    if close_if_expired(attempt, at=utcnow(), grace_seconds=_grace()):
        db.session.commit()
    return _render_candidate(attempt)


def _invigilator_action(
    attempt_id: int, form_class: type, prefix: str, operation: Any, message: str
):
    attempt = _invigilated(attempt_id)
    form = form_class(prefix=prefix)
    if form.validate_on_submit():
        done = run_operation(lambda: operation(attempt, form), message, form)
        if done:
            return redirect(url_for("exams.invigilate", attempt_id=attempt.id))
    return refused(form, url_for("exams.invigilate", attempt_id=attempt.id))


@bp.post("/attempts/<int:attempt_id>/extra-time")
@login_required
def extra_time(attempt_id: int):
    return _invigilator_action(
        attempt_id,
        ExtraTimeForm,
        "time",
        lambda attempt, form: grant_extra_time(
            attempt,
            minutes=form.minutes.data,
            reason=form.reason.data,
            actor=current_user,
            at=utcnow(),
        ),
        _("Đã cộng thêm thời gian."),
    )


@bp.post("/attempts/<int:attempt_id>/incidents")
@login_required
def incident(attempt_id: int):
    return _invigilator_action(
        attempt_id,
        IncidentForm,
        "incident",
        lambda attempt, form: record_incident(
            attempt,
            penalty=Penalty(form.penalty.data),
            description=form.description.data,
            actor=current_user,
            at=utcnow(),
        ),
        _("Đã ghi nhận vi phạm."),
    )


@bp.post("/attempts/<int:attempt_id>/retake")
@login_required
def retake(attempt_id: int):
    return _invigilator_action(
        attempt_id,
        RetakeForm,
        "retake",
        lambda attempt, form: allow_retake(
            attempt,
            minutes=form.minutes.data,
            reason=form.reason.data,
            actor=current_user,
            at=utcnow(),
        ),
        _("Đã cho thí sinh thi tiếp trên bài đang làm."),
    )


# --- sitting the test -----------------------------------------------------------------------


def _own_attempt(attempt_id: int) -> Attempt:
    """The signed-in candidate's own paper; anyone else's is a 404."""
    attempt = db.session.get(
        Attempt,
        attempt_id,
        options=[
            joinedload(Attempt.application),
            joinedload(Attempt.session),
            joinedload(Attempt.test),
        ],
    )
    if attempt is None:
        abort(404)
    ensure(can_sit(current_user, attempt), hide=True)
    if close_if_expired(attempt, at=utcnow(), grace_seconds=_grace()):
        db.session.commit()
    return attempt


@bp.app_template_global("qtype_template")
def qtype_template(item: AttemptQuestion) -> str:
    return get_type(item.version.type).template


def _review_items(attempt: Attempt) -> tuple[list[AttemptQuestion], bool]:
    """The paper for the result page when the test's review option shows it, and only once
    every paper of the test has closed."""
    if attempt.test.review_option == ReviewOption.SCORE_ONLY:
        return [], False
    opens = review_opens_at(attempt.test)
    if opens is None or utcnow() <= opens + dt.timedelta(seconds=_grace()):
        return [], True
    return load_paper(attempt), False


@bp.get("/attempts/<int:attempt_id>")
def attempt(attempt_id: int) -> str | Response:
    """The candidate's paper. At the start of the session (unanswered, rendered ahead of
    time) it is one read and no ORM; every other case takes the general path."""
    candidate_id = _candidate_id()
    if candidate_id is None:
        return login_manager.unauthorized()
    paper = open_paper(
        attempt_id, candidate_id, session_token=_token(), locale=str(get_locale()), at=utcnow()
    )
    if paper is not None:
        return render_template(
            "exams/paper.html",
            paper=paper,
            body_html=Markup(paper.html),
            item_count=paper.questions,
            just_started=request.args.get("started") == "1",
        )
    return _attempt_page(attempt_id)


@login_required
def _attempt_page(attempt_id: int) -> str:
    attempt = _own_attempt(attempt_id)
    if attempt.status == AttemptStatus.READY:
        return render_template("exams/start.html", attempt=attempt, form=StartForm(), now=utcnow())
    if attempt.status == AttemptStatus.IN_PROGRESS:
        if utcnow() > attempt.deadline_at:  # answers in flight still land until the grace
            return render_template("exams/closing.html", attempt=attempt)
        items = load_paper(attempt)
        return render_template(
            "exams/paper.html",
            paper=OpenPaper(
                attempt.id,
                attempt.test.title,
                attempt.application.candidate.full_name,
                attempt.deadline_at,
                html="",  # rendered now, with the answers: body_context
                questions=len(items),
            ),
            item_count=len(items),
            just_started=request.args.get("started") == "1",
            **body_context(attempt, items),
        )
    items, review_later = _review_items(attempt)
    return render_template(
        "exams/result.html", attempt=attempt, items=items, review_later=review_later
    )


@bp.post("/attempts/<int:attempt_id>/start")
def start(attempt_id: int) -> Response | tuple[str, int] | tuple[str, int, dict[str, str]]:
    """Pressing Start with the session code: one read and one write (start_paper); the
    slow path only to show what was wrong."""
    candidate_id = _candidate_id()
    if candidate_id is None:
        return login_manager.unauthorized()
    code, now, config = request.form.get("session_code", ""), utcnow(), current_app.config
    try:
        start_paper(
            attempt_id,
            candidate_id,
            code,
            session_token=_token(),
            at=now,
            tries=config["START_CODE_TRIES"],
            window=dt.timedelta(minutes=config["START_CODE_WINDOW_MINUTES"]),
        )
        db.session.commit()
    except NotYours:
        db.session.rollback()
        abort(404)
    except DomainError as error:
        db.session.rollback()
        if isinstance(error, WrongCode):  # the one branch of Start that writes when refused
            note_wrong_code(attempt_id, candidate_id, error.given, at=now)
            db.session.commit()
        form = StartForm()
        populate_errors(form, error)
        if not isinstance(error, TooManyWrongCodes):  # back to the paper's page (303)
            return refused(form, url_for("exams.attempt", attempt_id=attempt_id))
        page = render_template(
            "exams/start.html", attempt=_own_attempt(attempt_id), form=form, now=utcnow()
        )
        return page, 429, {"Retry-After": str(error.retry_after)}
    # Said on the paper (?started=1), not flashed: the session cookie is then neither
    # rewritten here nor on the paper, 2,000 times in the session's first minute.
    return redirect(url_for("exams.attempt", attempt_id=attempt_id, started=1))


# The JSON API of the exam page (docs/api.md). It reads the signed-in user's id from the
# session and checks ownership in the same query as the paper's state: no ORM, no user
# object, one read and one write per save.


def _signed_in() -> tuple[int, str] | None:
    """(user id, session token) of the session; the queries check that the token is still
    the account's (exam/accounts/sessions.py)."""
    user_id = session.get("_user_id")
    if user_id is None and current_user.is_authenticated:  # remembered sign-in
        user_id = current_user.get_id()
    return parse_user_id(user_id)


def _candidate_id() -> int | None:
    signed_in = _signed_in()
    return signed_in[0] if signed_in else None


def _token() -> str:
    signed_in = _signed_in()
    return signed_in[1] if signed_in else ""


def _state_json(status: AttemptStatus | str, deadline_at: Any) -> dict[str, Any]:
    return {
        "status": AttemptStatus(status).value,
        "server_time": utcnow().isoformat(),
        "deadline": deadline_at.isoformat(),
    }


def _begin_writing() -> None:
    """End the request's read, and begin a write that takes SQLite's write lock at once."""
    db.session.commit()
    db.session.connection(execution_options={"sqlite_immediate": True})


def _close_now(attempt_id: int) -> Attempt:
    """The slow path, once per paper: the server submits it."""
    attempt = db.session.get(Attempt, attempt_id)
    close_if_expired(attempt, at=utcnow(), grace_seconds=_grace())
    return attempt


@bp.get("/attempts/<int:attempt_id>/state")
def state(attempt_id: int) -> Response:
    """The exam page's poll (docs/api.md): one read; a write only when one is due."""
    candidate_id = _candidate_id()
    if candidate_id is None:
        return login_manager.unauthorized()
    now = utcnow()
    try:
        poll = poll_paper(
            attempt_id, candidate_id, session_token=_token(), at=now, grace_seconds=_grace()
        )
    except NotYours:
        abort(404)
    if poll.expired:
        _begin_writing()
        attempt = _close_now(attempt_id)
        db.session.commit()
        return jsonify(_state_json(attempt.status, attempt.deadline_at))
    reply = _state_json(poll.state.status, poll.state.deadline_at)
    if poll.answers is not None:
        reply["answers"] = {str(item): seq for item, seq in poll.answers.items()}
    if poll.contact_due:
        _begin_writing()
        touch_attempt(attempt_id, at=now)
        db.session.commit()
    return jsonify(reply)


def _entries(payload: Any) -> list[tuple[int, Any, int]] | None:
    if not isinstance(payload, dict) or not isinstance(payload.get("answers"), list):
        return None
    entries = []
    for entry in payload["answers"]:
        if not isinstance(entry, dict):
            return None
        item, seq = entry.get("item"), entry.get("seq")
        if not is_id(item) or type(seq) is not int or seq < 0 or seq >= 2**63:
            return None
        entries.append((item, entry.get("response"), seq))
    return entries or None


@bp.post("/attempts/<int:attempt_id>/answers")
def answers(attempt_id: int) -> Response | tuple[Response, int]:
    """Autosave (docs/api.md): a batch of {item, response, seq}; stale saves are ignored."""
    candidate_id = _candidate_id()
    if candidate_id is None:
        return login_manager.unauthorized()
    limit = current_app.config["MAX_ANSWERS_PER_SAVE"]
    too_large = None
    try:
        payload = json_body()
    except RequestEntityTooLarge:  # over MAX_CONTENT_LENGTH: said in JSON, as the page reads
        payload, too_large = None, _("Dữ liệu gửi lên quá lớn.")
    batch = payload.get("answers") if isinstance(payload, dict) else None
    if isinstance(batch, list) and len(batch) > limit:  # the page sends one per question
        too_large = _("Quá nhiều câu trả lời trong một lần lưu (tối đa %(n)d).", n=limit)
    entries = None if too_large else _entries(payload)
    if entries is None:
        try:
            # someone else's paper: 404, not 400
            paper_state(attempt_id, candidate_id, session_token=_token())
        except NotYours:
            abort(404)
        if too_large:  # refused before any other work
            return jsonify(error=too_large), 413
        return jsonify(error=_("Dữ liệu gửi lên không hợp lệ.")), 400
    try:
        current, stored = save_answers(
            attempt_id,
            candidate_id,
            entries,
            session_token=_token(),
            at=utcnow(),
            grace_seconds=_grace(),
        )
        if db.session().in_transaction():  # not when saved on PostgreSQL's driver
            db.session.commit()
            db.session.close()  # the connection (and SQLite's write turn) goes back at once
    except NotYours:
        db.session.rollback()
        abort(404)
    except AnswerRefused as refused:
        db.session.rollback()
        attempt = _close_now(attempt_id)
        evidence = log_refused_answers(
            attempt_id,
            entries,
            reason=refused.message,
            at=utcnow(),
            per_minute=current_app.config["REFUSED_EVIDENCE_PER_MINUTE"],
            per_paper=current_app.config["REFUSED_EVIDENCE_PER_PAPER"],
        )
        db.session.commit()
        state = _state_json(attempt.status, attempt.deadline_at)
        if evidence.retry_after is None:
            return jsonify(error=refused.message, **state), 409
        # Beyond the evidence kept for a closed paper: only counted; the client must slow down.
        reply = jsonify(error=_("Quá nhiều câu trả lời gửi đến bài thi đã đóng."), **state)
        reply.headers["Retry-After"] = str(evidence.retry_after)
        return reply, 429
    except DomainError as error:
        db.session.rollback()
        message = error.message
        if message != _("Câu trả lời không hợp lệ."):
            message = _("Dữ liệu gửi lên không hợp lệ.")
        return jsonify(error=message), 400
    saved = [{"item": item_id, "seq": seq} for item_id, seq in stored.items()]
    return jsonify(saved=saved, **_state_json(current.status, current.deadline_at)), 200


@bp.get("/exam-clock")
def clock() -> Response:
    """The server's time, for pages that count down before a paper is open (no database)."""
    return jsonify(server_time=utcnow().isoformat())


@bp.post("/attempts/<int:attempt_id>/submit")
@login_required
def submit(attempt_id: int) -> Response:
    attempt = _own_attempt(attempt_id)
    run_operation(
        lambda: submit_attempt(attempt, actor=current_user, at=utcnow()), _("Đã nộp bài.")
    )
    return redirect(url_for("exams.attempt", attempt_id=attempt.id))


@bp.post("/attempts/<int:attempt_id>/acknowledge")
@login_required
def acknowledge(attempt_id: int) -> Response:
    attempt = _own_attempt(attempt_id)
    run_operation(
        lambda: acknowledge_result(attempt, actor=current_user, at=utcnow()),
        _("Đã xác nhận kết quả."),
    )
    return redirect(url_for("exams.attempt", attempt_id=attempt.id))


def option_text(item: AttemptQuestion, option_id: str) -> str:
    for choice in item.version.data.get("choices", []):
        if choice["id"] == option_id:
            return choice["text"]
    return ""


@bp.app_template_filter("ordered_options")
def ordered_options(item: AttemptQuestion) -> list[dict[str, str]]:
    """The paper's options in this candidate's order, with no hint of which is right."""
    order = item.option_order or [c["id"] for c in item.version.data.get("choices", [])]
    return [{"id": option_id, "text": option_text(item, option_id)} for option_id in order]


@bp.app_template_filter("response_text")
def response_text(item: AttemptQuestion, response: Any) -> str:
    """A response as the candidate saw it: option letters of their paper and texts (the
    other types in words, never the bank's ids of their parts)."""
    if response in (None, "", [], {}):
        return _("(không trả lời)")
    if item.version.type == "true_false":
        return _("Đúng") if response else _("Sai")
    if item.version.data.get("choices"):
        order = [o["id"] for o in ordered_options(item)]
        chosen = response if isinstance(response, list) else [response]
        return "; ".join(
            f"{'ABCDEFGHIJ'[order.index(c)]}. {_option_words(item, c)}"
            for c in chosen
            if c in order
        )
    return get_type(item.version.type).describe_response(item.version.data, response)


@bp.app_template_filter("correct_text")
def correct_text(item: AttemptQuestion) -> str:
    data = item.version.data
    if item.version.type == "true_false":
        return _("Đúng") if data.get("answer") else _("Sai")
    if data.get("choices"):
        right = [c["id"] for c in data["choices"] if c.get("fraction", 0) > 0]
        return response_text(item, right if item.version.type != "single_choice" else right[0])
    return get_type(item.version.type).describe_answer(data)


# --- question images on the paper (issue 10 item 9) -------------------------------------------

_INLINE_IMAGES = {"image/png", "image/jpeg", "image/gif", "image/webp"}


def _option_words(item: AttemptQuestion, option_id: str) -> str:
    """An option named in a sentence (the result page): its words, never its HTML tags."""
    text = option_text(item, option_id)
    return rich_text.to_plain(text) if item.version.text_format == "html" else text


@bp.get("/attempts/<int:attempt_id>/assets/<digest>")
def attempt_asset(attempt_id: int, digest: str) -> Response:
    """An image of a question on the candidate's own paper, while the paper is open. A
    guest, another candidate, a paper not running, a file of no question on this paper:
    404, as if it did not exist (docs/domain.md: candidates see a question only inside their
    running attempt)."""
    if not current_user.is_authenticated:
        abort(404)
    attempt = _own_attempt(attempt_id)
    running = attempt.status == AttemptStatus.IN_PROGRESS and utcnow() <= attempt.deadline_at
    stored = media_on_paper(attempt.id, digest) if running else None
    if stored is None or stored.content_type not in _INLINE_IMAGES:
        abort(404)
    response = Response(stored.content, mimetype=stored.content_type)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
