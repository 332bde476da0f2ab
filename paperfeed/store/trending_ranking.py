"""Trending views ranked in memory, kept up to date from the signal ledger.

Each serving process holds every scored paper's keys (one array per view), the time of
its last signal (the "active in the span" test) and, per category, the papers in it.
It is built once from ``trending_scores`` (one row per paper) and then caught up on
read: the ledger ``trending_signals`` is append-only and its ``id`` grows in commit
order (writers are serialised by both engines), so the papers changed since the last
look are those of the ledger rows past the last ``id`` seen, a sequential read. Their
rows are re-read whole, so catching up twice, or seeing a newer row than the ledger
position, changes nothing. ``paperfeed trending rebuild`` rewrites keys without
appending to the ledger; it bumps a generation number instead, and a process that sees
a new generation reloads everything.

Ranking a view is a mask and an ``argpartition``-like cut over at most every scored
paper, then a sort of the page: ties are broken by paper id, as the index walks it
replaces did, so consecutive pages never overlap whichever process serves them.
"""

from __future__ import annotations

import heapq
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from paperfeed.store.community import ALL_CATEGORIES, WINDOWS, Window

ScoreRow = Sequence[Any]
"""``(paper_id, last_signal_at, k_today, k_week, k_month, k_all)``; a key may be ``None``."""


@dataclass(frozen=True, slots=True)
class LogPosition:
    """How far into the ledger a ranking is: the rebuild generation and the last id."""

    generation: int
    seq: int


@dataclass(frozen=True, slots=True)
class TrendingChanges:
    """Rows of the papers changed since a position (``full``: of every scored paper),
    and the categories of those papers."""

    position: LogPosition
    full: bool
    rows: Sequence[ScoreRow]
    categories: Sequence[tuple[str, str]]


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
    next read ask regardless (after this process wrote).
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
        self._keys = np.full((len(WINDOWS), 0), -np.inf)
        self._last = np.zeros(0)
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
        *,
        category: str = ALL_CATEGORIES,
        active_since: float | None = None,
        limit: int,
        offset: int = 0,
    ) -> list[tuple[str, float]]:
        """Paper ids and keys, highest key first (ties by paper id), of the papers with
        a key in ``window`` and a signal since ``active_since``."""
        with self._lock:
            self.catch_up_locked()
            return self._top(WINDOWS.index(window), category, active_since, limit, offset)

    def catch_up(self) -> None:
        """Read what the ledger gained since the last look (the whole store at first)."""
        with self._lock:
            self.catch_up_locked()

    def catch_up_locked(self) -> None:
        now = time.monotonic()
        if now - self._checked_at < self._refresh_seconds:
            return
        changes = self._feed(self._position, self._index.__contains__)
        self._checked_at = now
        if changes is None:
            return
        if changes.full:
            self._reset()
        self._apply(changes)
        self._position = changes.position

    def _apply(self, changes: TrendingChanges) -> None:
        rows = changes.rows
        new_ids = [row[0] for row in rows if row[0] not in self._index]
        first_new = len(self._ids)
        self._grow(first_new + len(new_ids))
        for paper_id in new_ids:
            self._index[paper_id] = len(self._ids)
            self._ids.append(paper_id)
        if rows:
            positions = np.fromiter(
                (self._index[row[0]] for row in rows), dtype=np.int64, count=len(rows)
            )
            self._last[positions] = [row[1] for row in rows]
            keys = np.array([row[2:] for row in rows], dtype=np.float64).T  # None -> nan
            self._keys[:, positions] = np.where(np.isnan(keys), -np.inf, keys)
        joined: dict[str, list[int]] = {}
        for paper_id, category in changes.categories:
            position = self._index.get(paper_id)
            if position is not None and position >= first_new:
                joined.setdefault(category, []).append(position)
        for category, members in joined.items():
            self._members.setdefault(category, _Members()).extend(members)

    def _grow(self, size: int) -> None:
        if size <= self._keys.shape[1]:
            return
        capacity = max(size, 2 * self._keys.shape[1], 1024)
        keys = np.full((len(WINDOWS), capacity), -np.inf)
        keys[:, : self._keys.shape[1]] = self._keys
        last = np.zeros(capacity)
        last[: len(self._last)] = self._last
        self._keys, self._last = keys, last

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


_SCORE_COLUMNS = "s.paper_id, s.last_signal_at, " + ", ".join(f"s.k_{w}" for w in WINDOWS)


def read_ledger_changes(
    cursor: Any,
    since: LogPosition | None,
    known: Callable[[str], bool],
    *,
    mark: str,
    categories_of: Callable[[list[str]], Sequence[tuple[str, str]]],
) -> TrendingChanges | None:
    """What the ledger gained since ``since``, through either engine's DB-API cursor
    (rows as tuples; ``mark``: its parameter placeholder; ``categories_of``: reads the
    categories of papers the ranking does not know yet). The position is read first:
    rows read after it may be newer still, which a later catching up re-reads
    harmlessly. A new rebuild generation, or no position yet, reads everything."""
    generation, seq = cursor.execute(
        "SELECT (SELECT n FROM trending_generation),"
        " (SELECT coalesce(max(id), 0) FROM trending_signals)"
    ).fetchone()
    position = LogPosition(int(generation), int(seq))
    if position == since:
        return None
    if since is None or since.generation != position.generation:
        rows = cursor.execute(f"SELECT {_SCORE_COLUMNS} FROM trending_scores s").fetchall()
        categories = cursor.execute(
            "SELECT c.paper_id, c.category FROM trending_scores s"
            " JOIN paper_categories c ON c.paper_id = s.paper_id"
        ).fetchall()
        return TrendingChanges(position, True, rows, categories)
    # Papers with a ledger row in (last id seen, id now]: a range read of the key.
    changed = f"SELECT paper_id FROM trending_signals WHERE id > {mark} AND id <= {mark}"
    rows = cursor.execute(
        f"SELECT {_SCORE_COLUMNS} FROM trending_scores s WHERE s.paper_id IN ({changed})",
        (since.seq, position.seq),
    ).fetchall()
    categories = categories_of([row[0] for row in rows if not known(row[0])])
    return TrendingChanges(position, False, rows, categories)


_RANKING_LOCK = threading.Lock()


class RankedTrending:
    """The trending views of a store, ranked in this process's memory: mixed into each
    engine's community store, which says how to read the ledger (``_trending_changes``)
    and calls ``_trending_written`` after its own writes."""

    _ranking: TrendingRanking | None = None
    trending_refresh_seconds = 0.0
    """How often a read may ask whether the ledger moved (0: every read; it is cheap)."""

    def trending_ids(
        self,
        window: Window,
        *,
        category: str = ALL_CATEGORIES,
        active_since: float | None = None,
        limit: int,
        offset: int = 0,
    ) -> list[tuple[str, float]]:
        if window not in WINDOWS:
            raise ValueError(f"unknown trending window {window!r}")
        return self._trending_ranking().top(
            window, category=category, active_since=active_since, limit=limit, offset=offset
        )

    def _trending_ranking(self) -> TrendingRanking:
        with _RANKING_LOCK:
            if self._ranking is None:
                self._ranking = TrendingRanking(
                    self._trending_changes, refresh_seconds=self.trending_refresh_seconds
                )
            return self._ranking

    def _trending_written(self) -> None:
        """This process wrote signals: its next read asks the ledger whatever the interval."""
        if self._ranking is not None:
            self._ranking.invalidate()

    def _trending_changes(
        self, since: LogPosition | None, known: Callable[[str], bool]
    ) -> TrendingChanges | None:
        raise NotImplementedError
