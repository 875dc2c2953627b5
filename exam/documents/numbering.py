"""The register of document numbers in a round (NĐ 30/2020 Art. 15, Appendix I): an issuer
numbers its documents in ONE sequence, whatever their kind ("05/QĐ-HĐTT", "06/TTr-HĐTT",
"07/BB-HĐTT" are the Council's 5th, 6th and 7th documents of the year), starting again at 01
on 1 January. So a sequence number is used once per issuer and year: 06/QĐ-HĐTT after
06/TTr-HĐTT is refused.

The year: a round lives within one or two calendar years; a number is taken when the same
issuer used its sequence number in a document dated in the same year (the year of the new
document's date, ``on``: today in Hanoi unless given). Besides, a full number ("06/QĐ-HĐTT")
is used once in a round whatever the year, since a round's documents are found by their
number; the suggested number skips both.

The issuer is the name printed on the document (``exam.core.documents.COUNCIL``, "Hội đồng
thi tuyển", for the Council and its boards' documents; the organising agency's name for the
decisions setting up the Council and the supervisory board), compared without regard to case
or spacing.

What holds a number: every issued document of the round (exam/documents/models.py), and the
numbers the domains above record before, or without, a document of their own (a body's setup
decision, the Council's decision approving a ranking, whose document is issued after it):
those domains register a source with ``number_source`` (the documents sit below them)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.audit.operations import lock_chain
from exam.core.db import utcnow
from exam.core.i18n import to_local
from exam.documents.models import DocumentKind, IssuedDocument
from exam.extensions import db

MAX_NUMBER_LENGTH = 50  # the shortest column holding a number (ranking_decisions, bodies)

# "12/QĐ-HĐTT": the number in the issuer's sequence, then the document's symbol (the kind's
# abbreviation, a dash, the issuer's).
NUMBER = re.compile(r"(\d{1,6})/(\S+)")
_LOOSE_NUMBER = re.compile(r"0*(\d{1,6})\s*/\s*(\S+)")

# Documents sent under another document's number (each candidate's result notice carries
# the decision's), or numbered outside the register (an admission card by its registration
# number, "SBD 003"): they hold no number of the register, and there are one per candidate.
_CARRIED_NUMBER_KINDS = (DocumentKind.RESULT_NOTICE, DocumentKind.ADMISSION_CARD)


@dataclass(frozen=True)
class HeldNumber:
    """A number used in a round: by whom (``issuer``), on which day, and what holds it, in
    words ("Quyết định thành lập Ban chấm thi"), for the message refusing it again."""

    number: str
    issuer: str
    on: dt.date
    holder: str


NumberSource = Callable[[int], Iterable[HeldNumber]]

# The sources by their full name (importing a module twice registers nothing twice).
_SOURCES: dict[str, NumberSource] = {}


def number_source(source: NumberSource) -> NumberSource:
    """Decorator: ``source(round_id)`` lists the numbers a domain holds in the round outside
    the issued documents."""
    _SOURCES[f"{source.__module__}.{source.__qualname__}"] = source
    return source


def _clean(text: str | None) -> str:
    """One line, single spaces, composed Vietnamese (a keyboard may send decomposed marks)."""
    return unicodedata.normalize("NFC", " ".join((text or "").split()))


def canonical_number(text: str | None) -> str:
    """The number as NĐ 30 writes it: a leading zero under 10 ("5 / QĐ-HĐTT" →
    "05/QĐ-HĐTT"), so that the same number typed two ways is seen as one."""
    cleaned = _clean(text)
    parts = _LOOSE_NUMBER.fullmatch(cleaned)
    return f"{int(parts[1]):02d}/{parts[2]}" if parts else cleaned


def split_number(number: str | None) -> tuple[int | None, str]:
    """ "05/QĐ-HĐTT" → (5, "QĐ-HĐTT"); a number in another form → (None, the text)."""
    cleaned = _clean(number)
    parts = _LOOSE_NUMBER.fullmatch(cleaned)
    return (int(parts[1]), parts[2]) if parts else (None, cleaned)


def _same_issuer(a: str, b: str) -> bool:
    return _clean(a).casefold() == _clean(b).casefold()


def today() -> dt.date:
    """Today in Hanoi: the date a new document would carry."""
    return to_local(utcnow()).date()


def held_numbers(round_id: int) -> list[HeldNumber]:
    """Every number used in the round, each once (a decision and its document hold one
    number), in the order the sources and then the documents give them.

    Reading the register holds it until the transaction ends: the number found free is
    taken in the same transaction, in a source's table or in the issued documents, and no
    constraint spans them, so a second reader must wait for the first's commit and then
    find its number taken. The lock is the audit chain's: a number is only ever taken by an
    audited operation, whose entry takes that lock anyway; a lock of the register's own
    would be taken before the entry in some operations (a proposal) and after it in others
    (a sealed sheet's minutes), and two of them at once could deadlock."""
    lock_chain()
    held: list[HeldNumber] = []
    for source in _SOURCES.values():
        held.extend(source(round_id))
    # A number sent to each candidate (one per subject) is one entry: grouped in the query,
    # so that a round of 10,000 candidates reads a few rows, not one per candidate.
    columns = (
        IssuedDocument.number,
        IssuedDocument.issuer,
        IssuedDocument.issued_on,
        IssuedDocument.kind,
    )
    documents = db.session.execute(
        sa.select(*columns)
        .where(
            IssuedDocument.round_id == round_id,
            IssuedDocument.kind.notin_(_CARRIED_NUMBER_KINDS),
            IssuedDocument.number.contains("/"),  # references without a sequence aside
        )
        .group_by(*columns)
        .order_by(sa.func.min(IssuedDocument.id))
    )
    held.extend(
        HeldNumber(number, issuer, issued_on, str(kind.title))
        for number, issuer, issued_on, kind in documents
    )
    seen: set[tuple[str, str]] = set()
    unique = []
    for item in held:
        key = (item.number.casefold(), _clean(item.issuer).casefold())
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


def _in_sequence(round_id: int, issuer: str, year: int) -> list[tuple[int, HeldNumber]]:
    return [
        (sequence, item)
        for item in held_numbers(round_id)
        if _same_issuer(item.issuer, issuer) and item.on.year == year
        for sequence in [split_number(item.number)[0]]
        if sequence is not None
    ]


def used_sequence_numbers(round_id: int, issuer: str, *, year: int | None = None) -> set[int]:
    """The sequence numbers ``issuer`` used in the round in ``year`` (this year unless
    given), whatever the documents' symbols."""
    return {sequence for sequence, _item in _in_sequence(round_id, issuer, year or today().year)}


def suggested_number(round_id: int, issuer: str, symbol: str, *, on: dt.date | None = None) -> str:
    """The issuer's next number in the round for a document dated ``on`` (today unless
    given), with ``symbol``: "07/BB-HĐTT" after the Council's 06. Never a number already
    used in the round."""
    taken = {item.number.casefold() for item in held_numbers(round_id)}
    sequence = max(used_sequence_numbers(round_id, issuer, year=(on or today()).year), default=0)
    while True:
        sequence += 1
        number = f"{sequence:02d}/{symbol}"
        if number.casefold() not in taken:
            return number


def number_problems(
    round_id: int,
    issuer: str,
    number: str,
    *,
    on: dt.date | None = None,
    field: str | None = "number",
    example: str = "05/QĐ-HĐTT",
) -> list[tuple[str | None, str]]:
    """Why ``number`` (as typed: "6/qđ-hđtt" is "06/qđ-hđtt") cannot be the number of a new
    document of ``issuer`` dated ``on`` (today unless given): not a number, too long, the
    same number already used in the round, or its sequence number already used by the issuer
    that year, whatever the symbol. Each problem names the document holding the number. Empty
    when the number is free."""
    number = canonical_number(number)
    if not number:
        return [(field, _l("Vui lòng điền mục này."))]
    parts = NUMBER.fullmatch(number)
    if parts is None:
        return [(field, _l("Ghi số văn bản theo dạng số/ký hiệu, ví dụ %(e)s.", e=example))]
    if len(number) > MAX_NUMBER_LENGTH:
        return [(field, _l("Tối đa %(n)s ký tự.", n=MAX_NUMBER_LENGTH))]
    wanted = number.casefold()
    for item in held_numbers(round_id):
        if item.number.casefold() == wanted:
            return [(field, _l("Số %(n)s đã dùng cho %(d)s.", n=item.number, d=item.holder))]
    year = (on or today()).year
    sequence = int(parts[1])
    for used, item in _in_sequence(round_id, issuer, year):
        if used == sequence:
            return [
                (
                    field,
                    _l(
                        "Số thứ tự %(s)s năm %(y)s đã dùng cho %(d)s số %(n)s: mỗi văn bản "
                        "của %(i)s mang một số thứ tự riêng trong năm, dù loại văn bản khác.",
                        s=f"{sequence:02d}",
                        y=year,
                        d=item.holder,
                        n=item.number,
                        i=_clean(issuer),
                    ),
                )
            ]
    return []
