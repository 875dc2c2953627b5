from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from exam.core.auth import ensure, get_or_404, require
from exam.core.db import utcnow
from exam.core.errors import DomainError
from exam.core.views import run_operation
from exam.exams.forms import StartForm, TestForm
from exam.exams.models import Attempt, AttemptQuestion, AttemptStatus, Test
from exam.exams.operations import (
    AnswerRefused,
    acknowledge_result,
    close_if_expired,
    create_test,
    generate_papers,
    save_answer,
    start_attempt,
    submit_attempt,
)
from exam.exams.permissions import can_manage_tests, can_monitor_tests, can_sit
from exam.exams.queries import attempts_of_test
from exam.extensions import db
from exam.question_bank.queries import all_banks
from exam.rounds.models import Round

bp = Blueprint("exams", __name__)


def _grace() -> int:
    return current_app.config["ANSWER_GRACE_SECONDS"]


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
                actor=current_user,
            ),
            _("Đã tạo bài thi trắc nghiệm."),
            form,
        )
        if test:
            return redirect(url_for("exams.show_test", test_id=test.id))
    return render_template("exams/test_form.html", form=form, round=round_)


@bp.get("/tests/<int:test_id>")
@require(can_monitor_tests)
def show_test(test_id: int) -> str:
    test = get_or_404(Test, test_id)
    return render_template("exams/test.html", test=test, attempts=attempts_of_test(test))


@bp.post("/tests/<int:test_id>/papers")
@require(can_manage_tests)
def make_papers(test_id: int) -> Response:
    test = get_or_404(Test, test_id)
    run_operation(
        lambda: generate_papers(test, actor=current_user, at=utcnow()), _("Đã tạo đề cho thí sinh.")
    )
    return redirect(url_for("exams.show_test", test_id=test.id))


def _own_attempt(attempt_id: int) -> Attempt:
    """The signed-in candidate's own paper; anyone else's is a 404."""
    attempt = get_or_404(Attempt, attempt_id)
    ensure(can_sit(current_user, attempt), hide=True)
    if close_if_expired(attempt, at=utcnow(), grace_seconds=_grace()):
        db.session.commit()
    return attempt


@bp.get("/attempts/<int:attempt_id>")
@login_required
def attempt(attempt_id: int) -> str:
    attempt = _own_attempt(attempt_id)
    if attempt.status == AttemptStatus.READY:
        return render_template("exams/start.html", attempt=attempt, form=StartForm(), now=utcnow())
    if attempt.status == AttemptStatus.IN_PROGRESS:
        return render_template("exams/paper.html", attempt=attempt)
    return render_template("exams/result.html", attempt=attempt)


@bp.post("/attempts/<int:attempt_id>/start")
@login_required
def start(attempt_id: int) -> str | Response:
    attempt = _own_attempt(attempt_id)
    form = StartForm()
    if form.validate_on_submit():
        started = run_operation(
            lambda: start_attempt(
                attempt, session_code=form.session_code.data, actor=current_user, at=utcnow()
            ),
            _("Bắt đầu làm bài. Câu trả lời được lưu tự động."),
            form,
        )
        if started:
            return redirect(url_for("exams.attempt", attempt_id=attempt.id))
    return render_template("exams/start.html", attempt=attempt, form=form, now=utcnow()), 422


def _state(attempt: Attempt) -> dict[str, Any]:
    return {
        "status": attempt.status.value,
        "server_time": utcnow().isoformat(),
        "deadline": attempt.deadline_at.isoformat(),
    }


@bp.get("/attempts/<int:attempt_id>/state")
@login_required
def state(attempt_id: int) -> Response:
    return jsonify(_state(_own_attempt(attempt_id)))


@bp.post("/attempts/<int:attempt_id>/answers")
@login_required
def answers(attempt_id: int) -> tuple[Response, int]:
    """Autosave (docs/api.md): a batch of {item, response, seq}; stale saves are ignored."""
    attempt = _own_attempt(attempt_id)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("answers"), list):
        return jsonify(error=_("Dữ liệu gửi lên không hợp lệ.")), 400
    items = {item.id: item for item in attempt.questions}
    saved = []
    try:
        for entry in payload["answers"]:
            item = items.get(entry.get("item")) if isinstance(entry, dict) else None
            seq = entry.get("seq") if item else None
            if item is None or type(seq) is not int or seq < 0:
                raise DomainError(_("Dữ liệu gửi lên không hợp lệ."))
            answer = save_answer(
                attempt, item, entry.get("response"), seq=seq, at=utcnow(), grace_seconds=_grace()
            )
            saved.append({"item": item.id, "seq": answer.seq})
        db.session.commit()
    except AnswerRefused as refused:
        db.session.rollback()
        return jsonify(error=refused.message, **_state(attempt)), 409
    except DomainError as error:
        db.session.rollback()
        return jsonify(error=error.message), 400
    return jsonify(saved=saved, **_state(attempt)), 200


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
