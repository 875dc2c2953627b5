"""The fast path's row adapters: each turns a statement's rows into the same Python values
whichever way they came, from the driver (psycopg gives an enum as its string and a datetime
in the connection's zone) or from SQLAlchemy (its column types: the enum, UTC). Each statement
of exam/exams/hotpath/statements.py names its adapter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from exam.exams.models import AttemptStatus, Penalty, deadline


@dataclass
class PaperState:
    attempt_id: int
    status: AttemptStatus
    deadline_at: dt.datetime
    candidate_id: int


# --- the adapters' conversions ---------------------------------------------------------------

_STATUS = {status.value: status for status in AttemptStatus}  # str or member -> member
_PENALTY = {penalty.value: penalty for penalty in Penalty}


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """psycopg gives the connection's zone, SQLAlchemy's ``UTCDateTime`` UTC: UTC for both."""
    return None if value is None else value.astimezone(dt.UTC)


def _first(from_row: Callable[[Any], Any]) -> Callable[[Sequence[Any]], Any]:
    """The adapter of a statement of at most one row: that row adapted, or None."""
    return lambda rows: from_row(rows[0]) if rows else None


def _count(rows: Sequence[Any]) -> int:
    """How many rows a write returned (a started paper; the audit entry's id is not kept:
    it comes from a sequence)."""
    return len(rows)


def _seq_by_item(rows: Sequence[Any]) -> dict[int, int]:
    """Rows of (item, seq): the seq stored for each item."""
    return {item: seq for item, seq in rows}


def _kept_seq(rows: Sequence[Any]) -> int | None:
    """The seq an upsert wrote; None when the stored answer was newer."""
    return rows[0].seq if rows else None


def _status(rows: Sequence[Any]) -> AttemptStatus | None:
    return _STATUS[rows[0].status] if rows else None


class PaperRow(NamedTuple):
    """The paper's columns that give its status and deadline (``_paper_columns``)."""

    status: AttemptStatus
    time_percent: int
    extra_minutes: int
    starts_at: dt.datetime
    duration_minutes: int

    @classmethod
    def from_row(cls, row: Any) -> PaperRow:
        return cls(
            _STATUS[row.status],
            row.time_percent,
            row.extra_minutes,
            row.starts_at.astimezone(dt.UTC),
            row.duration_minutes,
        )

    @property
    def deadline_at(self) -> dt.datetime:
        return deadline(
            self.starts_at, self.duration_minutes, self.time_percent, self.extra_minutes
        )

    def state(self, attempt_id: int, candidate_id: int) -> PaperState:
        return PaperState(attempt_id, self.status, self.deadline_at, candidate_id)


class StartRow(NamedTuple):
    paper: PaperRow
    late_entry_minutes: int
    code: str
    email: str
    wrong_codes: int  # entered since the window's start

    @classmethod
    def from_row(cls, row: Any) -> StartRow:
        return cls(
            PaperRow.from_row(row), row.late_entry_minutes, row.code, row.email, row.wrong_codes
        )


class OpenPaperRow(NamedTuple):
    paper: PaperRow
    title: str
    full_name: str
    locale: str
    questions: int
    html: str

    @classmethod
    def from_row(cls, row: Any) -> OpenPaperRow:
        return cls(
            PaperRow.from_row(row), row.title, row.full_name, row.locale, row.questions, row.html
        )


class PaperItems(NamedTuple):
    """The paper and the questions a save names (one row per item; JSON ``data`` comes
    decoded both ways)."""

    paper: PaperRow
    token_secret: str
    items: dict[int, tuple[str, Any]]  # item -> its question's (type, data)
    points: dict[int, float]  # item -> the points it is worth on this paper

    @classmethod
    def from_rows(cls, rows: Sequence[Any]) -> PaperItems | None:
        if not rows:
            return None
        named = [row for row in rows if row.item is not None]
        items = {row.item: (row.type, row.data) for row in named}
        points = {row.item: row.points for row in named}
        return cls(PaperRow.from_row(rows[0]), rows[0].token_secret, items, points)


class PaperKeyRows(NamedTuple):
    """A paper's option-token secret and its items' (question version, points)."""

    token_secret: str
    items: dict[int, tuple[int, float]]

    @classmethod
    def from_rows(cls, rows: Sequence[Any]) -> PaperKeyRows | None:
        if not rows:
            return None
        return cls(rows[0].token_secret, {row.item: (row.version, row.points) for row in rows})


