"""One digest run: finish interrupted digests, compose the due ones, queue them, send.

``run_digests`` is what ``paperfeed digest run`` (cron) and the in-process scheduler
call. A named lease in the store lets one run at a time proceed (two servers, or cron
overlapping itself); the outbox's deterministic keys make even an overlapping run
harmless, the lease just saves the duplicate work.

Each batch of subscribers is planned (picks saved with the sent-log), rendered and
queued before the next. Rendering costs milliseconds per digest (most of it building
and checking the MIME message), so with many due digests the batches are spread over
worker processes, each with its own store connection and its own copy of the
candidate pool; topics new to the run are embedded once, up front, in this process.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import secrets
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol, cast

from paperfeed.config import Settings
from paperfeed.digest.candidates import FloatArray, PoolStore
from paperfeed.digest.compose import Composer, DueDigest, due_digests
from paperfeed.digest.queue import DigestQueuer, QueueReport
from paperfeed.digest.schedule import SETTLE
from paperfeed.digest.settings import DigestSettings
from paperfeed.digest.topics import EmbedTexts, topic_vectors
from paperfeed.mail import SendReport, open_transport, send_pending
from paperfeed.store import open_store
from paperfeed.store.outbox import OutboxStore

if TYPE_CHECKING:
    from paperfeed.store import PaperStore

log = logging.getLogger("paperfeed.digest")
RUN_LEASE = "digest-run"
LEASE_SECONDS = 600.0
BATCH = 500
PARALLEL_FROM = 4 * BATCH  # fewer due digests are composed in this process


class DigestRunStore(PoolStore, OutboxStore, Protocol):
    """What a digest run uses: composing's reads, the plans, the outbox and its lease,
    and the store's URL for worker processes to open their own."""

    url: str


@dataclass(slots=True)
class BatchReport:
    """One batch: how many were planned or empty, what queueing did, time spent."""

    planned: int = 0
    empty: int = 0
    queue: QueueReport = field(default_factory=QueueReport)
    compose_seconds: float = 0.0  # CPU time: comparable whatever else the machine runs
    queue_seconds: float = 0.0

    def add(self, other: BatchReport) -> None:
        self.planned += other.planned
        self.empty += other.empty
        self.queue.add(other.queue)
        self.compose_seconds += other.compose_seconds
        self.queue_seconds += other.queue_seconds


@dataclass(slots=True)
class RunReport:
    """What a run did; ``locked`` when another run held the lease."""

    due: int = 0
    resumed: int = 0
    batches: BatchReport = field(default_factory=BatchReport)
    sent: SendReport | None = None
    locked: bool = False
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def planned(self) -> int:
        return self.batches.planned

    @property
    def empty(self) -> int:
        return self.batches.empty

    @property
    def queue(self) -> QueueReport:
        return self.batches.queue

    def summary(self) -> str:
        if self.locked:
            return "another digest run is in progress; nothing done"
        text = (
            f"{self.due} due, {self.planned} composed, {self.empty} empty (not sent),"
            f" {self.queue.queued} queued"
        )
        if self.resumed:
            text += f" ({self.resumed} resumed from an interrupted run)"
        if self.queue.dropped or self.queue.suppressed:
            text += f", {self.queue.dropped + self.queue.suppressed} dropped"
        if self.sent is not None:
            text += f"; sent {self.sent.sent}, retrying {self.sent.retried}"
            text += f", failed {self.sent.failed + self.sent.bounced}"
        return text


def embedder_for(settings: Settings) -> EmbedTexts:
    """Embeds topics with the configured model, loaded on first use.

    Topics are short and sorted by length before batching, so batches of 64 pad little
    and run about twice as fast as one at a time.
    """
    loaded: dict[str, object] = {}

    def embed(texts: list[str]) -> FloatArray:
        from paperfeed.embedding import load_embedder
        from paperfeed.search.service import model_dir

        if "model" not in loaded:
            model = load_embedder(str(settings.get("search_embedder")), model_dir(settings))
            if hasattr(model, "batch_size"):
                model.batch_size = 64
            loaded["model"] = model
        vectors: FloatArray = loaded["model"].embed_documents(texts)  # type: ignore[attr-defined]
        return vectors

    return embed


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def plan_and_queue(
    composer: Composer, queuer: DigestQueuer, due: Sequence[DueDigest], now: datetime
) -> BatchReport:
    """Plan a batch, save the plans (and sent-log), then render and queue the new ones."""
    report = BatchReport()
    started = time.process_time()
    plans = composer.plan(due)
    new = composer.store.save_digest_plans(plans, now)
    fresh = [p for p, is_new in zip(plans, new, strict=True) if is_new]
    report.planned = sum(1 for p in fresh if p.state == "planned")
    report.empty = sum(1 for p in fresh if p.state == "empty")
    queued_at = time.process_time()
    report.compose_seconds = queued_at - started
    report.queue = queuer.queue([p for p in fresh if p.state == "planned"])
    report.queue_seconds = time.process_time() - queued_at
    return report


