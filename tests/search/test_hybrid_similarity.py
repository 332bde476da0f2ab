"""Hybrid search on either engine: a paper found by its words alone, beyond the nearest
papers, counts with its own similarity to the query.

Counted with the lowest similarity among the nearest papers instead, a paper that merely
contains the query's words rode up the list whenever few results were asked for.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from paperfeed.embedding import Embedder
from paperfeed.search import SearchService
from paperfeed.store import PaperStore
from tests.factories import make_paper
from tests.search.conftest import search_settings

QUERY = "quantum error correction"
PAPERS = [
    (
        "Quantum Error Correction with Surface Codes",
        "We study quantum error correction thresholds of surface codes.",
    ),
    (
        "Decoding Quantum Error Correction Codes with Neural Networks",
        "Neural decoders for quantum error correction.",
    ),
    (
        "Quantum Error Correction Below Threshold",
        "Experiments show quantum error correction lowers logical errors.",
    ),
    (
        "Protecting Qubits from Decoherence with Stabilizer Codes",
        "Logical qubits survive noise when redundantly encoded and repeatedly measured.",
    ),
    (
        "Fault-Tolerant Logical Qubits on Superconducting Processors",
        "Below threshold, larger codes lower the logical failure rate.",
    ),
]
# Every word of the query, none of its meaning.
GRAIN = "2402.00005"
GRAIN_PAPER = (
    "Grain Prices in Medieval Market Towns",
    "Ledgers of twelve towns give monthly grain prices over two centuries; a correction"
    " for missing months, and the error it leaves, change the trend little; each town"
    " kept a quantum of stock for famine years, and harvest failures spread along rivers.",
)


@pytest.fixture
def service(store: PaperStore, embedder: Embedder, tmp_path: Path) -> SearchService:
    store.upsert_papers(
        [
            make_paper(f"2402.{n:05d}", title=title, abstract=abstract)
            for n, (title, abstract) in enumerate([*PAPERS, GRAIN_PAPER])
        ],
        source="test",
    )
    # One candidate per mode beyond the page: the nearest papers leave the grain paper out.
    settings = search_settings(tmp_path, search_candidates=1)
    service = SearchService(store, settings, embedder=embedder)
    service.rebuild_keyword_index()
    service.index_papers()
    return service


def hybrid(service: SearchService, limit: int) -> list[str]:
    results = service.search(QUERY, mode="hybrid", limit=limit)
    assert results.mode_used == "hybrid"
    return [h.paper.paper.id for h in results.hits]


def test_a_paper_with_the_words_but_not_the_meaning_stays_last(service: SearchService) -> None:
    assert [h.paper.paper.id for h in service.search(QUERY, mode="keyword").hits][-1] == GRAIN
    everything = hybrid(service, 6)
    assert everything[-1] == GRAIN
    for limit in range(1, 6):
        assert hybrid(service, limit) == everything[:limit]


def test_similarities_are_those_of_the_stored_vectors(
    service: SearchService, store: PaperStore, embedder: Embedder
) -> None:
    generation = store.active_generation()
    assert generation is not None
    query = embedder.embed_query(QUERY).reshape(-1)
    found = service.similarities(generation, query, [GRAIN, "2402.00000", "2402.99999"])
    assert set(found) == {GRAIN, "2402.00000"}  # a paper without a vector has none
    for paper_id, similarity in found.items():
        blob = store.get_embedding(generation, paper_id)
        assert blob is not None
        assert similarity == pytest.approx(
            float(np.frombuffer(blob, dtype="<f4") @ query), abs=2e-3
        )
    assert found["2402.00000"] > found[GRAIN]
    assert service.similarities(generation, query, []) == {}
