"""Nearest-neighbour search over paper vectors: faiss HNSW, saved atomically.

Why faiss HNSW (docs/decisions/0003-search.md): recall@10 about 0.98 at well under a
millisecond per query, a maintained wheel with no compiler needed, incremental adds,
and exact search over any subset for selective filters. Vectors are L2-normalised, so
inner product is cosine. A paper whose vector is replaced keeps its old slot in the
graph (HNSW cannot delete); only its newest slot counts.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

try:
    import faiss
except ImportError:  # pragma: no cover - reported by SearchService as a fallback reason
    faiss = None  # type: ignore[assignment, unused-ignore]

Vectors = npt.NDArray[np.float32]
HNSW_NEIGHBOURS = 32
EF_CONSTRUCTION = 80
EF_SEARCH = 96


def require_faiss() -> None:
    """Raise ImportError with the install hint when faiss is missing."""
    if faiss is None:
        raise ImportError("semantic search needs faiss-cpu: pip install 'paperfeed[search]'")


class VectorIndex:
    """An HNSW graph over vectors, and which paper each graph slot belongs to."""

    def __init__(self, dim: int, index: Any | None = None, slots: list[str] | None = None) -> None:
        require_faiss()
        self.dim = dim
        if index is None:
            index = faiss.IndexHNSWFlat(dim, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = EF_CONSTRUCTION
        self._index: Any = index
        self._index.hnsw.efSearch = EF_SEARCH
        self.slots: list[str] = slots or []
        self._newest: dict[str, int] = {p: s for s, p in enumerate(self.slots)}

    def __len__(self) -> int:
        """How many papers (not graph slots) the index answers for."""
        return len(self._newest)

    def __contains__(self, paper_id: object) -> bool:
        return paper_id in self._newest

    def add(self, paper_ids: Sequence[str], vectors: Vectors) -> None:
        """Add (or replace) papers' vectors; uses every core while building."""
        if not paper_ids:
            return
        matrix = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(paper_ids), self.dim)
        first = len(self.slots)
        faiss.omp_set_num_threads(os.cpu_count() or 1)
        try:
            self._index.add(matrix)
        finally:
            faiss.omp_set_num_threads(1)  # single queries: 1 thread is several times faster
        self.slots.extend(paper_ids)
        for offset, paper_id in enumerate(paper_ids):
            self._newest[paper_id] = first + offset

    def vector(self, paper_id: str) -> Vectors | None:
        slot = self._newest.get(paper_id)
        if slot is None:
            return None
        out: Vectors = self._index.reconstruct(slot)
        return out

    def search(
        self, query: Vectors, k: int, *, exclude: Collection[str] = ()
    ) -> list[tuple[str, float]]:
        """The ``k`` nearest papers with cosine scores, best first."""
        if k <= 0 or not self.slots:
            return []
        want = k + len(exclude)
        fetch = min(len(self.slots), want + max(8, want // 4))  # room for stale slots
        scores, found = self._index.search(query.reshape(1, self.dim).astype(np.float32), fetch)
        results: list[tuple[str, float]] = []
        for score, slot in zip(scores[0], found[0], strict=True):
            if slot < 0:
                continue
            paper_id = self.slots[slot]
            if self._newest.get(paper_id) != slot or paper_id in exclude:
                continue
            results.append((paper_id, float(score)))
            if len(results) == k:
                break
        return results

    def search_subset(
        self, query: Vectors, paper_ids: Collection[str], k: int
    ) -> list[tuple[str, float]]:
        """Exact search over ``paper_ids`` only (for selective filters)."""
        slots = [self._newest[p] for p in paper_ids if p in self._newest]
        if not slots or k <= 0:
            return []
        matrix = self._index.reconstruct_batch(np.asarray(slots, dtype=np.int64))
        scores = matrix @ query.astype(np.float32)
        top = np.argsort(-scores)[:k]
        return [(self.slots[slots[i]], float(scores[i])) for i in top]

    def similarities(self, query: Vectors, paper_ids: Collection[str]) -> dict[str, float]:
        """Exact cosine of ``query`` with each of ``paper_ids`` the index holds."""
        known = [p for p in paper_ids if p in self._newest]
        if not known:
            return {}
        slots = np.asarray([self._newest[p] for p in known], dtype=np.int64)
        scores = self._index.reconstruct_batch(slots) @ query.astype(np.float32).reshape(-1)
        return {p: float(s) for p, s in zip(known, scores, strict=True)}

    def save(self, folder: Path) -> None:
        """Write the graph and slot list into ``folder`` (a fresh folder: see storage)."""
        faiss.write_index(self._index, str(folder / "index.faiss"))
        (folder / "slots.json").write_bytes(orjson.dumps(self.slots))

    @classmethod
    def load(cls, folder: Path, dim: int) -> VectorIndex:
        require_faiss()
        index = faiss.read_index(str(folder / "index.faiss"))
        if index.d != dim:
            raise ValueError(f"index in {folder} has {index.d} dimensions, expected {dim}")
        slots = list(orjson.loads((folder / "slots.json").read_bytes()))
        if len(slots) != index.ntotal:
            raise ValueError(f"index in {folder} is inconsistent ({len(slots)} slots)")
        return cls(dim, index, slots)
