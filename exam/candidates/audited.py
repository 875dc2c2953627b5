"""The dossiers' decisions the audit trail vouches for (``flask audit verify``), registered
with ``exam/audit/reconcile.py``; imported by the app factory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.audit.reconcile import Field, Kind, enum_title, register_kind, text
from exam.candidates.models import Application, ApplicationStatus
from exam.extensions import db


def _status(value: Any) -> str | None:
    return enum_title(ApplicationStatus, value)


def _applications() -> Iterator[tuple[str, dict[str, Any]]]:
    for row in db.session.execute(
        sa.select(Application.id, Application.status, Application.registration_number)
    ):
        yield (
            str(row.id),
            {"status": row.status, "registration_number": row.registration_number},
        )


register_kind(
    Kind(
        "Application",
        _l("hồ sơ"),
        (
            Field("status", _l("kết quả xét hồ sơ"), normalise=_status, default="submitted"),
            Field("registration_number", _l("số báo danh"), normalise=text),
        ),
        _applications,
    )
)
