"""The Council's meetings: who presides, one vote per member present, and the outcome
(majority of the votes cast; a tie goes the way the presiding Chair voted; no decision
without more than half of the members present)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from exam.accounts.models import Role
from exam.audit.models import AuditEntry
from exam.core.errors import ValidationFailed
from exam.council.models import BodyKind, MemberFunction, VoteChoice
from exam.council.operations import add_item, cast_vote, hold_meeting
from exam.council.queries import Verdict, decide
from exam.extensions import db
from tests.council.conftest import seat

HELD_AT = dt.datetime(2026, 2, 10, 2, 0, tzinfo=dt.UTC)  # 09:00 in Hanoi
NOW = HELD_AT + dt.timedelta(hours=2)
FOR, AGAINST, ABSTAIN = VoteChoice.FOR, VoteChoice.AGAINST, VoteChoice.ABSTAIN


@pytest.fixture
def council(make):
    """A Council of five: Chair, Vice-chair, Member-secretary and two members."""
    round_ = make.round()
    people = {}
    for key, function in [
        ("chair", MemberFunction.CHAIR),
        ("vice", MemberFunction.VICE_CHAIR),
        ("secretary", MemberFunction.SECRETARY),
        ("m1", MemberFunction.MEMBER),
        ("m2", MemberFunction.MEMBER),
    ]:
        people[key] = make.user(Role.PANEL_MEMBER, name=f"Thành Viên {key}")
        body = seat(round_, BodyKind.COUNCIL, people[key], function).body
    return body, people


def _meeting(council, present, presiding):
    body, people = council
    return hold_meeting(
        body,
        held_at=HELD_AT,
        place="Phòng họp tầng 3",
        attendee_ids=[people[k].id for k in present],
        presiding_id=people[presiding].id,
        actor=people["secretary"],
        at=NOW,
    )


def _vote(council, meeting, votes: dict):
    _, people = council
    item = add_item(meeting, title="Phá thế hòa điểm vị trí 1", actor=people["secretary"])
    for key, choice in votes.items():
        cast_vote(item, people[key], choice, actor=people["secretary"], at=NOW)
    return item


ALL = ["chair", "vice", "secretary", "m1", "m2"]


def test_the_majority_of_votes_cast_decides(council):
    meeting = _meeting(council, ALL, "chair")
    adopted = _vote(
        council,
        meeting,
        {"chair": FOR, "vice": FOR, "secretary": FOR, "m1": AGAINST, "m2": ABSTAIN},
    )
    outcome = decide(adopted)
    assert (outcome.verdict, outcome.votes_for, outcome.votes_against, outcome.abstentions) == (
        Verdict.ADOPTED,
        3,
        1,
        1,
    )
    assert not outcome.casting_vote
    rejected = _vote(
        council,
        meeting,
        {"chair": AGAINST, "vice": AGAINST, "secretary": FOR, "m1": ABSTAIN, "m2": ABSTAIN},
    )
    assert decide(rejected).verdict == Verdict.REJECTED
    assert [i.number for i in meeting.items] == [1, 2]


def test_the_chair_against_the_majority_is_outvoted(council):
    meeting = _meeting(council, ALL, "chair")
    item = _vote(
        council,
        meeting,
        {"chair": AGAINST, "vice": FOR, "secretary": FOR, "m1": FOR, "m2": AGAINST},
    )
    assert decide(item).verdict == Verdict.ADOPTED


@pytest.mark.parametrize(
    ("chair_votes", "verdict"), [(FOR, Verdict.ADOPTED), (AGAINST, Verdict.REJECTED)]
)
def test_a_tie_goes_the_way_the_chair_voted(council, chair_votes, verdict):
    meeting = _meeting(council, ["chair", "vice", "secretary", "m1"], "chair")
    other = AGAINST if chair_votes == FOR else FOR
    item = _vote(
        council,
        meeting,
        {"chair": chair_votes, "vice": chair_votes, "secretary": other, "m1": other},
    )
    outcome = decide(item)
    assert (outcome.verdict, outcome.casting_vote) == (verdict, True)


def test_a_tie_the_chair_abstained_on_adopts_nothing(council):
    meeting = _meeting(council, ALL, "chair")
    item = _vote(
        council,
        meeting,
        {"chair": ABSTAIN, "vice": FOR, "secretary": FOR, "m1": AGAINST, "m2": AGAINST},
    )
    outcome = decide(item)
    assert (outcome.verdict, outcome.casting_vote) == (Verdict.REJECTED, False)


def test_without_the_chair_the_presiding_vice_chair_breaks_a_tie(council):
    meeting = _meeting(council, ["vice", "secretary", "m1", "m2"], "vice")
    item = _vote(council, meeting, {"vice": AGAINST, "secretary": FOR, "m1": FOR, "m2": AGAINST})
    outcome = decide(item)
    assert (outcome.verdict, outcome.casting_vote) == (Verdict.REJECTED, True)


def test_no_decision_without_a_quorum_or_before_everyone_present_voted(council):
    few = _meeting(council, ["chair", "m1"], "chair")  # 2 of 5: not more than half
    item = _vote(council, few, {"chair": FOR, "m1": FOR})
    assert decide(item).verdict == Verdict.NO_QUORUM
    enough = _meeting(council, ["chair", "vice", "m1"], "chair")  # 3 of 5
    item = _vote(council, enough, {"chair": FOR, "vice": AGAINST})
    outcome = decide(item)
    assert (outcome.verdict, outcome.not_voted) == (Verdict.PENDING, 1)


def test_who_presides(council):
    with pytest.raises(ValidationFailed, match="Chủ tịch Hội đồng có mặt thì chủ trì"):
        _meeting(council, ALL, "vice")
    with pytest.raises(ValidationFailed, match="Vắng Chủ tịch Hội đồng, một Phó Chủ tịch"):
        _meeting(council, ["secretary", "m1", "m2"], "secretary")
    with pytest.raises(ValidationFailed, match="Người chủ trì phải có mặt"):
        _meeting(council, ["vice", "m1", "m2"], "chair")


def test_attendees_are_members_and_the_meeting_has_happened(council, make):
    body, people = council
    stranger = make.user(Role.PANEL_MEMBER)
    with pytest.raises(ValidationFailed, match="Người dự họp phải là thành viên Hội đồng"):
        hold_meeting(
            body,
            held_at=HELD_AT,
            place="Phòng họp",
            attendee_ids=[people["chair"].id, stranger.id],
            presiding_id=people["chair"].id,
            actor=people["secretary"],
            at=NOW,
        )
    with pytest.raises(ValidationFailed, match="giờ họp chưa đến"):
        hold_meeting(
            body,
            held_at=NOW + dt.timedelta(days=1),
            place="Phòng họp",
            attendee_ids=[people["chair"].id],
            presiding_id=people["chair"].id,
            actor=people["secretary"],
            at=NOW,
        )


def test_a_member_votes_once_and_only_when_present(council):
    _, people = council
    meeting = _meeting(council, ["chair", "vice", "secretary"], "chair")
    item = _vote(council, meeting, {"chair": FOR})
    with pytest.raises(ValidationFailed, match="Thành Viên chair đã biểu quyết nội dung này"):
        cast_vote(item, people["chair"], AGAINST, actor=people["secretary"], at=NOW)
    with pytest.raises(ValidationFailed, match="Thành Viên m1 không dự cuộc họp này"):
        cast_vote(item, people["m1"], FOR, actor=people["secretary"], at=NOW)
    assert [v.choice for v in item.votes] == [FOR]
    actions = db.session.scalars(
        sa.select(AuditEntry.action)
        .where(AuditEntry.action.startswith("meeting."))
        .order_by(AuditEntry.seq)
    ).all()
    assert actions == ["meeting.hold", "meeting.add_item", "meeting.vote"]
