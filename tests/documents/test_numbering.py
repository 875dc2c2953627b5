"""The register of numbers in a round (exam/documents/numbering.py): an issuer's documents
share one sequence per year whatever their symbol (NĐ 30 Art. 15); the suggested number skips
every used one; a number reused across kinds is refused in words naming its holder."""

from __future__ import annotations

import datetime as dt

import pytest

from exam.accounts.models import Role
from exam.core.documents import COUNCIL
from exam.core.errors import ValidationFailed
from exam.council.models import BodyKind
from exam.council.operations import set_up_body
from exam.council.queries import council_of
from exam.documents.models import DocumentKind
from exam.documents.numbering import (
    canonical_number,
    number_problems,
    split_number,
    suggested_number,
    used_sequence_numbers,
)
from exam.documents.operations import issue_document
from exam.extensions import db
from exam.results.models import RankingStatus
from exam.results.proposals import issue_proposal, suggested_proposal_number
from exam.results.publication import suggested_decision_number
from tests.results.lifecycle_helpers import DECIDED_ON, _documents, build  # noqa: F401

ON = dt.date(2026, 3, 10)


def _issue(make, round_, number: str, *, issuer: str = COUNCIL, on: dt.date = ON, kind=None):
    return issue_document(
        kind=kind or DocumentKind.COUNCIL_MINUTES,
        round_=round_,
        number=number,
        title="Biên bản họp Hội đồng thi tuyển",
        issuer=issuer,
        issued_on=on,
        render=lambda verification: b"%PDF-1.7 " + verification.code.encode(),
        actor=make.user(),
    )


def _messages(problems) -> str:
    return " | ".join(str(message) for _field, message in problems)


def test_numbers_are_read_as_nd30_writes_them():
    assert canonical_number(" 6 /  TTr-HĐTT ") == "06/TTr-HĐTT"
    assert canonical_number("0012/QĐ-HĐTT") == "12/QĐ-HĐTT"
    assert canonical_number("QĐ không số") == "QĐ không số"
    assert split_number("12 / QĐ-HĐTT") == (12, "QĐ-HĐTT")
    assert split_number("không số") == (None, "không số")


def test_each_sequence_number_is_used_once_across_kinds(make):
    round_ = make.round()
    other_round = make.round()
    _issue(make, round_, "01/BB-HĐTT")
    _issue(make, round_, "03/TB-HĐTT", kind=DocumentKind.ELIGIBILITY_NOTICE)
    _issue(make, round_, "02/BC-BGS", issuer="Ban giám sát")  # another issuer's sequence
    _issue(make, other_round, "04/BB-HĐTT")  # another round's Council
    assert used_sequence_numbers(round_.id, COUNCIL, year=2026) == {1, 3}
    assert used_sequence_numbers(round_.id, " hội  đồng THI TUYỂN ", year=2026) == {1, 3}
    assert used_sequence_numbers(round_.id, "Ban giám sát", year=2026) == {2}
    for taken in ("1/QĐ-HĐTT", "03/BB-HĐTT", "3/tb-hđtt"):
        problems = number_problems(round_.id, COUNCIL, taken, on=ON)
        assert problems, taken
        assert problems[0][0] == "number"
    assert "Biên bản họp Hội đồng thi tuyển số 01/BB-HĐTT" in _messages(
        number_problems(round_.id, COUNCIL, "01/QĐ-HĐTT", on=ON)
    )
    assert number_problems(round_.id, COUNCIL, "02/QĐ-HĐTT", on=ON) == []
    # the supervisory board's 02 is its own: the Council's 02 is free, the exact number is not
    assert "đã dùng" in _messages(number_problems(round_.id, COUNCIL, "02/BC-BGS", on=ON))


def test_the_suggested_number_skips_every_used_one(make):
    round_ = make.round()
    assert suggested_number(round_.id, COUNCIL, "BB-HĐTT", on=ON) == "01/BB-HĐTT"
    _issue(make, round_, "01/BB-HĐTT")
    _issue(make, round_, "04/TB-HĐTT", kind=DocumentKind.ELIGIBILITY_NOTICE)
    assert suggested_number(round_.id, COUNCIL, "BB-HĐTT", on=ON) == "05/BB-HĐTT"
    assert suggested_number(round_.id, COUNCIL, "QĐ-HĐTT", on=ON) == "05/QĐ-HĐTT"


