"""The digest capability's exceptions."""

from __future__ import annotations

from paperfeed.errors import PaperfeedError


class DigestError(PaperfeedError):
    """A digest cannot be composed, rendered or queued."""


class SubscriptionError(PaperfeedError):
    """A subscription request or link cannot be honoured; the message is for the person."""


class LinkError(SubscriptionError):
    """A link from a mail is forged, altered, expired, already used, or for nobody."""
