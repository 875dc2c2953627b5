"""`flask appeals holidays …`: the public holidays that the appeal window's working days skip
(the lunar ones change every year: keep the coming year's before results are published)."""

from __future__ import annotations

import datetime as dt

import click

from exam.appeals.operations import add_holiday, remove_holiday
from exam.appeals.queries import appeal_window_closes_on, holidays
from exam.core.errors import DomainError
from exam.extensions import db


@click.group("appeals", help="Appeals (phúc khảo).")
def appeals_cli() -> None:
    pass


@appeals_cli.group("holidays", help="Public holidays, skipped by working days.")
def holidays_cli() -> None:
    pass


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter("a date as YYYY-MM-DD") from None


@holidays_cli.command("list", help="The holidays kept, in order.")
def holidays_list() -> None:
    for holiday in holidays():
        click.echo(f"{holiday.day.isoformat()}  {holiday.name}")


@holidays_cli.command("add", help="Add a holiday: DAY (YYYY-MM-DD) and its name.")
@click.argument("day")
@click.argument("name")
def holidays_add(day: str, name: str) -> None:
    try:
        add_holiday(_day(day), name, actor=None)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"Added {day}.")


@holidays_cli.command("remove", help="Remove the holiday on DAY (YYYY-MM-DD).")
@click.argument("day")
def holidays_remove(day: str) -> None:
    try:
        remove_holiday(_day(day), actor=None)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"Removed {day}.")


@appeals_cli.command("window", help="The last day to appeal results published on DAY.")
@click.argument("day")
def appeals_window(day: str) -> None:
    click.echo(appeal_window_closes_on(_day(day)).isoformat())
