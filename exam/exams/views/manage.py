"""The board's pages: tests, sections, sessions, rooms, accommodation, papers, moving a
candidate, the item analysis and voiding a question."""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from exam.accounts.models import User
from exam.candidates.models import Application, ApplicationStatus
from exam.core.auth import get_or_404
from exam.core.db import utcnow
from exam.core.http import is_id
from exam.core.views import refused, run_operation, submit_form_and_return
from exam.council.models import BodyKind
from exam.council.queries import people_on
from exam.exams.analysis import item_analysis_csv, void_question
from exam.exams.closing import as_read
from exam.exams.definition import (
    add_room,
    add_section,
    add_session,
    check_blueprint,
    create_test,
    move_attempt,
    remove_section,
    set_late_entry,
    set_review_option,
    set_test_rules,
)
from exam.exams.forms import (
    AccommodationForm,
    LateEntryForm,
    ReviewForm,
    RoomForm,
    SectionForm,
    SessionForm,
    TestForm,
    TestRulesForm,
    VoidForm,
)
from exam.exams.models import (
    LATE_ENTRY_MINUTES_DEFAULT,
    Attempt,
    ExamSession,
    ReviewOption,
    Room,
    Test,
    TestSection,
    VoidedQuestion,
)
from exam.exams.papers import generate_papers, set_accommodation
from exam.exams.permissions import can_manage_tests, can_monitor_tests
from exam.exams.queries import (
    attempts_of_test,
    item_analysis,
    progress_of,
    review_opens_at,
    rooms_of_test,
)
from exam.exams.rendering import prerender_papers
from exam.exams.sitting import load_paper
from exam.exams.views.blueprint import bp
from exam.exams.views.common import answer_grace
from exam.extensions import db
from exam.question_bank.models import Category, Difficulty, Question
from exam.question_bank.qtypes import registered_types
from exam.question_bank.queries import all_banks
from exam.rounds.models import Round
from exam.rounds.permissions import ensure_in_round

# --- defining a test ------------------------------------------------------------------------


@bp.route("/rounds/<int:round_id>/tests/new", methods=["GET", "POST"])
@login_required
def new_test(round_id: int) -> str | Response:
    round_ = get_or_404(Round, round_id)
    ensure_in_round(can_manage_tests(current_user, round_), current_user, round_)
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
                late_entry_minutes=LATE_ENTRY_MINUTES_DEFAULT
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


def _room_form(round_id: int, form: RoomForm | None = None) -> RoomForm:
    """The invigilators offered: the members of the round's invigilation board (anyone else
    is refused in words by the operation, not by the list)."""
    form = form or RoomForm(prefix="room")
    invigilators = people_on(round_id, BodyKind.INVIGILATION)
    form.invigilator_id.validate_choice = False
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


def _late_entry_forms(test: Test, now: dt.datetime) -> dict[int, LateEntryForm]:
    """A session's late entry changes until it starts (a refused change shows why)."""
    forms = {
        s.id: LateEntryForm(prefix=f"late{s.id}", late_entry_minutes=s.late_entry_minutes)
        for s in test.sessions
    }
    return {s.id: forms[s.id] for s in test.sessions if now < s.starts_at or forms[s.id].restored}


def _render_test(test: Test) -> str:
    """The test's page; a refused form of it comes back here (PageForm)."""
    checks, problems = check_blueprint(test)
    attempts = attempts_of_test(test)
    now, grace = utcnow(), answer_grace()
    return render_template(
        "exams/test.html",
        test=test,
        checks=checks,
        problems=problems,
        attempts=[as_read(a, at=now, grace_seconds=grace) for a in attempts],  # expired: closed
        progress=progress_of([a.id for a in attempts]),
        rooms=rooms_of_test(test),
        section_form=_section_form(test),
        session_form=SessionForm(prefix="session"),
        room_form=_room_form(test.round_id),
        review_form=ReviewForm(prefix="review", review_option=test.review_option.value),
        rules_form=TestRulesForm(
            prefix="rules",
            bank_ratio=test.bank_ratio,
            reprimand_percent=test.reprimand_percent,
            warning_percent=test.warning_percent,
        ),
        late_forms=_late_entry_forms(test, now),
        accommodation_form=_accommodation_form(test),
    )


