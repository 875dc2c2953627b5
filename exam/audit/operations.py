"""Writing and verifying the audit trail."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

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


def lock_chain() -> None:
    """Serialise writers of the chain for the rest of the transaction (PostgreSQL; SQLite's
    writers take turns from BEGIN). Taken by every entry recorded: a transaction that will
    record one may take it earlier, to make a read and the write it decides one turn."""
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
    lock_chain()
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
_MAC_FIELDS = tuple(c.name for c in _PENDING.c if c.name not in ("id", "mac"))


def _audit_key() -> bytes:
    """The key of the pending journal's MACs: AUDIT_KEY, else one derived from SECRET_KEY
    (never the secret itself). Neither is in the database, so whoever can only write to the
    database cannot make a pending row that seals."""
    configured = current_app.config.get("AUDIT_KEY")
    if configured:
        return configured.encode() if isinstance(configured, str) else configured
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret, b"exam.audit.pending-journal", hashlib.sha256).digest()


def pending_mac(fields: Mapping[str, Any]) -> str:
    """The MAC of a pending entry's fields (as written, or as read back from the table)."""
    payload = {name: fields[name] for name in _MAC_FIELDS}
    payload["created_at"] = fields["created_at"].astimezone(dt.UTC).isoformat()
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(_audit_key(), canonical.encode(), hashlib.sha256).hexdigest()


def _signed(fields: dict[str, Any]) -> dict[str, Any]:
    return {**fields, "mac": pending_mac(fields)}


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
        _signed(
            _entry_fields(
                action,
                actor=actor,
                before=before,
                after=after,
                object_type=object_type,
                object_id=object_id,
            )
        ),
    )


def pending_fields(action: str, **details: Any) -> dict[str, Any]:
    """The parameters of ``insert_pending_for``: what ``record_soon`` would write. Named
    entry_<column>: a parameter named after a column of the table that the same statement
    updates would become one more SET clause of that update. The MAC is computed here, in
    Python, so that the statement stays one statement."""
    fields = _signed(_entry_fields(action, **details))
    return {f"entry_{name}": value for name, value in fields.items()}


def insert_pending() -> sa.Insert:
    """An insert of one pending entry, its parameters from ``pending_fields``: what
    ``record_soon`` writes, as a statement for the exam day's fast path to run itself."""
    return sa.insert(_PENDING).values(
        {
            column.name: sa.bindparam(f"entry_{column.name}", type_=column.type)
            for column in _PENDING.c
            if column.name != "id"
        }
    )


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
    """Move the pending entries into the chain, oldest first. Returns how many. A row whose
    MAC does not verify stays where it is, unsealed (``forged_pending`` names it)."""
    lock_chain()
    return _seal_pending()


def _genuine(row: sa.Row) -> bool:
    return hmac.compare_digest(row.mac or "", pending_mac(row._mapping))


def _seal_pending() -> int:
    """``seal_pending`` for a caller that holds the chain's lock already."""
    pending = [
        row
        for row in db.session.execute(sa.select(_PENDING).order_by(_PENDING.c.id)).all()
        if _genuine(row)
    ]
    if not pending:
        return 0
    seq, prev_hash = _chain_head()
    rows = []
    for row in pending:
        seq += 1
        fields = dict(row._mapping)
        del fields["id"], fields["mac"]
        entry = AuditEntry(seq=seq, prev_hash=prev_hash, **fields)
        entry.hash = prev_hash = entry_digest(entry)
        rows.append({"seq": seq, "prev_hash": entry.prev_hash, "hash": entry.hash, **fields})
    db.session.execute(sa.insert(AuditEntry), rows)
    # By id, not by range: on PostgreSQL a lower id may still be in flight, unsealed.
    ids = [row.id for row in pending]
    for start in range(0, len(ids), 500):
        db.session.execute(sa.delete(_PENDING).where(_PENDING.c.id.in_(ids[start : start + 500])))
    return len(rows)


def forged_pending() -> list[str]:
    """The pending rows whose MAC does not verify (written behind the application's back,
    or under another key), in words; sealing leaves them out of the chain."""
    return [
        _(
            "Mục chờ niêm phong #%(id)s (%(action)s, %(object_type)s #%(object_id)s) có mã "
            "xác thực sai: không được đưa vào chuỗi nhật ký.",
            id=row.id,
            action=row.action,
            object_type=row.object_type,
            object_id=row.object_id,
        )
        for row in db.session.execute(sa.select(_PENDING).order_by(_PENDING.c.id))
        if not _genuine(row)
    ]


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


