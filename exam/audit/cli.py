"""`flask audit verify` and `flask audit seal`: checking the hash chain and anchoring its head."""

from __future__ import annotations

import sys

import click

from exam.audit.operations import (
    Anchor,
    check_anchor,
    forged_pending,
    keep_anchor,
    seal_pending,
    stored_anchors,
    verify_chain,
)
from exam.audit.reconcile import compare_with_trail
from exam.core.locks import one_runner_at_a_time
from exam.extensions import db


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
@one_runner_at_a_time("audit seal")
def audit_seal() -> None:
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
