"""Keeping the stored papers' TL;DRs and keywords current, after the papers are stored.

Summaries are derived work, like vectors: ingest stores papers only, and the derived
work after every ingest (``paperfeed.derived``), ``paperfeed serve`` at start and
``paperfeed index update`` summarise whatever is pending: papers new or changed since,
a killed run's papers, papers stored before summaries existed, summaries an older model
wrote. Papers are read in id order, a batch at a time, and each batch is written in one
transaction, so a stop mid-way keeps what was written and the next pass picks up the
rest; a summary is keyed by paper, so writing one twice leaves one.

A handful of papers (a daily fetch, a submitted paper) is summarised in this process.
When a full batch is pending (a bulk import, a new model), the batches go to a pool of
worker processes, one per core, while this process reads ahead and writes.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import chain

from paperfeed.store.summaries import PaperSummary, SummaryInput, SummaryStore
from paperfeed.summaries.summarizer import MODEL_VERSION, summarize

BATCH = 500  # papers summarised, then written in one transaction
# Batches handed to the pool ahead of the one being written: the workers stay busy
# while this process writes, and a stop loses at most this much computed work.
AHEAD = 2

Progress = Callable[[int], None]  # called with the papers written so far
Texts = list[tuple[str, str]]
Computed = list[tuple[str, tuple[str, ...]]]


def summarize_pending(
    store: SummaryStore,
    *,
    among: Sequence[str] | None = None,
    batch: int = BATCH,
    workers: int | None = None,
    progress: Progress | None = None,
) -> int:
    """Summarise the papers (of ``among``, or all) that lack a current summary, in one
    pass along their ids; returns how many were written.

    ``workers`` processes compute them (default: one per core when a full batch is
    pending, else none: this process). Summaries use the shipped word statistics, not
    the collection's, so a paper's summary depends on its text and the model alone, not
    on what was stored before it nor on which process computed it.
    """
    batches = _pending_batches(store, among, batch)
    first = next(batches, None)
    if first is None:
        return 0
    if workers is None:
        workers = pool_size() if len(first) >= batch else 1
    if workers <= 1:
        return _write_all(
            store, ((b, _compute(_texts(b))) for b in chain([first], batches)), progress
        )
    context = multiprocessing.get_context("spawn")  # no fork of a threaded server
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_exit_with_parent, initargs=(os.getpid(),)
    ) as pool:
        return _write_all(store, _computed_in_pool(pool, workers, first, batches), progress)


def pool_size() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _pending_batches(
    store: SummaryStore, among: Sequence[str] | None, batch: int
) -> Iterator[list[SummaryInput]]:
    after = ""
    while pending := store.papers_to_summarize(
        MODEL_VERSION, after=after, limit=batch, among=among
    ):
        yield pending
        after = pending[-1].paper_id


def _computed_in_pool(
    pool: ProcessPoolExecutor,
    workers: int,
    first: list[SummaryInput],
    rest: Iterator[list[SummaryInput]],
) -> Iterator[tuple[list[SummaryInput], Computed]]:
    """Each batch with its summaries, in id order; each batch is split across the
    workers, and up to ``AHEAD`` batches are being computed while one is written."""
    in_flight: deque[tuple[list[SummaryInput], list[Future[Computed]]]] = deque()
    for pending in chain([first], rest):
        texts = _texts(pending)
        size = -(-len(texts) // workers)
        chunks = [texts[i : i + size] for i in range(0, len(texts), size)]
        in_flight.append((pending, [pool.submit(_compute, chunk) for chunk in chunks]))
        if len(in_flight) > AHEAD:
            yield _done(in_flight.popleft())
    while in_flight:
        yield _done(in_flight.popleft())


def _done(
    item: tuple[list[SummaryInput], list[Future[Computed]]],
) -> tuple[list[SummaryInput], Computed]:
    pending, futures = item
    return pending, [summary for future in futures for summary in future.result()]


def _write_all(
    store: SummaryStore,
    computed: Iterator[tuple[list[SummaryInput], Computed]],
    progress: Progress | None,
) -> int:
    done = 0
    for pending, summaries in computed:
        store.put_summaries(
            [
                PaperSummary(p.paper_id, tldr, keywords, MODEL_VERSION, p.content_hash)
                for p, (tldr, keywords) in zip(pending, summaries, strict=True)
            ]
        )
        done += len(pending)
        if progress is not None:
            progress(done)
    return done


def _texts(pending: list[SummaryInput]) -> Texts:
    return [(p.title_text, p.abstract_text) for p in pending]


def _compute(texts: Texts) -> Computed:
    """Summaries of (title, abstract) pairs; runs in a worker or in this process."""
    out = []
    for title, abstract in texts:
        summary = summarize(title, abstract)
        out.append((summary.tldr, summary.keywords))
    return out


def _exit_with_parent(parent: int) -> None:
    """A worker ends when the process that started it is gone (even killed with
    SIGKILL), instead of waiting on its queue for good."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, name="paperfeed-parent-watch", daemon=True).start()
