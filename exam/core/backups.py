"""Backups: one archive file holding the database and the files kept beside it (uploaded
files and issued documents from the store, a directory or a bucket (exam/core/storage.py),
and the audit anchor file), with a manifest of SHA-256 checksums.

    flask backup create [--output FILE]   write the archive (a .tar.gz)
    flask backup verify FILE              check every checksum; exit 1 on any difference
    flask backup restore FILE             into an empty database and an empty store

The database:
- SQLite: a copy by SQLite's online backup API (consistent while the app keeps writing),
  restored by the same API into the (empty) target file;
- PostgreSQL: every table of the application's metadata, read in one REPEATABLE READ
  READ ONLY transaction (one snapshot), written as JSON lines; restored into an empty
  database in one transaction: the schema of this release (the backup's migration must be
  this release's head), the rows, the sequences moved past the highest ids. No pg_dump is
  needed, so the client's version never has to match the server's.

A restore first checks the whole archive: a member whose checksum differs, missing or not
listed refuses it before anything is touched.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import enum
import hashlib
import io
import json
import os
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

import sqlalchemy as sa
from flask import current_app

from exam.core.db import utcnow
from exam.core.storage import AREAS, DirectoryStorage, check_key, storage
from exam.extensions import db

FORMAT = "exam-backup/1"
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/exam.sqlite3"
TABLES_FOLDER = "database/tables"
CHUNK = 1024 * 1024
ROWS_PER_BATCH = 1000


class BackupRefused(Exception):
    """The archive or the target is not fit for the operation; nothing was changed."""


# --- Files kept beside the database ------------------------------------------------------


def kept_files(staging: Path) -> list[tuple[str, Path]]:
    """The stored files that belong to the database (uploads and issued documents), each
    as its archive name (``files/<key>``) and a local file to read it from: on a directory
    the file itself, from a bucket a copy downloaded into ``staging``."""
    store = storage()
    kept: list[tuple[str, Path]] = []
    for area in AREAS:
        for found in store.listing(area):
            if isinstance(store, DirectoryStorage):
                source = store.path(found.key)
            else:
                source = staging.joinpath("files", *found.key.split("/"))
                source.parent.mkdir(parents=True, exist_ok=True)
                with store.open(found.key) as stream, source.open("wb") as copy:
                    while chunk := stream.read(CHUNK):
                        copy.write(chunk)
            kept.append((f"files/{found.key}", source))
    return kept


def _anchor_file() -> Path | None:
    configured = current_app.config.get("AUDIT_ANCHOR_FILE")
    return Path(configured) if configured else None


# --- Checksums ----------------------------------------------------------------------------


def _sha256_of(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Manifest:
    created_at: str
    dialect: str
    revision: str | None
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # name → sha256, size
    tables: dict[str, int] = field(default_factory=dict)  # name → rows

    def to_json(self) -> bytes:
        return json.dumps(
            {"format": FORMAT, **self.__dict__}, ensure_ascii=False, indent=1, sort_keys=True
        ).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        try:
            parsed = json.loads(data)
        except ValueError:
            raise BackupRefused("the manifest is not JSON") from None
        if not isinstance(parsed, dict) or parsed.pop("format", None) != FORMAT:
            raise BackupRefused(f"not a backup of this application ({FORMAT})")
        try:
            return cls(**parsed)
        except TypeError:
            raise BackupRefused("the manifest lacks some of its fields") from None


# --- Create -------------------------------------------------------------------------------


def create_backup(output: Path) -> Manifest:
    """Write the archive to ``output`` (through a temporary file beside it: a backup cut
    short never looks complete)."""
    dialect = db.engine.dialect.name
    manifest = Manifest(created_at=utcnow().isoformat(), dialect=dialect, revision=None)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="exam-backup-") as staging_name:
        staging = Path(staging_name)
        members: list[tuple[str, Path]] = []
        if dialect == "sqlite":
            copy = staging / "exam.sqlite3"
            _sqlite_copy(copy)
            manifest.revision, manifest.tables = _sqlite_facts(copy)
            members.append((SQLITE_MEMBER, copy))
        elif dialect == "postgresql":
            manifest.revision, manifest.tables = _dump_tables(staging / "tables")
            for table in manifest.tables:
                members.append((f"{TABLES_FOLDER}/{table}.jsonl", staging / "tables" / table))
        else:
            raise BackupRefused(f"no backup for the {dialect} database")
        members.extend(kept_files(staging))
        anchors = _anchor_file()
        if anchors is not None and anchors.is_file():
            members.append(("files/audit-anchors.txt", anchors))
        for name, path in members:
            with path.open("rb") as stream:
                manifest.files[name] = {"sha256": _sha256_of(stream), "size": path.stat().st_size}
        partial = output.with_name(output.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            _add_bytes(archive, MANIFEST, manifest.to_json())
            for name, path in members:
                archive.add(path, arcname=name, recursive=False)
        os.replace(partial, output)
    return manifest


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(utcnow().timestamp()), 0o600
    archive.addfile(info, io.BytesIO(data))


def _sqlite_path() -> str:
    database = db.engine.url.database
    if not database or database == ":memory:":
        raise BackupRefused("an in-memory SQLite database has nothing to back up")
    return database


def _sqlite_copy(target: Path) -> None:
    source = sqlite3.connect(_sqlite_path())
    destination = sqlite3.connect(target)
    try:
        with destination:
            source.backup(destination)
    finally:
        destination.close()
        source.close()


def _sqlite_facts(path: Path) -> tuple[str | None, dict[str, int]]:
    connection = sqlite3.connect(path)
    try:
        names = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        tables = {
            name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            for name in names
        }
        revision = None
        if "alembic_version" in names:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
        return revision, tables
    finally:
        connection.close()


def _alembic_revision(connection: sa.Connection) -> str | None:
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.scalar(sa.text("SELECT version_num FROM alembic_version"))


def _dump_tables(folder: Path) -> tuple[str | None, dict[str, int]]:
    folder.mkdir()
    tables: dict[str, int] = {}
    snapshot = db.engine.connect().execution_options(isolation_level="REPEATABLE READ")
    with snapshot as connection, connection.begin():
        connection.execute(sa.text("SET TRANSACTION READ ONLY"))
        revision = _alembic_revision(connection)
        for table in db.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows = connection.execution_options(yield_per=ROWS_PER_BATCH).execute(
                sa.select(table).order_by(*order)
            )
            count = 0
            with (folder / table.name).open("w", encoding="utf-8") as file:
                for row in rows:
                    file.write(json.dumps(_encoded(row._mapping), ensure_ascii=False))
                    file.write("\n")
                    count += 1
            tables[table.name] = count
    return revision, tables


def _encoded(row: Any) -> dict[str, Any]:
    return {name: _encode(value) for name, value in row.items()}


def _encode(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return value


def _decode(column: sa.Column, value: Any) -> Any:
    """The value read back as the column's Python type (the JSON line keeps it as text)."""
    if value is None:
        return None
    kind = column.type
    kind = getattr(kind, "impl_instance", None) or getattr(kind, "impl", kind)
    if isinstance(kind, sa.Enum) and kind.enum_class is not None:
        return kind.enum_class(value)
    if isinstance(kind, sa.DateTime):
        return dt.datetime.fromisoformat(value)
    if isinstance(kind, sa.Date):
        return dt.date.fromisoformat(value)
    if isinstance(kind, sa.Time):
        return dt.time.fromisoformat(value)
    if isinstance(kind, sa.Interval):
        return dt.timedelta(seconds=value)
    if isinstance(kind, sa.Numeric) and not isinstance(kind, sa.Float):
        return decimal.Decimal(value)
    if isinstance(kind, sa.LargeBinary):
        return base64.b64decode(value)
    return value


