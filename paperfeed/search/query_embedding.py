"""Query embedding under a time limit: a slow or broken model must not stall a search.

The model is loaded once per process and run on one worker thread. Loading is waited
for, not timed (a few seconds, once): a server loads it at start-up, before it accepts
requests, and a one-shot command waits for it, so no search answers with keyword results
only because the model was still loading. The time limit covers embedding a query with
the loaded model; a model that cannot load, or fails, or is slower than the limit gives
keyword results, saying why.
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
    """Embeds queries with a model loaded on first use, each query within ``timeout_s``."""

    def __init__(self, load: Callable[[], Embedder]) -> None:
        self._load = load
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="paperfeed-embed")
        self._model: Future[Embedder] | None = None

    def _model_future(self) -> Future[Embedder]:
        if self._model is None:
            self._model = self._executor.submit(self._load)
        return self._model

    def load(self) -> Embedder:
        """The model, loaded now if no one asked before (waits for a load under way).

        A model that cannot load raises ``EmbeddingUnavailable`` at once on every call.
        """
        try:
            return self._model_future().result()
        except Exception as exc:  # any load failure means keyword-only
            raise EmbeddingUnavailable(f"the embedding model is unavailable: {exc}") from exc

    def embed(self, text: str, timeout_s: float) -> Vectors:
        """``text``'s vector, waiting for the model to load and then at most ``timeout_s``
        for the embedding itself."""
        return self.start(text, timeout_s).vector()

    def start(self, text: str, timeout_s: float) -> PendingVector:
        """Begin embedding ``text`` (after waiting for the model to load) and return at
        once, so the caller can search keywords while the model runs."""
        model = self.load()
        return PendingVector(self._executor.submit(model.embed_query, text), timeout_s)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


class PendingVector:
    """A query embedding under way; ``vector`` waits for what is left of its time limit."""

    def __init__(self, future: Future[Vectors], timeout_s: float) -> None:
        self._future = future
        self._timeout_s = timeout_s
        self._deadline = time.monotonic() + max(0.0, timeout_s)

    def vector(self) -> Vectors:
        try:
            return self._future.result(timeout=max(0.0, self._deadline - time.monotonic()))
        except FutureTimeout:
            self._future.cancel()
            raise EmbeddingUnavailable(
                f"the query embedding took longer than {self._timeout_s * 1000:.0f} ms"
            ) from None
        except Exception as exc:
            raise EmbeddingUnavailable(f"the embedding model failed: {exc}") from exc
