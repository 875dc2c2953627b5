"""Applying, editing and withdrawing a dossier, its documents, the board's eligibility
decisions, registration numbers, the lot for the order of presentations and the summons.

Registration numbers (số báo danh) are given once, when the board finds an application
eligible, and never change or get reused (not even when the candidate withdraws). They run
001, 002, … within a round in the order of the decisions. When the board confirms every
application that met all criteria at once (``decide_prechecked``), that batch is numbered
by position (the round's order), then by the Vietnamese order of names (given name, family
name, middle names; ``exam.core.i18n.vietnamese_sort_key``), then by application number.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from collections.abc import Callable

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.accounts.models import Role, RoleGrant, User
from exam.audit.operations import record
from exam.candidates import uploads
from exam.candidates.eligibility import (
    DocumentKind,
    Outcome,
    add_months,
    national_id_problems,
    overall,
)
from exam.candidates.models import (
    Application,
    ApplicationDocument,
    ApplicationStatus,
    Gender,
    PresentationDraw,
)
from exam.candidates.queries import (
    applications_for_round,
    draw_of,
    eligible_applications,
    precheck_of,
    presentation_order,
)
from exam.candidates.values import ApplicationDetails, FieldProblem, Person
from exam.core.errors import DomainError, NotAllowed, ValidationFailed
from exam.core.filenames import download_name
from exam.core.i18n import local_to_utc, to_local, vietnamese_sort_key
from exam.council.queries import members_of_round, memberships_of
from exam.extensions import db
from exam.notices.models import NoticeKind
from exam.notices.operations import queue_notice
from exam.rounds.models import Position, Round, RoundStatus
from exam.rounds.stages import require_stage
from exam.rounds.standards import Discipline

MIN_AGE_YEARS = 18
MAX_AGE_YEARS = 70
MAX_DOCUMENTS = 30

DECLARATION_TEXT = _l(
    "Tôi xin cam đoan những thông tin kê khai trong hồ sơ và các tài liệu kèm theo là đúng "
    "sự thật. Nếu sai, tôi xin chịu trách nhiệm trước pháp luật và chấp nhận bị loại khỏi "
    "kỳ thi tuyển."
)


# --- checks ------------------------------------------------------------------------------


def _years_after(day: dt.date, years: int) -> dt.date:
    return add_months(day, 12 * years)


def _check_dossier(
    round_: Round,
    person: Person,
    details: ApplicationDetails,
    today: dt.date,
    exclude_id: int | None,
    *,
    taken_national_ids: set[str] | None = None,
) -> list[tuple[str | None, str]]:
    """Every reason the declared data cannot be right, by field. ``taken_national_ids``:
    the round's national IDs, read once by a caller checking many dossiers."""
    errors: list[tuple[str | None, str]] = []
    born = person.date_of_birth
    if born > today:
        errors.append(("date_of_birth", _l("Ngày sinh không được sau ngày hôm nay.")))
    elif _years_after(born, MIN_AGE_YEARS) > today:
        errors.append(("date_of_birth", _l("Ngày sinh không hợp lệ: chưa đủ 18 tuổi.")))
    elif _years_after(born, MAX_AGE_YEARS) <= today:
        errors.append(
            ("date_of_birth", _l("Ngày sinh không hợp lệ: tuổi vượt quá %(n)s.", n=MAX_AGE_YEARS))
        )
    if not person.current_unit.strip():
        errors.append(("current_unit", _l("Vui lòng điền mục này.")))
    if not person.current_post.strip():
        errors.append(("current_post", _l("Vui lòng điền mục này.")))
    adult = _years_after(born, MIN_AGE_YEARS)
    for name, label in (
        ("post_held_since", _l("Ngày giữ chức vụ")),
        ("discipline_on", _l("Ngày quyết định kỷ luật")),
        ("health_certificate_on", _l("Ngày cấp giấy chứng nhận sức khỏe")),
    ):
        day = getattr(details, name)
        if day is None:
            continue
        if day > today:
            errors.append((name, _l("%(f)s không được sau ngày hôm nay.", f=label)))
        elif name != "health_certificate_on" and day < adult:
            errors.append((name, _l("%(f)s phải sau khi thí sinh đủ 18 tuổi.", f=label)))
    if details.discipline not in (None, Discipline.NONE) and details.discipline_on is None:
        errors.append(("discipline_on", _l("Nhập ngày quyết định kỷ luật.")))
    if details.discipline in (None, Discipline.NONE) and details.discipline_on is not None:
        errors.append(("discipline_on", _l("Chỉ nhập ngày khi có kỷ luật.")))
    if details.national_id is not None:
        male = person.gender == Gender.MALE
        for message in national_id_problems(details.national_id, born, male):
            errors.append(("national_id", message))
        if taken_national_ids is not None:
            taken = details.national_id in taken_national_ids
        else:
            duplicate = sa.select(Application.id).where(
                Application.round_id == round_.id, Application.national_id == details.national_id
            )
            if exclude_id is not None:
                duplicate = duplicate.where(Application.id != exclude_id)
            taken = db.session.scalar(duplicate) is not None
        if taken:
            errors.append(("national_id", _l("Số CCCD này đã có trong một hồ sơ khác của kỳ thi.")))
    if details.degree_field is not None and len(details.degree_field) > 200:
        errors.append(("degree_field", _l("Tối đa 200 ký tự.")))
    return errors


