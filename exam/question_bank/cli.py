"""`flask bank import|export`: the same code as the bank's import and export pages.

    flask bank import FILE --bank NAME [--format F] [--dry-run] [--author EMAIL] [--submit]
        [--legal-basis TEXT [--legal-basis-date DD/MM/YYYY]]
    flask bank export --bank NAME --format F --output FILE [--approved-only] [--user EMAIL]
    flask bank keys --bank NAME      (where the right answers sit; exit 1 when skewed)

An import is checked whole first (the dry run); a file with any problem is refused whole,
every problem printed with its line, and the command exits 1 with the bank unchanged.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click
import sqlalchemy as sa

from exam.extensions import db

FORMAT_NAMES = ("gift", "moodle-xml", "aiken", "qti", "native")


@click.group("bank", help="The question bank: import and export files.")
def bank_cli() -> None:
    pass


def _user(email: str | None, option: str):  # -> User | None
    from exam.accounts.models import User

    if not email:
        return None
    user = db.session.scalars(sa.select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        raise click.BadParameter(f"no account {email}", param_hint=option)
    return user


def _bank(name: str):  # -> Bank | None
    from exam.question_bank.models import Bank

    return db.session.scalars(sa.select(Bank).where(Bank.name == name.strip())).first()


@bank_cli.command("import", help="Import a question file into a bank (all or nothing).")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--bank", "bank_name", required=True, help="The bank's name (created if new).")
@click.option(
    "--format", "fmt", type=click.Choice(FORMAT_NAMES), help="Detected from the file if left out."
)
@click.option(
    "--dry-run", is_flag=True, help="Check and show what would be imported; write nothing."
)
@click.option("--author", "author_email", help="The question author the questions are filed under.")
@click.option(
    "--submit", is_flag=True, help="Send the imported questions for review (never approved)."
)
@click.option(
    "--legal-basis", default="", help="Legal basis for the questions the file gives none."
)
@click.option(
    "--legal-basis-date",
    type=click.DateTime(formats=["%d/%m/%Y", "%Y-%m-%d"]),
    help="Date of that document (dd/mm/yyyy).",
)
def import_command(
    file: Path,
    bank_name: str,
    fmt: str | None,
    dry_run: bool,
    author_email: str | None,
    submit: bool,
    legal_basis: str,
    legal_basis_date: dt.datetime | None,
) -> None:
    from exam.accounts.models import Role
    from exam.core.errors import DomainError
    from exam.question_bank.imports import plan_import, run_import
    from exam.question_bank.models import Bank, QuestionStatus
    from exam.question_bank.operations import create_bank

    author = _user(author_email, "--author")
    if not dry_run and author is None:
        raise click.UsageError("--author EMAIL is required to import (or use --dry-run).")
    if author is not None and not author.has_role(Role.QUESTION_AUTHOR):
        raise click.BadParameter(f"{author.email} is not a question author", param_hint="--author")
    bank = _bank(bank_name)
    plan = plan_import(bank or Bank(name=bank_name), file.read_bytes(), fmt, file.name)
    click.echo(f"{file.name}: format {plan.format_label or '?'}, {len(plan.questions)} question(s)")
    for name, count in plan.by_type():
        click.echo(f"  {name:<20} {count}")
    for path, count in plan.by_category():
        click.echo(f"  [{path or '-'}] {count}")
    for notice in plan.notices:
        click.echo(f"NOTE {notice}")
    if without := plan.without_legal_basis():
        given = f": given «{legal_basis}»" if legal_basis else ""
        click.echo(f"{without} question(s) without a legal basis{given}")
    if plan.problems:
        for problem in plan.problems:
            click.echo(f"ERROR {problem}", err=True)
        click.echo(f"Refused: {len(plan.problems)} problem(s); nothing imported.", err=True)
        sys.exit(1)
    if dry_run:
        click.echo("Dry run: nothing written.")
        return
    try:
        if bank is None:
            bank = create_bank(bank_name, "", actor=author)
            click.echo(f"Created the bank «{bank.name}».")
        status = QuestionStatus.SUBMITTED if submit else QuestionStatus.DRAFT
        created = run_import(
            bank,
            plan,
            actor=author,
            status=status,
            legal_basis=legal_basis,
            legal_basis_date=legal_basis_date.date() if legal_basis_date else None,
        )
    except DomainError as error:
        db.session.rollback()
        click.echo(f"Refused: {error.message}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"Imported {len(created)} question(s) into «{bank.name}» as {status.value}.")


@bank_cli.command("export", help="Export a bank's questions (current versions) to a file.")
@click.option("--bank", "bank_name", required=True)
@click.option("--format", "fmt", required=True, type=click.Choice(FORMAT_NAMES))
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--approved-only", is_flag=True, help="Only approved questions.")
@click.option("--user", "user_email", help="Who exports (written in the audit trail).")
def export_command(
    bank_name: str, fmt: str, output: Path, approved_only: bool, user_email: str | None
) -> None:
    from exam.core.errors import DomainError
    from exam.question_bank.formats import export_losses
    from exam.question_bank.models import QuestionStatus
    from exam.question_bank.operations import export_questions, question_data
    from exam.question_bank.queries import QuestionFilter, find_questions

    user = _user(user_email, "--user")
    bank = _bank(bank_name)
    if bank is None:
        raise click.BadParameter(f"no bank named «{bank_name}»", param_hint="--bank")
    where = QuestionFilter(
        status=QuestionStatus.APPROVED if approved_only else None, include_retired=False
    )
    questions = [found.question for found in find_questions(bank.id, where)]
    for loss in export_losses([question_data(q.current) for q in questions], fmt):
        click.echo(f"WARNING {loss}", err=True)
    try:
        done = export_questions(bank, questions, fmt, actor=user)
    except DomainError as error:
        db.session.rollback()
        click.echo(f"Refused: {error.message}", err=True)
        sys.exit(1)
    for problem in done.left_out:
        click.echo(f"LEFT OUT {problem}", err=True)
    output.write_bytes(done.content)
    db.session.commit()
    click.echo(f"Exported {len(done.keys)} question(s) to {output}.")


@bank_cli.command("keys", help="Where the right answers sit: flag a skewed key position.")
@click.option("--bank", "bank_name", required=True)
def keys_command(bank_name: str) -> None:
    """Per type (single choice, multiple response, true/false), the right answers at each
    position of the bank's order; exits 1 when a type is skewed (KeyPositions.skewed)."""
    from exam.question_bank.queries import key_position_report

    bank = _bank(bank_name)
    if bank is None:
        raise click.BadParameter(f"no bank named «{bank_name}»", param_hint="--bank")
    report = key_position_report(bank.id)
    for kind in report.types:
        labels = ["true", "false"] if kind.type == "true_false" else "ABCDEFGHIJ"
        verdict = "SKEWED" if kind.skewed else "ok"
        if kind.questions < report.rule.questions:
            verdict = "too few to judge"
        click.echo(f"{kind.type}: {kind.questions} question(s), p = {kind.p_value:.2g}, {verdict}")
        for position, count in enumerate(kind.keys):
            share, fair = kind.share(position), kind.fair(position)
            click.echo(f"  {labels[position]:<6} {count:>5}  {share:6.1%}  (random: {fair:.1%})")
    if not report.types:
        click.echo("No choice or true/false questions.")
    if report.skewed:
        sys.exit(1)
