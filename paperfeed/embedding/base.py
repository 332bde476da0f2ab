"""The contract every text embedder fulfils, and helpers shared by the implementations."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class EmbeddingError(RuntimeError):
    """Raised when an embedder cannot be loaded or built (missing extra, broken model files)."""


@runtime_checkable
class Embedder(Protocol):
    """Turns text into L2-normalised float32 vectors, so a dot product is a cosine.

    `name` identifies model *and* variant (e.g. int8 vs fp32): vectors from different names
    must never be mixed in one index, so the store uses it as the embedding "generation" id.
    """

    name: str
    dim: int

    def embed_documents(self, texts: list[str]) -> Vectors:
        """Embed many texts; returns shape (len(texts), dim), rows L2-normalised."""
        ...

    def embed_query(self, text: str) -> Vectors:
        """Embed one search query; returns shape (dim,), L2-normalised."""
        ...


def document_text(title: str | None, abstract: str | None) -> str:
    """Compose the text embedded for a paper, so every caller embeds papers the same way."""
    title = " ".join((title or "").split())
    abstract = " ".join((abstract or "").split())
    if title and abstract:
        sep = " " if title[-1] in ".?!" else ". "
        return f"{title}{sep}{abstract}"
    return title or abstract


def l2_normalize(vectors: npt.NDArray[np.floating]) -> Vectors:
    """Scale rows to unit length; all-zero rows (e.g. empty text) stay zero instead of NaN."""
    v = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(v, axis=-1, keepdims=True)
    out: Vectors = v / np.maximum(norms, np.float32(1e-12))
    return out
