"""What a card's "add to list" form needs: the viewer's lists, and which of them hold
each paper on the page (one query each, none for a visitor)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from paperfeed.store.base import StoredPaper
from paperfeed.store.collections import CollectionStore


def list_choices(
    store: CollectionStore, papers: Sequence[StoredPaper], account_id: int | None
) -> dict[str, Any]:
    """Template variables ``lists`` (the viewer's, newest change first) and ``held``
    (paper id -> ids of the viewer's lists holding it)."""
    if account_id is None:
        return {"lists": [], "held": {}}
    return {
        "lists": store.collections_of(account_id),
        "held": store.collections_holding(account_id, [p.paper.id for p in papers]),
    }
