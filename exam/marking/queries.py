"""Reading the marking: a round's plan and scripts, a marker's sheets, the marking board's
members, what a marker's page shows, and the markers' statistics for the head of marking."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from exam.accounts.models import User
from exam.candidates.models import Application
from exam.core.documents import COUNCIL
from exam.core.i18n import to_local, vietnamese_sort_key
from exam.council.models import Body, BodyKind, MemberFunction, Membership
from exam.documents.models import DocumentKind
from exam.documents.numbering import HeldNumber, number_source
from exam.exams.models import Attempt, AttemptStatus, Test
from exam.extensions import db
from exam.marking.models import (
    MarkingPlan,
    MarkingSheet,
    PaperScript,
    PaperTest,
    Script,
    ScriptStatus,
)
from exam.marking.rules import PAPER_ITEM_ID, marked_by_people


def plan_of(round_id: int) -> MarkingPlan | None:
    return db.session.scalar(sa.select(MarkingPlan).where(MarkingPlan.round_id == round_id))


@number_source
def hand_over_numbers(round_id: int) -> list[HeldNumber]:
    """The number of the round's hand-over minutes, for the Council's register of numbers
    (exam/documents/numbering.py): held from the hand-over, before the job issues them."""
    plans = db.session.scalars(
        sa.select(MarkingPlan)
        .where(MarkingPlan.round_id == round_id, MarkingPlan.hand_over_number.is_not(None))
        .order_by(MarkingPlan.id)
    )
    return [
        HeldNumber(
            plan.hand_over_number,
            COUNCIL,
            to_local(plan.handed_over_at).date(),
            str(DocumentKind.MARKING_HAND_OVER.title),
        )
        for plan in plans
    ]


def scripts_of(plan: MarkingPlan | None, *, remark: bool = False) -> list[Script]:
    """The plan's scripts of the marking, or (``remark``) its re-markings on appeal."""
    if plan is None:
        return []
    return list(
        db.session.scalars(
            sa.select(Script)
            .where(Script.plan_id == plan.id, Script.remark.is_(remark))
            .order_by(Script.code)
        )
    )


def papers_with_essays(round_id: int) -> list[Attempt]:
    """The round's submitted papers holding an item that markers mark."""
    attempts = db.session.scalars(
        sa.select(Attempt)
        .join(Test, Test.id == Attempt.test_id)
        .where(Test.round_id == round_id, Attempt.status == AttemptStatus.SUBMITTED)
        .order_by(Attempt.id)
    ).all()
    return [a for a in attempts if any(marked_by_people(i) for i in a.questions)]


def open_papers(round_id: int, at: dt.datetime) -> int:
    """Papers of the round not over at ``at``: being written (or closed by their time but not
    yet by the server), or still to be sat in a later session."""
    attempts = db.session.scalars(
        sa.select(Attempt)
        .join(Test, Test.id == Attempt.test_id)
        .where(Test.round_id == round_id, Attempt.status != AttemptStatus.SUBMITTED)
    ).all()
    return sum(1 for a in attempts if a.status == AttemptStatus.IN_PROGRESS or at < a.deadline_at)


def marking_board(round_id: int, kind: BodyKind = BodyKind.MARKING) -> list[User]:
    """Who may be drawn as a marker: every member of the round's marking board (``kind``:
    the re-marking board for appeals), its head included (TT 22 does not keep the head from
    marking), in Vietnamese name order."""
    people = db.session.scalars(
        sa.select(User)
        .join(Membership, Membership.user_id == User.id)
        .join(Body, Body.id == Membership.body_id)
        .where(Body.round_id == round_id, Body.kind == kind, User.active)
    ).all()
    return sorted(people, key=lambda u: (vietnamese_sort_key(u.full_name), u.id))


def head_of(round_id: int, kind: BodyKind) -> User | None:
    return db.session.scalar(
        sa.select(User)
        .join(Membership, Membership.user_id == User.id)
        .join(Body, Body.id == Membership.body_id)
        .where(
            Body.round_id == round_id,
            Body.kind == kind,
            Membership.function == MemberFunction.HEAD,
        )
    )


def sheets_of_marker(user_id: int, round_id: int, *, remark: bool = False) -> list[MarkingSheet]:
    """A marker's sheets in a round (of the marking, or ``remark``: of the re-markings),
    those still to mark first."""
    sheets = db.session.scalars(
        sa.select(MarkingSheet)
        .join(Script, Script.id == MarkingSheet.script_id)
        .join(MarkingPlan, MarkingPlan.id == Script.plan_id)
        .where(
            MarkingSheet.marker_id == user_id,
            MarkingPlan.round_id == round_id,
            Script.remark.is_(remark),
        )
    ).all()
    return sorted(sheets, key=lambda s: (s.submitted_at is not None, s.script.code))