def _write(application: Application, person: Person, details: ApplicationDetails) -> None:
    application.date_of_birth = person.date_of_birth
    application.gender = person.gender
    application.current_unit = " ".join(person.current_unit.split())
    application.current_post = " ".join(person.current_post.split())
    for field in dataclasses.fields(ApplicationDetails):
        if field.name == "ratings":
            application.rating_1, application.rating_2, application.rating_3 = details.ratings
        else:
            value = getattr(details, field.name)
            if type(value) is str:  # plain text (enums are str too: leave them)
                value = " ".join(value.split())
            setattr(application, field.name, value)
    if application.phone is None:
        application.phone = ""


def _dossier_snapshot(application: Application) -> dict:
    data = {
        "position_id": application.position_id,
        "date_of_birth": application.date_of_birth,
        "gender": application.gender,
        "current_unit": application.current_unit,
        "current_post": application.current_post,
    }
    for field in dataclasses.fields(ApplicationDetails):
        if field.name == "ratings":
            data["ratings"] = list(application.ratings)
        else:
            data[field.name] = getattr(application, field.name)
    return data


def _ensure_owner(application: Application, actor: User) -> None:
    if application.candidate_id != actor.id:
        raise NotAllowed(_l("Chỉ thí sinh mới được thay đổi hồ sơ của mình."))


def _ensure_editable(application: Application, at: dt.datetime) -> None:
    require_stage(application.round, RoundStatus.REGISTRATION_OPEN, action=_l("sửa hồ sơ"))
    if application.status != ApplicationStatus.SUBMITTED:
        raise DomainError(_l("Hồ sơ đã được xét hoặc đã rút: không thể sửa."))
    if not application.round.registration_is_open(at):
        raise DomainError(_l("Đã hết hạn nhận hồ sơ: không thể sửa hồ sơ."))


# --- applying ----------------------------------------------------------------------------


def apply_to_position(
    candidate: User,
    position: Position,
    *,
    date_of_birth: dt.date,
    gender: Gender,
    current_unit: str,
    current_post: str,
    at: dt.datetime,
    details: ApplicationDetails | None = None,
    declaration: str | None = None,
) -> Application:
    """Submit an application; the registration window is checked here, on the server.
    ``declaration``: the text of the declaration the candidate ticked (signed at ``at``)."""
    round_ = position.round
    require_stage(round_, RoundStatus.REGISTRATION_OPEN, action=_l("nộp hồ sơ"))
    if not round_.registration_is_open(at):
        raise DomainError(_l("Kỳ thi không trong thời gian nhận hồ sơ."))
    if position.stopped_at is not None:
        raise DomainError(_l("Vị trí này đã dừng thi tuyển."))
    if _existing(round_, candidate) is not None:
        raise DomainError(_l("Bạn đã nộp hồ sơ cho kỳ thi này."))
    if seats := memberships_of(candidate.id, round_.id):
        raise DomainError(
            _l(
                "Bạn là thành viên %(body)s của kỳ thi này: thành viên hội đồng, ban của kỳ thi "
                "không được dự thi.",
                body=seats[0].body.title,
            )
        )
    person = Person(date_of_birth, gender, current_unit, current_post)
    details = details or ApplicationDetails()
    errors = _check_dossier(round_, person, details, to_local(at).date(), None)
    if errors:
        raise ValidationFailed(errors)
    application = Application(
        round_id=round_.id, position=position, candidate_id=candidate.id, submitted_at=at
    )
    _write(application, person, details)
    if declaration:
        application.declaration_text, application.declared_at = str(declaration), at
    db.session.add(application)
    record("application.submit", application, actor=candidate, after=_dossier_snapshot(application))
    _notify(application, NoticeKind.RECEIVED, at)
    return application


