"""Writing and verifying the audit trail."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from exam.audit.models import AuditEntry, PendingAuditEntry
from exam.core.db import utcnow
from exam.extensions import db

GENESIS_HASH = "0" * 64


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def entry_digest(entry: AuditEntry) -> str:
    """The hash of an entry: its content and the previous entry's hash."""
    payload = {
        "seq": entry.seq,
        "created_at": entry.created_at.astimezone(dt.UTC).isoformat(),
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "before": entry.before,
        "after": entry.after,
        "prev_hash": entry.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _lock_chain() -> None:
    """Serialise writers of the chain for the rest of the transaction (PostgreSQL)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(726871)"))


def _chain_head() -> tuple[int, str]:
    last = db.session.execute(
        sa.select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    return (last.seq, last.hash) if last else (0, GENESIS_HASH)


def _entry_fields(
    action: str,
    *,
    actor: Any,
    object_type: str,
    object_id: Any,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "created_at": utcnow().replace(microsecond=0),
        "actor_id": getattr(actor, "id", None),
        "actor_label": getattr(actor, "email", None) or "system",
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "before": _jsonable(before) if before is not None else None,
        "after": _jsonable(after) if after is not None else None,
    }


def record(
    action: str,
    obj: Any = None,
    *,
    actor: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    object_type: str | None = None,
    object_id: Any = None,
) -> AuditEntry:
    """Append an entry for ``action`` done by ``actor`` (None: the system) on ``obj``."""
    _lock_chain()
    if obj is not None:
        db.session.flush()  # the object needs its id
    _seal_pending()
    seq, prev_hash = _chain_head()
    entry = AuditEntry(
        seq=seq + 1,
        prev_hash=prev_hash,
        **_entry_fields(
            action,
            actor=actor,
            before=before,
            after=after,
            object_type=object_type or (type(obj).__name__ if obj is not None else "-"),
            object_id=object_id if object_id is not None else getattr(obj, "id", "-"),
        ),
    )
    entry.hash = entry_digest(entry)
    db.session.add(entry)
    db.session.flush()
    return entry


_PENDING = PendingAuditEntry.__table__
_INSERT_PENDING = sa.insert(_PENDING)  # built once: this runs for every candidate's Start


def record_soon(
    action: str,
    *,
    actor: Any,
    object_type: str,
    object_id: Any,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """``record`` for the hot paths: one insert, no lock on the chain; the entry joins the
    chain at the next chained write (``seal_pending``), with the time it happened."""
    db.session.connection().execute(
        _INSERT_PENDING,
        _entry_fields(
            action,
            actor=actor,
            before=before,
            after=after,
            object_type=object_type,
            object_id=object_id,
        ),
    )


def pending_fields(action: str, **details: Any) -> dict[str, Any]:
    """The parameters of ``insert_pending_for``: what ``record_soon`` would write. Named
    entry_<column>: a parameter named after a column of the table that the same statement
    updates would become one more SET clause of that update."""
    return {f"entry_{name}": value for name, value in _entry_fields(action, **details).items()}


def insert_pending_for(rows: sa.CTE) -> sa.Insert:
    """An insert of one pending entry (parameters from ``pending_fields``) per row of
    ``rows``: on PostgreSQL a change and its audit entry then go in one statement
    (``WITH changed AS (UPDATE … RETURNING …) INSERT …``), one round trip, atomic."""
    columns = [column for column in _PENDING.c if column.name != "id"]
    return sa.insert(_PENDING).from_select(
        [column.name for column in columns],
        sa.select(
            *[sa.bindparam(f"entry_{column.name}", type_=column.type) for column in columns]
        ).select_from(rows),
    )


def seal_pending() -> int:
    """Move the pending entries into the chain, oldest first. Returns how many."""
    _lock_chain()
    return _seal_pending()


def _seal_pending() -> int:
    """``seal_pending`` for a caller that holds the chain's lock already."""
    pending = db.session.execute(sa.select(_PENDING).order_by(_PENDING.c.id)).all()
    if not pending:
        return 0
    seq, prev_hash = _chain_head()
    rows = []
    for row in pending:
        seq += 1
        fields = dict(row._mapping)
        del fields["id"]
        entry = AuditEntry(seq=seq, prev_hash=prev_hash, **fields)
        entry.hash = prev_hash = entry_digest(entry)
        rows.append({"seq": seq, "prev_hash": entry.prev_hash, "hash": entry.hash, **fields})
    db.session.execute(sa.insert(AuditEntry), rows)
    # By id, not by range: on PostgreSQL a lower id may still be in flight, unsealed.
    ids = [row.id for row in pending]
    for start in range(0, len(ids), 500):
        db.session.execute(sa.delete(_PENDING).where(_PENDING.c.id.in_(ids[start : start + 500])))
    return len(rows)


@dataclass
class ChainReport:
    checked: int
    problems: list[str]

    @property
    def intact(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Anchor:
    """A link of the chain quoted outside the database (printed on a published document), so
    that removing the newest entries, which a chain alone cannot reveal, is caught too."""

    seq: int
    hash_prefix: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash_prefix}"

    @classmethod
    def parse(cls, text: str) -> Anchor:
        seq, _, prefix = text.partition(":")
        if not seq.isdigit() or len(prefix) < 8:
            raise ValueError("an anchor reads SEQ:HASH (at least 8 hex digits)")
        return cls(int(seq), prefix.lower())


def current_anchor() -> Anchor | None:
    last = db.session.scalars(
        sa.select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    return Anchor(last.seq, last.hash[:16]) if last else None


def verify_chain(anchors: tuple[Anchor, ...] = ()) -> ChainReport:
    """Walk the whole chain: an edited entry breaks its hash, a deleted one breaks the links,
    and each anchor must still be found with the same hash."""
    problems: list[str] = []
    expected_prev, expected_seq, checked = GENESIS_HASH, 1, 0
    by_seq = {anchor.seq: anchor for anchor in anchors}
    for entry in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq)):
        anchor = by_seq.pop(entry.seq, None)
        if anchor and not entry.hash.startswith(anchor.hash_prefix):
            problems.append(f"entry #{entry.seq} differs from the anchor {anchor}")
        checked += 1
        if entry.seq != expected_seq:
            problems.append(f"entry #{expected_seq} is missing (found #{entry.seq})")
        if entry.prev_hash != expected_prev:
            problems.append(f"entry #{entry.seq} does not follow the previous entry")
        if entry_digest(entry) != entry.hash:
            problems.append(f"entry #{entry.seq} was altered")
        expected_prev, expected_seq = entry.hash, entry.seq + 1
    problems += [
        f"entry #{anchor.seq} of the anchor {anchor} is gone" for anchor in by_seq.values()
    ]
    return ChainReport(checked=checked, problems=problems)
