"""The trending input to digests: one small function, so a better score can replace it.

Until the community's trending keys are available to read per paper, a paper's
trend is its Hugging Face upvotes, discounted by age (half-life of three days since
its announcement). Replace ``trending_of`` to plug in another score; everything else
only sees ``Trend``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from paperfeed.store.base import StoredPaper

HALF_LIFE_DAYS = 3.0


@dataclass(frozen=True, slots=True)
class Trend:
    """A score (higher trends more, 0 for nothing) and the count a reason can quote."""

    score: float
    upvotes: int


def trending_of(papers: Sequence[StoredPaper], today: date) -> list[Trend]:
    """One ``Trend`` per paper, in order."""
    trends = []
    for stored in papers:
        paper = stored.paper
        upvotes = (paper.hf.upvotes or 0) if paper.hf else 0
        day = paper.announced or paper.published or today
        age = max((today - day).days, 0)
        score = math.log1p(max(upvotes, 0)) * 0.5 ** (age / HALF_LIFE_DAYS)
        trends.append(Trend(score, upvotes))
    return trends
