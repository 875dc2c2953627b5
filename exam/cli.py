"""`flask <group> <command>`: what operators run on the server."""

from __future__ import annotations

import sys

import click
from flask import Flask

from exam.core.db import utcnow
from exam.extensions import db


def register_commands(app: Flask) -> None:
    app.cli.add_command(audit_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(accounts_cli)
    app.cli.add_command(exams_cli)

    from exam.candidates.cli import candidates_cli
    from exam.notices.cli import notices_cli
    from exam.question_bank.cli import bank_cli

    app.cli.add_command(notices_cli)
    app.cli.add_command(candidates_cli)
    app.cli.add_command(bank_cli)


@click.group("audit", help="The audit trail.")
def audit_cli() -> None:
    pass


@audit_cli.command(
    "verify",
    help="Check the hash chain, the pending journal and the audited values; exit 1 on any gap.",
)
@click.option(
    "--anchor",
    "anchors",
    multiple=True,
    help="SEQ:HASH printed on a published document; its entry must still be there.",
)
def audit_verify(anchors: tuple[str, ...]) -> None:
    from exam.audit.operations import (
        Anchor,
        forged_pending,
        keep_anchor,
        seal_pending,
        stored_anchors,
        verify_chain,
    )
    from exam.audit.reconcile import compare_with_trail

    try:
        parsed = tuple(Anchor.parse(text) for text in anchors)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--anchor") from None
    seal_pending()  # the hot paths' entries join the chain before it is checked
    db.session.commit()
    try:
        kept = stored_anchors()
    except ValueError as error:
        click.echo(f"BROKEN: {error}", err=True)
        sys.exit(1)
    report = verify_chain(kept + parsed)
    problems = report.problems + forged_pending() + compare_with_trail()
    for problem in problems:
        click.echo(f"BROKEN: {problem}", err=True)
    if report.intact:
        keep_anchor()  # the chain checked whole: its head is worth keeping
    if problems:
        sys.exit(1)
    click.echo(f"Audit trail intact: {report.checked} entries checked.")


@audit_cli.command(
    "seal",
    help="Move the entries written on hot paths into the chain and keep its head as an anchor.",
)
def audit_seal() -> None:
    from exam.audit.operations import (
        check_anchor,
        forged_pending,
        keep_anchor,
        seal_pending,
        stored_anchors,
    )

    sealed = seal_pending()
    db.session.commit()
    click.echo(f"Pending entries sealed into the chain: {sealed}.")
    try:
        kept = stored_anchors()
    except ValueError as error:
        click.echo(f"BROKEN: {error}", err=True)
        sys.exit(1)
    # The newest anchor, one read: a chain emptied or cut short since the last seal is
    # reported at once (and no anchor is taken of it); `verify` walks the whole chain.
    broken = check_anchor(kept[-1]) if kept else None
    problems = ([broken] if broken else []) + forged_pending()
    for problem in problems:
        click.echo(f"BROKEN: {problem}", err=True)
    if broken is None:
        keep_anchor()
    if problems:
        sys.exit(1)


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


@click.group("accounts", help="Accounts.")
def accounts_cli() -> None:
    pass


@accounts_cli.command("create", help="Create an account with one or more roles.")
@click.argument("email")
@click.option("--name", "full_name", required=True)
@click.option("--role", "roles", multiple=True, required=True)
@click.password_option()
def accounts_create(email: str, full_name: str, roles: tuple[str, ...], password: str) -> None:
    from exam.accounts.models import Role
    from exam.accounts.operations import create_user
    from exam.core.errors import ValidationFailed

    try:
        create_user(email, full_name, password, {Role(r) for r in roles}, actor=None)
    except (ValidationFailed, ValueError) as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Created {email}.")


@accounts_cli.command(
    "deactivate", help="Deactivate an account: it cannot sign in, its sessions end at once."
)
@click.argument("email")
def accounts_deactivate(email: str) -> None:
    from exam.accounts.operations import deactivate_user, find_user_by_email

    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account {email}.")
    deactivate_user(user, actor=None)
    db.session.commit()
    click.echo(f"Deactivated {user.email}; its sessions have ended.")


@click.group("exams", help="Computer-based tests.")
def exams_cli() -> None:
    pass


@exams_cli.command("close-expired", help="Submit every paper whose time is up (run each minute).")
def exams_close_expired() -> None:
    from flask import current_app

    from exam.exams.sitting import close_expired_attempts

    closed = close_expired_attempts(
        at=utcnow(), grace_seconds=current_app.config["ANSWER_GRACE_SECONDS"]
    )
    db.session.commit()
    click.echo(f"Closed {closed} attempt(s).")
