"""Listings shared by pages, API and feeds: a period's papers, trending, a category."""

from __future__ import annotations

from dataclasses import dataclass

from paperfeed.community.ranking import TrendingReader, rank_trending
from paperfeed.community.scoring import TrendingModel
from paperfeed.store.base import ListOrder, PaperFilter, PaperRecords, StoredPaper
from paperfeed.store.community import Window
from paperfeed.web.params import Period, day_period, shift


@dataclass(frozen=True, slots=True)
class PeriodListing:
    """One page of a period's papers and the periods around it."""

    period: Period
    papers: list[StoredPaper]
    total: int
    previous: Period | None
    following: Period | None


def period_filter(period: Period, category: str | None = None) -> PaperFilter:
    if period.kind == "day":
        return PaperFilter(day=period.first, category=category)
    return PaperFilter(since=period.first, until=period.last, category=category)


def list_period(
    store: PaperRecords,
    period: Period,
    *,
    limit: int,
    offset: int,
    order: ListOrder = "upvotes",
    category: str | None = None,
) -> PeriodListing:
    where = period_filter(period, category)
    papers = store.list_papers(where, limit=limit, offset=offset, order=order)
    total = store.count_papers(where)
    if period.kind == "day":
        before, after = store.neighbour_days(period.first)
        previous = day_period(before) if before else None
        following = day_period(after) if after else None
    else:
        previous, following = shift(period, -1), shift(period, 1)
    return PeriodListing(period, papers, total, previous, following)


def latest_period(store: PaperRecords) -> Period | None:
    day = store.latest_day()
    return day_period(day) if day else None


@dataclass(frozen=True, slots=True)
class TrendingListing:
    """A page of a trending view: papers, their scores, and which ranking made it."""

    papers: list[StoredPaper]
    scores: dict[str, float]
    ranking: str  # "trending", or "newest" while nothing has trended yet


def trending(
    store: TrendingReader,
    model: TrendingModel,
    *,
    window: Window,
    category: str | None,
    limit: int,
    offset: int,
) -> TrendingListing:
    """A trending view (see paperfeed.community); newest papers while nothing trends."""
    ranked = rank_trending(store, model, window, category=category, limit=limit, offset=offset)
    if ranked or offset > 0:
        return TrendingListing(
            [r.stored for r in ranked], {r.stored.paper.id: r.score for r in ranked}, "trending"
        )
    newest = store.list_papers(
        PaperFilter(category=category), limit=limit, offset=offset, order="newest"
    )
    return TrendingListing(newest, {}, "newest")
