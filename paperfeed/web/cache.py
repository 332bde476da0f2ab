"""Rendered pages and JSON, reused until the store changes or they grow old.

A response is derived from the store alone (plus the clock, for "new" badges), so it
can be reused while the store's ``data_version`` stays put and it is younger than
``ttl``. When either moves, the old copy may still be served for a few seconds
(``stale_for``) while one background render replaces it: during a big import, which
commits every second or so, readers never wait for a render. Each entry carries a
strong ETag (a digest of its bytes), so a client that has it gets a 304 without a body.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from enum import Enum

from paperfeed.store.base import PaperRecords


@dataclass(frozen=True, slots=True)
class Rendered:
    """A finished response body, its media type and its ETag."""

    body: bytes
    media_type: str
    etag: str
    status_code: int = 200

    @classmethod
    def of(cls, body: bytes, media_type: str, status_code: int = 200) -> Rendered:
        digest = hashlib.blake2b(body, digest_size=12).hexdigest()
        return cls(body, media_type, f'"{digest}"', status_code)


class Freshness(Enum):
    FRESH = "fresh"  # serve it
    STALE = "stale"  # serve it, and render a replacement in the background
    MISSING = "missing"  # render now


@dataclass(frozen=True, slots=True)
class _Entry:
    version: int
    rendered_at: float
    rendered: Rendered


class RenderCache:
    """A bounded LRU of ``Rendered`` responses keyed by what they show."""

    def __init__(
        self,
        store: PaperRecords,
        *,
        max_entries: int = 4096,
        ttl: float = 60.0,
        stale_for: float = 10.0,
    ) -> None:
        self._store = store
        self._max_entries = max_entries
        self._ttl = ttl
        self._stale_for = stale_for
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._refreshing: set[Hashable] = set()

    def lookup(self, key: Hashable) -> tuple[Rendered | None, Freshness]:
        version = self._store.data_version()
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None, Freshness.MISSING
            self._entries.move_to_end(key)
            age = now - entry.rendered_at
            if entry.version == version and age < self._ttl:
                return entry.rendered, Freshness.FRESH
            if self._stale_for > 0 and age < self._ttl + self._stale_for:
                return entry.rendered, Freshness.STALE
            return None, Freshness.MISSING

    def claim_refresh(self, key: Hashable) -> bool:
        """True for the one caller that should re-render a stale ``key``."""
        with self._lock:
            if key in self._refreshing:
                return False
            self._refreshing.add(key)
            return True

    def render(self, key: Hashable, render: Callable[[], Rendered]) -> Rendered:
        """Render ``key`` and keep the result (if it is a 200) for the version it saw."""
        version = self._store.data_version()
        try:
            rendered = render()
        finally:
            with self._lock:
                self._refreshing.discard(key)
        if rendered.status_code == 200:
            self.keep(key, rendered, version)
        return rendered

    def keep(self, key: Hashable, rendered: Rendered, version: int | None = None) -> None:
        if version is None:
            version = self._store.data_version()
        with self._lock:
            self._entries[key] = _Entry(version, time.monotonic(), rendered)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
