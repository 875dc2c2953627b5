"""A round's bodies set up by decision, their members, and the incompatibilities of
docs/domain.md §2, each refused in words with nothing saved."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from exam.accounts.models import Role
from exam.audit.models import AuditEntry
from exam.candidates.models import Application, Gender
from exam.candidates.operations import apply_to_position, withdraw_application
from exam.candidates.paper_dossiers import import_application
from exam.candidates.values import Person
from exam.core.errors import DomainError, ValidationFailed
from exam.council.models import BodyKind, MemberFunction, Membership
from exam.council.operations import add_member, remove_member, set_up_body
from exam.council.queries import (
    bodies_of_round,
    functions_in,
    is_member,
    memberships_of,
    rounds_where_member,
)
from exam.extensions import db
from exam.rounds.models import RoundStatus
from tests.candidates.test_import import _filled, _preview, _template
from tests.candidates.test_import_jobs import _rows
from tests.council.conftest import DECIDED_ON, seat, set_up
from tests.factories import T0


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _body_entries() -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(AuditEntry.action.startswith("body."))
    )


def _audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


def _reasons(error: ValidationFailed) -> str:
    return " | ".join(message for _, message in error.reasons)


def test_the_council_is_set_up_by_decision_and_audited(make):
    round_ = make.round()
    admin = make.user(Role.BOARD_ADMIN)
    council = set_up_body(
        round_,
        BodyKind.COUNCIL,
        decision_number="  125/QĐ-SNV ",
        decision_on=DECIDED_ON,
        signer_name="Trần Văn Giám",
        signer_title="Giám đốc Sở Nội vụ",
        actor=admin,
    )
    assert council.decision_number == "125/QĐ-SNV"
    assert council.title == "Hội đồng thi tuyển"
    [entry] = _audit("body.set_up")
    assert entry.actor_id == admin.id
    assert entry.after["decision_number"] == "125/QĐ-SNV"
    assert entry.after["kind"] == "council"


def test_a_decision_number_is_used_once_in_the_round(make):
    round_ = make.round()
    set_up(round_, BodyKind.COUNCIL, number="12/QĐ-HĐTT")
    before = _body_entries()
    with pytest.raises(ValidationFailed) as refused:
        set_up(round_, BodyKind.MARKING, number="12/qđ-hđtt")
    assert "Số quyết định 12/qđ-hđtt đã dùng cho Hội đồng thi tuyển." in _reasons(refused.value)
    assert [b.kind for b in bodies_of_round(round_.id)] == [BodyKind.COUNCIL]
    assert _body_entries() == before
    # Another round has its own sequence.
    other = make.round()
    set_up(other, BodyKind.COUNCIL, number="12/QĐ-HĐTT")


def test_one_council_and_one_supervisory_board_per_round(make):
    round_ = make.round()
    council = set_up(round_, BodyKind.COUNCIL)
    set_up(round_, BodyKind.SUPERVISORY)
    with pytest.raises(ValidationFailed) as refused:
        set_up(round_, BodyKind.COUNCIL)
    assert f"Kỳ thi đã có Hội đồng thi tuyển (Quyết định số {council.decision_number})." in (
        _reasons(refused.value)
    )
    with pytest.raises(ValidationFailed, match="Kỳ thi đã có Ban giám sát"):
        set_up(round_, BodyKind.SUPERVISORY)


def test_boards_come_after_the_council_and_only_panels_have_names(make):
    round_ = make.round()
    with pytest.raises(ValidationFailed, match="Chưa có Hội đồng thi tuyển"):
        set_up_body(
            round_,
            BodyKind.MARKING,
            decision_number="3/QĐ-HĐTT",
            decision_on=DECIDED_ON,
            signer_name="A",
            signer_title="Chủ tịch Hội đồng thi tuyển",
            actor=make.user(Role.BOARD_ADMIN),
        )
    set_up(round_, BodyKind.COUNCIL)
    with pytest.raises(ValidationFailed, match="Đặt tên cho ban phỏng vấn"):
        set_up(round_, BodyKind.INTERVIEW)
    with pytest.raises(ValidationFailed, match="Chỉ ban phỏng vấn"):
        set_up(round_, BodyKind.MARKING, name="Ban chấm A")
    first = set_up(round_, BodyKind.INTERVIEW, name="Vị trí Trưởng khoa Nội")
    second = set_up(round_, BodyKind.INTERVIEW, name="Vị trí Trưởng phòng Tổ chức")
    assert first.title == "Ban phỏng vấn, chấm đề án (Vị trí Trưởng khoa Nội)"
    with pytest.raises(ValidationFailed, match="Kỳ thi đã có Ban phỏng vấn"):
        set_up(round_, BodyKind.INTERVIEW, name="Vị trí Trưởng khoa Nội")
    assert {first, second} <= set(bodies_of_round(round_.id))


def test_members_with_their_functions_and_the_queries_of_their_powers(make):
    round_, other_round = make.round(), make.round()
    chair, secretary = make.user(Role.BOARD_ADMIN), make.user(Role.PANEL_MEMBER)
    seat(round_, BodyKind.COUNCIL, chair, MemberFunction.CHAIR)
    seat(round_, BodyKind.COUNCIL, secretary, MemberFunction.SECRETARY)
    seat(round_, BodyKind.MARKING, secretary, MemberFunction.HEAD)
    assert functions_in(secretary.id, round_.id) == {
        (BodyKind.COUNCIL, MemberFunction.SECRETARY),
        (BodyKind.MARKING, MemberFunction.HEAD),
    }
    assert [m.function_title for m in memberships_of(secretary.id, round_.id)] == [
        "Ủy viên kiêm Thư ký",
        "Trưởng ban",
    ]
    assert is_member(secretary.id, round_.id, BodyKind.MARKING)
    assert not is_member(secretary.id, round_.id, BodyKind.ANONYMISATION)
    assert not is_member(secretary.id, other_round.id)
    assert rounds_where_member(chair.id) == {round_.id}
    assert rounds_where_member(chair.id, BodyKind.MARKING) == set()
    assert len(_audit("body.add_member")) == 3


def test_the_same_person_twice_is_refused_and_nothing_is_saved(make):
    round_ = make.round()
    person = make.user(Role.PANEL_MEMBER, name="Lê Thị Hoa")
    membership = seat(round_, BodyKind.COUNCIL, person, MemberFunction.VICE_CHAIR)
    rows, entries = _count(Membership), _body_entries()
    with pytest.raises(ValidationFailed) as refused:
        add_member(membership.body, person, MemberFunction.MEMBER, actor=person)
    assert _reasons(refused.value) == "Lê Thị Hoa đã là Phó Chủ tịch của Hội đồng thi tuyển."
    assert (_count(Membership), _body_entries()) == (rows, entries)


def test_one_chair_per_council_and_one_head_per_board(make):
    round_ = make.round()
    seat(round_, BodyKind.COUNCIL, make.user(Role.BOARD_ADMIN, name="Phạm Văn Chủ"), "chair")
    body = bodies_of_round(round_.id)[0]
    with pytest.raises(ValidationFailed) as refused:
        add_member(body, make.user(Role.PANEL_MEMBER), MemberFunction.CHAIR, actor=None)
    assert "Hội đồng thi tuyển đã có Chủ tịch: Phạm Văn Chủ." in _reasons(refused.value)
    seat(round_, BodyKind.MARKING, make.user(Role.PANEL_MEMBER), MemberFunction.HEAD)
    with pytest.raises(ValidationFailed, match="Ban chấm thi đã có Trưởng ban"):
        seat(round_, BodyKind.MARKING, make.user(Role.PANEL_MEMBER), MemberFunction.HEAD)


def test_the_database_itself_keeps_one_leader_per_body(make):
    round_ = make.round()
    first = seat(round_, BodyKind.COUNCIL, make.user(Role.BOARD_ADMIN), MemberFunction.CHAIR)
    db.session.add(
        Membership(body=first.body, user=make.user(Role.PANEL_MEMBER), function="chair", post="")
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()


def test_a_function_belongs_to_its_kind_of_body(make):
    round_ = make.round()
    body = set_up(round_, BodyKind.COUNCIL)
    with pytest.raises(
        ValidationFailed, match="Hội đồng thi tuyển không có chức danh «Trưởng ban»"
    ):
        add_member(body, make.user(Role.PANEL_MEMBER), MemberFunction.HEAD, actor=None)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (BodyKind.ANONYMISATION, BodyKind.MARKING),
        (BodyKind.MARKING, BodyKind.ANONYMISATION),
        (BodyKind.ANONYMISATION, BodyKind.REMARKING),
        (BodyKind.REMARKING, BodyKind.ANONYMISATION),
    ],
)
def test_nobody_on_the_anonymisation_board_and_a_marking_board(make, first, second):
    round_ = make.round()
    person = make.user(Role.PANEL_MEMBER, name="Võ Minh Tâm")
    seat(round_, first, person)
    rows = _count(Membership)
    with pytest.raises(ValidationFailed) as refused:
        seat(round_, second, person)
    message = _reasons(refused.value)
    assert message.startswith(f"Võ Minh Tâm là thành viên {first.title}: không được đồng thời")
    assert "Ban phách tách biệt với việc chấm thi" in message
    assert _count(Membership) == rows
    seat(make.round(), second, person)  # the same pair in another round: no conflict
    seat(round_, BodyKind.QUESTIONS, person)  # nor another board of the same round


def test_marking_and_re_marking_together_are_allowed(make):
    round_ = make.round()
    person = make.user(Role.PANEL_MEMBER)
    seat(round_, BodyKind.MARKING, person)
    seat(round_, BodyKind.REMARKING, person)
    assert is_member(person.id, round_.id, BodyKind.REMARKING)


@pytest.mark.parametrize("kind", [k for k in BodyKind if k != BodyKind.SUPERVISORY])
def test_a_supervisor_sits_on_no_other_body_of_the_round(make, kind):
    round_ = make.round()
    person = make.user(Role.SUPERVISOR, name="Đỗ Thu Hà")
    seat(round_, BodyKind.SUPERVISORY, person, MemberFunction.HEAD)
    with pytest.raises(ValidationFailed) as refused:
        seat(round_, kind, person)
    assert _reasons(refused.value).startswith(
        f"Đỗ Thu Hà là thành viên Ban giám sát của kỳ thi: không được tham gia {kind.title}"
    )
    seat(make.round(), kind, person)  # another round: no conflict


def test_a_member_of_another_body_does_not_join_the_supervisory_board(make):
    round_ = make.round()
    person = make.user(Role.PANEL_MEMBER, name="Bùi Văn An")
    seat(round_, BodyKind.QUESTIONS, person)
    with pytest.raises(ValidationFailed) as refused:
        seat(round_, BodyKind.SUPERVISORY, person)
    assert _reasons(refused.value) == (
        "Bùi Văn An là thành viên Ban đề thi: thành viên Ban giám sát không tham gia hội đồng, "
        "ban nào khác của kỳ thi."
    )


def test_a_candidate_of_the_round_sits_on_none_of_its_bodies(make):
    round_ = make.round()
    person = make.user(Role.CANDIDATE, Role.PANEL_MEMBER, name="Hoàng Thị Lan")
    application = make.application(round_.positions[0], person, eligible=None)
    for kind in (BodyKind.COUNCIL, BodyKind.MARKING, BodyKind.SUPERVISORY):
        with pytest.raises(ValidationFailed) as refused:
            seat(round_, kind, person)
        assert _reasons(refused.value) == (
            "Hoàng Thị Lan là thí sinh của kỳ thi này: không được tham gia hội đồng, ban nào "
            "của kỳ thi."
        )
    seat(make.round(), BodyKind.MARKING, person)  # a candidate here, a marker elsewhere
    withdraw_application(application, actor=person, at=T0)
    seat(round_, BodyKind.MARKING, person)  # withdrawn: no longer a candidate


def test_a_member_of_a_body_cannot_apply_to_the_same_round(make):
    round_ = make.round()
    person = make.user(Role.CANDIDATE, Role.PANEL_MEMBER)
    seat(round_, BodyKind.INVIGILATION, person)
    with pytest.raises(DomainError) as refused:
        apply_to_position(
            person,
            round_.positions[0],
            date_of_birth=dt.date(1985, 5, 17),
            gender=Gender.FEMALE,
            current_unit="Phòng Tổ chức",
            current_post="Phó Trưởng phòng",
            at=T0,
        )
    assert refused.value.message == (
        "Bạn là thành viên Ban coi thi của kỳ thi này: thành viên hội đồng, ban của kỳ thi "
        "không được dự thi."
    )
    make.application(make.round().positions[0], person)  # another round: fine


def test_removing_a_member_is_audited(make):
    round_ = make.round()
    person = make.user(Role.PANEL_MEMBER)
    membership = seat(round_, BodyKind.QUESTIONS, person, MemberFunction.SECRETARY)
    admin = make.user(Role.BOARD_ADMIN)
    remove_member(membership, actor=admin)
    assert not is_member(person.id, round_.id)
    [entry] = _audit("body.remove_member")
    assert entry.actor_id == admin.id
    assert entry.before["user_id"] == person.id
    assert entry.before["function"] == "secretary"


def test_a_paper_dossier_of_a_body_member_is_refused(make):
    round_ = make.round(status=RoundStatus.REGISTRATION_CLOSED)
    person = make.user(Role.CANDIDATE, Role.PANEL_MEMBER)
    seat(round_, BodyKind.COUNCIL, person)
    with pytest.raises(ValidationFailed) as refused:
        import_application(
            person,
            round_.positions[0],
            Person(dt.date(1985, 5, 17), Gender.FEMALE, "Phòng Tổ chức", "Phó Trưởng phòng"),
            make.details(),
            received_at=T0,
            actor=make.user(Role.BOARD_ADMIN),
            at=T0,
        )
    assert ("email", "Người này là thành viên hội đồng, ban của kỳ thi: không được dự thi.") in (
        refused.value.reasons
    )


def test_the_excel_import_refuses_a_row_of_a_body_member(app, make):
    round_ = make.round()
    board = make.user(Role.BOARD_ADMIN)
    seat(round_, BodyKind.COUNCIL, board, MemberFunction.CHAIR)  # who imports: the Council
    rows = _rows(2)
    member = make.user(
        Role.CANDIDATE, Role.PANEL_MEMBER, name=rows[1]["Họ và tên"], email=rows[1]["Email"]
    )
    seat(round_, BodyKind.MARKING, member)
    db.session.commit()
    refused = _preview(app, round_, board, _filled(_template(app, round_, board), rows))
    text = refused.get_data(as_text=True)
    assert (
        "<td>3</td><td>B – Email</td><td>Người này là thành viên hội đồng, ban của kỳ thi: "
        "không được dự thi." in text
    )
    assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 0


def test_a_decision_number_taken_meanwhile_by_another_request_is_refused_in_words(
    make, monkeypatch
):
    """Two administrators at once: the check ran before the other's body was committed; the
    unique constraint refuses the second, which says why, and nothing else is undone."""
    from exam.council import operations

    round_ = make.round()
    set_up(round_, BodyKind.COUNCIL, number="12/QĐ-HĐTT")
    real = operations._body_with_number
    calls = []

    def stale_then_real(round_, number):
        calls.append(number)
        return None if len(calls) == 1 else real(round_, number)

    monkeypatch.setattr(operations, "_body_with_number", stale_then_real)
    with pytest.raises(ValidationFailed) as refused:
        set_up(round_, BodyKind.SUPERVISORY, number="12/QĐ-HĐTT")
    assert _reasons(refused.value) == "Số quyết định 12/QĐ-HĐTT đã dùng cho Hội đồng thi tuyển."
    assert [b.kind for b in bodies_of_round(round_.id)] == [BodyKind.COUNCIL]
    set_up(round_, BodyKind.SUPERVISORY, number="13/QĐ-HĐTT")  # the session goes on


def test_a_seat_taken_meanwhile_by_another_request_is_refused_in_words(make):
    round_ = make.round()
    person = make.user(Role.PANEL_MEMBER, name="Ngô Văn Đồng")
    body = set_up(round_, BodyKind.QUESTIONS)
    assert body.members == []  # loaded before the other request's row
    db.session.execute(
        sa.insert(Membership).values(
            body_id=body.id,
            user_id=person.id,
            function="member",
            post="",
            created_at=T0,
            updated_at=T0,
        )
    )
    with pytest.raises(ValidationFailed) as refused:
        add_member(body, person, MemberFunction.SECRETARY, actor=None)
    assert _reasons(refused.value) == "Ngô Văn Đồng đã là Thành viên của Ban đề thi."
    assert [m.user_id for m in body.members] == [person.id]
