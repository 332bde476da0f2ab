"""Embeddings in the store, and each generation's vector index kept in step with them.

The store holds every vector (the source of truth). A generation's index on disk is a
derived artifact: caught up incrementally from the vectors it has not seen (by ``seq``),
and rebuilt from the store when it is missing, unreadable or stale.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from paperfeed.embedding import Embedder, document_text
from paperfeed.search.index_files import Manifest, load_index, save_index
from paperfeed.search.vectors import VectorIndex
from paperfeed.store.search import SearchStore

Progress = Callable[[int, int], None]
EMBED_BATCH = 256
_FRESHNESS_CHECK_SECONDS = 1.0


def embed_missing(
    store: SearchStore,
    embedder: Embedder,
    paper_ids: Sequence[str] | None = None,
    *,
    progress: Progress | None = None,
    batch_size: int = EMBED_BATCH,
) -> int:
    """Embed the papers (of ``paper_ids``, or all) that lack a vector in the embedder's
    generation; each batch is committed, so an interrupted run resumes where it stopped."""
    generation = embedder.name
    store.ensure_generation(generation, embedder.dim)
    total = (
        store.count_missing_embeddings(generation)
        if paper_ids is None
        else len(store.papers_missing_embeddings(generation, paper_ids, limit=len(paper_ids)))
    )
    done = 0
    after = ""
    if progress:
        progress(0, total)
    while True:
        batch = store.papers_missing_embeddings(
            generation, paper_ids, after=after, limit=batch_size
        )
        if not batch:
            return done
        texts = store.texts_for_embedding(batch)
        ids = [i for i in batch if i in texts]
        vectors = embedder.embed_documents([document_text(*texts[i]) for i in ids])
        blobs = [np.asarray(v, dtype="<f4").tobytes() for v in vectors]
        store.put_embeddings(generation, list(zip(ids, blobs, strict=True)))
        done += len(ids)
        after = batch[-1]
        if progress:
            progress(done, max(total, done))


class GenerationIndex:
    """The vector index of one generation, loaded lazily and kept fresh."""

    def __init__(self, store: SearchStore, root: Path, generation: str, dim: int) -> None:
        self.store = store
        self.root = root
        self.generation = generation
        self.dim = dim
        self._index: VectorIndex | None = None
        self._manifest: Manifest | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    @property
    def manifest(self) -> Manifest | None:
        return self._manifest

    def get(self) -> VectorIndex:
        """The index, caught up with the store (checked at most once a second)."""
        with self._lock:
            if self._index is None:
                self._open()
            elif time.monotonic() - self._checked_at > _FRESHNESS_CHECK_SECONDS:
                self._catch_up(self.store.latest_embedding_seq(self.generation))
            assert self._index is not None
            return self._index

    def _open(self) -> None:
        loaded = load_index(self.root, self.generation, self.dim)
        state = self.store.embedding_state(self.generation)
        if loaded is None or loaded[1].max_seq > state.max_seq:
            self._rebuild()
            return
        self._index, self._manifest = loaded
        self._catch_up(state.max_seq)
        if len(self._index) != state.count:  # papers deleted since: start over
            self._rebuild()

    def _catch_up(self, latest: int) -> None:
        assert self._index is not None and self._manifest is not None
        self._checked_at = time.monotonic()
        if latest < self._manifest.max_seq:
            self._rebuild()
        elif latest > self._manifest.max_seq:
            max_seq = self._add_from(self._index, self._manifest.max_seq)
            self._manifest = save_index(self.root, self.generation, self._index, max_seq)

    def _add_from(
        self, index: VectorIndex, after_seq: int, progress: Progress | None = None
    ) -> int:
        max_seq = after_seq
        total = self.store.embedding_state(self.generation).count if progress else 0
        for rows in self.store.iter_embeddings(self.generation, after_seq=after_seq):
            matrix = np.frombuffer(b"".join(r.vector for r in rows), dtype="<f4")
            index.add([r.paper_id for r in rows], matrix.reshape(len(rows), self.dim))
            max_seq = rows[-1].seq
            if progress:
                progress(len(index), total)
        return max_seq

    def _rebuild(self, progress: Progress | None = None) -> None:
        index = VectorIndex(self.dim)
        max_seq = self._add_from(index, 0, progress)
        self._manifest = save_index(self.root, self.generation, index, max_seq)
        self._index = index
        self._checked_at = time.monotonic()

    def rebuild(self, progress: Progress | None = None) -> Manifest:
        """Build the index from the store's vectors, from scratch."""
        with self._lock:
            self._rebuild(progress)
            assert self._manifest is not None
            return self._manifest

    def refresh(self) -> Manifest:
        """Load (or build) and catch up now, regardless of when it was last checked."""
        with self._lock:
            if self._index is None:
                self._open()
            else:
                self._catch_up(self.store.latest_embedding_seq(self.generation))
            assert self._manifest is not None
            return self._manifest