@bp.get("/tests/<int:test_id>")
@login_required
def show_test(test_id: int) -> str:
    test = get_or_404(Test, test_id)
    ensure_in_round(can_monitor_tests(current_user, test.round), current_user, test.round)
    return _render_test(test)


def _test_page(test_id: int, anchor: str) -> str:
    """The test's page at the part whose form was posted."""
    return url_for("exams.show_test", test_id=test_id, _anchor=anchor)


@bp.post("/tests/<int:test_id>/sections")
@login_required
def new_section(test_id: int) -> Response:
    test = get_or_404(Test, test_id)
    ensure_in_round(can_manage_tests(current_user, test.round), current_user, test.round)
    form = _section_form(test, SectionForm(prefix="section"))
    return submit_form_and_return(
        form,
        lambda: add_section(
            test,
            title=form.title.data,
            question_count=form.question_count.data,
            points_per_question=float(form.points_per_question.data),
            category=db.session.get(Category, form.category_id.data)
            if form.category_id.data
            else None,
            difficulty=Difficulty(form.difficulty.data) if form.difficulty.data else None,
            question_type=form.question_type.data or None,
            actor=current_user,
        ),
        _("Đã thêm phần vào ma trận đề."),
        _test_page(test.id, "blueprint"),
    )


@bp.post("/sections/<int:section_id>/delete")
@login_required
def delete_section(section_id: int) -> Response:
    section = get_or_404(TestSection, section_id)
    ensure_in_round(
        can_manage_tests(current_user, section.test.round), current_user, section.test.round
    )
    test_id = section.test_id
    run_operation(lambda: remove_section(section, actor=current_user), _("Đã xóa phần."))
    return redirect(url_for("exams.show_test", test_id=test_id, _anchor="blueprint"))


@bp.post("/tests/<int:test_id>/review")
@login_required
def change_review(test_id: int) -> Response:
    test = get_or_404(Test, test_id)
    ensure_in_round(can_manage_tests(current_user, test.round), current_user, test.round)
    form = ReviewForm(prefix="review")
    if form.validate_on_submit():
        run_operation(
            lambda: set_review_option(
                test, ReviewOption(form.review_option.data), actor=current_user
            ),
            _("Đã lưu."),
        )
    return redirect(url_for("exams.show_test", test_id=test.id))


@bp.post("/tests/<int:test_id>/rules")
@login_required
def change_rules(test_id: int) -> Response:
    test = get_or_404(Test, test_id)
    ensure_in_round(can_manage_tests(current_user, test.round), current_user, test.round)
    form = TestRulesForm(prefix="rules")
    return submit_form_and_return(
        form,
        lambda: set_test_rules(
            test,
            bank_ratio=form.bank_ratio.data,
            reprimand_percent=form.reprimand_percent.data,
            warning_percent=form.warning_percent.data,
            actor=current_user,
        ),
        _("Đã lưu quy định của bài thi."),
        _test_page(test.id, "rules"),
    )


@bp.post("/sessions/<int:session_id>/late-entry")
@login_required
def change_late_entry(session_id: int) -> Response:
    exam_session = get_or_404(ExamSession, session_id)
    round_ = exam_session.test.round
    ensure_in_round(can_manage_tests(current_user, round_), current_user, round_)
    form = LateEntryForm(prefix=f"late{exam_session.id}")
    return submit_form_and_return(
        form,
        lambda: set_late_entry(
            exam_session, form.late_entry_minutes.data, actor=current_user, at=utcnow()
        ),
        _("Đã lưu thời gian cho phép vào muộn."),
        _test_page(exam_session.test_id, "sessions"),
    )


@bp.post("/tests/<int:test_id>/sessions")
@login_required
def new_session(test_id: int) -> Response:
    test = get_or_404(Test, test_id)
    ensure_in_round(can_manage_tests(current_user, test.round), current_user, test.round)
    form = SessionForm(prefix="session")
    return submit_form_and_return(
        form,
        lambda: add_session(
            test,
            name=form.name.data,
            starts_at=form.starts_at.utc,
            late_entry_minutes=form.late_entry_minutes.data,
            actor=current_user,
            at=utcnow(),
        ),
        _("Đã thêm ca thi."),
        _test_page(test.id, "sessions"),
    )


