"""The frame of an official document (NĐ 30/2020): who issues it, its number, place and date,
who signs it and who receives it. Plain values, built by the domain that owns the document and
rendered by ``templates/pdf/_document.html``, which every PDF template extends."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from exam.core.i18n import to_local

COUNCIL = "Hội đồng thi tuyển"
COUNCIL_SIGNATURE_CAPACITY = "TM. HỘI ĐỒNG THI TUYỂN"
CHAIR = "CHỦ TỊCH"


def nd30_date(day: dt.date | dt.datetime) -> str:
    """The date line of an official document (NĐ 30/2020, Phụ lục I): a leading zero on days
    under 10 and on months 1 and 2 only, "ngày 05 tháng 3 năm 2026"; a datetime is the day in
    Hanoi. The Jinja filter ``nd30_date``."""
    if isinstance(day, dt.datetime):
        day = to_local(day)
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


@dataclass(frozen=True)
class Verification:
    """What an issued document prints so that anyone can check it (exam/documents): its
    short ``code``, the absolute ``url`` of its public verification page and ``qr_svg``, an
    inline SVG QR code of that URL. The base template prints them as the page footer."""

    code: str
    url: str
    qr_svg: str


@dataclass(frozen=True)
class Signature:
    """The signature block. ``capacity``: "TM. HỘI ĐỒNG THI TUYỂN" when signing on behalf of a
    collective body, empty otherwise; ``function``: "CHỦ TỊCH". Without ``signer`` the name,
    signature and seal are left to be written by hand; ``signed`` prints "(đã ký)" for a copy
    of a document already signed."""

    function: str
    capacity: str = ""
    signer: str = ""
    signed: bool = False


@dataclass(frozen=True)
class DocumentFrame:
    """``symbol``: the number's suffix ("TB-HĐTT"), None for a document that carries no number;
    ``number``: None leaves a blank to fill in by hand once the document is registered."""

    parent_body: str
    issued_at: dt.date | dt.datetime
    signature: Signature
    recipients: tuple[str, ...]
    issuer: str = COUNCIL
    symbol: str | None = None
    number: int | None = None
    place: str = "Hà Nội"
    verification: Verification | None = None


def council_signature(*, signer: str = "", signed: bool = False) -> Signature:
    """The chair signing on behalf of the Council, the signature of most of a round's papers."""
    return Signature(CHAIR, COUNCIL_SIGNATURE_CAPACITY, signer, signed)
