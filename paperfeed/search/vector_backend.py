"""Where nearest-neighbour queries are answered: one backend, chosen once per store.

SQLite has no vector index of its own, so a faiss HNSW index per embedding generation
lives in files beside the database, fed from the store's vectors (``generations``).
PostgreSQL answers in SQL with pgvector (``store/postgres/search.py``), so every process
shares one index and none keeps files. The search service talks to a ``VectorBackend``
and never asks which one it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from paperfeed.embedding import Vectors
from paperfeed.errors import PaperfeedError
from paperfeed.search.generations import GenerationIndex, Progress
from paperfeed.search.index_files import read_manifest
from paperfeed.store.search import SearchScope, SearchStore, VectorSearch

EXACT_SEARCH_LIMIT = 20_000  # filtered semantic search scans at most this many vectors
_OVERFETCH = 4


class VectorBackend(Protocol):
    """Nearest papers to a query vector, exact similarities, and upkeep of the index."""

    def prepare(self, generation: str) -> None:
        """Load now what the first query of ``generation`` would wait for."""
        ...

    def nearest(
        self,
        generation: str,
        vector: Vectors,
        scope: SearchScope,
        depth: int,
        *,
        exclude: Sequence[str] = (),
    ) -> list[tuple[str, float]]:
        """Up to ``depth`` papers within ``scope`` nearest to ``vector`` by cosine, best
        first, with their cosine."""
        ...

    def similarities(
        self, generation: str, vector: Vectors, paper_ids: Sequence[str]
    ) -> dict[str, float]:
        """Exact cosine of ``vector`` with the stored vector of each of ``paper_ids``
        that has one."""
        ...

    def refresh(self, generation: str) -> None:
        """Take in the vectors stored since the index was last brought up to date."""
        ...

    def rebuild(self, generation: str, progress: Progress | None = None) -> None:
        """Build the index of ``generation`` again from every stored vector."""
        ...

    def behind(self, generation: str) -> bool:
        """Whether the index lacks vectors the store holds."""
        ...


def _blob(vector: Vectors) -> bytes:
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()


class EngineVectors:
    """The engine's own vector index (pgvector): nothing to load, build or catch up."""

    def __init__(self, store: VectorSearch) -> None:
        self._store = store

    def prepare(self, generation: str) -> None:
        return None

    def nearest(
        self,
        generation: str,
        vector: Vectors,
        scope: SearchScope,
        depth: int,
        *,
        exclude: Sequence[str] = (),
    ) -> list[tuple[str, float]]:
        return self._store.nearest_papers(
            generation, _blob(vector), scope, limit=depth, exclude=exclude
        )

    def similarities(
        self, generation: str, vector: Vectors, paper_ids: Sequence[str]
    ) -> dict[str, float]:
        if not paper_ids:
            return {}
        return self._store.paper_similarities(generation, _blob(vector), paper_ids)

    def refresh(self, generation: str) -> None:
        return None

    def rebuild(self, generation: str, progress: Progress | None = None) -> None:
        return None

    def behind(self, generation: str) -> bool:
        return False


class EmbeddedVectors:
    """A faiss index per generation in files under ``folder``, fed from the store."""

    def __init__(self, store: SearchStore, folder: Path) -> None:
        self._store = store
        self._folder = folder
        self._indexes: dict[str, GenerationIndex] = {}

    def generation_index(self, generation: str) -> GenerationIndex:
        """The files of ``generation`` (opened on first use)."""
        if generation not in self._indexes:
            dim = next((g.dim for g in self._store.generations() if g.name == generation), None)
            if dim is None:
                raise PaperfeedError(f"no embeddings for generation {generation!r}")
            self._indexes[generation] = GenerationIndex(self._store, self._folder, generation, dim)
        return self._indexes[generation]

    def prepare(self, generation: str) -> None:
        self.generation_index(generation).get()

    def nearest(
        self,
        generation: str,
        vector: Vectors,
        scope: SearchScope,
        depth: int,
        *,
        exclude: Sequence[str] = (),
    ) -> list[tuple[str, float]]:
        """Over-fetch and filter, or search exactly over the papers in scope when the
        filter is selective."""
        index = self.generation_index(generation).get()
        if scope.is_empty:
            return index.search(vector, depth, exclude=exclude)
        candidates = index.search(vector, depth * _OVERFETCH, exclude=exclude)
        allowed = self._store.papers_in_scope([p for p, _ in candidates], scope)
        kept = [c for c in candidates if c[0] in allowed]
        if len(kept) >= depth or len(candidates) < depth * _OVERFETCH:
            return kept[:depth]
        subset = self._store.paper_ids_in_scope(scope, limit=EXACT_SEARCH_LIMIT + 1)
        if len(subset) > EXACT_SEARCH_LIMIT:
            return kept[:depth]
        excluded = set(exclude)
        return index.search_subset(vector, [p for p in subset if p not in excluded], depth)

    def similarities(
        self, generation: str, vector: Vectors, paper_ids: Sequence[str]
    ) -> dict[str, float]:
        if not paper_ids:
            return {}
        return self.generation_index(generation).get().similarities(vector, paper_ids)

    def refresh(self, generation: str) -> None:
        self.generation_index(generation).refresh()

    def rebuild(self, generation: str, progress: Progress | None = None) -> None:
        self.generation_index(generation).rebuild(progress)

    def behind(self, generation: str) -> bool:
        manifest = read_manifest(self._folder, generation)
        return manifest is None or manifest.max_seq < self._store.latest_embedding_seq(generation)


def vector_backend(store: SearchStore, folder: Path) -> VectorBackend:
    """The backend for ``store``: its engine's own vector index, else files in
    ``folder``."""
    if isinstance(store, VectorSearch):
        return EngineVectors(store)
    return EmbeddedVectors(store, folder)