# --- anchors kept outside the database --------------------------------------------------


def anchor_file() -> Path | None:
    """Where ``flask audit seal`` and ``verify`` keep the chain's successive heads
    (AUDIT_ANCHOR_FILE; none when empty). Whoever can rewrite the database but not this
    file cannot cut the chain short, empty it or rebuild it, unseen."""
    configured = current_app.config.get("AUDIT_ANCHOR_FILE")
    return Path(configured) if configured else None


def stored_anchors() -> tuple[Anchor, ...]:
    """The anchors of the anchor file, oldest first (ValueError on a damaged line)."""
    path = anchor_file()
    if path is None or not path.exists():
        return ()
    anchors = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            anchors.append(Anchor.parse(line.split()[0]))
        except ValueError:
            raise ValueError(f"{path}:{number}: {line!r} is not an anchor") from None
    return tuple(anchors)


def keep_anchor() -> Anchor | None:
    """Append the chain's head (its full hash) to the anchor file when it moved. Call it
    after the commit: an anchor must never name an entry that was rolled back."""
    path = anchor_file()
    last = db.session.execute(
        sa.select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    if path is None or last is None:
        return None
    head = Anchor(last.seq, last.hash)
    kept = stored_anchors()
    if kept and kept[-1] == head:
        return head
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as file:
        file.write(f"{head} {utcnow().isoformat()}\n")
    return head


def check_anchor(anchor: Anchor) -> str | None:
    """One anchor against the chain (one read): what is wrong, or None."""
    entry_hash = db.session.scalar(sa.select(AuditEntry.hash).where(AuditEntry.seq == anchor.seq))
    if entry_hash is None:
        return f"entry #{anchor.seq} of the anchor {anchor} is gone"
    if not entry_hash.startswith(anchor.hash_prefix):
        return f"entry #{anchor.seq} differs from the anchor {anchor}"
    return None


def verify_chain(anchors: tuple[Anchor, ...] = ()) -> ChainReport:
    """Walk the whole chain: an edited entry breaks its hash, a deleted or moved one breaks
    the links, and each anchor must still be found with the same hash: a chain emptied,
    cut short or rebuilt after an anchor was taken is broken."""
    problems: list[str] = []
    expected_prev, expected_seq, checked, last_seq = GENESIS_HASH, 1, 0, 0
    by_seq: dict[int, list[Anchor]] = {}
    for anchor in anchors:
        by_seq.setdefault(anchor.seq, []).append(anchor)
    differing: list[tuple[int, Anchor]] = []
    for entry in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq)):
        for anchor in by_seq.pop(entry.seq, ()):
            if not entry.hash.startswith(anchor.hash_prefix):
                differing.append((entry.seq, anchor))
        checked += 1
        if entry.seq != expected_seq:
            problems.append(f"entry #{expected_seq} is missing (found #{entry.seq})")
        if entry.prev_hash != expected_prev:
            problems.append(f"entry #{entry.seq} does not follow the previous entry")
        if entry_digest(entry) != entry.hash:
            problems.append(f"entry #{entry.seq} was altered")
        expected_prev, expected_seq, last_seq = entry.hash, entry.seq + 1, entry.seq
    # Many anchors may name the same damage (a rebuilt chain differs from every one): the
    # first that differs says where it starts, the newest one gone where the chain stops.
    if differing:
        seq, anchor = differing[0]
        problems.append(f"entry #{seq} differs from the anchor {anchor}")
        if len(differing) > 1:
            problems.append(_("Tổng cộng %(n)s mốc neo không khớp với chuỗi.", n=len(differing)))
    gone = sorted((anchor for group in by_seq.values() for anchor in group), key=_by_seq)
    if gone:
        newest = gone[-1]
        problems.append(f"entry #{newest.seq} of the anchor {newest} is gone")
        if checked == 0:
            problems.append(
                _(
                    "Chuỗi nhật ký trống, nhưng mốc neo cho thấy đã có %(n)s mục.",
                    n=newest.seq,
                )
            )
        elif last_seq < newest.seq:
            problems.append(
                _(
                    "Chuỗi nhật ký dừng ở mục #%(last)s, trước mốc neo #%(seq)s: các mục "
                    "cuối đã bị xoá.",
                    last=last_seq,
                    seq=newest.seq,
                )
            )
        if len(gone) > 1:
            problems.append(_("Tổng cộng %(n)s mốc neo không còn mục.", n=len(gone)))
    return ChainReport(checked=checked, problems=problems)


def _by_seq(anchor: Anchor) -> int:
    return anchor.seq
