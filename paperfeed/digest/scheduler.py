"""The in-process scheduler ``paperfeed serve`` starts: a digest run every interval.

It runs in a daemon thread with its own store connection. Several servers (or worker
processes) may each start one: the run's lease in the store lets one of them work at
a time, and the outbox keys make a double run harmless anyway.
"""

from __future__ import annotations

import logging
import threading

from paperfeed.config import Settings
from paperfeed.digest.run import embedder_for, run_digests
from paperfeed.digest.settings import DigestSettings
from paperfeed.errors import PaperfeedError
from paperfeed.store import open_store

log = logging.getLogger("paperfeed.digest")


class DigestScheduler:
    """Start with ``start()``, stop with ``stop()`` (waits for the current run)."""

    def __init__(
        self, settings: Settings, digest: DigestSettings, secret_key: str, database_url: str
    ) -> None:
        self._settings = settings
        self._digest = digest
        self._secret_key = secret_key
        self._database_url = database_url
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="paperfeed-digests", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        store = open_store(self._database_url, migrate=False)
        embed = embedder_for(self._settings)
        try:
            while not self._stop.wait(self._digest.scheduler_interval):
                try:
                    report = run_digests(store, self._digest, self._secret_key, embed=embed)
                except (PaperfeedError, OSError) as exc:
                    log.error("digest run failed: %s", exc)
                    continue
                except Exception:  # a database error, a bug: the next run tries again
                    log.exception("digest run failed")
                    continue
                if report.due or report.queue.queued or (report.sent and report.sent.attempted):
                    log.info("digests: %s", report.summary())
        finally:
            store.close()
