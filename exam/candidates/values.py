"""A dossier's facts as plain values, at the bottom of the domain: the forms and the Excel
import build them, the operations check and write them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from exam.candidates.models import Gender
from exam.rounds.standards import (
    DegreeLevel,
    Discipline,
    PoliticalTheory,
    Rank,
    Rating,
    StateManagement,
)


@dataclass(frozen=True)
class ApplicationDetails:
    """What the standards need to know, as the candidate declared it (None: not declared)."""

    national_id: str | None = None
    phone: str = ""
    degree_level: DegreeLevel | None = None
    degree_field: str | None = None
    political_theory: PoliticalTheory | None = None
    state_management: StateManagement | None = None
    leadership_training: bool | None = None
    rank: Rank | None = None
    post_held_since: dt.date | None = None
    ratings: tuple[Rating | None, Rating | None, Rating | None] = (None, None, None)
    discipline: Discipline | None = None
    discipline_on: dt.date | None = None
    health_certificate_on: dt.date | None = None


@dataclass(frozen=True)
class Person:
    date_of_birth: dt.date
    gender: Gender
    current_unit: str
    current_post: str


@dataclass(frozen=True)
class FieldProblem:
    """A rule a row of an import breaks, by the dossier's field it concerns ("email",
    "received_on"…; None for the whole row): the Excel module names the column."""

    row: int
    field: str | None
    message: str
