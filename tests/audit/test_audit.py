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


# --- the pending journal is tamper-evident: each row carries a MAC ---------------------------


def _forge_pending(actor_id: int, object_id: int, *, mac: str = "0" * 64) -> None:
    """A row slipped into the pending journal by someone who can write to the database."""
    db.session.execute(
        sa.text(
            "INSERT INTO audit_pending (created_at, actor_id, actor_label, action, object_type,"
            " object_id, before, after, mac) VALUES (:at, :actor, 'system', 'attempt.submit',"
            " 'Attempt', :object, NULL, :after, :mac)"
        ),
        {
            "at": dt.datetime(2026, 5, 4, 2, 0, tzinfo=dt.UTC),
            "actor": actor_id,
            "object": str(object_id),
            "after": json.dumps({"score": 30.0, "final_score": 30.0}),
            "mac": mac,
        },
    )


def test_a_forged_pending_row_is_refused_at_sealing(trail, make, now):
    from exam.audit.operations import forged_pending, seal_pending

    candidate = make.user(Role.CANDIDATE)
    chained = len(entries())
    _write_soon(candidate, 41, now)
    _forge_pending(candidate.id, 42)
    _write_soon(candidate, 43, now)

    assert seal_pending() == 2  # the genuine ones, in their order
    assert [e.object_id for e in entries()[chained:]] == ["41", "43"]
    [left] = pending()
    assert left.object_id == "42"
    [problem] = forged_pending()
    assert f"#{left.id}" in problem
    assert "mã xác thực sai" in problem
    assert seal_pending() == 0  # it stays out, at every later seal
    assert fresh_report().intact


def test_a_pending_row_edited_before_sealing_is_refused(trail, make, now):
    from exam.audit.operations import forged_pending, seal_pending

    _write_soon(make.user(Role.CANDIDATE), 41, now)
    db.session.execute(sa.text("UPDATE audit_pending SET object_id = '99'"))
    db.session.expire_all()

    assert seal_pending() == 0
    assert len(forged_pending()) == 1


def test_a_pending_row_made_with_another_key_is_refused(app, trail, make, now, monkeypatch):
    """The key is not in the database: a MAC computed with any other key does not seal."""
    from exam.audit.operations import forged_pending, seal_pending

    candidate = make.user(Role.CANDIDATE)
    monkeypatch.setitem(app.config, "AUDIT_KEY", "a key the server does not use")
    _write_soon(candidate, 41, now)
    monkeypatch.setitem(app.config, "AUDIT_KEY", "the server's own key, 32 bytes or more!")
    _write_soon(candidate, 42, now)

    assert seal_pending() == 1
    assert [w.object_id for w in pending()] == ["41"]
    assert len(forged_pending()) == 1


def test_the_hot_paths_parameters_carry_the_mac(now):
    from exam.audit.operations import pending_fields, pending_mac

    fields = pending_fields(
        "attempt.start", actor=None, object_type="Attempt", object_id=7, after={"started_at": now}
    )
    plain = {name.removeprefix("entry_"): value for name, value in fields.items()}
    assert plain["mac"] == pending_mac(plain)
    assert len(plain["mac"]) == 64


def test_cli_seal_and_verify_report_a_forged_pending_row(app, trail, make):
    candidate = make.user(Role.CANDIDATE)
    _forge_pending(candidate.id, 42)
    db.session.commit()

    sealed = app.test_cli_runner().invoke(args=["audit", "seal"])
    assert sealed.exit_code == 1
    assert "Pending entries sealed into the chain: 0." in sealed.output
    assert "BROKEN: Mục chờ niêm phong #" in sealed.output
    verified = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert verified.exit_code == 1
    assert "mã xác thực sai" in verified.output
    assert "intact" not in verified.output
    assert [e.action for e in entries()] == [e.action for e in trail] + ["account.create"]


# --- anchors kept outside the database: an emptied, cut or rebuilt chain is broken ----------


@pytest.fixture
def anchor_file(app, tmp_path, monkeypatch):
    path = tmp_path / "audit-anchors.txt"
    monkeypatch.setitem(app.config, "AUDIT_ANCHOR_FILE", str(path))
    return path


