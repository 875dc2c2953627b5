"""Admission cards (thẻ dự thi): who the candidate is (name, date of birth, registration
number, photo when the dossier has one) and where and when they sit each test. Plain values;
the sittings come from the caller (the exams, above this domain, know sessions and rooms)."""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass

from exam.candidates.models import Application, ApplicationDocument
from exam.candidates.uploads import key_of
from exam.core.documents import Verification
from exam.core.pdf import render_pdf
from exam.core.storage import storage

PHOTO_TYPES = ("image/jpeg", "image/png")


@dataclass(frozen=True)
class Sitting:
    test: str
    starts_at: dt.datetime | None  # None: not scheduled yet
    session: str
    room: str


@dataclass(frozen=True)
class AdmissionCard:
    round_name: str
    parent_body: str
    organisation: str
    position: str
    full_name: str
    date_of_birth: dt.date
    registration_number: str
    photo: str | None  # a data: address of the photo, None when the dossier has none
    sittings: tuple[Sitting, ...]


def photo_of(application: Application) -> ApplicationDocument | None:
    """The dossier's photo: its first image file (JPEG or PNG; the type was read from the
    content at upload). PDFs in the dossier are scans of papers, never a photo."""
    for document in application.documents:
        if document.content_type in PHOTO_TYPES:
            return document
    return None


def _photo_address(application: Application) -> str | None:
    document = photo_of(application)
    if document is None:
        return None
    try:
        data = storage().read(key_of(document.stored_name))
    except OSError:
        return None  # the file is gone: a card without a photo rather than no card
    return f"data:{document.content_type};base64,{base64.b64encode(data).decode()}"


def admission_card(application: Application, sittings: tuple[Sitting, ...]) -> AdmissionCard:
    round_ = application.round
    return AdmissionCard(
        round_name=round_.name,
        parent_body=round_.parent_body,
        organisation=round_.organisation,
        position=application.position.label,
        full_name=application.candidate.full_name,
        date_of_birth=application.date_of_birth,
        registration_number=application.registration_number or "",
        photo=_photo_address(application),
        sittings=sittings,
    )


def render_admission_card(card: AdmissionCard, verification: Verification | None = None) -> bytes:
    """The card's PDF; issued (exam/exams/cards.py) with its ``verification`` printed on it."""
    return render_pdf("pdf/admission_card.html", card=card, verification=verification)
