"""Reciprocal rank fusion rewards papers that both rankings place high."""

from __future__ import annotations

from paperfeed.search.fusion import reciprocal_rank_fusion


def test_agreement_beats_one_sided_first_place() -> None:
    fused = reciprocal_rank_fusion([(["a", "b", "c"], 1.0), (["b", "d", "a"], 1.0)], k=60)
    assert [p for p, _ in fused][:2] == ["b", "a"]


def test_weights_tilt_the_order() -> None:
    fused = reciprocal_rank_fusion([(["a"], 1.0), (["b"], 2.0)], k=60)
    assert [p for p, _ in fused] == ["b", "a"]
    assert fused[0][1] == 2.0 / 61
