"""Search by meaning and hybrid search on the demo corpus, with the real model."""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

import pytest

from paperfeed.embedding import Embedder
from paperfeed.search import SearchFilters, SearchService
from paperfeed.search.query import parse_query
from paperfeed.store import PaperStore
from paperfeed.store.search import SearchScope
from tests.factories import make_paper
from tests.search.conftest import search_settings

# Papers of the seed page about invariance or equivariance to transformations
# (ids from the page's papers, shared/seed/seed-papers.jsonl).
INVARIANCE_PAPERS = {
    "2112.12345",  # Revisiting Transformation Invariant Geometric Deep Learning
    "2209.15031",  # Automatic Data Augmentation via Invariance-Constrained Learning
    "2407.04325",  # Understanding the Role of Invariance in Transfer Learning
    "2402.03687",  # Pard: Permutation-Invariant Autoregressive Diffusion
    "2310.11366",  # Lie Group Decompositions for Equivariant Neural Networks
    "2306.00356",  # Regularizing Towards Soft Equivariance Under Mixed Symmetries
    "2111.11840",  # Subgraph Permutation Equivariant Networks
}

# Runs on SQLite until the PostgreSQL engine implements SearchStore.
pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def service(demo_indexed: PaperStore, embedder: Embedder, demo_var: Path) -> SearchService:
    return SearchService(demo_indexed, search_settings(demo_var), embedder=embedder)


def _ids(results: object) -> list[str]:
    return [h.paper.paper.id for h in results.hits]  # type: ignore[attr-defined]


@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
def test_transformation_invariance_ranks_the_invariance_papers_first(
    service: SearchService, mode: str
) -> None:
    results = service.search("transformation invariance", mode=mode, limit=10)  # type: ignore[arg-type]
    assert results.mode_used == mode and results.fallback is None
    top = _ids(results)
    assert set(top[:4]) <= INVARIANCE_PAPERS, top
    assert "2112.12345" in top[:3]


def test_hybrid_marks_what_each_mode_found(service: SearchService) -> None:
    hits = service.search("transformation invariance", mode="hybrid").hits
    assert hits[0].paper.paper.id == "2112.12345"
    assert hits[0].matched_by == frozenset({"keyword", "semantic"})
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert all(a.score >= b.score for a, b in itertools.pairwise(hits))


def test_semantic_finds_meaning_without_shared_words(service: SearchService) -> None:
    top = _ids(service.search("symmetry-aware deep nets", mode="semantic", limit=10))
    assert set(top) & INVARIANCE_PAPERS
    hybrid = service.search("symmetry-aware deep nets", mode="hybrid").hits
    assert any(h.matched_by == frozenset({"semantic"}) for h in hybrid)


def test_filters_apply_to_semantic_results(service: SearchService) -> None:
    filters = SearchFilters(category="cs.LG", since=date(2024, 1, 1))
    results = service.search("transformation invariance", mode="semantic", filters=filters)
    assert results.hits
    for hit in results.hits:
        assert "cs.LG" in hit.paper.paper.categories
        assert (hit.paper.paper.announced or hit.paper.paper.published) >= date(2024, 1, 1)  # type: ignore[operator]
    assert "2407.04325" in _ids(results)


def test_selective_filter_searches_exactly_within_it(service: SearchService) -> None:
    results = service.search("graphs", mode="hybrid", filters=SearchFilters(category="math.CT"))
    assert _ids(results) == ["2212.06615"]  # the only math.CT paper of the corpus


def test_similar_papers_exclude_the_paper_itself(service: SearchService) -> None:
    similar = service.similar("arXiv:2112.12345v2", limit=5)
    ids = [h.paper.paper.id for h in similar]
    assert len(ids) == 5 and "2112.12345" not in ids
    assert set(ids) & INVARIANCE_PAPERS
    assert [h.score for h in similar] == sorted((h.score for h in similar), reverse=True)
    assert service.similar("9912.99999") == []


def test_a_model_that_cannot_load_falls_back_to_keyword(store: PaperStore, tmp_path: Path) -> None:
    # The active generation was built by a model this installation no longer has.
    store.upsert_papers([make_paper("2112.12345")], source="test")
    store.ensure_generation("retired-model", 4)
    store.put_embeddings("retired-model", [("2112.12345", b"\x00" * 16)])
    store.activate_generation("retired-model")
    service = SearchService(store, search_settings(tmp_path))
    results = service.search("transformation invariance", mode="hybrid")
    assert results.mode_used == "keyword"
    assert results.fallback is not None and "retired-model" in results.fallback
    assert _ids(results) == ["2112.12345"]
    service.close()


def test_a_slow_embedder_falls_back_within_the_time_limit(
    demo_indexed: PaperStore, embedder: Embedder, demo_var: Path
) -> None:
    settings = search_settings(demo_var, search_embed_timeout_ms=0.0)
    service = SearchService(demo_indexed, settings, embedder=embedder)
    results = service.search("transformation invariance", mode="semantic")
    assert results.mode_used == "keyword"
    assert results.fallback is not None
    assert results.hits  # keyword results instead
    service.close()


def test_hybrid_weighs_the_keyword_score_more_for_terms_a_paper_holds_together(
    service: SearchService,
) -> None:
    def weight(query: str) -> float:
        parsed = parse_query(query)
        return service.keyword_weight(parsed, service.keyword_candidates(parsed, SearchScope(), 10))

    assert weight("transformation invariant geometric deep learning") == 1.0
    # Bare terms no paper holds together, and prose, lean on meaning.
    assert weight("symmetry-aware deep nets") == 0.2
    assert weight("networks that respect the symmetries of their input") == 0.2
    assert weight("zzzunknownword") == 0.2
