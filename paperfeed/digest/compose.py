"""Composing digests: who is due, what is new for them, and their picks (the plan).

A plan is saved before anything is rendered: the picks go into the sent-log and the
subscriber's window moves on in the same transaction. Rendering and queueing then
work from saved plans, so a run interrupted at any point finishes later with exactly
the content it had chosen, and no paper is ever picked twice for one subscriber.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol, cast

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
    DigestPick,
    DigestPlan,
    Feedback,
    Interests,
    Subscriber,
    SubscriptionStore,
)

if TYPE_CHECKING:
    from paperfeed.personal.background import Background
    from paperfeed.personal.papers import Candidates
    from paperfeed.store import PaperStore


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
        self.personal = PersonalPicks(store, pool, embed)
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

    def _limit(self, digest: DueDigest) -> int:
        capped = digest.window.capped
        return self.catchup_papers if capped else digest.subscriber.preferences.max_papers

    def plan(self, due: Sequence[DueDigest]) -> list[DigestPlan]:
        """One plan per due digest (empty picks when nothing is new for them)."""
        interested = [d.subscriber.id for d in due if not d.subscriber.preferences.trending_only]
        interests = self.store.interests_of(interested)
        feedback = self.store.feedback_of(interested)
        sent = self._sent
        self._prepare(interests, feedback)
        personal = self.personal.picks(
            [d for d in due if not d.subscriber.preferences.trending_only],
            self._limit,
            sent,
            self.ranker,
        )
        plans = []
        for digest in due:
            sid = digest.subscriber.id
            prefs = digest.subscriber.preferences
            limit = self._limit(digest)
            profile = Profile(
                subscriber_id=sid,
                start=digest.window.start,
                limit=limit,
                trending_only=prefs.trending_only,
                interests=interests.get(sid, Interests()),
                feedback=feedback.get(sid, Feedback()),
                sent=frozenset(sent.get(sid, ())),
            )
            picks = tuple(personal[sid] if sid in personal else self.ranker.pick(profile))
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


class PersonalPicks:
    """Digests of subscribers who are also readers (an account with the same address
    whose profile has signals: ratings, thumbs, saves, upvotes, a library): their papers
    ranked by their personal model with ``rank_readers``, the ranking of the For-you
    page, feed and API. Everyone else keeps the interest ranking (``Ranker``).

    The window, the sent-log and what the reader already has or judged are excluded as
    the interest ranking excludes them, so "never the same paper twice" holds whichever
    ranks a digest. The collection statistics and the candidates are prepared once per
    run, on first use; a batch's profiles and kept models are read with one query per
    table, and only the models whose profile changed are trained (together) and kept.
    """

    def __init__(self, store: PoolStore, pool: CandidatePool, embed: EmbedTexts | None) -> None:
        self.store = cast("PaperStore", store)
        self.pool = pool
        self.embed = embed
        self._prepared: tuple[str, Background, Candidates] | None = None
        self._outside: dict[float, list[str]] = {}

    def _prepare(self) -> tuple[str, Background, Candidates]:
        from paperfeed.personal.readers import background_for, candidates_from_pool

        if self._prepared is None:
            generation, background = background_for(self.store)
            self._prepared = (generation, background, candidates_from_pool(self.pool, background))
        return self._prepared

    def _not_new(self, start: datetime, ranker: Ranker) -> list[str]:
        key = start.timestamp()
        if key not in self._outside:
            new = ranker.window_mask(start)
            self._outside[key] = [
                p.paper.id for p, n in zip(self.pool.papers, new, strict=True) if not n
            ]
        return self._outside[key]

    def picks(
        self,
        due: Sequence[DueDigest],
        limit_of: Callable[[DueDigest], int],
        sent: dict[int, set[str]],
        ranker: Ranker,
    ) -> dict[int, list[DigestPick]]:
        """Picks by subscriber id, for those of ``due`` who are readers with signals."""
        from paperfeed.personal.feed import rank_readers
        from paperfeed.personal.readers import reader_models

        if not due or len(self.pool) == 0:
            return {}
        accounts = self.store.account_ids([d.subscriber.email for d in due])
        profiles = self.store.profiles(sorted(set(accounts.values())))
        readers = []
        for digest in due:
            account = accounts.get(digest.subscriber.email)
            if account is not None and profiles[account].events:
                readers.append((digest, profiles[account]))
        if not readers:
            return {}
        generation, background, candidates = self._prepare()
        models = reader_models(
            self.store, [p for _, p in readers], generation, background, self.embed
        )
        exclude = [
            {
                *self._not_new(d.window.start, ranker),
                *sent.get(d.subscriber.id, ()),
                *profile.paper_ids,
            }
            for d, profile in readers
        ]
        limit = max(limit_of(d) for d, _ in readers)
        ranked = rank_readers(models, candidates, background, limit=limit, exclude=exclude)
        return {
            d.subscriber.id: [
                DigestPick(r.id, r.reasons[0] if r.reasons else "recommended for you")
                for r in papers[: limit_of(d)]
            ]
            for (d, _), papers in zip(readers, ranked, strict=True)
        }
