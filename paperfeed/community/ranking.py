"""Trending views over the stored keys, and a paper's score explained from its ledger."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Protocol

from paperfeed.community.scoring import ACTIVE_FOR, ScoreParts, TrendingModel
from paperfeed.community.trending_ranking import trending_ids, trending_rows
from paperfeed.store.base import PaperRecords, StoredPaper
from paperfeed.store.community import ALL_CATEGORIES, WINDOWS, TrendingRow, Window
from paperfeed.store.trending import TrendingStore

log = logging.getLogger("paperfeed.community")


class TrendingReader(PaperRecords, TrendingStore, Protocol):
    """What trending views read: the papers and the signal ledger."""


@dataclass(frozen=True, slots=True)
class TrendingPaper:
    """A paper in a trending view with its score at the time of ranking."""

    stored: StoredPaper
    score: float


def rank_trending(
    store: TrendingReader,
    model: TrendingModel,
    window: Window,
    *,
    category: str | None = None,
    limit: int,
    offset: int = 0,
    now: float | None = None,
) -> list[TrendingPaper]:
    """Papers with a signal in the view's span, highest score first (one index walk)."""
    now = time.time() if now is None else now
    span = ACTIVE_FOR[window]
    ranked = trending_ids(
        store,
        window,
        model,
        category=category or ALL_CATEGORIES,
        active_since=None if span is None else now - span,
        limit=limit,
        offset=offset,
    )
    papers = store.get_papers([paper_id for paper_id, _ in ranked])
    return [
        TrendingPaper(papers[paper_id], model.score(key, window, now))
        for paper_id, key in ranked
        if paper_id in papers
    ]


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a paper trends: per view, its score split by kind, and the stored score."""

    paper_id: str
    row: TrendingRow | None
    views: dict[Window, ScoreParts]
    stored_scores: dict[Window, float]


def explain_paper(
    store: TrendingReader, model: TrendingModel, paper_id: str, now: float | None = None
) -> Explanation:
    """Recompute a paper's scores from its signals (and show the incremental ones beside)."""
    now = time.time() if now is None else now
    signals = store.paper_signals(paper_id)
    row = trending_rows(store, [paper_id], model).get(paper_id)
    views = {w: model.explain(signals, w, now) for w in WINDOWS}
    stored = {w: model.score(row.keys[w] if row else None, w, now) for w in WINDOWS}
    return Explanation(paper_id, row, views, stored)


def ensure_params(store: TrendingReader, model: TrendingModel) -> bool:
    """Record the model's parameters on first use; false (and a warning) if the stored
    keys were computed with other weights or half-lives: run ``trending rebuild``."""
    stored = store.trending_params()
    wanted = model.params_json()
    if stored is None:
        store.set_trending_params(wanted)
        return True
    if stored != wanted:
        log.warning(
            "trending weights or half-lives changed since the scores were computed:"
            " run `paperfeed trending rebuild`"
        )
        return False
    return True