def _prepare_topics(store: PoolStore, due: Sequence[DueDigest], embed: EmbedTexts | None) -> None:
    """Embed (and keep) every topic of the run not embedded before, once."""
    generation = store.active_generation()
    if generation is None or embed is None:
        return
    dim = next((g.dim for g in store.generations() if g.name == generation), 0)
    interested = [d.subscriber.id for d in due if not d.subscriber.preferences.trending_only]
    topics = {t for i in store.interests_of(interested).values() for t in i.topics}
    if topics and dim:
        topic_vectors(store, generation, topics, embed, dim)


def _prepare_background(store: PoolStore, due: Sequence[DueDigest]) -> None:
    """When some subscriber is also a reader, fit (or check) the personal ranking's
    collection statistics once, here, so that the worker processes read the kept ones
    instead of each fitting them."""
    from paperfeed.personal.readers import background_for

    papers = cast("PaperStore", store)
    if papers.account_ids([d.subscriber.email for d in due]):
        background_for(papers)


# -- worker processes ---------------------------------------------------------------------

_worker: tuple[Composer, DigestQueuer] | None = None


def _start_worker(
    url: str, settings: DigestSettings, secret_key: str, start: datetime, end: datetime
) -> None:
    global _worker
    store = open_store(url, migrate=False)
    composer = Composer.for_window(
        store, start, end, catchup_papers=settings.catchup_papers, trending=settings.trending
    )
    _worker = (composer, DigestQueuer(store, settings, secret_key))


def _work(job: tuple[list[DueDigest], datetime]) -> BatchReport:
    assert _worker is not None
    return plan_and_queue(_worker[0], _worker[1], job[0], job[1])


def _batches(due: Sequence[DueDigest]) -> Iterator[list[DueDigest]]:
    for first in range(0, len(due), BATCH):
        yield list(due[first : first + BATCH])


def _compose_all(
    store: DigestRunStore,
    settings: DigestSettings,
    secret_key: str,
    due: Sequence[DueDigest],
    now: datetime,
    workers: int,
    renew: Callable[[], object],
) -> BatchReport:
    report = BatchReport()
    start = min(d.window.start for d in due)
    end = max(d.window.end for d in due)
    if workers <= 1 or len(due) < PARALLEL_FROM:
        composer = Composer.for_window(
            store, start, end, catchup_papers=settings.catchup_papers, trending=settings.trending
        )
        queuer = DigestQueuer(store, settings, secret_key)
        for batch in _batches(due):
            report.add(plan_and_queue(composer, queuer, batch, now))
            renew()
        return report
    with ProcessPoolExecutor(
        workers,
        mp_context=mp.get_context("spawn"),  # never fork a process holding threads
        initializer=_start_worker,
        initargs=(store.url, settings, secret_key, start, end),
    ) as pool:
        for part in pool.map(_work, ((batch, now) for batch in _batches(due))):
            report.add(part)
            renew()
    return report


def run_digests(
    store: DigestRunStore,
    settings: DigestSettings,
    secret_key: str,
    *,
    now: datetime | None = None,
    embed: EmbedTexts | None = None,
    send: bool = True,
    only: Sequence[int] | None = None,
    workers: int | None = None,
    settle: timedelta = SETTLE,
) -> RunReport:
    """Compose and queue every due digest, then (with ``send``) drain the outbox."""
    report = RunReport()
    holder = _holder()
    if not store.acquire_lease(RUN_LEASE, holder, LEASE_SECONDS):
        report.locked = True
        return report
    clock = time.perf_counter()
    try:
        now = now or datetime.now(UTC)
        leftover = store.digest_plans(state="planned")
        report.resumed = len(leftover)
        if leftover:
            report.batches.queue.add(DigestQueuer(store, settings, secret_key).queue(leftover))
        due = due_digests(store, now, settings.catchup_days, only, settle)
        report.due = len(due)
        report.timings["due"] = time.perf_counter() - clock
        if due:
            _prepare_topics(store, due, embed)
            _prepare_background(store, due)
            report.timings["topics"] = time.perf_counter() - clock
            report.batches.add(
                _compose_all(
                    store,
                    settings,
                    secret_key,
                    due,
                    now,
                    workers or settings.workers,
                    lambda: store.acquire_lease(RUN_LEASE, holder, LEASE_SECONDS),
                )
            )
        report.timings["composed"] = time.perf_counter() - clock
    finally:
        store.release_lease(RUN_LEASE, holder)
    if send:
        with open_transport(settings.mail) as transport:
            report.sent = send_pending(store, transport, settings.mail)
        report.timings["sent"] = time.perf_counter() - clock
    return report
