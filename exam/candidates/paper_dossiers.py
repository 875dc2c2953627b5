"""Dossiers received on paper, entered by the board: one at a time
(``import_application``) or a whole file at once (``import_candidates``, the rows read by
``exam.candidates.imports``), under the same checks as a dossier submitted online."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.accounts.models import Role, RoleGrant, User
from exam.audit.operations import record
from exam.candidates.models import Application
from exam.candidates.operations import (
    _check_dossier,
    _dossier_snapshot,
    _existing,
    _notify,
    _write,
)
from exam.candidates.values import ApplicationDetails, FieldProblem, Person
from exam.core.errors import DomainError, ValidationFailed
from exam.core.i18n import local_to_utc, to_local
from exam.council.queries import members_of_round
from exam.extensions import db
from exam.notices.models import NoticeKind
from exam.rounds.models import Position, Round, RoundStatus
from exam.rounds.stages import require_stage

# docs/domain.md §2: nobody sits on a body of a round and applies to it.
_ON_A_BODY = _l("Người này là thành viên hội đồng, ban của kỳ thi: không được dự thi.")


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


# --- a whole file of paper dossiers ------------------------------------------------------


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
