"""`flask candidates prune-uploads`: delete stored files no document refers to, and import
files previewed but never confirmed."""

from __future__ import annotations

import click

from exam.core.locks import one_runner_at_a_time
from exam.extensions import db


@click.group("candidates", help="Candidates and their dossiers.")
def candidates_cli() -> None:
    pass


@candidates_cli.command(
    "prune-uploads",
    help="Delete dossier files no document refers to, and import files a day old.",
)
@one_runner_at_a_time("candidates prune-uploads")
def prune() -> None:
    from exam.candidates.import_jobs import prune_staged
    from exam.candidates.operations import prune_uploads

    removed = prune_uploads() + prune_staged()
    db.session.rollback()
    click.echo(f"Removed {len(removed)} file(s).")