# docs/domain.md §2: nobody sits on a body of a round and applies to it.
_ON_A_BODY = _l("Người này là thành viên hội đồng, ban của kỳ thi: không được dự thi.")


def _existing(round_: Round, candidate: User) -> Application | None:
    return db.session.scalars(
        sa.select(Application).where(
            Application.round_id == round_.id, Application.candidate_id == candidate.id
        )
    ).first()


def _ensure_import_stage(round_: Round) -> None:
    """Paper dossiers are entered while registration is open or just after it closed (those
    posted before the deadline arrive late), never once screening began."""
    require_stage(
        round_,
        RoundStatus.REGISTRATION_OPEN,
        RoundStatus.REGISTRATION_CLOSED,
        action=_l("nhập hồ sơ giấy"),
    )


def import_application(
    candidate: User,
    position: Position,
    person: Person,
    details: ApplicationDetails,
    *,
    received_at: dt.datetime,
    actor: User,
    at: dt.datetime,
) -> Application:
    """A dossier received on paper, entered by the board: it must have been received inside
    the registration window; its documents and signed declaration are on paper."""
    round_ = position.round
    _ensure_import_stage(round_)
    errors: list[tuple[str | None, str]] = []
    if not round_.registration_opens_at <= received_at < round_.registration_closes_at:
        errors.append(("received_on", _l("Ngày nhận hồ sơ nằm ngoài thời hạn nhận hồ sơ.")))
    if to_local(received_at).date() > to_local(at).date():
        errors.append(("received_on", _l("Ngày nhận hồ sơ không được sau ngày hôm nay.")))
    if position.stopped_at is not None:
        errors.append(("position", _l("Vị trí này đã dừng thi tuyển.")))
    if _existing(round_, candidate) is not None:
        errors.append(("email", _l("Thí sinh này đã có hồ sơ trong kỳ thi.")))
    if candidate.id in members_of_round(round_.id):
        errors.append(("email", _ON_A_BODY))
    errors += _check_dossier(round_, person, details, to_local(at).date(), None)
    if errors:
        raise ValidationFailed(errors)
    application = Application(
        round_id=round_.id,
        position=position,
        candidate_id=candidate.id,
        submitted_at=received_at,
        paper_dossier=True,
    )
    _write(application, person, details)
    db.session.add(application)
    record("application.import", application, actor=actor, after=_dossier_snapshot(application))
    _notify(application, NoticeKind.RECEIVED, at)
    return application


def update_application(
    application: Application,
    *,
    person: Person,
    details: ApplicationDetails,
    declaration: str,
    actor: User,
    at: dt.datetime,
) -> Application:
    """The candidate corrects the dossier until the deadline; the declaration is signed again."""
    _ensure_owner(application, actor)
    _ensure_editable(application, at)
    if not declaration:
        raise ValidationFailed([("declaration", _l("Bạn cần đánh dấu lời cam đoan."))])
    errors = _check_dossier(application.round, person, details, to_local(at).date(), application.id)
    if errors:
        raise ValidationFailed(errors)
    before = _dossier_snapshot(application)
    _write(application, person, details)
    application.declaration_text, application.declared_at = str(declaration), at
    db.session.flush()
    after = _dossier_snapshot(application)
    changed = [k for k in after if after[k] != before[k]]
    record(
        "application.update",
        application,
        actor=actor,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
    )
    return application


