"""The announcement of a round (thông báo thi tuyển): the positions open, their posts and
standards, the registration period and the dates of the tests, as an official document
(NĐ 30) on the shared base, templates/pdf/round_announcement.html."""

from __future__ import annotations

import datetime as dt

from exam.core.db import utcnow
from exam.core.documents import DocumentFrame, Verification, council_signature
from exam.core.pdf import render_pdf
from exam.rounds.models import Round

ANNOUNCEMENT_SYMBOL = "TB-HĐTT"


def announcement_frame(
    round_: Round,
    *,
    number: int | None = None,
    issued_at: dt.datetime | None = None,
    verification: Verification | None = None,
) -> DocumentFrame:
    """Dated the day the round was announced (``issued_at``: it opened for registration),
    never the day it is downloaded; a draft, or a round announced before announcements were
    issued, is dated as before (its results' publication, else today)."""
    return DocumentFrame(
        parent_body=round_.parent_body,
        issued_at=issued_at or round_.published_at or utcnow(),
        signature=council_signature(),
        recipients=("Các cơ quan, đơn vị trực thuộc", "Cổng thông tin điện tử", "Lưu: HĐTT"),
        symbol=ANNOUNCEMENT_SYMBOL,
        number=number,
        verification=verification,
    )


def render_announcement(
    round_: Round,
    *,
    number: int | None = None,
    issued_at: dt.datetime | None = None,
    verification: Verification | None = None,
) -> bytes:
    """The announcement's PDF; issued once with its ``number`` in the Council's register and
    its ``verification`` as the round is announced (exam/documents/announcements.py)."""
    # As announced: a position stopped after the announcement's date was announced with it.
    positions = [
        p
        for p in round_.positions
        if p.stopped_at is None or (issued_at is not None and p.stopped_at > issued_at)
    ]
    return render_pdf(
        "pdf/round_announcement.html",
        document=announcement_frame(
            round_, number=number, issued_at=issued_at, verification=verification
        ),
        round=round_,
        positions=positions,
    )
