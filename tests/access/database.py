"""The whole database as rows, to show that a refused request changed nothing."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from exam.extensions import db


def database_rows() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order, as committed by the requests."""
    db.session.expire_all()
    rows = {}
    for table in db.metadata.sorted_tables:
        query = sa.select(table).order_by(*table.primary_key.columns)
        rows[table.name] = [tuple(row) for row in db.session.execute(query)]
    return rows


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]
