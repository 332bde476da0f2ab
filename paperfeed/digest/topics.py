"""Topic vectors: each distinct topic is embedded once per embedding generation and kept
in the store, so a digest run embeds only topics nobody followed before."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

import numpy as np

from paperfeed.digest.candidates import FloatArray
from paperfeed.digest.ranking import topic_key
from paperfeed.store.subscriptions import SubscriptionStore

log = logging.getLogger("paperfeed.digest")

EmbedTexts = Callable[[list[str]], FloatArray]


def topic_vectors(
    store: SubscriptionStore,
    generation: str,
    topics: Iterable[str],
    embed: EmbedTexts | None,
    dim: int,
) -> dict[str, FloatArray]:
    """Vectors by topic key; topics that cannot be embedded are left out (keyword only)."""
    keys = sorted({topic_key(t) for t in topics})
    stored = store.topic_vectors(generation, keys)
    vectors = {
        k: np.frombuffer(v, dtype=np.float32) for k, v in stored.items() if len(v) == dim * 4
    }
    missing = [k for k in keys if k not in vectors]
    if missing and embed is not None:
        try:
            fresh = embed(missing)
        except Exception as exc:  # a broken model degrades digests to keyword matching
            log.warning("cannot embed %d topics (%s): keyword matching only", len(missing), exc)
            return vectors
        new = {k: np.ascontiguousarray(fresh[i], dtype=np.float32) for i, k in enumerate(missing)}
        store.put_topic_vectors(generation, {k: v.tobytes() for k, v in new.items()})
        vectors.update(new)
    return vectors
