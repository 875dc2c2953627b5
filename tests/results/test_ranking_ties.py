"""A tie at the winning line waits for the Council's recorded vote (exam/results/ties.py):
the software never picks, the board records the vote the Council adopted at its meeting."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from exam.accounts.models import Role
from exam.audit.models import AuditEntry
from exam.audit.reconcile import compare_with_trail
from exam.core.errors import ValidationFailed
from exam.council.models import BodyKind, MemberFunction, VoteChoice
from exam.council.operations import add_item, cast_vote, hold_meeting
from exam.council.queries import council_of
from exam.extensions import db
from exam.results.formula import FormulaSpec, leadership_preset
from exam.results.models import Outcome, TieSettlement
from exam.results.ties import settle_tie
from tests.conftest import login
from tests.council.conftest import seat
from tests.results.test_ranking import NOW, Person, _by_name, build_contest, rank

HELD_AT = NOW - dt.timedelta(hours=3)  # 2026-05-03 23:00 UTC: 04/05/2026 in Hanoi
TIED = [Person("Lê Văn Bằng", 4, ("85", "85", "85")), Person("Hồ Thị Bằng", 4, ("84", "86"))]


def council_vote(make, round_, choice: VoteChoice = VoteChoice.FOR, title: str = "Chọn người"):
    """A Council meeting where every member attends and votes ``choice`` on one item."""
    chair = make.user(Role.PANEL_MEMBER, name="Chủ Tịch Hội Đồng")
    seat(round_, BodyKind.COUNCIL, chair, MemberFunction.CHAIR)
    council = council_of(round_.id)
    meeting = hold_meeting(
        council,
        held_at=HELD_AT,
        place="Phòng họp tầng 2",
        attendee_ids=[m.user_id for m in council.members],
        presiding_id=chair.id,
        actor=chair,
        at=NOW,
    )
    item = add_item(meeting, title=title, motion="Chọn ông Lê Văn Bằng trúng tuyển.", actor=chair)
    for membership in council.members:
        cast_vote(item, membership.user, choice, actor=chair, at=NOW)
    db.session.flush()
    return item


def test_the_councils_adopted_vote_settles_the_tie_and_is_audited(make):
    position, _ = build_contest(make, TIED)
    rows = _by_name(rank(make, position))
    assert {r.outcome for r in rows.values()} == {Outcome.PENDING_COUNCIL}
    item = council_vote(make, position.round)
    board = make.user(Role.BOARD_ADMIN)
    ranking = rows["Lê Văn Bằng"].ranking
    settle_tie(ranking, [rows["Lê Văn Bằng"]], item=item, actor=board, at=NOW)
    db.session.flush()
    assert rows["Lê Văn Bằng"].outcome == Outcome.SELECTED
    assert rows["Hồ Thị Bằng"].outcome == Outcome.NOT_SELECTED
    assert ranking.undecided_posts == 0
    assert ranking.pending_rows == []
    assert [r.rank for r in ranking.rows] == [1, 1]  # still equal in law: the vote decided
    said = "Bằng điểm: Hội đồng quyết định (cuộc họp ngày 04/05/2026, mục số 1)."
    assert all(said in r.note for r in ranking.rows)
    assert (
        "Hội đồng thi tuyển đã biểu quyết (cuộc họp ngày 04/05/2026, mục số 1): trúng tuyển."
        in (rows["Lê Văn Bằng"].explanation)
    )
    [settlement] = db.session.scalars(sa.select(TieSettlement)).all()
    assert (settlement.ranking_id, settlement.item_id) == (ranking.id, item.id)
    [entry] = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "ranking.settle_tie")
    ).all()
    assert entry.after["winners"] == [rows["Lê Văn Bằng"].application_id]
    # flask audit verify vouches for the new outcomes (the trail's last word on the rows).
    assert [p for p in compare_with_trail() if "xếp hạng" in p] == []


def test_a_vote_the_council_did_not_adopt_settles_nothing(make):
    position, _ = build_contest(make, TIED)
    rows = _by_name(rank(make, position))
    item = council_vote(make, position.round, VoteChoice.AGAINST)
    db.session.commit()
    with pytest.raises(ValidationFailed) as refused:
        settle_tie(
            rows["Lê Văn Bằng"].ranking,
            [rows["Lê Văn Bằng"]],
            item=item,
            actor=make.user(Role.BOARD_ADMIN),
            at=NOW,
        )
    assert "chưa được Hội đồng thông qua (Không thông qua)" in refused.value.message
    db.session.rollback()
    assert {r.outcome for r in rows.values()} == {Outcome.PENDING_COUNCIL}
    assert db.session.scalars(sa.select(TieSettlement)).all() == []


@pytest.mark.parametrize("chosen", [[], ["Lê Văn Bằng", "Hồ Thị Bằng"]])
def test_the_council_chooses_exactly_as_many_as_the_posts_left(make, chosen):
    position, _ = build_contest(make, TIED)
    rows = _by_name(rank(make, position))
    item = council_vote(make, position.round)
    with pytest.raises(ValidationFailed, match="Chọn đúng 1 người trúng tuyển cho 1 chỉ tiêu"):
        settle_tie(
            rows["Lê Văn Bằng"].ranking,
            [rows[name] for name in chosen],
            item=item,
            actor=make.user(Role.BOARD_ADMIN),
            at=NOW,
        )


def test_only_a_tied_candidate_can_be_chosen_and_only_where_a_tie_waits(make):
    position, _ = build_contest(make, [*TIED, Person("Vũ Văn Thấp", 4, ("60", "60"))], posts=1)
    rows = _by_name(rank(make, position))
    item = council_vote(make, position.round)
    board = make.user(Role.BOARD_ADMIN)
    with pytest.raises(ValidationFailed, match="Chỉ chọn trong số thí sinh bằng điểm"):
        settle_tie(
            rows["Vũ Văn Thấp"].ranking, [rows["Vũ Văn Thấp"]], item=item, actor=board, at=NOW
        )
    settle_tie(rows["Hồ Thị Bằng"].ranking, [rows["Hồ Thị Bằng"]], item=item, actor=board, at=NOW)
    with pytest.raises(ValidationFailed, match="không có thí sinh bằng điểm chờ Hội đồng"):
        settle_tie(
            rows["Hồ Thị Bằng"].ranking, [rows["Hồ Thị Bằng"]], item=item, actor=board, at=NOW
        )


def test_the_ties_other_candidate_takes_the_reserve_before_those_ranked_below(make):
    spec = leadership_preset()
    spec = FormulaSpec(spec.preset, spec.parts, winner_min_score=50, reserve_count=1)
    position, _ = build_contest(make, [*TIED, Person("Vũ Văn Sau", 4, ("70", "70"))], formula=spec)
    rows = _by_name(rank(make, position))
    assert rows["Vũ Văn Sau"].outcome == Outcome.RESERVED  # while the tie waits
    item = council_vote(make, position.round)
    settle_tie(
        rows["Lê Văn Bằng"].ranking,
        [rows["Hồ Thị Bằng"]],
        item=item,
        actor=make.user(Role.BOARD_ADMIN),
        at=NOW,
    )
    assert rows["Hồ Thị Bằng"].outcome == Outcome.SELECTED
    assert rows["Lê Văn Bằng"].outcome == Outcome.RESERVED
    assert rows["Vũ Văn Sau"].outcome == Outcome.NOT_SELECTED


def test_the_results_page_records_the_vote(app, make):
    position, _ = build_contest(make, TIED)
    rows = _by_name(rank(make, position))
    item = council_vote(make, position.round, title="Phá thế bằng điểm vị trí 1")
    board = make.user(Role.BOARD_ADMIN)
    winner = rows["Hồ Thị Bằng"]
    db.session.commit()
    client = login(app.test_client(), board)
    page = client.get(f"/positions/{position.id}/results").get_data(as_text=True)
    assert 'id="tie-form"' in page
    assert "04/05/2026 — 1. Phá thế bằng điểm vị trí 1" in page
    done = client.post(
        f"/positions/{position.id}/results/ties",
        data={"tie-winner_ids": str(winner.id), "tie-item_id": str(item.id)},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Đã ghi quyết định của Hội đồng về thí sinh bằng điểm." in done
    assert 'id="tie-form"' not in done
    db.session.expire_all()
    assert db.session.get(type(winner), winner.id).outcome == Outcome.SELECTED


def test_the_page_refuses_a_wrong_choice_in_words_and_changes_nothing(app, make):
    position, _ = build_contest(make, TIED)
    rank(make, position)
    item = council_vote(make, position.round)
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    client = login(app.test_client(), board)
    refused = client.post(
        f"/positions/{position.id}/results/ties",
        data={"tie-item_id": str(item.id)},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Chọn đúng 1 người trúng tuyển cho 1 chỉ tiêu còn lại." in refused
    db.session.expire_all()
    assert db.session.scalars(sa.select(TieSettlement)).all() == []
