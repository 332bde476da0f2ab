"""Text embeddings for semantic search, without torch.

`load_embedder(name, cache_dir)` returns an `Embedder`. Names (also the generation ids):

- ``minilm-l6-v2-int8`` (default): all-MiniLM-L6-v2, int8 weights, ~2x faster than fp32 on CPU.
- ``minilm-l6-v2-fp32``: the same model, identical to the sentence-transformers reference.
- ``wordllama-l2_supercat-256``: static word embeddings, very fast, weaker relevance.

See docs/decisions/0002-embedding-model.md for the measurements behind the choice.
"""

from __future__ import annotations

from pathlib import Path

from paperfeed.embedding.base import (
    Embedder,
    EmbeddingError,
    Vectors,
    document_text,
    l2_normalize,
)

DEFAULT_EMBEDDER = "minilm-l6-v2-int8"
EMBEDDER_NAMES = ("minilm-l6-v2-int8", "minilm-l6-v2-fp32", "wordllama-l2_supercat-256")

__all__ = [
    "DEFAULT_EMBEDDER",
    "EMBEDDER_NAMES",
    "Embedder",
    "EmbeddingError",
    "Vectors",
    "document_text",
    "l2_normalize",
    "load_embedder",
]


def load_embedder(name: str, cache_dir: Path) -> Embedder:
    """Create the embedder called `name`; derived model files are cached under `cache_dir`.

    Raises EmbeddingError for an unknown name or a missing optional dependency, with the
    install command in the message.
    """
    if name in ("minilm-l6-v2-int8", "minilm-l6-v2-fp32"):
        from paperfeed.embedding.minilm_onnx import MiniLMOnnxEmbedder

        return MiniLMOnnxEmbedder(cache_dir, "int8" if name.endswith("int8") else "fp32")
    if name == "wordllama-l2_supercat-256":
        from paperfeed.embedding.wordllama_embedder import WordLlamaEmbedder

        return WordLlamaEmbedder()
    raise EmbeddingError(f"unknown embedder {name!r}; choose one of {', '.join(EMBEDDER_NAMES)}")