# --- Verify -------------------------------------------------------------------------------


@dataclass
class Check:
    manifest: Manifest | None
    problems: list[str]

    @property
    def sound(self) -> bool:
        return not self.problems


def verify_backup(path: Path) -> Check:
    """Every member against the manifest's SHA-256 and size; members missing or unlisted."""
    try:
        archive = tarfile.open(path, "r:gz")  # noqa: SIM115  (closed by the with below)
    except (OSError, tarfile.TarError) as error:
        return Check(None, [f"{path}: not a readable backup ({error})"])
    with archive:
        try:
            manifest_member = archive.extractfile(MANIFEST)
            manifest = Manifest.from_json(manifest_member.read() if manifest_member else b"")
        except (KeyError, BackupRefused, tarfile.TarError, OSError) as error:
            return Check(None, [f"{path}: no valid manifest ({error})"])
        problems: list[str] = []
        seen: set[str] = set()
        try:
            for member in archive:
                if member.name == MANIFEST:
                    continue
                expected = manifest.files.get(member.name)
                if expected is None or not member.isfile():
                    problems.append(f"{member.name}: not listed in the manifest")
                    continue
                seen.add(member.name)
                stream = archive.extractfile(member)
                digest = _sha256_of(stream) if stream else ""
                if digest != expected["sha256"] or member.size != expected["size"]:
                    problems.append(f"{member.name}: checksum differs from the manifest")
        except (tarfile.TarError, OSError, EOFError, ValueError) as error:
            problems.append(f"{path}: the archive is damaged ({error})")
        problems.extend(f"{name}: missing" for name in sorted(set(manifest.files) - seen))
    return Check(manifest, problems)


# --- Restore ------------------------------------------------------------------------------


def restore_backup(path: Path) -> Manifest:
    """Restore ``path`` into this app's database (which must be empty) and folders (files
    already there with other contents refuse the restore). Raises BackupRefused, having
    touched nothing, when the archive or the target is not fit."""
    check = verify_backup(path)
    if not check.sound or check.manifest is None:
        raise BackupRefused("; ".join(check.problems))
    manifest = check.manifest
    dialect = db.engine.dialect.name
    if manifest.dialect != dialect:
        raise BackupRefused(
            f"a backup of a {manifest.dialect} database cannot be restored into {dialect}"
        )
    _refuse_unless_empty()
    placed = _planned_files(manifest)
    with tarfile.open(path, "r:gz") as archive:
        if dialect == "sqlite":
            _restore_sqlite(archive)
        else:
            _restore_tables(archive, manifest)
        store = storage()
        for name, target in placed:
            stream = archive.extractfile(name)
            if stream is None:
                continue
            if isinstance(target, str):  # a stored file's key
                if not store.exists(target):  # else identical already (_planned_files)
                    store.put(target, stream)
                continue
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as file:
                while chunk := stream.read(CHUNK):
                    file.write(chunk)
    return manifest


