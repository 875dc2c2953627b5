"""Who sits on which body of which round, and what the Council decided.

The membership questions here are what every permission of a round builds on
(``exam/council/permissions.py``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.accounts.models import Role, RoleGrant, User
from exam.core.db import TitledEnum
from exam.core.documents import COUNCIL
from exam.core.i18n import vietnamese_sort_key
from exam.council.models import (
    Body,
    BodyKind,
    Meeting,
    MeetingItem,
    MemberFunction,
    Membership,
    VoteChoice,
)
from exam.documents.numbering import HeldNumber, number_source
from exam.extensions import db
from exam.rounds.models import Round


def _memberships(user_id: int, round_id: int | None = None, kinds: tuple = ()) -> sa.Select:
    query = sa.select(Membership).join(Body).where(Membership.user_id == user_id)
    if round_id is not None:
        query = query.where(Body.round_id == round_id)
    if kinds:
        query = query.where(Body.kind.in_(kinds))
    return query


def memberships_of(user_id: int, round_id: int) -> list[Membership]:
    """Every seat this person holds on the bodies of this round."""
    return list(db.session.scalars(_memberships(user_id, round_id).order_by(Membership.id)))


def functions_in(user_id: int, round_id: int) -> set[tuple[BodyKind, MemberFunction]]:
    """(kind of body, function) for each seat held in the round, e.g.
    ``(BodyKind.MARKING, MemberFunction.HEAD)``."""
    rows = db.session.execute(
        sa.select(Body.kind, Membership.function)
        .join(Membership.body)
        .where(Membership.user_id == user_id, Body.round_id == round_id)
    )
    return {(kind, function) for kind, function in rows}


def is_member(user_id: int, round_id: int, *kinds: BodyKind) -> bool:
    """Sits on a body of the round (of one of ``kinds``, or of any kind when none given)."""
    query = _memberships(user_id, round_id, kinds).with_only_columns(Membership.id).limit(1)
    return db.session.scalar(query) is not None


def rounds_where_member(user_id: int, *kinds: BodyKind) -> set[int]:
    """The ids of the rounds where this person sits on a body (of ``kinds``, or any)."""
    query = _memberships(user_id, None, kinds).with_only_columns(Body.round_id).distinct()
    return set(db.session.scalars(query))


def members_of_round(round_id: int) -> set[int]:
    """The user ids of everyone sitting on a body of the round."""
    return set(
        db.session.scalars(
            sa.select(Membership.user_id).join(Membership.body).where(Body.round_id == round_id)
        )
    )


def people_on(round_id: int, kind: BodyKind) -> list[User]:
    """Who sits on the round's bodies of ``kind`` (every panel, for the interview board),
    in Vietnamese name order."""
    people = db.session.scalars(
        sa.select(User)
        .join(Membership, Membership.user_id == User.id)
        .join(Membership.body)
        .where(Body.round_id == round_id, Body.kind == kind)
        .distinct()
    ).all()
    return sorted(people, key=lambda u: vietnamese_sort_key(u.full_name))


def staff_people() -> list[User]:
    """Who may be offered as a member: active accounts holding a role other than candidate,
    in Vietnamese name order."""
    people = db.session.scalars(
        sa.select(User)
        .where(
            User.active.is_(True),
            User.id.in_(sa.select(RoleGrant.user_id).where(RoleGrant.role != Role.CANDIDATE)),
        )
        .order_by(User.id)
    ).all()
    return sorted(people, key=lambda u: vietnamese_sort_key(u.full_name))


def bodies_of_round(round_id: int) -> list[Body]:
    """The round's bodies: the Council, the supervisory board, then the boards in the order
    of the procedure, interview panels by name."""
    bodies = db.session.scalars(sa.select(Body).where(Body.round_id == round_id)).all()
    order = {kind: i for i, kind in enumerate(BodyKind)}
    return sorted(bodies, key=lambda b: (order[b.kind], b.name, b.id))


@number_source
def body_decision_numbers(round_id: int) -> list[HeldNumber]:
    """The numbers of the round's bodies' setup decisions, for the register of numbers
    (exam/documents/numbering.py): a board's decision is the Council's document, the
    Council's and the supervisory board's the organising agency's."""
    rows = db.session.execute(
        sa.select(Body, Round.organisation)
        .join(Round, Round.id == Body.round_id)
        .where(Body.round_id == round_id)
        .order_by(Body.id)
    )
    return [
        HeldNumber(
            body.decision_number,
            COUNCIL if body.kind.is_board else organisation,
            body.decision_on,
            str(_l("Quyết định thành lập %(b)s", b=body.title)),
        )
        for body, organisation in rows
    ]