@bp.post("/sessions/<int:session_id>/rooms")
@login_required
def new_room(session_id: int) -> Response:
    exam_session = get_or_404(ExamSession, session_id)
    ensure_in_round(
        can_manage_tests(current_user, exam_session.test.round),
        current_user,
        exam_session.test.round,
    )
    form = _room_form(exam_session.test.round_id, RoomForm(prefix="room"))

    def add() -> Room:
        chosen = form.invigilator_id.data
        invigilator = db.session.get(User, chosen) if chosen else None
        return add_room(
            exam_session,
            name=form.name.data,
            capacity=form.capacity.data,
            invigilators=[invigilator] if invigilator else [],
            actor=current_user,
        )

    return submit_form_and_return(
        form, add, _("Đã thêm phòng thi."), _test_page(exam_session.test_id, "sessions")
    )


@bp.post("/tests/<int:test_id>/accommodations")
@login_required
def accommodate(test_id: int) -> Response:
    test = get_or_404(Test, test_id)
    ensure_in_round(can_manage_tests(current_user, test.round), current_user, test.round)
    form = _accommodation_form(test, AccommodationForm(prefix="acc"))
    return submit_form_and_return(
        form,
        lambda: set_accommodation(
            get_or_404(User, form.candidate_id.data),
            extra_time_percent=form.extra_time_percent.data,
            reason=form.reason.data,
            actor=current_user,
            at=utcnow(),
        ),
        _("Đã ghi nhận thời gian làm bài thêm cho thí sinh."),
        _test_page(test.id, "candidates"),
    )


@bp.post("/tests/<int:test_id>/papers")
@login_required
def make_papers(test_id: int) -> Response:
    test = get_or_404(Test, test_id)
    ensure_in_round(can_manage_tests(current_user, test.round), current_user, test.round)
    # Rendered in the same transaction, so that the start of the session is a read per candidate.
    run_operation(
        lambda: (generate_papers(test, actor=current_user, at=utcnow()), prerender_papers(test)),
        _("Đã tạo đề cho thí sinh."),
    )
    return redirect(url_for("exams.show_test", test_id=test.id))


@bp.post("/attempts/<int:attempt_id>/move")
@login_required
def move(attempt_id: int) -> Response:
    """Seat a candidate in another room (another session) before the start."""
    attempt = get_or_404(Attempt, attempt_id)
    ensure_in_round(
        can_manage_tests(current_user, attempt.test.round), current_user, attempt.test.round
    )
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


@bp.get("/attempts/<int:attempt_id>/paper")
@login_required
def read_paper(attempt_id: int) -> str:
    """A candidate's paper with the answers given, for the round's Council and supervisory
    board, once every paper of the test has closed (nobody still sitting may learn them)."""
    attempt = get_or_404(Attempt, attempt_id)
    round_ = attempt.test.round
    ensure_in_round(can_monitor_tests(current_user, round_), current_user, round_)
    opens = review_opens_at(attempt.test)
    over = opens is not None and utcnow() > opens + dt.timedelta(seconds=answer_grace())
    return render_template(
        "exams/paper_review.html", attempt=attempt, items=load_paper(attempt) if over else []
    )


@bp.get("/tests/<int:test_id>/analysis")
@login_required
def analysis(test_id: int) -> str:
    test = get_or_404(Test, test_id)
    ensure_in_round(can_monitor_tests(current_user, test.round), current_user, test.round)
    return render_template("exams/analysis.html", test=test, stats=item_analysis(test))


@bp.get("/tests/<int:test_id>/analysis.csv")
@login_required
def analysis_csv(test_id: int) -> Response:
    test = get_or_404(Test, test_id)
    ensure_in_round(can_monitor_tests(current_user, test.round), current_user, test.round)
    response = Response("\ufeff" + item_analysis_csv(test), mimetype="text/csv")
    response.headers["Content-Disposition"] = f"attachment; filename=test-{test.id}-items.csv"
    return response


@bp.route("/tests/<int:test_id>/questions/<int:question_id>/void", methods=["GET", "POST"])
@login_required
def void(test_id: int, question_id: int) -> str | Response:
    test = get_or_404(Test, test_id)
    ensure_in_round(can_manage_tests(current_user, test.round), current_user, test.round)
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