def _versions_data(rows: Sequence[Any]) -> dict[int, tuple[str, Any]]:
    """Rows of (id, type, data): each version's (type, data)."""
    return {row.id: (row.type, row.data) for row in rows}


class SavedBatch(NamedTuple):
    """A one-trip save's result: the paper's state, whether it was accepting answers (as
    the statement decided), and the seq written for each item the save wrote."""

    paper: PaperRow
    accepting: bool
    saved: dict[int, int]

    @classmethod
    def from_rows(cls, rows: Sequence[Any]) -> SavedBatch | None:
        if not rows:
            return None
        saved = {row.item: row.seq for row in rows if row.item is not None}
        return cls(PaperRow.from_row(rows[0]), rows[0].accepting, saved)


class PollRows(NamedTuple):
    """The paper and its stored answers (one row per answer; the paper's columns are the
    same on each, so they are converted once, not per row)."""

    paper: PaperRow
    last_seen_at: dt.datetime | None
    answers: dict[int, int]  # item -> seq of its stored answer

    @classmethod
    def from_rows(cls, rows: Sequence[Any]) -> PollRows | None:
        if not rows:
            return None
        answers = {row.item: row.seq for row in rows if row.item is not None}
        return cls(PaperRow.from_row(rows[0]), _utc(rows[0].last_seen_at), answers)


class SubmitRow(NamedTuple):
    """The candidate's own paper at Submit, its row locked (PostgreSQL), and who they are
    for the audit trail."""

    paper: PaperRow
    email: str

    @classmethod
    def from_row(cls, row: Any) -> SubmitRow:
        return cls(PaperRow.from_row(row), row.email)


class ItemToScore(NamedTuple):
    item: int
    points: float  # what the question is worth on this paper
    voided: bool
    awarded_points: float | None  # a mark given by people (an essay)
    type: str
    answered: bool | None  # None: no answer stored
    stored_points: float | None  # the answer's points, scored when it was saved


class PaperToScore(NamedTuple):
    """What a paper's closing reads: its state, its penalty and each item in order."""

    paper: PaperRow
    penalty: Penalty
    reprimand_percent: int
    warning_percent: int
    items: tuple[ItemToScore, ...]

    @classmethod
    def from_rows(cls, rows: Sequence[Any]) -> dict[int, PaperToScore]:
        """One row per item, ordered by paper and position: each paper once, by id."""
        papers: dict[int, PaperToScore] = {}
        items: dict[int, list[ItemToScore]] = {}
        for row in rows:
            attempt = row[0]
            if attempt not in papers:
                papers[attempt] = cls(
                    PaperRow.from_row(row),
                    _PENALTY[row.penalty],
                    row.reprimand_percent,
                    row.warning_percent,
                    (),
                )
                items[attempt] = []
            # The item's columns are the statement's last seven (positions: 60 rows a paper).
            items[attempt].append(ItemToScore._make(row[-7:]))
        return {key: paper._replace(items=tuple(items[key])) for key, paper in papers.items()}


def _ids(rows: Sequence[Any]) -> list[int]:
    """The ids a statement returned, in its order."""
    return [row.id for row in rows]


class ResultRow(NamedTuple):
    """A submitted paper's result as its page shows it, with when the test's review opens
    (the latest deadline of its papers)."""

    status: AttemptStatus
    score: float | None
    final_score: float | None
    max_score: float
    penalty: Penalty
    submitted_at: dt.datetime | None
    submitted_by_server: bool
    acknowledged_at: dt.datetime | None
    title: str
    review_option: str
    pass_mark: int
    full_name: str
    review_opens_at: dt.datetime | None

    @classmethod
    def from_row(cls, row: Any) -> ResultRow:
        opens = None
        if row.latest_start is not None:
            latest = row.latest_start
            latest = latest if latest.tzinfo else latest.replace(tzinfo=dt.UTC)
            opens = deadline(
                latest.astimezone(dt.UTC),
                row.duration_minutes,
                row.latest_percent or 0,
                row.latest_extra or 0,
            )
        return cls(
            _STATUS[row.status],
            row.score,
            row.final_score,
            round(row.max_score or 0.0, 2),
            _PENALTY[row.penalty],
            _utc(row.submitted_at),
            row.submitted_by_server,
            _utc(row.acknowledged_at),
            row.title,
            getattr(row.review_option, "value", row.review_option),
            row.pass_mark,
            row.full_name,
            opens,
        )
