"""Trending views ranked in memory, kept up to date from the store's signal ledger.

Each serving process holds every scored paper's counts, keys (one array per view), the
time of its last signal (the "active in the span" test) and, per category, the papers
in it. The store keeps the ledger and its snapshot (``paperfeed.store.trending``): a
process builds its ranking from the snapshot plus the ledger rows past it, then catches
up on read by adding the ledger rows past the last id it saw, a sequential read, with
the same arithmetic as the store's fold (``store/trending_rows.add_signals``). ``paperfeed trending
rebuild`` rewrites the snapshot without appending to the ledger; it bumps a generation
number instead, and a process that sees a new generation reloads everything.

Ranking a view is a mask and an ``argpartition``-like cut over at most every scored
paper, then a sort of the page: ties are broken by paper id, as the index walks it
replaces did, so consecutive pages never overlap whichever process serves them.
"""

from __future__ import annotations

import heapq
import math
import threading
import time
import weakref
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from paperfeed.store.community import (
    ALL_CATEGORIES,
    SIGNAL_KINDS,
    WINDOWS,
    SignalScorer,
    TrendingRow,
    Window,
)
from paperfeed.store.trending import LogPosition, ScoreRow, TrendingChanges, TrendingStore
from paperfeed.store.trending_rows import ScoreArrays, add_signals

_COUNTS = len(SIGNAL_KINDS)


TrendingFeed = Callable[[LogPosition | None, Callable[[str], bool]], TrendingChanges | None]
"""An engine's read of the ledger: ``None`` when nothing moved since the position. The
second argument tells papers the ranking already knows (their categories are not read
again)."""


class _Members:
    """A growable array of paper positions (one category's papers)."""

    __slots__ = ("_array", "_count")

    def __init__(self) -> None:
        self._array = np.empty(16, dtype=np.int64)
        self._count = 0

    def extend(self, positions: list[int]) -> None:
        needed = self._count + len(positions)
        if needed > len(self._array):
            grown = np.empty(max(needed, 2 * len(self._array)), dtype=np.int64)
            grown[: self._count] = self._array[: self._count]
            self._array = grown
        self._array[self._count : needed] = positions
        self._count = needed

    def view(self) -> npt.NDArray[np.int64]:
        return self._array[: self._count]


