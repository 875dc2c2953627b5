"""The announcement of a round (thông báo thi tuyển): the positions open, their posts and
standards, the registration period and the dates of the tests, as an official document
(NĐ 30) on the shared base, templates/pdf/round_announcement.html."""

from __future__ import annotations

from exam.core.db import utcnow
from exam.core.documents import DocumentFrame, council_signature
from exam.core.pdf import render_pdf
from exam.rounds.models import Round

ANNOUNCEMENT_SYMBOL = "TB-HĐTT"


def announcement_frame(round_: Round) -> DocumentFrame:
    """Dated the day the round was announced (opened for registration), never the day it is
    downloaded; a round not announced yet is dated today, as a draft."""
    return DocumentFrame(
        parent_body=round_.parent_body,
        issued_at=round_.published_at or utcnow(),
        signature=council_signature(),
        recipients=("Các cơ quan, đơn vị trực thuộc", "Cổng thông tin điện tử", "Lưu: HĐTT"),
        symbol=ANNOUNCEMENT_SYMBOL,
    )


def render_announcement(round_: Round) -> bytes:
    positions = [p for p in round_.positions if p.stopped_at is None]
    return render_pdf(
        "pdf/round_announcement.html",
        document=announcement_frame(round_),
        round=round_,
        positions=positions,
    )