def _cli(app, *args: str):
    db.session.expire_all()
    return app.test_cli_runner().invoke(args=["audit", *args])


def test_sealing_keeps_the_chains_head_in_the_anchor_file(app, trail, anchor_file, make):
    assert _cli(app, "seal").exit_code == 0
    head = entries()[-1]
    assert anchor_file.read_text().split()[0] == f"{head.seq}:{head.hash}"
    assert _cli(app, "seal").exit_code == 0
    assert len(anchor_file.read_text().splitlines()) == 1  # only when the head moved
    make.user(Role.CANDIDATE)
    db.session.commit()
    assert _cli(app, "verify").exit_code == 0
    assert len(anchor_file.read_text().splitlines()) == 2


def test_an_emptied_chain_is_broken(app, trail, anchor_file):
    head = f"{trail[-1].seq}:{trail[-1].hash}"
    assert _cli(app, "seal").exit_code == 0
    db.session.execute(sa.text("DELETE FROM audit_entries"))

    result = _cli(app, "verify")

    assert result.exit_code == 1
    assert f"BROKEN: entry #{len(trail)} of the anchor {head} is gone" in result.output
    assert f"Chuỗi nhật ký trống, nhưng mốc neo cho thấy đã có {len(trail)} mục." in result.output
    assert "intact" not in result.output


def test_a_truncated_tail_is_broken(app, trail, anchor_file):
    assert _cli(app, "seal").exit_code == 0
    db.session.execute(sa.text("DELETE FROM audit_entries WHERE seq >= 3"))

    result = _cli(app, "verify")

    assert result.exit_code == 1
    assert f"Chuỗi nhật ký dừng ở mục #2, trước mốc neo #{len(trail)}" in result.output
    assert "intact" not in result.output


def test_sealing_a_chain_cut_short_is_reported_and_not_anchored(app, trail, anchor_file):
    assert _cli(app, "seal").exit_code == 0
    kept = anchor_file.read_text()
    db.session.execute(sa.text("DELETE FROM audit_entries WHERE seq = :seq"), {"seq": len(trail)})

    result = _cli(app, "seal")

    assert result.exit_code == 1
    assert f"BROKEN: entry #{len(trail)} of the anchor" in result.output
    assert anchor_file.read_text() == kept


def test_a_rebuilt_chain_differs_from_its_anchor(app, trail, anchor_file):
    """Whoever rewrites an entry and recomputes every hash after it leaves a chain whose
    links all hold: only the anchor taken before shows it."""
    prev_hash = trail[0].hash
    assert _cli(app, "seal").exit_code == 0
    db.session.execute(sa.text("UPDATE audit_entries SET actor_label = 'ai-do' WHERE seq = 2"))
    for seq in range(2, len(trail) + 1):
        db.session.expire_all()
        entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.seq == seq)).one()
        db.session.execute(
            sa.text("UPDATE audit_entries SET prev_hash = :prev WHERE seq = :seq"),
            {"prev": prev_hash, "seq": seq},
        )
        db.session.expire_all()
        entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.seq == seq)).one()
        prev_hash = entry_digest(entry)
        db.session.execute(
            sa.text("UPDATE audit_entries SET hash = :hash WHERE seq = :seq"),
            {"hash": prev_hash, "seq": seq},
        )
    assert fresh_report().intact  # the links alone hold

    result = _cli(app, "verify")

    assert result.exit_code == 1
    assert "BROKEN: entry #2 differs from the anchor" not in result.output  # not anchored
    assert f"BROKEN: entry #{len(trail)} differs from the anchor" in result.output


def test_a_damaged_anchor_file_is_reported(app, trail, anchor_file):
    anchor_file.write_text("not an anchor\n")

    assert _cli(app, "verify").exit_code == 1
    assert _cli(app, "seal").exit_code == 1


