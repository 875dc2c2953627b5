"""The audit trail: who did what, before and after; a hash chain that shows any edit or
removal made behind the application's back; entries the ORM will neither change nor delete."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest
import sqlalchemy as sa
import time_machine

from exam.accounts.models import Role
from exam.accounts.operations import grant_role
from exam.audit.models import AuditEntry, AuditTrailIsAppendOnly
from exam.audit.operations import GENESIS_HASH, entry_digest, record, verify_chain
from exam.extensions import db
from exam.rounds.models import RoundStatus
from exam.rounds.operations import advance_round


def entries() -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq)))


def fresh_report():
    """What the database holds now, not what this session remembers."""
    db.session.expire_all()
    return verify_chain()


@pytest.fixture
def trail(make) -> list[AuditEntry]:
    """A few real operations: accounts, a round created, given a position and opened."""
    board = make.user(Role.BOARD_ADMIN, email="hoi-dong@test.example")
    round_ = make.round(status=RoundStatus.DRAFT, board=board)
    advance_round(round_, actor=board)
    db.session.commit()
    written = entries()
    assert [e.action for e in written] == [
        "account.create",
        "round.create",
        "position.create",
        "round.advance",
    ]
    return written


def test_operations_record_actor_action_before_and_after(make, now):
    board = make.user(Role.BOARD_ADMIN, email="hoi-dong@test.example")
    round_ = make.round(status=RoundStatus.DRAFT, board=board)

    with time_machine.travel(now, tick=False):
        advance_round(round_, actor=board)

    entry = entries()[-1]
    assert entry.action == "round.advance"
    assert entry.actor_id == board.id
    assert entry.actor_label == "hoi-dong@test.example"
    assert entry.object_type == "Round"
    assert entry.object_id == str(round_.id)
    assert entry.before == {"status": "draft"}
    assert entry.after == {"status": "registration_open"}
    assert entry.created_at == now


def test_an_operation_without_an_actor_is_recorded_as_the_system(make):
    user = make.user(Role.CANDIDATE, email="thi-sinh@test.example", name="Lê Thị Thu")

    entry = entries()[-1]
    assert entry.action == "account.create"
    assert entry.actor_id is None
    assert entry.actor_label == "system"
    assert entry.object_id == str(user.id)
    assert entry.before is None
    assert entry.after == {
        "email": "thi-sinh@test.example",
        "full_name": "Lê Thị Thu",
        "roles": ["candidate"],
    }


def test_each_entry_follows_the_previous_one(trail):
    assert [e.seq for e in trail] == list(range(1, len(trail) + 1))
    assert trail[0].prev_hash == GENESIS_HASH
    for previous, entry in itertools.pairwise(trail):
        assert entry.prev_hash == previous.hash
    for entry in trail:
        assert entry.hash == entry_digest(entry)
        assert len(entry.hash) == 64


def test_an_intact_chain_verifies(trail):
    report = fresh_report()

    assert report.intact
    assert report.problems == []
    assert report.checked == len(trail)


def test_an_empty_trail_is_intact():
    report = verify_chain()

    assert report.intact
    assert report.checked == 0


def test_values_are_stored_as_plain_json(make):
    board = make.user(Role.BOARD_ADMIN)
    round_ = make.round(status=RoundStatus.DRAFT, board=board)

    created = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "round.create")
    ).one()
    raw = db.session.execute(
        sa.text("SELECT after FROM audit_entries WHERE seq = :seq"), {"seq": created.seq}
    ).scalar_one()
    stored = json.loads(raw) if isinstance(raw, str) else raw
    assert stored["name"] == round_.name
    assert stored["registration_opens_at"] == round_.registration_opens_at.isoformat()


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("action", "round.delete"),
        ("actor_label", "ai-do@test.example"),
        ("object_id", "999"),
        ("before", json.dumps({"status": "closed"})),
        ("after", json.dumps({"status": "published"})),
        ("created_at", "2020-01-01 00:00:00.000000"),
    ],
)
def test_editing_an_entry_by_raw_sql_is_detected(trail, column, value):
    target = trail[-1]  # round.advance: before and after are both set
    assert target.before is not None

    db.session.execute(
        sa.text(f"UPDATE audit_entries SET {column} = :value WHERE seq = :seq"),
        {"value": value, "seq": target.seq},
    )

    report = fresh_report()
    assert not report.intact
    assert report.problems == [f"entry #{target.seq} was altered"]


def test_an_edit_whose_hash_is_recomputed_breaks_the_next_link(trail):
    target = trail[1]
    db.session.execute(
        sa.text("UPDATE audit_entries SET actor_label = 'ai-do@test.example' WHERE seq = :seq"),
        {"seq": target.seq},
    )
    db.session.expire_all()
    forged = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.seq == target.seq)).one()
    db.session.execute(
        sa.text("UPDATE audit_entries SET hash = :hash WHERE seq = :seq"),
        {"hash": entry_digest(forged), "seq": target.seq},
    )

    report = fresh_report()
    assert not report.intact
    assert report.problems == [f"entry #{target.seq + 1} does not follow the previous entry"]


@pytest.mark.parametrize("position", ["first", "middle"])
def test_deleting_an_entry_by_raw_sql_is_detected(trail, position):
    seq = 1 if position == "first" else len(trail) // 2 + 1

    db.session.execute(sa.text("DELETE FROM audit_entries WHERE seq = :seq"), {"seq": seq})

    report = fresh_report()
    assert not report.intact
    assert report.checked == len(trail) - 1
    assert f"entry #{seq} is missing (found #{seq + 1})" in report.problems
    assert f"entry #{seq + 1} does not follow the previous entry" in report.problems


def test_the_orm_refuses_to_change_an_entry(trail):
    entry = trail[2]
    entry.action = "round.delete"

    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.flush()

    db.session.rollback()
    assert db.session.get(AuditEntry, entry.id).action != "round.delete"
    assert fresh_report().intact


def test_the_orm_refuses_to_delete_an_entry(trail):
    entry = trail[2]
    db.session.delete(entry)

    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.flush()

    db.session.rollback()
    assert fresh_report().checked == len(trail)


@pytest.mark.parametrize(
    "statement",
    [
        sa.update(AuditEntry).where(AuditEntry.seq == 2).values(action="round.delete"),
        sa.update(AuditEntry).values(actor_label="ai-do@test.example"),
        sa.delete(AuditEntry).where(AuditEntry.seq == 2),
        sa.delete(AuditEntry),
    ],
    ids=["update-one", "update-all", "delete-one", "delete-all"],
)
def test_the_orm_refuses_bulk_updates_and_deletes(trail, statement):
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.execute(statement)

    db.session.rollback()
    report = fresh_report()
    assert report.intact
    assert report.checked == len(trail)


def test_new_entries_continue_the_chain(trail, make):
    board = make.user(Role.BOARD_ADMIN)
    person = make.user(Role.CANDIDATE)

    grant_role(person, Role.PANEL_MEMBER, actor=board)
    extra = record("results.note", object_type="Round", object_id=7, actor=board, after={"n": 1})

    assert extra.seq == len(entries())
    assert extra.object_type == "Round"
    assert extra.object_id == "7"
    assert fresh_report().intact


# --- `flask audit verify` -------------------------------------------------------------------


def test_cli_says_an_intact_chain_is_intact(app, trail):
    db.session.expire_all()

    result = app.test_cli_runner().invoke(args=["audit", "verify"])

    assert result.exit_code == 0, result.output
    assert f"Audit trail intact: {len(trail)} entries checked." in result.output
    assert "BROKEN" not in result.output


def test_cli_exits_1_on_a_tampered_chain(app, trail):
    db.session.execute(
        sa.text("UPDATE audit_entries SET after = :after WHERE seq = :seq"),
        {"after": json.dumps({"status": "closed"}), "seq": trail[-1].seq},
    )
    db.session.execute(sa.text("DELETE FROM audit_entries WHERE seq = 2"))
    db.session.expire_all()

    result = app.test_cli_runner().invoke(args=["audit", "verify"])

    assert result.exit_code == 1
    assert f"BROKEN: entry #{trail[-1].seq} was altered" in result.output
    assert "BROKEN: entry #2 is missing (found #3)" in result.output
    assert "intact" not in result.output


def test_an_anchor_catches_the_removal_of_the_newest_entries(app, make):
    """A chain alone cannot tell that its newest entries were cut off; the anchor printed on a
    published document can."""
    from exam.audit.operations import Anchor, current_anchor, verify_chain

    make.user(Role.BOARD_ADMIN)
    make.user(Role.BOARD_ADMIN)
    db.session.commit()
    anchor = current_anchor()
    assert verify_chain((anchor,)).intact
    db.session.execute(sa.text("DELETE FROM audit_entries WHERE seq = :seq"), {"seq": anchor.seq})
    db.session.expire_all()
    report = verify_chain((anchor,))
    assert not report.intact
    assert f"entry #{anchor.seq} of the anchor {anchor} is gone" in report.problems
    wrong = Anchor(anchor.seq - 1, "0" * 16)
    assert any("differs from the anchor" in p for p in verify_chain((wrong,)).problems)
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--anchor", str(anchor)])
    assert result.exit_code == 1
    bad = app.test_cli_runner().invoke(args=["audit", "verify", "--anchor", "nonsense"])
    assert bad.exit_code == 2


# --- entries written on hot paths (record_soon), sealed into the chain later ----------------


def pending() -> list:
    from exam.audit.models import PendingAuditEntry

    return list(db.session.scalars(sa.select(PendingAuditEntry).order_by(PendingAuditEntry.id)))


def _write_soon(actor, object_id: int, at) -> None:
    from exam.audit.operations import record_soon

    with time_machine.travel(at, tick=False):
        record_soon(
            "attempt.start",
            actor=actor,
            object_type="Attempt",
            object_id=object_id,
            after={"started_at": at},
        )


def test_entries_written_soon_wait_outside_the_chain(trail, make, now):
    candidate = make.user(Role.CANDIDATE, email="thi-sinh@test.example")
    chained = len(entries())
    _write_soon(candidate, 41, now)

    assert len(entries()) == chained
    [waiting] = pending()
    assert (waiting.action, waiting.actor_id, waiting.actor_label) == (
        "attempt.start",
        candidate.id,
        "thi-sinh@test.example",
    )
    assert waiting.created_at == now
    assert fresh_report().intact  # the chain itself is untouched


def test_sealing_moves_them_into_the_chain_in_order_with_their_own_times(trail, make, now):
    from exam.audit.operations import seal_pending

    candidate = make.user(Role.CANDIDATE)
    chained = len(entries())
    later = now + dt.timedelta(seconds=7)
    _write_soon(candidate, 41, now)
    _write_soon(candidate, 42, later)

    assert seal_pending() == 2
    assert seal_pending() == 0
    sealed = entries()[chained:]
    assert [(e.object_id, e.created_at) for e in sealed] == [("41", now), ("42", later)]
    assert [e.seq for e in sealed] == [chained + 1, chained + 2]
    assert sealed[0].prev_hash == entries()[chained - 1].hash
    assert all(e.hash == entry_digest(e) for e in sealed)
    assert pending() == []
    assert fresh_report().intact


def test_a_chained_write_seals_the_waiting_entries_first(trail, make, now):
    candidate = make.user(Role.CANDIDATE)
    _write_soon(candidate, 41, now)

    record("round.note", actor=candidate, object_type="Round", object_id=1)

    assert [e.action for e in entries()[-2:]] == ["attempt.start", "round.note"]
    assert pending() == []
    assert fresh_report().intact


def test_a_sealed_entry_edited_afterwards_is_detected(trail, make, now):
    from exam.audit.operations import seal_pending

    _write_soon(make.user(Role.CANDIDATE), 41, now)
    seal_pending()
    last = entries()[-1]
    db.session.execute(
        sa.text("UPDATE audit_entries SET object_id = '99' WHERE seq = :seq"), {"seq": last.seq}
    )

    assert f"entry #{last.seq} was altered" in fresh_report().problems


def test_cli_seal_and_verify_take_in_the_waiting_entries(app, trail, make, now):
    candidate = make.user(Role.CANDIDATE)
    chained = len(entries())
    _write_soon(candidate, 41, now)

    sealed = app.test_cli_runner().invoke(args=["audit", "seal"])
    assert sealed.exit_code == 0, sealed.output
    assert "Pending entries sealed into the chain: 1." in sealed.output

    _write_soon(candidate, 42, now)
    verified = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert f"Audit trail intact: {chained + 2} entries checked." in verified.output
    assert pending() == []