def body_of_round(round_id: int, kind: BodyKind) -> Body | None:
    """The round's one body of ``kind`` (the first interview panel, for that kind)."""
    return db.session.scalars(
        sa.select(Body).where(Body.round_id == round_id, Body.kind == kind).order_by(Body.id)
    ).first()


def council_of(round_id: int) -> Body | None:
    return body_of_round(round_id, BodyKind.COUNCIL)


def body_with_decision(round_id: int, decision_number: str) -> Body | None:
    return db.session.scalars(
        sa.select(Body).where(Body.round_id == round_id, Body.decision_number == decision_number)
    ).first()


def meetings_of(council: Body) -> list[Meeting]:
    return list(
        db.session.scalars(
            sa.select(Meeting).where(Meeting.body_id == council.id).order_by(Meeting.held_at)
        )
    )


# --- the Council's decisions -------------------------------------------------------------


class Verdict(TitledEnum):
    ADOPTED = "adopted"
    REJECTED = "rejected"
    NO_QUORUM = "no_quorum"
    PENDING = "pending"

    @staticmethod
    def __titles__() -> dict:
        return {
            "adopted": _l("Thông qua"),
            "rejected": _l("Không thông qua"),
            "no_quorum": _l("Không đủ số thành viên dự họp để quyết định"),
            "pending": _l("Chưa biểu quyết xong"),
        }


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    votes_for: int
    votes_against: int
    abstentions: int
    not_voted: int
    # A tie settled by the side the presiding member (the Chair) voted for.
    casting_vote: bool = False

    @property
    def adopted(self) -> bool:
        return self.verdict == Verdict.ADOPTED


def has_quorum(meeting: Meeting) -> bool:
    """More than half of the Council's members attend (``Meeting.council_size``)."""
    return 2 * len(meeting.attendees) > meeting.council_size


def decide(item: MeetingItem) -> Outcome:
    """The Council's decision on ``item`` (docs/domain.md §2): decided by the majority of the
    votes cast by the members present (abstentions not counted); on a tie, the side the
    presiding member voted for wins (the Chair; in the Chair's absence the Vice-chair who
    presides); a tie the presiding member did not vote on adopts nothing. No decision without
    a quorum (more than half of the members present) or before every attendee has voted."""
    meeting = item.meeting
    present = {a.user_id for a in meeting.attendees}
    choices = {v.user_id: v.choice for v in item.votes if v.user_id in present}
    counts = Counter(choices.values())
    tally = dict(
        votes_for=counts[VoteChoice.FOR],
        votes_against=counts[VoteChoice.AGAINST],
        abstentions=counts[VoteChoice.ABSTAIN],
        not_voted=len(present - choices.keys()),
    )
    if not has_quorum(meeting):
        return Outcome(Verdict.NO_QUORUM, **tally)
    if tally["not_voted"]:
        return Outcome(Verdict.PENDING, **tally)
    if tally["votes_for"] != tally["votes_against"]:
        adopted = tally["votes_for"] > tally["votes_against"]
        return Outcome(Verdict.ADOPTED if adopted else Verdict.REJECTED, **tally)
    presiding = choices.get(meeting.presiding_id)
    if presiding == VoteChoice.FOR:
        return Outcome(Verdict.ADOPTED, **tally, casting_vote=True)
    if presiding == VoteChoice.AGAINST:
        return Outcome(Verdict.REJECTED, **tally, casting_vote=True)
    return Outcome(Verdict.REJECTED, **tally)