def withdraw_application(application: Application, *, actor: User, at: dt.datetime) -> Application:
    """The candidate withdraws: before the board decides, or once eligible until the test
    stage begins. A registration number already given stays with the withdrawn dossier."""
    _ensure_owner(application, actor)
    if application.status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.ELIGIBLE):
        raise DomainError(_l("Hồ sơ này không thể rút."))
    require_stage(
        application.round,
        RoundStatus.REGISTRATION_OPEN,
        RoundStatus.REGISTRATION_CLOSED,
        RoundStatus.SCREENING,
        action=_l("rút hồ sơ trên hệ thống"),
    )
    before = application.status
    application.status, application.withdrawn_at = ApplicationStatus.WITHDRAWN, at
    record(
        "application.withdraw",
        application,
        actor=actor,
        before={"status": before},
        after={"status": application.status},
    )
    _notify(application, NoticeKind.WITHDRAWN, at)
    return application


# --- documents ---------------------------------------------------------------------------


def add_document(
    application: Application,
    *,
    kind: DocumentKind,
    filename: str,
    data: bytes,
    actor: User,
    at: dt.datetime,
) -> ApplicationDocument:
    """A file of the dossier: PDF, JPEG or PNG as read from its content, within the size
    limit, while the dossier may still be edited."""
    _ensure_owner(application, actor)
    _ensure_editable(application, at)
    if len(application.documents) >= MAX_DOCUMENTS:
        raise DomainError(_l("Hồ sơ đã có tối đa %(n)s tệp.", n=MAX_DOCUMENTS))
    limit = uploads.max_bytes()
    if not data:
        raise ValidationFailed([("file", _l("Tệp rỗng."))])
    if len(data) > limit:
        raise ValidationFailed(
            [("file", _l("Tệp quá lớn: tối đa %(n)s MB.", n=f"{limit / 1024 / 1024:g}"))]
        )
    sniffed = uploads.sniff(data)
    if sniffed is None:
        raise ValidationFailed(
            [("file", _l("Tệp không phải PDF, JPEG hoặc PNG (kiểm tra theo nội dung tệp)."))]
        )
    content_type, extension = sniffed
    stored = uploads.store(data, content_type, extension)
    name = download_name(filename, extension)  # what the file is, not what it was called
    document = ApplicationDocument(
        application=application,
        kind=kind,
        original_name=name,
        stored_name=stored.stored_name,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_at=at,
        uploaded_by_id=actor.id,
    )
    db.session.add(document)
    record(
        "document.upload",
        document,
        actor=actor,
        after={
            "application_id": application.id,
            "kind": kind,
            "name": name,
            "sha256": stored.sha256,
            "size": stored.size,
        },
    )
    return document


def remove_document(document: ApplicationDocument, *, actor: User, at: dt.datetime) -> None:
    """The row goes now; the file goes with ``flask candidates prune-uploads`` (a rolled-back
    removal must not lose the file)."""
    application = document.application
    _ensure_owner(application, actor)
    _ensure_editable(application, at)
    record(
        "document.remove",
        document,
        actor=actor,
        before={
            "application_id": application.id,
            "kind": document.kind,
            "name": document.original_name,
            "sha256": document.sha256,
        },
    )
    application.documents.remove(document)
    db.session.flush()


def prune_uploads(older_than: dt.timedelta = dt.timedelta(hours=1)) -> list[str]:
    """Delete stored files that no document refers to (removed documents, rolled-back
    uploads), leaving recent ones alone (an upload may be in flight)."""
    known = set(db.session.scalars(sa.select(ApplicationDocument.stored_name)))
    folder = uploads.upload_dir()
    cutoff = dt.datetime.now(dt.UTC) - older_than
    removed = []
    for path in folder.iterdir():
        if not path.is_file() or path.name in known:
            continue
        modified = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
        if modified < cutoff:
            path.unlink()
            removed.append(path.name)
    return removed


# --- the board's decision ----------------------------------------------------------------


