"""What a save checks a response against, kept by each process: a paper's option-token secret
and its items' question versions and points, and the versions' type and data. All of it is
fixed once the paper is drawn (a version is never edited: an edit makes a new one), so a
process may keep it; and the one-trip save (``Statement.SAVE_CHECKED``) checks again, in SQL,
that the paper still has this secret and each item this paper and version, so a stale entry
costs a save its second round trip, never a wrong answer.

Why: on PostgreSQL a save's read of these facts was a round trip of its own, about a third of
a save's CPU on the application server (bench/autosave.py). The process meets each paper's
first save once; with 8,000 candidates saving every 10 seconds over a 90-minute test, a
worker's misses are one per paper against hundreds of saves.

Bounded: a paper's entry is about 2 KB for 60 questions (``PAPERS_KEPT`` papers: 40 MB at
most, 16 MB for 8,000 candidates), a version's the size of its data; the least recently used
goes first. One store per database engine, so that a process serving several databases
(the tests) never mixes their ids."""

from __future__ import annotations

import threading
import weakref
from array import array
from bisect import bisect_left
from collections import OrderedDict
from typing import Any, NamedTuple

import sqlalchemy as sa

from exam.exams.hotpath.runner import session_bind

PAPERS_KEPT = 20_000
VERSIONS_KEPT = 5_000


class PaperKeys(NamedTuple):
    """A paper's keys, in arrays rather than a dict of tuples: 2 KB for 60 questions where
    the dict took 11 KB."""

    token_secret: str
    items: array  # the items' ids, ascending
    versions: array  # each item's question version
    points: array  # what each item is worth on this paper

    @classmethod
    def of(cls, token_secret: str, items: dict[int, tuple[int, float]]) -> PaperKeys:
        """From item -> (question version, points)."""
        ids = sorted(items)
        return cls(
            token_secret,
            array("q", ids),
            array("q", (items[item][0] for item in ids)),
            array("d", (items[item][1] for item in ids)),
        )

    def get(self, item_id: int) -> tuple[int, float] | None:
        """The item's (question version, points), if it is this paper's."""
        at = bisect_left(self.items, item_id)
        if at < len(self.items) and self.items[at] == item_id:
            return self.versions[at], self.points[at]
        return None

    def as_dict(self) -> dict[int, tuple[int, float]]:
        return {item: (version, points) for item, version, points in zip(*self[1:], strict=True)}


class Question(NamedTuple):
    type: str
    data: Any


class _Kept:
    """A bounded least-recently-used map, safe to share between a worker's threads."""

    def __init__(self, size: int):
        self.size = size
        self.entries: OrderedDict[int, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: int) -> Any:
        with self.lock:
            value = self.entries.get(key)
            if value is not None:
                self.entries.move_to_end(key)
            return value

    def put(self, key: int, value: Any) -> None:
        with self.lock:
            self.entries[key] = value
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)

    def drop(self, key: int) -> None:
        with self.lock:
            self.entries.pop(key, None)


class KeyStore:
    def __init__(self, papers: int = PAPERS_KEPT, versions: int = VERSIONS_KEPT):
        self.papers = _Kept(papers)
        self.versions = _Kept(versions)


_STORES: weakref.WeakKeyDictionary[sa.Engine, KeyStore] = weakref.WeakKeyDictionary()
_STORES_LOCK = threading.Lock()


def key_store() -> KeyStore:
    """This process's store for the session's database."""
    bind = session_bind()
    engine = bind if isinstance(bind, sa.Engine) else bind.engine
    store = _STORES.get(engine)
    if store is None:
        with _STORES_LOCK:
            store = _STORES.setdefault(engine, KeyStore())
    return store