def _refuse_unless_empty() -> None:
    db.session.remove()
    with db.engine.connect() as connection:
        if dialect_tables := sa.inspect(connection).get_table_names():
            raise BackupRefused(
                f"the database is not empty ({len(dialect_tables)} tables): a backup is "
                "restored into an empty database only"
            )


def _planned_files(manifest: Manifest) -> list[tuple[str, str | Path]]:
    """Where each file of the archive goes: a key of the store, or the anchor file; refused
    when a file is already there with other contents (or a name would leave its area)."""
    store = storage()
    anchors = _anchor_file()
    planned: list[tuple[str, str | Path]] = []
    for name, facts in sorted(manifest.files.items()):
        parts = PurePosixPath(name).parts
        if parts[0] != "files":
            continue
        if name == "files/audit-anchors.txt":
            if anchors is not None:
                planned.append((name, anchors))
            continue
        try:
            key = check_key(name.removeprefix("files/"))
        except ValueError:
            raise BackupRefused(f"{name}: not a place this application keeps files") from None
        if store.exists(key):
            with store.open(key) as existing:
                if _sha256_of(existing) != facts["sha256"]:
                    raise BackupRefused(
                        f"{key} exists with other contents: restore into an empty store"
                    )
        planned.append((name, key))
    return planned


def _restore_sqlite(archive: tarfile.TarFile) -> None:
    stream = archive.extractfile(SQLITE_MEMBER)
    if stream is None:
        raise BackupRefused(f"{SQLITE_MEMBER}: missing")
    target = _sqlite_path()
    db.engine.dispose()
    with tempfile.TemporaryDirectory(prefix="exam-restore-") as folder:
        copy = Path(folder) / "exam.sqlite3"
        with copy.open("wb") as file:
            while chunk := stream.read(CHUNK):
                file.write(chunk)
        source, destination = sqlite3.connect(copy), sqlite3.connect(target)
        try:
            with destination:
                source.backup(destination)
        finally:
            destination.close()
            source.close()


def _restore_tables(archive: tarfile.TarFile, manifest: Manifest) -> None:
    head = _code_head()
    if manifest.revision is not None and manifest.revision != head:
        raise BackupRefused(
            f"the backup's schema is migration {manifest.revision}, this release's is {head}: "
            "restore with the release that made the backup, then `flask db upgrade`"
        )
    tables = {table.name: table for table in db.metadata.sorted_tables}
    unknown = sorted(set(manifest.tables) - set(tables))
    if unknown:
        raise BackupRefused(f"tables unknown to this release: {', '.join(unknown)}")
    with db.engine.begin() as connection:  # all or nothing: PostgreSQL's DDL is transactional
        db.metadata.create_all(connection)
        if manifest.revision is not None:
            connection.execute(
                sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
            )
            connection.execute(
                sa.text("INSERT INTO alembic_version VALUES (:revision)"),
                {"revision": manifest.revision},
            )
        for name, table in tables.items():
            if name not in manifest.tables:
                continue
            stream = archive.extractfile(f"{TABLES_FOLDER}/{name}.jsonl")
            if stream is None:
                raise BackupRefused(f"{name}: its rows are missing")
            for batch in _batches(table, io.TextIOWrapper(stream, encoding="utf-8")):
                connection.execute(table.insert(), batch)
            _move_sequence_past_rows(connection, table)


def _batches(table: sa.Table, lines: IO[str]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for line in lines:
        raw = json.loads(line)
        batch.append({name: _decode(table.c[name], value) for name, value in raw.items()})
        if len(batch) == ROWS_PER_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _move_sequence_past_rows(connection: sa.Connection, table: sa.Table) -> None:
    """Rows came with their ids: the next id the database gives must follow them."""
    for column in table.primary_key.columns:
        if column.autoincrement is True or (
            column.autoincrement == "auto" and isinstance(column.type, sa.Integer)
        ):
            sequence = connection.scalar(
                sa.text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": table.name, "column": column.name},
            )
            if sequence:
                connection.execute(
                    sa.text(
                        f'SELECT setval(:sequence, coalesce((SELECT max("{column.name}") '
                        f'FROM "{table.name}"), 0) + 1, false)'
                    ),
                    {"sequence": sequence},
                )


def _code_head() -> str | None:
    from alembic.script import ScriptDirectory
    from flask_migrate import Migrate

    migrate: Migrate = current_app.extensions["migrate"].migrate
    config = migrate.get_config()
    return ScriptDirectory.from_config(config).get_current_head()
