"""The store's part in subscriptions (email digests): subscribers and their state.

Engine-neutral interface; ``store/sqlite/subscriptions.py`` implements it for SQLite.
"""

from __future__ import annotations

from abc import ABC


class SubscriptionStore(ABC):  # noqa: B024 - methods arrive with the subscription capability
    """Subscribers to the email digest."""