def test_a_reordered_entry_is_detected(trail):
    a, b = trail[1].seq, trail[2].seq
    swap = "UPDATE audit_entries SET seq = :to WHERE seq = :from"
    db.session.execute(sa.text(swap), {"from": a, "to": 1000})
    db.session.execute(sa.text(swap), {"from": b, "to": a})
    db.session.execute(sa.text(swap), {"from": 1000, "to": b})

    report = fresh_report()

    assert f"entry #{a} was altered" in report.problems
    assert f"entry #{b} was altered" in report.problems


# --- the values in the tables match the last audited ones -----------------------------------


@pytest.fixture
def contest(make):
    """A position whose candidates sat the test, were scored by the panel and ranked, plus a
    rejected dossier, all through the real operations."""
    from exam.results.operations import compute_ranking
    from tests.results.test_ranking import Person, build_contest

    position, applications = build_contest(
        make,
        [
            Person("Trương Thị Ánh Tuyết", 3, ("80", "85", "82")),
            Person("Nguyễn Thị Hồng Nhung", 4, ("90", "91.5")),
        ],
    )
    rejected = make.application(position, eligible=False)
    board = make.user(Role.BOARD_ADMIN)
    ranking = compute_ranking(position, has_test=True, actor=board, at=dt.datetime.now(dt.UTC))
    db.session.commit()
    return applications, rejected, ranking


def _attempt(application):
    from exam.exams.queries import attempt_of_application

    return attempt_of_application(application)


def compared() -> list[str]:
    from exam.audit.reconcile import compare_with_trail

    db.session.expire_all()
    return compare_with_trail()


def test_untampered_values_match_the_trail(app, contest):
    assert compared() == []
    result = _cli(app, "verify")
    assert result.exit_code == 0, result.output


def test_values_still_match_after_an_incident_and_a_voided_question(make, contest):
    from exam.exams.analysis import void_question
    from exam.exams.invigilation import record_incident
    from exam.exams.models import Penalty

    applications, _, _ = contest
    attempt = _attempt(applications["Trương Thị Ánh Tuyết"])
    board = make.user(Role.BOARD_ADMIN)
    at = dt.datetime.now(dt.UTC)
    record_incident(
        attempt, penalty=Penalty.REPRIMAND, description="Trao đổi bài.", actor=board, at=at
    )
    item = attempt.questions[-1]
    void_question(attempt.test, item.version.question, reason="Sai đáp án.", actor=board, at=at)

    assert compared() == []
    assert "attempt.rescore" in [e.action for e in entries()]


def test_a_score_changed_in_its_table_is_reported(contest):
    applications, _, _ = contest
    attempt = _attempt(applications["Trương Thị Ánh Tuyết"])
    assert attempt.final_score == 3.0
    db.session.execute(
        sa.text("UPDATE attempts SET final_score = 28.5 WHERE id = :id"), {"id": attempt.id}
    )

    assert compared() == [f"Điểm của bài thi #{attempt.id} là 28.5 nhưng nhật ký ghi 3"]


def test_a_questions_points_changed_in_its_table_are_reported(contest):
    applications, _, _ = contest
    attempt = _attempt(applications["Trương Thị Ánh Tuyết"])
    item = next(i for i in attempt.questions if i.awarded_points == 0)
    db.session.execute(
        sa.text("UPDATE attempt_questions SET awarded_points = 1 WHERE id = :id"),
        {"id": item.id},
    )

    assert compared() == [f"Điểm câu #{item.id} của bài thi #{attempt.id} là 1 nhưng nhật ký ghi 0"]


def test_a_sheet_changed_in_its_table_is_reported(contest):
    from exam.panels.models import ScoreSheet

    applications, _, _ = contest
    sheet = db.session.scalars(
        sa.select(ScoreSheet).where(
            ScoreSheet.application_id == applications["Trương Thị Ánh Tuyết"].id,
            ScoreSheet.score == 80,
        )
    ).one()
    db.session.execute(
        sa.text("UPDATE score_sheets SET score = 95 WHERE id = :id"), {"id": sheet.id}
    )

    assert compared() == [f"Điểm của phiếu chấm #{sheet.id} là 95 nhưng nhật ký ghi 80"]


