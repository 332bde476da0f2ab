"""One exception family for the community capability."""

from __future__ import annotations

from paperfeed.errors import PaperfeedError


class CommunityError(PaperfeedError):
    """A community action cannot be done; the message says why, for the person asking."""


class RateLimited(CommunityError):
    """Too many actions of one kind from one address or IP; try again after a while."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
