"""`flask accounts create` and `flask accounts deactivate`: accounts made on the server."""

from __future__ import annotations

import click

from exam.accounts.models import Role
from exam.accounts.operations import create_user, deactivate_user, find_user_by_email
from exam.core.errors import ValidationFailed
from exam.extensions import db


@click.group("accounts", help="Accounts.")
def accounts_cli() -> None:
    pass


@accounts_cli.command("create", help="Create an account with one or more roles.")
@click.argument("email")
@click.option("--name", "full_name", required=True)
@click.option("--role", "roles", multiple=True, required=True)
@click.password_option()
def accounts_create(email: str, full_name: str, roles: tuple[str, ...], password: str) -> None:
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
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account {email}.")
    deactivate_user(user, actor=None)
    db.session.commit()
    click.echo(f"Deactivated {user.email}; its sessions have ended.")
