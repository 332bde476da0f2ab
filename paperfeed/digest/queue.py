"""Rendering saved plans and queueing them in the outbox.

A plan is marked queued right after its batch was queued (queueing the same key again
is a no-op, so a crash in between is harmless); a plan whose subscriber left or whose
address was suppressed meanwhile is dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from paperfeed.digest.links import DigestLinks
from paperfeed.digest.render import DigestRenderer
from paperfeed.digest.settings import DigestSettings
from paperfeed.mail import enqueue_many
from paperfeed.security import TokenSigner
from paperfeed.store.base import PaperRecords, StoredPaper
from paperfeed.store.outbox import OutboxStore
from paperfeed.store.subscriptions import DigestPlan, SubscriptionStore


class QueueStore(PaperRecords, SubscriptionStore, OutboxStore, Protocol):
    """What queuing digests uses: the papers shown, the subscribers and plans, the outbox."""


@dataclass(slots=True)
class QueueReport:
    queued: int = 0
    dropped: int = 0
    suppressed: int = 0

    def add(self, other: QueueReport) -> None:
        self.queued += other.queued
        self.dropped += other.dropped
        self.suppressed += other.suppressed


class DigestQueuer:
    """Renders plans of one store and queues them; keeps the papers it has loaded."""

    def __init__(self, store: QueueStore, settings: DigestSettings, secret_key: str) -> None:
        self.store = store
        self.settings = settings
        self.renderer = DigestRenderer(DigestLinks(TokenSigner(secret_key), settings))
        self._papers: dict[str, StoredPaper] = {}

    def _load_papers(self, plans: Sequence[DigestPlan]) -> None:
        wanted = {p.paper_id for plan in plans for p in plan.picks} - set(self._papers)
        if wanted:
            self._papers.update(self.store.get_papers(sorted(wanted)))

    def queue(self, plans: Sequence[DigestPlan]) -> QueueReport:
        report = QueueReport()
        self._load_papers(plans)
        messages, keys, dropped = [], [], []
        for plan in plans:
            subscriber = self.store.get_subscriber_by_id(plan.subscriber_id)
            if subscriber is None or subscriber.status != "confirmed":
                dropped.append((plan.subscriber_id, plan.period))
                continue
            messages.append(
                self.renderer.digest(subscriber.id, subscriber.email, plan, self._papers)
            )
            keys.append((plan.subscriber_id, plan.period))
        results = enqueue_many(self.store, messages, self.settings.mail) if messages else []
        report.suppressed = sum(1 for r in results if r.suppressed)
        report.queued = len(results) - report.suppressed
        report.dropped = len(dropped)
        self.store.mark_digests(keys, "queued")
        self.store.mark_digests(dropped, "dropped")
        return report
