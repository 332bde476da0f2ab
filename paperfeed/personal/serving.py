"""What For-you requests of one process share, so that a request costs the reader's
profile read and one reader's scoring, not the window's papers read and prepared again.

Each entry is keyed by what invalidates it:

- the collection's statistics (``Background``) by the active embedding generation; the
  check whether the store has grown enough to refit them runs at most every
  ``background_seconds``;
- a window's candidates by the generation, the window's days and how many papers the
  window holds; they are rebuilt after ``window_seconds`` (15 minutes) too, because
  trend scores move with time and vectors arrive for new papers;
- a reader's model, compiled, by the fingerprint of their profile (a rating anywhere
  changes it), for the ``readers`` most recently served.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from paperfeed.personal.background import Background
from paperfeed.personal.model import ReaderModel
from paperfeed.personal.papers import Candidates
from paperfeed.personal.ranking import DEFAULT_BLEND, CompiledReader, compile_reader
from paperfeed.store import PaperFilter, PaperStore

WindowKey = tuple[str, date | None, date | None, int]


@dataclass(frozen=True, slots=True)
class ServedReader:
    fingerprint: str
    model: ReaderModel
    compiled: CompiledReader


class ServingCache:
    """Per-process memory of the background, windows and recent readers (thread-safe)."""

    def __init__(
        self,
        *,
        background_seconds: float = 300.0,
        window_seconds: float = 900.0,
        readers: int = 1_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.background_seconds = background_seconds
        self.window_seconds = window_seconds
        self.readers = readers
        self._clock = clock
        self._lock = threading.Lock()
        self._background: tuple[str, float, Background] | None = None
        self._windows: dict[WindowKey, tuple[float, Candidates]] = {}
        self._served: OrderedDict[int, ServedReader] = OrderedDict()

    def background(
        self, store: PaperStore, fit: Callable[[PaperStore], tuple[str, Background]]
    ) -> tuple[str, Background]:
        """The active generation and its background, checked for freshness now and then."""
        generation = store.active_generation() or ""
        kept = self._background
        fresh = kept is not None and self._clock() - kept[1] < self.background_seconds
        if kept is not None and fresh and kept[0] == generation:
            return generation, kept[2]
        generation, background = fit(store)
        with self._lock:
            if self._background is None or self._background[2] is not background:
                self._windows.clear()  # candidates hold terms of the old background
                self._served.clear()
            self._background = (generation, self._clock(), background)
        return generation, background

    def window_key(
        self, store: PaperStore, generation: str, since: date | None, until: date | None
    ) -> WindowKey:
        """What the window's candidates depend on, asked of the store (one count)."""
        count = store.count_papers(PaperFilter(since=since, until=until))
        return (generation, since, until, count)

    def candidates(self, key: WindowKey, build: Callable[[], Candidates]) -> Candidates:
        """The window's candidates, built once per key and ``window_seconds``."""
        kept = self._windows.get(key)
        if kept is not None and self._clock() - kept[0] < self.window_seconds:
            return kept[1]
        candidates = build()
        with self._lock:
            now = self._clock()
            for old in [
                k for k, (at, _) in self._windows.items() if now - at >= self.window_seconds
            ]:
                del self._windows[old]
            self._windows[key] = (now, candidates)
        return candidates

    def reader(
        self,
        account_id: int,
        fingerprint: str,
        load: Callable[[], ReaderModel],
        background: Background,
    ) -> ServedReader:
        """The reader's model and its compiled form, loaded and compiled once per
        profile fingerprint."""
        with self._lock:
            served = self._served.get(account_id)
            if served is not None and served.fingerprint == fingerprint:
                self._served.move_to_end(account_id)
                return served
        model = load()
        served = ServedReader(fingerprint, model, compile_reader(model, background, DEFAULT_BLEND))
        with self._lock:
            self._served[account_id] = served
            self._served.move_to_end(account_id)
            while len(self._served) > self.readers:
                self._served.popitem(last=False)
        return served

    def clear(self) -> None:
        with self._lock:
            self._background = None
            self._windows.clear()
            self._served.clear()
