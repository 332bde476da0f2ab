"""The collections' exceptions."""

from __future__ import annotations

from paperfeed.errors import PaperfeedError


class CollectionError(PaperfeedError):
    """A list cannot be made, changed or read as asked; nothing was changed."""


class CollectionNotFound(CollectionError):
    """No such list, or one this reader may not see (a private list of someone else)."""