def _next_registration_number(round_id: int) -> str:
    """Numbers follow the order of the eligibility decisions, 001 upwards, within a round."""
    numbers = db.session.scalars(
        sa.select(Application.registration_number).where(
            Application.round_id == round_id, Application.registration_number.is_not(None)
        )
    ).all()
    return f"{max((int(n) for n in numbers), default=0) + 1:03d}"


def decide_eligibility(
    application: Application, *, eligible: bool, reason: str, actor: User, at: dt.datetime
) -> Application:
    """The board's decision. A rejection must give its reason (owed to the applicant); so
    must a decision of eligibility against a criterion the pre-check found not met. The
    pre-check is kept with the decision. A registration number is assigned once, on
    eligibility."""
    if application.status != ApplicationStatus.SUBMITTED:
        raise DomainError(_l("Hồ sơ này đã được xét."))
    # Screening follows the registration window (a dossier may change until the deadline).
    require_stage(application.round, RoundStatus.SCREENING, action=_l("xét hồ sơ"))
    reason = reason.strip()
    lines = precheck_of(application)
    summary = overall(lines)
    if not eligible and not reason:
        raise ValidationFailed([("reason", _l("Cần ghi rõ lý do không đủ điều kiện."))])
    if eligible and summary == Outcome.NOT_MET and not reason:
        raise ValidationFailed(
            [
                (
                    "reason",
                    _l(
                        "Kiểm tra tự động có tiêu chuẩn không đạt: cần ghi rõ lý do khi kết luận "
                        "đủ điều kiện."
                    ),
                )
            ]
        )
    before = {"status": application.status}
    if eligible:
        number = _next_registration_number(application.round_id)
        application.status, application.registration_number = ApplicationStatus.ELIGIBLE, number
    else:
        application.status = ApplicationStatus.NOT_ELIGIBLE
    application.decision_reason = reason
    application.decided_at, application.decided_by_id = at, actor.id
    application.precheck_at_decision = [line.to_dict() for line in lines]
    application.overrode_precheck = (eligible and summary == Outcome.NOT_MET) or (
        not eligible and summary == Outcome.MET
    )
    db.session.flush()
    record(
        "application.decide",
        application,
        actor=actor,
        before=before,
        after={
            "status": application.status,
            "registration_number": application.registration_number,
            "reason": reason,
            "precheck": summary,
            "overrode_precheck": application.overrode_precheck,
        },
    )
    kind = NoticeKind.ELIGIBLE if eligible else NoticeKind.NOT_ELIGIBLE
    _notify(application, kind, at, lines=[line for line in lines if line.outcome != Outcome.MET])
    return application


def decide_prechecked(round_: Round, *, actor: User, at: dt.datetime) -> list[Application]:
    """Find eligible, at once, every application that met every criterion of the pre-check,
    numbered by position, then Vietnamese name order (see the module's docstring)."""
    require_stage(round_, RoundStatus.SCREENING, action=_l("xét hồ sơ"))
    order = {p.id: i for i, p in enumerate(round_.positions)}
    ready = [
        a
        for a in applications_for_round(round_.id, ApplicationStatus.SUBMITTED)
        if overall(precheck_of(a)) == Outcome.MET
    ]
    if not ready:
        raise DomainError(_l("Không có hồ sơ nào đạt tất cả tiêu chuẩn đang chờ xét."))
    ready.sort(
        key=lambda a: (order[a.position_id], vietnamese_sort_key(a.candidate.full_name), a.id)
    )
    for application in ready:
        decide_eligibility(application, eligible=True, reason="", actor=actor, at=at)
    return ready


# --- after screening ---------------------------------------------------------------------


def draw_presentation_order(
    position: Position, *, actor: User, at: dt.datetime
) -> PresentationDraw:
    """Draw the order of presentations by lot, once: a random seed is recorded with the order
    it gives (``presentation_order``), so anyone can recompute it."""
    require_stage(
        position.round,
        RoundStatus.TESTING,
        RoundStatus.INTERVIEWS,
        action=_l("bốc thăm thứ tự trình bày"),
    )
    if position.stopped_at is not None:
        raise DomainError(_l("Vị trí này đã dừng thi tuyển."))
    if draw_of(position.id) is not None:
        raise DomainError(_l("Vị trí này đã bốc thăm; kết quả không thay đổi."))
    numbers = [a.registration_number for a in eligible_applications(position.id)]
    if not numbers:
        raise DomainError(_l("Vị trí này không có thí sinh đủ điều kiện."))
    seed = secrets.token_hex(16)
    draw = PresentationDraw(
        position=position,
        seed=seed,
        order=presentation_order(seed, sorted(numbers)),
        drawn_at=at,
        drawn_by_id=actor.id,
    )
    db.session.add(draw)
    record(
        "position.draw",
        draw,
        actor=actor,
        after={"position_id": position.id, "seed": seed, "order": draw.order},
    )
    return draw


