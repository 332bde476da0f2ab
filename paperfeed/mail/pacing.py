"""A shared rate limit: messages per second across every sending thread."""

from __future__ import annotations

import threading
import time


class RatePacer:
    """Hands out send slots ``1/rate`` seconds apart; ``rate <= 0`` means no limit."""

    def __init__(self, per_second: float) -> None:
        self._interval = 1.0 / per_second if per_second > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Sleep until this caller's slot."""
        if not self._interval:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self._interval
        if slot > now:
            time.sleep(slot - now)
