"""`flask backup create / verify / restore` (exam/core/backups.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app

from exam.core.backups import BackupRefused, create_backup, restore_backup, verify_backup
from exam.core.db import utcnow


@click.group("backup", help="Backups of the database and the files kept beside it.")
def backup_cli() -> None:
    pass


@backup_cli.command("create", help="Write one archive: the database, files, SHA-256 manifest.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The archive to write (default: instance/backups/exam-YYYYmmdd-HHMMSS.tar.gz).",
)
def create(output: Path | None) -> None:
    if output is None:
        stamp = utcnow().strftime("%Y%m%d-%H%M%S")
        output = Path(current_app.instance_path) / "backups" / f"exam-{stamp}.tar.gz"
    try:
        manifest = create_backup(output)
    except BackupRefused as refused:
        click.echo(f"Backup refused: {refused}", err=True)
        sys.exit(1)
    rows = sum(manifest.tables.values())
    click.echo(
        f"Backup written: {output} ({manifest.dialect}, {len(manifest.tables)} tables, "
        f"{rows} rows, {len(manifest.files)} files checksummed)."
    )


@backup_cli.command("verify", help="Check every file of an archive against its manifest.")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
def verify(archive: Path) -> None:
    check = verify_backup(archive)
    for problem in check.problems:
        click.echo(f"BROKEN: {problem}", err=True)
    if not check.sound or check.manifest is None:
        sys.exit(1)
    click.echo(
        f"Backup intact: {len(check.manifest.files)} files match their SHA-256 "
        f"(made {check.manifest.created_at}, {check.manifest.dialect})."
    )


@backup_cli.command("restore", help="Restore an archive into an empty database and an empty store.")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
def restore(archive: Path) -> None:
    try:
        manifest = restore_backup(archive)
    except BackupRefused as refused:
        click.echo(f"Restore refused, nothing was changed: {refused}", err=True)
        sys.exit(1)
    click.echo(
        f"Restored {archive}: {sum(manifest.tables.values())} rows, "
        f"{sum(1 for name in manifest.files if name.startswith('files/'))} files. "
        "Run `flask audit verify` next."
    )
