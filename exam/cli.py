"""`flask <group> <command>`: what operators run on the server, each domain's commands
registered from its own cli.py, and the demo."""

from __future__ import annotations

import click
from flask import Flask

from exam.accounts.cli import accounts_cli
from exam.appeals.cli import appeals_cli
from exam.audit.cli import audit_cli
from exam.candidates.cli import candidates_cli
from exam.core.backup_cli import backup_cli
from exam.core.db import utcnow
from exam.core.jobs_cli import jobs_cli
from exam.exams.cli import exams_cli
from exam.extensions import db
from exam.notices.cli import notices_cli
from exam.question_bank.cli import bank_cli


def register_commands(app: Flask) -> None:
    """Each domain's commands live in its own cli.py; the demo, which fills every domain,
    stays here at the top."""
    for group in (
        audit_cli,
        demo_cli,
        accounts_cli,
        exams_cli,
        notices_cli,
        candidates_cli,
        bank_cli,
        appeals_cli,
        backup_cli,
        jobs_cli,
    ):
        app.cli.add_command(group)


@click.group("demo", help="Demonstration data.")
def demo_cli() -> None:
    pass


@demo_cli.command("load", help="Load the demo round (a Hanoi public service unit).")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database has accounts.")
def demo_load(if_empty: bool) -> None:
    from exam.accounts.models import User
    from exam.demo import DEMO_PASSWORD, load_demo

    if if_empty and db.session.scalar(db.select(db.func.count(User.id))):
        click.echo("Database already has data: demo not loaded.")
        return
    guide = load_demo(now=utcnow())
    db.session.commit()
    click.echo(f"Demo loaded. Every demo account's password: {DEMO_PASSWORD}")
    click.echo("Sign in as:")
    for email, purpose in guide:
        click.echo(f"  {email:<28} {purpose}")