def test_a_sheet_slipped_in_or_removed_is_reported(contest):
    from exam.panels.models import ScoreSheet

    applications, _, _ = contest
    nhung = applications["Nguyễn Thị Hồng Nhung"]  # scored by two of the three members
    sheet = db.session.scalars(
        sa.select(ScoreSheet).where(ScoreSheet.application_id == nhung.id).order_by(ScoreSheet.id)
    ).first()
    scored = {
        s.panel_member_id
        for s in db.session.scalars(
            sa.select(ScoreSheet).where(ScoreSheet.application_id == nhung.id)
        )
    }
    free = next(m for m in sheet.member.panel.members if m.id not in scored)
    removed = sheet.id
    db.session.execute(
        sa.text(
            "INSERT INTO score_sheets (panel_member_id, application_id, score, comment,"
            " submitted_at) VALUES (:member, :application, 100, '', :at)"
        ),
        {"member": free.id, "application": nhung.id, "at": dt.datetime.now(dt.UTC)},
    )
    db.session.execute(sa.text("DELETE FROM score_sheets WHERE id = :id"), {"id": removed})
    slipped = db.session.scalar(sa.select(sa.func.max(ScoreSheet.id)))

    problems = compared()

    assert f"Phiếu chấm #{slipped} không có trong nhật ký" in problems
    assert f"Phiếu chấm #{removed} có trong nhật ký nhưng không còn trong cơ sở dữ liệu" in problems


def test_a_decision_changed_in_its_table_is_reported(contest):
    _, rejected, _ = contest
    db.session.execute(
        sa.text(
            "UPDATE applications SET status = 'eligible', registration_number = '099'"
            " WHERE id = :id"
        ),
        {"id": rejected.id},
    )

    assert compared() == [
        f"Kết quả xét hồ sơ của hồ sơ #{rejected.id} là Đủ điều kiện nhưng nhật ký ghi "
        "Không đủ điều kiện",
        f"Số báo danh của hồ sơ #{rejected.id} là 099 nhưng nhật ký ghi (trống)",
    ]


def test_a_registration_number_changed_in_its_table_is_reported(contest):
    applications, _, _ = contest
    tuyet = applications["Trương Thị Ánh Tuyết"]
    number = tuyet.registration_number
    db.session.execute(
        sa.text("UPDATE applications SET registration_number = '777' WHERE id = :id"),
        {"id": tuyet.id},
    )

    assert compared() == [f"Số báo danh của hồ sơ #{tuyet.id} là 777 nhưng nhật ký ghi {number}"]


def test_a_result_changed_in_its_table_is_reported(contest):
    applications, _, ranking = contest
    tuyet = applications["Trương Thị Ánh Tuyết"]
    db.session.execute(
        sa.text(
            "UPDATE ranking_rows SET outcome = 'selected', panel_score = 99"
            " WHERE ranking_id = :ranking AND application_id = :application"
        ),
        {"ranking": ranking.id, "application": tuyet.id},
    )

    assert compared() == [
        f"Điểm phỏng vấn của hồ sơ #{tuyet.id} trong bảng xếp hạng #{ranking.id} là 99 nhưng "
        "nhật ký ghi 82.33",
        f"Kết quả của hồ sơ #{tuyet.id} trong bảng xếp hạng #{ranking.id} là Trúng tuyển nhưng "
        "nhật ký ghi Không trúng tuyển",
    ]


def test_cli_verify_reports_a_changed_score_in_words(app, contest):
    applications, _, _ = contest
    attempt = _attempt(applications["Nguyễn Thị Hồng Nhung"])
    db.session.execute(
        sa.text("UPDATE attempts SET score = 1, final_score = 1 WHERE id = :id"),
        {"id": attempt.id},
    )
    db.session.commit()

    result = _cli(app, "verify")

    assert result.exit_code == 1
    assert f"BROKEN: Điểm của bài thi #{attempt.id} là 1 nhưng nhật ký ghi 4" in result.output
    assert f"BROKEN: Điểm trắc nghiệm của bài thi #{attempt.id} là 1" in result.output
    assert "intact" not in result.output
