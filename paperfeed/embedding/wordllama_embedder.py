"""WordLlama static embeddings: numpy only, ~1,000+ docs/s, but clearly weaker relevance.

Offered as the light option for very small machines or huge backfills; weights ship inside
the `wordllama` wheel and are loaded from there with downloads disabled.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from paperfeed.embedding.base import EmbeddingError, Vectors, l2_normalize

CONFIG = "l2_supercat"
DIM = 256


class WordLlamaEmbedder:
    """Average of learned token embeddings (256-d); no neural network at query time."""

    name = f"wordllama-{CONFIG}-{DIM}"
    dim = DIM

    def __init__(self) -> None:
        spec = importlib.util.find_spec("wordllama")
        if spec is None or not spec.submodule_search_locations:
            raise EmbeddingError(
                "wordllama embeddings need the 'wordllama' extra (`pip install wordllama`)"
            )
        package_dir = Path(next(iter(spec.submodule_search_locations)))
        try:
            from wordllama import WordLlama
        except ImportError as exc:
            raise EmbeddingError(f"wordllama cannot be imported ({exc.name} missing)") from exc
        try:
            # cache_dir=<package dir> makes it find the weights/tokenizer the wheel ships;
            # disable_download guarantees no network access if they are missing.
            self._model: Any = WordLlama.load(
                config=CONFIG, cache_dir=package_dir, dim=DIM, disable_download=True
            )
        except Exception as exc:
            raise EmbeddingError(f"cannot load wordllama weights from {package_dir}") from exc

    def embed_documents(self, texts: list[str]) -> Vectors:
        """Embed texts; rows are re-normalised so texts without known tokens give zeros."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        raw = np.asarray(self._model.embed(list(texts), norm=False), dtype=np.float32)
        return l2_normalize(np.nan_to_num(raw))

    def embed_query(self, text: str) -> Vectors:
        """Embed one query (tens of microseconds)."""
        vec: Vectors = self.embed_documents([text])[0]
        return vec