def send_summons(round_: Round, *, actor: User, at: dt.datetime) -> int:
    """Queue a summons (giấy triệu tập) with the schedule to every eligible candidate of the
    positions going on, once each."""
    require_stage(
        round_, RoundStatus.TESTING, RoundStatus.INTERVIEWS, action=_l("gửi giấy triệu tập")
    )
    if round_.test_date is None and round_.presentation_starts_on is None:
        raise DomainError(_l("Kỳ thi chưa có lịch thi: cập nhật lịch trước khi triệu tập."))
    count = 0
    for application in applications_for_round(round_.id, ApplicationStatus.ELIGIBLE):
        if application.summoned_at is not None or application.position.stopped_at is not None:
            continue
        draw = draw_of(application.position_id)
        rank = (
            draw.order.index(application.registration_number) + 1
            if draw and application.registration_number in draw.order
            else None
        )
        _notify(application, NoticeKind.SUMMONS, at, presentation_rank=rank)
        application.summoned_at = at
        count += 1
    if not count:
        raise DomainError(_l("Không còn thí sinh nào cần gửi giấy triệu tập."))
    record("round.summons", round_, actor=actor, after={"count": count})
    return count


def _notify(
    application: Application, kind: NoticeKind, at: dt.datetime, *, flush: bool = True, **extra
) -> None:
    queue_notice(
        kind,
        application.candidate.email,
        obj=application,
        at=at,
        flush=flush,
        application=application,
        round=application.round,
        position=application.position,
        candidate=application.candidate,
        **extra,
    )


# --- importing paper dossiers ------------------------------------------------------------


class ImportRefused(DomainError):
    """The import was refused whole; ``problems`` lists each (row, field, message), which
    ``exam/candidates/imports.py::located`` places in the file's columns."""

    def __init__(self, problems: list[FieldProblem]):
        super().__init__(_l("Tệp có lỗi: không hồ sơ nào được nhập."))
        self.problems = problems


