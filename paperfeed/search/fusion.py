"""Reciprocal rank fusion: combine ranked lists by rank, not by incomparable scores."""

from __future__ import annotations

from collections.abc import Sequence


def reciprocal_rank_fusion(
    rankings: Sequence[tuple[Sequence[str], float]], *, k: int
) -> list[tuple[str, float]]:
    """Fuse ``(ids best first, weight)`` lists: score = sum of weight / (k + rank).

    Ranks start at 1. Ties keep the order in which ids were first seen.
    """
    scores: dict[str, float] = {}
    for ids, weight in rankings:
        for rank, paper_id in enumerate(ids, start=1):
            scores[paper_id] = scores.get(paper_id, 0.0) + weight / (k + rank)
    order = {paper_id: i for i, paper_id in enumerate(scores)}
    return sorted(scores.items(), key=lambda item: (-item[1], order[item[0]]))