def sheet_of(script: Script, user_id: int) -> MarkingSheet | None:
    return next((s for s in script.sheets if s.marker_id == user_id), None)


def marks_of(sheet: MarkingSheet) -> dict[tuple[int, int], Decimal]:
    """A sheet's points by (item id, criterion), a paper script's lines under its one item."""
    return {
        (PAPER_ITEM_ID if line.item_id is None else line.item_id, line.criterion): line.points
        for line in sheet.lines
    }


def all_final(plan: MarkingPlan) -> bool:
    scripts = scripts_of(plan)
    return bool(scripts) and all(s.status == ScriptStatus.FINAL for s in scripts)


@dataclass(frozen=True)
class MarkerStats:
    marker: User
    sheets: int  # submitted
    mean_deviation: Decimal | None  # mean |own − co-marker| over the pairs on shared scripts
    referrals: int  # scripts sent to a third marker on which this marker was first or second


def marker_statistics(plan: MarkingPlan) -> list[MarkerStats]:
    """For the head of marking: each marker's mean distance from their co-markers on the same
    scripts (100-point scale) and how many of their scripts needed a third marker."""
    deviations: dict[int, list[Decimal]] = {}
    sheets_done: dict[int, int] = {}
    referrals: dict[int, int] = {}
    markers: dict[int, User] = {}
    for script in scripts_of(plan):
        done = [s for s in script.sheets if s.score is not None]
        third = any(s.turn == 3 for s in script.sheets)
        for sheet in script.sheets:
            markers[sheet.marker_id] = sheet.marker
            if third and sheet.turn in (1, 2):
                referrals[sheet.marker_id] = referrals.get(sheet.marker_id, 0) + 1
        for sheet in done:
            sheets_done[sheet.marker_id] = sheets_done.get(sheet.marker_id, 0) + 1
            for other in done:
                if other is not sheet:
                    deviations.setdefault(sheet.marker_id, []).append(
                        abs(sheet.score - other.score)
                    )
    rows = []
    for marker_id, marker in markers.items():
        values = deviations.get(marker_id, [])
        rows.append(
            MarkerStats(
                marker,
                sheets_done.get(marker_id, 0),
                (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01"))
                if values
                else None,
                referrals.get(marker_id, 0),
            )
        )
    return sorted(rows, key=lambda r: vietnamese_sort_key(r.marker.full_name))


def paper_tests_of(round_id: int) -> list[PaperTest]:
    return list(
        db.session.scalars(
            sa.select(PaperTest).where(PaperTest.round_id == round_id).order_by(PaperTest.id)
        )
    )


def paper_scripts_of(paper_test: PaperTest) -> list[PaperScript]:
    return list(
        db.session.scalars(
            sa.select(PaperScript)
            .join(Application, Application.id == PaperScript.application_id)
            .where(PaperScript.paper_test_id == paper_test.id)
            .order_by(Application.registration_number)
        )
    )


def uncoded_paper_scripts(round_id: int) -> list[PaperScript]:
    """The round's scanned scripts not coded yet."""
    return list(
        db.session.scalars(
            sa.select(PaperScript)
            .join(PaperTest, PaperTest.id == PaperScript.paper_test_id)
            .outerjoin(Script, Script.paper_script_id == PaperScript.id)
            .where(PaperTest.round_id == round_id, Script.id.is_(None))
            .order_by(PaperScript.id)
        )
    )


def numbered_applications(round_id: int) -> dict[str, Application]:
    """The round's applications by registration number (SBD): those who may sit a test."""
    rows = db.session.scalars(
        sa.select(Application).where(
            Application.round_id == round_id, Application.registration_number.is_not(None)
        )
    )
    return {a.registration_number: a for a in rows}


def written_scores(round_id: int) -> dict[int, dict[int, Decimal]]:
    """What the results read of the paper tests: by paper test, each application's score of
    100, once the Ban phách has unsealed (before, nothing: the scores belong to codes)."""
    rows = db.session.execute(
        sa.select(PaperScript.paper_test_id, PaperScript.application_id, PaperScript.score)
        .join(PaperTest, PaperTest.id == PaperScript.paper_test_id)
        .where(PaperTest.round_id == round_id, PaperScript.score.is_not(None))
    )
    scores: dict[int, dict[int, Decimal]] = {}
    for test_id, application_id, score in rows:
        scores.setdefault(test_id, {})[application_id] = score
    return scores
