"""Setting up a round's bodies by decision, adding and removing their members (with the
incompatibilities of docs/domain.md §2), and recording the Council's meetings and votes."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.core.db import lock_row
from exam.core.documents import COUNCIL
from exam.core.errors import DomainError, ValidationFailed
from exam.council.checks import member_added, membership_refusals
from exam.council.models import (
    Body,
    BodyKind,
    Meeting,
    MeetingAttendee,
    MeetingItem,
    MemberFunction,
    Membership,
    Vote,
    VoteChoice,
    function_title,
    functions_for,
)
from exam.council.queries import bodies_of_round, council_of, memberships_of
from exam.documents.numbering import (
    MAX_NUMBER_LENGTH,
    NUMBER,
    canonical_number,
    number_problems,
)
from exam.extensions import db
from exam.rounds.models import Round, RoundStatus

# Bodies whose work is linked by secrecy: nobody sits on both in one round (TT 22: the
# anonymisation board's codes must stay unknown to the markers).
_SEPARATED = {
    BodyKind.ANONYMISATION: (BodyKind.MARKING, BodyKind.REMARKING),
    BodyKind.MARKING: (BodyKind.ANONYMISATION,),
    BodyKind.REMARKING: (BodyKind.ANONYMISATION,),
}


def _clean(text: str | None) -> str:
    """One line, single spaces, composed Vietnamese (a keyboard may send decomposed marks)."""
    return unicodedata.normalize("NFC", " ".join((text or "").split()))


# --- bodies ------------------------------------------------------------------------------


def set_up_body(
    round_: Round,
    kind: BodyKind,
    *,
    decision_number: str,
    decision_on: dt.date,
    signer_name: str,
    signer_title: str,
    name: str = "",
    actor: User,
) -> Body:
    """A body of the round, set up by the decision ``decision_number`` of ``decision_on``,
    signed by ``signer_name`` (``signer_title``). A board needs the round's Council first:
    the Council sets up its boards."""
    kind = BodyKind(kind)
    number, name = canonical_number(decision_number), _clean(name)
    signer_name, signer_title = _clean(signer_name), _clean(signer_title)
    if round_.status == RoundStatus.CLOSED:
        raise DomainError(_l("Kỳ thi đã kết thúc: không thành lập thêm hội đồng, ban."))

    def problems() -> list[tuple[str | None, str]]:
        return _setup_problems(round_, kind, number, decision_on, name, signer_name, signer_title)

    if errors := problems():
        raise ValidationFailed(errors)
    body = Body(
        round_id=round_.id,
        kind=kind,
        name=name,
        decision_number=number,
        decision_on=decision_on,
        signer_name=signer_name,
        signer_title=signer_title,
        created_by_id=getattr(actor, "id", None),
    )
    _insert(body, problems)
    record("body.set_up", body, actor=actor, after=_body_values(body))
    return body


def _setup_problems(
    round_: Round,
    kind: BodyKind,
    number: str,
    decision_on: dt.date,
    name: str,
    signer_name: str,
    signer_title: str,
) -> list[tuple[str | None, str]]:
    errors: list[tuple[str | None, str]] = []
    if kind.is_board and council_of(round_.id) is None:
        errors.append(
            ("kind", _l("Chưa có Hội đồng thi tuyển: các ban do Hội đồng thi tuyển thành lập."))
        )
    if kind == BodyKind.INTERVIEW and not name:
        errors.append(("name", _l("Đặt tên cho ban phỏng vấn, ví dụ theo vị trí tuyển chọn.")))
    if kind != BodyKind.INTERVIEW and name:
        errors.append(("name", _l("Chỉ ban phỏng vấn, chấm đề án mới có tên riêng.")))
    existing = next(
        (b for b in bodies_of_round(round_.id) if b.kind == kind and b.name == name), None
    )
    if existing is not None:
        errors.append(
            (
                "kind",
                _l(
                    "Kỳ thi đã có %(body)s (Quyết định số %(n)s).",
                    body=existing.title,
                    n=existing.decision_number,
                ),
            )
        )
    if not number:
        errors.append(("decision_number", _l("Vui lòng điền mục này.")))
    elif not NUMBER.fullmatch(number):
        errors.append(
            ("decision_number", _l("Ghi số quyết định theo dạng số/ký hiệu, ví dụ 12/QĐ-HĐTT."))
        )
    elif len(number) > MAX_NUMBER_LENGTH:
        errors.append(("decision_number", _l("Tối đa %(n)s ký tự.", n=MAX_NUMBER_LENGTH)))
    elif (used := _body_with_number(round_, number)) is not None:
        errors.append(
            (
                "decision_number",
                _l("Số quyết định %(n)s đã dùng cho %(body)s.", n=number, body=used.title),
            )
        )
    elif kind.is_board:
        # A board's decision is the Council's document: its number takes its place in the
        # Council's sequence (exam/documents/numbering.py). The agency's own decisions are
        # numbered among its documents outside the application: only their bodies are checked.
        errors += number_problems(
            round_.id, COUNCIL, number, on=decision_on, field="decision_number"
        )
    if not signer_name:
        errors.append(("signer_name", _l("Vui lòng điền mục này.")))
    if not signer_title:
        errors.append(("signer_title", _l("Vui lòng điền mục này.")))
    return errors


def _insert(row: object, problems: Callable[[], list[tuple[str | None, str]]]) -> None:
    """Insert ``row`` at once, in a savepoint. If another request committed the same number
    or seat after ``problems`` was checked, the unique constraint refuses the row: only the
    savepoint is undone, and the checks, run again, say why."""
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except sa.exc.IntegrityError:
        raise ValidationFailed(
            problems() or [(None, _l("Vừa có thay đổi khác cùng lúc: vui lòng thử lại."))]
        ) from None


def _body_with_number(round_: Round, number: str) -> Body | None:
    """The body whose decision already has this number (letter case aside)."""
    wanted = number.casefold()
    return next(
        (b for b in bodies_of_round(round_.id) if b.decision_number.casefold() == wanted), None
    )


def _body_values(body: Body) -> dict:
    return {
        "round_id": body.round_id,
        "kind": body.kind,
        "name": body.name,
        "decision_number": body.decision_number,
        "decision_on": body.decision_on,
        "signer_name": body.signer_name,
        "signer_title": body.signer_title,
    }


# --- members -----------------------------------------------------------------------------


def membership_problems(body: Body, user: User) -> list[str]:
    """Why ``user`` may not sit on ``body`` given their other seats in the round (and what
    other domains registered, e.g. being a candidate of the round), in words."""
    problems: list[str] = []
    who = user.full_name
    for seat in memberships_of(user.id, body.round_id):
        other = seat.body
        if other.id == body.id:
            continue
        if body.kind == BodyKind.SUPERVISORY:
            problems.append(
                str(
                    _l(
                        "%(who)s là thành viên %(other)s: thành viên Ban giám sát không tham gia "
                        "hội đồng, ban nào khác của kỳ thi.",
                        who=who,
                        other=other.title,
                    )
                )
            )
        elif other.kind == BodyKind.SUPERVISORY:
            problems.append(
                str(
                    _l(
                        "%(who)s là thành viên Ban giám sát của kỳ thi: không được tham gia "
                        "%(body)s.",
                        who=who,
                        body=body.title,
                    )
                )
            )
        elif other.kind in _SEPARATED.get(body.kind, ()):
            problems.append(
                str(
                    _l(
                        "%(who)s là thành viên %(other)s: không được đồng thời tham gia "
                        "%(body)s của cùng kỳ thi (Ban phách tách biệt với việc chấm thi).",
                        who=who,
                        other=other.title,
                        body=body.title,
                    )
                )
            )
    problems += [str(reason) for reason in membership_refusals(user.id, body.round_id)]
    return problems


def add_member(
    body: Body,
    user: User,
    function: MemberFunction,
    *,
    post: str = "",
    actor: User,
) -> Membership:
    """``user`` joins ``body`` with ``function``; refused, with the reasons, if the person
    already sits on it, the function is taken (one Chair, one head) or a rule of §2 forbids
    the seat. Nothing is saved when refused."""
    function = MemberFunction(function)

    def problems() -> list[tuple[str | None, str]]:
        db.session.expire(body, ["members"])  # as committed by now, not as first loaded
        return _seat_problems(body, user, function)

    if errors := _seat_problems(body, user, function):
        raise ValidationFailed(errors)
    membership = Membership(body_id=body.id, user_id=user.id, function=function, post=_clean(post))
    _insert(membership, problems)
    db.session.expire(body, ["members"])
    record(
        "body.add_member",
        membership,
        actor=actor,
        after={
            "body_id": body.id,
            "user_id": user.id,
            "function": function,
            "post": membership.post,
        },
    )
    member_added(body.round_id, body.kind.value, actor)
    return membership


def _seat_problems(
    body: Body, user: User, function: MemberFunction
) -> list[tuple[str | None, str]]:
    errors: list[tuple[str | None, str]] = []
    if function not in functions_for(body.kind):
        errors.append(
            (
                "function",
                _l(
                    "%(body)s không có chức danh «%(f)s».",
                    body=body.title,
                    f=function_title(body.kind, function),
                ),
            )
        )
    if not user.is_active:
        errors.append(("user_id", _l("Tài khoản của %(who)s đã bị khóa.", who=user.full_name)))
    seat = next((m for m in body.members if m.user_id == user.id), None)
    if seat is not None:
        errors.append(
            (
                "user_id",
                _l(
                    "%(who)s đã là %(f)s của %(body)s.",
                    who=user.full_name,
                    f=seat.function_title,
                    body=body.title,
                ),
            )
        )
    leader = body.leader
    if function in (MemberFunction.CHAIR, MemberFunction.HEAD) and leader is not None:
        errors.append(
            (
                "function",
                _l(
                    "%(body)s đã có %(f)s: %(who)s.",
                    body=body.title,
                    f=leader.function_title,
                    who=leader.user.full_name,
                ),
            )
        )
    if seat is None:
        errors += [("user_id", problem) for problem in membership_problems(body, user)]
    return errors


def remove_member(membership: Membership, *, actor: User) -> None:
    body = membership.body
    record(
        "body.remove_member",
        membership,
        actor=actor,
        before={
            "body_id": body.id,
            "user_id": membership.user_id,
            "function": membership.function,
            "post": membership.post,
        },
    )
    body.members.remove(membership)
    db.session.flush()


# --- the Council's meetings --------------------------------------------------------------


def hold_meeting(
    council: Body,
    *,
    held_at: dt.datetime,
    place: str,
    attendee_ids: list[int],
    presiding_id: int,
    actor: User,
    at: dt.datetime,
) -> Meeting:
    """Record a meeting of the Council held at ``held_at``: the members present and who
    presides (the Chair when present; otherwise a Vice-chair present)."""
    if council.kind != BodyKind.COUNCIL:
        raise DomainError(_l("Chỉ Hội đồng thi tuyển họp và biểu quyết."))
    errors: list[tuple[str | None, str]] = []
    seats = {m.user_id: m for m in council.members}
    present = list(dict.fromkeys(attendee_ids))
    place = _clean(place)
    if held_at > at:
        errors.append(("held_at", _l("Biên bản ghi cuộc họp đã diễn ra: giờ họp chưa đến.")))
    if not place:
        errors.append(("place", _l("Vui lòng điền mục này.")))
    if not present:
        errors.append(("attendee_ids", _l("Chọn các thành viên dự họp.")))
    if any(user_id not in seats for user_id in present):
        errors.append(("attendee_ids", _l("Người dự họp phải là thành viên Hội đồng thi tuyển.")))
    chair = council.leader
    if presiding_id not in present or presiding_id not in seats:
        errors.append(("presiding_id", _l("Người chủ trì phải có mặt tại cuộc họp.")))
    elif chair is not None and chair.user_id in present and presiding_id != chair.user_id:
        errors.append(("presiding_id", _l("Chủ tịch Hội đồng có mặt thì chủ trì cuộc họp.")))
    elif (chair is None or chair.user_id not in present) and seats[
        presiding_id
    ].function != MemberFunction.VICE_CHAIR:
        errors.append(
            (
                "presiding_id",
                _l("Vắng Chủ tịch Hội đồng, một Phó Chủ tịch có mặt chủ trì cuộc họp."),
            )
        )
    if errors:
        raise ValidationFailed(errors)
    meeting = Meeting(
        body=council,
        held_at=held_at,
        place=place,
        presiding_id=presiding_id,
        council_size=len(seats),
        recorded_by_id=getattr(actor, "id", None),
    )
    meeting.attendees = [
        MeetingAttendee(user_id=user_id, function=seats[user_id].function) for user_id in present
    ]
    db.session.add(meeting)
    record(
        "meeting.hold",
        meeting,
        actor=actor,
        after={
            "body_id": council.id,
            "held_at": held_at,
            "place": place,
            "presiding_id": presiding_id,
            "attendees": present,
            "council_size": len(seats),
        },
    )
    return meeting


def _refuse_closed(meeting: Meeting) -> None:
    """A closed meeting's minutes are issued (exam/council/issuing.py): nothing is added, also
    while the meeting is being closed (its row locked: the close and this take turns)."""
    lock_row(meeting)
    if meeting.minutes_document_id is not None:
        raise DomainError(_l("Cuộc họp đã kết thúc, biên bản đã được ban hành."))


def add_item(meeting: Meeting, *, title: str, motion: str = "", actor: User) -> MeetingItem:
    """A matter put to the Council's vote; ``motion`` is what a "for" vote adopts."""
    _refuse_closed(meeting)
    title = _clean(title)
    if not title:
        raise ValidationFailed([("title", _l("Vui lòng điền mục này."))])
    number = max((i.number for i in meeting.items), default=0) + 1
    item = MeetingItem(meeting=meeting, number=number, title=title, motion=(motion or "").strip())
    db.session.add(item)
    record(
        "meeting.add_item",
        item,
        actor=actor,
        after={"meeting_id": meeting.id, "number": number, "title": title, "motion": item.motion},
    )
    return item


def cast_vote(
    item: MeetingItem, voter: User, choice: VoteChoice, *, actor: User, at: dt.datetime
) -> Vote:
    """``voter``'s vote on ``item``, recorded by ``actor`` (the secretary, or the voter);
    a member present votes once and the vote stands."""
    meeting = item.meeting
    _refuse_closed(meeting)
    if voter.id not in {a.user_id for a in meeting.attendees}:
        raise ValidationFailed(
            [("voter_id", _l("%(who)s không dự cuộc họp này.", who=voter.full_name))]
        )
    if any(v.user_id == voter.id for v in item.votes):
        raise ValidationFailed(
            [
                (
                    "voter_id",
                    _l(
                        "%(who)s đã biểu quyết nội dung này; biểu quyết không sửa được.",
                        who=voter.full_name,
                    ),
                )
            ]
        )
    vote = Vote(item=item, user_id=voter.id, choice=choice, cast_at=at)
    db.session.add(vote)
    record(
        "meeting.vote",
        vote,
        actor=actor,
        after={"item_id": item.id, "user_id": voter.id, "choice": choice},
    )
    return vote
