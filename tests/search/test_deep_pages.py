"""Deep result pages by meaning, on both engines: a page far down the list is served
(pgvector caps how wide its graph walk may be; the page must come anyway)."""

from __future__ import annotations

from pathlib import Path

from paperfeed.embedding import Embedder
from paperfeed.search import SearchService
from paperfeed.store import PaperStore
from tests.factories import make_paper
from tests.search.conftest import search_settings


def test_a_page_deeper_than_the_graph_walk_is_served(
    store: PaperStore, embedder: Embedder, tmp_path: Path
) -> None:
    store.upsert_papers(
        [make_paper(f"2401.{n:05d}", title=f"Graph networks, study {n}") for n in range(1, 31)],
        source="jsonl",
    )
    service = SearchService(store, search_settings(tmp_path), embedder=embedder)
    try:
        service.index_papers()
        deep = service.search("graph networks", mode="semantic", limit=2, offset=6_000)
        assert deep.mode_used == "semantic" and deep.fallback is None
        assert deep.hits == []
        first = service.search("graph networks", mode="semantic", limit=25, offset=5)
        assert first.mode_used == "semantic" and len(first.hits) == 25
    finally:
        service.close()
