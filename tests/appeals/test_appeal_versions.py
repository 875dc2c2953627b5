"""After an appeal changes a written score, the position's ranking is computed again as a new
version (its reason: the appeal), approved by the Council, published; the old one is kept
(exam/appeals/versions.py, exam/results/publication.py)."""

from __future__ import annotations

import sqlalchemy as sa

from exam.appeals.models import AppealStatus
from exam.appeals.operations import file_appeal, start_remark
from exam.council.models import BodyKind, MemberFunction
from exam.extensions import db
from exam.marking.models import MarkingSheet, Script
from exam.marking.operations import code_scripts, hand_over, unseal
from exam.marking.sheets import submit_sheet
from exam.notices.models import NoticeKind, OutboxMessage
from exam.results.decision_jobs import issue_decision_document
from exam.results.models import RankingStatus
from exam.results.publication import approve_ranking, publish_round, suggested_decision_number
from exam.results.queries import latest_ranking, published_ranking, versions_of
from exam.results.ranking import compute_ranking
from exam.rounds.models import RoundStatus
from tests.marking.conftest import AFTER, build_essays, seat_on, staff
from tests.results.lifecycle_helpers import DECIDED_ON, _documents  # noqa: F401


def _mark(sheet: MarkingSheet, content: str, form: str) -> None:
    item = sheet.script.essay_items()[0]
    marks = {f"mark-{item.id}-0": content, f"mark-{item.id}-1": form}
    submit_sheet(sheet, marks, "", actor=sheet.marker, at=AFTER)


def test_an_appeal_that_changes_the_score_makes_a_new_version_the_old_kept(make):
    w = build_essays(make)
    code_scripts(w.round, actor=w.anonymiser, at=AFTER)
    hand_over(w.round, actor=w.anonymiser, at=AFTER)
    for script in db.session.scalars(sa.select(Script).order_by(Script.id)):
        for sheet in script.sheets:
            _mark(sheet, "42", "28")  # 70 each
    unseal(w.round, actor=w.anonymiser, at=AFTER)
    make.stage(w.round, RoundStatus.RESULTS)
    w.round.test_pass_mark = 100  # nobody past the gate: ranked without interview sheets
    chair = staff("Chủ Tịch Hội Đồng")
    seat_on(w.round, BodyKind.COUNCIL, chair, MemberFunction.CHAIR)
    position = w.round.positions[0]
    first = compute_ranking(position, actor=w.council, at=AFTER, has_test=True)
    db.session.flush()
    approve_ranking(
        first,
        decision_number=suggested_decision_number(w.round.id, on=DECIDED_ON),  # the boards' own
        decided_on=DECIDED_ON,
        signer=chair,
        actor=w.council,
    )
    issue_decision_document(first, actor=w.council)  # the approval's background job
    publish_round(w.round, actor=w.council, at=AFTER)
    assert first.status == RankingStatus.PUBLISHED
    remarkers = [staff(f"Phúc Khảo {n}") for n in range(3)]
    seat_on(w.round, BodyKind.REMARKING, remarkers[0], MemberFunction.HEAD)
    for person in remarkers[1:]:
        seat_on(w.round, BodyKind.REMARKING, person)
    db.session.flush()

    application = w.attempt(0).application
    appeal = file_appeal(application, "written", "Xin chấm lại.", actor=w.candidates[0], at=AFTER)
    start_remark(appeal, actor=w.anonymiser, at=AFTER)
    for sheet in appeal.remark_script.sheets:
        _mark(sheet, "45", "29.99")  # 74.99: less than 5 from 70, it replaces the score
    assert appeal.status == AppealStatus.DECIDED

    draft = latest_ranking(position.id)
    assert draft is not first
    assert draft.status == RankingStatus.DRAFT
    assert draft.reason.startswith("Phúc khảo bài thi viết của")
    assert "74.99" in draft.reason
    assert published_ranking(position) is first  # until the Council approves the new one
    number = suggested_decision_number(w.round.id, on=DECIDED_ON)
    approve_ranking(
        draft, decision_number=number, decided_on=DECIDED_ON, signer=chair, actor=w.council
    )
    assert published_ranking(position) is first  # until the decision's document is issued
    issue_decision_document(draft, actor=w.council)
    assert published_ranking(position) is draft
    assert first.status == RankingStatus.SUPERSEDED
    assert [r.version for r in versions_of(position.id)] == [1, 2]
    old_row = next(r for r in first.rows if r.application_id == application.id)
    new_row = next(r for r in draft.rows if r.application_id == application.id)
    assert new_row.test_percent > old_row.test_percent  # the old version keeps the old score
    notices = db.session.scalars(
        sa.select(OutboxMessage).where(
            OutboxMessage.kind == NoticeKind.RESULT,
            OutboxMessage.recipient == w.candidates[0].email,
        )
    ).all()
    assert len(notices) == 2  # the first publication, then the new version
    assert number in notices[-1].body
