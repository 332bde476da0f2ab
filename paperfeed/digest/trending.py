"""The trending input to digests: the community's trending score of each new paper.

A paper's trend is its score in the "this week" view of ``paperfeed.community``
(upvotes and saves here, GitHub stars gained, Hugging Face upvotes imported by
``trending import-hf``, each decayed with the week's half-life), plus the Hugging Face
upvotes the paper record carries but the ledger does not hold yet, decayed the same
way from the paper's listing day: every upvote counts once, whether or not Hugging
Face's were imported. The pool ranks by ``log1p`` of it, so a hundred upvotes do not
drown every interest match.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from paperfeed.community.scoring import TrendingModel
from paperfeed.store.base import StoredPaper
from paperfeed.store.community import TrendingRow, Window
from paperfeed.store.trending_rows import listed_at

VIEW: Window = "week"


@dataclass(frozen=True, slots=True)
class Trend:
    """A score (higher trends more, 0 for nothing) and the upvotes a reason can quote
    (here and on Hugging Face)."""

    score: float
    upvotes: int


def trending_of(
    papers: Sequence[StoredPaper],
    now: datetime,
    model: TrendingModel,
    community: Mapping[str, TrendingRow],
) -> list[Trend]:
    """One ``Trend`` per paper, in order; ``community``: the papers' trending rows."""
    when = now.timestamp()
    trends = []
    for stored in papers:
        paper = stored.paper
        hf_upvotes = max((paper.hf.upvotes or 0) if paper.hf else 0, 0)
        row = community.get(paper.id)
        score, upvotes, imported = 0.0, 0, 0
        if row is not None:
            score = model.score(row.keys[VIEW], VIEW, when)
            upvotes, imported = row.upvotes, row.hf_upvotes
        missing = max(hf_upvotes - imported, 0)
        if missing:
            age = max(when - listed_at(paper.announced or paper.published, stored.first_seen_at), 0)
            score += model.weights["hf_upvote"] * missing * model.decay(VIEW, age)
        trends.append(Trend(math.log1p(max(score, 0.0)), upvotes + hf_upvotes))
    return trends
