"""Composing digests: who is due, what is new for them, and their picks (the plan).

A plan is saved before anything is rendered: the picks go into the sent-log and the
subscriber's window moves on in the same transaction. Rendering and queueing then
work from saved plans, so a run interrupted at any point finishes later with exactly
the content it had chosen, and no paper is ever picked twice for one subscriber.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import numpy as np

from paperfeed.community.scoring import TrendingModel
from paperfeed.digest.candidates import (
    CandidatePool,
    FloatArray,
    PoolStore,
    load_pool,
    stored_vectors,
)
from paperfeed.digest.ranking import Profile, Ranker
from paperfeed.digest.schedule import SETTLE, Window, digest_window, due_period
from paperfeed.digest.topics import EmbedTexts, topic_vectors
from paperfeed.store.outbox import OutboxStore
from paperfeed.store.subscriptions import (
    DigestPlan,
    Feedback,
    Interests,
    Subscriber,
    SubscriptionStore,
)


@dataclass(frozen=True, slots=True)
class DueDigest:
    subscriber: Subscriber
    period: str
    window: Window


class DueStore(SubscriptionStore, OutboxStore, Protocol):
    """What finding due digests reads: the confirmed subscribers and the suppressed."""


def due_digests(
    store: DueStore,
    now: datetime,
    catchup_days: int,
    only: Sequence[int] | None = None,
    settle: timedelta = SETTLE,
) -> list[DueDigest]:
    """Confirmed, not suppressed subscribers whose digest is due now."""
    subscribers = store.confirmed_subscribers()
    if only is not None:
        wanted = set(only)
        subscribers = [s for s in subscribers if s.id in wanted]
    suppressed = store.suppressed_among([s.email for s in subscribers])
    due = []
    for subscriber in subscribers:
        if subscriber.email.lower() in suppressed:
            continue
        period = due_period(subscriber, now)
        if period is not None:
            window = digest_window(subscriber, now, catchup_days, settle)
            due.append(DueDigest(subscriber, period, window))
    return due


class Composer:
    """Plans digests for many subscribers over one candidate pool.

    Work shared between subscribers (topic scores, similarity to rated papers) is
    computed once per distinct topic or paper and kept across batches.
    """

    def __init__(
        self,
        store: PoolStore,
        pool: CandidatePool,
        *,
        catchup_papers: int,
        embed: EmbedTexts | None = None,
    ) -> None:
        self.store = store
        self.pool = pool
        self.catchup_papers = catchup_papers
        self.embed = embed
        self.ranker = Ranker(pool)
        # The sent-log as it was before this run: a run plans each subscriber once, so
        # what it adds itself never matters to it, and reading it once (not per batch,
        # when it would grow with every batch saved) keeps a run linear.
        self._sent = store.sent_among(pool.ids) if len(pool) else {}

    @classmethod
    def for_window(
        cls,
        store: PoolStore,
        start: datetime,
        end: datetime,
        *,
        catchup_papers: int,
        trending: TrendingModel,
        embed: EmbedTexts | None = None,
    ) -> Composer:
        pool = load_pool(store, start, end, trending)
        return cls(store, pool, catchup_papers=catchup_papers, embed=embed)

    def _prepare(self, interests: dict[int, Interests], feedback: dict[int, Feedback]) -> None:
        """Score the batch's new topics and rated papers against the pool."""
        pool = self.pool
        topics = {t for i in interests.values() for t in i.topics}
        rated = {p for f in feedback.values() for p in (*f.liked, *f.disliked)}
        topic_vecs: dict[str, FloatArray] = {}
        paper_vecs: dict[str, FloatArray] = {}
        if pool.generation is not None and pool.vectors is not None:
            dim = pool.vectors.shape[1]
            topic_vecs = topic_vectors(self.store, pool.generation, topics, self.embed, dim)
            raw = stored_vectors(self.store, pool.generation, sorted(rated))
            paper_vecs = {
                k: np.frombuffer(v, dtype=np.float32) for k, v in raw.items() if len(v) == dim * 4
            }
        liked = sorted({p for f in feedback.values() for p in f.liked})
        titles = {pid: s.title_text for pid, s in self.store.get_papers(liked).items()}
        self.ranker.add_topics(topics, topic_vecs)
        self.ranker.add_papers(paper_vecs, titles)

    def plan(self, due: Sequence[DueDigest]) -> list[DigestPlan]:
        """One plan per due digest (empty picks when nothing is new for them)."""
        interested = [d.subscriber.id for d in due if not d.subscriber.preferences.trending_only]
        interests = self.store.interests_of(interested)
        feedback = self.store.feedback_of(interested)
        sent = self._sent
        self._prepare(interests, feedback)
        plans = []
        for digest in due:
            sid = digest.subscriber.id
            prefs = digest.subscriber.preferences
            limit = self.catchup_papers if digest.window.capped else prefs.max_papers
            profile = Profile(
                subscriber_id=sid,
                start=digest.window.start,
                limit=limit,
                trending_only=prefs.trending_only,
                interests=interests.get(sid, Interests()),
                feedback=feedback.get(sid, Feedback()),
                sent=frozenset(sent.get(sid, ())),
            )
            picks = tuple(self.ranker.pick(profile))
            empty = not picks and not prefs.send_empty
            plans.append(
                DigestPlan(
                    subscriber_id=sid,
                    period=digest.period,
                    window_start=digest.window.start,
                    window_end=digest.window.end,
                    candidates=self.ranker.new_papers(digest.window.start),
                    capped=digest.window.capped,
                    picks=picks,
                    state="empty" if empty else "planned",
                )
            )
        return plans
