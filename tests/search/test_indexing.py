"""Embeddings and vector indexes: incremental = rebuilt, generations switch atomically."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from paperfeed.embedding import Embedder
from paperfeed.ingest import run_ingest
from paperfeed.search import SearchService, index_after_ingest
from paperfeed.search.index_files import generation_folder, read_manifest
from paperfeed.search.vector_backend import EmbeddedVectors
from paperfeed.sources.jsonl import JSONLSource
from paperfeed.store import PaperStore
from tests.search.conftest import DEMO_CORPUS, search_settings

# Runs on SQLite until the PostgreSQL engine implements SearchStore.
pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def papers(store: PaperStore, tmp_path: Path) -> list[str]:
    """The first 12 demo papers in the test's store."""
    lines = DEMO_CORPUS.read_bytes()
    import gzip

    subset = tmp_path / "subset.jsonl"
    subset.write_bytes(b"".join(gzip.decompress(lines).splitlines(keepends=True)[:12]))
    run_ingest(store, JSONLSource(subset))
    return sorted(p.paper.id for p in store.list_papers(limit=100))


def _neighbours(service: SearchService, paper_id: str) -> list[str]:
    return [h.paper.paper.id for h in service.similar(paper_id, limit=5)]


def test_incremental_index_equals_rebuilt(
    store: PaperStore, papers: list[str], embedder: Embedder, tmp_path: Path
) -> None:
    service = SearchService(store, search_settings(tmp_path), embedder=embedder)
    assert service.index_papers(papers[:10]) == 10
    assert store.active_generation() is None  # incomplete generations do not serve
    assert service.index_papers(papers[10:]) == len(papers) - 10
    assert store.active_generation() == embedder.name
    incremental = {p: _neighbours(service, p) for p in papers[:5]}
    manifest = read_manifest(service.index_root, embedder.name)
    assert manifest is not None and manifest.count == len(papers)

    service.rebuild_index()
    assert {p: _neighbours(service, p) for p in papers[:5]} == incremental
    assert service.index_papers() == 0  # nothing missing


def test_missing_or_stale_index_is_rebuilt_from_the_store(
    store: PaperStore, papers: list[str], embedder: Embedder, tmp_path: Path
) -> None:
    settings = search_settings(tmp_path)
    SearchService(store, settings, embedder=embedder).index_papers()
    service = SearchService(store, settings, embedder=embedder)
    expected = _neighbours(service, papers[0])
    shutil.rmtree(generation_folder(service.index_root, embedder.name))

    fresh = SearchService(store, settings, embedder=embedder)
    assert _neighbours(fresh, papers[0]) == expected
    assert read_manifest(fresh.index_root, embedder.name) is not None


def test_new_papers_reach_a_loaded_index(
    store: PaperStore, papers: list[str], embedder: Embedder, tmp_path: Path
) -> None:
    settings = search_settings(tmp_path)
    reader = SearchService(store, settings, embedder=embedder)
    writer = SearchService(store, settings, embedder=embedder)
    writer.index_papers(papers[:-1])
    writer.index_papers(papers[-1:])
    assert store.active_generation() == embedder.name
    vector = np.frombuffer(store.get_embedding(embedder.name, papers[-1]) or b"", dtype="<f4")
    assert isinstance(reader.vectors, EmbeddedVectors)  # SQLite keeps its index in files
    index = reader.vectors.generation_index(embedder.name).get()
    assert papers[-1] in index and len(index) == len(papers)
    assert index.search(vector, 1)[0][0] == papers[-1]


def test_a_new_model_is_built_beside_the_old_then_switched(
    store: PaperStore,
    papers: list[str],
    embedder: Embedder,
    other_embedder: Embedder,
    tmp_path: Path,
) -> None:
    settings = search_settings(tmp_path)
    SearchService(store, settings, embedder=embedder).index_papers()
    new = SearchService(store, settings, embedder=other_embedder)
    new.index_papers(papers[:5])  # partly built: the old generation still answers
    assert store.active_generation() == embedder.name
    assert new.search("graph", mode="semantic").mode_used == "semantic"

    new.index_papers()
    assert store.active_generation() == other_embedder.name
    assert {g.name for g in store.generations()} == {embedder.name, other_embedder.name}
    assert generation_folder(new.index_root, embedder.name).is_dir()  # old kept beside
    assert new.search("graph", mode="semantic").mode_used == "semantic"
    assert len(new.similar(papers[0], limit=3)) == 3


def test_index_after_ingest_embeds_the_ingested_papers(
    store: PaperStore, papers: list[str], embedder: Embedder, model_cache: Path, tmp_path: Path
) -> None:
    settings = search_settings(tmp_path, search_model_dir=str(model_cache))
    assert index_after_ingest(store, settings, papers[:3]) == 3
    assert store.count_missing_embeddings(embedder.name) == len(papers) - 3
    assert index_after_ingest(store, settings) == len(papers) - 3
    assert store.active_generation() == embedder.name


def test_deleted_papers_leave_results(
    store: PaperStore, papers: list[str], embedder: Embedder, tmp_path: Path
) -> None:
    service = SearchService(store, search_settings(tmp_path), embedder=embedder)
    service.index_papers()
    gone = _neighbours(service, papers[0])[0]
    with store._pool.write() as conn:  # type: ignore[attr-defined]
        conn.execute("DELETE FROM papers WHERE id = ?", (gone,))
    fresh = SearchService(store, search_settings(tmp_path), embedder=embedder)
    assert gone not in _neighbours(fresh, papers[0])
    assert gone not in [h.paper.paper.id for h in fresh.search("graph", mode="semantic").hits]
