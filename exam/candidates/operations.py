"""Applying, editing and withdrawing a dossier and its documents, and what the other use
cases of the candidates share: the checks of a dossier, its snapshot in the trail, the notices.
Paper dossiers are entered in ``exam.candidates.paper_dossiers``; the board's decisions, the
lot and the summons are in ``exam.candidates.screening``."""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.candidates import uploads
from exam.candidates.eligibility import DocumentKind, add_months, national_id_problems
from exam.candidates.models import Application, ApplicationDocument, ApplicationStatus, Gender
from exam.candidates.values import ApplicationDetails, Person
from exam.core.db import lock_row
from exam.core.errors import DomainError, NotAllowed, ValidationFailed
from exam.core.filenames import download_name
from exam.core.i18n import to_local
from exam.core.storage import storage
from exam.council.queries import memberships_of
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


def _existing(round_: Round, candidate: User) -> Application | None:
    return db.session.scalars(
        sa.select(Application).where(
            Application.round_id == round_.id, Application.candidate_id == candidate.id
        )
    ).first()


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
    lock_row(application)  # the board deciding it meanwhile: one after the other
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
    if lock_row(application):  # uploads sent at once count each other
        db.session.refresh(application, attribute_names=["documents"])
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
    store = storage()
    cutoff = dt.datetime.now(dt.UTC) - older_than
    removed = []
    for found in store.listing(uploads.FOLDER, recursive=False):
        name = found.key.rpartition("/")[2]
        if name not in known and found.modified < cutoff:
            store.delete(found.key)
            removed.append(name)
    return removed


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