class TrendingRanking:
    """One process's ranking of every view and category, fed by ``feed``.

    ``refresh_seconds`` bounds how often a read asks the store whether the ledger moved
    (0: on every read; the question is one indexed ``max(id)``); ``invalidate`` makes the
    next read ask regardless (after this process wrote). Signals read from the ledger
    are turned into keys by the scorer of the read that found them.
    """

    def __init__(self, feed: TrendingFeed, *, refresh_seconds: float = 0.0) -> None:
        self._feed = feed
        self._refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._position: LogPosition | None = None
        self._checked_at = -math.inf
        self._reset()

    def _reset(self) -> None:
        self._ids: list[str] = []
        self._index: dict[str, int] = {}
        self._counts = np.zeros((_COUNTS, 0), dtype=np.int64)
        self._last = np.zeros(0)
        self._keys = np.full((len(WINDOWS), 0), -np.inf)
        self._members: dict[str, _Members] = {}

    def invalidate(self) -> None:
        self._checked_at = -math.inf

    @property
    def position(self) -> LogPosition | None:
        return self._position

    def __len__(self) -> int:
        return len(self._ids)

    def top(
        self,
        window: Window,
        scorer: SignalScorer,
        *,
        category: str = ALL_CATEGORIES,
        active_since: float | None = None,
        limit: int,
        offset: int = 0,
    ) -> list[tuple[str, float]]:
        """Paper ids and keys, highest key first (ties by paper id), of the papers with
        a key in ``window`` and a signal since ``active_since``."""
        with self._lock:
            self.catch_up_locked(scorer)
            return self._top(WINDOWS.index(window), category, active_since, limit, offset)

    def rows(self, paper_ids: Sequence[str], scorer: SignalScorer) -> dict[str, TrendingRow]:
        """Counts and keys of these papers as of the ledger now (unscored ones absent)."""
        with self._lock:
            self.catch_up_locked(scorer)
            found = {}
            for paper_id in paper_ids:
                position = self._index.get(paper_id)
                if position is not None:
                    found[paper_id] = self._row(paper_id, position)
            return found

    def _row(self, paper_id: str, position: int) -> TrendingRow:
        upvotes, saves, hf_upvotes, stars = (int(c) for c in self._counts[:, position])
        keys = self._keys[:, position].tolist()
        return TrendingRow(
            paper_id=paper_id,
            upvotes=upvotes,
            saves=saves,
            hf_upvotes=hf_upvotes,
            stars=stars,
            last_signal_at=float(self._last[position]),
            keys={
                w: None if key == -math.inf else key for w, key in zip(WINDOWS, keys, strict=True)
            },
        )

    def catch_up(self, scorer: SignalScorer) -> None:
        """Read what the ledger gained since the last look (the whole store at first)."""
        with self._lock:
            self.catch_up_locked(scorer)

    def catch_up_locked(self, scorer: SignalScorer) -> None:
        now = time.monotonic()
        if now - self._checked_at < self._refresh_seconds:
            return
        changes = self._feed(self._position, self._index.__contains__)
        self._checked_at = now
        if changes is None:
            return
        if changes.full:
            self._reset()
        self._apply(changes, scorer)
        self._position = changes.position

    def _apply(self, changes: TrendingChanges, scorer: SignalScorer) -> None:
        first_new = len(self._ids)
        self._place(changes.rows)
        signals = changes.signals
        if len(signals):
            self._add_papers(signals.paper_ids)
            index = self._index
            rows = np.fromiter(
                (index[paper_id] for paper_id in signals.paper_ids),
                dtype=np.intp,
                count=len(signals),
            )
            touched, local = np.unique(rows, return_inverse=True)
            values = ScoreArrays(
                self._counts[:, touched].T.copy(),
                self._last[touched],
                self._keys[:, touched].T.copy(),
            )
            add_signals(values, local.reshape(-1), signals, scorer)
            self._counts[:, touched] = values.counts.T
            self._last[touched] = values.last
            self._keys[:, touched] = values.keys.T
        joined: dict[str, list[int]] = {}
        for paper_id, category in changes.categories:
            position = self._index.get(paper_id)
            if position is not None and position >= first_new:
                joined.setdefault(category, []).append(position)
        for category, members in joined.items():
            self._members.setdefault(category, _Members()).extend(members)

    def _add_papers(self, paper_ids: Sequence[str]) -> None:
        new_ids = list(dict.fromkeys(p for p in paper_ids if p not in self._index))
        self._grow(len(self._ids) + len(new_ids))
        for paper_id in new_ids:
            self._index[paper_id] = len(self._ids)
            self._ids.append(paper_id)

    def _place(self, rows: Sequence[ScoreRow]) -> None:
        """Store rows (``paper_id`` then ``SCORE_COLUMNS``), adding unknown papers."""
        if not rows:
            return
        self._add_papers([row[0] for row in rows])
        positions = np.fromiter(
            (self._index[row[0]] for row in rows), dtype=np.int64, count=len(rows)
        )
        values = ScoreArrays.from_rows([row[1:] for row in rows])
        self._counts[:, positions] = values.counts.T
        self._last[positions] = values.last
        self._keys[:, positions] = values.keys.T

    def _grow(self, size: int) -> None:
        if size <= self._keys.shape[1]:
            return
        capacity = max(size, 2 * self._keys.shape[1], 1024)
        used = self._keys.shape[1]
        counts = np.zeros((_COUNTS, capacity), dtype=np.int64)
        counts[:, :used] = self._counts
        last = np.zeros(capacity)
        last[:used] = self._last
        keys = np.full((len(WINDOWS), capacity), -np.inf)
        keys[:, :used] = self._keys
        self._counts, self._last, self._keys = counts, last, keys

    def _top(
        self, view: int, category: str, active_since: float | None, limit: int, offset: int
    ) -> list[tuple[str, float]]:
        wanted = offset + limit
        if wanted <= 0 or limit <= 0:
            return []
        keys = self._keys[view]
        count = len(self._ids)
        if category == ALL_CATEGORIES:  # every paper: masks over the arrays, no gather
            eligible = keys[:count] > -np.inf
            if active_since is not None:
                eligible &= self._last[:count] >= active_since
            candidates = np.flatnonzero(eligible)
        else:
            members = self._members.get(category)
            if members is None:
                return []
            scope = members.view()
            eligible = keys[scope] > -np.inf
            if active_since is not None:
                eligible &= self._last[scope] >= active_since
            candidates = scope[eligible]
        chosen = self._best(candidates, keys[candidates], wanted)
        ids = self._ids
        chosen.sort(key=lambda position: (-keys[position], ids[position]))
        return [(ids[p], float(keys[p])) for p in chosen[offset:wanted]]

    def _best(
        self, candidates: npt.NDArray[np.int64], values: npt.NDArray[np.float64], wanted: int
    ) -> list[int]:
        """The ``wanted`` best candidates: all above the cut, and the lowest paper ids
        among those tied at it (so the choice is the same for every page size)."""
        if len(candidates) <= wanted:
            return [int(p) for p in candidates]
        cut = len(values) - wanted
        threshold = np.partition(values, cut)[cut]
        above = candidates[values > threshold].tolist()
        tied = candidates[values == threshold].tolist()
        need = wanted - len(above)
        if len(tied) > need:
            names = heapq.nsmallest(need, (self._ids[p] for p in tied))
            tied = [self._index[name] for name in names]
        return [int(p) for p in above] + [int(p) for p in tied]


_RANKINGS: weakref.WeakKeyDictionary[TrendingStore, TrendingRanking] = weakref.WeakKeyDictionary()
_RANKINGS_LOCK = threading.Lock()


def ranking_of(store: TrendingStore) -> TrendingRanking:
    """This process's ranking of ``store``'s ledger (made on first use, kept while the
    store is open)."""
    with _RANKINGS_LOCK:
        ranking = _RANKINGS.get(store)
        if ranking is None:
            ranking = _RANKINGS[store] = TrendingRanking(store.trending_changes)
        return ranking


def trending_ids(
    store: TrendingStore,
    window: Window,
    scorer: SignalScorer,
    *,
    category: str = ALL_CATEGORIES,
    active_since: float | None = None,
    limit: int,
    offset: int = 0,
) -> list[tuple[str, float]]:
    """Paper ids and keys, highest key first (ties by paper id), of papers with a
    signal since ``active_since``: ranked in this process's memory, after catching up
    with the ledger (``scorer`` turns the signals it adds into keys)."""
    if window not in WINDOWS:
        raise ValueError(f"unknown trending window {window!r}")
    return ranking_of(store).top(
        window, scorer, category=category, active_since=active_since, limit=limit, offset=offset
    )


def trending_rows(
    store: TrendingStore, paper_ids: Sequence[str], scorer: SignalScorer
) -> dict[str, TrendingRow]:
    """Counts and keys of these papers as of the ledger now (papers without any signal
    are absent); ``scorer`` turns signals past the stored snapshot into keys."""
    return ranking_of(store).rows(paper_ids, scorer)
