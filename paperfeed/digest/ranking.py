"""Ranking a pool of new papers for one subscriber, with a one-line reason per pick.

Relevance is the best of: a followed author wrote it; it matches a topic (the topic's
vector against the paper's, plus the topic's words in the title and abstract: a small
hybrid of semantic and keyword matching); it resembles a paper the subscriber liked;
it is in a followed category. Resembling a disliked paper subtracts. Trend is blended
in, and fills a digest whose interests matched too few papers. A trending-only
subscriber gets the most trending papers. Papers in the sent-log never come back.

Per unique topic the scores over the pool are computed once and shared by every
subscriber who follows it; per subscriber the work is a few vector operations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

from paperfeed.digest.candidates import CandidatePool, FloatArray, author_key, words_of
from paperfeed.store.subscriptions import DigestPick, Feedback, Interests

W_AUTHOR = 1.2
W_TOPIC = 1.0
W_LIKED = 0.8
W_CATEGORY = 0.35
W_DISLIKED = 0.8
W_TREND = 0.3
MATCH = 0.4  # a topic or liked-paper score from which a paper counts as matching
SEM_FLOOR, SEM_SPAN = 0.2, 0.4  # MiniLM cosines: 0.2 says nothing, 0.6 is a close match


@dataclass(frozen=True, slots=True)
class Profile:
    """What ranking needs to know about one subscriber."""

    subscriber_id: int
    start: datetime
    limit: int
    trending_only: bool = True
    interests: Interests = field(default_factory=Interests)
    feedback: Feedback = field(default_factory=Feedback)
    sent: frozenset[str] = frozenset()


def topic_key(topic: str) -> str:
    """Topics differing only in case and spacing share one vector and one score."""
    return " ".join(topic.casefold().split())


def _scaled(cosines: FloatArray) -> FloatArray:
    out: FloatArray = np.clip((cosines - SEM_FLOOR) / SEM_SPAN, 0.0, 1.0).astype(np.float32)
    return out


def _shorten(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


class Ranker:
    """Ranks one pool for many subscribers; share it across a run."""

    def __init__(self, pool: CandidatePool) -> None:
        self.pool = pool
        self._topic_scores: dict[str, FloatArray] = {}
        self._paper_scores: dict[str, FloatArray] = {}
        self._paper_titles: dict[str, str] = {}
        self._windows: dict[float, npt.NDArray[np.bool_]] = {}
        self._trending: dict[tuple[float, int], list[DigestPick]] = {}
        self._row = {p.paper.id: row for row, p in enumerate(pool.papers)}

    # -- shared, cached work ----------------------------------------------------------

    def add_topics(self, topics: set[str], vectors: Mapping[str, FloatArray]) -> None:
        """Score topics not seen yet, with one matrix product for all their vectors."""
        keys = sorted({topic_key(t) for t in topics} - set(self._topic_scores))
        if not keys:
            return
        with_vectors = [k for k in keys if k in vectors]
        semantic = self._scaled_similarity([vectors[k] for k in with_vectors])
        column = {k: i for i, k in enumerate(with_vectors)}
        for key in keys:
            keyword = self._keyword_score(key)
            if semantic is not None and key in column:
                self._topic_scores[key] = 0.7 * semantic[:, column[key]] + 0.3 * keyword
            else:
                self._topic_scores[key] = keyword

    def add_papers(self, vectors: Mapping[str, FloatArray], titles: Mapping[str, str]) -> None:
        """Similarity of the pool to rated papers not seen yet (one matrix product)."""
        ids = sorted(set(vectors) - set(self._paper_scores))
        self._paper_titles.update(titles)
        semantic = self._scaled_similarity([vectors[p] for p in ids])
        if semantic is not None:
            for column, paper_id in enumerate(ids):
                self._paper_scores[paper_id] = np.ascontiguousarray(semantic[:, column])

    def _scaled_similarity(self, vectors: list[FloatArray]) -> FloatArray | None:
        if self.pool.vectors is None or not vectors:
            return None
        return _scaled(self.pool.vectors @ np.stack(vectors, axis=1))

    def _keyword_score(self, topic: str) -> FloatArray:
        """Share of the topic's words in the paper (a title hit counts double)."""
        score = np.zeros(len(self.pool), dtype=np.float32)
        words = sorted(set(words_of(topic)))
        for word in words:
            rows = self.pool.words.get(word)
            if rows is not None:
                score[rows] += 0.5
            rows = self.pool.title_words.get(word)
            if rows is not None:
                score[rows] += 0.5
        score /= max(len(words), 1)
        return score

    def _topic(self, topic: str) -> FloatArray:
        key = topic_key(topic)
        if key not in self._topic_scores:
            self.add_topics({key}, {})
        return self._topic_scores[key]

    def _window(self, start: datetime) -> npt.NDArray[np.bool_]:
        key = start.timestamp()
        if key not in self._windows:
            self._windows[key] = self.pool.in_window(start)
        return self._windows[key]

    def window_mask(self, start: datetime) -> npt.NDArray[np.bool_]:
        """Which pool rows are new for a window starting at ``start`` (shared, read only)."""
        return self._window(start)

    def new_papers(self, start: datetime) -> int:
        """How many pool papers are new for a window starting at ``start``."""
        return int(self._window(start).sum()) if len(self.pool) else 0

    def _eligible(self, profile: Profile) -> npt.NDArray[np.bool_]:
        """New in the window, and neither sent before nor already saved or rated."""
        mask = self._window(profile.start)
        known = [*profile.sent, *profile.feedback.liked, *profile.feedback.disliked]
        if known:
            mask = mask.copy()
            for paper_id in known:
                row = self._row.get(paper_id)
                if row is not None:
                    mask[row] = False
        return mask

    # -- picks ------------------------------------------------------------------------

    def pick(self, profile: Profile) -> list[DigestPick]:
        """Up to ``profile.limit`` papers, best first, each with its reason."""
        if len(self.pool) == 0:
            return []
        interests = profile.interests
        if profile.trending_only or (interests.is_empty and not profile.feedback.liked):
            return self._pick_trending(profile)
        return self._pick_for_interests(profile)

    def _pick_trending(self, profile: Profile, exclude: set[int] | None = None) -> list[DigestPick]:
        feedback = profile.feedback
        cacheable = not (profile.sent or feedback.liked or feedback.disliked or exclude)
        key = (profile.start.timestamp(), profile.limit)
        if cacheable and key in self._trending:
            return self._trending[key]
        eligible = self._eligible(profile)
        picks: list[DigestPick] = []
        for row in self.pool.trend_order:
            if len(picks) >= profile.limit:
                break
            if eligible[row] and (not exclude or int(row) not in exclude):
                picks.append(DigestPick(self.pool.papers[row].paper.id, self._trend_reason(row)))
        if cacheable:
            self._trending[key] = picks
        return picks

    def _trend_reason(self, row: int) -> str:
        upvotes = int(self.pool.upvotes[row])
        if upvotes > 0:
            return f"trending: {upvotes} upvote{'s' if upvotes != 1 else ''}"
        category = self.pool.papers[row].paper.primary_category
        return f"new in {category}" if category else "new on arXiv"

    def _pick_for_interests(self, profile: Profile) -> list[DigestPick]:
        n = len(self.pool)
        interests = profile.interests
        parts: dict[str, FloatArray] = {}
        topic_best = np.zeros(n, dtype=np.int64)
        if interests.topics:
            stacked = np.stack([self._topic(t) for t in interests.topics])
            topic_best = stacked.argmax(axis=0)
            parts["topic"] = stacked.max(axis=0)
        liked_best = self._similarity(profile.feedback.liked)
        if liked_best is not None:
            parts["liked"] = liked_best[0]
        authors = np.zeros(n, dtype=np.float32)
        for name in interests.authors:
            rows = self.pool.by_author.get(author_key(name))
            if rows is not None:
                authors[rows] = 1.0
        parts["author"] = authors
        categories = np.zeros(n, dtype=np.float32)
        for category in interests.categories:
            rows = self.pool.by_category.get(category)
            if rows is not None:
                categories[rows] = 1.0
        parts["category"] = categories
        weights = {"topic": W_TOPIC, "liked": W_LIKED, "author": W_AUTHOR, "category": W_CATEGORY}
        relevance = sum((weights[k] * v for k, v in parts.items()), np.zeros(n, dtype=np.float32))
        disliked = self._similarity(profile.feedback.disliked)
        if disliked is not None:
            relevance = relevance - W_DISLIKED * disliked[0]
        matching = (
            (parts.get("topic", authors * 0) >= MATCH)
            | (parts.get("liked", authors * 0) >= MATCH)
            | (authors > 0)
            | (categories > 0)
        )
        eligible = self._eligible(profile)
        score = np.where(eligible & matching, relevance + W_TREND * self.pool.trend, -np.inf)
        chosen = self._top(score, profile.limit)
        picks = [
            DigestPick(
                self.pool.papers[row].paper.id,
                self._reason(row, parts, weights, interests, topic_best, liked_best, profile),
            )
            for row in chosen
        ]
        if len(picks) < profile.limit:
            taken = {int(r) for r in chosen}
            fill = self._pick_trending(
                Profile(
                    profile.subscriber_id,
                    profile.start,
                    profile.limit - len(picks),
                    sent=profile.sent,
                    feedback=profile.feedback,
                ),
                exclude=taken,
            )
            picks.extend(p for p in fill if p.reason.startswith("trending"))
        return picks

    @staticmethod
    def _top(score: FloatArray, limit: int) -> list[int]:
        finite = int(np.isfinite(score).sum())
        if finite == 0:
            return []
        k = min(limit, finite)
        top = np.argpartition(-score, k - 1)[:k]
        return [int(r) for r in top[np.argsort(-score[top], kind="stable")]]

    def _similarity(
        self, paper_ids: tuple[str, ...]
    ) -> tuple[FloatArray, npt.NDArray[np.int64]] | None:
        """Best scaled similarity of each pool paper to any of ``paper_ids``, and which."""
        known = [i for i, p in enumerate(paper_ids) if p in self._paper_scores]
        if not known:
            return None
        stacked = np.stack([self._paper_scores[paper_ids[i]] for i in known])
        best = np.asarray(known, dtype=np.int64)[stacked.argmax(axis=0)]
        return stacked.max(axis=0), best

    def _reason(
        self,
        row: int,
        parts: dict[str, FloatArray],
        weights: dict[str, float],
        interests: Interests,
        topic_best: npt.NDArray[np.int64],
        liked_best: tuple[FloatArray, npt.NDArray[np.int64]] | None,
        profile: Profile,
    ) -> str:
        strongest = max(parts, key=lambda k: weights[k] * float(parts[k][row]))
        paper = self.pool.papers[row].paper
        if strongest == "author":
            followed = {author_key(a): a for a in interests.authors}
            name = next((a.name for a in paper.authors if author_key(a.name) in followed), "")
            return f"by {name}, whom you follow"
        if strongest == "topic":
            return f"matches your topic '{interests.topics[int(topic_best[row])]}'"
        if strongest == "liked" and liked_best is not None:
            liked_id = profile.feedback.liked[int(liked_best[1][row])]
            title = self._paper_titles.get(liked_id, liked_id)
            return f"similar to '{_shorten(title)}', which you liked"
        category = next(
            (
                c
                for c in interests.categories
                if c in set(paper.categories) | {paper.primary_category}
            ),
            paper.primary_category or "",
        )
        upvotes = int(self.pool.upvotes[row])
        trend = f"; trending: {upvotes} upvotes" if upvotes > 1 else ""
        return f"new in {category}, which you follow{trend}"
