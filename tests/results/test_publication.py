"""A ranking's lifecycle (exam/results/publication.py): approval by the Council's decision,
the lock, versions after a correction, publication with the round, a winner's withdrawal."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from exam.audit.models import AuditEntry
from exam.core.documents import COUNCIL
from exam.core.errors import DomainError, ValidationFailed
from exam.council.models import BodyKind, MemberFunction
from exam.documents.numbering import number_problems, split_number
from exam.documents.queries import document_bytes
from exam.extensions import db
from exam.marking.models import Script, ScriptStatus
from exam.marking.operations import code_scripts, hand_over, unseal
from exam.marking.sheets import submit_sheet
from exam.notices.models import NoticeKind, OutboxMessage
from exam.panels.models import ScoreSheet
from exam.results.models import Outcome, RankingStatus
from exam.results.publication import (
    approve_ranking,
    correct_ranking,
    decision_document,
    publish_round,
    suggested_decision_number,
    withdraw_winner,
)
from exam.results.queries import (
    published_ranking,
    versions_of,
)
from exam.results.ranking import compute_ranking
from exam.rounds.models import RoundStatus
from tests.marking.conftest import AFTER, build_essays, seat_on, staff
from tests.results.lifecycle_helpers import DECIDED_ON, NOW, _documents, build  # noqa: F401


def _audit(action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def _outbox(kind: NoticeKind) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        )
    )


# --- approval and the lock -----------------------------------------------------------------


def test_approval_locks_the_ranking_as_version_1_with_its_decision(make):
    contest = build(make, {"An": "80", "Bình": "70"})
    ranking = contest.rank()
    assert suggested_decision_number(contest.round.id, on=DECIDED_ON) == "01/QĐ-HĐTT"
    contest.approve(ranking, number="5/QĐ-HĐTT")
    assert ranking.status == RankingStatus.APPROVED
    assert ranking.version == 1
    assert ranking.decision.decision_number == "05/QĐ-HĐTT"  # as NĐ 30 writes it
    assert ranking.decision.decided_on == DECIDED_ON
    assert ranking.decision.signer_name == "Chủ Tịch Hội Đồng"
    following = suggested_decision_number(contest.round.id, on=DECIDED_ON)
    assert following.endswith("/QĐ-HĐTT")
    assert split_number(following)[0] > 5  # never a number the Council used
    assert number_problems(contest.round.id, COUNCIL, following, on=DECIDED_ON) == []
    assert [e.object_id for e in _audit("ranking.approve")] == [str(ranking.id)]
    with pytest.raises(DomainError, match=r"đã được Hội đồng phê duyệt .*không tính lại được"):
        contest.rank()
    with pytest.raises(DomainError, match="đã được phê duyệt"):
        contest.approve(ranking, number="07/QĐ-HĐTT")


def test_the_decision_is_stored_once_dated_at_approval(make):
    contest = build(make, {"An": "80", "Bình": "70"})
    ranking = contest.approve(contest.rank())
    document = decision_document(ranking)
    assert document is not None
    assert document.number == "05/QĐ-HĐTT"
    assert document.issued_on == DECIDED_ON
    first = document_bytes(document)
    text = " ".join(
        " ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(first)).pages
    )
    assert "Số: 05/QĐ-HĐTT" in text
    assert "ngày 05 tháng 5 năm 2026" in text  # the decision's date (NĐ 30), not the download's
    assert "Chủ Tịch Hội Đồng" in text  # the signer
    assert document.code in text
    assert document_bytes(decision_document(ranking)) == first  # the same bytes again


def test_a_duplicate_decision_number_is_refused(make):
    contest = build(make, {"An": "80"})
    other = build(make, {"Cường": "75"})
    contest.approve(contest.rank(), number="09/QĐ-HĐTT")
    other.approve(other.rank(), number="09/QĐ-HĐTT")  # another round's Council: its own sequence
    draft = contest.rank(reason="Đính chính lỗi nhập điểm")
    for taken in ("09/QĐ-HĐTT", "9/qđ-hđtt"):
        with pytest.raises(ValidationFailed, match="đã dùng"):
            contest.approve(draft, number=taken)
    assert draft.status == RankingStatus.DRAFT
    assert draft.decision is None


def test_a_bodys_decision_number_is_taken_in_the_round(make):
    contest = build(make, {"An": "80"})
    board = make.seat(make.user(seated=False), contest.round, BodyKind.MARKING).body
    board.decision_number = "03/QĐ-HĐTT"  # the Council set up its marking board
    db.session.flush()
    assert suggested_decision_number(contest.round.id, on=DECIDED_ON) == "04/QĐ-HĐTT"
    ranking = contest.rank()
    with pytest.raises(ValidationFailed, match="03/QĐ-HĐTT đã dùng"):
        contest.approve(ranking, number="3/QĐ-HĐTT")
    with pytest.raises(ValidationFailed, match="dạng số/ký hiệu"):
        contest.approve(ranking, number="QĐ-HĐTT")
    contest.approve(ranking, number="04/QĐ-HĐTT")


def test_only_the_councils_chair_signs(make):
    contest = build(make, {"An": "80"})
    with pytest.raises(ValidationFailed, match="Chủ tịch Hội đồng"):
        contest.approve(contest.rank(), signer=contest.board)


def test_approval_refused_with_an_unsealed_panel_sheet(make):
    contest = build(make, {"An": "80", "Bình": "70"})
    ranking = contest.rank()
    sheet = db.session.scalars(sa.select(ScoreSheet).order_by(ScoreSheet.id)).first()
    sheet.submitted_at = None  # reopened after the computation
    db.session.flush()
    with pytest.raises(ValidationFailed, match="phiếu chấm phỏng vấn, đề án chưa niêm phong"):
        contest.approve(ranking)
    assert ranking.status == RankingStatus.DRAFT
    assert ranking.decision is None


def test_approval_refused_with_an_unmarked_written_script(make):
    w = build_essays(make)
    code_scripts(w.round, actor=w.anonymiser, at=AFTER)
    hand_over(w.round, actor=w.anonymiser, at=AFTER)
    scripts = list(db.session.scalars(sa.select(Script).order_by(Script.id)))
    for script in scripts:
        for sheet in script.sheets:
            item = sheet.script.essay_items()[0]
            marks = {f"mark-{item.id}-0": "42", f"mark-{item.id}-1": "28"}
            submit_sheet(sheet, marks, "", actor=sheet.marker, at=AFTER)
    unseal(w.round, actor=w.anonymiser, at=AFTER)
    make.stage(w.round, RoundStatus.RESULTS)
    w.round.test_pass_mark = 100  # nobody past the gate: ranked without interview sheets
    chair = staff("Chủ Tịch Hội Đồng")
    seat_on(w.round, BodyKind.COUNCIL, chair, MemberFunction.CHAIR)
    ranking = compute_ranking(w.round.positions[0], actor=w.council, at=AFTER, has_test=True)
    db.session.flush()
    # A script taken back to its markers after the computation (marked again).
    scripts[0].status, scripts[0].final_score, scripts[0].settled_by = (
        ScriptStatus.MARKING,
        None,
        None,
    )
    db.session.flush()
    with pytest.raises(ValidationFailed, match="Còn 1 bài thi viết chưa chấm xong"):
        approve_ranking(
            ranking, decision_number="05/QĐ-HĐTT", decided_on=DECIDED_ON, signer=chair, actor=chair
        )
    assert ranking.decision is None


def test_approval_refused_while_a_tie_waits_for_the_council(make):
    contest = build(make, {"An": "80", "Bình": "80", "Cường": "60"})
    ranking = contest.rank()
    assert len(ranking.pending_rows) == 2
    with pytest.raises(ValidationFailed, match="chờ Hội đồng biểu quyết"):
        contest.approve(ranking)


def test_an_older_draft_cannot_be_approved(make):
    contest = build(make, {"An": "80"})
    old = contest.rank()
    contest.rank()
    with pytest.raises(DomainError, match="bảng tổng hợp mới hơn"):
        contest.approve(old)


# --- versions ------------------------------------------------------------------------------


def test_a_correction_makes_a_new_version_with_its_reason_the_old_kept(make):
    contest = build(make, {"An": "80", "Bình": "70"})
    first = contest.approve(contest.rank())
    with pytest.raises(ValidationFailed, match="lý do"):
        correct_ranking(first, reason="  ", actor=contest.board, at=NOW)
    draft = correct_ranking(first, reason="Đính chính lỗi nhập điểm", actor=contest.board, at=NOW)
    assert draft.status == RankingStatus.DRAFT
    assert draft.reason == "Đính chính lỗi nhập điểm"
    second = contest.approve(draft, number=contest.next_number())
    assert second.version == 2
    assert first.status == RankingStatus.SUPERSEDED
    assert [r.version for r in versions_of(contest.position.id)] == [1, 2]
    assert [r.outcome for r in first.rows] == [Outcome.SELECTED, Outcome.NOT_SELECTED]
    assert decision_document(first).number == "05/QĐ-HĐTT"  # still readable


def test_publication_waits_for_approval_then_tells_each_candidate(make):
    contest = build(make, {"An": "80", "Bình": "70"})
    ranking = contest.rank()
    assert published_ranking(contest.position) is None
    with pytest.raises(ValidationFailed, match="chưa được Hội đồng phê duyệt"):
        publish_round(contest.round, actor=contest.board, at=NOW)
    contest.approve(ranking)
    assert _outbox(NoticeKind.RESULT) == []  # nothing before publication
    publish_round(contest.round, actor=contest.board, at=NOW)
    assert contest.round.status == RoundStatus.PUBLISHED
    assert ranking.status == RankingStatus.PUBLISHED
    assert published_ranking(contest.position) is ranking
    notices = _outbox(NoticeKind.RESULT)
    by_recipient = {m.recipient: m for m in notices}
    an = contest.row(ranking, "An").application.candidate
    assert set(by_recipient) == {r.application.candidate.email for r in ranking.rows}
    body = by_recipient[an.email].body
    assert "Kết quả: Trúng tuyển." in body
    assert "Quyết định số 05/QĐ-HĐTT" in body
    assert "phúc khảo" in body
    assert "Bình" not in body  # never another's result


def test_a_new_version_after_publication_is_published_at_once(make):
    contest = build(make, {"An": "80", "Bình": "70"})
    first = contest.approve(contest.rank())
    publish_round(contest.round, actor=contest.board, at=NOW)
    draft = correct_ranking(first, reason="Đính chính", actor=contest.board, at=NOW)
    assert published_ranking(contest.position) is first  # until the Council approves
    contest.approve(draft, number=contest.next_number())
    assert published_ranking(contest.position) is draft
    assert first.status == RankingStatus.SUPERSEDED
    assert len(_outbox(NoticeKind.RESULT)) == 4  # each candidate, for each version


# --- a winner withdraws --------------------------------------------------------------------


def test_a_withdrawing_winner_is_replaced_by_the_next_ranked_above_the_minimum(make):
    contest = build(make, {"An": "80", "Bình": "70", "Cường": "40"})
    ranking = contest.approve(contest.rank())
    an, binh = contest.row(ranking, "An"), contest.row(ranking, "Bình")
    with pytest.raises(DomainError, match="Chỉ người trúng tuyển"):
        withdraw_winner(binh, reason="x", actor=contest.board, at=NOW)
    withdrawal = withdraw_winner(an, reason="Đơn xin từ chối", actor=contest.board, at=NOW)
    assert withdrawal.called_row is binh
    assert [m.recipient for m in _outbox(NoticeKind.CALLED)] == [binh.application.candidate.email]
    assert _audit("ranking.withdraw")[0].after["called_row_id"] == binh.id
    with pytest.raises(DomainError, match="đã được ghi nhận"):
        withdraw_winner(an, reason="again", actor=contest.board, at=NOW)
    # Bình withdraws too: Cường is under the minimum (50), nobody is called.
    second = withdraw_winner(binh, reason="Đơn xin từ chối", actor=contest.board, at=NOW)
    assert second.called_row is None


def test_withdrawal_calls_the_reserve_first(make):
    contest = build(make, {"An": "80", "Bình": "70", "Cường": "65"})
    ranking = contest.approve(contest.rank())
    cuong = contest.row(ranking, "Cường")
    cuong.outcome = Outcome.RESERVED  # the formula's reserve of 1 (bảo lưu)
    db.session.flush()
    withdrawal = withdraw_winner(
        contest.row(ranking, "An"), reason="Đơn xin từ chối", actor=contest.board, at=NOW
    )
    assert withdrawal.called_row is cuong


def test_no_withdrawal_on_a_draft(make):
    contest = build(make, {"An": "80", "Bình": "70"})
    ranking = contest.rank()
    with pytest.raises(DomainError, match="phiên bản kết quả đang có hiệu lực"):
        withdraw_winner(contest.row(ranking, "An"), reason="x", actor=contest.board, at=NOW)