def import_candidates(
    round_: Round,
    rows: list,
    *,
    actor: User,
    at: dt.datetime,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> list:
    """Enter dossiers received on paper (rows read by ``exam.candidates.imports``): every
    row is checked first (duplicates within the file and against the round included), and
    the rows are written only if none has a problem. New candidates get an account without
    a password (no hash to compute: thousands of rows take seconds); they sign in once they
    have accepted an invitation (``exam.accounts.invitations``). ``progress(done, total)``
    is told as rows are checked."""
    problems: list[FieldProblem] = []

    def problem(row: int, key: str | None, message) -> None:
        problems.append(FieldProblem(row, key, str(message)))

    _ensure_import_stage(round_)
    seen_email: dict[str, int] = {}
    seen_id: dict[str, int] = {}
    today = to_local(at).date()
    # What the rows are checked against, read in three queries rather than two a row.
    users = {
        user.email: user
        for user in db.session.scalars(
            sa.select(User).where(User.email.in_({row.email for row in rows}))
        )
    }
    in_round = sa.select(Application).where(Application.round_id == round_.id)
    applied = set(db.session.scalars(in_round.with_only_columns(Application.candidate_id)))
    taken_ids = set(db.session.scalars(in_round.with_only_columns(Application.national_id)))
    on_a_body = members_of_round(round_.id)
    for done, row in enumerate(rows):
        if progress is not None and done % 100 == 0:
            progress(done, len(rows))
        if row.email in seen_email:
            problem(row.row, "email", _l("Email trùng với dòng %(n)s.", n=seen_email[row.email]))
        seen_email.setdefault(row.email, row.row)
        national_id = row.details.national_id
        if national_id in seen_id:
            problem(
                row.row, "national_id", _l("Số CCCD trùng với dòng %(n)s.", n=seen_id[national_id])
            )
        seen_id.setdefault(national_id, row.row)
        user = users.get(row.email)
        if user is not None:
            if Role.CANDIDATE not in user.roles:
                problem(row.row, "email", _l("Email này thuộc một tài khoản không phải thí sinh."))
            elif " ".join(user.full_name.split()).casefold() != row.full_name.casefold():
                problem(
                    row.row,
                    "email",
                    _l(
                        "Email này thuộc tài khoản «%(n)s», khác họ tên trong tệp.",
                        n=user.full_name,
                    ),
                )
            elif user.id in applied:
                problem(row.row, "email", _l("Thí sinh này đã có hồ sơ trong kỳ thi."))
            elif user.id in on_a_body:
                problem(row.row, "email", _ON_A_BODY)
        received_at = _received_at(row.received_on)
        if not round_.registration_opens_at <= received_at < round_.registration_closes_at:
            problem(row.row, "received_on", _l("Ngày nhận hồ sơ nằm ngoài thời hạn nhận hồ sơ."))
        elif row.received_on > today:
            problem(row.row, "received_on", _l("Ngày nhận hồ sơ không được sau ngày hôm nay."))
        if row.position.stopped_at is not None:
            problem(row.row, "position", _l("Vị trí này đã dừng thi tuyển."))
        for key, message in _check_dossier(
            round_, row.person, row.details, today, None, taken_national_ids=taken_ids
        ):
            problem(row.row, key, message)
    if progress is not None:
        progress(len(rows), len(rows))
    if problems:
        raise ImportRefused(problems)
    if dry_run:
        return []
    return _write_import(round_, rows, actor=actor, at=at)


def _write_import(round_: Round, rows: list, *, actor: User, at: dt.datetime) -> list:
    """The checked rows written in a few statements (the accounts, their role, the dossiers,
    their notices) and one audit entry listing every account and dossier made."""
    emails = [row.email for row in rows]
    users = {
        user.email: user
        for user in db.session.scalars(sa.select(User).where(User.email.in_(emails)))
    }
    new_rows = [row for row in rows if row.email not in users]
    if new_rows:
        new_ids = db.session.scalars(
            sa.insert(User).returning(User.id, sort_by_parameter_order=True),
            [
                {
                    "email": row.email,
                    "full_name": " ".join(row.full_name.split()),
                    "password_hash": None,
                    "active": True,
                    "created_at": at,
                    "updated_at": at,
                }
                for row in new_rows
            ],
        ).all()
        db.session.execute(
            sa.insert(RoleGrant), [{"user_id": i, "role": Role.CANDIDATE} for i in new_ids]
        )
        for user in db.session.scalars(sa.select(User).where(User.id.in_(new_ids))):
            users[user.email] = user
    applications = []
    for row in rows:
        application = Application(
            round_id=round_.id,
            position=row.position,
            candidate=users[row.email],
            submitted_at=_received_at(row.received_on),
            paper_dossier=True,
        )
        _write(application, row.person, row.details)
        applications.append(application)
    db.session.add_all(applications)
    db.session.flush()
    for application in applications:
        _notify(application, NoticeKind.RECEIVED, at, flush=False)
    db.session.flush()
    new_emails = {row.email for row in new_rows}
    record(
        "round.import",
        round_,
        actor=actor,
        after={
            "count": len(applications),
            "accounts_created": [
                {"id": users[e].id, "email": e, "full_name": users[e].full_name}
                for e in sorted(new_emails)
            ],
            "applications": [
                {"id": a.id, "candidate_id": a.candidate_id, **_dossier_snapshot(a)}
                for a in applications
            ],
        },
    )
    return applications


def _received_at(day: dt.date) -> dt.datetime:
    """A paper dossier received on ``day``: noon in Hanoi, so that a dossier received on
    the first or the last day of the window counts inside it."""
    return local_to_utc(dt.datetime.combine(day, dt.time(12, 0)))
