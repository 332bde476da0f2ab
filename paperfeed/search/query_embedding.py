"""Query embedding under a time limit: a slow or broken model must not stall a search.

The model is loaded and run on one worker thread; the caller waits at most the time
limit and otherwise answers with keyword results, saying why. A model still loading
keeps loading in the background, so later queries get semantic results.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from paperfeed.embedding import Embedder, Vectors


class EmbeddingUnavailable(Exception):
    """The query could not be embedded in time; the message is shown to the user."""


class QueryEmbedder:
    """Embeds queries with a model loaded on first use, each call within ``timeout_s``."""

    def __init__(self, load: Callable[[], Embedder]) -> None:
        self._load = load
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="paperfeed-embed")
        self._model: Future[Embedder] | None = None

    def _model_future(self) -> Future[Embedder]:
        if self._model is None:
            self._model = self._executor.submit(self._load)
        return self._model

    def embed(self, text: str, timeout_s: float) -> Vectors:
        deadline = time.monotonic() + timeout_s
        model_future = self._model_future()
        try:
            model = model_future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            raise EmbeddingUnavailable("the embedding model is still loading") from None
        except Exception as exc:  # any load failure means keyword-only
            raise EmbeddingUnavailable(f"the embedding model is unavailable: {exc}") from exc
        vector_future = self._executor.submit(model.embed_query, text)
        try:
            return vector_future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            raise EmbeddingUnavailable(
                f"the query embedding took longer than {timeout_s * 1000:.0f} ms"
            ) from None
        except Exception as exc:
            raise EmbeddingUnavailable(f"the embedding model failed: {exc}") from exc

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
