"""Written tests sat on paper (docs/domain.md §6): the round's paper test with its marking
guide, and the Ban phách's uploads of the scanned scripts, one by one or as a ZIP of
``<SBD>.pdf``. A ZIP is taken whole or not at all: any unknown registration number,
duplicate, non-PDF, oversized or path-like entry refuses it with every reason listed, and
nothing is saved. Uploads stop once the round's scripts are coded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.candidates.models import Application
from exam.core.errors import DomainError, ValidationFailed
from exam.extensions import db
from exam.marking.models import PaperScript, PaperTest
from exam.marking.operations import _marking_stage, plan_for
from exam.marking.queries import numbered_applications, paper_scripts_of
from exam.marking.rules import half_up
from exam.marking.scans import read_zip, scan_problem, store_scan
from exam.rounds.models import Round


@dataclass(frozen=True)
class ZipReport:
    """An accepted ZIP: the registration numbers stored (new, replacing an earlier scan), and
    the round's numbers still without a scan."""

    added: list[str]
    replaced: list[str]
    missing: list[str]


def _before_coding(round_: Round, action: object) -> None:
    _marking_stage(round_, action)
    if plan_for(round_).coded_at is not None:
        raise DomainError(_l("Bài thi đã được đánh phách: không thay đổi bài thi viết trên giấy."))


def define_paper_test(
    round_: Round, title: str, criteria: Sequence[tuple[str, Decimal]], *, actor: User
) -> PaperTest:
    """A written test sat on paper, with its marking guide (each criterion's wording and
    points, two decimals); its points are the criteria's total."""
    _before_coding(round_, _l("khai báo bài thi viết trên giấy"))
    errors: list[tuple[str | None, str]] = []
    if not title.strip():
        errors.append(("title", _l("Nhập tên bài thi.")))
    if not criteria or any(
        not c.strip() or p <= 0 or p != half_up(p) or p > 1000 for c, p in criteria
    ):
        errors.append(
            (
                "criteria",
                _l(
                    "Mỗi dòng một tiêu chí: «nội dung | điểm», điểm dương, tối đa hai chữ số "
                    "thập phân."
                ),
            )
        )
    if errors:
        raise ValidationFailed(errors)
    paper_test = PaperTest(
        round_id=round_.id,
        title=title.strip(),
        criteria=[{"criterion": c.strip(), "points": str(half_up(p))} for c, p in criteria],
        max_points=sum((half_up(p) for _, p in criteria), Decimal(0)),
    )
    db.session.add(paper_test)
    db.session.flush()
    record(
        "marking.paper_test",
        paper_test,
        actor=actor,
        after={"title": paper_test.title, "criteria": paper_test.criteria},
    )
    return paper_test


def _keep(
    paper_test: PaperTest, application: Application, data: bytes, *, actor: User, at: dt.datetime
) -> bool:
    """Store one scan for ``application``; True when it replaced an earlier one (the old
    file stays on disk: a rolled-back replacement must not lose it)."""
    stored = store_scan(data)
    existing = next((s for s in paper_test.scripts if s.application_id == application.id), None)
    before = None
    if existing is None:
        existing = PaperScript(paper_test=paper_test, application=application)
        db.session.add(existing)
    else:
        before = {"sha256": existing.sha256, "size": existing.size}
    existing.stored_name, existing.size, existing.sha256 = (
        stored.stored_name,
        stored.size,
        stored.sha256,
    )
    existing.uploaded_at, existing.uploaded_by_id = at, actor.id
    db.session.flush()
    record(
        "marking.scan_replace" if before else "marking.scan_upload",
        existing,
        actor=actor,
        before=before,
        after={
            "paper_test_id": paper_test.id,
            "application_id": application.id,  # no SBD in the marking's trail (§6)
            "sha256": stored.sha256,
            "size": stored.size,
        },
    )
    return before is not None


def upload_scan(
    paper_test: PaperTest, registration_number: str, data: bytes, *, actor: User, at: dt.datetime
) -> PaperScript:
    """One candidate's scanned script (a PDF read from its content), replacing an earlier
    one (audited) until the round is coded."""
    _before_coding(paper_test.round, _l("tải lên bài thi đã quét"))
    number = registration_number.strip()
    application = numbered_applications(paper_test.round_id).get(number)
    errors: list[tuple[str | None, str]] = []
    if application is None:
        errors.append(("registration_number", _l("Không có thí sinh số báo danh %(n)s.", n=number)))
    if (problem := scan_problem(data)) is not None:
        errors.append(("file", problem))
    if errors:
        raise ValidationFailed(errors)
    _keep(paper_test, application, data, actor=actor, at=at)
    return next(s for s in paper_test.scripts if s.application_id == application.id)


def upload_scan_zip(
    paper_test: PaperTest, data: bytes, *, actor: User, at: dt.datetime
) -> ZipReport:
    """A ZIP of ``<SBD>.pdf``: every entry stored, or, when anything in it is wrong (an
    unknown number among them), nothing, with each reason."""
    _before_coding(paper_test.round, _l("tải lên bài thi đã quét"))
    reading = read_zip(data)
    applications = numbered_applications(paper_test.round_id)
    problems = list(reading.problems)
    unknown = sorted(n for n in reading.scans if n not in applications)
    if unknown:
        problems.append(
            str(
                _l(
                    "Số báo danh không có trong kỳ thi: %(numbers)s.",
                    numbers=", ".join(unknown),
                )
            )
        )
    if not reading.scans and not problems:
        problems.append(str(_l("ZIP không có tệp <số báo danh>.pdf nào.")))
    if problems:
        raise ValidationFailed(
            [("file", _l("ZIP không được chấp nhận, không lưu tệp nào."))]
            + [("file", p) for p in problems]
        )
    added, replaced = [], []
    for number in sorted(reading.scans):
        was_replaced = _keep(
            paper_test, applications[number], reading.scans[number], actor=actor, at=at
        )
        (replaced if was_replaced else added).append(number)
    scanned = {s.application_id for s in paper_scripts_of(paper_test)}
    missing = sorted(n for n, a in applications.items() if a.id not in scanned)
    record(
        "marking.scan_zip",
        paper_test,
        actor=actor,
        after={"added": len(added), "replaced": len(replaced), "missing": len(missing)},
    )
    return ZipReport(added, replaced, missing)