def test_a_new_year_starts_the_sequence_again_but_never_repeats_a_number(make):
    round_ = make.round()
    _issue(make, round_, "01/BB-HĐTT", on=dt.date(2026, 12, 28))
    _issue(make, round_, "02/QĐ-HĐTT", on=dt.date(2026, 12, 30), kind=DocumentKind.BODY_DECISION)
    new_year = dt.date(2027, 1, 5)
    assert used_sequence_numbers(round_.id, COUNCIL, year=2027) == set()
    assert suggested_number(round_.id, COUNCIL, "QĐ-HĐTT", on=new_year) == "01/QĐ-HĐTT"
    # 01/BB-HĐTT is the round's already: the suggestion moves on to a number never used
    assert suggested_number(round_.id, COUNCIL, "BB-HĐTT", on=new_year) == "02/BB-HĐTT"
    assert number_problems(round_.id, COUNCIL, "02/TB-HĐTT", on=new_year) == []
    assert "đã dùng" in _messages(number_problems(round_.id, COUNCIL, "02/QĐ-HĐTT", on=new_year))
    assert "năm 2026" in _messages(
        number_problems(round_.id, COUNCIL, "02/TB-HĐTT", on=dt.date(2026, 12, 31))
    )


def test_a_number_that_is_no_number_is_refused(make):
    round_ = make.round()
    assert _messages(number_problems(round_.id, COUNCIL, "  ")) == "Vui lòng điền mục này."
    assert "dạng số/ký hiệu, ví dụ 07/BB-HĐTT" in _messages(
        number_problems(round_.id, COUNCIL, "BB-HĐTT", example="07/BB-HĐTT")
    )
    assert "Tối đa 50 ký tự" in _messages(number_problems(round_.id, COUNCIL, "1/" + "X" * 60))
    assert number_problems(round_.id, COUNCIL, "", field="decision_number")[0][0] == (
        "decision_number"
    )


def test_a_results_decision_reusing_the_proposals_number_is_refused(make):
    """06/QĐ-HĐTT after 06/TTr-HĐTT: the Council's 6th document of the year exists."""
    contest = build(make, {"An": "80", "Bình": "70"})
    decision = suggested_decision_number(contest.round.id, on=DECIDED_ON)
    ranking = contest.approve(contest.rank(), number=decision)
    proposed_on = DECIDED_ON + dt.timedelta(days=1)
    proposal = suggested_proposal_number(contest.round.id, on=proposed_on)
    sequence, symbol = split_number(proposal)
    assert symbol == "TTr-HĐTT"
    assert sequence > split_number(decision)[0]  # the next free one of the Council's
    issue_proposal(ranking, number=proposal, issued_on=proposed_on, actor=contest.board)
    draft = contest.rank(reason="Đính chính lỗi nhập điểm")
    with pytest.raises(ValidationFailed) as refused:
        contest.approve(draft, number=f"{sequence}/QĐ-HĐTT")
    [(field, message)] = refused.value.reasons
    assert field == "decision_number"
    assert str(message) == (
        f"Số thứ tự {sequence:02d} năm 2026 đã dùng cho Tờ trình đề nghị bổ nhiệm số "
        f"{proposal}: mỗi văn bản của Hội đồng thi tuyển mang một số thứ tự riêng trong năm, "
        "dù loại văn bản khác."
    )
    assert draft.status == RankingStatus.DRAFT
    assert draft.decision is None
    following = suggested_decision_number(contest.round.id, on=DECIDED_ON)
    assert split_number(following)[0] > sequence
    contest.approve(draft, number=following)
    assert draft.decision.decision_number == following


def test_a_boards_decision_takes_its_place_in_the_councils_sequence(make):
    round_ = make.round()
    admin = make.user(Role.BOARD_ADMIN)  # seated on the round's Council (set up for it)
    db.session.flush()
    assert council_of(round_.id) is not None
    _issue(make, round_, "01/BB-HĐTT")
    board = dict(
        decision_on=ON,
        signer_name="Nguyễn Văn Ký",
        signer_title="Chủ tịch Hội đồng thi tuyển",
        actor=admin,
    )
    with pytest.raises(ValidationFailed, match="Số thứ tự 01 năm 2026 đã dùng cho Biên bản"):
        set_up_body(round_, BodyKind.MARKING, decision_number="1/QĐ-HĐTT", **board)
    body = set_up_body(round_, BodyKind.MARKING, decision_number="04/QĐ-HĐTT", **board)
    db.session.flush()
    assert body.decision_number == "04/QĐ-HĐTT"
    assert {1, 4} <= used_sequence_numbers(round_.id, COUNCIL, year=2026)
    assert "Quyết định thành lập Ban chấm thi số 04/QĐ-HĐTT" in _messages(
        number_problems(round_.id, COUNCIL, "04/BB-HĐTT", on=ON)
    )
