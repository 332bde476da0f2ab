"""Score fusion: a clear winner of either ranking stays on top; agreement wins ties."""

from __future__ import annotations

import pytest

from paperfeed.search.fusion import score_fusion


def fused(keyword: list[tuple[str, float]], semantic: list[tuple[str, float]]) -> list[str]:
    ranked = score_fusion(keyword, semantic, keyword_weight=0.2, semantic_weight=1.0)
    return [paper_id for paper_id, _ in ranked]


def test_a_paper_both_rankings_like_beats_one_sided_first_places() -> None:
    keyword = [("a", 9.0), ("b", 8.5), ("c", 2.0)]
    semantic = [("d", 0.62), ("b", 0.615), ("e", 0.55)]
    assert fused(keyword, semantic)[0] == "b"


def test_a_flat_semantic_list_leaves_a_clear_keyword_winner_first() -> None:
    # Typed terms: one paper has them all, the meanings of the rest are about as close.
    keyword = [("exact", 14.0), ("near", 4.0)]
    semantic = [("near", 0.51), ("other", 0.50), ("exact", 0.49)]
    assert fused(keyword, semantic)[0] == "exact"


def test_a_clear_semantic_winner_outranks_a_word_match() -> None:
    # Described in other words: the right paper shares few words with the query.
    keyword = [("shares-words", 6.0), ("described", 5.0)]
    semantic = [("described", 0.71), ("shares-words", 0.40), ("third", 0.39)]
    assert fused(keyword, semantic)[0] == "described"


def test_weights_tilt_the_order_and_papers_missing_from_a_list_still_count() -> None:
    ranked = score_fusion([("a", 3.0)], [("b", 0.5)], keyword_weight=1.0, semantic_weight=1.0)
    assert ranked == [("a", 1.5), ("b", 0.5)]  # "a" counts the lowest similarity, 0.5


def test_a_keyword_candidate_beyond_the_semantic_list_counts_its_own_similarity() -> None:
    keyword = [("worded", 4.0), ("meant", 3.6)]
    semantic = [("near", 0.7), ("closer", 0.6)]
    ranked = score_fusion(
        keyword,
        semantic,
        keyword_weight=0.2,
        semantic_weight=1.0,
        similarities={"worded": 0.1, "meant": 0.55},
    )
    # Counted with the lowest similarity listed (0.6), "worded" came first.
    assert [p for p, _ in ranked] == ["meant", "near", "closer", "worded"]
    assert dict(ranked)["worded"] == pytest.approx(0.2 + 0.1)
